/*
 * self.c - what identify says about this node: the addresses to announce
 * (listen addresses, with wildcards replaced by the interfaces' addresses)
 * and the signed peer record over them.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <lp2p/swarm.h>

#include "identify/self.h"

static bool is_wildcard(const struct lp2p_multiaddr_hostport *hp)
{
	if (hp->host_code == LP2P_MA_IP4) {
		const struct sockaddr_in *s = (const void *)&hp->addr;
		return s->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	if (hp->host_code == LP2P_MA_IP6) {
		const struct sockaddr_in6 *s = (const void *)&hp->addr;
		return IN6_IS_ADDR_UNSPECIFIED(&s->sin6_addr);
	}
	return false;
}

static void add_unique(struct lp2p_multiaddr *out, size_t *n, size_t max,
                       const struct lp2p_multiaddr *ma)
{
	for (size_t i = 0; i < *n; i++)
		if (lp2p_multiaddr_equal(&out[i], ma))
			return;
	if (*n < max)
		out[(*n)++] = *ma;
}

/* host/transport/port of sa, then the rest of the listen address. */
static void add_interface(struct lp2p_multiaddr *out, size_t *n, size_t max,
                          const struct sockaddr *sa,
                          const struct lp2p_multiaddr *listen,
                          const struct lp2p_multiaddr_hostport *hp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		memcpy(s, sa, sizeof *s);
		s->sin_port = htons(hp->port);
		len = sizeof *s;
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		memcpy(s, sa, sizeof *s);
		/* link-local addresses need a zone a remote cannot use */
		if (IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr))
			return;
		s->sin6_port = htons(hp->port);
		s->sin6_scope_id = 0;
		len = sizeof *s;
	}
	struct lp2p_multiaddr ma;
	if (lp2p_multiaddr_from_sockaddr((struct sockaddr *)&ss, len,
	                                 hp->transport_code, &ma))
		return;
	size_t tail = listen->len - hp->consumed;
	if (tail) {
		struct lp2p_multiaddr rest;
		if (lp2p_multiaddr_from_bytes(listen->bytes + hp->consumed,
		                              tail, &rest) ||
		    lp2p_multiaddr_encapsulate(&ma, &rest))
			return;
	}
	add_unique(out, n, max, &ma);
}

size_t identify_announce_addrs(lp2p_host *h, struct lp2p_multiaddr *out,
                               size_t max)
{
	struct lp2p_multiaddr listen[IDENTIFY_MAX_ADDRS];
	size_t nl = lp2p_host_listen_addrs(h, listen, IDENTIFY_MAX_ADDRS);
	if (nl > IDENTIFY_MAX_ADDRS)
		nl = IDENTIFY_MAX_ADDRS;
	struct ifaddrs *ifs = NULL;
	bool have_ifs = false;
	size_t n = 0;
	for (size_t i = 0; i < nl; i++) {
		struct lp2p_multiaddr_hostport hp;
		if (lp2p_multiaddr_host_port(&listen[i], &hp) != 0 ||
		    !is_wildcard(&hp)) {
			add_unique(out, &n, max, &listen[i]);
			continue;
		}
		if (!have_ifs) {
			have_ifs = true;
			if (getifaddrs(&ifs) != 0)
				ifs = NULL;
		}
		int family = hp.host_code == LP2P_MA_IP4 ? AF_INET : AF_INET6;
		for (struct ifaddrs *a = ifs; a; a = a->ifa_next)
			if (a->ifa_addr && a->ifa_addr->sa_family == family)
				add_interface(out, &n, max, a->ifa_addr,
				              &listen[i], &hp);
	}
	if (ifs)
		freeifaddrs(ifs);
	return n;
}

static int sign_with_host(void *arg, const uint8_t *msg, size_t len,
                          uint8_t *sig, size_t cap)
{
	return lp2p_host_sign(arg, msg, len, sig, cap);
}

/* Sequence numbers: milliseconds of wall-clock time, always increasing. */
static uint64_t next_seq(uint64_t last)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now =
	    (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return now > last ? now : last + 1;
}

static bool same_addrs(const struct identify_self *s,
                       const struct lp2p_multiaddr *addrs, size_t n)
{
	if (n != s->naddrs)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!lp2p_multiaddr_equal(&s->addrs[i], &addrs[i]))
			return false;
	return true;
}

int identify_self_refresh(struct identify_self *s, lp2p_host *h)
{
	struct lp2p_multiaddr addrs[IDENTIFY_MAX_ADDRS];
	size_t n = identify_announce_addrs(h, addrs, IDENTIFY_MAX_ADDRS);
	if (s->record_len && same_addrs(s, addrs, n))
		return 0;
	uint8_t pk[LP2P_KEY_PUBLIC_MAX];
	int pklen = lp2p_host_public_key(h, pk, sizeof pk);
	if (pklen < 0)
		return pklen;
	uint64_t seq = next_seq(s->seq);
	int len =
	    record_seal(lp2p_host_peer_id(h), seq, addrs, n, pk, (size_t)pklen,
	                sign_with_host, h, s->record, sizeof s->record);
	if (len < 0) {
		s->record_len = 0;
		return len;
	}
	s->record_len = (size_t)len;
	s->seq = seq;
	memcpy(s->addrs, addrs, n * sizeof *addrs);
	s->naddrs = n;
	return 1;
}
