/* test_mss.c - multistream-select 1.0 dialer and listener */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "multistream/mss.h"

#define HDR "\x13/multistream/1.0.0\n"
#define HDR_LEN 20

/* The listener supports the protocols in a NULL-terminated list. */
struct support {
	const char *const *protos;
	int asked;
};

static bool select_in_list(void *ud, const char *proto, size_t len)
{
	struct support *s = ud;
	s->asked++;
	assert_int_equal(strlen(proto), len);
	for (size_t i = 0; s->protos[i]; i++)
		if (strcmp(s->protos[i], proto) == 0)
			return true;
	return false;
}

/* Append a multistream message for text to buf at *len. */
static void put_msg(uint8_t *buf, size_t *len, const char *text)
{
	size_t n = strlen(text) + 1;
	if (n < 0x80) {
		buf[(*len)++] = (uint8_t)n;
	} else {
		buf[(*len)++] = (uint8_t)(n | 0x80);
		buf[(*len)++] = (uint8_t)(n >> 7);
	}
	memcpy(buf + *len, text, n - 1);
	*len += n - 1;
	buf[(*len)++] = '\n';
}

/* Move a's output into b; returns b's recv result (0 if none). */
static ssize_t move(struct lp2p_mss *a, struct lp2p_mss *b)
{
	const uint8_t *p;
	size_t n = lp2p_mss_out_peek(a, &p);
	if (n == 0)
		return 0;
	ssize_t c = lp2p_mss_recv(b, p, n);
	if (c > 0)
		lp2p_mss_out_ack(a, (size_t)c);
	return c;
}

static void run(struct lp2p_mss *d, struct lp2p_mss *l)
{
	for (int i = 0; i < 100; i++) {
		ssize_t x = move(d, l);
		ssize_t y = move(l, d);
		if (x <= 0 && y <= 0)
			return;
	}
	fail_msg("negotiation does not settle");
}

static void dialer_first_choice(void **state)
{
	(void)state;
	const char *const want[] = {"/noise"};
	const char *const have[] = {"/tls/1.0.0", "/noise", NULL};
	struct support sup = {have, 0};
	struct lp2p_mss *d, *l;
	assert_int_equal(lp2p_mss_dialer_new(&d, want, 1), 0);
	assert_int_equal(lp2p_mss_listener_new(&l, select_in_list, &sup, 0), 0);

	/* Header and first proposal go out together. */
	const uint8_t *p;
	size_t n = lp2p_mss_out_peek(d, &p);
	assert_int_equal(n, HDR_LEN + 8);
	assert_memory_equal(p, HDR "\x07/noise\n", n);
	n = lp2p_mss_out_peek(l, &p);
	assert_int_equal(n, HDR_LEN);
	assert_memory_equal(p, HDR, n);
	assert_int_equal(lp2p_mss_result(d, NULL, NULL), LP2P_EAGAIN);

	run(d, l);
	const char *proto;
	size_t idx = 99;
	assert_int_equal(lp2p_mss_result(d, &proto, &idx), 0);
	assert_string_equal(proto, "/noise");
	assert_int_equal(idx, 0);
	assert_int_equal(lp2p_mss_result(l, &proto, &idx), 0);
	assert_string_equal(proto, "/noise");
	assert_int_equal(idx, 0);
	assert_int_equal(sup.asked, 1);
	assert_int_equal(lp2p_mss_out_peek(d, &p), 0);
	assert_int_equal(lp2p_mss_out_peek(l, &p), 0);
	/* Done: nothing more is consumed. */
	assert_int_equal(lp2p_mss_recv(l, (const uint8_t *)"x", 1), 0);
	lp2p_mss_free(d);
	lp2p_mss_free(l);
}

static void na_then_second(void **state)
{
	(void)state;
	const char *const want[] = {"/tls/1.0.0", "/noise"};
	const char *const have[] = {"/noise", NULL};
	struct support sup = {have, 0};
	struct lp2p_mss *d, *l;
	assert_int_equal(lp2p_mss_dialer_new(&d, want, 2), 0);
	assert_int_equal(lp2p_mss_listener_new(&l, select_in_list, &sup, 0), 0);
	/* Listener answers "na" (0x036e610a as in the spec). */
	assert_true(move(d, l) > 0);
	const uint8_t *p;
	size_t n = lp2p_mss_out_peek(l, &p);
	assert_int_equal(n, HDR_LEN + 4);
	assert_memory_equal(p + HDR_LEN, "\x03na\n", 4);
	run(d, l);
	const char *proto;
	size_t idx;
	assert_int_equal(lp2p_mss_result(d, &proto, &idx), 0);
	assert_string_equal(proto, "/noise");
	assert_int_equal(idx, 1);
	assert_int_equal(lp2p_mss_result(l, &proto, NULL), 0);
	assert_string_equal(proto, "/noise");
	lp2p_mss_free(d);
	lp2p_mss_free(l);
}

static void list_exhausted(void **state)
{
	(void)state;
	const char *const want[] = {"/a", "/b"};
	const char *const have[] = {"/c", NULL};
	struct support sup = {have, 0};
	struct lp2p_mss *d, *l;
	assert_int_equal(lp2p_mss_dialer_new(&d, want, 2), 0);
	assert_int_equal(lp2p_mss_listener_new(&l, select_in_list, &sup, 0), 0);
	run(d, l);
	assert_int_equal(lp2p_mss_result(d, NULL, NULL), LP2P_ENEGOTIATE);
	assert_int_equal(lp2p_mss_result(l, NULL, NULL), LP2P_EAGAIN);
	assert_int_equal(sup.asked, 2);
	/* Sticky. */
	assert_int_equal(lp2p_mss_recv(d, (const uint8_t *)"\x03na\n", 4),
	                 LP2P_ENEGOTIATE);
	lp2p_mss_free(d);
	lp2p_mss_free(l);
}

static void byte_by_byte(void **state)
{
	(void)state;
	const char *const want[] = {"/x", "/yamux/1.0.0"};
	const char *const have[] = {"/yamux/1.0.0", NULL};
	struct support sup = {have, 0};
	struct lp2p_mss *d, *l;
	assert_int_equal(lp2p_mss_dialer_new(&d, want, 2), 0);
	assert_int_equal(lp2p_mss_listener_new(&l, select_in_list, &sup, 0), 0);
	for (int round = 0; round < 200; round++) {
		const uint8_t *p;
		bool moved = false;
		if (lp2p_mss_out_peek(d, &p) > 0) {
			ssize_t c = lp2p_mss_recv(l, p, 1);
			assert_true(c >= 0);
			lp2p_mss_out_ack(d, (size_t)c);
			moved |= c > 0;
		}
		if (lp2p_mss_out_peek(l, &p) > 0) {
			ssize_t c = lp2p_mss_recv(d, p, 1);
			assert_true(c >= 0);
			lp2p_mss_out_ack(l, (size_t)c);
			moved |= c > 0;
		}
		if (!moved)
			break;
	}
	const char *proto;
	assert_int_equal(lp2p_mss_result(d, &proto, NULL), 0);
	assert_string_equal(proto, "/yamux/1.0.0");
	assert_int_equal(lp2p_mss_result(l, &proto, NULL), 0);
	assert_string_equal(proto, "/yamux/1.0.0");
	lp2p_mss_free(d);
	lp2p_mss_free(l);
}

static void listener_leftover_preserved(void **state)
{
	(void)state;
	const char *const have[] = {"/ipfs/id/1.0.0", NULL};
	struct support sup = {have, 0};
	struct lp2p_mss *l;
	assert_int_equal(lp2p_mss_listener_new(&l, select_in_list, &sup, 0), 0);
	uint8_t buf[128];
	size_t len = 0;
	put_msg(buf, &len, "/multistream/1.0.0");
	put_msg(buf, &len, "/ipfs/id/1.0.0");
	size_t proto_end = len;
	memcpy(buf + len, "APPDATA", 7);
	len += 7;
	assert_int_equal(lp2p_mss_recv(l, buf, len), (ssize_t)proto_end);
	assert_int_equal(lp2p_mss_result(l, NULL, NULL), 0);
	const uint8_t *p;
	size_t n = lp2p_mss_out_peek(l, &p);
	assert_int_equal(n, HDR_LEN + 16);
	assert_memory_equal(p + HDR_LEN, "\x0f/ipfs/id/1.0.0\n", 16);
	lp2p_mss_free(l);
}

static void dialer_leftover_preserved(void **state)
{
	(void)state;
	const char *const want[] = {"/a", "/b"};
	struct lp2p_mss *d;
	assert_int_equal(lp2p_mss_dialer_new(&d, want, 2), 0);
	uint8_t buf[128];
	size_t len = 0;
	put_msg(buf, &len, "/multistream/1.0.0");
	put_msg(buf, &len, "na");
	put_msg(buf, &len, "/b");
	size_t end = len;
	buf[len++] = 0x00; /* first byte of the protocol's own data */
	buf[len++] = 0x01;
	/* The dialer needs its output sent before it takes more input. */
	const uint8_t *p;
	lp2p_mss_out_ack(d, lp2p_mss_out_peek(d, &p));
	ssize_t c = lp2p_mss_recv(d, buf, len);
	assert_int_equal(c, (ssize_t)end);
	size_t idx;
	assert_int_equal(lp2p_mss_result(d, NULL, &idx), 0);
	assert_int_equal(idx, 1);
	/* The second proposal was queued after "na". */
	assert_int_equal(lp2p_mss_out_peek(d, &p), 4);
	assert_memory_equal(p, "\x03/b\n", 4);
	lp2p_mss_free(d);
}

static void header_mismatch(void **state)
{
	(void)state;
	const char *const have[] = {"/a", NULL};
	struct support sup = {have, 0};
	struct lp2p_mss *l;
	uint8_t buf[64];
	size_t len = 0;
	put_msg(buf, &len, "/multistream/2.0.0");
	assert_int_equal(lp2p_mss_listener_new(&l, select_in_list, &sup, 0), 0);
	assert_int_equal(lp2p_mss_recv(l, buf, len), LP2P_ENEGOTIATE);
	assert_int_equal(lp2p_mss_result(l, NULL, NULL), LP2P_ENEGOTIATE);
	lp2p_mss_free(l);

	/* A proposal before the header is a mismatch too. */
	len = 0;
	put_msg(buf, &len, "/a");
	assert_int_equal(lp2p_mss_listener_new(&l, select_in_list, &sup, 0), 0);
	assert_int_equal(lp2p_mss_recv(l, buf, len), LP2P_ENEGOTIATE);
	assert_int_equal(sup.asked, 0);
	lp2p_mss_free(l);

	const char *const want[] = {"/a"};
	struct lp2p_mss *d;
	assert_int_equal(lp2p_mss_dialer_new(&d, want, 1), 0);
	len = 0;
	put_msg(buf, &len, "na");
	assert_int_equal(lp2p_mss_recv(d, buf, len), LP2P_ENEGOTIATE);
	lp2p_mss_free(d);
}

static void dialer_unexpected_answer(void **state)
{
	(void)state;
	const char *const want[] = {"/a"};
	struct lp2p_mss *d;
	assert_int_equal(lp2p_mss_dialer_new(&d, want, 1), 0);
	uint8_t buf[64];
	size_t len = 0;
	put_msg(buf, &len, "/multistream/1.0.0");
	put_msg(buf, &len, "/other");
	const uint8_t *p;
	lp2p_mss_out_ack(d, lp2p_mss_out_peek(d, &p));
	assert_int_equal(lp2p_mss_recv(d, buf, len), LP2P_EPROTO);
	lp2p_mss_free(d);
}

static struct lp2p_mss *listener_past_header(struct support *sup,
                                             unsigned max_rejects)
{
	struct lp2p_mss *l;
	assert_int_equal(
	    lp2p_mss_listener_new(&l, select_in_list, sup, max_rejects), 0);
	uint8_t buf[32];
	size_t len = 0;
	put_msg(buf, &len, "/multistream/1.0.0");
	assert_int_equal(lp2p_mss_recv(l, buf, len), (ssize_t)len);
	const uint8_t *p;
	lp2p_mss_out_ack(l, lp2p_mss_out_peek(l, &p));
	return l;
}

static void line_limits(void **state)
{
	(void)state;
	static char longest[LP2P_MSS_MAX_LINE]; /* 1023 chars + '\n' */
	memset(longest, 'p', sizeof(longest) - 1);
	longest[0] = '/';
	const char *const have[] = {longest, NULL};
	struct support sup = {have, 0};

	/* Exactly 1024 bytes with the newline: accepted and echoed. */
	struct lp2p_mss *l = listener_past_header(&sup, 0);
	static uint8_t buf[2 * LP2P_MSS_MAX_LINE];
	size_t len = 0;
	put_msg(buf, &len, longest);
	assert_int_equal(len, 2 + LP2P_MSS_MAX_LINE);
	assert_int_equal(lp2p_mss_recv(l, buf, len), (ssize_t)len);
	assert_int_equal(lp2p_mss_result(l, NULL, NULL), 0);
	const uint8_t *p;
	assert_int_equal(lp2p_mss_out_peek(l, &p), len);
	assert_memory_equal(p, buf, len);
	lp2p_mss_free(l);

	/* 1025: refused from the length prefix alone. */
	l = listener_past_header(&sup, 0);
	const uint8_t too_long[] = {0x81, 0x08}; /* 1025 */
	assert_int_equal(lp2p_mss_recv(l, too_long, 2), LP2P_EPROTO);
	lp2p_mss_free(l);

	/* The dialer refuses protocol ids that do not fit. */
	static char overlong[LP2P_MSS_MAX_LINE + 1];
	memset(overlong, 'q', LP2P_MSS_MAX_LINE);
	const char *const bad[] = {overlong};
	struct lp2p_mss *d;
	assert_int_equal(lp2p_mss_dialer_new(&d, bad, 1), LP2P_EINVAL);
	const char *const ok[] = {longest};
	assert_int_equal(lp2p_mss_dialer_new(&d, ok, 1), 0);
	lp2p_mss_free(d);
}

static void malformed_messages(void **state)
{
	(void)state;
	const char *const have[] = {"/a", NULL};
	struct support sup = {have, 0};
	static const struct {
		const char *bytes;
		size_t len;
	} cases[] = {
	    {"\x80\x00", 2},         /* non-minimal varint */
	    {"\x80\x80\x01", 3},     /* three-byte prefix */
	    {"\x00", 1},             /* empty message */
	    {"\x03/ab", 4},          /* no newline at the end */
	    {"\xff\xff\xff\x7f", 4}, /* huge */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lp2p_mss *l = listener_past_header(&sup, 0);
		ssize_t rc = lp2p_mss_recv(l, (const uint8_t *)cases[i].bytes,
		                           cases[i].len);
		assert_int_equal(rc, LP2P_EPROTO);
		assert_int_equal(lp2p_mss_recv(l, (const uint8_t *)"\x01\n", 2),
		                 LP2P_EPROTO);
		lp2p_mss_free(l);
	}
	/* A truncated message is simply incomplete. */
	struct lp2p_mss *l = listener_past_header(&sup, 0);
	assert_int_equal(lp2p_mss_recv(l, (const uint8_t *)"\x03/a", 3), 3);
	assert_int_equal(lp2p_mss_result(l, NULL, NULL), LP2P_EAGAIN);
	assert_int_equal(lp2p_mss_recv(l, (const uint8_t *)"\n", 1), 1);
	assert_int_equal(lp2p_mss_result(l, NULL, NULL), 0);
	lp2p_mss_free(l);
}

static void too_many_proposals(void **state)
{
	(void)state;
	const char *const have[] = {"/yes", NULL};
	struct support sup = {have, 0};
	struct lp2p_mss *l = listener_past_header(&sup, 0);
	uint8_t buf[16];
	size_t len = 0;
	put_msg(buf, &len, "/no");
	const uint8_t *p;
	for (int i = 0; i < LP2P_MSS_DEFAULT_MAX_REJECTS; i++) {
		assert_int_equal(lp2p_mss_recv(l, buf, len), (ssize_t)len);
		assert_int_equal(lp2p_mss_out_peek(l, &p), 4);
		assert_memory_equal(p, "\x03na\n", 4);
		lp2p_mss_out_ack(l, 4);
	}
	assert_int_equal(lp2p_mss_recv(l, buf, len), LP2P_ELIMIT);
	assert_int_equal(lp2p_mss_result(l, NULL, NULL), LP2P_ELIMIT);
	lp2p_mss_free(l);

	/* A configured limit; "ls" and a repeated header count too. */
	sup.asked = 0;
	l = listener_past_header(&sup, 2);
	len = 0;
	put_msg(buf, &len, "ls");
	assert_int_equal(lp2p_mss_recv(l, buf, len), (ssize_t)len);
	assert_int_equal(lp2p_mss_out_peek(l, &p), 4);
	assert_memory_equal(p, "\x03na\n", 4);
	uint8_t hdr[32];
	size_t hlen = 0;
	put_msg(hdr, &hlen, "/multistream/1.0.0");
	assert_int_equal(lp2p_mss_recv(l, hdr, hlen), (ssize_t)hlen);
	assert_int_equal(lp2p_mss_recv(l, buf, len), LP2P_ELIMIT);
	assert_int_equal(sup.asked, 0);
	lp2p_mss_free(l);
}

static void nul_in_proposal(void **state)
{
	(void)state;
	const char *const have[] = {"/a", NULL};
	struct support sup = {have, 0};
	struct lp2p_mss *l = listener_past_header(&sup, 0);
	assert_int_equal(lp2p_mss_recv(l, (const uint8_t *)"\x04/a\0\n", 5), 5);
	assert_int_equal(sup.asked, 0);
	const uint8_t *p;
	assert_int_equal(lp2p_mss_out_peek(l, &p), 4);
	assert_memory_equal(p, "\x03na\n", 4);
	lp2p_mss_free(l);
}

static void output_backpressure(void **state)
{
	(void)state;
	const char *const have[] = {"/none", NULL};
	struct support sup = {have, 0};
	struct lp2p_mss *l = listener_past_header(&sup, 1000);
	/* Many rejected proposals while the output is not drained. */
	static uint8_t buf[600 * 5];
	size_t len = 0;
	for (int i = 0; i < 600; i++)
		put_msg(buf, &len, "/no");
	ssize_t c = lp2p_mss_recv(l, buf, len);
	assert_true(c > 0 && (size_t)c < len);
	assert_int_equal(c % 5, 0);
	size_t total = (size_t)c;
	const uint8_t *p;
	while (total < len) {
		lp2p_mss_out_ack(l, lp2p_mss_out_peek(l, &p));
		c = lp2p_mss_recv(l, buf + total, len - total);
		assert_true(c > 0);
		total += (size_t)c;
	}
	assert_int_equal(sup.asked, 600);
	lp2p_mss_free(l);
}

static void partial_output_acks(void **state)
{
	(void)state;
	const char *const want[] = {"/a", "/b"};
	struct lp2p_mss *d;
	assert_int_equal(lp2p_mss_dialer_new(&d, want, 2), 0);
	const uint8_t *p;
	assert_int_equal(lp2p_mss_out_peek(d, &p), HDR_LEN + 4);
	lp2p_mss_out_ack(d, 5);
	assert_int_equal(lp2p_mss_out_peek(d, &p), HDR_LEN - 1);
	static const char first[] = HDR "\x03/a\n";
	assert_memory_equal(p, &first[5], HDR_LEN - 1);
	uint8_t buf[64];
	size_t len = 0;
	put_msg(buf, &len, "/multistream/1.0.0");
	put_msg(buf, &len, "na");
	assert_int_equal(lp2p_mss_recv(d, buf, len), (ssize_t)len);
	/* The next proposal follows what was not sent yet. */
	assert_int_equal(lp2p_mss_out_peek(d, &p), HDR_LEN - 1 + 4);
	static const char both[] = HDR "\x03/a\n\x03/b\n";
	assert_memory_equal(p, &both[5], HDR_LEN - 1 + 4);
	lp2p_mss_out_ack(d, 1000); /* more than there is: all of it */
	assert_int_equal(lp2p_mss_out_peek(d, &p), 0);
	lp2p_mss_free(d);
}

static void bad_arguments(void **state)
{
	(void)state;
	struct lp2p_mss *m;
	const char *const empty[] = {""};
	const char *const nl[] = {"/a\nb"};
	const char *const null[] = {NULL};
	const char *const ok[] = {"/a"};
	assert_int_equal(lp2p_mss_dialer_new(&m, ok, 0), LP2P_EINVAL);
	assert_int_equal(lp2p_mss_dialer_new(&m, empty, 1), LP2P_EINVAL);
	assert_int_equal(lp2p_mss_dialer_new(&m, nl, 1), LP2P_EINVAL);
	assert_int_equal(lp2p_mss_dialer_new(&m, null, 1), LP2P_EINVAL);
	assert_int_equal(lp2p_mss_dialer_new(&m, NULL, 1), LP2P_EINVAL);
	assert_int_equal(lp2p_mss_listener_new(&m, NULL, NULL, 0), LP2P_EINVAL);
	lp2p_mss_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dialer_first_choice),
	    cmocka_unit_test(na_then_second),
	    cmocka_unit_test(list_exhausted),
	    cmocka_unit_test(byte_by_byte),
	    cmocka_unit_test(listener_leftover_preserved),
	    cmocka_unit_test(dialer_leftover_preserved),
	    cmocka_unit_test(header_mismatch),
	    cmocka_unit_test(dialer_unexpected_answer),
	    cmocka_unit_test(line_limits),
	    cmocka_unit_test(malformed_messages),
	    cmocka_unit_test(too_many_proposals),
	    cmocka_unit_test(nul_in_proposal),
	    cmocka_unit_test(output_backpressure),
	    cmocka_unit_test(partial_output_acks),
	    cmocka_unit_test(bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
