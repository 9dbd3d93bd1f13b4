/*
 * test_stream_lifecycle.c - every way a stream ends gives its handler
 * exactly one on_close, from the loop, with the reason of that end; an
 * outbound open that cannot complete reports an error through its
 * callback, never silence.  yamux and mplex.
 *
 * Ends covered: our reset (lp2p_stream_reset) from the test's code and
 * from every place a handler can make it: inside on_data, on_writable,
 * on_remote_close, an open callback (plain and optimistic), accept, a
 * timer; the remote's reset, an orderly close both ways,
 * lp2p_stream_close() then the peer's end, our connection close, the
 * remote host going away, our host being freed, an optimistic open the
 * peer turns down after the handler was set, an inbound stream refused
 * by accept after it installed a handler; opens failing because the
 * connection closed (negotiating, and waiting for the muxer), because no
 * address is known, and because the host stops.
 * Deadlines (limits.stream_idle_timeout, limits.stream_timeout, per
 * protocol, lp2p_stream_set_deadlines): idle expires, activity either way
 * keeps a stream alive, the total expires however busy, a protocol's
 * override (and "none"), a plugin's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/host.h>
#include <lp2p/peerstore.h>

#include "test_swarm_harness.h"

static const char *const muxer_yaml[] = {"muxers: [yamux]\n",
                                         "muxers: [mplex]\n"};

static const char *const echo_proto[] = {"/test/echo/1.0.0"};

struct pair {
	struct node *a, *b;
	lp2p_conn *ab;
	struct service echo;
};

/* Two connected hosts, a with a_yaml (limits ...) too; b serves an echo
 * whose streams close on FIN. */
static void make_pair_cfg(struct world *w, int mux, const char *a_yaml,
                          struct pair *p)
{
	char yaml[1024];
	snprintf(yaml, sizeof yaml, "%s%s", muxer_yaml[mux],
	         a_yaml ? a_yaml : "");
	p->a = world_node(w, yaml);
	p->b = world_node(w, muxer_yaml[mux]);
	service_init(&p->echo, w, echo_proto[0]);
	p->echo.tmpl.echo = true;
	service_add(&p->echo, p->b);
	p->ab = connect_nodes(w, p->a, p->b);
}

static void make_pair(struct world *w, int mux, struct pair *p)
{
	make_pair_cfg(w, mux, NULL, p);
}

/* An open stream a -> b with both ends set up. */
static struct ep *open_echo(struct world *w, struct pair *p,
                            struct ep **remote)
{
	int before = p->echo.accepted;
	struct ep *e = ep_open(w, p->ab, echo_proto, 1);
	WAIT_FOR(w, e->opens == 1 && p->echo.accepted == before + 1);
	assert_int_equal(e->open_status, 0);
	*remote = p->echo.eps[before];
	return e;
}

/* Run a while longer: nothing more may come. */
static void settle(struct world *w)
{
	world_run_for(w, 100);
}

/* ---- ends of open streams ---- */

/* Our reset: on_close(reason) once, from the loop, and nothing else; the
 * peer sees LP2P_ERESET. */
static void local_reset(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	size_t before = lp2p_conn_stream_count(p.ab);
	ep_reset(e, LP2P_EPROTO);
	assert_int_equal(e->closes, 0); /* from the loop, not inside */
	assert_int_equal(lp2p_conn_stream_count(p.ab), before - 1);
	/* a second reset before on_close came is nothing */
	e->in_call = true;
	lp2p_stream_reset(e->s, LP2P_EIO);
	e->in_call = false;
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, LP2P_EPROTO);
	assert_int_equal(r->close_reason, LP2P_ERESET);
	settle(w);
	assert_int_equal(e->closes, 1);
	ep_check(e);
	ep_check(r);

	/* 0 (or positive) means "canceled": our own reset's code */
	e = open_echo(w, &p, &r);
	ep_reset(e, 0);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ECANCELED);
	e = open_echo(w, &p, &r);
	ep_reset(e, 7);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ECANCELED);
	settle(w);
	ep_check(e);
	ep_check(r);

	/* a reset from inside on_close (the stream ended) is nothing */
	e = open_echo(w, &p, &r);
	e->reset_in_close = true;
	ep_reset(e, LP2P_EPROTO);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	settle(w);
	assert_int_equal(e->closes, 1);
	assert_int_equal(e->close_reason, LP2P_EPROTO);
	ep_check(e);
}

/* One end resets the stream from inside on_data. */
static void reset_inside_data(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	e->act = ACT_RESET;
	e->act_after = 1;
	static const uint8_t b[4] = {1, 2, 3, 4};
	assert_int_equal(lp2p_stream_write(e->s, b, sizeof b), 4);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, LP2P_EPROTO);
	assert_int_equal(r->close_reason, LP2P_ERESET);
	settle(w);
	ep_check(e);
	ep_check(r);
}

/* From inside on_writable: the sender fills the window (yamux) or the
 * muxer's output (mplex) and resets at its first on_writable. */
static void reset_inside_writable(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct service sink;
	const char *proto[] = {"/test/sink/1.0.0"};
	service_init(&sink, w, proto[0]);
	service_add(&sink, p.b);
	struct ep *e = world_ep(w);
	e->to_send = 64u << 20;
	e->reset_at = RESET_AT_WRITABLE;
	assert_int_equal(lp2p_conn_open_stream(p.ab, proto, 1, ep_open_cb, e),
	                 0);
	WAIT_FOR(w, e->closes == 1 && sink.accepted == 1 &&
	                    sink.eps[0]->closes == 1);
	assert_int_equal(e->writables, 1);
	assert_int_equal(e->resets, 1);
	assert_true(e->sent < e->to_send);
	assert_int_equal(e->close_reason, LP2P_EPROTO);
	assert_int_equal(sink.eps[0]->close_reason, LP2P_ERESET);
	settle(w);
	ep_check(e);
	ep_check(sink.eps[0]);
}

/* From inside on_remote_close: the echo ends its side after ours. */
static void reset_inside_remote_close(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	e->reset_at = RESET_AT_REMOTE_CLOSE;
	assert_int_equal(ep_close_write(e), 0);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->remote_closes, 1);
	assert_int_equal(e->resets, 1);
	/* ended by the reset, not by the two ends meeting */
	assert_int_equal(e->close_reason, LP2P_EPROTO);
	settle(w);
	ep_check(e);
	ep_check(r);
}

/* From inside the open callback, right after installing the handler;
 * plain and optimistic (the peerstore knows the protocol). */
static void reset_inside_open(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	for (int optimistic = 0; optimistic < 2; optimistic++) {
		if (optimistic)
			assert_int_equal(lp2p_peerstore_set_protocols(
			                     p.a->h, &p.b->id, echo_proto, 1),
			                 0);
		int accepted = p.echo.accepted;
		struct ep *e = world_ep(w);
		e->reset_at = RESET_AT_OPEN;
		e->to_send = 1000; /* never sent */
		assert_int_equal(lp2p_conn_open_stream(p.ab, echo_proto, 1,
		                                       ep_open_cb, e),
		                 0);
		WAIT_FOR(w, e->opens == 1 && e->closes == 1);
		assert_int_equal(e->open_status, 0);
		assert_int_equal(e->close_reason, LP2P_EPROTO);
		assert_int_equal(e->sent, 0);
		settle(w);
		assert_int_equal(e->closes, 1);
		ep_check(e);
		/* the listener, if it saw the stream, sees it end */
		if (p.echo.accepted > accepted) {
			struct ep *r = p.echo.eps[accepted];
			WAIT_FOR(w, r->closes == 1);
			ep_check(r);
		}
	}
}

/* From inside accept_inbound_stream, after installing the handler, and
 * accepting: the handler hears its own reset. */
static void reset_inside_accept(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct service sv;
	const char *proto[] = {"/test/reset-in-accept/1.0.0"};
	service_init(&sv, w, proto[0]);
	sv.tmpl.reset_at = RESET_AT_OPEN;
	service_add(&sv, p.b);
	struct ep *e = ep_open(w, p.ab, proto, 1);
	WAIT_FOR(w, sv.accepted == 1 && sv.eps[0]->closes == 1);
	assert_int_equal(sv.eps[0]->close_reason, LP2P_EPROTO);
	/* the opener sees the reset: a failed open or an ended stream */
	WAIT_FOR(w, e->opens == 1 && (e->open_status || e->closes == 1));
	settle(w);
	ep_check(sv.eps[0]);
	ep_check(e);
}

/* From a timer of the host (a plugin's deadline, say). */
struct timer_reset {
	struct ep *e;
	bool fired;
};

static void timer_reset_cb(void *arg)
{
	struct timer_reset *t = arg;
	t->fired = true;
	ep_reset(t->e, LP2P_ETIMEDOUT);
}

static void reset_from_timer(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	struct timer_reset t = {.e = e};
	lp2p_timer *tm = NULL;
	assert_int_equal(lp2p_timer_new(p.a->h, timer_reset_cb, &t, &tm), 0);
	lp2p_timer_start(tm, 20, 0);
	WAIT_FOR(w, t.fired && e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ETIMEDOUT);
	assert_int_equal(r->close_reason, LP2P_ERESET);
	settle(w);
	lp2p_timer_free(tm);
	ep_check(e);
	ep_check(r);
}

static void remote_reset(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	ep_reset(r, LP2P_ECANCELED);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ERESET);
	assert_int_equal(r->close_reason, LP2P_ECANCELED);
	settle(w);
	ep_check(e);
	ep_check(r);
}

static void orderly_close(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	assert_int_equal(ep_close_write(e), 0); /* the echo answers with FIN */
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, 0);
	assert_int_equal(r->close_reason, 0);
	assert_int_equal(e->remote_closes, 1);
	settle(w);
	ep_check(e);
	ep_check(r);
}

static void close_then_remote_end(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	e->in_call = true;
	assert_int_equal(lp2p_stream_close(e->s), 0);
	e->in_call = false;
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, 0);
	assert_int_equal(r->close_reason, 0);
	settle(w);
	ep_check(e);
	ep_check(r);
}

static void connection_closed(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r1, *e1 = open_echo(w, &p, &r1);
	struct ep *r2, *e2 = open_echo(w, &p, &r2);
	/* one of them half-closed already */
	assert_int_equal(ep_close_write(e2), 0);
	lp2p_conn_close(p.ab);
	WAIT_FOR(w, e1->closes && e2->closes && r1->closes && r2->closes);
	assert_true(e1->close_reason < 0);
	assert_true(r1->close_reason < 0 || r1->close_reason == 0);
	settle(w);
	ep_check(e1);
	ep_check(e2);
	ep_check(r1);
	ep_check(r2);
}

static void remote_host_gone(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	/* the remote host goes away: its side ends inside the free */
	world_node_free(w, p.b);
	assert_int_equal(r->closes, 1);
	assert_true(r->close_reason < 0);
	WAIT_FOR(w, e->closes == 1);
	assert_true(e->close_reason < 0);
	settle(w);
	ep_check(e);
}

static void own_host_freed(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	/* the waiting open is answered too */
	struct ep *late = ep_open(w, p.ab, echo_proto, 1);
	world_node_free(w, p.a);
	assert_int_equal(e->closes, 1);
	assert_true(e->close_reason < 0);
	assert_int_equal(late->opens + late->closes, 1);
	WAIT_FOR(w, r->closes == 1);
	ep_check(r);
}

/* The peerstore says b speaks a protocol it does not: the open is
 * optimistic, the handler is set, and b's "na" ends the stream. */
static void optimistic_refused(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	const char *fake[] = {"/test/not-spoken/1.0.0"};
	assert_int_equal(
	    lp2p_peerstore_set_protocols(p.a->h, &p.b->id, fake, 1), 0);
	struct ep *e = ep_open(w, p.ab, fake, 1);
	WAIT_FOR(w, e->opens == 1);
	assert_int_equal(e->open_status, 0); /* handed over at once */
	WAIT_FOR(w, e->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ENEGOTIATE);
	settle(w);
	ep_check(e);
}

/* accept installs a handler, then refuses: that handler hears the end. */
static struct ep *refused_ep;
static int accept_then_refuse(void *arg, lp2p_stream *s, const char *proto)
{
	(void)proto;
	struct ep *e = world_ep(arg);
	e->s = s;
	lp2p_stream_set_handler(s, &ep_handler, e);
	refused_ep = e;
	return LP2P_ELIMIT;
}

static void accept_refused(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	const char *proto[] = {"/test/refuse/1.0.0"};
	refused_ep = NULL;
	assert_int_equal(lp2p_host_add_protocol(p.b->h, proto[0],
	                                        accept_then_refuse, w),
	                 0);
	struct ep *e = ep_open(w, p.ab, proto, 1);
	WAIT_FOR(w, refused_ep != NULL);
	WAIT_FOR(w, refused_ep->closes == 1);
	assert_int_equal(refused_ep->close_reason, LP2P_ELIMIT);
	/* the opener sees the reset: a failed open or an ended stream */
	WAIT_FOR(w, e->opens == 1 && (e->open_status || e->closes == 1));
	settle(w);
	ep_check(refused_ep);
	ep_check(e);
}

/* ---- opens that cannot complete ---- */

static void open_conn_closed(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	struct ep *e = ep_open(w, p.ab, echo_proto, 1);
	lp2p_conn_close(p.ab);
	assert_int_equal(e->opens, 0);
	WAIT_FOR(w, e->opens == 1);
	assert_int_equal(e->open_status, LP2P_ECLOSED);
	settle(w);
	ep_check(e);
}

/* More opens than yamux lets wait for acknowledgement: those queued
 * behind the backlog fail once each when the connection goes. */
static void open_waiting_conn_closed(struct world *w, int mux)
{
	struct pair p;
	make_pair(w, mux, &p);
	enum { N = 300 };
	struct ep *e[N];
	for (size_t i = 0; i < N; i++)
		e[i] = ep_open(w, p.ab, echo_proto, 1);
	lp2p_conn_close(p.ab);
	for (size_t i = 0; i < N; i++)
		WAIT_FOR(w, e[i]->opens == 1);
	settle(w);
	for (size_t i = 0; i < N; i++) {
		assert_true(e[i]->open_status < 0);
		ep_check(e[i]);
	}
}

static void host_open_no_address(struct world *w, int mux)
{
	struct node *a = world_node(w, muxer_yaml[mux]);
	struct lp2p_peer_id nobody = a->id;
	nobody.bytes[nobody.len - 1] ^= 1;
	struct ep *e = world_ep(w);
	e->in_call = true;
	int rc = lp2p_host_open_stream(a->h, &nobody, echo_proto, 1,
	                               ep_open_cb, e);
	e->in_call = false;
	assert_int_equal(rc, 0);
	WAIT_FOR(w, e->opens == 1);
	assert_true(e->open_status < 0);
	ep_check(e);
}

/* The host stops while a dial for lp2p_host_open_stream is under way. */
static void host_open_host_stops(struct world *w, int mux)
{
	struct node *a = world_node(w, muxer_yaml[mux]);
	struct node *b = world_node(w, muxer_yaml[mux]);
	assert_int_equal(
	    lp2p_peerstore_add_addr(a->h, &b->id, &b->addr, 60000), 0);
	struct ep *e = world_ep(w);
	assert_int_equal(lp2p_host_open_stream(a->h, &b->id, echo_proto, 1,
	                                       ep_open_cb, e),
	                 0);
	world_node_free(w, a);
	assert_int_equal(e->opens, 1);
	assert_true(e->open_status < 0);
	ep_check(e);
}

/* ---- deadlines ---- */

/* One byte to the echo, now and then, for ms: data both ways. */
static void chat_for(struct world *w, struct ep *e, unsigned every,
                     unsigned ms)
{
	for (unsigned t = 0; t < ms; t += every) {
		assert_non_null(e->s);
		assert_int_equal(lp2p_stream_write(e->s, "x", 1), 1);
		world_run_for(w, every);
	}
}

/* Idle: nothing moves, the stream ends with LP2P_ETIMEDOUT (ours); the
 * peer sees our reset.  Data either way keeps it alive. */
static void idle_deadline(struct world *w, int mux)
{
	struct pair p;
	make_pair_cfg(w, mux, "limits:\n  stream_idle_timeout: 300ms\n", &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	uint64_t t0 = mono_ms();
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	uint64_t took = mono_ms() - t0;
	assert_int_equal(e->close_reason, LP2P_ETIMEDOUT);
	assert_int_equal(r->close_reason, LP2P_ERESET);
	assert_true(took >= 250);
	ep_check(e);
	ep_check(r);

	/* a byte every 100 ms keeps it for 1.2 s, then it ends */
	e = open_echo(w, &p, &r);
	chat_for(w, e, 100, 1200);
	assert_int_equal(e->closes, 0);
	assert_true(e->rx >= 10);
	WAIT_FOR(w, e->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ETIMEDOUT);

	/* only sending counts too: a sink that never answers */
	struct service sink;
	const char *sp[] = {"/test/sink/1.0.0"};
	service_init(&sink, w, sp[0]);
	service_add(&sink, p.b);
	e = ep_open(w, p.ab, sp, 1);
	WAIT_FOR(w, e->opens == 1 && sink.accepted == 1);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(lp2p_stream_write(e->s, "x", 1), 1);
		world_run_for(w, 100);
	}
	assert_int_equal(e->closes, 0);
	WAIT_FOR(w, e->closes == 1 && sink.eps[0]->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ETIMEDOUT);
	assert_int_equal(sink.eps[0]->rx, 12);
	settle(w);
	ep_check(e);
	ep_check(sink.eps[0]);
}

/* Total: the stream's whole life, however busy. */
static void total_deadline(struct world *w, int mux)
{
	struct pair p;
	make_pair_cfg(w, mux, "limits:\n  stream_timeout: 500ms\n", &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	uint64_t t0 = mono_ms();
	while (e->s && mono_ms() - t0 < 5000) {
		assert_int_equal(lp2p_stream_write(e->s, "x", 1), 1);
		world_run_for(w, 20);
	}
	uint64_t took = mono_ms() - t0;
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ETIMEDOUT);
	assert_int_equal(r->close_reason, LP2P_ERESET);
	assert_true(took >= 400 && took < 3000);
	assert_true(e->rx > 5);
	ep_check(e);
	ep_check(r);
}

/* limits.protocols.<id> overrides the defaults, "none" included; an
 * override without deadlines keeps the defaults. */
static void protocol_deadlines(struct world *w, int mux)
{
	struct pair p;
	make_pair_cfg(w, mux,
	              "limits:\n"
	              "  stream_idle_timeout: 300ms\n"
	              "  protocols:\n"
	              "    /test/echo/1.0.0: {stream_idle_timeout: none}\n"
	              "    /test/other/1.0.0: {streams: 100}\n"
	              "    /test/total/1.0.0:\n"
	              "      stream_idle_timeout: 10s\n"
	              "      stream_timeout: 400ms\n",
	              &p);
	struct service other, total;
	const char *op[] = {"/test/other/1.0.0"}, *tp[] = {"/test/total/1.0.0"};
	service_init(&other, w, op[0]);
	service_add(&other, p.b);
	service_init(&total, w, tp[0]);
	service_add(&total, p.b);
	struct ep *r, *e = open_echo(w, &p, &r);
	uint64_t t0 = mono_ms();
	struct ep *o = ep_open(w, p.ab, op, 1);
	struct ep *t = ep_open(w, p.ab, tp, 1);
	/* the default idle deadline (300 ms) */
	WAIT_FOR(w, o->opens == 1 && o->closes == 1);
	assert_int_equal(o->close_reason, LP2P_ETIMEDOUT);
	assert_true(mono_ms() - t0 >= 250);
	/* the total of its own (400 ms), its idle deadline far */
	WAIT_FOR(w, t->opens == 1 && t->closes == 1);
	assert_int_equal(t->close_reason, LP2P_ETIMEDOUT);
	uint64_t took = mono_ms() - t0;
	assert_true(took >= 350 && took < 5000);
	/* none: the echo stays */
	world_run_for(w, 300);
	assert_int_equal(e->closes, 0);
	assert_int_equal(ep_close_write(e), 0);
	WAIT_FOR(w, e->closes == 1 && r->closes == 1);
	assert_int_equal(e->close_reason, 0);
	settle(w);
	ep_check(o);
	ep_check(t);
	ep_check(e);
	ep_check(r);
}

/* A plugin sets its stream's deadlines (and removes configured ones). */
static void plugin_deadlines(struct world *w, int mux)
{
	struct pair p;
	make_pair_cfg(w, mux, "limits:\n  stream_idle_timeout: 200ms\n", &p);
	struct ep *r, *e = open_echo(w, &p, &r);
	/* none: the configured idle deadline goes */
	assert_int_equal(lp2p_stream_set_deadlines(e->s, 0, 0), 0);
	world_run_for(w, 600);
	assert_int_equal(e->closes, 0);
	assert_int_equal(lp2p_stream_set_deadlines(e->s, 1ull << 32, 0),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_stream_set_deadlines(NULL, 0, 0), LP2P_EINVAL);
	/* its own: idle 150 ms, counted from the call */
	uint64_t t0 = mono_ms();
	assert_int_equal(lp2p_stream_set_deadlines(e->s, 150, 0), 0);
	WAIT_FOR(w, e->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ETIMEDOUT);
	assert_true(mono_ms() - t0 >= 100);
	ep_check(e);

	/* a total counts from the stream's start */
	e = open_echo(w, &p, &r);
	world_run_for(w, 100);
	assert_int_equal(lp2p_stream_set_deadlines(e->s, 0, 100), 0);
	WAIT_FOR(w, e->closes == 1); /* already due: at once */
	assert_int_equal(e->close_reason, LP2P_ETIMEDOUT);

	/* an ended stream whose on_close is on its way */
	e = open_echo(w, &p, &r);
	ep_reset(e, 0);
	assert_int_equal(lp2p_stream_set_deadlines(e->s, 100, 0),
	                 LP2P_ECLOSED);
	WAIT_FOR(w, e->closes == 1);
	assert_int_equal(e->close_reason, LP2P_ECANCELED);
	settle(w);
	ep_check(e);
}

BOTH(local_reset)
BOTH(reset_inside_data)
BOTH(reset_inside_writable)
BOTH(reset_inside_remote_close)
BOTH(reset_inside_open)
BOTH(reset_inside_accept)
BOTH(reset_from_timer)
BOTH(remote_reset)
BOTH(orderly_close)
BOTH(close_then_remote_end)
BOTH(connection_closed)
BOTH(remote_host_gone)
BOTH(own_host_freed)
BOTH(optimistic_refused)
BOTH(accept_refused)
BOTH(open_conn_closed)
BOTH(open_waiting_conn_closed)
BOTH(host_open_no_address)
BOTH(host_open_host_stops)
BOTH(idle_deadline)
BOTH(total_deadline)
BOTH(protocol_deadlines)
BOTH(plugin_deadlines)

#define T(f) EACH_MUXER(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(local_reset),        T(reset_inside_data),
	    T(reset_inside_writable), T(reset_inside_remote_close),
	    T(reset_inside_open),  T(reset_inside_accept),
	    T(reset_from_timer),
	    T(remote_reset),       T(orderly_close),
	    T(close_then_remote_end), T(connection_closed),
	    T(remote_host_gone),   T(own_host_freed),
	    T(optimistic_refused), T(accept_refused),
	    T(open_conn_closed),   T(open_waiting_conn_closed),
	    T(host_open_no_address), T(host_open_host_stops),
	    T(idle_deadline),      T(total_deadline),
	    T(protocol_deadlines), T(plugin_deadlines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
