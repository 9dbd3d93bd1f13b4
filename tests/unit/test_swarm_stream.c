/*
 * test_swarm_stream.c - streams between hosts in one process over loopback
 * TCP, with yamux and with mplex: routing by protocol id, negotiation
 * failures, bulk data, half-close, reset, close reasons, pause/resume
 * back-pressure, the per-connection stream limit, and opens that wait
 * for the muxer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/resource.h>

#include "test_swarm_harness.h"

#define MiB (1024u * 1024u)
#define KiB 1024u
/* yamux's receive window per stream (the spec's initial window). */
/* the swarm's yamux receive window per stream (LP2P_CONN_STREAM_WINDOW) */
#define YAMUX_WINDOW (1u * MiB)

static const char *const muxer_yaml[] = {"muxers: [yamux]\n",
                                         "muxers: [mplex]\n"};

/* Two connected hosts a -> b. */
struct pair {
	struct world *w;
	struct node *a, *b;
	lp2p_conn *ab; /* a's connection */
	lp2p_conn *ba; /* b's */
};

static struct pair make_pair(struct world *w, int mux, const char *extra_a,
                             const char *extra_b)
{
	char ya[1024], yb[1024];
	snprintf(ya, sizeof ya, "%s%s", muxer_yaml[mux], extra_a ? extra_a : "");
	snprintf(yb, sizeof yb, "%s%s", muxer_yaml[mux], extra_b ? extra_b : "");
	struct pair p = {.w = w};
	p.a = world_node(w, ya);
	p.b = world_node(w, yb);
	p.ab = connect_nodes(w, p.a, p.b);
	assert_int_equal(lp2p_host_conns_to_peer(p.b->h, &p.a->id, &p.ba, 1),
	                 1);
	return p;
}

/* ---- routing and negotiation ---- */

static void routing(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux, NULL, NULL);
	struct service s1, s2;
	service_init(&s1, w, "/test/one/1.0.0");
	service_init(&s2, w, "/test/two/1.0.0");
	s1.tmpl.close_on_fin = s2.tmpl.close_on_fin = true;
	service_add(&s1, p.b);
	service_add(&s2, p.b);
	assert_int_equal(lp2p_host_add_protocol(p.b->h, "/test/one/1.0.0",
	                                        NULL, NULL),
	                 LP2P_EINVAL);

	/* by protocol id */
	const char *two[] = {"/test/two/1.0.0"};
	struct ep *e2 = ep_open(w, p.ab, two, 1);
	assert_int_equal(e2->opens, 0); /* never inside the call */
	WAIT_FOR(w, e2->opens == 1 && s2.accepted == 1);
	assert_int_equal(e2->open_status, 0);
	assert_int_equal(s1.accepted, 0);
	assert_string_equal(e2->proto, "/test/two/1.0.0");
	assert_string_equal(s2.last_protocol, "/test/two/1.0.0");
	assert_string_equal(s2.eps[0]->proto, "/test/two/1.0.0");
	assert_int_equal(lp2p_stream_direction(e2->s), LP2P_OUTBOUND);
	assert_int_equal(lp2p_stream_direction(s2.eps[0]->s), LP2P_INBOUND);
	assert_ptr_equal(lp2p_stream_conn(e2->s), p.ab);
	assert_ptr_equal(lp2p_stream_conn(s2.eps[0]->s), p.ba);

	/* nobody speaks it: the open fails, the connection stays */
	const char *none[] = {"/test/none/1.0.0", "/test/nothing"};
	struct ep *en = ep_open(w, p.ab, none, 2);
	WAIT_FOR(w, en->opens == 1);
	assert_int_equal(en->open_status, LP2P_ENEGOTIATE);
	assert_int_equal(en->closes, 0);

	/* several proposals: the first the peer speaks */
	const char *many[] = {"/test/none/1.0.0", "/test/one/1.0.0",
	                      "/test/two/1.0.0"};
	struct ep *em = ep_open(w, p.ab, many, 3);
	WAIT_FOR(w, em->opens == 1 && s1.accepted == 1);
	assert_int_equal(em->open_status, 0);
	assert_string_equal(em->proto, "/test/one/1.0.0");
	assert_string_equal(s1.eps[0]->proto, "/test/one/1.0.0");
	assert_int_equal(s2.accepted, 1);

	/* a removed protocol is no longer spoken */
	assert_int_equal(lp2p_host_remove_protocol(p.b->h, "/test/two/1.0.0"),
	                 0);
	assert_int_equal(lp2p_host_remove_protocol(p.b->h, "/test/two/1.0.0"),
	                 LP2P_ENOTFOUND);
	struct ep *er = ep_open(w, p.ab, two, 1);
	WAIT_FOR(w, er->opens == 1);
	assert_int_equal(er->open_status, LP2P_ENEGOTIATE);

	/* the streams opened before still work */
	static const uint8_t msg[] = "still here";
	assert_int_equal(lp2p_stream_write(e2->s, msg, sizeof msg),
	                 (ssize_t)sizeof msg);
	WAIT_FOR(w, s2.eps[0]->rx == sizeof msg);
	assert_memory_equal(s2.eps[0]->head, msg, sizeof msg);
	assert_int_equal(lp2p_conn_stream_count(p.ab), 2);
	assert_int_equal(ep_close_write(e2), 0);
	assert_int_equal(ep_close_write(em), 0);
	WAIT_FOR(w, e2->closes && em->closes && s1.eps[0]->closes &&
	                    s2.eps[0]->closes);
	assert_int_equal(e2->close_reason, 0);
	assert_int_equal(s2.eps[0]->close_reason, 0);
	assert_int_equal(lp2p_conn_stream_count(p.ab), 0);
	WAIT_FOR(w, lp2p_conn_stream_count(p.ba) == 0);
	ep_check(e2);
	ep_check(em);
	ep_check(en);
	ep_check(s2.eps[0]);
}

static void routing_yamux(void **state)
{
	routing(*state, YAMUX);
}

static void routing_mplex(void **state)
{
	routing(*state, MPLEX);
}

/* An accept callback's refusal resets the stream. */
static void accept_refusal_resets(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/refuse");
	sv.accept_rc = LP2P_EPERM;
	service_add(&sv, p.b);
	const char *proto[] = {"/test/refuse"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	WAIT_FOR(w, sv.accepted == 1 && (e->closes || e->open_status < 0));
	/* negotiated, then reset: either way the opener learns it */
	if (e->open_status == 0)
		assert_int_equal(e->close_reason, LP2P_ERESET);
	ep_check(e);
	WAIT_FOR(w, lp2p_conn_stream_count(p.ba) == 0 &&
	                    lp2p_conn_stream_count(p.ab) == 0);
}

/* lp2p_host_open_stream dials by peer id first. */
static void open_stream_by_peer(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct service sv;
	service_init(&sv, w, "/test/p");
	service_add(&sv, b);
	assert_int_equal(lp2p_peerstore_add_addr(a->h, &b->id, &b->addr,
	                                         60000),
	                 0);
	struct ep *e = world_ep(w);
	const char *proto[] = {"/test/p"};
	e->in_call = true;
	assert_int_equal(lp2p_host_open_stream(a->h, &b->id, proto, 1,
	                                       ep_open_cb, e),
	                 0);
	e->in_call = false;
	WAIT_FOR(w, e->opens == 1 && sv.accepted == 1);
	assert_int_equal(e->open_status, 0);
	assert_true(lp2p_peer_id_equal(lp2p_conn_peer(lp2p_stream_conn(e->s)),
	                               &b->id));
	ep_check(e);
	/* unknown peer: fails through the callback */
	struct node *c = world_node(w, NULL);
	struct ep *e2 = world_ep(w);
	e2->in_call = true;
	assert_int_equal(lp2p_host_open_stream(a->h, &c->id, proto, 1,
	                                       ep_open_cb, e2),
	                 0);
	e2->in_call = false;
	WAIT_FOR(w, e2->opens == 1);
	assert_int_equal(e2->open_status, LP2P_ENOTCONN);
	ep_check(e2);
}

/* ---- data ---- */

/* size bytes a -> b, echoed back, checked on both sides. */
static void echo_bulk(struct world *w, int mux, size_t size)
{
	struct pair p = make_pair(w, mux, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/echo");
	sv.tmpl.echo = true;
	sv.tmpl.check_pattern = true;
	service_add(&sv, p.b);
	const char *proto[] = {"/test/echo"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	e->to_send = size;
	e->close_after_send = true;
	e->check_pattern = true;
	WAIT_FOR_MS(w, e->closes == 1, 20000);
	struct ep *r = sv.eps[0];
	WAIT_FOR(w, r->closes == 1);
	assert_int_equal(e->sent, size);
	assert_int_equal(e->rx, size);
	assert_int_equal(r->rx, size);
	assert_int_equal(e->close_reason, 0);
	assert_int_equal(r->close_reason, 0);
	assert_int_equal(e->remote_closes, 1);
	assert_int_equal(r->remote_closes, 1);
	assert_true(e->n_short + e->n_eagain > 0); /* flow control worked */
	ep_check(e);
	ep_check(r);
	assert_int_equal(lp2p_conn_stream_count(p.ab), 0);
	WAIT_FOR(w, lp2p_conn_stream_count(p.ba) == 0);
}

static void echo_8mib_yamux(void **state)
{
	echo_bulk(*state, YAMUX, 8 * MiB);
}

static void echo_8mib_mplex(void **state)
{
	echo_bulk(*state, MPLEX, 8 * MiB);
}

static void half_close(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/half");
	service_add(&sv, p.b);
	const char *proto[] = {"/test/half"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	WAIT_FOR(w, e->opens == 1 && sv.accepted == 1);
	struct ep *r = sv.eps[0];
	static const uint8_t ping[] = "ping", pong[] = "pong, late";
	assert_int_equal(lp2p_stream_write(e->s, ping, sizeof ping),
	                 (ssize_t)sizeof ping);
	assert_int_equal(ep_close_write(e), 0);
	assert_int_equal(ep_close_write(e), 0); /* again: nothing to do */
	assert_int_equal(lp2p_stream_write(e->s, ping, 1), LP2P_ECLOSED);
	WAIT_FOR(w, r->remote_closes == 1);
	assert_int_equal(r->rx, sizeof ping);
	assert_memory_equal(r->head, ping, sizeof ping);
	/* the other direction still flows */
	world_run_for(w, 30);
	assert_int_equal(e->closes + r->closes, 0);
	assert_int_equal(lp2p_stream_write(r->s, pong, sizeof pong),
	                 (ssize_t)sizeof pong);
	WAIT_FOR(w, e->rx == sizeof pong);
	assert_memory_equal(e->head, pong, sizeof pong);
	assert_int_equal(e->remote_closes, 0);
	assert_int_equal(ep_close_write(r), 0);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->remote_closes, 1);
	assert_int_equal(e->close_reason, 0);
	assert_int_equal(r->close_reason, 0);
	ep_check(e);
	ep_check(r);
}

static void half_close_yamux(void **state)
{
	half_close(*state, YAMUX);
}

static void half_close_mplex(void **state)
{
	half_close(*state, MPLEX);
}

static void reset_and_close_reasons(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/r");
	service_add(&sv, p.b);
	const char *proto[] = {"/test/r"};
	struct ep *e[4];
	for (int i = 0; i < 4; i++)
		e[i] = ep_open(w, p.ab, proto, 1);
	WAIT_FOR(w, sv.accepted == 4 && e[0]->opens && e[1]->opens &&
	                    e[2]->opens && e[3]->opens);

	/* the opener resets: the other side sees LP2P_ERESET */
	struct ep *r0 = NULL, *r1 = NULL;
	for (int i = 0; i < 4; i++) {
		/* match the accepted eps to ours through a byte each */
		uint8_t b = (uint8_t)('0' + i);
		assert_int_equal(lp2p_stream_write(e[i]->s, &b, 1), 1);
	}
	WAIT_FOR(w, sv.eps[0]->rx && sv.eps[1]->rx && sv.eps[2]->rx &&
	                    sv.eps[3]->rx);
	struct ep *r[4];
	for (int i = 0; i < 4; i++)
		r[sv.eps[i]->head[0] - '0'] = sv.eps[i];
	r0 = r[0];
	r1 = r[1];
	ep_reset(e[0], 0);
	WAIT_FOR(w, r0->closes == 1);
	assert_int_equal(r0->close_reason, LP2P_ERESET);
	/* the acceptor resets: the opener sees LP2P_ERESET */
	ep_reset(r1, 0);
	WAIT_FOR(w, e[1]->closes == 1);
	assert_int_equal(e[1]->close_reason, LP2P_ERESET);
	/* a reset we asked for ends with our own on_close, once */
	world_run_for(w, 50);
	assert_int_equal(e[0]->closes, 1);
	assert_int_equal(e[0]->close_reason, LP2P_ECANCELED);
	assert_int_equal(r1->closes, 1);
	assert_int_equal(r1->close_reason, LP2P_ECANCELED);
	ep_check(e[0]);
	ep_check(r1);

	/* the connection closes under the others: LP2P_ECLOSED both sides,
	 * delivered from the loop, never inside lp2p_conn_close */
	e[2]->in_call = e[3]->in_call = true;
	lp2p_conn_close(p.ab);
	e[2]->in_call = e[3]->in_call = false;
	WAIT_FOR(w, e[2]->closes && e[3]->closes && r[2]->closes &&
	                    r[3]->closes);
	for (int i = 2; i < 4; i++) {
		assert_int_equal(e[i]->close_reason, LP2P_ECLOSED);
		assert_int_equal(r[i]->close_reason, LP2P_ECLOSED);
		ep_check(e[i]);
		ep_check(r[i]);
	}
	ep_check(e[0]);
	ep_check(e[1]);
	ep_check(r0);
	ep_check(r1);
	WAIT_FOR(w, lp2p_host_conns(p.b->h, NULL, 0) == 0);
	assert_int_equal(lp2p_host_conns(p.a->h, NULL, 0), 0);
}

static void reset_and_close_reasons_yamux(void **state)
{
	reset_and_close_reasons(*state, YAMUX);
}

static void reset_and_close_reasons_mplex(void **state)
{
	reset_and_close_reasons(*state, MPLEX);
}

/* A stream closed both ways while the remote had closed already: on_close
 * comes from the loop, not from inside lp2p_stream_close_write. */
static void on_close_not_inside_close_write(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/c");
	sv.tmpl.close_on_fin = true;
	service_add(&sv, p.b);
	const char *proto[] = {"/test/c"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	WAIT_FOR(w, sv.accepted == 1 && e->opens == 1);
	struct ep *r = sv.eps[0];
	assert_int_equal(ep_close_write(r), 0);
	WAIT_FOR(w, e->remote_closes == 1);
	assert_int_equal(ep_close_write(e), 0);
	assert_int_equal(e->closes, 0);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, 0);
	ep_check(e);
	ep_check(r);
}

/* lp2p_stream_close: we send no more and drop what still comes (the
 * window keeps opening, so the writer is not stuck). */
static void close_drops_further_data(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/drop");
	service_add(&sv, p.b);
	const char *proto[] = {"/test/drop"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	WAIT_FOR(w, sv.accepted == 1 && e->opens == 1);
	struct ep *r = sv.eps[0];
	r->in_call = true;
	assert_int_equal(lp2p_stream_close(r->s), 0);
	r->in_call = false;
	assert_int_equal(lp2p_stream_write(r->s, "x", 1), LP2P_ECLOSED);
	e->to_send = 1 * MiB;
	e->close_after_send = true;
	ep_send(e);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->sent, 1 * MiB);
	assert_int_equal(e->remote_closes, 1);
	assert_int_equal(r->rx, 0);
	assert_int_equal(r->remote_closes, 0);
	assert_int_equal(e->close_reason, 0);
	assert_int_equal(r->close_reason, 0);
	ep_check(e);
	ep_check(r);
}

/* A handler resets its stream, then closes the connection, from inside
 * on_data. */
static void act_from_on_data(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/act");
	sv.tmpl.act = ACT_RESET;
	sv.tmpl.act_after = 100 * KiB;
	service_add(&sv, p.b);
	const char *proto[] = {"/test/act"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	e->to_send = 1 * MiB;
	WAIT_FOR(w, e->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ERESET);
	assert_true(e->sent < 1 * MiB || mux == MPLEX);
	struct ep *r = sv.eps[0];
	world_run_for(w, 30);
	assert_int_equal(r->closes, 1); /* its own reset's on_close */
	assert_int_equal(r->close_reason, LP2P_EPROTO);
	ep_check(e);
	ep_check(r);

	sv.tmpl.act = ACT_CLOSE_CONN;
	struct ep *e2 = ep_open(w, p.ab, proto, 1);
	struct ep *bystander = ep_open(w, p.ab, proto, 1);
	e2->to_send = 1 * MiB;
	WAIT_FOR(w, e2->closes == 1 && bystander->closes == 1 &&
	                    sv.accepted == 3);
	/* the side that closed sees LP2P_ECLOSED; the other may see the
	 * TCP reset a close with unread input makes (LP2P_EIO) */
	assert_true(e2->close_reason == LP2P_ECLOSED ||
	            e2->close_reason == LP2P_EIO);
	assert_int_equal(bystander->close_reason, e2->close_reason);
	for (int i = 1; i < 3; i++) {
		WAIT_FOR(w, sv.eps[i]->closes == 1);
		assert_int_equal(sv.eps[i]->close_reason, LP2P_ECLOSED);
		ep_check(sv.eps[i]);
	}
	ep_check(e2);
	ep_check(bystander);
	assert_int_equal(lp2p_host_conns(p.b->h, NULL, 0), 0);
	WAIT_FOR(w, lp2p_host_conns(p.a->h, NULL, 0) == 0);
}

static void act_from_on_data_yamux(void **state)
{
	act_from_on_data(*state, YAMUX);
}

static void act_from_on_data_mplex(void **state)
{
	act_from_on_data(*state, MPLEX);
}

/* ---- pause / resume ---- */

/* The remote's close waits behind held data: on_data first, then
 * on_remote_close, once resumed. */
static void fin_after_held_data(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/fin");
	sv.tmpl.pause_on_open = true;
	sv.tmpl.check_pattern = true;
	sv.tmpl.close_on_fin = true;
	service_add(&sv, p.b);
	const char *proto[] = {"/test/fin"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	e->to_send = 1000;
	e->close_after_send = true;
	WAIT_FOR(w, sv.accepted == 1 && e->write_closed);
	struct ep *r = sv.eps[0];
	world_run_for(w, 50);
	assert_int_equal(r->rx, 0);
	assert_int_equal(r->remote_closes, 0);
	ep_resume(r);
	assert_int_equal(r->rx, 1000);
	assert_int_equal(r->remote_closes, 1);
	assert_int_equal(r->rx_at_fin, 1000);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, 0);
	assert_int_equal(r->close_reason, 0);
	ep_check(e);
	ep_check(r);
}

static void fin_after_held_data_yamux(void **state)
{
	fin_after_held_data(*state, YAMUX);
}

static void fin_after_held_data_mplex(void **state)
{
	fin_after_held_data(*state, MPLEX);
}

/* A reset ends a paused stream at once; what was held is dropped. */
static void reset_while_paused(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/rp");
	sv.tmpl.pause_on_open = true;
	service_add(&sv, p.b);
	const char *proto[] = {"/test/rp"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	e->to_send = 100 * KiB;
	WAIT_FOR(w, sv.accepted == 1 && e->sent == 100 * KiB);
	struct ep *r = sv.eps[0];
	world_run_for(w, 50);
	ep_reset(e, 0);
	WAIT_FOR(w, r->closes == 1 && e->closes == 1);
	assert_int_equal(r->close_reason, LP2P_ERESET);
	assert_int_equal(e->close_reason, LP2P_ECANCELED);
	assert_int_equal(r->rx, 0);
	ep_check(r);
	ep_check(e);
	WAIT_FOR(w, lp2p_conn_stream_count(p.ba) == 0);
	/* the connection still carries streams */
	struct service echo;
	service_init(&echo, w, "/test/echo");
	echo.tmpl.echo = true;
	service_add(&echo, p.b);
	const char *pe[] = {"/test/echo"};
	struct ep *x = ep_open(w, p.ab, pe, 1);
	x->to_send = 300 * KiB;
	x->check_pattern = true;
	x->close_after_send = true;
	WAIT_FOR(w, x->closes == 1);
	assert_int_equal(x->rx, 300 * KiB);
	ep_check(x);
}

static void reset_while_paused_yamux(void **state)
{
	reset_while_paused(*state, YAMUX);
}

static void reset_while_paused_mplex(void **state)
{
	reset_while_paused(*state, MPLEX);
}

/* Until *progress stays the same for 200 ms and 500 loop rounds. */
static void wait_stall(struct world *w, const size_t *progress)
{
	uint64_t end = mono_ms() + WAIT_MS;
	size_t last = *progress;
	uint64_t since = mono_ms();
	for (int rounds = 0; rounds < 500 || mono_ms() - since < 200;
	     rounds++) {
		world_pump_once(w);
		if (*progress != last) {
			last = *progress;
			since = mono_ms();
			rounds = 0;
		}
		if (mono_ms() > end)
			fail_msg("the writer does not stall");
	}
}

/*
 * A paused reader: the writer is stopped by the muxer window (yamux) or
 * by the connection's held-data limit and TCP (mplex); nothing reaches
 * the handler while paused; resume delivers everything in order.
 */
static void paused_reader(struct world *w, int mux, size_t total,
                          size_t max_accepted)
{
	struct pair p = make_pair(w, mux, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/sink");
	sv.tmpl.pause_on_open = true;
	sv.tmpl.check_pattern = true;
	sv.tmpl.close_on_fin = true;
	service_add(&sv, p.b);
	const char *proto[] = {"/test/sink"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	e->to_send = total;
	e->close_after_send = true;
	WAIT_FOR(w, sv.accepted == 1);
	struct ep *r = sv.eps[0];

	/* the writer stalls: no progress for a while */
	wait_stall(w, &e->sent);
	assert_true(e->sent < total);
	if (e->sent > max_accepted)
		fail_msg("the writer got %zu bytes accepted (at most %zu "
		         "expected) while the reader was paused",
		         e->sent, max_accepted);
	/* the stream takes nothing more now */
	static const uint8_t more[1024];
	assert_int_equal(lp2p_stream_write(e->s, more, sizeof more),
	                 LP2P_EAGAIN);
	assert_int_equal(r->data_calls, 0);
	assert_int_equal(r->rx, 0);
	assert_int_equal(r->closes, 0);

	ep_resume(r);
	WAIT_FOR_MS(w, r->closes == 1 && e->closes == 1, 20000);
	assert_int_equal(r->rx, total);
	assert_int_equal(e->sent, total);
	assert_int_equal(r->close_reason, 0);
	assert_int_equal(e->close_reason, 0);
	ep_check(e);
	ep_check(r);
}

static void paused_reader_yamux(void **state)
{
	/* one window, and what a frame in flight may add */
	paused_reader(*state, YAMUX, 4 * MiB, YAMUX_WINDOW + 64 * KiB);
}

/* The largest TCP buffer of a socket (the third field of a
 * /proc/sys/net/ipv4/tcp_[rw]mem file). */
static size_t tcp_buf_max(const char *path)
{
	unsigned long lo, def, max = 16 * MiB;
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lu %lu %lu", &lo, &def, &max) != 3)
			max = 16 * MiB;
		fclose(f);
	}
	return max;
}

static void paused_reader_mplex(void **state)
{
	/*
	 * No window: data held for paused streams (1 MiB per connection,
	 * plus one read) stops the connection reading, then the TCP buffers
	 * fill, then the sender's connection output (1 MiB) and muxer
	 * output (256 KiB).  The stream is not reset (mplex resets one with
	 * more than 4 MiB unconsumed).
	 */
	size_t bound = 3 * MiB + MiB / 2 +
	               tcp_buf_max("/proc/sys/net/ipv4/tcp_rmem") +
	               tcp_buf_max("/proc/sys/net/ipv4/tcp_wmem");
	paused_reader(*state, MPLEX, bound + 8 * MiB, bound);
}

/*
 * A slow reader pauses after every 256 KiB and is resumed later: each
 * time, what the writer got accepted beyond what was delivered stays
 * within about one window.
 */
static void slow_reader_yamux(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL, NULL);
	struct service sv;
	service_init(&sv, w, "/test/slow");
	sv.tmpl.pause_every = YAMUX_WINDOW;
	sv.tmpl.check_pattern = true;
	sv.tmpl.close_on_fin = true;
	service_add(&sv, p.b);
	const char *proto[] = {"/test/slow"};
	struct ep *e = ep_open(w, p.ab, proto, 1);
	const size_t total = 12 * YAMUX_WINDOW;
	e->to_send = total;
	e->close_after_send = true;
	WAIT_FOR(w, sv.accepted == 1);
	struct ep *r = sv.eps[0];
	int pauses = 0;
	while (r->closes == 0) {
		WAIT_FOR(w, r->paused_by_handler || r->closes);
		if (r->closes)
			break;
		pauses++;
		world_run_for(w, 30);
		size_t ahead = e->sent - r->rx;
		if (ahead > YAMUX_WINDOW + 64 * KiB)
			fail_msg("%zu bytes accepted beyond the %zu delivered",
			         ahead, r->rx);
		ep_resume(r);
	}
	assert_true(pauses >= 8);
	assert_int_equal(r->rx, total);
	assert_int_equal(r->close_reason, 0);
	WAIT_FOR(w, e->closes == 1);
	ep_check(e);
	ep_check(r);
}

/* A paused yamux stream does not hold up the connection's other
 * streams. */
static void paused_stream_does_not_block_others(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL, NULL);
	struct service sink, echo;
	service_init(&sink, w, "/test/sink");
	sink.tmpl.pause_on_open = true;
	service_init(&echo, w, "/test/echo");
	echo.tmpl.echo = true;
	echo.tmpl.check_pattern = true;
	service_add(&sink, p.b);
	service_add(&echo, p.b);
	const char *ps[] = {"/test/sink"}, *pe[] = {"/test/echo"};
	struct ep *s = ep_open(w, p.ab, ps, 1);
	s->to_send = 2 * MiB;
	WAIT_FOR(w, sink.accepted == 1 && s->n_short + s->n_eagain > 0);
	struct ep *e = ep_open(w, p.ab, pe, 1);
	e->to_send = 1 * MiB;
	e->close_after_send = true;
	e->check_pattern = true;
	WAIT_FOR(w, e->closes == 1);
	assert_int_equal(e->rx, 1 * MiB);
	assert_int_equal(e->close_reason, 0);
	assert_int_equal(sink.eps[0]->rx, 0);
	ep_check(e);
}

/*
 * Paused yamux streams with full windows, together past the 1 MiB a
 * connection holds for paused streams before it stops reading (mplex):
 * the windows bound them, the other streams go on.
 */
static void many_paused_streams_do_not_block_others(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL, NULL);
	struct service sink, echo;
	service_init(&sink, w, "/test/sink");
	sink.tmpl.pause_on_open = true;
	service_init(&echo, w, "/test/echo");
	echo.tmpl.echo = true;
	service_add(&sink, p.b);
	service_add(&echo, p.b);
	const char *ps[] = {"/test/sink"}, *pe[] = {"/test/echo"};
	struct ep *s[6];
	for (int i = 0; i < 6; i++) {
		s[i] = ep_open(w, p.ab, ps, 1);
		s[i]->to_send = 1 * MiB;
	}
	WAIT_FOR(w, sink.accepted == 6 && s[0]->n_short + s[0]->n_eagain &&
	                    s[5]->n_short + s[5]->n_eagain);
	struct ep *e = ep_open(w, p.ab, pe, 1);
	e->to_send = 1 * MiB;
	e->close_after_send = true;
	e->check_pattern = true;
	WAIT_FOR(w, e->closes == 1);
	assert_int_equal(e->rx, 1 * MiB);
	ep_check(e);
}

/*
 * A negotiation the peer does not answer times out: b's mplex connection
 * stopped reading (a paused stream holds more than its limit), so a new
 * stream's proposal gets no answer.
 */
static void negotiation_timeout(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, MPLEX,
	                          "limits:\n"
	                          "  negotiation_timeout: 300ms\n",
	                          NULL);
	struct service sink;
	service_init(&sink, w, "/test/sink");
	sink.tmpl.pause_on_open = true;
	service_add(&sink, p.b);
	const char *ps[] = {"/test/sink"};
	struct ep *s = ep_open(w, p.ab, ps, 1);
	s->to_send = 3 * MiB;
	WAIT_FOR(w, sink.accepted == 1 && s->n_short + s->n_eagain > 0);
	struct ep *e = ep_open(w, p.ab, ps, 1);
	uint64_t t0 = mono_ms();
	WAIT_FOR(w, e->opens == 1);
	assert_int_equal(e->open_status, LP2P_ETIMEDOUT);
	assert_true(mono_ms() - t0 >= 250);
	ep_check(e);
	/* b catches up once resumed; the connection lives on */
	ep_resume(sink.eps[0]);
	WAIT_FOR(w, sink.eps[0]->rx == 3 * MiB);
	assert_int_equal(lp2p_host_conns(p.a->h, NULL, 0), 1);
	ep_check(s);
}

/*
 * limits.write_timeout: a peer that takes none of our output for that long
 * is dropped.  A paused yamux reader stops the writer at the window, so
 * nothing waits for the socket and the connection stays; a paused mplex
 * reader stops reading the connection, so the writer's output stalls.
 */
static void write_stall(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux,
	                          "limits:\n"
	                          "  write_timeout: 300ms\n",
	                          NULL);
	struct service sink;
	service_init(&sink, w, "/test/sink");
	sink.tmpl.pause_on_open = true;
	service_add(&sink, p.b);
	const char *ps[] = {"/test/sink"};
	struct ep *s = ep_open(w, p.ab, ps, 1);
	s->to_send = 64 * MiB;
	WAIT_FOR(w, sink.accepted == 1 && s->n_short + s->n_eagain > 0);
	if (mux == YAMUX) {
		world_run_for(w, 800);
		assert_int_equal(s->closes, 0);
		assert_int_equal(lp2p_host_conns(p.a->h, NULL, 0), 1);
		return;
	}
	uint64_t t0 = mono_ms();
	WAIT_FOR(w, s->closes == 1);
	assert_int_equal(s->close_reason, LP2P_ETIMEDOUT);
	assert_true(mono_ms() - t0 >= 250);
	assert_int_equal(lp2p_host_conns(p.a->h, NULL, 0), 0);
	ep_check(s);
}

static void write_stall_yamux(void **state)
{
	write_stall(*state, YAMUX);
}

static void write_stall_mplex(void **state)
{
	write_stall(*state, MPLEX);
}

/*
 * An mplex connection that stopped
 * reading for held data must still see its peer go away (it watches the
 * TCP state while held), so its streams' on_close comes although the
 * handler stays paused.
 */
static void held_connection_sees_close_mplex(void **state)
{
	struct world *w = *state;
	/* b's side holds reading; a's FIN may be stuck behind data b's
	 * kernel cannot take: then the held stream is shed after
	 * write_timeout (ELIMIT) and reading resumes to see the close. */
	struct pair p = make_pair(w, MPLEX, NULL,
	                          "limits:\n  write_timeout: 1s\n");
	struct service sink;
	service_init(&sink, w, "/test/sink");
	sink.tmpl.pause_on_open = true;
	service_add(&sink, p.b);
	const char *ps[] = {"/test/sink"};
	struct ep *s = ep_open(w, p.ab, ps, 1);
	s->to_send = 3 * MiB;
	WAIT_FOR(w, sink.accepted == 1);
	world_run_for(w, 300);
	lp2p_conn_close(p.ab);
	WAIT_FOR(w, sink.eps[0]->closes == 1);
	assert_true(sink.eps[0]->close_reason == LP2P_ECLOSED ||
	            sink.eps[0]->close_reason == LP2P_ELIMIT);
	WAIT_FOR(w, lp2p_host_conns(p.b->h, NULL, 0) == 0);
}

/* ---- limits ---- */

static void stream_limit(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux, NULL,
	                          "limits:\n"
	                          "  max_streams_per_connection: 3\n");
	struct service sv;
	service_init(&sv, w, "/test/lim");
	sv.tmpl.echo = true;
	sv.tmpl.check_pattern = true;
	service_add(&sv, p.b);
	const char *proto[] = {"/test/lim"};
	struct ep *e[3];
	for (int i = 0; i < 3; i++)
		e[i] = ep_open(w, p.ab, proto, 1);
	WAIT_FOR(w, sv.accepted == 3 && e[0]->opens && e[1]->opens &&
	                    e[2]->opens);
	/* the fourth is refused by b */
	struct ep *x = ep_open(w, p.ab, proto, 1);
	WAIT_FOR(w, x->opens == 1 || x->closes == 1);
	if (x->opens)
		assert_true(x->open_status < 0);
	world_run_for(w, 50);
	assert_int_equal(sv.accepted, 3);
	assert_int_equal(lp2p_conn_stream_count(p.ba), 3);
	/* the connection keeps working */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(e[i]->open_status, 0);
		e[i]->check_pattern = true;
		e[i]->to_send = 100 * KiB;
		ep_send(e[i]);
	}
	WAIT_FOR(w, e[0]->rx == 100 * KiB && e[1]->rx == 100 * KiB &&
	                    e[2]->rx == 100 * KiB);
	/* one closes: there is room again */
	assert_int_equal(ep_close_write(e[0]), 0);
	WAIT_FOR(w, e[0]->closes == 1 && lp2p_conn_stream_count(p.ba) == 2);
	struct ep *y = ep_open(w, p.ab, proto, 1);
	y->to_send = 1000;
	y->check_pattern = true;
	WAIT_FOR(w, y->rx == 1000);
	assert_int_equal(y->open_status, 0);
	assert_int_equal(lp2p_host_conns(p.a->h, NULL, 0), 1);
	for (int i = 0; i < 3; i++)
		ep_check(e[i]);
	ep_check(x);
	ep_check(y);
}

static uint64_t system_memory(lp2p_host *h)
{
	struct lp2p_resource_usage u;
	assert_int_equal(lp2p_host_resource_usage(h, LP2P_SCOPE_SYSTEM, NULL,
	                                          &u, NULL),
	                 0);
	return u.memory;
}

/* limits.max_buffer_memory (system.memory): a paused stream that holds
 * more than the host's buffer budget is reset, and the memory comes back. */
static void buffer_memory_limit(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, MPLEX, NULL,
	                          "limits:\n  max_buffer_memory: 64KiB\n");
	struct service sink;
	service_init(&sink, w, "/test/sink");
	sink.tmpl.pause_on_open = true;
	service_add(&sink, p.b);
	const char *ps[] = {"/test/sink"};
	struct ep *s = ep_open(w, p.ab, ps, 1);
	s->to_send = 3 * MiB;
	WAIT_FOR(w, sink.accepted == 1);
	WAIT_FOR(w, sink.eps[0]->closes == 1);
	assert_int_equal(sink.eps[0]->close_reason, LP2P_ELIMIT);
	WAIT_FOR(w, s->closes == 1);
	WAIT_FOR(w, system_memory(p.b->h) <= 64 * KiB);
}

/* limits.stream.memory: the stream over it is reset; its connection and
 * the other streams go on. */
static void stream_memory_limit(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL,
	                          "limits:\n  stream:\n    memory: 100KiB\n");
	struct service sink, echo;
	service_init(&sink, w, "/test/sink");
	sink.tmpl.pause_on_open = true;
	service_add(&sink, p.b);
	service_init(&echo, w, "/test/echo");
	echo.tmpl.echo = true;
	service_add(&echo, p.b);
	const char *ps[] = {"/test/sink"}, *pe[] = {"/test/echo"};
	struct ep *s = ep_open(w, p.ab, ps, 1);
	s->to_send = 1 * MiB;
	WAIT_FOR(w, sink.accepted == 1);
	WAIT_FOR(w, sink.eps[0]->closes == 1);
	assert_int_equal(sink.eps[0]->close_reason, LP2P_ELIMIT);
	WAIT_FOR(w, s->closes == 1);
	struct ep *e = ep_open(w, p.ab, pe, 1);
	e->to_send = 300 * KiB;
	e->check_pattern = true;
	WAIT_FOR(w, e->rx == 300 * KiB);
	ep_check(e);
	assert_int_equal(lp2p_host_conns(p.b->h, NULL, 0), 1);
}

static struct lp2p_resource_usage usage_of(lp2p_host *h,
                                           enum lp2p_scope_kind kind,
                                           const void *key, int want_rc)
{
	struct lp2p_resource_usage u;
	assert_int_equal(lp2p_host_resource_usage(h, kind, key, &u, NULL),
	                 want_rc);
	return u;
}

static bool system_idle(lp2p_host *h)
{
	static const struct lp2p_resource_usage zero;
	struct lp2p_resource_usage u = usage_of(h, LP2P_SCOPE_SYSTEM, NULL, 0);
	return memcmp(&u, &zero, sizeof u) == 0;
}

/*
 * Resource accounting through the public API: what each scope holds
 * while streams are open, memory reserved by a plugin against a stream,
 * a peer and a protocol (refused past the tightest limit), and every
 * counter back to zero once the connection is gone.
 */
static void resource_scopes(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL,
	                          "limits:\n"
	                          "  stream:\n    memory: 64KiB\n"
	                          "  protocols:\n"
	                          "    /test/sink:\n      memory: 100KiB\n");
	struct service sink;
	service_init(&sink, w, "/test/sink");
	service_add(&sink, p.b);
	const char *ps[] = {"/test/sink"};
	struct ep *e1 = ep_open(w, p.ab, ps, 1);
	struct ep *e2 = ep_open(w, p.ab, ps, 1);
	WAIT_FOR(w, sink.accepted == 2 && e1->opens && e2->opens);
	world_run_for(w, 20);
	lp2p_host *b = p.b->h;
	struct lp2p_resource_usage u = usage_of(b, LP2P_SCOPE_SYSTEM, NULL, 0);
	assert_int_equal(u.inbound_connections, 1);
	assert_int_equal(u.outbound_connections, 0);
	assert_int_equal(u.inbound_streams, 2);
	assert_true(u.fds >= 1);
	u = usage_of(b, LP2P_SCOPE_TRANSIENT, NULL, 0);
	assert_int_equal(u.inbound_connections + u.inbound_streams, 0);
	u = usage_of(b, LP2P_SCOPE_PEER, &p.a->id, 0);
	assert_int_equal(u.inbound_connections, 1);
	assert_int_equal(u.inbound_streams, 2);
	u = usage_of(b, LP2P_SCOPE_PROTOCOL, "/test/sink", 0);
	assert_int_equal(u.inbound_streams, 2);
	assert_int_equal(lp2p_conn_resource_usage(p.ba, &u, NULL), 0);
	assert_int_equal(u.inbound_connections, 1);
	assert_int_equal(u.inbound_streams, 2);
	/* a's side counts them outbound, in its own protocol scope */
	u = usage_of(p.a->h, LP2P_SCOPE_PROTOCOL, "/test/sink", 0);
	assert_int_equal(u.outbound_streams, 2);
	/* a scope that holds nothing may not exist */
	u = usage_of(b, LP2P_SCOPE_PROTOCOL, "/nothing", LP2P_ENOTFOUND);
	assert_int_equal(u.inbound_streams, 0);
	struct lp2p_resource_limits l;
	assert_int_equal(lp2p_host_resource_usage(b, LP2P_SCOPE_PEER, &p.b->id,
	                                          &u, &l),
	                 LP2P_ENOTFOUND);
	assert_int_equal(l.connections, 8);
	assert_int_equal(lp2p_host_resource_usage(b, LP2P_SCOPE_PEER, NULL,
	                                          &u, &l),
	                 LP2P_EINVAL);

	/* a plugin's reservations: the stream's 64 KiB, the protocol's
	 * 100 KiB */
	lp2p_stream *s1 = sink.eps[0]->s, *s2 = sink.eps[1]->s;
	assert_int_equal(lp2p_stream_reserve_memory(s1, 60 * KiB), 0);
	assert_int_equal(lp2p_stream_reserve_memory(s1, 10 * KiB), LP2P_ELIMIT);
	assert_int_equal(lp2p_stream_reserve_memory(s2, 60 * KiB), LP2P_ELIMIT);
	assert_int_equal(lp2p_stream_reserve_memory(s2, 30 * KiB), 0);
	assert_int_equal(lp2p_stream_resource_usage(s1, &u, &l), 0);
	assert_int_equal(u.memory, 60 * KiB);
	assert_int_equal(l.memory, 64 * KiB);
	u = usage_of(b, LP2P_SCOPE_PROTOCOL, "/test/sink", 0);
	assert_int_equal(u.memory, 90 * KiB);
	assert_true(usage_of(b, LP2P_SCOPE_PEER, &p.a->id, 0).memory >=
	            90 * KiB);
	assert_true(usage_of(b, LP2P_SCOPE_SYSTEM, NULL, 0).memory >= 90 * KiB);
	assert_int_equal(lp2p_protocol_reserve_memory(b, "/test/sink", 20 * KiB),
	                 LP2P_ELIMIT);
	assert_int_equal(lp2p_protocol_reserve_memory(b, "/test/sink", 5 * KiB),
	                 0);
	lp2p_protocol_release_memory(b, "/test/sink", 5 * KiB);
	assert_int_equal(lp2p_peer_reserve_memory(b, &p.a->id, 64u << 20),
	                 LP2P_ELIMIT);
	assert_int_equal(lp2p_peer_reserve_memory(b, &p.a->id, KiB), 0);
	/* a peer with no connection gets a scope while it holds memory */
	assert_int_equal(lp2p_peer_reserve_memory(b, &p.b->id, KiB), 0);
	assert_int_equal(usage_of(b, LP2P_SCOPE_PEER, &p.b->id, 0).memory, KiB);
	lp2p_peer_release_memory(b, &p.b->id, KiB);
	usage_of(b, LP2P_SCOPE_PEER, &p.b->id, LP2P_ENOTFOUND);
	lp2p_stream_release_memory(s2, 30 * KiB);
	/* a stream's reservation ends with it */
	ep_reset(sink.eps[0], 0);
	WAIT_FOR(w, e1->closes == 1);
	assert_int_equal(usage_of(b, LP2P_SCOPE_PROTOCOL, "/test/sink", 0)
	                         .memory,
	                 0);
	assert_int_equal(lp2p_stream_reserve_memory(s2, 10 * KiB), 0);

	/* the connection goes: only the plugin's peer reservation is left,
	 * then nothing (closing sockets linger up to 2 s) */
	lp2p_conn_close(p.ba);
	WAIT_FOR(w, sink.eps[1]->closes == 1);
	u = usage_of(b, LP2P_SCOPE_PEER, &p.a->id, 0);
	assert_int_equal(u.memory, KiB);
	assert_int_equal(u.inbound_connections + u.inbound_streams, 0);
	lp2p_peer_release_memory(b, &p.a->id, KiB);
	usage_of(b, LP2P_SCOPE_PEER, &p.a->id, LP2P_ENOTFOUND);
	WAIT_FOR(w, system_idle(b) && system_idle(p.a->h));
	u = usage_of(b, LP2P_SCOPE_TRANSIENT, NULL, 0);
	assert_int_equal(u.fds + u.inbound_connections + u.memory, 0);
}

/* limits.protocols: one protocol's own stream limit; others are not
 * affected. */
static void protocol_override_limit(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, MPLEX, NULL,
	                          "limits:\n  protocols:\n"
	                          "    /test/capped: {inbound_streams: 1}\n");
	struct service sv, other;
	service_init(&sv, w, "/test/capped");
	service_add(&sv, p.b);
	service_init(&other, w, "/test/other");
	service_add(&other, p.b);
	const char *capped[] = {"/test/capped"}, *free_[] = {"/test/other"};
	struct ep *e0 = ep_open(w, p.ab, capped, 1);
	WAIT_FOR(w, sv.accepted == 1 && e0->opens);
	struct ep *x = ep_open(w, p.ab, capped, 1);
	WAIT_FOR(w, x->closes == 1 || (x->opens && x->open_status < 0));
	assert_int_equal(sv.accepted, 1);
	struct ep *y[3];
	for (int i = 0; i < 3; i++)
		y[i] = ep_open(w, p.ab, free_, 1);
	WAIT_FOR(w, other.accepted == 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(y[i]->open_status, 0);
}

/* limits.system.fds: past it inbound connections are refused (accepting
 * pauses) until a descriptor is free again. */
static void fd_limit(void **state)
{
	struct world *w = *state;
	struct node *b = world_node(w, "limits:\n  system:\n    fds: 2\n");
	struct node *n[3];
	for (int i = 0; i < 3; i++)
		n[i] = world_node(w, NULL);
	lp2p_conn *c0 = connect_nodes(w, n[0], b);
	connect_nodes(w, n[1], b);
	struct dial_res *r = world_dial(w);
	assert_int_equal(lp2p_host_dial(n[2]->h, &b->p2p, false, dial_cb, r),
	                 0);
	world_run_for(w, 300);
	assert_true(r->calls == 0 || r->status < 0);
	assert_int_equal(lp2p_host_conns(b->h, NULL, 0), 2);
	assert_int_equal(usage_of(b->h, LP2P_SCOPE_SYSTEM, NULL, 0).fds, 2);
	/* one goes (and its socket's linger ends): the waiting one is
	 * taken from the backlog, or a new dial succeeds */
	lp2p_conn_close(c0);
	WAIT_FOR(w, lp2p_host_conns(b->h, NULL, 0) == 2 ||
	                    (r->calls && r->status == 0));
	if (r->calls == 0 || r->status != 0)
		connect_nodes(w, n[2], b);
	assert_int_equal(lp2p_host_conns(b->h, NULL, 0), 2);
}

/* Run only host h for ms milliseconds (its peer does not run). */
static void run_only(lp2p_host *h, unsigned ms)
{
	pump(&h, 1, NULL, NULL, ms);
}

/*
 * Optimistic opens: when the peerstore says the peer supports the one
 * protocol asked for, the stream is handed over without waiting for the
 * listener's answer (the peer need not even run), and data flows; a
 * protocol the peer turns down ends the stream with LP2P_ENEGOTIATE;
 * without that knowledge the open waits for the answer.
 */
static void optimistic_open(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL, NULL);
	struct service echo;
	service_init(&echo, w, "/test/echo");
	echo.tmpl.echo = true;
	service_add(&echo, p.b);
	const char *pe[] = {"/test/echo"}, *pn[] = {"/test/nothere"};

	/* unknown support: no open until b answers */
	struct ep *slow = ep_open(w, p.ab, pe, 1);
	run_only(p.a->h, 100);
	assert_int_equal(slow->opens, 0);
	WAIT_FOR(w, slow->opens == 1);
	assert_int_equal(slow->open_status, 0);

	/* known support: open at once, b not running */
	const char *known[] = {"/test/echo", "/test/nothere"};
	assert_int_equal(
	    lp2p_peerstore_set_protocols(p.a->h, &p.b->id, known, 2), 0);
	struct ep *fast = ep_open(w, p.ab, pe, 1);
	assert_int_equal(fast->opens, 0); /* never inside the call */
	run_only(p.a->h, 100);
	assert_int_equal(fast->opens, 1);
	assert_int_equal(fast->open_status, 0);
	assert_string_equal(lp2p_stream_protocol(fast->s), "/test/echo");
	fast->to_send = 100 * KiB;
	fast->check_pattern = true;
	ep_send(fast);
	WAIT_FOR(w, fast->rx == 100 * KiB);
	assert_int_equal(ep_close_write(fast), 0);
	WAIT_FOR(w, fast->closes == 1);
	assert_int_equal(fast->close_reason, 0);
	ep_check(fast);

	/* a request and our end at once, before the answer: the FIN waits
	 * for the listener's answer (js-libp2p resets a stream that ends
	 * before it answered), the echo still comes back */
	struct ep *req = ep_open(w, p.ab, pe, 1);
	run_only(p.a->h, 50);
	assert_int_equal(req->opens, 1);
	req->to_send = 1000;
	req->check_pattern = true;
	req->close_after_send = true;
	ep_send(req);
	WAIT_FOR(w, req->rx == 1000 && req->closes == 1);
	assert_int_equal(req->close_reason, 0);
	ep_check(req);

	/* claimed but turned down: the stream ends with LP2P_ENEGOTIATE */
	struct ep *wrong = ep_open(w, p.ab, pn, 1);
	run_only(p.a->h, 50);
	assert_int_equal(wrong->opens, 1);
	assert_int_equal(wrong->open_status, 0);
	wrong->to_send = 1000;
	ep_send(wrong);
	WAIT_FOR(w, wrong->closes == 1);
	assert_int_equal(wrong->close_reason, LP2P_ENEGOTIATE);
	assert_int_equal(wrong->rx, 0);
	ep_check(wrong);
	ep_check(slow);
	/* the connection goes on */
	struct ep *after = ep_open(w, p.ab, pe, 1);
	after->to_send = 1000;
	after->check_pattern = true;
	WAIT_FOR(w, after->rx == 1000);
	assert_int_equal(lp2p_host_conns(p.a->h, NULL, 0), 1);
}

/* The listener's answer to a proposal, when the muxer's output is full at
 * that moment, goes out before the handler's first bytes (it was dropped:
 * the dialer waited for it until its negotiation timeout; seen with
 * go-libp2p, whose stream met testproto's reverse echo). */
static void answer_waits_for_full_output(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux, NULL, NULL);
	struct service flood, echo;
	service_init(&flood, w, "/test/flood");
	flood.tmpl.to_send = 2 * MiB; /* fills b's muxer output at accept */
	service_add(&flood, p.b);
	service_init(&echo, w, "/test/echo");
	echo.tmpl.echo = true;
	service_add(&echo, p.b);
	const char *pf[] = {"/test/flood"}, *pe[] = {"/test/echo"};
	/* both proposals in one write: b negotiates the second while the
	 * first one's 2 MiB wait in its muxer */
	struct ep *f = ep_open(w, p.ab, pf, 1);
	struct ep *e = ep_open(w, p.ab, pe, 1);
	WAIT_FOR(w, e->opens == 1 && f->opens == 1);
	assert_int_equal(e->open_status, 0);
	e->to_send = 1000;
	e->check_pattern = true;
	ep_send(e);
	WAIT_FOR(w, e->rx == 1000 && f->rx == 2 * MiB);
	ep_check(e);
	ep_check(f);
}

static void answer_waits_for_full_output_yamux(void **state)
{
	answer_waits_for_full_output(*state, YAMUX);
}

static void answer_waits_for_full_output_mplex(void **state)
{
	answer_waits_for_full_output(*state, MPLEX);
}

/* limits.max_streams_per_protocol counts inbound streams of one protocol
 * id over the whole host; other protocols are not affected. */
static void protocol_limit(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, NULL,
	                          "limits:\n"
	                          "  max_streams_per_protocol: 2\n");
	struct service sv, other;
	service_init(&sv, w, "/test/capped");
	sv.tmpl.echo = true;
	service_add(&sv, p.b);
	service_init(&other, w, "/test/other");
	other.tmpl.echo = true;
	service_add(&other, p.b);
	const char *capped[] = {"/test/capped"}, *free_[] = {"/test/other"};
	struct ep *e0 = ep_open(w, p.ab, capped, 1);
	struct ep *e1 = ep_open(w, p.ab, capped, 1);
	WAIT_FOR(w, sv.accepted == 2 && e0->opens && e1->opens);
	struct ep *x = ep_open(w, p.ab, capped, 1);
	WAIT_FOR(w, x->closes == 1);
	assert_int_equal(sv.accepted, 2);
	struct ep *y = ep_open(w, p.ab, free_, 1);
	WAIT_FOR(w, other.accepted == 1 && y->opens == 1);
	assert_int_equal(y->open_status, 0);
	/* one closes: the protocol has room again */
	assert_int_equal(ep_close_write(e0), 0);
	WAIT_FOR(w, e0->closes == 1);
	struct ep *z = ep_open(w, p.ab, capped, 1);
	WAIT_FOR(w, sv.accepted == 3 && z->opens == 1);
	assert_int_equal(z->open_status, 0);
}

static void stream_limit_yamux(void **state)
{
	stream_limit(*state, YAMUX);
}

static void stream_limit_mplex(void **state)
{
	stream_limit(*state, MPLEX);
}

/* Our own limit refuses an outbound open at once. */
static void stream_limit_outbound(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX,
	                          "limits:\n"
	                          "  max_streams_per_connection: 2\n",
	                          NULL);
	struct service sv;
	service_init(&sv, w, "/test/lim");
	service_add(&sv, p.b);
	const char *proto[] = {"/test/lim"};
	ep_open(w, p.ab, proto, 1);
	ep_open(w, p.ab, proto, 1);
	struct ep dummy = {0};
	assert_int_equal(lp2p_conn_open_stream(p.ab, proto, 1, NULL, &dummy),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_conn_open_stream(p.ab, proto, 1,
	                                       ep_open_cb, &dummy),
	                 LP2P_ELIMIT);
	assert_int_equal(lp2p_conn_open_stream(p.ab, proto, 0,
	                                       ep_open_cb, &dummy),
	                 LP2P_EINVAL);
	WAIT_FOR(w, sv.accepted == 2);
	world_run_for(w, 30);
	assert_int_equal(dummy.opens, 0);
}

/* ---- opens waiting for the muxer ---- */

/* More streams at once than yamux's ACK backlog (256) lets open. */
#define MANY_STREAMS 600
static const char many_streams_yaml[] = "limits:\n"
                                        "  max_streams_per_connection: 1000\n";

/* Open n streams on c at once: every call succeeds, no callback comes
 * inside one. */
static void open_many(struct world *w, lp2p_conn *c, const char *proto,
                      struct ep **e, size_t n)
{
	const char *protos[] = {proto};
	for (size_t i = 0; i < n; i++)
		e[i] = ep_open(w, c, protos, 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e[i]->opens, 0);
}

static bool all_opened(struct ep **e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e[i]->opens != 1)
			return false;
	return true;
}

static bool all_closed(struct ep **e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e[i]->closes != 1)
			return false;
	return true;
}

/*
 * 600 streams opened at once on one connection: those beyond the yamux
 * ACK backlog wait for ACKs instead of failing, and all of them echo.
 */
static void many_opens(struct world *w, int mux)
{
	struct pair p = make_pair(w, mux, many_streams_yaml, many_streams_yaml);
	struct service sv;
	service_init(&sv, w, "/test/echo");
	sv.tmpl.echo = true;
	sv.tmpl.check_pattern = true;
	service_add(&sv, p.b);
	static struct ep *e[MANY_STREAMS];
	for (size_t i = 0; i < MANY_STREAMS; i++) {
		const char *protos[] = {"/test/echo"};
		e[i] = ep_open(w, p.ab, protos, 1);
		e[i]->to_send = 2 * KiB;
		e[i]->close_after_send = true;
		e[i]->check_pattern = true;
	}
	/* the waiting ones count as the connection's streams */
	assert_int_equal(lp2p_conn_stream_count(p.ab), MANY_STREAMS);
	WAIT_FOR_MS(w, all_closed(e, MANY_STREAMS), 30000);
	for (size_t i = 0; i < MANY_STREAMS; i++) {
		assert_int_equal(e[i]->opens, 1);
		assert_int_equal(e[i]->open_status, 0);
		assert_int_equal(e[i]->rx, 2 * KiB);
		assert_int_equal(e[i]->close_reason, 0);
		ep_check(e[i]);
	}
	assert_int_equal(sv.accepted, MANY_STREAMS);
	assert_int_equal(lp2p_conn_stream_count(p.ab), 0);
	assert_int_equal(lp2p_host_conns(p.a->h, NULL, 0), 1);
}

static void many_opens_yamux(void **state)
{
	many_opens(*state, YAMUX);
}

static void many_opens_mplex(void **state)
{
	many_opens(*state, MPLEX);
}

/* Our side closes the connection: the waiting opens fail through their
 * callbacks, from the loop. */
static void waiting_opens_fail_on_close(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, many_streams_yaml, NULL);
	struct service sv;
	service_init(&sv, w, "/test/echo");
	service_add(&sv, p.b);
	static struct ep *e[300];
	open_many(w, p.ab, "/test/echo", e, 300);
	for (size_t i = 0; i < 300; i++)
		e[i]->in_call = true;
	lp2p_conn_close(p.ab);
	for (size_t i = 0; i < 300; i++)
		e[i]->in_call = false;
	WAIT_FOR(w, all_opened(e, 300));
	for (size_t i = 0; i < 300; i++) {
		assert_int_equal(e[i]->open_status, LP2P_ECLOSED);
		ep_check(e[i]);
	}
	world_run_for(w, 30);
	for (size_t i = 0; i < 300; i++)
		assert_int_equal(e[i]->opens, 1);
}

/* The peer sends GoAway and closes before it read our SYNs: nothing can
 * open any more, every open fails with LP2P_ECLOSED. */
static void waiting_opens_fail_on_goaway(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX, many_streams_yaml, NULL);
	struct service sv;
	service_init(&sv, w, "/test/echo");
	service_add(&sv, p.b);
	static struct ep *e[300];
	open_many(w, p.ab, "/test/echo", e, 300);
	lp2p_conn_close(p.ba);
	WAIT_FOR(w, all_opened(e, 300));
	for (size_t i = 0; i < 300; i++) {
		assert_int_equal(e[i]->open_status, LP2P_ECLOSED);
		ep_check(e[i]);
	}
	assert_int_equal(sv.accepted, 0);
	WAIT_FOR(w, lp2p_host_conns(p.a->h, NULL, 0) == 0);
}

struct timeout_watch {
	struct ep **e;
	size_t n;
};

static bool watch_all_opened(void *arg)
{
	struct timeout_watch *t = arg;
	return all_opened(t->e, t->n);
}

/*
 * A peer that does not answer (its host is not run) never ACKs: the open
 * beyond the backlog waits, then fails with LP2P_ETIMEDOUT after
 * limits.negotiation_timeout.  The streams reset at the timeout leave the
 * backlog, so the connection opens streams again.
 */
static void waiting_open_times_out(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX,
	                          "limits:\n"
	                          "  negotiation_timeout: 300ms\n",
	                          NULL);
	struct service sv;
	service_init(&sv, w, "/test/echo");
	sv.tmpl.echo = true;
	service_add(&sv, p.b);
	static struct ep *e[257];
	open_many(w, p.ab, "/test/echo", e, 257);
	uint64_t t0 = mono_ms();
	struct timeout_watch t = {e, 257};
	assert_true(pump(&p.a->h, 1, watch_all_opened, &t, 5000));
	assert_true(mono_ms() - t0 >= 250);
	for (size_t i = 0; i < 257; i++) {
		assert_int_equal(e[i]->open_status, LP2P_ETIMEDOUT);
		ep_check(e[i]);
	}
	assert_int_equal(lp2p_conn_stream_count(p.ab), 0);
	/* b catches up with what it missed; a new open goes through */
	const char *protos[] = {"/test/echo"};
	struct ep *x = ep_open(w, p.ab, protos, 1);
	x->to_send = 1000;
	x->check_pattern = true;
	x->close_after_send = true;
	WAIT_FOR(w, x->closes == 1);
	assert_int_equal(x->open_status, 0);
	assert_int_equal(x->rx, 1000);
	ep_check(x);
}

/* Waiting opens count toward limits.max_streams_per_connection: the one
 * beyond it is refused at once.  They open in order (no data flows, so
 * the peer answers the negotiations in the order it got them). */
static void waiting_opens_count_toward_limit(void **state)
{
	struct world *w = *state;
	struct pair p = make_pair(w, YAMUX,
	                          "limits:\n"
	                          "  max_streams_per_connection: 300\n",
	                          NULL);
	struct service sv;
	service_init(&sv, w, "/test/echo");
	sv.tmpl.close_on_fin = true;
	service_add(&sv, p.b);
	static struct ep *e[300];
	open_many(w, p.ab, "/test/echo", e, 300);
	const char *protos[] = {"/test/echo"};
	struct ep dummy = {0};
	assert_int_equal(
	    lp2p_conn_open_stream(p.ab, protos, 1, ep_open_cb, &dummy),
	    LP2P_ELIMIT);
	WAIT_FOR(w, all_opened(e, 300));
	for (size_t i = 0; i < 300; i++) {
		assert_int_equal(e[i]->open_status, 0);
		assert_int_equal(e[i]->open_order, i);
		assert_int_equal(ep_close_write(e[i]), 0);
	}
	WAIT_FOR(w, all_closed(e, 300));
	for (size_t i = 0; i < 300; i++) {
		assert_int_equal(e[i]->close_reason, 0);
		ep_check(e[i]);
	}
	assert_int_equal(dummy.opens, 0);
}

int main(void)
{
#ifdef WORLD_PIPES_WITHOUT_FDS
	(void)resource_scopes;
	(void)fd_limit;
#endif
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, WORLD_SETUP, WORLD_TEARDOWN)
		T(routing_yamux),
		T(routing_mplex),
		T(accept_refusal_resets),
		T(open_stream_by_peer),
		T(echo_8mib_yamux),
		T(echo_8mib_mplex),
		T(half_close_yamux),
		T(half_close_mplex),
		T(reset_and_close_reasons_yamux),
		T(reset_and_close_reasons_mplex),
		T(on_close_not_inside_close_write),
		T(close_drops_further_data),
		T(act_from_on_data_yamux),
		T(act_from_on_data_mplex),
		T(fin_after_held_data_yamux),
		T(fin_after_held_data_mplex),
		T(reset_while_paused_yamux),
		T(reset_while_paused_mplex),
		T(paused_reader_yamux),
		T(paused_reader_mplex),
		T(slow_reader_yamux),
		T(paused_stream_does_not_block_others),
		T(many_paused_streams_do_not_block_others),
		T(negotiation_timeout),
		T(write_stall_yamux),
		T(write_stall_mplex),
		T(held_connection_sees_close_mplex),
		T(protocol_limit),
		T(buffer_memory_limit),
		T(stream_memory_limit),
#ifndef WORLD_PIPES_WITHOUT_FDS /* they count descriptors */
		T(resource_scopes),
		T(fd_limit),
#endif
		T(protocol_override_limit),
		T(optimistic_open),
		T(answer_waits_for_full_output_yamux),
		T(answer_waits_for_full_output_mplex),
		T(stream_limit_yamux),
		T(stream_limit_mplex),
		T(stream_limit_outbound),
		T(many_opens_yamux),
		T(many_opens_mplex),
		T(waiting_opens_fail_on_close),
		T(waiting_opens_fail_on_goaway),
		T(waiting_open_times_out),
		T(waiting_opens_count_toward_limit),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
