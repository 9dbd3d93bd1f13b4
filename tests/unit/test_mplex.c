/* test_mplex.c - the mplex session: frames, streams, limits */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mux_harness.h"
#include "mux/mux_impl.h" /* to reach the id limit without 2^60 opens */

enum {
	NEW = 0,
	MSG_R = 1,
	MSG_I = 2,
	CLOSE_R = 3,
	CLOSE_I = 4,
	RESET_R = 5,
	RESET_I = 6,
};

/* Stream ids the session hands out: wire id << 1 | opened by the peer. */
#define OURS(n) ((uint64_t)(n) << 1)
#define THEIRS(n) ((uint64_t)(n) << 1 | 1)

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* A frame into buf; returns its length. */
static size_t msg(uint8_t *buf, uint64_t id, uint8_t flag, const void *data,
                  size_t len)
{
	size_t n = put_varint(buf, id << 3 | flag);
	n += put_varint(buf + n, len);
	if (len)
		memcpy(buf + n, data, len);
	return n + len;
}

static void feed_msg(struct h_peer *p, uint64_t id, uint8_t flag,
                     const void *data, size_t len)
{
	static uint8_t buf[1 << 21];
	size_t n = msg(buf, id, flag, data, len);
	assert_int_equal(h_feed(p, buf, n), (long)n);
}

static void expect_out(struct h_peer *p, const void *want, size_t len)
{
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(p->m, &out), len);
	assert_memory_equal(out, want, len);
	lp2p_mux_out_ack(p->m, len);
}

struct pair {
	struct h_peer *c, *s;
};

static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	p->c = h_peer_new(LP2P_MUX_MPLEX, LP2P_MUX_INITIATOR, NULL);
	p->s = h_peer_new(LP2P_MUX_MPLEX, LP2P_MUX_RESPONDER, NULL);
	*state = p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;
	h_peer_free(p->c);
	h_peer_free(p->s);
	free(p);
	return 0;
}

static struct h_peer *peer(const struct lp2p_mux_config *cfg)
{
	return h_peer_new(LP2P_MUX_MPLEX, LP2P_MUX_RESPONDER, cfg);
}

static void expect_fatal(struct h_peer *p, const uint8_t *buf, size_t len)
{
	assert_int_equal(h_feed(p, buf, len), LP2P_EPROTO);
	assert_int_equal(lp2p_mux_error(p->m), LP2P_EPROTO);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(p->m, &out), 0); /* no GoAway */
	assert_int_equal(h_feed(p, "", 0), LP2P_EPROTO);
}

static void frames_on_the_wire(void **state)
{
	struct pair *p = *state;
	/* NewStream with the decimal id as name, as js-libp2p does. */
	struct h_stream *a = h_open(p->c, NULL, NULL);
	assert_int_equal(a->id, OURS(0));
	expect_out(p->c,
	           "\x00\x01"
	           "0",
	           3);
	struct h_stream *b = h_open(p->c, "chat", NULL);
	assert_int_equal(b->id, OURS(1));
	expect_out(p->c,
	           "\x08\x04"
	           "chat",
	           6);

	/* The initiator's variants on our streams. */
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, (uint8_t *)"hi", 2), 2);
	expect_out(p->c, "\x02\x02hi", 4);
	assert_int_equal(lp2p_mux_close(p->c->m, a->id), 0);
	expect_out(p->c, "\x04\x00", 2);
	assert_int_equal(lp2p_mux_reset(p->c->m, b->id), 0);
	expect_out(p->c, "\x0e\x00", 2);

	/* The receiver's variants on the peer's streams. */
	feed_msg(p->s, 5, NEW, "x", 1);
	assert_int_equal(p->s->opens, 1);
	struct h_stream *r = h_find(p->s, THEIRS(5));
	assert_non_null(r);
	assert_int_equal(r->name_len, 1);
	assert_memory_equal(r->name, "x", 1);
	feed_msg(p->s, 5, MSG_I, "abc", 3);
	assert_int_equal(r->rx_len, 3);
	assert_int_equal(lp2p_mux_write(p->s->m, r->id, (uint8_t *)"ok", 2), 2);
	expect_out(p->s, "\x29\x02ok", 4);
	assert_int_equal(lp2p_mux_close(p->s->m, r->id), 0);
	expect_out(p->s, "\x2b\x00", 2);
	feed_msg(p->s, 5, CLOSE_I, NULL, 0);
	assert_true(r->fin);
	assert_int_equal(lp2p_mux_stream_count(p->s->m), 0);

	feed_msg(p->s, 6, NEW, NULL, 0);
	assert_int_equal(lp2p_mux_reset(p->s->m, THEIRS(6)), 0);
	expect_out(p->s, "\x35\x00", 2);

	/* Ping is not part of mplex; GoAway only refuses new streams. */
	assert_int_equal(lp2p_mux_ping(p->s->m, 1), LP2P_ENOTSUP);
}

static void both_sides_same_wire_id(void **state)
{
	struct pair *p = *state;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	struct h_stream *b = h_open(p->s, NULL, NULL);
	assert_int_equal(a->id, OURS(0));
	assert_int_equal(b->id, OURS(0));
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, (uint8_t *)"c->s", 4),
	                 4);
	assert_int_equal(lp2p_mux_write(p->s->m, b->id, (uint8_t *)"s->c", 4),
	                 4);
	assert_int_equal(lp2p_mux_write(p->s->m, THEIRS(0), (uint8_t *)"r1", 2),
	                 2);
	assert_int_equal(h_pump(p->c, p->s), 0);
	struct h_stream *sa = h_find(p->s, THEIRS(0));
	struct h_stream *cb = h_find(p->c, THEIRS(0));
	assert_int_equal(sa->rx_len, 4);
	assert_memory_equal(sa->rx, "c->s", 4);
	assert_int_equal(cb->rx_len, 4);
	assert_memory_equal(cb->rx, "s->c", 4);
	assert_int_equal(a->rx_len, 2);
	assert_memory_equal(a->rx, "r1", 2);
}

static void bulk_and_many_streams(void **state)
{
	struct pair *p = *state;
	static uint8_t data[3 * 1024 * 1024];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + (i >> 9));
	struct h_stream *big = h_open(p->c, NULL, NULL);
	assert_int_equal(h_write_all(p->c, p->s, big->id, data, sizeof(data)),
	                 0);
	struct h_stream *rb = h_find(p->s, THEIRS(0));
	assert_int_equal(rb->rx_len, sizeof(data));
	assert_memory_equal(rb->rx, data, sizeof(data));
	assert_true(big->writable > 0);

	enum { N = 200 };
	uint64_t ids[N];
	char text[32];
	for (int i = 0; i < N; i++) {
		struct h_stream *a = h_open(i % 2 ? p->c : p->s, NULL, NULL);
		ids[i] = a->id;
	}
	for (int i = 0; i < N; i++) {
		struct h_peer *w = i % 2 ? p->c : p->s;
		int len = snprintf(text, sizeof(text), "m%d", i);
		assert_int_equal(
		    lp2p_mux_write(w->m, ids[i], (uint8_t *)text, (size_t)len),
		    len);
		assert_int_equal(lp2p_mux_close(w->m, ids[i]), 0);
	}
	assert_int_equal(h_pump(p->c, p->s), 0);
	for (int i = 0; i < N; i++) {
		struct h_peer *r = i % 2 ? p->s : p->c;
		struct h_stream *hs = h_find(r, ids[i] | 1);
		int len = snprintf(text, sizeof(text), "m%d", i);
		assert_non_null(hs);
		assert_int_equal(hs->rx_len, len);
		assert_memory_equal(hs->rx, text, (size_t)len);
		assert_true(hs->fin);
		assert_int_equal(lp2p_mux_close(r->m, hs->id), 0);
	}
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(lp2p_mux_close(p->c->m, big->id), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(lp2p_mux_close(p->s->m, rb->id), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(lp2p_mux_stream_count(p->c->m), 0);
	assert_int_equal(lp2p_mux_stream_count(p->s->m), 0);
}

static void half_close_and_reset(void **state)
{
	struct pair *p = *state;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	assert_int_equal(lp2p_mux_close(p->c->m, a->id), 0);
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, (uint8_t *)"x", 1),
	                 LP2P_ECLOSED);
	assert_int_equal(h_pump(p->c, p->s), 0);
	struct h_stream *b = h_find(p->s, THEIRS(0));
	assert_true(b->fin);
	assert_int_equal(lp2p_mux_write(p->s->m, b->id, (uint8_t *)"back", 4),
	                 4);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(a->rx_len, 4);
	assert_int_equal(lp2p_mux_reset(p->s->m, b->id), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_true(a->reset);
	assert_int_equal(a->reset_err, LP2P_ERESET);
	assert_int_equal(lp2p_mux_stream_count(p->c->m), 0);
	assert_int_equal(lp2p_mux_stream_count(p->s->m), 0);
}

static void names(void **state)
{
	(void)state;
	struct h_peer *s = peer(NULL);
	static char name[1000];
	memset(name, 'n', sizeof(name));
	feed_msg(s, 1, NEW, name, sizeof(name));
	struct h_stream *hs = h_find(s, THEIRS(1));
	assert_int_equal(hs->name_len, LP2P_MPLEX_MAX_NAME);
	/* A name arriving a byte at a time, and an empty one. */
	uint8_t frame[16];
	size_t n = msg(frame, 2, NEW, "split", 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(h_feed(s, frame + i, 1), 1);
	hs = h_find(s, THEIRS(2));
	assert_non_null(hs);
	assert_int_equal(hs->name_len, 5);
	assert_memory_equal(hs->name, "split", 5);
	feed_msg(s, 3, NEW, NULL, 0);
	hs = h_find(s, THEIRS(3));
	assert_non_null(hs);
	assert_int_equal(hs->name_len, 0);
	/* A session freed in the middle of a name frees it (ASan). */
	n = msg(frame, 4, NEW, "cut", 3);
	assert_int_equal(h_feed(s, frame, n - 1), (long)n - 1);
	assert_null(h_find(s, THEIRS(4)));
	/* Our own names are limited. */
	name[LP2P_MPLEX_MAX_NAME + 1] = '\0';
	uint64_t id;
	assert_int_equal(lp2p_mux_open(s->m, name, NULL, &id), LP2P_EINVAL);
	name[LP2P_MPLEX_MAX_NAME] = '\0';
	assert_int_equal(lp2p_mux_open(s->m, name, NULL, &id), 0);
	h_peer_free(s);
}

static void unconsumed_limit(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.max_unconsumed = 1000};
	struct h_peer *s = peer(&cfg);
	s->auto_consume = false;
	static uint8_t data[800];
	feed_msg(s, 0, NEW, NULL, 0);
	feed_msg(s, 0, MSG_I, data, 800);
	assert_int_equal(lp2p_mux_unconsumed(s->m, THEIRS(0)), 800);
	/* Consuming keeps the stream alive. */
	assert_int_equal(lp2p_mux_consumed(s->m, THEIRS(0), 700), 0);
	feed_msg(s, 0, MSG_I, data, 800);
	assert_int_equal(lp2p_mux_unconsumed(s->m, THEIRS(0)), 900);
	assert_int_equal(lp2p_mux_consumed(s->m, THEIRS(0), 901), LP2P_EINVAL);
	/* Past the limit: reset by the session, the message dropped. */
	feed_msg(s, 0, MSG_I, data, 101);
	struct h_stream *hs = h_find(s, THEIRS(0));
	assert_true(hs->reset);
	assert_int_equal(hs->reset_err, LP2P_ELIMIT);
	assert_int_equal(hs->rx_len, 1600);
	expect_out(s, "\x05\x00", 2);
	assert_int_equal(lp2p_mux_unconsumed(s->m, THEIRS(0)), LP2P_ENOTFOUND);
	assert_int_equal(lp2p_mux_error(s->m), 0);
	/* Later messages for it are ignored. */
	feed_msg(s, 0, MSG_I, data, 10);
	assert_int_equal(hs->rx_len, 1600);
	h_peer_free(s);
}

static void message_after_close(void **state)
{
	(void)state;
	struct h_peer *s = peer(NULL);
	feed_msg(s, 3, NEW, NULL, 0);
	feed_msg(s, 3, CLOSE_I, NULL, 0);
	feed_msg(s, 3, MSG_I, "late", 4);
	struct h_stream *hs = h_find(s, THEIRS(3));
	assert_true(hs->fin);
	assert_true(hs->reset);
	assert_int_equal(hs->reset_err, LP2P_EPROTO);
	assert_int_equal(hs->rx_len, 0);
	expect_out(s, "\x1d\x00", 2);
	assert_int_equal(lp2p_mux_error(s->m), 0);
	h_peer_free(s);
}

static void unknown_streams_ignored(void **state)
{
	(void)state;
	struct h_peer *s = peer(NULL);
	uint8_t buf[256];
	size_t n = msg(buf, 9, MSG_I, "zzzz", 4);
	n += msg(buf + n, 9, MSG_R, "zz", 2);
	n += msg(buf + n, 9, CLOSE_R, NULL, 0);
	n += msg(buf + n, 9, RESET_I, NULL, 0);
	n += msg(buf + n, 4, NEW, "four", 4);
	n += msg(buf + n, 4, MSG_I, "data", 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(h_feed(s, buf + i, 1), 1);
	assert_int_equal(s->opens, 1);
	struct h_stream *hs = h_find(s, THEIRS(4));
	assert_int_equal(hs->rx_len, 4);
	assert_int_equal(hs->name_len, 4);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(s->m, &out), 0);
	h_peer_free(s);
}

static void inbound_limit_and_goaway(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.max_inbound_streams = 2};
	struct h_peer *s = peer(&cfg);
	feed_msg(s, 0, NEW, NULL, 0);
	feed_msg(s, 1, NEW, NULL, 0);
	feed_msg(s, 2, NEW, NULL, 0);
	assert_int_equal(s->opens, 2);
	expect_out(s, "\x15\x00", 2); /* ResetReceiver for 2 */
	assert_int_equal(lp2p_mux_reset(s->m, THEIRS(0)), 0);
	expect_out(s, "\x05\x00", 2);
	feed_msg(s, 3, NEW, NULL, 0);
	assert_int_equal(s->opens, 3);
	/* After GoAway new streams are refused, existing ones go on. */
	assert_int_equal(lp2p_mux_goaway(s->m, 0), 0);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(s->m, &out), 0);
	uint64_t id;
	assert_int_equal(lp2p_mux_open(s->m, NULL, NULL, &id), LP2P_ECLOSED);
	s->accept_rc = 0;
	feed_msg(s, 4, NEW, NULL, 0);
	assert_int_equal(s->opens, 3);
	expect_out(s, "\x25\x00", 2);
	feed_msg(s, 3, MSG_I, "ok", 2);
	assert_int_equal(h_find(s, THEIRS(3))->rx_len, 2);
	/* Refused by the callback. */
	h_peer_free(s);
	s = peer(NULL);
	s->accept_rc = LP2P_ENOTSUP;
	feed_msg(s, 7, NEW, NULL, 0);
	expect_out(s, "\x3d\x00", 2);
	assert_int_equal(lp2p_mux_stream_count(s->m), 0);
	h_peer_free(s);
}

static void protocol_violations(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct h_peer *s;

	/* flag 7 */
	s = peer(NULL);
	expect_fatal(s, (const uint8_t *)"\x0f\x00", 2);
	h_peer_free(s);

	/* A message over 1 MiB, refused from its header. */
	s = peer(NULL);
	size_t n = put_varint(buf, 0 << 3 | MSG_I);
	n += put_varint(buf + n, (1 << 20) + 1);
	expect_fatal(s, buf, n);
	h_peer_free(s);

	/* Exactly 1 MiB is fine. */
	s = peer(NULL);
	static uint8_t mib[1 << 20];
	feed_msg(s, 0, NEW, NULL, 0);
	feed_msg(s, 0, MSG_I, mib, sizeof(mib));
	assert_int_equal(h_find(s, THEIRS(0))->rx_len, sizeof(mib));
	h_peer_free(s);

	/* Non-minimal and overlong varints. */
	s = peer(NULL);
	expect_fatal(s, (const uint8_t *)"\x82\x00\x00", 3);
	h_peer_free(s);
	s = peer(NULL);
	expect_fatal(s, (const uint8_t *)"\x02\x80\x00", 3);
	h_peer_free(s);
	s = peer(NULL);
	memset(buf, 0xff, 10);
	expect_fatal(s, buf, 10);
	h_peer_free(s);

	/* NewStream for a stream the peer already has open. */
	s = peer(NULL);
	feed_msg(s, 1, NEW, NULL, 0);
	n = msg(buf, 1, NEW, NULL, 0);
	expect_fatal(s, buf, n);
	h_peer_free(s);
}

static void recv_backpressure(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.out_hiwat = 1024, .out_reserve = 1024};
	struct h_peer *s = peer(&cfg);
	s->accept_rc = LP2P_ENOTSUP;
	/* 1500 refused streams: 3000+ bytes of Resets. */
	static uint8_t buf[1500 * 4];
	size_t n = 0;
	for (int i = 0; i < 1500; i++)
		n += msg(buf + n, (uint64_t)i, NEW, NULL, 0);
	long c = h_feed(s, buf, n);
	assert_true(c > 0 && (size_t)c < n);
	size_t total = (size_t)c, out = 0;
	while (total < n) {
		out += h_take(s, NULL, 0);
		c = h_feed(s, buf + total, n - total);
		assert_true(c > 0);
		total += (size_t)c;
	}
	out += h_take(s, NULL, 0);
	assert_int_equal(s->opens, 1500);
	assert_int_equal(out, n); /* a Reset is as long as its NewStream */
	h_peer_free(s);
}

static void callbacks_may_reset(void **state)
{
	struct pair *p = *state;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	static uint8_t data[200000];
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, data, sizeof(data)),
	                 sizeof(data));
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(lp2p_mux_reset(p->s->m, THEIRS(0)), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_true(a->reset);
}

static void partial_sends(void **state)
{
	struct pair *p = *state;
	p->c->chunk = 777;
	static uint8_t data[700000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + (i >> 10));
	struct h_stream *a = h_open(p->c, NULL, NULL);
	assert_int_equal(h_write_all(p->c, p->s, a->id, data, sizeof(data)), 0);
	struct h_stream *r = h_find(p->s, THEIRS(0));
	assert_int_equal(r->rx_len, sizeof(data));
	assert_memory_equal(r->rx, data, sizeof(data));
}

static void control_frames_wait_for_room(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {
	    .out_hiwat = 1024, .out_reserve = 1024, .max_inbound_streams = 1};
	struct h_peer *s = peer(&cfg);
	struct h_peer *c = h_peer_new(LP2P_MUX_MPLEX, LP2P_MUX_INITIATOR, NULL);
	feed_msg(s, 0, NEW, NULL, 0); /* fills the inbound limit */
	/* Half of a NewStream that will be refused. */
	uint8_t nb[8];
	size_t nn = msg(nb, 1, NEW, "ab", 2);
	assert_int_equal(h_feed(s, nb, 3), 3);
	/* Fill the output: data to the mark, opens, then closes. */
	static uint8_t data[1024];
	assert_true(lp2p_mux_write(s->m, THEIRS(0), data, sizeof(data)) > 0);
	uint64_t ids[200];
	int n = 0, rc;
	struct h_stream *hs;
	while (n < 200 && (hs = h_open(s, NULL, &rc)))
		ids[n++] = hs->id;
	assert_int_equal(rc, LP2P_EAGAIN);
	for (int i = 0; i < n; i++)
		assert_int_equal(i % 3 ? lp2p_mux_close(s->m, ids[i])
		                       : lp2p_mux_reset(s->m, ids[i]),
		                 0);
	assert_int_equal(lp2p_mux_close(s->m, THEIRS(0)), 0);
	/* The refusal's Reset has to wait as well. */
	assert_int_equal(h_feed(s, nb + 3, nn - 3), (long)(nn - 3));
	assert_int_equal(s->opens, 1);
	uint8_t *out;
	size_t full = lp2p_mux_out_peek(s->m, &out);
	assert_true(full > 2040 && full <= 2048);
	/* All of it reaches the peer once there is room. */
	c->accept_rc = 0;
	assert_int_equal(h_pump(s, c), 0);
	for (int i = 0; i < n; i++) {
		struct h_stream *r = h_find(c, ids[i] | 1);
		assert_non_null(r);
		if (i % 3)
			assert_true(r->fin);
		else
			assert_true(r->reset);
	}
	h_peer_free(s);
	h_peer_free(c);
}

/* mplex has no ACK backlog: only a full output makes an open wait, and
 * on_open_room follows once it drained. */
static void open_room_after_output_drains(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.out_hiwat = 1024, .out_reserve = 1024};
	struct h_peer *c = h_peer_new(LP2P_MUX_MPLEX, LP2P_MUX_INITIATOR, &cfg);
	int rc, opened = 0;
	while (h_open(c, NULL, &rc))
		opened++;
	assert_int_equal(rc, LP2P_EAGAIN);
	assert_true(opened > 100);
	assert_int_equal(c->open_rooms, 0);
	h_take(c, NULL, 0);
	assert_int_equal(c->open_rooms, 1);
	assert_non_null(h_open(c, NULL, &rc));
	h_peer_free(c);
}

static void stream_ids_run_out(void **state)
{
	(void)state;
	struct h_peer *c = h_peer_new(LP2P_MUX_MPLEX, LP2P_MUX_INITIATOR, NULL);
	c->m->next_id = (UINT64_C(1) << 60) - 1;
	int rc;
	struct h_stream *a = h_open(c, NULL, &rc);
	assert_non_null(a);
	uint8_t out[32];
	size_t n = h_take(c, out, sizeof(out));
	/* 9-byte header varint, length 19, the 19-digit decimal name. */
	assert_int_equal(n, 9 + 1 + 19);
	assert_memory_equal(out + 10, "1152921504606846975", 19);
	assert_null(h_open(c, NULL, &rc));
	assert_int_equal(rc, LP2P_ELIMIT);
	h_peer_free(c);
}

static void free_with_pending_frames(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.out_hiwat = 1024, .out_reserve = 1024};
	struct h_peer *c = h_peer_new(LP2P_MUX_MPLEX, LP2P_MUX_INITIATOR, &cfg);
	int rc;
	uint64_t ids[1000];
	int n = 0;
	struct h_stream *a;
	while (n < 1000 && (a = h_open(c, NULL, &rc)))
		ids[n++] = a->id;
	for (int i = 0; i < n; i++)
		assert_int_equal(lp2p_mux_reset(c->m, ids[i]), 0);
	h_peer_free(c);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pair_setup, pair_teardown)
	const struct CMUnitTest tests[] = {
	    T(frames_on_the_wire),
	    T(both_sides_same_wire_id),
	    T(bulk_and_many_streams),
	    T(half_close_and_reset),
	    T(names),
	    T(unconsumed_limit),
	    T(message_after_close),
	    T(unknown_streams_ignored),
	    T(inbound_limit_and_goaway),
	    T(protocol_violations),
	    T(recv_backpressure),
	    T(callbacks_may_reset),
	    T(partial_sends),
	    T(control_frames_wait_for_room),
	    T(open_room_after_output_drains),
	    T(stream_ids_run_out),
	    T(free_with_pending_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
