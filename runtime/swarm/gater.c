/*
 * gater.c - the connection gater: which inbound connections the swarm
 * takes.  Refused, in this order: while buffered memory is over the
 * system limit; at the cap of connections still upgrading or in all
 * (transient, system: the listeners pause until one closes); past
 * limits.accept_rate new connections per second; past
 * limits.max_connections_per_ip from one IPv4 address or IPv6 /56.
 * Loopback peers skip the last two unless limits.exempt_loopback is off.
 * Plugins will add their own checks here.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>

#include "swarm/swarm.h"

void lp2p_gater_ip_key(const struct lp2p_multiaddr *remote, uint8_t key[17])
{
	struct lp2p_multiaddr_hostport hp;
	memset(key, 0, 17);
	if (lp2p_multiaddr_host_port(remote, &hp) != 0 || !hp.addr_len)
		return;
	key[0] = (uint8_t)hp.addr.ss_family;
	if (hp.addr.ss_family == AF_INET)
		memcpy(key + 1, &((const struct sockaddr_in *)&hp.addr)->sin_addr,
		       4);
	else if (hp.addr.ss_family == AF_INET6)
		memcpy(key + 1,
		       &((const struct sockaddr_in6 *)&hp.addr)->sin6_addr, 7);
}

/* Loopback peers are local programs. */
static bool is_loopback(const struct lp2p_multiaddr *remote)
{
	struct lp2p_multiaddr_hostport hp;
	if (lp2p_multiaddr_host_port(remote, &hp) != 0 || !hp.addr_len)
		return false;
	if (hp.addr.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&hp.addr)
		                      ->sin_addr.s_addr) >>
		        24) == 127;
	const struct in6_addr *a =
		&((const struct sockaddr_in6 *)&hp.addr)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a) ||
	       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

static size_t conns_from_prefix(const struct lp2p_swarm *sw,
                                const uint8_t key[17])
{
	size_t n = 0;
	for (const struct lp2p_conn *c = sw->conns; c; c = c->next)
		if (c->state != CONN_DEAD && c->dir == LP2P_INBOUND &&
		    memcmp(c->ip_key, key, 17) == 0)
			n++;
	return n;
}

/* Token bucket: rate per second, burst of one second's worth. */
static bool take_token(struct lp2p_gater *g, uint32_t rate, double now)
{
	if (rate == 0)
		return true;
	g->tokens += (now - g->stamp) * rate;
	g->stamp = now;
	if (g->tokens > rate)
		g->tokens = rate;
	if (g->tokens < 1.0)
		return false;
	g->tokens -= 1.0;
	return true;
}

bool lp2p_gater_at_inbound_cap(const struct lp2p_swarm *sw)
{
	static const lp2p_rc_amount one = {.inbound_connections = 1,
	                                   .fds = 1};
	return !lp2p_rc_fits(&sw->rc.transient, &one, NULL);
}

const char *lp2p_gater_inbound(struct lp2p_swarm *sw,
                               const struct lp2p_multiaddr *remote,
                               uint8_t key[17], bool *pause)
{
	const struct lp2p_limits *l = &sw->cfg->limits;
	*pause = false;
	lp2p_gater_ip_key(remote, key);
	if (sw->rc.system.use.memory > sw->rc.system.limit->memory)
		return "buffer memory limit";
	if (lp2p_gater_at_inbound_cap(sw)) {
		*pause = true;
		return "connection limit";
	}
	bool local = l->exempt_loopback && is_loopback(remote);
	if (!local && !take_token(&sw->gater, l->accept_rate,
	                          ev_now(sw->loop->ev)))
		return "new-connection rate limit";
	/* key[0] 0: not an IP address (no prefix to count) */
	if (!local && key[0] &&
	    conns_from_prefix(sw, key) >= l->max_connections_per_ip)
		return "per-IP connection limit";
	return NULL;
}

void lp2p_gater_log_refusal(struct lp2p_swarm *sw,
                            const struct lp2p_multiaddr *remote,
                            const char *why)
{
	struct lp2p_gater *g = &sw->gater;
	double now = ev_now(sw->loop->ev);
	g->refused_count++;
	if (now - g->refused_logged < 1.0)
		return;
	char a[LP2P_MULTIADDR_STR_MAX] = "?";
	lp2p_multiaddr_to_string(remote, a, sizeof a);
	lp2p_log(LP2P_LOG_INFO,
	         "refusing connection from %s: %s (%llu refused in all)", a,
	         why, (unsigned long long)g->refused_count);
	g->refused_logged = now;
}
