/*
 * test_connmgr.c - the connection manager (swarm/connmgr.c) on the
 * in-memory transport, a hub host with small connection_manager values
 * and up to five peers dialling it: above high_water ready connections
 * the least valuable unprotected ones (fewest streams, then idle for
 * longest) are closed down to low_water; protected connections and those
 * in their grace period are never chosen; idle_timeout closes an idle
 * connection once its grace period is over, while streams or a
 * protection keep one open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "mem_harness.h"

/* hub's connection to peer (fails the test if there is none) */
static lp2p_conn *conn_to(struct node *hub, struct node *peer)
{
	lp2p_conn *c = NULL;
	if (lp2p_host_conns_to_peer(hub->h, &peer->id, &c, 1) != 1)
		fail_msg("no connection to the peer");
	return c;
}

static size_t ready_conns(struct node *n)
{
	return host_of(n)->swarm.nconns_ready;
}

/* p dials hub and opens a stream to it that stays open; returns once
 * the hub's side counts it. */
static struct ep *connect_with_stream(struct world *w, struct node *p,
                                      struct node *hub)
{
	lp2p_conn *c = connect_nodes(w, p, hub);
	const char *protos[] = {"/test/hold"};
	struct ep *e = ep_open(w, c, protos, 1);
	WAIT_FOR(w, e->opens == 1);
	assert_int_equal(e->open_status, 0);
	WAIT_FOR(w, lp2p_conn_stream_count(conn_to(hub, p)) == 1);
	return e;
}

/* Over high water by one (low_water = high_water): the one to go is the
 * stream-less connection idle for longest, although the one with a
 * stream has been idle for longer still; a protected one is never
 * chosen.  Again with the next arrival. */
static void test_trim_fewest_streams_then_longest_idle(void **state)
{
	struct world *w = *state;
	struct node *hub = world_node(w, "connection_manager:\n"
	                                 "  low_water: 3\n"
	                                 "  high_water: 3\n"
	                                 "  grace_period: 0s\n"
	                                 "  idle_timeout: 0s\n");
	struct service sv;
	service_init(&sv, w, "/test/hold");
	service_add(&sv, hub);
	struct node *p[5];
	for (size_t i = 0; i < 5; i++)
		p[i] = world_node(w, NULL);

	/* p0: protected, the oldest and quietest */
	connect_nodes(w, p[0], hub);
	assert_int_equal(lp2p_conn_protect(conn_to(hub, p[0]), "keep"), 0);
	world_run_for(w, 30);
	/* p1: a stream, quiet since */
	struct ep *e = connect_with_stream(w, p[1], hub);
	world_run_for(w, 30);
	/* p2: no stream, idle for less than p1 */
	connect_nodes(w, p[2], hub);
	world_run_for(w, 30);
	assert_int_equal(ready_conns(hub), 3);

	connect_nodes(w, p[3], hub); /* 4 > 3: one goes */
	WAIT_FOR(w, conns_between(hub, p[2]) == 0 &&
	                    conns_between(p[2], hub) == 0);
	world_run_for(w, 50);
	assert_int_equal(ready_conns(hub), 3);
	assert_int_equal(conns_between(hub, p[0]), 1);
	assert_int_equal(conns_between(hub, p[1]), 1);
	assert_int_equal(conns_between(hub, p[3]), 1);

	world_run_for(w, 30);
	connect_nodes(w, p[4], hub); /* p3 is now the idle one */
	WAIT_FOR(w, conns_between(hub, p[3]) == 0);
	world_run_for(w, 50);
	assert_int_equal(ready_conns(hub), 3);
	assert_int_equal(conns_between(hub, p[0]), 1);
	assert_int_equal(conns_between(hub, p[1]), 1);
	assert_int_equal(conns_between(hub, p[4]), 1);
	assert_int_equal(e->closes, 0); /* the stream was never touched */
	ep_check(e);
}

/* Above high water, trimming goes down to low water: the two idle for
 * longest go at once, the protected and the newest stay. */
static void test_trim_down_to_low_water(void **state)
{
	struct world *w = *state;
	struct node *hub = world_node(w, "connection_manager:\n"
	                                 "  low_water: 2\n"
	                                 "  high_water: 3\n"
	                                 "  grace_period: 0s\n"
	                                 "  idle_timeout: 0s\n");
	struct node *p[4];
	for (size_t i = 0; i < 4; i++)
		p[i] = world_node(w, NULL);
	for (size_t i = 0; i < 3; i++) {
		connect_nodes(w, p[i], hub);
		world_run_for(w, 20);
	}
	assert_int_equal(lp2p_conn_protect(conn_to(hub, p[0]), "keep"), 0);
	world_run_for(w, 50);
	assert_int_equal(ready_conns(hub), 3); /* at high water: nothing */

	connect_nodes(w, p[3], hub);
	WAIT_FOR(w, conns_between(hub, p[1]) == 0 &&
	                    conns_between(hub, p[2]) == 0);
	world_run_for(w, 50);
	assert_int_equal(ready_conns(hub), 2);
	assert_int_equal(conns_between(hub, p[0]), 1);
	assert_int_equal(conns_between(hub, p[3]), 1);
	assert_int_equal(conns_between(p[1], hub), 0);
	assert_int_equal(conns_between(p[2], hub), 0);
}

/* A protected connection outlives a newer unprotected one, which goes
 * at once (grace_period 0s). */
static void test_protected_outlives_newer(void **state)
{
	struct world *w = *state;
	struct node *hub = world_node(w, "connection_manager:\n"
	                                 "  low_water: 1\n"
	                                 "  high_water: 1\n"
	                                 "  grace_period: 0s\n"
	                                 "  idle_timeout: 0s\n");
	struct node *p0 = world_node(w, NULL), *p1 = world_node(w, NULL);
	connect_nodes(w, p0, hub);
	assert_int_equal(lp2p_conn_protect(conn_to(hub, p0), "keep"), 0);
	/* p1 arrives: 2 > 1, p1 (unprotected) goes, p0 stays */
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(p1, &hub->p2p, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	WAIT_FOR(w, conns_between(p1, hub) == 0 && conns_between(hub, p1) == 0);
	world_run_for(w, 50);
	assert_int_equal(conns_between(hub, p0), 1);
	assert_int_equal(ready_conns(hub), 1);
}

/* New connections are spared during their grace period, even above high
 * water. */
static void test_grace_period_spares_new(void **state)
{
	struct world *w = *state;
	struct node *hub = world_node(w, "connection_manager:\n"
	                                 "  low_water: 1\n"
	                                 "  high_water: 2\n"
	                                 "  grace_period: 1m\n"
	                                 "  idle_timeout: 0s\n");
	struct node *p[3];
	for (size_t i = 0; i < 3; i++) {
		p[i] = world_node(w, NULL);
		connect_nodes(w, p[i], hub);
	}
	world_run_for(w, 100);
	assert_int_equal(ready_conns(hub), 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(conns_between(p[i], hub), 1);
}

/*
 * idle_timeout: an idle connection outlives idle_timeout while in its
 * grace period, and goes soon after; one with an open stream and a
 * protected one stay; once its stream is closed (or the protection
 * lifted) a connection goes after idle_timeout.
 */
static void test_idle_timeout_after_grace(void **state)
{
	struct world *w = *state;
	struct node *hub = world_node(w, "connection_manager:\n"
	                                 "  grace_period: 300ms\n"
	                                 "  idle_timeout: 100ms\n");
	struct service sv;
	service_init(&sv, w, "/test/hold");
	sv.tmpl.close_on_fin = true;
	service_add(&sv, hub);
	struct node *idle = world_node(w, NULL);
	struct node *busy = world_node(w, NULL);
	struct node *kept = world_node(w, NULL);

	uint64_t t0 = mono_ms();
	connect_nodes(w, idle, hub);
	struct ep *e = connect_with_stream(w, busy, hub);
	connect_nodes(w, kept, hub);
	assert_int_equal(lp2p_conn_protect(conn_to(hub, kept), "keep"), 0);

	/* past idle_timeout, within the grace period: all three stay */
	world_run_for(w, 180);
	if (mono_ms() - t0 < 280) /* too slow a machine to tell: skip */
		assert_int_equal(conns_between(hub, idle), 1);
	WAIT_FOR(w, conns_between(hub, idle) == 0 &&
	                    conns_between(idle, hub) == 0);
	assert_true(mono_ms() - t0 >= 290); /* not before the grace period */

	/* a stream and a protection keep theirs, well past both times */
	world_run_for(w, 300);
	assert_int_equal(conns_between(hub, busy), 1);
	assert_int_equal(conns_between(hub, kept), 1);

	/* the stream closed (both ways), its connection goes when idle */
	assert_int_equal(lp2p_stream_close(e->s), 0);
	WAIT_FOR(w, e->closes == 1);
	uint64_t t1 = mono_ms();
	WAIT_FOR(w, conns_between(hub, busy) == 0);
	assert_true(mono_ms() - t1 >= 50);
	assert_int_equal(conns_between(hub, kept), 1);
	lp2p_conn_unprotect(conn_to(hub, kept), "keep");
	WAIT_FOR(w, conns_between(hub, kept) == 0 &&
	                    conns_between(kept, hub) == 0);
	ep_check(e);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, mem_world_setup, \
                                             mem_world_teardown)
	const struct CMUnitTest tests[] = {
		T(test_trim_fewest_streams_then_longest_idle),
		T(test_trim_down_to_low_water),
		T(test_protected_outlives_newer),
		T(test_grace_period_spares_new),
		T(test_idle_timeout_after_grace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
