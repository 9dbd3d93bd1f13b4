/* multiaddr_proto.c - multiaddr protocol table and value codecs */
#include "codec/multiaddr_proto.h"

#include <lp2p/multibase.h>
#include <lp2p/multihash.h>
#include <lp2p/peer_id.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Codes from the multicodec table (tag multiaddr), memory from go/rust. */
static const struct lp2p_ma_proto protos[] = {
	{LP2P_MA_IP4, "ip4", 4, LP2P_MA_KIND_IP4},
	{LP2P_MA_TCP, "tcp", 2, LP2P_MA_KIND_PORT},
	{LP2P_MA_DCCP, "dccp", 2, LP2P_MA_KIND_PORT},
	{LP2P_MA_IP6, "ip6", 16, LP2P_MA_KIND_IP6},
	{LP2P_MA_IP6ZONE, "ip6zone", -1, LP2P_MA_KIND_NAME},
	{LP2P_MA_IPCIDR, "ipcidr", 1, LP2P_MA_KIND_U8},
	{LP2P_MA_DNS, "dns", -1, LP2P_MA_KIND_NAME},
	{LP2P_MA_DNS4, "dns4", -1, LP2P_MA_KIND_NAME},
	{LP2P_MA_DNS6, "dns6", -1, LP2P_MA_KIND_NAME},
	{LP2P_MA_DNSADDR, "dnsaddr", -1, LP2P_MA_KIND_NAME},
	{LP2P_MA_SCTP, "sctp", 2, LP2P_MA_KIND_PORT},
	{LP2P_MA_UDP, "udp", 2, LP2P_MA_KIND_PORT},
	{LP2P_MA_WEBRTC_DIRECT, "webrtc-direct", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_WEBRTC, "webrtc", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_P2P_CIRCUIT, "p2p-circuit", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_UDT, "udt", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_UTP, "utp", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_UNIX, "unix", -1, LP2P_MA_KIND_PATH},
	{LP2P_MA_P2P, "p2p", -1, LP2P_MA_KIND_PEER_ID},
	{LP2P_MA_HTTPS, "https", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_TLS, "tls", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_SNI, "sni", -1, LP2P_MA_KIND_NAME},
	{LP2P_MA_NOISE, "noise", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_QUIC, "quic", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_QUIC_V1, "quic-v1", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_WEBTRANSPORT, "webtransport", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_CERTHASH, "certhash", -1, LP2P_MA_KIND_MULTIHASH},
	{LP2P_MA_WS, "ws", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_WSS, "wss", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_HTTP, "http", 0, LP2P_MA_KIND_NONE},
	{LP2P_MA_MEMORY, "memory", 8, LP2P_MA_KIND_U64},
};

#define NPROTOS (sizeof protos / sizeof protos[0])

const struct lp2p_ma_proto *lp2p_ma_proto_by_code(uint64_t code)
{
	for (size_t i = 0; i < NPROTOS; i++)
		if (protos[i].code == code)
			return &protos[i];
	return NULL;
}

const struct lp2p_ma_proto *lp2p_ma_proto_by_name(const char *name,
						  size_t len)
{
	/* "ipfs" is the old name of p2p, accepted on parse only. */
	if (len == 4 && memcmp(name, "ipfs", 4) == 0)
		return lp2p_ma_proto_by_code(LP2P_MA_P2P);
	for (size_t i = 0; i < NPROTOS; i++)
		if (strlen(protos[i].name) == len &&
		    memcmp(protos[i].name, name, len) == 0)
			return &protos[i];
	return NULL;
}

LP2P_API const char *lp2p_multiaddr_proto_name(uint64_t code)
{
	const struct lp2p_ma_proto *p = lp2p_ma_proto_by_code(code);
	return p ? p->name : NULL;
}

/* ---- value checks ---- */

static int check_name(const uint8_t *v, size_t len)
{
	if (len == 0 || len > LP2P_MULTIADDR_NAME_MAX)
		return LP2P_EPROTO;
	if (memchr(v, '/', len) || memchr(v, '\0', len))
		return LP2P_EPROTO;
	return 0;
}

/* An absolute path, not "/" alone, no trailing '/', no NUL. */
static int check_path(const uint8_t *v, size_t len)
{
	if (len < 2 || v[0] != '/' || v[len - 1] == '/' ||
	    memchr(v, '\0', len))
		return LP2P_EPROTO;
	return 0;
}

int lp2p_ma_value_check(const struct lp2p_ma_proto *p, const uint8_t *v,
			size_t len)
{
	struct lp2p_peer_id id;
	struct lp2p_multihash mh;

	if (p->size >= 0 && len != (size_t)p->size)
		return LP2P_EPROTO;
	switch (p->kind) {
	case LP2P_MA_KIND_NAME: return check_name(v, len);
	case LP2P_MA_KIND_PATH: return check_path(v, len);
	case LP2P_MA_KIND_PEER_ID:
		return lp2p_peer_id_from_bytes(v, len, &id) < 0 ? LP2P_EPROTO
								: 0;
	case LP2P_MA_KIND_MULTIHASH:
		return lp2p_multihash_decode(v, len, &mh) < 0 ? LP2P_EPROTO : 0;
	default: return 0; /* fixed sizes: any bytes are valid */
	}
}

/* ---- binary to text ---- */

static int put_text(const char *s, size_t len, char *out, size_t cap)
{
	if (len >= cap)
		return LP2P_ERANGE;
	memcpy(out, s, len);
	out[len] = '\0';
	return (int)len;
}

static int put_u64(uint64_t v, char *out, size_t cap)
{
	char buf[24];
	int n = snprintf(buf, sizeof buf, "%" PRIu64, v);
	return put_text(buf, (size_t)n, out, cap);
}

static uint64_t get_be(const uint8_t *v, size_t len)
{
	uint64_t x = 0;
	for (size_t i = 0; i < len; i++)
		x = (x << 8) | v[i];
	return x;
}

/*
 * An IPv4-compatible IPv6 address ::a.b.c.d (deprecated by RFC 4291) that
 * is not ::/112 (::, ::1, ...).  glibc's inet_ntop writes it dotted; go,
 * rust and js-multiaddr write hex words, RFC 5952 keeps the dotted form
 * for IPv4-mapped addresses only.  Print it as they do.
 */
static bool is_ip4_compatible(const struct lp2p_ma_proto *p, const uint8_t *v)
{
	static const uint8_t zero[12];
	return p->kind == LP2P_MA_KIND_IP6 && memcmp(v, zero, 12) == 0 &&
	       (v[12] | v[13]) != 0;
}

int lp2p_ma_value_to_text(const struct lp2p_ma_proto *p, const uint8_t *v,
			  size_t len, char *out, size_t cap)
{
	char buf[INET6_ADDRSTRLEN];
	struct lp2p_peer_id id;
	int rc;

	if (!out || cap == 0)
		return LP2P_ERANGE;
	rc = lp2p_ma_value_check(p, v, len);
	if (rc < 0)
		return rc;
	switch (p->kind) {
	case LP2P_MA_KIND_NONE: return put_text("", 0, out, cap);
	case LP2P_MA_KIND_IP4:
	case LP2P_MA_KIND_IP6:
		if (is_ip4_compatible(p, v))
			snprintf(buf, sizeof buf, "::%x:%x",
				 (unsigned)(v[12] << 8 | v[13]),
				 (unsigned)(v[14] << 8 | v[15]));
		else if (!inet_ntop(p->kind == LP2P_MA_KIND_IP4 ? AF_INET
								: AF_INET6,
				    v, buf, sizeof buf))
			return LP2P_EPROTO;
		return put_text(buf, strlen(buf), out, cap);
	case LP2P_MA_KIND_PORT:
	case LP2P_MA_KIND_U8:
	case LP2P_MA_KIND_U64: return put_u64(get_be(v, len), out, cap);
	case LP2P_MA_KIND_NAME:
	case LP2P_MA_KIND_PATH: return put_text((const char *)v, len, out, cap);
	case LP2P_MA_KIND_PEER_ID:
		if (lp2p_peer_id_from_bytes(v, len, &id) < 0)
			return LP2P_EPROTO;
		return lp2p_peer_id_to_string(&id, out, cap);
	case LP2P_MA_KIND_MULTIHASH:
		/* base64url, as go-multiaddr prints it. */
		return lp2p_multibase_encode(LP2P_BASE64URL, v, len, out, cap);
	}
	return LP2P_EPROTO;
}

/* ---- text to binary ---- */

/* Decimal digits only (no sign, no space), at most max. */
static int parse_uint(const char *s, size_t slen, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (slen == 0 || slen > 20)
		return LP2P_EPROTO;
	for (size_t i = 0; i < slen; i++) {
		if (s[i] < '0' || s[i] > '9')
			return LP2P_EPROTO;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return LP2P_EPROTO;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int put_be(uint64_t v, size_t len, uint8_t *out, size_t cap)
{
	if (cap < len)
		return LP2P_ERANGE;
	for (size_t i = len; i-- > 0;) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
	return (int)len;
}

static int parse_ip(int family, const char *s, size_t slen, uint8_t *out,
		    size_t cap)
{
	char buf[INET6_ADDRSTRLEN];
	size_t alen = family == AF_INET ? 4 : 16;
	if (slen >= sizeof buf)
		return LP2P_EPROTO;
	memcpy(buf, s, slen);
	buf[slen] = '\0';
	if (cap < alen)
		return LP2P_ERANGE;
	if (inet_pton(family, buf, out) != 1)
		return LP2P_EPROTO;
	return (int)alen;
}

static int copy_checked(const struct lp2p_ma_proto *p, const char *s,
			size_t slen, uint8_t *out, size_t cap)
{
	int rc = lp2p_ma_value_check(p, (const uint8_t *)s, slen);
	if (rc < 0)
		return rc;
	if (slen > cap)
		return LP2P_ERANGE;
	memcpy(out, s, slen);
	return (int)slen;
}

int lp2p_ma_value_from_text(const struct lp2p_ma_proto *p, const char *s,
			    size_t slen, uint8_t *out, size_t cap)
{
	struct lp2p_peer_id id;
	uint64_t v;
	int n;

	switch (p->kind) {
	case LP2P_MA_KIND_NONE: return slen == 0 ? 0 : LP2P_EPROTO;
	case LP2P_MA_KIND_IP4: return parse_ip(AF_INET, s, slen, out, cap);
	case LP2P_MA_KIND_IP6: return parse_ip(AF_INET6, s, slen, out, cap);
	case LP2P_MA_KIND_PORT:
		if (parse_uint(s, slen, UINT16_MAX, &v) < 0)
			return LP2P_EPROTO;
		return put_be(v, 2, out, cap);
	case LP2P_MA_KIND_U8:
		if (parse_uint(s, slen, UINT8_MAX, &v) < 0)
			return LP2P_EPROTO;
		return put_be(v, 1, out, cap);
	case LP2P_MA_KIND_U64:
		if (parse_uint(s, slen, UINT64_MAX, &v) < 0)
			return LP2P_EPROTO;
		return put_be(v, 8, out, cap);
	case LP2P_MA_KIND_NAME:
	case LP2P_MA_KIND_PATH: return copy_checked(p, s, slen, out, cap);
	case LP2P_MA_KIND_PEER_ID:
		if (lp2p_peer_id_parse(s, slen, &id) < 0)
			return LP2P_EPROTO;
		if (id.len > cap)
			return LP2P_ERANGE;
		memcpy(out, id.bytes, id.len);
		return id.len;
	case LP2P_MA_KIND_MULTIHASH:
		n = lp2p_multibase_decode(s, slen, out, cap, NULL);
		if (n == LP2P_ERANGE)
			return n;
		if (n < 0 || lp2p_ma_value_check(p, out, (size_t)n) < 0)
			return LP2P_EPROTO;
		return n;
	}
	return LP2P_EPROTO;
}
