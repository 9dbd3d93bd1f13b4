/* test_multiaddr.c - multiaddr binary/text forms, editing, transport view */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <lp2p/multiaddr.h>

#define PEER "QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC"
#define PEER2 "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"
#define CERT "uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned b;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

static struct lp2p_multiaddr ma_of(const char *s)
{
	struct lp2p_multiaddr ma;
	int rc = lp2p_multiaddr_parse(s, strlen(s), &ma);
	if (rc != 0)
		fail_msg("parse %s: %d", s, rc);
	return ma;
}

static void assert_ma_string(const struct lp2p_multiaddr *ma, const char *s)
{
	char out[LP2P_MULTIADDR_STR_MAX];
	int n = lp2p_multiaddr_to_string(ma, out, sizeof out);
	assert_int_equal(n, (int)strlen(s));
	assert_string_equal(out, s);
}

/* Text and binary forms; hex from go-multiaddr's tests or by hand. */
static void binary_vectors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *hex;
	} v[] = {
		{"/ip4/127.0.0.1/udp/1234", "047f000001910204d2"},
		{"/ip4/127.0.0.1/tcp/4321", "047f0000010610e1"},
		{"/ip4/127.0.0.1/udp/1234/ip4/127.0.0.1/tcp/4321",
		 "047f000001910204d2047f0000010610e1"},
		{"/ip6/::1/tcp/4001",
		 "2900000000000000000000000000000001060fa1"},
		{"/dns4/example.com/tcp/443/wss",
		 "360b6578616d706c652e636f6d0601bbde03"},
		{"/ip4/1.2.3.4/udp/443/quic-v1", "040102030491020 1bbcd03"},
		{"/unix/a/b", "9003042f612f62"},
		{"/memory/1234", "890600000000000004d2"},
		{"/ip4/0.0.0.0/tcp/0/p2p-circuit", "0400000000060000a202"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint8_t bin[128];
		char hex[256];
		size_t k = 0;
		/* allow spaces in the table for readability */
		for (const char *h = v[i].hex; *h; h++)
			if (*h != ' ')
				hex[k++] = *h;
		hex[k] = '\0';
		size_t n = unhex(hex, bin, sizeof bin);
		struct lp2p_multiaddr a = ma_of(v[i].text), b;
		assert_int_equal(a.len, n);
		assert_memory_equal(a.bytes, bin, n);
		assert_int_equal(lp2p_multiaddr_from_bytes(bin, n, &b), 0);
		assert_true(lp2p_multiaddr_equal(&a, &b));
		assert_ma_string(&b, v[i].text);
	}
}

/* Every supported protocol round-trips text -> bytes -> same text. */
static void canonical_round_trips(void **state)
{
	(void)state;
	static const char *const ok[] = {
		"/ip4/1.2.3.4/tcp/80",
		"/ip6/2001:db8::1/udp/53",
		"/ip6/::ffff:1.2.3.4/tcp/1",
		"/ip6zone/eth0/ip6/fe80::1/tcp/80",
		"/ip6zone/x%y/ip6/::",
		"/ip4/10.0.0.0/ipcidr/8",
		"/dns/example.com/tcp/1",
		"/dns6/example.com/udp/2/quic",
		"/dnsaddr/bootstrap.libp2p.io",
		"/ip4/1.2.3.4/sctp/9/dccp/10",
		"/ip4/1.2.3.4/udp/5/utp/udt",
		"/ip4/1.2.3.4/tcp/443/tls/sni/example.com/http",
		"/ip4/1.2.3.4/tcp/443/https",
		"/ip4/1.2.3.4/tcp/80/ws/noise",
		"/dns4/example.com/tcp/443/wss/p2p/" PEER,
		"/ip4/127.0.0.1/udp/1234/quic-v1/webtransport/certhash/" CERT,
		"/ip4/127.0.0.1/udp/1234/quic-v1/webtransport/certhash/" CERT
		"/certhash/" CERT,
		"/ip4/1.2.3.4/udp/1/webrtc-direct/certhash/" CERT "/p2p/" PEER2,
		"/ip4/1.2.3.4/tcp/1/p2p/" PEER "/p2p-circuit/webrtc/p2p/" PEER2,
		"/p2p/" PEER,
		"/unix/a/b/c/d/e",
		"/unix/stdio",
		"/ip4/1.2.3.4/tcp/80/unix/a/b/c/d/e/f",
		"/ip4/127.0.0.1/p2p/" PEER "/tcp/1234/unix/stdio",
		"/memory/0",
		"/memory/18446744073709551615",
		"/tcp/65535",
		"/udp/0",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct lp2p_multiaddr a = ma_of(ok[i]), b;
		assert_ma_string(&a, ok[i]);
		assert_int_equal(lp2p_multiaddr_validate(a.bytes, a.len), 0);
		assert_int_equal(lp2p_multiaddr_from_bytes(a.bytes, a.len, &b),
				 0);
		assert_true(lp2p_multiaddr_equal(&a, &b));
	}
}

/* Accepted input forms that print differently. */
static void non_canonical_input(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} v[] = {
		{"/ip4/1.2.3.4/tcp/80/", "/ip4/1.2.3.4/tcp/80"},
		{"/ip4/1.2.3.4/tcp/80///", "/ip4/1.2.3.4/tcp/80"},
		{"/ip6/2001:0DB8:0000:0000:0000:0000:0000:0001/tcp/1",
		 "/ip6/2001:db8::1/tcp/1"},
		{"/tcp/080", "/tcp/80"},
		{"/ipfs/" PEER, "/p2p/" PEER},
		{"/ip4/1.2.3.4/tcp/1/p2p/"
		 "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe",
		 "/ip4/1.2.3.4/tcp/1/p2p/"
		 "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"},
		{"/certhash/b2uaraocy6yrdblb4sfptaddgimjmmpy",
		 "/certhash/u1QEQOFj2IjCsPJFfMAxmQxLGPw"},
		{"/unix/a/b/", "/unix/a/b"},
		/*
		 * IPv4-compatible addresses (deprecated) print as hex words,
		 * as go, rust and js-multiaddr print them; glibc's inet_ntop
		 * would write ::1.2.3.4.  Only IPv4-mapped ones are dotted.
		 */
		{"/ip6/::1.2.3.4/tcp/1", "/ip6/::102:304/tcp/1"},
		{"/ip6/::255.0.0.0", "/ip6/::ff00:0"},
		{"/ip6/::0.0.0.2", "/ip6/::2"},
		{"/ip6/::ffff:0102:0304", "/ip6/::ffff:1.2.3.4"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct lp2p_multiaddr a = ma_of(v[i].in);
		assert_ma_string(&a, v[i].out);
		struct lp2p_multiaddr b = ma_of(v[i].out);
		assert_true(lp2p_multiaddr_equal(&a, &b));
	}
}

static void bad_strings(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int err;
	} v[] = {
		{"", LP2P_EPROTO},
		{"/", LP2P_EPROTO},
		{"//", LP2P_EPROTO},
		{"ip4/1.2.3.4", LP2P_EPROTO},
		{"/ip4", LP2P_EPROTO},
		{"/ip4/", LP2P_EPROTO},
		{"/ip4//tcp/1", LP2P_EPROTO},
		{"/ip4/1.2.3", LP2P_EPROTO},
		{"/ip4/256.0.0.1", LP2P_EPROTO},
		{"/ip4/1.2.3.4.5", LP2P_EPROTO},
		{"/ip4/::1", LP2P_EPROTO},
		{"/ip6/1.2.3.4", LP2P_EPROTO},
		{"/ip6/::g", LP2P_EPROTO},
		{"/ip6/fe80::1%eth0", LP2P_EPROTO},
		{"/ip4/1.2.3.4//tcp/1", LP2P_EPROTO},
		{"/tcp/65536", LP2P_EPROTO},
		{"/tcp/99999999999999999999999", LP2P_EPROTO},
		{"/tcp/-1", LP2P_EPROTO},
		{"/tcp/+1", LP2P_EPROTO},
		{"/tcp/ 1", LP2P_EPROTO},
		{"/udp/1x", LP2P_EPROTO},
		{"/udp", LP2P_EPROTO},
		{"/ipcidr/256", LP2P_EPROTO},
		{"/memory/18446744073709551616", LP2P_EPROTO},
		{"/ip6zone", LP2P_EPROTO},
		{"/ip6zone/", LP2P_EPROTO},
		{"/ip6zone//ip6/fe80::1", LP2P_EPROTO},
		{"/dns4//tcp/1", LP2P_EPROTO},
		{"/dns", LP2P_EPROTO},
		{"/unix", LP2P_EPROTO},
		{"/unix/", LP2P_EPROTO},
		{"/ip4/1.2.3.4/tcp/80/unix", LP2P_EPROTO},
		{"/p2p", LP2P_EPROTO},
		{"/p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNK",
		 LP2P_EPROTO},
		{"/p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNK0",
		 LP2P_EPROTO},
		{"/ip4/127.0.0.1/ipfs/tcp", LP2P_EPROTO},
		{"/certhash", LP2P_EPROTO},
		{"/certhash/b2uaraocy6yrdblb4sfptaddgimjmmp", LP2P_EPROTO},
		{"/certhash/xyz", LP2P_EPROTO},
		{"/ip4/1.2.3.4/foo/1", LP2P_ENOTSUP},
		{"/ws/x", LP2P_ENOTSUP},
		{"/IP4/1.2.3.4", LP2P_ENOTSUP},
		{"/onion3/vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd:1234",
		 LP2P_ENOTSUP},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct lp2p_multiaddr ma = {.len = 3};
		int rc = lp2p_multiaddr_parse(v[i].s, strlen(v[i].s), &ma);
		if (rc != v[i].err)
			fail_msg("%s: got %d, want %d", v[i].s, rc, v[i].err);
		assert_int_equal(ma.len, 3); /* untouched */
	}
	/* A NUL inside the given length. */
	struct lp2p_multiaddr ma;
	assert_int_equal(lp2p_multiaddr_parse("/dns/a\0b", 8, &ma),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_multiaddr_parse(NULL, 0, &ma), LP2P_EPROTO);
}

static void long_values(void **state)
{
	(void)state;
	char s[2000];
	struct lp2p_multiaddr ma;
	/* A 255-byte name is fine, 256 is not. */
	strcpy(s, "/dns/");
	memset(s + 5, 'a', 255);
	s[260] = '\0';
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), &ma), 0);
	assert_int_equal(ma.len, 1 + 2 + 255);
	strcpy(s + 260, "a");
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), &ma), LP2P_EPROTO);
	/* More than LP2P_MULTIADDR_MAX_LEN bytes. */
	size_t pos = 0;
	for (int i = 0; i < 110; i++)
		pos += (size_t)sprintf(s + pos, "/ip4/1.2.3.4");
	assert_int_equal(lp2p_multiaddr_parse(s, pos, &ma), LP2P_ERANGE);
	/* A long unix path too. */
	strcpy(s, "/unix/");
	memset(s + 6, 'p', 600);
	s[606] = '\0';
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), &ma), LP2P_ERANGE);
}

static void bad_bytes(void **state)
{
	(void)state;
	static const struct {
		const char *hex;
		int err;
		const char *why;
	} v[] = {
		{"05", LP2P_ENOTSUP, "unknown code"},
		{"ffff03", LP2P_ENOTSUP, "unknown two-byte code"},
		{"047f00", LP2P_ETRUNC, "truncated ip4"},
		{"047f0000010610", LP2P_ETRUNC, "truncated port"},
		{"06", LP2P_ETRUNC, "code without value"},
		{"84007f000001", LP2P_EPROTO, "non-minimal code varint"},
		{"ffffffffffffffffff01", LP2P_EPROTO, "10-byte code varint"},
		{"80", LP2P_ETRUNC, "truncated code varint"},
		{"35056162", LP2P_ETRUNC, "value shorter than its length"},
		{"35", LP2P_ETRUNC, "missing length"},
		{"358100", LP2P_EPROTO, "non-minimal length varint"},
		{"3500", LP2P_EPROTO, "empty dns"},
		{"3503612f62", LP2P_EPROTO, "dns with a slash"},
		{"3503610062", LP2P_EPROTO, "dns with a NUL"},
		{"2a00", LP2P_EPROTO, "empty ip6zone"},
		{"2a012f", LP2P_EPROTO, "ip6zone slash"},
		{"c10300", LP2P_EPROTO, "empty sni"},
		{"9003012f", LP2P_EPROTO, "unix path '/'"},
		{"900302612f", LP2P_EPROTO, "unix path without '/'"},
		{"9003032f612f", LP2P_EPROTO, "unix path ending in '/'"},
		{"9003022f61060050", LP2P_EPROTO, "component after unix"},
		{"a50300", LP2P_EPROTO, "empty p2p"},
		{"a503031201aa", LP2P_EPROTO, "p2p sha2-256 of 1 byte"},
		{"a50304130201aa", LP2P_EPROTO, "p2p sha2-512"},
		{"d20300", LP2P_EPROTO, "empty certhash"},
		{"d2030312ff01", LP2P_EPROTO, "certhash bad multihash"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint8_t bin[64];
		struct lp2p_multiaddr ma = {.len = 5};
		size_t n = unhex(v[i].hex, bin, sizeof bin);
		int rc = lp2p_multiaddr_from_bytes(bin, n, &ma);
		if (rc != v[i].err)
			fail_msg("%s: got %d, want %d", v[i].why, rc, v[i].err);
		assert_int_equal(lp2p_multiaddr_validate(bin, n), v[i].err);
		assert_int_equal(ma.len, 5);
	}
	uint8_t big[LP2P_MULTIADDR_MAX_LEN + 5];
	for (size_t i = 0; i + 5 <= sizeof big; i += 5)
		memcpy(big + i, "\x04\x01\x02\x03\x04", 5);
	assert_int_equal(lp2p_multiaddr_validate(big, sizeof big), LP2P_ERANGE);
	assert_int_equal(lp2p_multiaddr_validate(big, LP2P_MULTIADDR_MAX_LEN),
			 LP2P_ETRUNC);
	assert_int_equal(lp2p_multiaddr_validate(big, 510), 0);
	assert_int_equal(lp2p_multiaddr_validate(big, 0), LP2P_EPROTO);
	assert_int_equal(lp2p_multiaddr_validate(NULL, 0), LP2P_EPROTO);
}

static void iterate_components(void **state)
{
	(void)state;
	struct lp2p_multiaddr ma = ma_of("/ip4/1.2.3.4/tcp/80/ws/p2p/" PEER);
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component c;
	static const uint64_t codes[] = {LP2P_MA_IP4, LP2P_MA_TCP, LP2P_MA_WS,
					 LP2P_MA_P2P};
	static const char *const values[] = {"1.2.3.4", "80", "", PEER};
	char v[LP2P_MULTIADDR_STR_MAX];
	size_t i = 0, next = 0;
	lp2p_multiaddr_iter_init(&it, ma.bytes, ma.len);
	while (lp2p_multiaddr_iter_next(&it, &c) == 1) {
		assert_true(i < 4);
		assert_true(c.code == codes[i]);
		assert_string_equal(c.name, lp2p_multiaddr_proto_name(c.code));
		assert_int_equal(c.offset, next);
		next += c.len;
		assert_int_equal(lp2p_multiaddr_value_to_string(&c, v, sizeof v),
				 (int)strlen(values[i]));
		assert_string_equal(v, values[i]);
		i++;
	}
	assert_int_equal(i, 4);
	assert_int_equal(next, ma.len);
	assert_int_equal(lp2p_multiaddr_iter_next(&it, &c), 0);
	/* A broken buffer stops the iterator with the error, repeatedly. */
	const uint8_t broken[] = {0x04, 1, 2, 3, 4, 0x06, 0x00};
	lp2p_multiaddr_iter_init(&it, broken, sizeof broken);
	assert_int_equal(lp2p_multiaddr_iter_next(&it, &c), 1);
	assert_int_equal(lp2p_multiaddr_iter_next(&it, &c), LP2P_ETRUNC);
	assert_int_equal(lp2p_multiaddr_iter_next(&it, &c), LP2P_ETRUNC);
	lp2p_multiaddr_iter_init(&it, NULL, 5);
	assert_int_equal(lp2p_multiaddr_iter_next(&it, &c), 0);
	/* Short output for a value. */
	lp2p_multiaddr_iter_init(&it, ma.bytes, ma.len);
	assert_int_equal(lp2p_multiaddr_iter_next(&it, &c), 1);
	assert_int_equal(lp2p_multiaddr_value_to_string(&c, v, 7),
			 LP2P_ERANGE);
	assert_int_equal(lp2p_multiaddr_value_to_string(&c, v, 8), 7);
	c.code = 0x05;
	assert_int_equal(lp2p_multiaddr_value_to_string(&c, v, sizeof v),
			 LP2P_ENOTSUP);
	assert_null(lp2p_multiaddr_proto_name(0x05));
	assert_string_equal(lp2p_multiaddr_proto_name(LP2P_MA_MEMORY),
			    "memory");
}

static void to_string_limits(void **state)
{
	(void)state;
	const char *s = "/ip4/1.2.3.4/tcp/80/ws";
	struct lp2p_multiaddr ma = ma_of(s);
	char out[64];
	size_t len = strlen(s);
	for (size_t cap = 0; cap <= len; cap++)
		assert_int_equal(lp2p_multiaddr_to_string(&ma, out, cap),
				 LP2P_ERANGE);
	assert_int_equal(lp2p_multiaddr_to_string(&ma, out, len + 1),
			 (int)len);
	struct lp2p_multiaddr empty = {0};
	assert_int_equal(lp2p_multiaddr_to_string(&empty, out, sizeof out), 0);
	assert_string_equal(out, "");
	/* A hand-broken value is refused, not printed. */
	ma.len = 3;
	assert_int_equal(lp2p_multiaddr_to_string(&ma, out, sizeof out),
			 LP2P_EPROTO);
	ma.len = LP2P_MULTIADDR_MAX_LEN + 1;
	assert_int_equal(lp2p_multiaddr_to_string(&ma, out, sizeof out),
			 LP2P_EPROTO);
}

/* The worst case text expansion fits LP2P_MULTIADDR_STR_MAX. */
static void longest_text_fits(void **state)
{
	(void)state;
	struct lp2p_multiaddr ma = {0};
	char out[LP2P_MULTIADDR_STR_MAX];
	while (lp2p_multiaddr_push(&ma, LP2P_MA_WEBRTC_DIRECT, NULL, 0) == 0)
		;
	assert_int_equal(ma.len, LP2P_MULTIADDR_MAX_LEN);
	int n = lp2p_multiaddr_to_string(&ma, out, sizeof out);
	assert_int_equal(n, 256 * 14);
}

static void encapsulate_decapsulate(void **state)
{
	(void)state;
	struct lp2p_multiaddr ma = ma_of("/ip4/1.2.3.4/tcp/80");
	struct lp2p_multiaddr tail = ma_of("/ws/p2p/" PEER);
	assert_int_equal(lp2p_multiaddr_encapsulate(&ma, &tail), 0);
	assert_ma_string(&ma, "/ip4/1.2.3.4/tcp/80/ws/p2p/" PEER);
	assert_int_equal(lp2p_multiaddr_decapsulate(&ma, LP2P_MA_WS), 0);
	assert_ma_string(&ma, "/ip4/1.2.3.4/tcp/80");
	assert_int_equal(lp2p_multiaddr_decapsulate(&ma, LP2P_MA_UDP),
			 LP2P_ENOTFOUND);
	assert_ma_string(&ma, "/ip4/1.2.3.4/tcp/80");
	/* From the last occurrence. */
	ma = ma_of("/ip4/1.2.3.4/tcp/1/p2p/" PEER "/p2p-circuit/p2p/" PEER2);
	assert_int_equal(lp2p_multiaddr_decapsulate(&ma, LP2P_MA_P2P), 0);
	assert_ma_string(&ma, "/ip4/1.2.3.4/tcp/1/p2p/" PEER "/p2p-circuit");
	assert_int_equal(lp2p_multiaddr_decapsulate(&ma, LP2P_MA_IP4), 0);
	assert_int_equal(ma.len, 0);
	/* Encapsulating into an empty multiaddr, and an empty tail. */
	assert_int_equal(lp2p_multiaddr_encapsulate(&ma, &tail), 0);
	assert_ma_string(&ma, "/ws/p2p/" PEER);
	struct lp2p_multiaddr empty = {0};
	assert_int_equal(lp2p_multiaddr_encapsulate(&ma, &empty), 0);
	assert_ma_string(&ma, "/ws/p2p/" PEER);
	/* Nothing after a unix path. */
	ma = ma_of("/unix/tmp/sock");
	assert_int_equal(lp2p_multiaddr_encapsulate(&ma, &tail), LP2P_EPROTO);
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_WS, NULL, 0),
			 LP2P_EPROTO);
	assert_ma_string(&ma, "/unix/tmp/sock");
	/* Too long. */
	ma = (struct lp2p_multiaddr){0};
	while (ma.len + 5 <= LP2P_MULTIADDR_MAX_LEN)
		assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_IP4,
						     (const uint8_t *)"abcd",
						     4),
				 0);
	uint16_t before = ma.len;
	assert_int_equal(lp2p_multiaddr_encapsulate(&ma, &tail), LP2P_ERANGE);
	assert_int_equal(ma.len, before);
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_IP4,
					     (const uint8_t *)"abcd", 4),
			 LP2P_ERANGE);
	/* A broken tail is refused. */
	ma = ma_of("/ip4/1.2.3.4");
	tail.len = 3;
	assert_int_equal(lp2p_multiaddr_encapsulate(&ma, &tail), LP2P_ETRUNC);
}

static void push_components(void **state)
{
	(void)state;
	struct lp2p_multiaddr ma = {0};
	const uint8_t ip[4] = {127, 0, 0, 1}, port[2] = {0x0f, 0xa1};
	struct lp2p_peer_id id;
	assert_int_equal(lp2p_peer_id_parse(PEER, strlen(PEER), &id), 0);
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_IP4, ip, 4), 0);
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_TCP, port, 2), 0);
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_P2P, id.bytes,
					     id.len),
			 0);
	assert_ma_string(&ma, "/ip4/127.0.0.1/tcp/4001/p2p/" PEER);
	/* Bad values and codes leave ma unchanged. */
	uint16_t len = ma.len;
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_IP4, ip, 3),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_WS, ip, 1),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_DNS,
					     (const uint8_t *)"a/b", 3),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_P2P, ip, 4),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_multiaddr_push(&ma, 0x05, NULL, 0),
			 LP2P_ENOTSUP);
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_DNS, NULL, 3),
			 LP2P_EINVAL);
	assert_int_equal(ma.len, len);
}

static void split_peer_id(void **state)
{
	(void)state;
	struct lp2p_multiaddr ma = ma_of("/ip4/1.2.3.4/tcp/80/p2p/" PEER);
	struct lp2p_peer_id id, want;
	assert_int_equal(lp2p_peer_id_parse(PEER, strlen(PEER), &want), 0);
	assert_int_equal(lp2p_multiaddr_peer_id(&ma, &id, false), 0);
	assert_true(lp2p_peer_id_equal(&id, &want));
	assert_ma_string(&ma, "/ip4/1.2.3.4/tcp/80/p2p/" PEER);
	memset(&id, 0, sizeof id);
	assert_int_equal(lp2p_multiaddr_peer_id(&ma, &id, true), 0);
	assert_true(lp2p_peer_id_equal(&id, &want));
	assert_ma_string(&ma, "/ip4/1.2.3.4/tcp/80");
	assert_int_equal(lp2p_multiaddr_peer_id(&ma, &id, true),
			 LP2P_ENOTFOUND);
	ma = ma_of("/p2p/" PEER "/p2p-circuit");
	assert_int_equal(lp2p_multiaddr_peer_id(&ma, NULL, true),
			 LP2P_ENOTFOUND);
	ma.len = 0;
	assert_int_equal(lp2p_multiaddr_peer_id(&ma, NULL, true),
			 LP2P_ENOTFOUND);
	ma = ma_of("/p2p/" PEER2);
	assert_int_equal(lp2p_multiaddr_peer_id(&ma, NULL, true), 0);
	assert_int_equal(ma.len, 0);
}

static void equality(void **state)
{
	(void)state;
	struct lp2p_multiaddr a = ma_of("/ip4/1.2.3.4/tcp/80");
	struct lp2p_multiaddr b = ma_of("/ip4/1.2.3.4/tcp/81");
	struct lp2p_multiaddr c = ma_of("/ip4/1.2.3.4/tcp/80/ws");
	assert_true(lp2p_multiaddr_equal(&a, &a));
	assert_false(lp2p_multiaddr_equal(&a, &b));
	assert_false(lp2p_multiaddr_equal(&a, &c));
	b = a;
	assert_true(lp2p_multiaddr_equal(&a, &b));
}

static void host_port_ip(void **state)
{
	(void)state;
	struct lp2p_multiaddr_hostport hp;
	struct lp2p_multiaddr ma = ma_of("/ip4/192.0.2.1/tcp/4001/ws");
	assert_int_equal(lp2p_multiaddr_host_port(&ma, &hp), 0);
	assert_true(hp.host_code == LP2P_MA_IP4);
	assert_true(hp.transport_code == LP2P_MA_TCP);
	assert_int_equal(hp.port, 4001);
	assert_int_equal(hp.consumed, 8);
	assert_int_equal(hp.addr_len, sizeof(struct sockaddr_in));
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&hp.addr;
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 4001);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0xc0000201);
	assert_string_equal(hp.name, "");

	ma = ma_of("/ip6zone/3/ip6/fe80::1/udp/53/quic-v1");
	assert_int_equal(lp2p_multiaddr_host_port(&ma, &hp), 0);
	assert_true(hp.host_code == LP2P_MA_IP6);
	assert_true(hp.transport_code == LP2P_MA_UDP);
	const struct sockaddr_in6 *sin6 =
		(const struct sockaddr_in6 *)&hp.addr;
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 53);
	assert_int_equal(sin6->sin6_scope_id, 3);
	assert_int_equal(sin6->sin6_addr.s6_addr[0], 0xfe);
	assert_int_equal(sin6->sin6_addr.s6_addr[15], 0x01);
	assert_int_equal(hp.addr_len, sizeof(struct sockaddr_in6));
	assert_string_equal(hp.zone, "");

	ma = ma_of("/ip6zone/eth0/ip6/fe80::1/tcp/1");
	assert_int_equal(lp2p_multiaddr_host_port(&ma, &hp), 0);
	assert_string_equal(hp.zone, "eth0");
	assert_int_equal(((struct sockaddr_in6 *)&hp.addr)->sin6_scope_id, 0);
}

static void host_port_dns_and_refusals(void **state)
{
	(void)state;
	struct lp2p_multiaddr_hostport hp;
	struct lp2p_multiaddr ma = ma_of("/dns4/example.com/tcp/443/wss");
	assert_int_equal(lp2p_multiaddr_host_port(&ma, &hp), 0);
	assert_true(hp.host_code == LP2P_MA_DNS4);
	assert_string_equal(hp.name, "example.com");
	assert_int_equal(hp.addr.ss_family, AF_UNSPEC);
	assert_int_equal(hp.addr_len, 0);
	assert_int_equal(hp.port, 443);
	static const char *const no[] = {
		"/dnsaddr/example.com",
		"/dnsaddr/example.com/tcp/1",
		"/ip4/1.2.3.4",
		"/ip4/1.2.3.4/ws",
		"/tcp/1",
		"/ip6zone/eth0/ip4/1.2.3.4/tcp/1",
		"/ip6zone/eth0",
		("/p2p/" PEER),
		"/unix/tmp/sock",
		"/ip4/1.2.3.4/sctp/1",
	};
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		ma = ma_of(no[i]);
		if (lp2p_multiaddr_host_port(&ma, &hp) != LP2P_ENOTSUP)
			fail_msg("%s accepted", no[i]);
	}
	ma.len = 0;
	assert_int_equal(lp2p_multiaddr_host_port(&ma, &hp), LP2P_ENOTSUP);
}

static void is_tcp(void **state)
{
	(void)state;
	static const char *const yes[] = {
		"/ip4/1.2.3.4/tcp/1",
		"/ip6/::1/tcp/1",
		"/ip6zone/eth0/ip6/fe80::1/tcp/1",
		"/dns/example.com/tcp/1",
		"/dns4/example.com/tcp/1",
		"/dns6/example.com/tcp/1/p2p/" PEER,
		"/ip4/1.2.3.4/tcp/1/p2p/" PEER,
	};
	static const char *const no[] = {
		"/ip4/1.2.3.4/udp/1",
		"/ip4/1.2.3.4/tcp/1/ws",
		"/ip4/1.2.3.4/tcp/1/p2p/" PEER "/p2p-circuit",
		"/ip4/1.2.3.4/tcp/1/p2p/" PEER "/p2p/" PEER,
		"/dnsaddr/example.com",
		"/ip4/1.2.3.4",
	};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		struct lp2p_multiaddr ma = ma_of(yes[i]);
		if (!lp2p_multiaddr_is_tcp(&ma))
			fail_msg("%s is tcp", yes[i]);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		struct lp2p_multiaddr ma = ma_of(no[i]);
		if (lp2p_multiaddr_is_tcp(&ma))
			fail_msg("%s is not tcp", no[i]);
	}
}

static void from_sockaddr(void **state)
{
	(void)state;
	struct lp2p_multiaddr ma;
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(4001)};
	inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
	assert_int_equal(lp2p_multiaddr_from_sockaddr((struct sockaddr *)&sin,
						      sizeof sin, LP2P_MA_TCP,
						      &ma),
			 0);
	assert_ma_string(&ma, "/ip4/10.1.2.3/tcp/4001");

	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
				    .sin6_port = htons(53)};
	inet_pton(AF_INET6, "2001:db8::5", &sin6.sin6_addr);
	assert_int_equal(lp2p_multiaddr_from_sockaddr(
				 (struct sockaddr *)&sin6, sizeof sin6,
				 LP2P_MA_UDP, &ma),
			 0);
	assert_ma_string(&ma, "/ip6/2001:db8::5/udp/53");

	sin6.sin6_scope_id = 7;
	inet_pton(AF_INET6, "fe80::2", &sin6.sin6_addr);
	assert_int_equal(lp2p_multiaddr_from_sockaddr(
				 (struct sockaddr *)&sin6, sizeof sin6,
				 LP2P_MA_TCP, &ma),
			 0);
	assert_ma_string(&ma, "/ip6zone/7/ip6/fe80::2/tcp/53");
	/* ... and back, with the scope id. */
	struct lp2p_multiaddr_hostport hp;
	assert_int_equal(lp2p_multiaddr_host_port(&ma, &hp), 0);
	assert_memory_equal(&hp.addr, &sin6, sizeof sin6);

	sin6.sin6_scope_id = 0;
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &sin6.sin6_addr);
	assert_int_equal(lp2p_multiaddr_from_sockaddr(
				 (struct sockaddr *)&sin6, sizeof sin6,
				 LP2P_MA_TCP, &ma),
			 0);
	assert_ma_string(&ma, "/ip4/192.0.2.9/tcp/53");

	ma.len = 9;
	assert_int_equal(lp2p_multiaddr_from_sockaddr((struct sockaddr *)&sin,
						      sizeof sin - 1,
						      LP2P_MA_TCP, &ma),
			 LP2P_EINVAL);
	assert_int_equal(lp2p_multiaddr_from_sockaddr((struct sockaddr *)&sin,
						      sizeof sin, LP2P_MA_WS,
						      &ma),
			 LP2P_EINVAL);
	struct sockaddr sa = {.sa_family = AF_UNIX};
	assert_int_equal(lp2p_multiaddr_from_sockaddr(&sa, sizeof sa,
						      LP2P_MA_TCP, &ma),
			 LP2P_EINVAL);
	assert_int_equal(ma.len, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(binary_vectors),
		cmocka_unit_test(canonical_round_trips),
		cmocka_unit_test(non_canonical_input),
		cmocka_unit_test(bad_strings),
		cmocka_unit_test(long_values),
		cmocka_unit_test(bad_bytes),
		cmocka_unit_test(iterate_components),
		cmocka_unit_test(to_string_limits),
		cmocka_unit_test(longest_text_fits),
		cmocka_unit_test(encapsulate_decapsulate),
		cmocka_unit_test(push_components),
		cmocka_unit_test(split_peer_id),
		cmocka_unit_test(equality),
		cmocka_unit_test(host_port_ip),
		cmocka_unit_test(host_port_dns_and_refusals),
		cmocka_unit_test(is_tcp),
		cmocka_unit_test(from_sockaddr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
