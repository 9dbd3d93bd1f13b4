/*
 * multiaddr_net.c - what a transport needs from a multiaddr: host and
 * port as a sockaddr (or a DNS name), and the reverse.
 */
#include "codec/multiaddr_proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static bool is_host_code(uint64_t code)
{
	switch (code) {
	case LP2P_MA_IP4:
	case LP2P_MA_IP6:
	case LP2P_MA_DNS:
	case LP2P_MA_DNS4:
	case LP2P_MA_DNS6: return true;
	}
	return false;
}

/* A zone made of digits only is a scope id. */
static bool numeric_zone(const uint8_t *v, size_t len, uint32_t *scope)
{
	uint64_t x = 0;
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > UINT32_MAX)
		return false;
	*scope = (uint32_t)x;
	return true;
}

LP2P_API int lp2p_multiaddr_host_port(const struct lp2p_multiaddr *ma,
				      struct lp2p_multiaddr_hostport *out)
{
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component zone = {0}, host, port;
	bool have_zone = false;
	int rc;

	if (ma->len > LP2P_MULTIADDR_MAX_LEN)
		return LP2P_EPROTO;
	lp2p_multiaddr_iter_init(&it, ma->bytes, ma->len);
	rc = lp2p_multiaddr_iter_next(&it, &host);
	if (rc < 0)
		return rc;
	if (rc > 0 && host.code == LP2P_MA_IP6ZONE) {
		zone = host;
		have_zone = true;
		rc = lp2p_multiaddr_iter_next(&it, &host);
		if (rc < 0)
			return rc;
		if (rc > 0 && host.code != LP2P_MA_IP6)
			return LP2P_ENOTSUP;
	}
	if (rc == 0 || !is_host_code(host.code))
		return LP2P_ENOTSUP;
	rc = lp2p_multiaddr_iter_next(&it, &port);
	if (rc < 0)
		return rc;
	if (rc == 0 || (port.code != LP2P_MA_TCP && port.code != LP2P_MA_UDP))
		return LP2P_ENOTSUP;

	memset(out, 0, sizeof *out);
	out->host_code = host.code;
	out->transport_code = port.code;
	out->port = (uint16_t)((port.value[0] << 8) | port.value[1]);
	out->consumed = port.offset + port.len;
	if (host.code == LP2P_MA_IP4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->addr;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(out->port);
		memcpy(&sin->sin_addr, host.value, 4);
		out->addr_len = sizeof *sin;
	} else if (host.code == LP2P_MA_IP6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->addr;
		uint32_t scope;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(out->port);
		memcpy(&sin6->sin6_addr, host.value, 16);
		if (have_zone) {
			if (numeric_zone(zone.value, zone.value_len, &scope))
				sin6->sin6_scope_id = scope;
			else
				memcpy(out->zone, zone.value, zone.value_len);
		}
		out->addr_len = sizeof *sin6;
	} else {
		out->addr.ss_family = AF_UNSPEC;
		memcpy(out->name, host.value, host.value_len);
	}
	return 0;
}

LP2P_API bool lp2p_multiaddr_is_tcp(const struct lp2p_multiaddr *ma)
{
	struct lp2p_multiaddr_hostport hp;
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component c;

	if (lp2p_multiaddr_host_port(ma, &hp) < 0 ||
	    hp.transport_code != LP2P_MA_TCP)
		return false;
	lp2p_multiaddr_iter_init(&it, ma->bytes + hp.consumed,
				 ma->len - hp.consumed);
	switch (lp2p_multiaddr_iter_next(&it, &c)) {
	case 0: return true;
	case 1: return c.code == LP2P_MA_P2P && it.pos == it.len;
	default: return false;
	}
}

LP2P_API int lp2p_multiaddr_from_sockaddr(const struct sockaddr *sa,
					  socklen_t salen,
					  uint64_t transport_code,
					  struct lp2p_multiaddr *out)
{
	struct lp2p_multiaddr ma = {0};
	uint8_t port[2];
	int rc;

	if (!sa || (transport_code != LP2P_MA_TCP &&
		    transport_code != LP2P_MA_UDP))
		return LP2P_EINVAL;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;
		if (salen < (socklen_t)sizeof sin)
			return LP2P_EINVAL;
		memcpy(&sin, sa, sizeof sin);
		rc = lp2p_multiaddr_push(&ma, LP2P_MA_IP4,
					 (const uint8_t *)&sin.sin_addr, 4);
		memcpy(port, &sin.sin_port, 2);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;
		const uint8_t *a;
		if (salen < (socklen_t)sizeof sin6)
			return LP2P_EINVAL;
		memcpy(&sin6, sa, sizeof sin6);
		a = sin6.sin6_addr.s6_addr;
		memcpy(port, &sin6.sin6_port, 2);
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
			/* A dual-stack socket's IPv4 peer is an ip4 address. */
			rc = lp2p_multiaddr_push(&ma, LP2P_MA_IP4, a + 12, 4);
		} else {
			rc = 0;
			if (sin6.sin6_scope_id != 0) {
				char z[16];
				int n = snprintf(z, sizeof z, "%u",
						 (unsigned)sin6.sin6_scope_id);
				rc = lp2p_multiaddr_push(&ma, LP2P_MA_IP6ZONE,
							 (const uint8_t *)z,
							 (size_t)n);
			}
			if (rc == 0)
				rc = lp2p_multiaddr_push(&ma, LP2P_MA_IP6, a,
							 16);
		}
	} else {
		return LP2P_EINVAL;
	}
	if (rc == 0)
		rc = lp2p_multiaddr_push(&ma, transport_code, port, 2);
	if (rc < 0)
		return rc;
	*out = ma;
	return 0;
}
