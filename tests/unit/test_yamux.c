/* test_yamux.c - the yamux session: frames, streams, windows, limits */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mux_harness.h"
#include "mux/mux_impl.h" /* to reach the id limit without 2^31 opens */

#define KiB 1024u
#define WINDOW (256 * KiB)

enum { DATA = 0, WND = 1, PING = 2, GOAWAY = 3 };
enum { SYN = 1, ACK = 2, FIN = 4, RST = 8 };

static size_t hdr(uint8_t *p, uint8_t type, uint16_t flags, uint32_t id,
                  uint32_t length)
{
	p[0] = 0;
	p[1] = type;
	p[2] = (uint8_t)(flags >> 8);
	p[3] = (uint8_t)flags;
	p[4] = (uint8_t)(id >> 24);
	p[5] = (uint8_t)(id >> 16);
	p[6] = (uint8_t)(id >> 8);
	p[7] = (uint8_t)id;
	p[8] = (uint8_t)(length >> 24);
	p[9] = (uint8_t)(length >> 16);
	p[10] = (uint8_t)(length >> 8);
	p[11] = (uint8_t)length;
	return 12;
}

static void expect_hdr(const uint8_t *p, uint8_t type, uint16_t flags,
                       uint32_t id, uint32_t length)
{
	uint8_t want[12];
	hdr(want, type, flags, id, length);
	assert_memory_equal(p, want, 12);
}

struct pair {
	struct h_peer *c; /* initiator (client): odd ids */
	struct h_peer *s; /* responder (server): even ids */
};

/* Output room for more than a window, so that windows are the limit. */
static const struct lp2p_mux_config roomy = {.out_hiwat = 1024 * KiB};

static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	p->c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &roomy);
	p->s = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_RESPONDER, &roomy);
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

static struct h_peer *responder(const struct lp2p_mux_config *cfg)
{
	return h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_RESPONDER, cfg);
}

/* Feed one header (and payload) and expect it all consumed. */
static void feed(struct h_peer *p, uint8_t type, uint16_t flags, uint32_t id,
                 uint32_t length, const void *payload, size_t plen)
{
	uint8_t buf[12 + 256];
	size_t n = hdr(buf, type, flags, id, length);
	assert_true(plen <= 256);
	if (plen)
		memcpy(buf + n, payload, plen);
	assert_int_equal(h_feed(p, buf, n + plen), (long)(n + plen));
}

static void expect_fatal(struct h_peer *p, const uint8_t *buf, size_t len)
{
	assert_int_equal(h_feed(p, buf, len), LP2P_EPROTO);
	assert_int_equal(lp2p_mux_error(p->m), LP2P_EPROTO);
	/* The output ends with GoAway(protocol error). */
	uint8_t *out;
	size_t n = lp2p_mux_out_peek(p->m, &out);
	assert_true(n >= 12);
	expect_hdr(out + n - 12, GOAWAY, 0, 0, LP2P_YAMUX_GOAWAY_PROTOCOL);
	/* Sticky. */
	assert_int_equal(h_feed(p, "x", 1), LP2P_EPROTO);
	uint64_t id;
	assert_int_equal(lp2p_mux_open(p->m, NULL, NULL, &id), LP2P_EPROTO);
	assert_int_equal(lp2p_mux_ping(p->m, 1), LP2P_EPROTO);
	assert_int_equal(lp2p_mux_write(p->m, 1, (const uint8_t *)"x", 1),
	                 LP2P_EPROTO);
	assert_int_equal(lp2p_mux_close(p->m, 1), LP2P_EPROTO);
	assert_int_equal(lp2p_mux_reset(p->m, 1), LP2P_EPROTO);
	assert_int_equal(lp2p_mux_consumed(p->m, 1, 0), LP2P_EPROTO);
	assert_int_equal(lp2p_mux_goaway(p->m, 0), LP2P_EPROTO);
}

/* ---- wire format of every frame type, both directions ---- */

static void frames_on_the_wire(void **state)
{
	struct pair *p = *state;
	uint8_t *out;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	assert_non_null(a);
	assert_int_equal(a->id, 1);
	assert_int_equal(lp2p_mux_out_peek(p->c->m, &out), 12);
	expect_hdr(out, WND, SYN, 1, 0);

	/* The responder ACKs at once. */
	assert_int_equal(h_pump_one(p->c, p->s), 12);
	assert_int_equal(p->s->opens, 1);
	assert_int_equal(lp2p_mux_out_peek(p->s->m, &out), 12);
	expect_hdr(out, WND, ACK, 1, 0);
	assert_int_equal(h_pump_one(p->s, p->c), 12);

	assert_int_equal(lp2p_mux_write(p->c->m, 1, (const uint8_t *)"hi", 2),
	                 2);
	assert_int_equal(lp2p_mux_out_peek(p->c->m, &out), 14);
	expect_hdr(out, DATA, 0, 1, 2);
	assert_memory_equal(out + 12, "hi", 2);
	assert_int_equal(h_pump_one(p->c, p->s), 14);
	struct h_stream *b = h_find(p->s, 1);
	assert_int_equal(b->rx_len, 2);
	assert_memory_equal(b->rx, "hi", 2);

	/* The FIN carries the consumed bytes as a window update. */
	assert_int_equal(lp2p_mux_close(p->s->m, 1), 0);
	assert_int_equal(lp2p_mux_out_peek(p->s->m, &out), 12);
	expect_hdr(out, WND, FIN, 1, 2);
	h_take(p->s, NULL, 0);

	assert_int_equal(lp2p_mux_reset(p->c->m, 1), 0);
	assert_int_equal(lp2p_mux_out_peek(p->c->m, &out), 12);
	expect_hdr(out, WND, RST, 1, 0);
	h_take(p->c, NULL, 0);

	assert_int_equal(lp2p_mux_ping(p->c->m, 0xdeadbeef), 0);
	assert_int_equal(lp2p_mux_out_peek(p->c->m, &out), 12);
	expect_hdr(out, PING, SYN, 0, 0xdeadbeef);
	assert_int_equal(h_pump_one(p->c, p->s), 12);
	assert_int_equal(lp2p_mux_out_peek(p->s->m, &out), 12);
	expect_hdr(out, PING, ACK, 0, 0xdeadbeef);
	assert_int_equal(h_pump_one(p->s, p->c), 12);
	assert_int_equal(p->c->nping_acks, 1);
	assert_int_equal(p->c->ping_acks[0], 0xdeadbeef);

	assert_int_equal(lp2p_mux_goaway(p->s->m, LP2P_YAMUX_GOAWAY_NORMAL), 0);
	assert_int_equal(lp2p_mux_out_peek(p->s->m, &out), 12);
	expect_hdr(out, GOAWAY, 0, 0, 0);
	assert_int_equal(h_pump_one(p->s, p->c), 12);
	assert_int_equal(p->c->goaways, 1);
	assert_int_equal(p->c->goaway_code, 0);

	/* The responder's streams are even. */
	struct pair q;
	q.c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, NULL);
	q.s = responder(NULL);
	struct h_stream *e = h_open(q.s, NULL, NULL);
	assert_int_equal(e->id, 2);
	e = h_open(q.s, NULL, NULL);
	assert_int_equal(e->id, 4);
	assert_int_equal(h_pump(q.c, q.s), 0);
	assert_int_equal(q.c->opens, 2);
	h_peer_free(q.c);
	h_peer_free(q.s);
}

/* An inbound stream written to inside on_stream_open: ACK rides on data. */
static void write_in_open(struct h_peer *p, struct h_stream *hs)
{
	assert_int_equal(lp2p_mux_write(p->m, hs->id, (const uint8_t *)"yo", 2),
	                 2);
}

static void ack_folded_into_data(void **state)
{
	struct pair *p = *state;
	p->s->on_open = write_in_open;
	h_open(p->c, NULL, NULL);
	assert_int_equal(h_pump_one(p->c, p->s), 12);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(p->s->m, &out), 14);
	expect_hdr(out, DATA, ACK, 1, 2);
	assert_int_equal(h_pump(p->c, p->s), 0);
	struct h_stream *a = h_find(p->c, 1);
	assert_int_equal(a->rx_len, 2);
}

/* A SYN carried by a data frame (go/rust may open that way). */
static void syn_with_data(void **state)
{
	(void)state;
	struct h_peer *s = responder(&roomy);
	feed(s, DATA, SYN, 1, 5, "hello", 5);
	struct h_stream *hs = h_find(s, 1);
	assert_non_null(hs);
	assert_int_equal(hs->rx_len, 5);
	assert_memory_equal(hs->rx, "hello", 5);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(s->m, &out), 12);
	expect_hdr(out, WND, ACK, 1, 0);
	/* A larger window announced with the SYN is honoured. */
	h_take(s, NULL, 0);
	feed(s, WND, SYN, 3, 100000, NULL, 0);
	h_take(s, NULL, 0);
	static uint8_t big[2 * WINDOW];
	assert_int_equal(lp2p_mux_write(s->m, 3, big, sizeof(big)),
	                 WINDOW + 100000);
	h_take(s, NULL, 0);
	assert_int_equal(lp2p_mux_write(s->m, 3, big, 1), LP2P_EAGAIN);
	h_peer_free(s);
}

/* ---- data and windows ---- */

static void bulk_transfer(void **state)
{
	struct pair *p = *state;
	static uint8_t data[3 * 1024 * 1024];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 11));
	struct h_stream *a = h_open(p->c, NULL, NULL);
	assert_int_equal(h_write_all(p->c, p->s, a->id, data, sizeof(data)), 0);
	assert_int_equal(lp2p_mux_close(p->c->m, a->id), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	struct h_stream *b = h_find(p->s, a->id);
	assert_int_equal(b->rx_len, sizeof(data));
	assert_memory_equal(b->rx, data, sizeof(data));
	assert_true(b->fin);
	assert_true(a->writable > 0);
}

static void slow_reader_stops_sender(void **state)
{
	struct pair *p = *state;
	static uint8_t data[1024 * 1024];
	memset(data, 0x5a, sizeof(data));
	p->s->auto_consume = false;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	uint64_t id = a->id;

	/* The whole window is accepted, then nothing. */
	assert_int_equal(lp2p_mux_write(p->c->m, id, data, sizeof(data)),
	                 WINDOW);
	assert_int_equal(lp2p_mux_write(p->c->m, id, data, 1), LP2P_EAGAIN);
	assert_int_equal(h_pump(p->c, p->s), 0);
	struct h_stream *b = h_find(p->s, id);
	assert_int_equal(b->rx_len, WINDOW);
	assert_int_equal(lp2p_mux_unconsumed(p->s->m, id), WINDOW);
	assert_int_equal(lp2p_mux_write(p->c->m, id, data, 1), LP2P_EAGAIN);

	/* Less than half consumed: no window update yet. */
	assert_int_equal(lp2p_mux_consumed(p->s->m, id, 100 * KiB), 0);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(p->s->m, &out), 0);
	assert_int_equal(a->writable, 0);

	/* Crossing half the window sends one update with the whole delta. */
	assert_int_equal(lp2p_mux_consumed(p->s->m, id, 30 * KiB), 0);
	assert_int_equal(lp2p_mux_out_peek(p->s->m, &out), 12);
	expect_hdr(out, WND, 0, (uint32_t)id, 130 * KiB);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(a->writable, 1);
	assert_int_equal(lp2p_mux_write(p->c->m, id, data, sizeof(data)),
	                 130 * KiB);

	/* Consuming more than delivered is refused. */
	assert_int_equal(lp2p_mux_consumed(p->s->m, id, WINDOW), LP2P_EINVAL);
	assert_int_equal(lp2p_mux_consumed(p->s->m, 999, 1), LP2P_ENOTFOUND);
}

static void larger_window_config(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.window = 1024 * KiB,
	                              .out_hiwat = 4096 * KiB};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	struct h_peer *s = responder(&cfg);
	uint8_t *out;
	struct h_stream *a = h_open(c, NULL, NULL);
	assert_int_equal(lp2p_mux_out_peek(c->m, &out), 12);
	expect_hdr(out, WND, SYN, 1, 768 * KiB);
	s->auto_consume = false;
	assert_int_equal(h_pump_one(c, s), 12);
	assert_int_equal(lp2p_mux_out_peek(s->m, &out), 12);
	expect_hdr(out, WND, ACK, 1, 768 * KiB);
	assert_int_equal(h_pump(c, s), 0);
	static uint8_t data[2 * 1024 * 1024];
	ssize_t n = lp2p_mux_write(c->m, a->id, data, sizeof(data));
	assert_int_equal(n, 1024 * KiB);
	assert_int_equal(h_pump(c, s), 0);
	assert_int_equal(h_find(s, 1)->rx_len, 1024 * KiB);
	/* The other way too: the initiator announced 1 MiB in its SYN. */
	n = lp2p_mux_write(s->m, 1, data, sizeof(data));
	assert_int_equal(n, 1024 * KiB);
	h_peer_free(c);
	h_peer_free(s);
}

static void output_high_water(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.out_hiwat = 4096, .max_frame = 1000};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	struct h_peer *s = responder(NULL);
	struct h_stream *a = h_open(c, NULL, NULL);
	static uint8_t data[10000];
	/* SYN (12) + 4 frames of 1012 = 4060; 36 left, one 24-byte frame. */
	ssize_t n = lp2p_mux_write(c->m, a->id, data, sizeof(data));
	assert_int_equal(n, 4000 + 24);
	assert_int_equal(lp2p_mux_write(c->m, a->id, data, 1), LP2P_EAGAIN);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(c->m, &out), 4096);
	/* Control frames still fit above the mark. */
	struct h_stream *b = h_open(c, NULL, NULL);
	assert_non_null(b);
	assert_int_equal(a->writable, 0);
	/* Draining calls on_stream_writable. */
	assert_int_equal(h_pump_one(c, s), 4096 + 12);
	assert_int_equal(a->writable, 1);
	assert_int_equal(b->writable, 0);
	h_peer_free(c);
	h_peer_free(s);
}

/* ---- streams ---- */

static void many_streams(void **state)
{
	struct pair *p = *state;
	enum { N = 300 };
	uint64_t cid[N], sid[N];
	char msg[64];
	for (int i = 0; i < N; i++) {
		int rc;
		struct h_stream *a = h_open(p->c, NULL, &rc);
		assert_non_null(a);
		cid[i] = a->id;
		struct h_stream *b = h_open(p->s, NULL, &rc);
		assert_non_null(b);
		sid[i] = b->id;
		assert_int_equal(h_pump(p->c, p->s), 0);
	}
	assert_int_equal(lp2p_mux_stream_count(p->c->m), 2 * N);
	for (int i = N - 1; i >= 0; i--) {
		int len = snprintf(msg, sizeof(msg), "c%d", i);
		assert_int_equal(lp2p_mux_write(p->c->m, cid[i], (uint8_t *)msg,
		                                (size_t)len),
		                 len);
		len = snprintf(msg, sizeof(msg), "s%d", i);
		assert_int_equal(lp2p_mux_write(p->s->m, sid[i], (uint8_t *)msg,
		                                (size_t)len),
		                 len);
		assert_int_equal(lp2p_mux_close(p->c->m, cid[i]), 0);
		assert_int_equal(lp2p_mux_close(p->s->m, sid[i]), 0);
	}
	assert_int_equal(h_pump(p->c, p->s), 0);
	for (int i = 0; i < N; i++) {
		struct h_stream *b = h_find(p->s, cid[i]);
		int len = snprintf(msg, sizeof(msg), "c%d", i);
		assert_int_equal(b->rx_len, len);
		assert_memory_equal(b->rx, msg, (size_t)len);
		assert_true(b->fin);
		struct h_stream *a = h_find(p->c, sid[i]);
		len = snprintf(msg, sizeof(msg), "s%d", i);
		assert_int_equal(a->rx_len, len);
		assert_memory_equal(a->rx, msg, (size_t)len);
		assert_true(a->fin);
		assert_int_equal(lp2p_mux_close(p->s->m, cid[i]), 0);
		assert_int_equal(lp2p_mux_close(p->c->m, sid[i]), 0);
	}
	assert_int_equal(h_pump(p->c, p->s), 0);
	/* Both directions closed: every stream is forgotten. */
	assert_int_equal(lp2p_mux_stream_count(p->c->m), 0);
	assert_int_equal(lp2p_mux_stream_count(p->s->m), 0);
	assert_int_equal(lp2p_mux_write(p->c->m, cid[0], (uint8_t *)"x", 1),
	                 LP2P_ENOTFOUND);
}

static void half_close(void **state)
{
	struct pair *p = *state;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	uint64_t id = a->id;
	assert_int_equal(lp2p_mux_write(p->c->m, id, (uint8_t *)"req", 3), 3);
	assert_int_equal(lp2p_mux_close(p->c->m, id), 0);
	assert_int_equal(lp2p_mux_close(p->c->m, id), LP2P_ECLOSED);
	assert_int_equal(lp2p_mux_write(p->c->m, id, (uint8_t *)"x", 1),
	                 LP2P_ECLOSED);
	assert_int_equal(h_pump(p->c, p->s), 0);
	struct h_stream *b = h_find(p->s, id);
	assert_true(b->fin);
	assert_int_equal(b->rx_len, 3);
	/* The other direction still works. */
	assert_int_equal(lp2p_mux_write(p->s->m, id, (uint8_t *)"resp", 4), 4);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(a->rx_len, 4);
	assert_false(a->fin);
	assert_int_equal(lp2p_mux_stream_count(p->c->m), 1);
	assert_int_equal(lp2p_mux_close(p->s->m, id), 0);
	assert_int_equal(lp2p_mux_stream_count(p->s->m), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_true(a->fin);
	assert_int_equal(lp2p_mux_stream_count(p->c->m), 0);
}

static void reset_both_ways(void **state)
{
	struct pair *p = *state;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	uint64_t id = a->id;
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(lp2p_mux_reset(p->s->m, id), 0);
	assert_int_equal(lp2p_mux_reset(p->s->m, id), LP2P_ENOTFOUND);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_true(a->reset);
	assert_int_equal(a->reset_err, LP2P_ERESET);
	assert_int_equal(lp2p_mux_stream_count(p->c->m), 0);
	assert_int_equal(lp2p_mux_write(p->c->m, id, (uint8_t *)"x", 1),
	                 LP2P_ENOTFOUND);

	/* Data racing a reset is dropped silently. */
	a = h_open(p->c, NULL, NULL);
	id = a->id;
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(lp2p_mux_write(p->c->m, id, (uint8_t *)"late", 4), 4);
	assert_int_equal(lp2p_mux_reset(p->s->m, id), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(h_find(p->s, id)->rx_len, 0);
	assert_true(a->reset);
	assert_int_equal(p->s->resets, 0);
}

static void refused_stream(void **state)
{
	struct pair *p = *state;
	p->s->accept_rc = LP2P_ENOTSUP;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, (uint8_t *)"x", 1), 1);
	assert_int_equal(h_pump_one(p->c, p->s), 12 + 13);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(p->s->m, &out), 12);
	expect_hdr(out, WND, RST, 1, 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_true(a->reset);
	assert_int_equal(lp2p_mux_stream_count(p->s->m), 0);
}

static void goaway_stops_new_streams(void **state)
{
	struct pair *p = *state;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	uint64_t id = a->id;
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(lp2p_mux_goaway(p->s->m, LP2P_YAMUX_GOAWAY_NORMAL), 0);
	assert_int_equal(lp2p_mux_goaway(p->s->m, 0), LP2P_ECLOSED);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(p->c->goaways, 1);
	uint64_t x;
	assert_int_equal(lp2p_mux_open(p->c->m, NULL, NULL, &x), LP2P_ECLOSED);
	assert_int_equal(lp2p_mux_open(p->s->m, NULL, NULL, &x), LP2P_ECLOSED);
	/* Existing streams go on. */
	assert_int_equal(lp2p_mux_write(p->c->m, id, (uint8_t *)"ok", 2), 2);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(h_find(p->s, id)->rx_len, 2);
	/* A SYN after our GoAway is refused. */
	h_take(p->s, NULL, 0);
	feed(p->s, WND, SYN, 99, 0, NULL, 0);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(p->s->m, &out), 12);
	expect_hdr(out, WND, RST, 99, 0);
	assert_int_equal(p->s->opens, 1);
}

static void ping_and_goaway_codes(void **state)
{
	(void)state;
	struct h_peer *s = responder(NULL);
	feed(s, PING, SYN, 0, 7, NULL, 0);
	feed(s, PING, SYN, 0, 8, NULL, 0);
	uint8_t out[64];
	assert_int_equal(h_take(s, out, sizeof(out)), 24);
	expect_hdr(out, PING, ACK, 0, 7);
	expect_hdr(out + 12, PING, ACK, 0, 8);
	/* Unsolicited answers are reported, the caller matches them. */
	feed(s, PING, ACK, 0, 5, NULL, 0);
	assert_int_equal(s->nping_acks, 1);
	assert_int_equal(s->ping_acks[0], 5);
	feed(s, GOAWAY, 0, 0, LP2P_YAMUX_GOAWAY_INTERNAL, NULL, 0);
	assert_int_equal(s->goaways, 1);
	assert_int_equal(s->goaway_code, 2);
	assert_int_equal(lp2p_mux_error(s->m), 0);
	h_peer_free(s);

	struct h_peer *m = h_peer_new(LP2P_MUX_MPLEX, LP2P_MUX_INITIATOR, NULL);
	assert_int_equal(lp2p_mux_ping(m->m, 1), LP2P_ENOTSUP);
	h_peer_free(m);
}

static void unknown_stream_frames_skipped(void **state)
{
	(void)state;
	struct h_peer *s = responder(NULL);
	uint8_t buf[200];
	size_t n = hdr(buf, DATA, 0, 41, 100);
	memset(buf + n, 0xee, 100);
	n += 100;
	n += hdr(buf + n, WND, 0, 43, 5);
	n += hdr(buf + n, DATA, FIN, 45, 0);
	n += hdr(buf + n, PING, SYN, 0, 3);
	/* One byte at a time. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(h_feed(s, buf + i, 1), 1);
	uint8_t out[16];
	assert_int_equal(h_take(s, out, sizeof(out)), 12);
	expect_hdr(out, PING, ACK, 0, 3);
	assert_int_equal(s->opens, 0);
	assert_int_equal(lp2p_mux_error(s->m), 0);
	h_peer_free(s);
}

/* ---- limits ---- */

static void inbound_stream_limit(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.max_inbound_streams = 4};
	struct h_peer *s = responder(&cfg);
	for (uint32_t id = 1; id <= 9; id += 2)
		feed(s, WND, SYN, id, 0, NULL, 0);
	assert_int_equal(s->opens, 4);
	uint8_t out[128];
	assert_int_equal(h_take(s, out, sizeof(out)), 60);
	expect_hdr(out + 48, WND, RST, 9, 0);
	assert_int_equal(lp2p_mux_error(s->m), 0);
	/* A closed stream frees a place. */
	assert_int_equal(lp2p_mux_reset(s->m, 1), 0);
	feed(s, WND, SYN, 11, 0, NULL, 0);
	assert_int_equal(s->opens, 5);
	h_peer_free(s);
}

static void ack_backlog_limit(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.max_ack_backlog = 3};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	struct h_peer *s = responder(NULL);
	int rc;
	for (int i = 0; i < 3; i++)
		assert_non_null(h_open(c, NULL, &rc));
	assert_null(h_open(c, NULL, &rc));
	assert_int_equal(rc, LP2P_EAGAIN);
	/* The ACKs come back: room again. */
	assert_int_equal(h_pump(c, s), 0);
	assert_non_null(h_open(c, NULL, &rc));
	/* A stream reset before its ACK leaves the backlog too. */
	struct h_stream *x = h_open(c, NULL, &rc);
	assert_non_null(h_open(c, NULL, &rc));
	assert_null(h_open(c, NULL, &rc));
	assert_int_equal(lp2p_mux_reset(c->m, x->id), 0);
	assert_non_null(h_open(c, NULL, &rc));
	h_peer_free(c);
	h_peer_free(s);
}

/* Inside on_open_room, once: open until the backlog is full again. */
static void open_while_room(struct h_peer *p, struct h_stream *hs)
{
	(void)hs;
	int rc;
	p->on_open_room = NULL;
	while (h_open(p, NULL, &rc))
		;
	assert_int_equal(rc, LP2P_EAGAIN);
}

/* An open refused for the backlog hears when ACKs make room, once. */
static void open_room_after_ack(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.max_ack_backlog = 3};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	struct h_peer *s = responder(NULL);
	int rc;
	for (int i = 0; i < 3; i++)
		assert_non_null(h_open(c, NULL, &rc));
	/* no refusal yet: the ACKs alone call nothing */
	assert_int_equal(h_pump(c, s), 0);
	assert_int_equal(c->open_rooms, 0);
	for (int i = 0; i < 3; i++)
		assert_non_null(h_open(c, NULL, &rc));
	assert_null(h_open(c, NULL, &rc));
	assert_int_equal(rc, LP2P_EAGAIN);
	assert_null(h_open(c, NULL, &rc));
	/* the SYNs out, the ACKs back: one call for both refusals */
	assert_true(h_pump_one(c, s) > 0);
	assert_int_equal(c->open_rooms, 0);
	c->on_open_room = open_while_room;
	assert_true(h_pump_one(s, c) > 0);
	assert_int_equal(c->open_rooms, 1);
	assert_int_equal(c->nstreams, 9); /* three more from the callback */
	/* the callback's refusal asks again */
	assert_int_equal(h_pump(c, s), 0);
	assert_int_equal(c->open_rooms, 2);
	assert_int_equal(s->opens, 9);
	h_peer_free(c);
	h_peer_free(s);
}

/* A reset stream leaves the backlog: the call comes with the next output
 * ack, not inside lp2p_mux_reset(). */
static void open_room_after_reset(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.max_ack_backlog = 2};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	int rc;
	struct h_stream *a = h_open(c, NULL, &rc);
	assert_non_null(h_open(c, NULL, &rc));
	assert_null(h_open(c, NULL, &rc));
	assert_int_equal(rc, LP2P_EAGAIN);
	assert_int_equal(lp2p_mux_reset(c->m, a->id), 0);
	assert_int_equal(c->open_rooms, 0);
	h_take(c, NULL, 0);
	assert_int_equal(c->open_rooms, 1);
	assert_non_null(h_open(c, NULL, &rc));
	h_peer_free(c);
}

/* An open refused for a full output hears when it drains. */
static void open_room_after_output_drains(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {
	    .out_hiwat = 1024, .out_reserve = 1024, .max_ack_backlog = 1000};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	int rc, opened = 0;
	while (h_open(c, NULL, &rc))
		opened++;
	assert_int_equal(rc, LP2P_EAGAIN);
	assert_int_equal(opened, 2048 / 12);
	/* 8 bytes free; 3 more sent: still no room for a header */
	uint8_t buf[4];
	h_take(c, buf, 3);
	assert_int_equal(c->open_rooms, 0);
	h_take(c, buf, 1);
	assert_int_equal(c->open_rooms, 1);
	assert_non_null(h_open(c, NULL, &rc));
	h_peer_free(c);
}

/* After the peer's GoAway a refused open is not called back (the caller
 * learns of the GoAway from on_goaway). */
static void no_open_room_after_goaway(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.max_ack_backlog = 1};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	struct h_peer *s = responder(NULL);
	int rc;
	assert_non_null(h_open(c, NULL, &rc));
	assert_null(h_open(c, NULL, &rc));
	assert_int_equal(rc, LP2P_EAGAIN);
	assert_true(h_pump_one(c, s) > 0);
	/* the ACK and the GoAway in one batch */
	assert_int_equal(lp2p_mux_goaway(s->m, LP2P_YAMUX_GOAWAY_NORMAL), 0);
	assert_true(h_pump_one(s, c) > 0);
	assert_int_equal(c->goaways, 1);
	assert_int_equal(c->open_rooms, 0);
	assert_null(h_open(c, NULL, &rc));
	assert_int_equal(rc, LP2P_ECLOSED);
	h_peer_free(c);
	h_peer_free(s);
}

static void outbound_stream_limit(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.max_outbound_streams = 2};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	int rc;
	struct h_stream *a = h_open(c, NULL, &rc);
	assert_non_null(h_open(c, NULL, &rc));
	assert_null(h_open(c, NULL, &rc));
	assert_int_equal(rc, LP2P_ELIMIT);
	assert_int_equal(lp2p_mux_reset(c->m, a->id), 0);
	assert_non_null(h_open(c, NULL, &rc));
	h_peer_free(c);
}

static void bad_config(void **state)
{
	(void)state;
	struct lp2p_mux *m;
	struct lp2p_mux_callbacks cbs = {0};
	struct lp2p_mux_config cfg = {.window = 1000};
	assert_int_equal(lp2p_mux_new(&m, LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR,
	                              &cfg, &cbs, NULL),
	                 LP2P_EINVAL);
	cfg = (struct lp2p_mux_config){.window = 32 * 1024 * 1024};
	assert_int_equal(lp2p_mux_new(&m, LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR,
	                              &cfg, &cbs, NULL),
	                 LP2P_EINVAL);
	cfg = (struct lp2p_mux_config){.max_frame = 2 * 1024 * 1024};
	assert_int_equal(lp2p_mux_new(&m, LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR,
	                              &cfg, &cbs, NULL),
	                 LP2P_EINVAL);
	cfg = (struct lp2p_mux_config){.out_reserve = 100};
	assert_int_equal(lp2p_mux_new(&m, LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR,
	                              &cfg, &cbs, NULL),
	                 LP2P_EINVAL);
	assert_int_equal(
	    lp2p_mux_new(&m, 7, LP2P_MUX_INITIATOR, NULL, &cbs, NULL),
	    LP2P_EINVAL);
	assert_int_equal(lp2p_mux_new(&m, LP2P_MUX_YAMUX, 7, NULL, &cbs, NULL),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_mux_new(&m, LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR,
	                              NULL, NULL, NULL),
	                 LP2P_EINVAL);
	/* Without on_stream_open every inbound stream is refused. */
	assert_int_equal(lp2p_mux_new(&m, LP2P_MUX_YAMUX, LP2P_MUX_RESPONDER,
	                              NULL, &cbs, NULL),
	                 0);
	assert_int_equal(lp2p_mux_open(m, NULL, NULL, NULL), LP2P_EINVAL);
	uint8_t buf[12];
	hdr(buf, WND, SYN, 1, 0);
	assert_int_equal(lp2p_mux_recv(m, buf, 12), 12);
	uint8_t *out;
	assert_int_equal(lp2p_mux_out_peek(m, &out), 12);
	expect_hdr(out, WND, RST, 1, 0);
	lp2p_mux_free(m);
}

/* ---- protocol violations: GoAway(protocol error), sticky EPROTO ---- */

static void violation(uint8_t type, uint16_t flags, uint32_t id,
                      uint32_t length)
{
	struct h_peer *s = responder(NULL);
	uint8_t buf[12];
	hdr(buf, type, flags, id, length);
	expect_fatal(s, buf, 12);
	h_peer_free(s);
}

static void protocol_violations(void **state)
{
	(void)state;
	uint8_t buf[64];
	/* version 1 */
	struct h_peer *s = responder(NULL);
	hdr(buf, PING, SYN, 0, 1);
	buf[0] = 1;
	expect_fatal(s, buf, 12);
	h_peer_free(s);

	violation(4, 0, 0, 0);               /* unknown type */
	violation(0xff, 0, 1, 0);            /* unknown type */
	violation(DATA, 0, 0, 0);            /* data on stream 0 */
	violation(WND, SYN, 0, 0);           /* window update on stream 0 */
	violation(PING, SYN, 1, 0);          /* ping off stream 0 */
	violation(GOAWAY, 0, 3, 0);          /* GoAway off stream 0 */
	violation(PING, 0, 0, 0);            /* ping without SYN or ACK */
	violation(WND, SYN, 2, 0);           /* our parity (responder: even) */
	violation(DATA, SYN, 1, WINDOW + 1); /* larger than the window */
	violation(WND, SYN, 1, UINT32_MAX - WINDOW + 1); /* overflow */

	/* The window is counted over several frames. */
	s = responder(NULL);
	s->auto_consume = false;
	static uint8_t big[WINDOW];
	size_t n = hdr(buf, DATA, SYN, 1, WINDOW - 10);
	assert_int_equal(h_feed(s, buf, n), 12);
	assert_int_equal(h_feed(s, big, WINDOW - 10), WINDOW - 10);
	hdr(buf, DATA, 0, 1, 11);
	expect_fatal(s, buf, 12);
	h_peer_free(s);

	/* With a larger window of ours, the SYN's own data still must fit
	 * the initial window (the opener has not heard of ours), while the
	 * frames after it may use all of ours. */
	struct lp2p_mux_config wide;
	lp2p_mux_config_default(&wide);
	wide.window = 4 * WINDOW;
	s = responder(&wide);
	hdr(buf, DATA, SYN, 1, WINDOW + 1);
	expect_fatal(s, buf, 12);
	h_peer_free(s);
	s = responder(&wide);
	s->auto_consume = false;
	n = hdr(buf, DATA, SYN, 1, WINDOW);
	assert_int_equal(h_feed(s, buf, n), 12);
	assert_int_equal(h_feed(s, big, WINDOW), WINDOW);
	for (int i = 0; i < 3; i++) {
		n = hdr(buf, DATA, 0, 1, WINDOW);
		assert_int_equal(h_feed(s, buf, n), 12);
		assert_int_equal(h_feed(s, big, WINDOW), WINDOW);
	}
	hdr(buf, DATA, 0, 1, 1);
	expect_fatal(s, buf, 12);
	h_peer_free(s);

	/* A window update pushing the send window past 2^32-1. */
	s = responder(NULL);
	feed(s, WND, SYN, 1, UINT32_MAX - WINDOW, NULL, 0);
	hdr(buf, WND, 0, 1, 1);
	expect_fatal(s, buf, 12);
	h_peer_free(s);

	/* A SYN for a stream that is open. */
	s = responder(NULL);
	feed(s, WND, SYN, 1, 0, NULL, 0);
	hdr(buf, DATA, SYN, 1, 0);
	expect_fatal(s, buf, 12);
	h_peer_free(s);

	/* Data after the peer's FIN. */
	s = responder(NULL);
	feed(s, WND, SYN | FIN, 1, 0, NULL, 0);
	assert_true(h_find(s, 1)->fin);
	hdr(buf, DATA, 0, 1, 1);
	expect_fatal(s, buf, 12);
	h_peer_free(s);

	/* Bytes after the violation in the same buffer are not parsed. */
	s = responder(NULL);
	n = hdr(buf, PING, SYN, 0, 1);
	n += hdr(buf + n, 9, 0, 0, 0);
	n += hdr(buf + n, PING, SYN, 0, 2);
	assert_int_equal(h_feed(s, buf, n), LP2P_EPROTO);
	uint8_t out[64];
	assert_int_equal(h_take(s, out, sizeof(out)), 24);
	expect_hdr(out, PING, ACK, 0, 1);
	expect_hdr(out + 12, GOAWAY, 0, 0, LP2P_YAMUX_GOAWAY_PROTOCOL);
	h_peer_free(s);
}

/* ---- output full: input and control frames wait ---- */

static void recv_backpressure(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.out_hiwat = 1024, .out_reserve = 1024};
	struct h_peer *s = responder(&cfg);
	/* 200 pings: 2400 bytes of answers cannot all fit in 2048. */
	static uint8_t buf[200 * 12];
	for (int i = 0; i < 200; i++)
		hdr(buf + 12 * i, PING, SYN, 0, (uint32_t)i);
	long c = h_feed(s, buf, sizeof(buf));
	assert_true(c > 0 && c < (long)sizeof(buf));
	assert_int_equal(c % 12, 0);
	size_t total = (size_t)c, answers = 0;
	uint8_t out[2048];
	while (total < sizeof(buf)) {
		size_t n = h_take(s, out, sizeof(out));
		for (size_t i = 0; i < n; i += 12)
			expect_hdr(out + i, PING, ACK, 0,
			           (uint32_t)(answers++));
		c = h_feed(s, buf + total, sizeof(buf) - total);
		assert_true(c > 0);
		total += (size_t)c;
	}
	size_t n = h_take(s, out, sizeof(out));
	for (size_t i = 0; i < n; i += 12)
		expect_hdr(out + i, PING, ACK, 0, (uint32_t)(answers++));
	assert_int_equal(answers, 200);
	h_peer_free(s);
}

static void control_frames_wait_for_room(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.out_hiwat = 1024, .out_reserve = 1024};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	struct h_peer *s = responder(NULL);
	enum { N = 60 };
	uint64_t ids[N];
	for (int i = 0; i < N; i++) {
		struct h_stream *a = h_open(c, NULL, NULL);
		ids[i] = a->id;
		assert_int_equal(h_pump(c, s), 0);
	}
	/* Fill the output: data to the mark, then SYNs into the reserve. */
	static uint8_t data[2048];
	assert_true(lp2p_mux_write(c->m, ids[0], data, sizeof(data)) > 0);
	int rc, opened = 0;
	while (h_open(c, NULL, &rc))
		opened++;
	assert_int_equal(rc, LP2P_EAGAIN);
	assert_true(opened > 0);
	uint8_t *out;
	size_t full = lp2p_mux_out_peek(c->m, &out);
	assert_true(full > 2048 - 12 && full <= 2048);
	/* Closes and resets are kept and written once there is room. */
	for (int i = 1; i < N; i++) {
		if (i % 2)
			assert_int_equal(lp2p_mux_close(c->m, ids[i]), 0);
		else
			assert_int_equal(lp2p_mux_reset(c->m, ids[i]), 0);
	}
	assert_int_equal(lp2p_mux_ping(c->m, 77), 0);
	assert_int_equal(lp2p_mux_ping(c->m, 78), LP2P_EAGAIN);
	assert_int_equal(lp2p_mux_goaway(c->m, 0), 0);
	assert_int_equal(lp2p_mux_out_peek(c->m, &out), full);
	c->chunk = 100; /* the backlog drains a little at a time */
	assert_int_equal(h_pump(c, s), 0);
	for (int i = 1; i < N; i++) {
		struct h_stream *b = h_find(s, ids[i]);
		if (i % 2)
			assert_true(b->fin);
		else
			assert_true(b->reset);
	}
	assert_int_equal(s->goaways, 1);
	assert_int_equal(c->nping_acks, 1);
	assert_int_equal(c->ping_acks[0], 77);
	h_peer_free(c);
	h_peer_free(s);
}

/* Callbacks that reset or close the stream they are told about. */
static void reset_on_data(struct h_peer *p, struct h_stream *hs)
{
	assert_int_equal(lp2p_mux_reset(p->m, hs->id), 0);
}

static void callbacks_may_reset(void **state)
{
	struct pair *p = *state;
	p->s->on_data = reset_on_data;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	static uint8_t data[100000];
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, data, sizeof(data)),
	                 sizeof(data));
	assert_int_equal(lp2p_mux_close(p->c->m, a->id), 0);
	/* A ping after the data is still answered. */
	assert_int_equal(lp2p_mux_ping(p->c->m, 9), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(p->s->datas, 1);
	assert_true(a->reset);
	assert_int_equal(p->c->nping_acks, 1);
	assert_int_equal(lp2p_mux_stream_count(p->s->m), 0);
	assert_int_equal(lp2p_mux_stream_count(p->c->m), 0);
}

static void reset_in_open(struct h_peer *p, struct h_stream *hs)
{
	assert_int_equal(lp2p_mux_reset(p->m, hs->id), 0);
}

static void open_callback_may_reset(void **state)
{
	struct pair *p = *state;
	p->s->on_open = reset_in_open;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, (uint8_t *)"abc", 3),
	                 3);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_true(a->reset);
	assert_int_equal(h_find(p->s, a->id)->rx_len, 0);
	assert_int_equal(lp2p_mux_stream_count(p->s->m), 0);
}

static void partial_sends(void **state)
{
	struct pair *p = *state;
	/* The caller sends odd-sized pieces: the output is compacted. */
	p->c->chunk = 1000;
	p->s->chunk = 7;
	static uint8_t data[1024 * 1024];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	struct h_stream *a = h_open(p->c, NULL, NULL);
	struct h_stream *b = h_open(p->c, NULL, NULL);
	assert_int_equal(h_write_all(p->c, p->s, a->id, data, sizeof(data)), 0);
	assert_int_equal(h_write_all(p->c, p->s, b->id, data, 5000), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	struct h_stream *ra = h_find(p->s, a->id);
	assert_int_equal(ra->rx_len, sizeof(data));
	assert_memory_equal(ra->rx, data, sizeof(data));
	assert_int_equal(h_find(p->s, b->id)->rx_len, 5000);
}

static void stream_data_and_small_calls(void **state)
{
	struct pair *p = *state;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, NULL, 0), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	/* Data goes to the stream_data set last. */
	struct h_stream *first = h_find(p->s, a->id);
	struct h_stream *other = &p->s->streams[p->s->nstreams++];
	memset(other, 0, sizeof(*other));
	other->id = a->id;
	assert_int_equal(lp2p_mux_set_stream_data(p->s->m, a->id, other), 0);
	assert_int_equal(lp2p_mux_set_stream_data(p->s->m, 12345, other),
	                 LP2P_ENOTFOUND);
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, (uint8_t *)"to", 2), 2);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(first->rx_len, 0);
	assert_int_equal(other->rx_len, 2);
	assert_int_equal(lp2p_mux_unconsumed(p->s->m, 999), LP2P_ENOTFOUND);
}

static void recv_in_callback(struct h_peer *p, struct h_stream *hs)
{
	(void)hs;
	assert_int_equal(lp2p_mux_recv(p->m, (const uint8_t *)"x", 1),
	                 LP2P_EINVAL);
}

static void no_recv_from_callbacks(void **state)
{
	struct pair *p = *state;
	p->s->on_data = recv_in_callback;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, (uint8_t *)"d", 1), 1);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(p->s->datas, 1);
	assert_int_equal(lp2p_mux_error(p->s->m), 0);
}

static void stream_ids_run_out(void **state)
{
	(void)state;
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, NULL);
	c->m->next_id = UINT32_MAX;
	int rc;
	struct h_stream *a = h_open(c, NULL, &rc);
	assert_non_null(a);
	assert_int_equal(a->id, UINT32_MAX);
	assert_null(h_open(c, NULL, &rc));
	assert_int_equal(rc, LP2P_ELIMIT);
	h_peer_free(c);
}

static void close_blocked_stream(void **state)
{
	struct pair *p = *state;
	p->s->auto_consume = false;
	struct h_stream *a = h_open(p->c, NULL, NULL);
	static uint8_t data[WINDOW + 10];
	assert_int_equal(lp2p_mux_write(p->c->m, a->id, data, sizeof(data)),
	                 WINDOW);
	assert_int_equal(lp2p_mux_close(p->c->m, a->id), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(lp2p_mux_consumed(p->s->m, a->id, WINDOW), 0);
	assert_int_equal(h_pump(p->c, p->s), 0);
	assert_int_equal(a->writable, 0); /* closed: no longer waiting */
	assert_true(h_find(p->s, a->id)->fin);
}

/* Fill the output from inside on_stream_open, then reset the stream. */
static void fill_then_reset(struct h_peer *p, struct h_stream *hs)
{
	int rc;
	while (h_open(p, NULL, &rc))
		;
	assert_int_equal(rc, LP2P_EAGAIN);
	assert_int_equal(lp2p_mux_reset(p->m, hs->id), 0);
}

static void reset_waits_for_room(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {
	    .out_hiwat = 1024, .out_reserve = 1024, .max_ack_backlog = 1000};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, NULL);
	struct h_peer *s = responder(&cfg);
	s->on_open = fill_then_reset;
	struct h_stream *a = h_open(c, NULL, NULL);
	assert_int_equal(h_pump_one(c, s), 12);
	/* The RST is not in the output yet... */
	uint8_t *out;
	size_t n = lp2p_mux_out_peek(s->m, &out);
	for (size_t i = 0; i < n; i += 12)
		assert_int_equal(out[i + 3], SYN);
	/* ...it follows once the output drains. */
	assert_int_equal(h_pump(c, s), 0);
	assert_true(a->reset);
	assert_int_equal(c->opens, (int)(n / 12));
	h_peer_free(c);
	h_peer_free(s);
}

static void free_with_pending_frames(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.out_hiwat = 1024, .out_reserve = 1024};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	int rc;
	uint64_t ids[200];
	int n = 0;
	while (n < 200) {
		struct h_stream *a = h_open(c, NULL, &rc);
		if (!a)
			break;
		ids[n++] = a->id;
	}
	assert_true(n > 10);
	for (int i = 0; i < n; i++)
		assert_int_equal(lp2p_mux_reset(c->m, ids[i]), 0);
	assert_int_equal(lp2p_mux_stream_count(c->m), 0);
	h_peer_free(c); /* the pending RSTs are freed (LeakSanitizer) */
}

static void writes_between_partial_sends(void **state)
{
	(void)state;
	struct lp2p_mux_config cfg = {.out_hiwat = 4096, .max_frame = 1500};
	struct h_peer *c = h_peer_new(LP2P_MUX_YAMUX, LP2P_MUX_INITIATOR, &cfg);
	struct h_peer *s = responder(NULL);
	c->chunk = 1000;
	static uint8_t data[600000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3 + (i >> 12));
	struct h_stream *a = h_open(c, NULL, NULL);
	struct h_stream *b = h_open(c, NULL, NULL);
	size_t done = 0;
	for (int guard = 0; done < sizeof(data) && guard < 100000; guard++) {
		ssize_t n = lp2p_mux_write(c->m, a->id, data + done,
		                           sizeof(data) - done);
		if (n > 0)
			done += (size_t)n;
		/* A stream reset while blocked is not reported writable. */
		if (guard == 3) {
			assert_int_equal(
			    lp2p_mux_write(c->m, b->id, data, sizeof(data)),
			    LP2P_EAGAIN);
			assert_int_equal(lp2p_mux_reset(c->m, b->id), 0);
		}
		assert_true(h_pump_one(c, s) >= 0);
		assert_true(h_pump_one(s, c) >= 0);
	}
	assert_int_equal(done, sizeof(data));
	assert_int_equal(h_pump(c, s), 0);
	struct h_stream *r = h_find(s, a->id);
	assert_int_equal(r->rx_len, sizeof(data));
	assert_memory_equal(r->rx, data, sizeof(data));
	assert_int_equal(b->writable, 0);
	h_peer_free(c);
	h_peer_free(s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pair_setup, pair_teardown)
	const struct CMUnitTest tests[] = {
	    T(frames_on_the_wire),
	    T(ack_folded_into_data),
	    T(syn_with_data),
	    T(bulk_transfer),
	    T(slow_reader_stops_sender),
	    T(larger_window_config),
	    T(output_high_water),
	    T(many_streams),
	    T(half_close),
	    T(reset_both_ways),
	    T(refused_stream),
	    T(goaway_stops_new_streams),
	    T(ping_and_goaway_codes),
	    T(unknown_stream_frames_skipped),
	    T(inbound_stream_limit),
	    T(ack_backlog_limit),
	    T(open_room_after_ack),
	    T(open_room_after_reset),
	    T(open_room_after_output_drains),
	    T(no_open_room_after_goaway),
	    T(outbound_stream_limit),
	    T(bad_config),
	    T(protocol_violations),
	    T(recv_backpressure),
	    T(control_frames_wait_for_room),
	    T(callbacks_may_reset),
	    T(open_callback_may_reset),
	    T(partial_sends),
	    T(stream_data_and_small_calls),
	    T(no_recv_from_callbacks),
	    T(stream_ids_run_out),
	    T(close_blocked_stream),
	    T(reset_waits_for_room),
	    T(free_with_pending_frames),
	    T(writes_between_partial_sends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
