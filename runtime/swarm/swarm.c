/* swarm.c - the swarm: listeners, the connection table, batched flushing */
#include <netinet/in.h>
#include <stdio.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#include <lp2p/log.h>

#include "swarm/swarm.h"

/*
 * Once per loop iteration, before the loop blocks: flush every connection
 * that has output, so frames produced by many calls go out in one sealed
 * batch and one write per connection.
 */
static void on_prepare(struct ev_loop *ev, ev_prepare *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_swarm *sw = w->data;
	/* A flush may end streams too (a waiting open the muxer refuses):
	 * their news must not wait for the next event. */
	do {
		lp2p_streams_deliver_closed(sw);
		while (sw->dirty) {
			struct lp2p_conn *c = sw->dirty;
			sw->dirty = c->dirty_next;
			c->dirty_next = NULL;
			c->dirty = false;
			lp2p_conn_flush(c);
			lp2p_conn_unref(c);
		}
	} while (sw->closed_streams);
}

void lp2p_swarm_mark_dirty(struct lp2p_conn *c)
{
	if (c->dirty || c->state == CONN_DEAD)
		return;
	c->dirty = true;
	lp2p_conn_ref(c);
	c->dirty_next = c->sw->dirty;
	c->sw->dirty = c;
}

const struct lp2p_session_ops *lp2p_swarm_muxer(const struct lp2p_swarm *sw,
                                                const char *protocol_id)
{
	for (size_t i = 0; i < sw->nmuxers; i++)
		if (strcmp(sw->muxers[i], protocol_id) == 0)
			return sw->muxer_ops[i];
	return NULL;
}

/* Descriptors kept for listeners, plugins and the daemon's own files. */
#define FDS_RESERVED 64

/* limits.system.fds, or (unset) the open-file limit less the reserve. */
static uint64_t system_fds(const struct lp2p_config *cfg)
{
	if (!cfg->limits.system_fds_auto)
		return cfg->limits.system.fds;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return LP2P_RESOURCE_UNLIMITED;
	uint64_t n = rl.rlim_cur;
	return n > 2 * FDS_RESERVED ? n - FDS_RESERVED : n / 2;
}

int lp2p_swarm_init(struct lp2p_swarm *sw, struct lp2p_loop *loop,
                    const struct lp2p_config *cfg, struct lp2p_key *identity,
                    const struct lp2p_swarm_callbacks *cb, void *cb_arg,
                    char *err, size_t errlen)
{
	*sw = (struct lp2p_swarm){0};
	sw->cb = cb;
	sw->cb_arg = cb_arg;
	sw->loop = loop;
	sw->cfg = cfg;
	sw->identity = identity;
	/* Ready before anything can fail: lp2p_swarm_fini() runs it. */
	ev_prepare_init(&sw->flush_watcher, on_prepare);
	sw->flush_watcher.data = sw;
	int rc = lp2p_peer_id_from_key(identity, &sw->self);
	if (rc) {
		snprintf(err, errlen, "cannot derive the peer id: %s",
		         lp2p_strerror(rc));
		return rc;
	}
	/* The muxer list first: Noise's per-host payload announces it. */
	for (size_t i = 0; i < cfg->muxers.n; i++) {
		const struct lp2p_session_ops *ops =
			lp2p_session_by_name(cfg->muxers.v[i]);
		if (!ops) {
			snprintf(err, errlen, "muxer '%s' is not available in "
			         "this build", cfg->muxers.v[i]);
			return LP2P_ECONFIG;
		}
		if (lp2p_swarm_muxer(sw, ops->protocol_id))
			continue; /* listed twice */
		sw->muxer_ops[sw->nmuxers] = ops;
		sw->muxers[sw->nmuxers++] = ops->protocol_id;
	}
	if (sw->nmuxers == 0) {
		snprintf(err, errlen, "no muxer configured");
		return LP2P_ECONFIG;
	}
	for (size_t i = 0; i < cfg->security.n; i++) {
		const struct lp2p_secure_ops *ops =
			lp2p_secure_by_name(cfg->security.v[i]);
		size_t k = sw->nsecurity;
		if (!ops) {
			lp2p_log(LP2P_LOG_WARN,
			         "security '%s' is not available in this "
			         "build; skipping it",
			         cfg->security.v[i]);
			continue;
		}
		bool listed = false;
		for (size_t j = 0; j < k; j++)
			listed |= sw->security_ops[j] == ops;
		if (listed)
			continue;
		if (ops->ctx_new &&
		    (rc = ops->ctx_new(identity, sw->muxers, sw->nmuxers,
		                       &sw->security_ctx[k]))) {
			snprintf(err, errlen, "cannot set up %s: %s",
			         cfg->security.v[i], lp2p_strerror(rc));
			return rc;
		}
		sw->security_ops[k] = ops;
		sw->security[k] = ops->protocol_id;
		sw->nsecurity++;
	}
	if (sw->nsecurity == 0) {
		snprintf(err, errlen, "no usable security protocol configured");
		return LP2P_ECONFIG;
	}
	if ((rc = lp2p_rcmgr_init(&sw->rc, &cfg->limits, system_fds(cfg)))) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	sw->scratch_cap = LP2P_SWARM_READ_CHUNK + LP2P_NOISE_FRAME_MAX;
	sw->scratch = malloc(sw->scratch_cap);
	sw->wscratch_cap = 2 * LP2P_CONN_WBUF_HIWAT;
	sw->wscratch = malloc(sw->wscratch_cap);
	if (!sw->scratch || !sw->wscratch) {
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	ev_prepare_start(loop->ev, &sw->flush_watcher);
	lp2p_connmgr_start(sw);
	return 0;
}

void lp2p_swarm_shutdown(struct lp2p_swarm *sw)
{
	for (size_t i = 0; i < sw->nlisteners; i++)
		lp2p_tcp_listener_close(sw->listeners[i].tcp);
	sw->nlisteners = 0;
	lp2p_dials_abort(sw);
	while (sw->conns)
		lp2p_conn_close(sw->conns);
	on_prepare(sw->loop->ev, &sw->flush_watcher, 0);
	lp2p_streams_deliver_closed(sw);
}

void lp2p_swarm_fini(struct lp2p_swarm *sw)
{
	if (!sw->loop)
		return;
	lp2p_swarm_shutdown(sw);
	lp2p_linger_close_all(sw);
	lp2p_connmgr_stop(sw);
	ev_prepare_stop(sw->loop->ev, &sw->flush_watcher);
	lp2p_rcmgr_fini(&sw->rc);
	free(sw->scratch);
	free(sw->wscratch);
	sw->scratch = sw->wscratch = NULL;
	for (size_t i = 0; i < sw->nsecurity; i++) {
		if (sw->security_ops[i]->ctx_free)
			sw->security_ops[i]->ctx_free(sw->security_ctx[i]);
		sw->security_ctx[i] = NULL;
	}
}

/* ---- listening ---- */

/* Connections count per IPv4 address and per IPv6 /56. */
static void ip_prefix(const struct sockaddr_storage *ss, uint8_t key[17])
{
	memset(key, 0, 17);
	key[0] = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(key + 1, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(key + 1, &((const struct sockaddr_in6 *)ss)->sin6_addr, 7);
}

static size_t conns_from_prefix(struct lp2p_swarm *sw, const uint8_t key[17])
{
	size_t n = 0;
	for (struct lp2p_conn *c = sw->conns; c; c = c->next)
		if (c->state != CONN_DEAD && c->dir == LP2P_INBOUND &&
		    memcmp(c->ip_key, key, 17) == 0)
			n++;
	return n;
}

/* Token bucket for new inbound connections: rate per second, burst of
 * one second's worth. */
static bool accept_token(struct lp2p_swarm *sw)
{
	uint32_t rate = sw->cfg->limits.accept_rate;
	if (rate == 0)
		return true;
	double now = ev_now(sw->loop->ev);
	sw->accept_tokens += (now - sw->accept_stamp) * rate;
	sw->accept_stamp = now;
	if (sw->accept_tokens > rate)
		sw->accept_tokens = rate;
	if (sw->accept_tokens < 1.0)
		return false;
	sw->accept_tokens -= 1.0;
	return true;
}

/* Log refusals at most once a second, with how many were refused. */
static void refused(struct lp2p_swarm *sw, const struct lp2p_multiaddr *ma,
                    const char *why)
{
	double now = ev_now(sw->loop->ev);
	sw->refused_count++;
	if (now - sw->refused_logged < 1.0)
		return;
	char a[LP2P_MULTIADDR_STR_MAX] = "?";
	lp2p_multiaddr_to_string(ma, a, sizeof a);
	lp2p_log(LP2P_LOG_INFO,
	         "refusing connection from %s: %s (%llu refused in all)", a,
	         why, (unsigned long long)sw->refused_count);
	sw->refused_logged = now;
}

/* At the connection cap, stop accepting until a connection closes. */
static void pause_listeners(struct lp2p_swarm *sw, bool pause)
{
	if (sw->listeners_paused == pause)
		return;
	sw->listeners_paused = pause;
	for (size_t i = 0; i < sw->nlisteners; i++) {
		if (pause)
			lp2p_tcp_listener_pause(sw->listeners[i].tcp);
		else
			lp2p_tcp_listener_resume(sw->listeners[i].tcp);
	}
	lp2p_log(LP2P_LOG_INFO, "%s accepting connections",
	         pause ? "connection limit reached: pausing" : "resuming");
}

/* One more inbound connection does not fit (transient or system). */
static bool at_inbound_cap(const struct lp2p_swarm *sw)
{
	static const lp2p_rc_amount one = {.inbound_connections = 1,
	                                   .fds = 1};
	return !lp2p_rc_fits(&sw->rc.transient, &one, NULL);
}

void lp2p_swarm_conn_gone(struct lp2p_swarm *sw)
{
	if (sw->listeners_paused && !at_inbound_cap(sw))
		pause_listeners(sw, false);
}

/* Loopback peers are local programs: no per-IP or rate limit for them
 * (unless limits.exempt_loopback is off, as in tests). */
static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >>
		        24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)ss)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static int on_accept(void *arg, int fd, const struct sockaddr_storage *remote,
                     socklen_t remote_len)
{
	struct lp2p_swarm *sw = arg;
	struct lp2p_multiaddr ma = {0};
	lp2p_multiaddr_from_sockaddr((const struct sockaddr *)remote,
	                             remote_len, LP2P_MA_TCP, &ma);
	if (sw->rc.system.use.memory > sw->rc.system.limit->memory) {
		refused(sw, &ma, "buffer memory limit");
		close(fd);
		return 0;
	}
	if (at_inbound_cap(sw)) {
		refused(sw, &ma, "connection limit");
		close(fd);
		pause_listeners(sw, true);
		return 1;
	}
	bool local = sw->cfg->limits.exempt_loopback && is_loopback(remote);
	if (!local && !accept_token(sw)) {
		refused(sw, &ma, "new-connection rate limit");
		close(fd);
		return 0;
	}
	uint8_t key[17];
	ip_prefix(remote, key);
	if (!local && conns_from_prefix(sw, key) >=
	                      sw->cfg->limits.max_connections_per_ip) {
		refused(sw, &ma, "per-IP connection limit");
		close(fd);
		return 0;
	}
	struct lp2p_conn *c;
	if (lp2p_conn_start(sw, fd, LP2P_INBOUND, &ma, NULL, NULL, &c)) {
		close(fd);
		return 0;
	}
	memcpy(c->ip_key, key, 17);
	if (at_inbound_cap(sw)) {
		pause_listeners(sw, true);
		return 1;
	}
	return 0;
}

int lp2p_swarm_listen(struct lp2p_swarm *sw, const struct lp2p_multiaddr *ma,
                      struct lp2p_multiaddr *bound, char *err, size_t errlen)
{
	struct lp2p_multiaddr_hostport hp;
	char text[LP2P_MULTIADDR_STR_MAX] = "?";
	lp2p_multiaddr_to_string(ma, text, sizeof text);
	if (!lp2p_multiaddr_is_tcp(ma) ||
	    lp2p_multiaddr_host_port(ma, &hp) != 0 || hp.addr_len == 0) {
		snprintf(err, errlen,
		         "cannot listen on %s: only /ip4 and /ip6 TCP "
		         "addresses are supported",
		         text);
		return LP2P_ENOTSUP;
	}
	if (sw->nlisteners >= LP2P_SWARM_MAX_LISTENERS) {
		snprintf(err, errlen, "cannot listen on %s: too many listeners",
		         text);
		return LP2P_ELIMIT;
	}
	struct lp2p_listener_entry *e = &sw->listeners[sw->nlisteners];
	char why[256];
	int rc = lp2p_tcp_listen(sw->loop, (struct sockaddr *)&hp.addr,
	                         hp.addr_len, on_accept, sw, &e->tcp, why,
	                         sizeof why);
	if (rc) {
		snprintf(err, errlen, "cannot listen on %s: %s", text, why);
		return rc;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	lp2p_tcp_listener_addr(e->tcp, &ss, &sl);
	lp2p_multiaddr_from_sockaddr((struct sockaddr *)&ss, sl, LP2P_MA_TCP,
	                             &e->addr);
	sw->nlisteners++;
	if (bound)
		*bound = e->addr;
	return 0;
}

size_t lp2p_swarm_listen_addrs(const struct lp2p_swarm *sw,
                               struct lp2p_multiaddr *out, size_t max)
{
	for (size_t i = 0; i < sw->nlisteners && i < max; i++)
		out[i] = sw->listeners[i].addr;
	return sw->nlisteners;
}

size_t lp2p_swarm_conns(const struct lp2p_swarm *sw,
                        const struct lp2p_peer_id *peer, lp2p_conn **out,
                        size_t max)
{
	size_t n = 0;
	for (struct lp2p_conn *c = sw->conns; c; c = c->next) {
		if (c->state != CONN_READY ||
		    (peer && !lp2p_peer_id_equal(&c->peer, peer)))
			continue;
		if (n < max)
			out[n] = c;
		n++;
	}
	return n;
}
