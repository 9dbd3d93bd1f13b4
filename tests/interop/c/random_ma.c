/*
 * random_ma.c - random valid multiaddrs for the cross-check corpus.  Values
 * are made in binary and appended with lp2p_multiaddr_push(), so every
 * result is one lp2p accepts; the JS side decides whether it agrees.
 * tests/interop/js/xcheck.mjs has the same shapes.
 */
#include "xcheck.h"

#include <string.h>

static const char *const odd_bits[] = {
    "A",
    "Z",
    "_",
    "%",
    "%41",
    ":",
    " ",
    "~",
    "\"",
    "\\",
    "@",
    "+",
    "\xc3\xbc",         /* u with diaeresis */
    "\xe4\xb8\xad",     /* a CJK ideograph */
    "\xf0\x9f\x98\x80", /* an emoji (a surrogate pair in JSON) */
};

/* Append s to buf[*len..cap) if it fits. */
static void append(char *buf, size_t *len, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (*len + n <= cap) {
		memcpy(buf + *len, s, n);
		*len += n;
	}
}

static void append_char(char *buf, size_t *len, size_t cap, const char *set,
                        struct rng *r)
{
	char c[2] = {set[rng_below(r, strlen(set))], '\0'};
	append(buf, len, cap, c);
}

/* A host-name-like value: labels, now and then an odd character. */
static size_t random_name(struct rng *r, char *buf, size_t cap)
{
	static const char label[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	size_t len = 0, labels = 1 + rng_below(r, 4), max;

	max = rng_one_in(r, 40) ? 200 + rng_below(r, 56) : 1 + rng_below(r, 40);
	if (max > cap)
		max = cap;
	for (size_t l = 0; l < labels && len < max; l++) {
		size_t n = 1 + rng_below(r, 12);
		if (l)
			append(buf, &len, max, ".");
		for (size_t i = 0; i < n; i++) {
			if (rng_one_in(r, 30))
				append(buf, &len, max,
				       odd_bits[rng_below(
				           r, sizeof odd_bits /
				                  sizeof *odd_bits)]);
			else
				append_char(buf, &len, max, label, r);
		}
	}
	while (rng_one_in(r, 3) && len < max) /* long names, up to 255 */
		append_char(buf, &len, max, label, r);
	if (len == 0)
		append(buf, &len, cap, "x");
	return len;
}

/* An absolute unix socket path: no trailing '/', not "/" alone. */
static size_t random_path(struct rng *r, char *buf, size_t cap)
{
	static const char seg[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
	size_t len = 0, segs = 1 + rng_below(r, 5);

	for (size_t s = 0; s < segs; s++) {
		size_t n = 1 + rng_below(r, 10);
		append(buf, &len, cap, "/");
		for (size_t i = 0; i < n; i++) {
			if (rng_one_in(r, 25))
				append(buf, &len, cap,
				       odd_bits[rng_below(
				           r, sizeof odd_bits /
				                  sizeof *odd_bits)]);
			else
				append_char(buf, &len, cap, seg, r);
		}
	}
	return len;
}

static void push(struct lp2p_multiaddr *ma, uint64_t code, const void *v,
                 size_t len)
{
	/* A full multiaddr just stops growing. */
	(void)lp2p_multiaddr_push(ma, code, v, len);
}

static void push_name(struct rng *r, struct lp2p_multiaddr *ma, uint64_t code)
{
	char name[LP2P_MULTIADDR_NAME_MAX];
	push(ma, code, name, random_name(r, name, sizeof name));
}

static void push_ip4(struct rng *r, struct lp2p_multiaddr *ma)
{
	static const uint8_t special[][4] = {
	    {0, 0, 0, 0},  {127, 0, 0, 1},     {255, 255, 255, 255},
	    {10, 0, 0, 1}, {192, 168, 1, 254},
	};
	uint8_t a[4];

	if (rng_one_in(r, 6))
		memcpy(a, special[rng_below(r, 5)], 4);
	else
		rng_bytes(r, a, 4);
	push(ma, LP2P_MA_IP4, a, 4);
}

static void push_ip6(struct rng *r, struct lp2p_multiaddr *ma)
{
	uint8_t a[16] = {0};

	switch (rng_below(r, 9)) {
	case 0: rng_bytes(r, a, 16); break;
	case 1: /* runs of zero words, of every length and position */
	case 2:
		for (int w = 0; w < 8; w++) {
			if (rng_one_in(r, 2))
				continue;
			a[2 * w] = rng_one_in(r, 2) ? 0 : (uint8_t)rng_next(r);
			a[2 * w + 1] = (uint8_t)rng_next(r);
		}
		break;
	case 3: /* IPv4-mapped ::ffff:a.b.c.d */
		a[10] = a[11] = 0xff;
		rng_bytes(r, a + 12, 4);
		break;
	case 4: /* IPv4-compatible ::a.b.c.d (deprecated, still printable) */
		rng_bytes(r, a + 12, 4);
		break;
	case 5: /* ::, ::1, ::2 and other low addresses */
		a[15] = (uint8_t)rng_below(r, 3);
		if (rng_one_in(r, 3))
			a[14] = (uint8_t)rng_next(r);
		break;
	case 6: /* link local fe80::/64 */
		a[0] = 0xfe;
		a[1] = 0x80;
		rng_bytes(r, a + 8, 8);
		break;
	case 7: /* NAT64 64:ff9b::a.b.c.d */
		a[1] = 0x64;
		a[2] = 0xff;
		a[3] = 0x9b;
		rng_bytes(r, a + 12, 4);
		break;
	default: /* 2001:db8::/32 with one single zero word somewhere */
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		rng_bytes(r, a + 4, 12);
		memset(a + 2 * (2 + rng_below(r, 6)), 0, 2);
		break;
	}
	push(ma, LP2P_MA_IP6, a, 16);
}

static void push_port(struct rng *r, struct lp2p_multiaddr *ma, uint64_t code)
{
	static const uint16_t special[] = {0, 1, 80, 443, 4001, 65535};
	uint16_t p =
	    rng_one_in(r, 4) ? special[rng_below(r, 6)] : (uint16_t)rng_next(r);
	uint8_t v[2] = {(uint8_t)(p >> 8), (uint8_t)p};
	push(ma, code, v, 2);
}

/* A peer id multihash: Ed25519 or secp256k1 (identity) or sha2-256. */
static void push_peer(struct rng *r, struct lp2p_multiaddr *ma)
{
	uint8_t v[2 + 4 + 33];
	size_t len;

	switch (rng_below(r, 3)) {
	case 0: /* identity of an Ed25519 PublicKey */
		memcpy(v, "\x00\x24\x08\x01\x12\x20", 6);
		rng_bytes(r, v + 6, 32);
		len = 38;
		break;
	case 1: /* identity of a secp256k1 PublicKey */
		memcpy(v, "\x00\x25\x08\x02\x12\x21\x02", 7);
		rng_bytes(r, v + 7, 32);
		len = 39;
		break;
	default: /* sha2-256 */
		memcpy(v, "\x12\x20", 2);
		rng_bytes(r, v + 2, 32);
		len = 34;
		break;
	}
	push(ma, LP2P_MA_P2P, v, len);
}

static void push_certhash(struct rng *r, struct lp2p_multiaddr *ma)
{
	uint8_t v[2 + 64];
	size_t len;

	switch (rng_below(r, 4)) {
	case 0: /* identity, short */
		len = rng_below(r, 20);
		v[0] = 0x00;
		v[1] = (uint8_t)len;
		break;
	case 1: /* sha2-512 */
		len = 64;
		v[0] = 0x13;
		v[1] = 64;
		break;
	default: /* sha2-256, as WebTransport and WebRTC use */
		len = 32;
		v[0] = 0x12;
		v[1] = 32;
		break;
	}
	rng_bytes(r, v + 2, len);
	push(ma, LP2P_MA_CERTHASH, v, len + 2);
}

static void push_host(struct rng *r, struct lp2p_multiaddr *ma)
{
	switch (rng_below(r, 10)) {
	case 0:
	case 1:
	case 2: push_ip4(r, ma); break;
	case 3:
	case 4: push_ip6(r, ma); break;
	case 5:
		push_name(r, ma, LP2P_MA_IP6ZONE);
		push_ip6(r, ma);
		break;
	case 6: push_name(r, ma, LP2P_MA_DNS); break;
	case 7: push_name(r, ma, LP2P_MA_DNS4); break;
	case 8: push_name(r, ma, LP2P_MA_DNS6); break;
	default:
		push_ip4(r, ma);
		if (rng_one_in(r, 2)) {
			uint8_t bits = (uint8_t)rng_below(r, 33);
			push(ma, LP2P_MA_IPCIDR, &bits, 1);
		}
		break;
	}
}

static void tcp_stack(struct rng *r, struct lp2p_multiaddr *ma)
{
	static const uint64_t top[] = {LP2P_MA_WS, LP2P_MA_WSS, LP2P_MA_HTTP,
	                               LP2P_MA_HTTPS, LP2P_MA_NOISE};

	push_port(r, ma, LP2P_MA_TCP);
	if (rng_one_in(r, 3)) {
		push(ma, LP2P_MA_TLS, NULL, 0);
		if (rng_one_in(r, 2))
			push_name(r, ma, LP2P_MA_SNI);
	}
	if (rng_one_in(r, 2))
		push(ma, top[rng_below(r, 5)], NULL, 0);
}

static void udp_stack(struct rng *r, struct lp2p_multiaddr *ma)
{
	push_port(r, ma, LP2P_MA_UDP);
	switch (rng_below(r, 4)) {
	case 0: push(ma, LP2P_MA_QUIC, NULL, 0); break;
	case 1:
		push(ma, LP2P_MA_WEBRTC_DIRECT, NULL, 0);
		push_certhash(r, ma);
		break;
	default:
		push(ma, LP2P_MA_QUIC_V1, NULL, 0);
		if (rng_one_in(r, 2)) {
			push(ma, LP2P_MA_WEBTRANSPORT, NULL, 0);
			for (uint64_t n = rng_below(r, 3); n; n--)
				push_certhash(r, ma);
		}
		break;
	}
}

/* A dialable address, ending in /p2p/<id> or not. */
static void transport(struct rng *r, struct lp2p_multiaddr *ma)
{
	push_host(r, ma);
	if (rng_one_in(r, 2))
		tcp_stack(r, ma);
	else
		udp_stack(r, ma);
}

/* Any component, with a random valid value. */
static void push_any(struct rng *r, struct lp2p_multiaddr *ma)
{
	static const uint64_t flags[] = {
	    LP2P_MA_WEBRTC_DIRECT, LP2P_MA_WEBRTC,       LP2P_MA_P2P_CIRCUIT,
	    LP2P_MA_UDT,           LP2P_MA_UTP,          LP2P_MA_HTTPS,
	    LP2P_MA_TLS,           LP2P_MA_NOISE,        LP2P_MA_QUIC,
	    LP2P_MA_QUIC_V1,       LP2P_MA_WEBTRANSPORT, LP2P_MA_WS,
	    LP2P_MA_WSS,           LP2P_MA_HTTP,
	};
	static const uint64_t names[] = {
	    LP2P_MA_IP6ZONE, LP2P_MA_DNS,     LP2P_MA_DNS4,
	    LP2P_MA_DNS6,    LP2P_MA_DNSADDR, LP2P_MA_SNI,
	};
	static const uint64_t ports[] = {LP2P_MA_TCP, LP2P_MA_UDP, LP2P_MA_DCCP,
	                                 LP2P_MA_SCTP};
	uint8_t bits;

	switch (rng_below(r, 8)) {
	case 0: push_ip4(r, ma); break;
	case 1: push_ip6(r, ma); break;
	case 2: push_name(r, ma, names[rng_below(r, 6)]); break;
	case 3: push_port(r, ma, ports[rng_below(r, 4)]); break;
	case 4: push_peer(r, ma); break;
	case 5: push_certhash(r, ma); break;
	case 6:
		bits = (uint8_t)rng_next(r);
		push(ma, LP2P_MA_IPCIDR, &bits, 1);
		break;
	default: push(ma, flags[rng_below(r, 14)], NULL, 0); break;
	}
}

void xcheck_random_multiaddr(struct rng *r, struct lp2p_multiaddr *ma)
{
	char path[200];

	ma->len = 0;
	switch (rng_below(r, 10)) {
	case 0: /* a relayed address */
		transport(r, ma);
		push_peer(r, ma);
		push(ma, LP2P_MA_P2P_CIRCUIT, NULL, 0);
		if (rng_one_in(r, 3))
			push(ma, LP2P_MA_WEBRTC, NULL, 0);
		else if (rng_one_in(r, 2))
			push_peer(r, ma);
		break;
	case 1: /* dnsaddr, as bootstrap lists have them */
		push_name(r, ma, LP2P_MA_DNSADDR);
		if (rng_one_in(r, 2))
			push_peer(r, ma);
		break;
	case 2: /* a unix socket: a path comes last (see README.md) */
		push(ma, LP2P_MA_UNIX, path, random_path(r, path, sizeof path));
		break;
	case 3:
	case 4: /* component soup: any order is valid in binary */
		for (uint64_t n = 1 + rng_below(r, 8); n; n--)
			push_any(r, ma);
		break;
	default:
		transport(r, ma);
		if (rng_one_in(r, 2))
			push_peer(r, ma);
		break;
	}
}
