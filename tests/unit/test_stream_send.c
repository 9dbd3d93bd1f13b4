/*
 * test_stream_send.c - buffered sends and length-prefixed messages on
 * streams between hosts (yamux and mplex): lp2p_stream_send takes every
 * byte, queues what the muxer does not take, charges it to the stream,
 * drains on its own and sends the FIN after it; a memory limit refuses a
 * send whole; lp2p_stream_set_msg_handler delivers whole messages, refuses
 * one over the maximum and one cut by the end, and hands the bytes after
 * a switch to a raw handler.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/message.h>
#include <lp2p/resource.h>

#include "test_swarm_harness.h"

#define KiB 1024u
#define MiB (1024u * KiB)

static const char *const muxer_yaml[] = {"muxers: [yamux]\n",
                                         "muxers: [mplex]\n"};

static uint8_t *pattern(size_t from, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = pattern_byte(from + i);
	return p;
}

/* ---- buffered send ---- */

static void send_queue_drains(struct world *w, int mux)
{
	struct node *a = world_node(w, muxer_yaml[mux]);
	struct node *b = world_node(w, muxer_yaml[mux]);
	struct service sink;
	service_init(&sink, w, "/test/sink/1.0.0");
	sink.tmpl.pause_on_open = true;
	sink.tmpl.check_pattern = true;
	service_add(&sink, b);
	lp2p_conn *c = connect_nodes(w, a, b);
	const char *proto[] = {"/test/sink/1.0.0"};
	struct ep *e = ep_open(w, c, proto, 1);
	WAIT_FOR(w, e->opens == 1 && sink.accepted == 1);
	assert_int_equal(e->open_status, 0);

	size_t total = 6 * MiB;
	uint8_t *data = pattern(0, total);
	assert_int_equal(lp2p_stream_send(e->s, data, total), 0);
	free(data);
	size_t queued = lp2p_stream_send_queued(e->s);
	assert_true(queued > 0);
	struct lp2p_resource_usage u;
	assert_int_equal(lp2p_stream_resource_usage(e->s, &u, NULL), 0);
	assert_true(u.memory >= queued);
	/* raw writes wait behind the queue */
	assert_int_equal(lp2p_stream_write(e->s, "x", 1), LP2P_EAGAIN);
	/* our end follows the queue */
	assert_int_equal(ep_close_write(e), 0);
	assert_int_equal(lp2p_stream_send(e->s, "x", 1), LP2P_ECLOSED);
	world_run_for(w, 50);
	assert_int_equal(sink.eps[0]->remote_closes, 0);
	ep_resume(sink.eps[0]);
	WAIT_FOR(w, sink.eps[0]->remote_closes == 1);
	assert_int_equal(sink.eps[0]->rx, total);
	assert_int_equal(sink.eps[0]->rx_at_fin, total);
	ep_check(sink.eps[0]);
	assert_int_equal(ep_close_write(sink.eps[0]), 0);
	WAIT_FOR(w, e->closes == 1 && sink.eps[0]->closes == 1);
	assert_int_equal(e->close_reason, 0);
	ep_check(e);
}

static void send_refused_at_limit(struct world *w, int mux)
{
	struct node *a = world_node(
	    w, mux == YAMUX ? "muxers: [yamux]\nlimits:\n  stream:\n"
	                      "    memory: 256KiB\n"
	                    : "muxers: [mplex]\nlimits:\n  stream:\n"
	                      "    memory: 256KiB\n");
	struct node *b = world_node(w, muxer_yaml[mux]);
	struct service sink;
	service_init(&sink, w, "/test/sink/1.0.0");
	sink.tmpl.pause_on_open = true;
	sink.tmpl.check_pattern = true;
	service_add(&sink, b);
	lp2p_conn *c = connect_nodes(w, a, b);
	const char *proto[] = {"/test/sink/1.0.0"};
	struct ep *e = ep_open(w, c, proto, 1);
	WAIT_FOR(w, e->opens == 1 && sink.accepted == 1);

	enum { PIECE = 16 * KiB };
	size_t sent = 0;
	int rc = 0;
	for (int i = 0; i < 4000 && rc == 0; i++) {
		uint8_t *p = pattern(sent, PIECE);
		rc = lp2p_stream_send(e->s, p, PIECE);
		free(p);
		if (rc == 0)
			sent += PIECE;
		world_pump_once(w);
	}
	assert_int_equal(rc, LP2P_ELIMIT);
	assert_true(lp2p_stream_send_queued(e->s) <= 256 * KiB);
	/* a refusal takes nothing: what was taken arrives intact */
	assert_int_equal(ep_close_write(e), 0);
	ep_resume(sink.eps[0]);
	WAIT_FOR(w, sink.eps[0]->remote_closes == 1);
	assert_int_equal(sink.eps[0]->rx, sent);
	ep_check(sink.eps[0]);
}

/* ---- messages ---- */

#define MAX_MSG (512 * KiB)
static const size_t sizes[] = {0, 1, 127, 128, 70000, 300000, MAX_MSG};
#define NSIZES (sizeof sizes / sizeof sizes[0])

struct msg_end {
	lp2p_stream *s;
	bool echo;
	size_t n;
	size_t lens[16];
	bool bad; /* content not the pattern */
	int remote_closes;
	int closes;
	int close_reason;
	struct ep *raw; /* switch to this raw ep after the first message */
};

static int me_msg(lp2p_stream *s, void *user, const uint8_t *msg, size_t len)
{
	struct msg_end *m = user;
	assert_ptr_equal(s, m->s);
	if (m->n < 16)
		m->lens[m->n] = len;
	m->n++;
	for (size_t i = 0; i < len; i++)
		if (msg[i] != pattern_byte(i))
			m->bad = true;
	if (m->echo)
		assert_int_equal(lp2p_stream_send_msg(s, msg, len), 0);
	if (m->raw) {
		m->raw->s = s;
		m->s = NULL;
		lp2p_stream_set_handler(s, &ep_handler, m->raw);
	}
	return 0;
}

static void me_remote_close(lp2p_stream *s, void *user)
{
	struct msg_end *m = user;
	m->remote_closes++;
	if (m->echo)
		assert_int_equal(lp2p_stream_close_write(s), 0);
}

static void me_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct msg_end *m = user;
	m->closes++;
	m->close_reason = reason;
	m->s = NULL;
}

static const struct lp2p_msg_handler me_handler = {
	.on_msg = me_msg,
	.on_remote_close = me_remote_close,
	.on_close = me_close,
};

static struct msg_end server_end;
static int accept_msgs(void *arg, lp2p_stream *s, const char *proto)
{
	(void)proto;
	size_t max = *(size_t *)arg;
	server_end.s = s;
	return lp2p_stream_set_msg_handler(s, &me_handler, max, &server_end);
}

static struct msg_end client_end;
static void client_opened(void *arg, int status, lp2p_stream *s)
{
	(void)arg;
	assert_int_equal(status, 0);
	client_end.s = s;
	assert_int_equal(
	    lp2p_stream_set_msg_handler(s, &me_handler, MAX_MSG, &client_end),
	    0);
}

static lp2p_stream *msg_pair(struct world *w, int mux, size_t *server_max)
{
	struct node *a = world_node(w, muxer_yaml[mux]);
	struct node *b = world_node(w, muxer_yaml[mux]);
	assert_int_equal(lp2p_host_add_protocol(b->h, "/test/msg/1.0.0",
	                                        accept_msgs, server_max),
	                 0);
	lp2p_conn *c = connect_nodes(w, a, b);
	memset(&server_end, 0, sizeof server_end);
	memset(&client_end, 0, sizeof client_end);
	server_end.echo = true;
	const char *proto[] = {"/test/msg/1.0.0"};
	assert_int_equal(
	    lp2p_conn_open_stream(c, proto, 1, client_opened, NULL), 0);
	WAIT_FOR(w, client_end.s != NULL);
	return client_end.s;
}

static void messages_both_ways(struct world *w, int mux)
{
	size_t max = MAX_MSG;
	lp2p_stream *s = msg_pair(w, mux, &max);
	uint8_t *p = pattern(0, MAX_MSG);
	for (size_t i = 0; i < NSIZES; i++)
		assert_int_equal(lp2p_stream_send_msg(s, p, sizes[i]), 0);
	free(p);
	assert_int_equal(lp2p_stream_close_write(s), 0);
	WAIT_FOR(w, client_end.closes == 1 && server_end.closes == 1);
	assert_int_equal(client_end.close_reason, 0);
	assert_int_equal(server_end.close_reason, 0);
	assert_int_equal(server_end.n, NSIZES);
	assert_int_equal(client_end.n, NSIZES);
	for (size_t i = 0; i < NSIZES; i++) {
		assert_int_equal(server_end.lens[i], sizes[i]);
		assert_int_equal(client_end.lens[i], sizes[i]);
	}
	assert_false(server_end.bad || client_end.bad);
	assert_int_equal(client_end.remote_closes, 1);
}

static void message_over_max(struct world *w, int mux)
{
	size_t max = 1000;
	lp2p_stream *s = msg_pair(w, mux, &max);
	uint8_t *p = pattern(0, 2000);
	assert_int_equal(lp2p_stream_send_msg(s, p, 999), 0);
	assert_int_equal(lp2p_stream_send_msg(s, p, 1001), 0);
	free(p);
	WAIT_FOR(w, client_end.closes == 1 && server_end.closes == 1);
	assert_int_equal(server_end.close_reason, LP2P_ERANGE);
	assert_int_equal(server_end.n, 1);
	assert_int_equal(client_end.close_reason, LP2P_ERESET);
}

static void message_cut_by_end(struct world *w, int mux)
{
	size_t max = 1000;
	lp2p_stream *s = msg_pair(w, mux, &max);
	uint8_t raw[51];
	raw[0] = 100;
	for (size_t i = 0; i < 50; i++)
		raw[1 + i] = pattern_byte(i);
	assert_int_equal(lp2p_stream_send(s, raw, sizeof raw), 0);
	assert_int_equal(lp2p_stream_close_write(s), 0);
	WAIT_FOR(w, client_end.closes == 1 && server_end.closes == 1);
	assert_int_equal(server_end.close_reason, LP2P_ETRUNC);
	assert_int_equal(server_end.remote_closes, 0);
	assert_int_equal(server_end.n, 0);
}

static void switch_to_raw(struct world *w, int mux)
{
	size_t max = 1000;
	lp2p_stream *s = msg_pair(w, mux, &max);
	struct ep *raw = world_ep(w);
	raw->check_pattern = true;
	server_end.echo = false;
	server_end.raw = raw;
	/* one message, then pattern bytes, in one write */
	uint8_t buf[1 + 10 + 5000];
	buf[0] = 10;
	for (size_t i = 0; i < 10; i++)
		buf[1 + i] = pattern_byte(i);
	for (size_t i = 0; i < 5000; i++)
		buf[11 + i] = pattern_byte(i);
	assert_int_equal(lp2p_stream_send(s, buf, sizeof buf), 0);
	assert_int_equal(lp2p_stream_close_write(s), 0);
	WAIT_FOR(w, raw->remote_closes == 1);
	assert_int_equal(server_end.n, 1);
	assert_int_equal(raw->rx, 5000);
	ep_check(raw);
}

BOTH(send_queue_drains)
BOTH(send_refused_at_limit)
BOTH(messages_both_ways)
BOTH(message_over_max)
BOTH(message_cut_by_end)
BOTH(switch_to_raw)

#define T(f) EACH_MUXER(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(send_queue_drains),  T(send_refused_at_limit),
	    T(messages_both_ways), T(message_over_max),
	    T(message_cut_by_end), T(switch_to_raw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
