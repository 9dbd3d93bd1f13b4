/* test_packed_ma.c - multiaddrs stored at their own length: inline up to
 * LP2P_PACKED_MA_INLINE bytes, on the heap beyond, read back exactly */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "swarm/packed_ma.h"

static struct lp2p_multiaddr parse(const char *s)
{
	struct lp2p_multiaddr ma;
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), &ma), 0);
	return ma;
}

/* /dns4/<name>/tcp/1 whose binary form is exactly len bytes */
static struct lp2p_multiaddr dns_of_len(size_t len)
{
	/* code, length varint (1 byte below 128), name, tcp code, port */
	size_t name_len = len - 1 - (len - 5 >= 128 ? 2 : 1) - 3;
	char s[LP2P_MULTIADDR_STR_MAX];
	int n = snprintf(s, sizeof s, "/dns4/");
	memset(s + n, 'a', name_len);
	snprintf(s + n + name_len, sizeof s - n - name_len, "/tcp/1");
	struct lp2p_multiaddr ma = parse(s);
	assert_int_equal(ma.len, len);
	return ma;
}

static void round_trip(const struct lp2p_multiaddr *ma)
{
	struct lp2p_packed_ma p = {0};
	assert_int_equal(lp2p_packed_ma_set(&p, ma), 0);
	assert_int_equal(p.len, ma->len);
	assert_true(lp2p_packed_ma_equal(&p, ma));
	assert_memory_equal(lp2p_packed_ma_bytes(&p), ma->bytes, ma->len);
	struct lp2p_multiaddr out;
	memset(&out, 0xa5, sizeof out);
	lp2p_packed_ma_get(&p, &out);
	assert_true(lp2p_multiaddr_equal(&out, ma));
	lp2p_packed_ma_release(&p);
	assert_int_equal(p.len, 0);
}

static void ip_addresses_inline(void **state)
{
	(void)state;
	struct lp2p_multiaddr ip4 = parse("/ip4/192.0.2.7/tcp/4001");
	struct lp2p_multiaddr ip6 = parse("/ip6/2001:db8::1/tcp/4001");
	assert_true(ip4.len <= LP2P_PACKED_MA_INLINE);
	assert_true(ip6.len <= LP2P_PACKED_MA_INLINE);
	round_trip(&ip4);
	round_trip(&ip6);
}

/* Both sides of the inline limit, and the longest multiaddr there is. */
static void long_addresses(void **state)
{
	(void)state;
	size_t lens[] = {LP2P_PACKED_MA_INLINE, LP2P_PACKED_MA_INLINE + 1, 200,
	                 260};
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		struct lp2p_multiaddr ma = dns_of_len(lens[i]);
		round_trip(&ma);
	}
	/* 255-byte names pushed onto one multiaddr up to the 512-byte cap */
	struct lp2p_multiaddr max = {0};
	uint8_t name[255];
	memset(name, 'b', sizeof name);
	assert_int_equal(lp2p_multiaddr_push(&max, LP2P_MA_DNS, name, 255), 0);
	assert_int_equal(lp2p_multiaddr_push(&max, LP2P_MA_SNI, name, 250), 0);
	assert_true(max.len > 500 && max.len <= LP2P_MULTIADDR_MAX_LEN);
	round_trip(&max);
}

static void empty(void **state)
{
	(void)state;
	struct lp2p_packed_ma p = {0};
	struct lp2p_multiaddr none = {0}, out = parse("/ip4/1.2.3.4/tcp/5");
	assert_true(lp2p_packed_ma_equal(&p, &none));
	lp2p_packed_ma_get(&p, &out);
	assert_int_equal(out.len, 0);
	assert_int_equal(lp2p_packed_ma_set(&p, &none), 0);
	assert_int_equal(p.len, 0);
	lp2p_packed_ma_release(&p);
}

/* Setting again replaces the value, heap or inline (ASan sees a leak). */
static void replace(void **state)
{
	(void)state;
	struct lp2p_multiaddr ip4 = parse("/ip4/10.0.0.1/tcp/1");
	struct lp2p_multiaddr long1 = dns_of_len(100), long2 = dns_of_len(90);
	struct lp2p_packed_ma p = {0};
	assert_int_equal(lp2p_packed_ma_set(&p, &long1), 0);
	assert_int_equal(lp2p_packed_ma_set(&p, &long2), 0);
	assert_true(lp2p_packed_ma_equal(&p, &long2));
	assert_false(lp2p_packed_ma_equal(&p, &long1));
	assert_int_equal(lp2p_packed_ma_set(&p, &ip4), 0);
	assert_true(lp2p_packed_ma_equal(&p, &ip4));
	assert_int_equal(lp2p_packed_ma_set(&p, &long1), 0);
	assert_true(lp2p_packed_ma_equal(&p, &long1));
	lp2p_packed_ma_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ip_addresses_inline),
	    cmocka_unit_test(long_addresses),
	    cmocka_unit_test(empty),
	    cmocka_unit_test(replace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
