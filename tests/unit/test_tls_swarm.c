/*
 * test_tls_swarm.c - TLS in the swarm: hosts in one process upgrading
 * loopback TCP connections with /tls/1.0.0 (security choice, ALPN muxer
 * choice, peer id checks) and moving stream data through it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "test_swarm_harness.h"

#define TLS "security: [tls]\n"
#define MiB (1024u * 1024u)

/* a dials b; both see one connection over security and muxer. */
static void check_upgrade(struct world *w, const char *ya, const char *yb,
                          const char *security, const char *muxer)
{
	struct node *a = world_node(w, ya);
	struct node *b = world_node(w, yb);
	struct dial_res *r = world_dial(w);
	lp2p_conn *cb = NULL;

	assert_int_equal(dial_ma(a, &b->p2p, false, r), 0);
	WAIT_FOR(w, r->calls == 1 && conns_between(b, a) == 1);
	assert_int_equal(r->status, 0);
	assert_int_equal(lp2p_host_conns_to_peer(b->h, &a->id, &cb, 1), 1);
	assert_true(lp2p_peer_id_equal(lp2p_conn_peer(r->conn), &b->id));
	assert_true(lp2p_peer_id_equal(lp2p_conn_peer(cb), &a->id));
	assert_string_equal(lp2p_conn_security(r->conn), security);
	assert_string_equal(lp2p_conn_security(cb), security);
	assert_string_equal(lp2p_conn_muxer(r->conn), muxer);
	assert_string_equal(lp2p_conn_muxer(cb), muxer);
}

static void tls_yamux(void **state)
{
	check_upgrade(*state, TLS "muxers: [yamux]\n", TLS "muxers: [yamux]\n",
	              "/tls/1.0.0", "/yamux/1.0.0");
}

static void tls_mplex(void **state)
{
	check_upgrade(*state, TLS "muxers: [mplex]\n", TLS "muxers: [mplex]\n",
	              "/tls/1.0.0", "/mplex/6.7.0");
}

/* ALPN: the server takes the first of the dialler's muxers it has. */
static void tls_muxer_preference(void **state)
{
	check_upgrade(*state, TLS "muxers: [mplex, yamux]\n",
	              TLS "muxers: [yamux, mplex]\n", "/tls/1.0.0",
	              "/mplex/6.7.0");
}

/* The dialler's order of security protocols wins. */
static void security_preference(void **state)
{
	check_upgrade(*state, "security: [tls, noise]\n",
	              "security: [noise, tls]\n", "/tls/1.0.0", "/yamux/1.0.0");
}

static void security_fallback(void **state)
{
	check_upgrade(*state, "security: [noise, tls]\n", TLS, "/tls/1.0.0",
	              "/yamux/1.0.0");
}

static void noise_still_works(void **state)
{
	check_upgrade(*state, "security: [noise, tls]\n",
	              "security: [tls, noise]\n", "/noise", "/yamux/1.0.0");
}

static void fails(struct world *w, const char *ya, const char *yb)
{
	struct node *a = world_node(w, ya);
	struct node *b = world_node(w, yb);
	struct dial_res *r = world_dial(w);

	assert_int_equal(dial_ma(a, &b->p2p, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_true(r->status < 0);
	world_run_for(w, 50);
	assert_int_equal(lp2p_host_conns(a->h, NULL, 0), 0);
	assert_int_equal(lp2p_host_conns(b->h, NULL, 0), 0);
}

static void no_common_security(void **state)
{
	fails(*state, "security: [noise]\n", TLS);
}

/* ALPN settles on "libp2p"; multistream-select then finds nothing. */
static void no_common_muxer(void **state)
{
	fails(*state, TLS "muxers: [yamux]\n", TLS "muxers: [mplex]\n");
}

/* A dial naming another peer is refused by the dialler's check; the
 * listener learns it from the alert and keeps no connection either. */
static void wrong_peer_id_refused(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, TLS);
	struct node *b = world_node(w, TLS);
	struct node *c = world_node(w, TLS);
	struct lp2p_multiaddr lie = addr_with_id(&b->addr, &c->id);
	struct dial_res *r = world_dial(w);

	assert_int_equal(dial_ma(a, &lie, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_int_equal(r->status, LP2P_EPEERID);
	world_run_for(w, 100);
	assert_int_equal(lp2p_host_conns(a->h, NULL, 0), 0);
	assert_int_equal(lp2p_host_conns(b->h, NULL, 0), 0);
	/* the true id works */
	assert_non_null(connect_nodes(w, a, b));
}

/* size pattern bytes a -> b over TLS, echoed back, checked both sides. */
static void echo_bulk(struct world *w, const char *muxers, size_t size)
{
	char y[128];
	struct node *a, *b;
	struct service sv;
	const char *proto[] = {"/test/echo"};
	lp2p_conn *ab;
	struct ep *e, *rx;

	snprintf(y, sizeof(y), TLS "%s", muxers);
	a = world_node(w, y);
	b = world_node(w, y);
	service_init(&sv, w, "/test/echo");
	sv.tmpl.echo = true;
	sv.tmpl.check_pattern = true;
	service_add(&sv, b);
	ab = connect_nodes(w, a, b);
	assert_string_equal(lp2p_conn_security(ab), "/tls/1.0.0");
	e = ep_open(w, ab, proto, 1);
	e->to_send = size;
	e->close_after_send = true;
	e->check_pattern = true;
	WAIT_FOR_MS(w, e->closes == 1, 30000);
	rx = sv.eps[0];
	WAIT_FOR(w, rx->closes == 1);
	assert_int_equal(e->sent, size);
	assert_int_equal(e->rx, size);
	assert_int_equal(rx->rx, size);
	assert_int_equal(e->close_reason, 0);
	assert_int_equal(rx->close_reason, 0);
	ep_check(e);
	ep_check(rx);
}

static void echo_yamux(void **state)
{
	echo_bulk(*state, "muxers: [yamux]\n", 8 * MiB);
}

static void echo_mplex(void **state)
{
	echo_bulk(*state, "muxers: [mplex]\n", 8 * MiB);
}

#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(tls_yamux),
	    T(tls_mplex),
	    T(tls_muxer_preference),
	    T(security_preference),
	    T(security_fallback),
	    T(noise_still_works),
	    T(no_common_security),
	    T(no_common_muxer),
	    T(wrong_peer_id_refused),
	    T(echo_yamux),
	    T(echo_mplex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
