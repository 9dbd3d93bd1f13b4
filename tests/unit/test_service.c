/*
 * test_service.c - the toolkit of lp2p/service.h between two hosts on
 * loopback: lp2p_stream_echo (whole units back, the incomplete last one
 * not, the end after the last echo, a peer that does not read),
 * lp2p_host_peer_streams, lp2p_host_requests_to_peer (lp2p/request.h),
 * connection timers (none fires after the
 * connection closed; freed with it: the sanitizer build checks for
 * leaks) and lp2p_clock_us.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <lp2p/request.h>
#include <lp2p/resource.h>
#include <lp2p/service.h>

#include "test_swarm_harness.h"

static int accept_echo(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)protocol;
	size_t unit = *(size_t *)arg;
	return lp2p_stream_echo(s, unit);
}

static size_t unit1 = 1, unit4 = 4, unit32 = 32;

static void add_echo_services(struct node *n)
{
	assert_int_equal(lp2p_host_add_protocol(n->h, "/test/echo1",
	                                        accept_echo, &unit1),
	                 0);
	assert_int_equal(lp2p_host_add_protocol(n->h, "/test/echo4",
	                                        accept_echo, &unit4),
	                 0);
	assert_int_equal(lp2p_host_add_protocol(n->h, "/test/echo32",
	                                        accept_echo, &unit32),
	                 0);
}

/* Whole units come back; the incomplete last one does not; the echoing
 * side closes after the last echo, so both ends close in order. */
static void echo_units(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL), *b = world_node(w, NULL);
	add_echo_services(b);
	lp2p_conn *c = connect_nodes(w, a, b);
	static const char *const p1[] = {"/test/echo1"};
	static const char *const p4[] = {"/test/echo4"};
	static const char *const p32[] = {"/test/echo32"};
	struct ep *e1 = ep_open(w, c, p1, 1);
	struct ep *e4 = ep_open(w, c, p4, 1);
	struct ep *e32 = ep_open(w, c, p32, 1);
	e1->to_send = 1001;
	e4->to_send = 1001 * 4 + 3;
	e32->to_send = 200000 * 32 + 31; /* more than LP2P_ECHO_HIWAT */
	struct ep *all[] = {e1, e4, e32};
	for (int i = 0; i < 3; i++) {
		all[i]->check_pattern = true;
		all[i]->close_after_send = true;
	}
	WAIT_FOR_MS(w, e1->closes && e4->closes && e32->closes, 30000);
	assert_int_equal(e1->rx, 1001);
	assert_int_equal(e4->rx, 1001 * 4);
	assert_int_equal(e32->rx, 200000 * 32);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(all[i]->remote_closes, 1);
		assert_int_equal(all[i]->close_reason, 0);
		ep_check(all[i]);
	}
}

/* A peer that sends without reading: the echo pauses instead of
 * queueing without bound, and resumes when the peer reads. */
static void echo_waits_for_a_slow_reader(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL), *b = world_node(w, NULL);
	add_echo_services(b);
	lp2p_conn *c = connect_nodes(w, a, b);
	static const char *const p4[] = {"/test/echo4"};
	struct ep *e = ep_open(w, c, p4, 1);
	e->pause_on_open = true;
	e->check_pattern = true;
	e->close_after_send = true;
	e->to_send = 8u << 20;
	WAIT_FOR(w, e->s != NULL);
	world_run_for(w, 300);
	/* the echo is paused: what b holds is bounded by the window, its
	 * send queue and the muxer, far below what a sent */
	assert_true(e->sent < e->to_send);
	struct lp2p_resource_usage u;
	struct lp2p_resource_limits l;
	assert_int_equal(lp2p_host_resource_usage(b->h, LP2P_SCOPE_SYSTEM,
	                                          NULL, &u, &l),
	                 0);
	assert_true(u.memory < (8u << 20));
	ep_resume(e);
	WAIT_FOR_MS(w, e->closes, 30000);
	assert_int_equal(e->rx, 8u << 20);
	assert_int_equal(e->close_reason, 0);
	ep_check(e);
}

static int accept_bad_unit(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)protocol;
	int *rc = arg;
	assert_int_equal(lp2p_stream_echo(s, 0), LP2P_EINVAL);
	assert_int_equal(lp2p_stream_echo(s, LP2P_ECHO_MAX_UNIT + 1),
	                 LP2P_EINVAL);
	*rc = LP2P_EINVAL;
	return LP2P_EINVAL; /* refused: reset */
}

static void echo_refuses_bad_units(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL), *b = world_node(w, NULL);
	int rc = 0;
	assert_int_equal(lp2p_host_add_protocol(b->h, "/test/bad",
	                                        accept_bad_unit, &rc),
	                 0);
	assert_int_equal(lp2p_stream_echo(NULL, 4), LP2P_EINVAL);
	lp2p_conn *c = connect_nodes(w, a, b);
	static const char *const p[] = {"/test/bad"};
	struct ep *e = ep_open(w, c, p, 1);
	e->to_send = 10;
	WAIT_FOR(w, e->closes || (e->opens && e->open_status));
	assert_int_equal(rc, LP2P_EINVAL);
}

/* ---- a peer's streams of a protocol ---- */

static void peer_streams(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL), *b = world_node(w, NULL);
	add_echo_services(b);
	lp2p_conn *c = connect_nodes(w, a, b);
	/* a second connection: the count is over all of them */
	struct dial_res *r2 = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, true, r2), 0);
	WAIT_FOR(w, r2->calls == 1);
	assert_int_equal(r2->status, 0);
	static const char *const p4[] = {"/test/echo4"};
	static const char *const p1[] = {"/test/echo1"};
	struct ep *e[4] = {ep_open(w, c, p4, 1), ep_open(w, r2->conn, p4, 1),
	                   ep_open(w, c, p4, 1), ep_open(w, c, p1, 1)};
	WAIT_FOR(w, e[0]->s && e[1]->s && e[2]->s && e[3]->s &&
	                lp2p_host_peer_streams(b->h, &a->id, "/test/echo1",
	                                       LP2P_INBOUND) == 1 &&
	                lp2p_host_peer_streams(b->h, &a->id, "/test/echo4",
	                                       LP2P_INBOUND) == 3);
	assert_int_equal(lp2p_host_peer_streams(a->h, &b->id, "/test/echo4",
	                                        LP2P_OUTBOUND),
	                 3);
	assert_int_equal(lp2p_host_peer_streams(a->h, &b->id, "/test/echo4",
	                                        LP2P_INBOUND),
	                 0);
	assert_int_equal(lp2p_host_peer_streams(b->h, &b->id, "/test/echo4",
	                                        LP2P_INBOUND),
	                 0);
	assert_int_equal(lp2p_host_peer_streams(b->h, &a->id, "/nothing",
	                                        LP2P_INBOUND),
	                 0);
	assert_int_equal(lp2p_host_peer_streams(NULL, &a->id, "/x",
	                                        LP2P_INBOUND),
	                 0);
	ep_reset(e[0], 0);
	WAIT_FOR(w, lp2p_host_peer_streams(b->h, &a->id, "/test/echo4",
	                                   LP2P_INBOUND) == 2);
	assert_int_equal(lp2p_host_peer_streams(a->h, &b->id, "/test/echo4",
	                                        LP2P_OUTBOUND),
	                 2);
}

/* ---- requests in flight ---- */

struct reply_log {
	lp2p_host *h;
	const struct lp2p_peer_id *peer;
	int calls, status;
	size_t counted; /* requests_to_peer inside the callback */
};

static void on_reply(void *arg, int status, const uint8_t *reply,
                     size_t len)
{
	(void)reply;
	(void)len;
	struct reply_log *r = arg;
	r->calls++;
	r->status = status;
	r->counted = lp2p_host_requests_to_peer(r->h, r->peer, "/test/silent");
}

/* A request counts from the call until just before its callback. */
static void requests_in_flight(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL), *b = world_node(w, NULL);
	add_echo_services(b);
	struct service silent; /* takes streams, never answers or ends */
	service_init(&silent, w, "/test/silent");
	service_add(&silent, b);
	lp2p_conn *c = connect_nodes(w, a, b);
	uint8_t ping[32] = {0};
	/* these two wait for their deadline */
	static const char *const slow[] = {"/test/other", "/test/silent"};
	struct lp2p_request rq = {
	    .protocols = slow, .nprotocols = 2, .data = ping,
	    .len = sizeof ping, .kind = LP2P_REPLY_EXACT,
	    .max_reply = sizeof ping, .timeout_ms = 300};
	struct reply_log r1 = {a->h, &b->id, 0, 0, 0};
	struct reply_log r2 = r1, r3 = r1;
	assert_int_equal(lp2p_conn_request(c, &rq, on_reply, &r1), 0);
	assert_int_equal(lp2p_host_request(a->h, &b->id, &rq, on_reply, &r2),
	                 0);
	assert_int_equal(lp2p_host_requests_to_peer(a->h, &b->id,
	                                            "/test/silent"),
	                 2);
	assert_int_equal(lp2p_host_requests_to_peer(a->h, &b->id,
	                                            "/test/other"),
	                 2);
	assert_int_equal(lp2p_host_requests_to_peer(a->h, &b->id, "/x"), 0);
	assert_int_equal(lp2p_host_requests_to_peer(a->h, &a->id,
	                                            "/test/silent"),
	                 0);
	assert_int_equal(lp2p_host_requests_to_peer(b->h, &a->id,
	                                            "/test/silent"),
	                 0);
	assert_int_equal(lp2p_host_requests_to_peer(NULL, &b->id, "/x"), 0);
	/* one that is answered */
	static const char *const fast[] = {"/test/echo32"};
	rq.protocols = fast;
	rq.nprotocols = 1;
	rq.timeout_ms = 5000;
	assert_int_equal(lp2p_conn_request(c, &rq, on_reply, &r3), 0);
	WAIT_FOR(w, r3.calls == 1);
	assert_int_equal(r3.status, 0);
	assert_int_equal(r3.counted, 2); /* the slow two */
	WAIT_FOR(w, r1.calls == 1 && r2.calls == 1);
	assert_int_equal(r1.status, LP2P_ETIMEDOUT);
	assert_int_equal(r2.status, LP2P_ETIMEDOUT);
	/* each callback no longer counts its own request */
	assert_true(r1.counted + r2.counted == 1);
	assert_int_equal(lp2p_host_requests_to_peer(a->h, &b->id,
	                                            "/test/silent"),
	                 0);
	/* a failed call never counts */
	static const char *const none[] = {NULL};
	rq.protocols = none;
	assert_int_equal(lp2p_conn_request(c, &rq, on_reply, &r3),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_host_requests_to_peer(a->h, &b->id,
	                                            "/test/silent"),
	                 0);
}

/* ---- connection timers ---- */

struct ticks {
	int n;
};

static void tick(void *arg)
{
	struct ticks *t = arg;
	t->n++;
}

/* Fires while the connection is open, never after; freed with it. */
static void conn_timer(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL), *b = world_node(w, NULL);
	lp2p_conn *c = connect_nodes(w, a, b);
	struct ticks t = {0}, once = {0}, never = {0};
	lp2p_timer *every, *single, *unused;
	assert_int_equal(lp2p_conn_timer_new(NULL, tick, &t, &every),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_conn_timer_new(c, NULL, &t, &every),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_conn_timer_new(c, tick, &t, &every), 0);
	assert_int_equal(lp2p_conn_timer_new(c, tick, &once, &single), 0);
	assert_int_equal(lp2p_conn_timer_new(c, tick, &never, &unused), 0);
	lp2p_timer_start(every, 5, 5);
	lp2p_timer_start(single, 1, 0);
	WAIT_FOR(w, t.n >= 3 && once.n == 1);
	lp2p_timer_stop(every);
	int stopped = t.n;
	world_run_for(w, 30);
	assert_int_equal(t.n, stopped);
	lp2p_timer_start(every, 5, 5);
	WAIT_FOR(w, t.n > stopped);
	lp2p_conn_close(c);
	int at_close = t.n;
	world_run_for(w, 50);
	assert_int_equal(t.n, at_close);
	assert_int_equal(once.n, 1);
	assert_int_equal(never.n, 0);
	(void)b;
}

/* Connection timers of a host freed with its connections open. */
static void conn_timer_freed_with_host(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL), *b = world_node(w, NULL);
	lp2p_conn *c = connect_nodes(w, a, b);
	struct ticks t = {0};
	lp2p_timer *every;
	assert_int_equal(lp2p_conn_timer_new(c, tick, &t, &every), 0);
	lp2p_timer_start(every, 5, 5);
	WAIT_FOR(w, t.n >= 1);
	world_node_free(w, a);
}

static void clock_us(void **state)
{
	(void)state;
	uint64_t t0 = lp2p_clock_us();
	struct timespec ts = {0, 2000000};
	nanosleep(&ts, NULL);
	uint64_t t1 = lp2p_clock_us();
	assert_true(t1 >= t0 + 2000);
	assert_true(t1 < t0 + 2000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)
		T(echo_units),
		T(echo_waits_for_a_slow_reader),
		T(echo_refuses_bad_units),
		T(peer_streams),
		T(requests_in_flight),
		T(conn_timer),
		T(conn_timer_freed_with_host),
		cmocka_unit_test(clock_us),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
