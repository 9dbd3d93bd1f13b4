/*
 * test_message.c - the length-prefixed message reader: whole messages in
 * pieces of every size, zero-copy for whole pieces, the maximum checked
 * before anything is allocated or reserved, malformed lengths, stopping,
 * sticky errors, the memory charge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/message.h>

struct got {
	size_t n;
	size_t lens[16];
	uint8_t bytes[4096];
	size_t used;
	const uint8_t *last_ptr;
	int stop_after; /* >0: stop after this many; <0: fail with it */
};

static int collect(void *arg, const uint8_t *msg, size_t len)
{
	struct got *g = arg;
	assert_true(g->n < 16);
	g->lens[g->n++] = len;
	memcpy(g->bytes + g->used, msg, len);
	g->used += len;
	g->last_ptr = msg;
	if (g->stop_after < 0)
		return g->stop_after;
	return g->stop_after && (int)g->n >= g->stop_after;
}

/* Three messages: "", "a", 300 x 'x' (a two-byte length). */
static size_t three(uint8_t *out)
{
	size_t n = 0;
	n += lp2p_msg_prefix(0, out + n);
	n += lp2p_msg_prefix(1, out + n);
	out[n++] = 'a';
	n += lp2p_msg_prefix(300, out + n);
	memset(out + n, 'x', 300);
	return n + 300;
}

static void every_split(void **state)
{
	(void)state;
	uint8_t in[400];
	size_t len = three(in);
	for (size_t cut = 0; cut <= len; cut++) {
		lp2p_msg_reader *r;
		assert_int_equal(lp2p_msg_reader_new(300, &r), 0);
		struct got g = {0};
		assert_int_equal(lp2p_msg_reader_feed(r, in, cut, collect, &g),
		                 (ssize_t)cut);
		assert_int_equal(
		    lp2p_msg_reader_feed(r, in + cut, len - cut, collect, &g),
		    (ssize_t)(len - cut));
		assert_int_equal(g.n, 3);
		assert_int_equal(g.lens[0], 0);
		assert_int_equal(g.lens[1], 1);
		assert_int_equal(g.lens[2], 300);
		assert_int_equal(g.bytes[0], 'a');
		assert_false(lp2p_msg_reader_partial(r));
		lp2p_msg_reader_free(r);
	}
	/* byte by byte */
	lp2p_msg_reader *r;
	assert_int_equal(lp2p_msg_reader_new(300, &r), 0);
	struct got g = {0};
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(lp2p_msg_reader_feed(r, in + i, 1, collect, &g),
		                 1);
		assert_int_equal(lp2p_msg_reader_partial(r),
		                 i + 1 != 1 && i + 1 != 3 && i + 1 != len);
	}
	assert_int_equal(g.n, 3);
	lp2p_msg_reader_free(r);
}

static void whole_is_not_copied(void **state)
{
	(void)state;
	uint8_t in[400];
	size_t len = three(in);
	lp2p_msg_reader *r;
	assert_int_equal(lp2p_msg_reader_new(1000, &r), 0);
	struct got g = {0};
	assert_int_equal(lp2p_msg_reader_feed(r, in, len, collect, &g),
	                 (ssize_t)len);
	assert_ptr_equal(g.last_ptr, in + len - 300);
	lp2p_msg_reader_free(r);
}

static size_t reserved, charges;
static int reserve_cb(void *arg, size_t n)
{
	(void)arg;
	if (reserved + n > 200)
		return LP2P_ELIMIT;
	reserved += n;
	charges++;
	return 0;
}
static void release_cb(void *arg, size_t n)
{
	(void)arg;
	assert_true(n <= reserved);
	reserved -= n;
}

static void too_long_refused_before_buffering(void **state)
{
	(void)state;
	lp2p_msg_reader *r;
	assert_int_equal(lp2p_msg_reader_new(299, &r), 0);
	lp2p_msg_reader_charge(r, reserve_cb, release_cb, NULL);
	reserved = charges = 0;
	uint8_t in[400];
	size_t len = three(in);
	struct got g = {0};
	/* only the two-byte length of the third: refused at once */
	assert_int_equal(lp2p_msg_reader_feed(r, in, 5, collect, &g),
	                 LP2P_ERANGE);
	assert_int_equal(g.n, 2);
	assert_int_equal(charges, 0);
	/* sticky */
	assert_int_equal(lp2p_msg_reader_feed(r, in + 5, len - 5, collect, &g),
	                 LP2P_ERANGE);
	lp2p_msg_reader_free(r);

	/* a huge length: refused, nothing allocated */
	uint8_t huge[9] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
	assert_int_equal(lp2p_msg_reader_new(1 << 20, &r), 0);
	assert_int_equal(lp2p_msg_reader_feed(r, huge, 9, collect, &g),
	                 LP2P_ERANGE);
	lp2p_msg_reader_free(r);
}

static void charge_and_limit(void **state)
{
	(void)state;
	lp2p_msg_reader *r;
	reserved = charges = 0;
	assert_int_equal(lp2p_msg_reader_new(1000, &r), 0);
	lp2p_msg_reader_charge(r, reserve_cb, release_cb, NULL);
	uint8_t in[400];
	size_t len = three(in);
	struct got g = {0};
	/* split inside the 300-byte one: the reserve refuses 300 > 200 */
	assert_int_equal(lp2p_msg_reader_feed(r, in, len - 1, collect, &g),
	                 LP2P_ELIMIT);
	assert_int_equal(reserved, 0);
	lp2p_msg_reader_free(r);

	/* a split message within the limit is charged, then released */
	assert_int_equal(lp2p_msg_reader_new(1000, &r), 0);
	lp2p_msg_reader_charge(r, reserve_cb, release_cb, NULL);
	uint8_t m[102];
	m[0] = 100;
	memset(m + 1, 'y', 101);
	assert_int_equal(lp2p_msg_reader_feed(r, m, 50, collect, &g), 50);
	assert_int_equal(reserved, 100);
	assert_int_equal(lp2p_msg_reader_feed(r, m + 50, 51, collect, &g), 51);
	assert_int_equal(reserved, 0);
	/* freed in the middle of one: released too */
	assert_int_equal(lp2p_msg_reader_feed(r, m, 20, collect, &g), 20);
	assert_int_equal(reserved, 100);
	lp2p_msg_reader_free(r);
	assert_int_equal(reserved, 0);
}

static void malformed_lengths(void **state)
{
	(void)state;
	lp2p_msg_reader *r;
	struct got g = {0};
	/* not minimal */
	static const uint8_t nonmin[] = {0x80, 0x00};
	assert_int_equal(lp2p_msg_reader_new(100, &r), 0);
	assert_int_equal(lp2p_msg_reader_feed(r, nonmin, 2, collect, &g),
	                 LP2P_EPROTO);
	lp2p_msg_reader_free(r);
	/* ten continuation bytes */
	uint8_t cont[10];
	memset(cont, 0x80, sizeof cont);
	assert_int_equal(lp2p_msg_reader_new(100, &r), 0);
	assert_int_equal(lp2p_msg_reader_feed(r, cont, 10, collect, &g),
	                 LP2P_EPROTO);
	lp2p_msg_reader_free(r);
	assert_int_equal(lp2p_msg_reader_new(0, &r), LP2P_EINVAL);
}

static void stop_and_fail(void **state)
{
	(void)state;
	uint8_t in[400];
	size_t len = three(in);
	lp2p_msg_reader *r;
	assert_int_equal(lp2p_msg_reader_new(300, &r), 0);
	struct got g = {.stop_after = 2};
	/* stops after "a": the rest is left */
	assert_int_equal(lp2p_msg_reader_feed(r, in, len, collect, &g), 3);
	g.stop_after = 0;
	assert_int_equal(lp2p_msg_reader_feed(r, in + 3, len - 3, collect, &g),
	                 (ssize_t)(len - 3));
	assert_int_equal(g.n, 3);
	lp2p_msg_reader_free(r);

	assert_int_equal(lp2p_msg_reader_new(300, &r), 0);
	struct got h = {.stop_after = LP2P_EPROTO};
	assert_int_equal(lp2p_msg_reader_feed(r, in, len, collect, &h),
	                 LP2P_EPROTO);
	assert_int_equal(h.n, 1);
	assert_int_equal(lp2p_msg_reader_feed(r, in, len, collect, &h),
	                 LP2P_EPROTO);
	lp2p_msg_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_split),
	    cmocka_unit_test(whole_is_not_copied),
	    cmocka_unit_test(too_long_refused_before_buffering),
	    cmocka_unit_test(charge_and_limit),
	    cmocka_unit_test(malformed_lengths),
	    cmocka_unit_test(stop_and_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
