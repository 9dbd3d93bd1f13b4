/* test_resource.c - resource scopes, the manager, and the limits: mapping */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/log.h>

#include "config/config.h"
#include "resource/resource.h"

#define UNL LP2P_RESOURCE_UNLIMITED

static const struct lp2p_resource_limits unlimited = {UNL, UNL, UNL, UNL,
                                                      UNL, UNL, UNL, UNL};

static lp2p_config *load(const char *yaml, char *err, size_t errlen, int *rc)
{
	lp2p_config *c = NULL;
	*rc = lp2p_config_load_string(yaml, strlen(yaml), "t.yaml", &c, err,
	                              errlen);
	return c;
}

static lp2p_config *load_ok(const char *yaml)
{
	char err[512] = "";
	int rc;
	lp2p_config *c = load(yaml, err, sizeof err, &rc);
	if (rc)
		fail_msg("unexpected error: %s", err);
	return c;
}

static void load_fails(const char *yaml, const char *want)
{
	char err[512] = "";
	int rc;
	lp2p_config *c = load(yaml, err, sizeof err, &rc);
	assert_int_equal(rc, LP2P_ECONFIG);
	assert_null(c);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

/* ---- scopes ---- */

static void reserve_checks_every_scope(void **state)
{
	(void)state;
	struct lp2p_rc_scope sys, peer, conn;
	/* scopes keep a pointer to their limits: one variable each */
	struct lp2p_resource_limits l = unlimited, lp = unlimited;
	l.connections = 3;
	l.inbound_connections = 2;
	l.memory = 1000;
	lp2p_rc_scope_init(&sys, NULL, LP2P_SCOPE_SYSTEM, &l);
	lp.memory = 600;
	lp2p_rc_scope_init(&peer, NULL, LP2P_SCOPE_TRANSIENT, &lp);
	lp2p_rc_scope_init(&conn, NULL, LP2P_SCOPE_CONNECTION, &unlimited);
	struct lp2p_rc_scope *up[2] = {&peer, &sys};
	lp2p_rc_scope_link(&conn, up, 2);
	assert_int_equal(peer.refs, 1);

	lp2p_rc_amount in = {.inbound_connections = 1, .fds = 1};
	const struct lp2p_rc_scope *blocked = NULL;
	assert_int_equal(lp2p_rc_reserve(&conn, &in, &blocked), 0);
	assert_int_equal(lp2p_rc_reserve(&conn, &in, &blocked), 0);
	/* the third inbound: the system's inbound limit */
	assert_int_equal(lp2p_rc_reserve(&conn, &in, &blocked), LP2P_ELIMIT);
	assert_ptr_equal(blocked, &sys);
	assert_int_equal(sys.use.inbound_connections, 2);
	assert_int_equal(conn.use.inbound_connections, 2);
	/* outbound still fits the total of 3, once */
	lp2p_rc_amount out = {.outbound_connections = 1};
	assert_int_equal(lp2p_rc_reserve(&conn, &out, NULL), 0);
	assert_int_equal(lp2p_rc_reserve(&conn, &out, &blocked), LP2P_ELIMIT);
	assert_ptr_equal(blocked, &sys);

	/* memory: the tighter middle scope refuses; nothing is reserved */
	lp2p_rc_amount mem = {.memory = 500};
	assert_int_equal(lp2p_rc_reserve(&conn, &mem, NULL), 0);
	assert_int_equal(lp2p_rc_reserve(&conn, &mem, &blocked), LP2P_ELIMIT);
	assert_ptr_equal(blocked, &peer);
	assert_int_equal(sys.use.memory, 500);
	assert_int_equal(peer.use.memory, 500);
	/* a huge request does not wrap around */
	lp2p_rc_amount huge = {.memory = UINT64_MAX - 10};
	assert_int_equal(lp2p_rc_reserve(&conn, &huge, NULL), LP2P_ELIMIT);

	/* forced charges go over and say where */
	assert_ptr_equal(lp2p_rc_charge_memory(&conn, 200), &peer);
	assert_int_equal(sys.use.memory, 700);
	assert_null(lp2p_rc_charge_memory(&conn, -200));
	assert_null(lp2p_rc_charge_memory(&conn, 50));

	/* over-release is clamped and reported */
	lp2p_log_set_level(LP2P_LOG_ERROR);
	lp2p_rc_amount too_much = {.memory = 10000};
	assert_false(lp2p_rc_release(&conn, &too_much));
	assert_int_equal(sys.use.memory, 0);
	assert_int_equal(peer.use.memory, 0);

	lp2p_rc_scope_close(&conn);
	assert_true(lp2p_rc_scope_idle(&sys));
	assert_true(lp2p_rc_scope_idle(&peer));
	assert_int_equal(peer.refs, 0);
	assert_int_equal(sys.refs, 0);
}

static void move_between_scopes(void **state)
{
	(void)state;
	struct lp2p_rc_scope sys, transient, peer, conn;
	lp2p_rc_scope_init(&sys, NULL, LP2P_SCOPE_SYSTEM, &unlimited);
	lp2p_rc_scope_init(&transient, NULL, LP2P_SCOPE_TRANSIENT, &unlimited);
	struct lp2p_resource_limits l = unlimited;
	l.connections = 1;
	lp2p_rc_scope_init(&peer, NULL, LP2P_SCOPE_TRANSIENT, &l);
	lp2p_rc_scope_init(&conn, NULL, LP2P_SCOPE_CONNECTION, &unlimited);
	struct lp2p_rc_scope *before[2] = {&transient, &sys};
	struct lp2p_rc_scope *after[2] = {&peer, &sys};
	lp2p_rc_scope_link(&conn, before, 2);
	lp2p_rc_amount a = {.outbound_connections = 1, .fds = 1};
	assert_int_equal(lp2p_rc_reserve(&conn, &a, NULL), 0);
	lp2p_rc_charge_memory(&conn, 300);
	/* the peer already holds a connection: refused, nothing moved */
	lp2p_rc_amount other = {.inbound_connections = 1};
	lp2p_rc_reserve(&peer, &other, NULL);
	const struct lp2p_rc_scope *blocked = NULL;
	assert_int_equal(lp2p_rc_scope_move(&conn, after, 2, &blocked),
	                 LP2P_ELIMIT);
	assert_ptr_equal(blocked, &peer);
	assert_int_equal(transient.use.outbound_connections, 1);
	assert_int_equal(transient.use.memory, 300);
	assert_int_equal(peer.use.outbound_connections, 0);
	/* room made: everything moves, the system's count is unchanged */
	lp2p_rc_release(&peer, &other);
	assert_int_equal(lp2p_rc_scope_move(&conn, after, 2, NULL), 0);
	assert_true(lp2p_rc_scope_idle(&transient));
	assert_int_equal(transient.refs, 0);
	assert_int_equal(peer.refs, 1);
	assert_int_equal(peer.use.outbound_connections, 1);
	assert_int_equal(peer.use.fds, 1);
	assert_int_equal(peer.use.memory, 300);
	assert_int_equal(sys.use.outbound_connections, 1);
	assert_int_equal(sys.use.memory, 300);
	lp2p_rc_scope_close(&conn);
	assert_true(lp2p_rc_scope_idle(&peer));
	assert_true(lp2p_rc_scope_idle(&sys));
}

static void manager_peer_scopes(void **state)
{
	(void)state;
	lp2p_config *cfg = load_ok("limits:\n  peer:\n    memory: 1KiB\n");
	struct lp2p_rcmgr m;
	assert_int_equal(lp2p_rcmgr_init(&m, &cfg->limits, 100), 0);
	assert_int_equal(m.system.limit->fds, 100);
	enum { N = 1000 };
	struct lp2p_rc_scope *s[N];
	for (int i = 0; i < N; i++) {
		struct lp2p_peer_id id = {.len = 34};
		id.bytes[0] = 0x12;
		id.bytes[1] = 0x20;
		memcpy(id.bytes + 2, &i, sizeof i);
		s[i] = lp2p_rcmgr_peer(&m, &id, true);
		assert_non_null(s[i]);
		assert_ptr_equal(lp2p_rcmgr_peer(&m, &id, true), s[i]);
		lp2p_rc_amount a = {.memory = 1024};
		assert_int_equal(lp2p_rc_reserve(s[i], &a, NULL), 0);
		a.memory = 1;
		assert_int_equal(lp2p_rc_reserve(s[i], &a, NULL), LP2P_ELIMIT);
	}
	assert_int_equal(m.npeers, N);
	assert_true(m.npeer_buckets >= N / 2);
	assert_int_equal(m.system.use.memory, 1024u * N);
	for (int i = 0; i < N; i++) {
		lp2p_rc_amount a = {.memory = 1024};
		lp2p_rc_release(s[i], &a);
		lp2p_rcmgr_peer_maybe_free(s[i]);
	}
	assert_int_equal(m.npeers, 0);
	assert_true(lp2p_rc_scope_idle(&m.system));

	/* named scopes: a protocol served by a plugin counts in both */
	struct lp2p_rc_scope *p =
		lp2p_rcmgr_protocol(&m, "/x/1.0.0", "xplug", true);
	assert_non_null(p);
	assert_ptr_equal(lp2p_rcmgr_protocol(&m, "/x/1.0.0", NULL, false), p);
	struct lp2p_rc_scope *pl = lp2p_rcmgr_plugin(&m, "xplug", false);
	assert_non_null(pl);
	lp2p_rc_amount a = {.memory = 10};
	assert_int_equal(lp2p_rc_reserve(p, &a, NULL), 0);
	assert_int_equal(pl->use.memory, 10);
	assert_int_equal(m.system.use.memory, 10);
	lp2p_rc_release(p, &a);
	assert_null(lp2p_rcmgr_protocol(&m, "/y/1.0.0", NULL, false));
	lp2p_rcmgr_fini(&m);
	lp2p_config_free(cfg);
}

/* ---- the limits: mapping ---- */

static void scope_config(void **state)
{
	(void)state;
	lp2p_config *c = load_ok("");
	const struct lp2p_limits *l = &c->limits;
	/* defaults agree with each other */
	assert_int_equal(l->system.connections, 1024);
	assert_int_equal(l->system.memory, 256u << 20);
	assert_true(l->system_fds_auto);
	assert_int_equal(l->transient.inbound_connections, 128);
	assert_int_equal(l->peer.connections, 8);
	assert_int_equal(l->conn.streams, 1024);
	assert_int_equal(l->conn.inbound_streams, 1024);
	assert_int_equal(l->protocol.inbound_streams, 4096);
	assert_true(l->stream.memory <= l->conn.memory);
	assert_true(l->conn.memory <= l->peer.memory);
	assert_true(l->peer.memory <= l->system.memory);
	lp2p_config_free(c);

	c = load_ok("limits:\n"
	            "  max_streams_per_connection: 64\n"
	            "  system:\n"
	            "    memory: 64MiB\n"
	            "    fds: 500\n"
	            "    streams: unlimited\n"
	            "  peer:\n"
	            "    streams: 100\n"
	            "  stream:\n"
	            "    memory: 1MiB\n"
	            "  protocols:\n"
	            "    /ipfs/ping/1.0.0:\n"
	            "      inbound_streams: 4\n"
	            "  plugins:\n"
	            "    identify: {memory: 2MiB}\n");
	l = &c->limits;
	assert_int_equal(l->conn.streams, 64);
	assert_int_equal(l->conn.inbound_streams, 64); /* follows down */
	assert_int_equal(l->system.memory, 64u << 20);
	assert_false(l->system_fds_auto);
	assert_int_equal(l->system.fds, 500);
	assert_int_equal(l->system.streams, UNL);
	assert_int_equal(l->peer.streams, 100);
	assert_int_equal(l->peer.inbound_streams, 100);
	/* an unset child follows a smaller parent down */
	assert_int_equal(l->transient.memory, 32u << 20);
	assert_int_equal(l->plugin.memory, 64u << 20);
	assert_int_equal(l->stream.memory, 1u << 20);
	assert_int_equal(l->nprotocols, 1);
	assert_string_equal(l->protocols[0].name, "/ipfs/ping/1.0.0");
	assert_int_equal(l->protocols[0].l.inbound_streams, 4);
	assert_int_equal(l->protocols[0].l.memory, l->protocol.memory);
	assert_int_equal(l->nplugins, 1);
	assert_int_equal(l->plugins[0].l.memory, 2u << 20);
	lp2p_config_free(c);

	/* a connection's set limit raises its peer's default */
	c = load_ok("limits:\n  max_streams_per_connection: 4096\n"
	            "  connection: {memory: 64MiB}\n");
	assert_int_equal(c->limits.conn.streams, 4096);
	assert_int_equal(c->limits.conn.inbound_streams, 4096);
	assert_int_equal(c->limits.peer.streams, 4096);
	assert_int_equal(c->limits.peer.inbound_streams, 4096);
	assert_int_equal(c->limits.peer.memory, 64u << 20);
	assert_int_equal(c->limits.system.streams, 16384);
	lp2p_config_free(c);
	/* a key without a value keeps the default (found by fuzz_config:
	 * it was refused with an empty message) */
	c = load_ok("limits:\n  max_connections: !00\n"
	            "  system: {memory: , streams: }\n");
	assert_int_equal(c->limits.system.connections, 1024);
	assert_int_equal(c->limits.system.memory, 256u << 20);
	lp2p_config_free(c);
	/* a peer's directions follow its connection limit (both ways) */
	c = load_ok("limits:\n  max_connections_per_peer: 16\n");
	assert_int_equal(c->limits.peer.inbound_connections, 16);
	assert_int_equal(c->limits.peer.outbound_connections, 16);
	lp2p_config_free(c);
	c = load_ok("limits:\n  max_connections_per_peer: 4\n");
	assert_int_equal(c->limits.peer.inbound_connections, 4);
	lp2p_config_free(c);
	/* unset system directions are three quarters of a set total */
	c = load_ok("limits:\n  max_connections: 200000\n"
	            "  max_pending_handshakes: 10000\n");
	assert_int_equal(c->limits.system.inbound_connections, 150000);
	assert_int_equal(c->limits.system.outbound_connections, 150000);
	lp2p_config_free(c);
	c = load_ok("limits:\n  max_buffer_memory: 0\n");
	assert_int_equal(c->limits.system.memory, UNL);
	lp2p_config_free(c);
	/* a set direction above an unset total raises the total */
	c = load_ok("limits:\n  max_pending_handshakes: 200\n");
	assert_int_equal(c->limits.transient.inbound_connections, 200);
	assert_int_equal(c->limits.transient.connections, 256);
	lp2p_config_free(c);
	c = load_ok("limits:\n  transient: {inbound_connections: 300}\n");
	assert_int_equal(c->limits.transient.connections, 300);
	lp2p_config_free(c);
}

static void scope_config_errors(void **state)
{
	(void)state;
	load_fails("limits:\n  system:\n    bogus: 1\n",
	           "t.yaml:3:5: limits.system.bogus: unknown key");
	load_fails("limits:\n  stream:\n    streams: 1\n",
	           "limits.stream.streams: unknown key");
	load_fails("limits:\n  connection:\n    fds: 1\n",
	           "limits.connection.fds: unknown key");
	load_fails("limits:\n  system:\n    memory: lots\n",
	           "t.yaml:3:13: limits.system.memory: expected a size");
	load_fails("limits:\n  peer:\n    streams: -1\n",
	           "limits.peer.streams");
	load_fails("limits:\n  system: 5\n", "limits.system: expected a mapping");
	/* the same limit twice */
	load_fails("limits:\n  max_connections: 10\n"
	           "  system:\n    connections: 20\n",
	           "t.yaml:4:18: limits.system.connections: sets the same "
	           "limit as limits.max_connections: keep one");
	/* a child above its parent */
	load_fails("limits:\n  system:\n    memory: 1MiB\n"
	           "  peer:\n    memory: 2MiB\n",
	           "t.yaml:5:13: limits.peer.memory: is above "
	           "limits.system.memory (1048576)");
	load_fails("limits:\n  peer:\n    streams: 10\n"
	           "  connection:\n    streams: 20\n",
	           "limits.connection.streams: is above limits.peer.streams "
	           "(10)");
	load_fails("limits:\n  max_streams_per_connection: 20000\n",
	           "limits.max_streams_per_connection: is above "
	           "limits.system.streams (16384)");
	load_fails("limits:\n  max_connections_per_peer: 2000\n",
	           "limits.max_connections_per_peer: is above "
	           "limits.system.connections (1024)");
	load_fails("limits:\n  system:\n    streams: 100\n"
	           "    inbound_streams: 200\n",
	           "limits.system.inbound_streams: is above "
	           "limits.system.streams (100)");
	load_fails("limits:\n  protocols:\n    /x:\n      memory: 1GiB\n",
	           "limits.protocols./x.memory: is above limits.system.memory");
	load_fails("limits:\n  protocols: [a]\n",
	           "limits.protocols: expected a mapping");
	load_fails("limits:\n  plugins:\n    p: 3\n", "expected a mapping");
	load_fails("limits:\n  max_buffer_memory: 1MiB\n"
	           "connection_manager:\n  high_water: 2000\n",
	           "connection_manager.high_water: is above");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reserve_checks_every_scope),
		cmocka_unit_test(move_between_scopes),
		cmocka_unit_test(manager_peer_scopes),
		cmocka_unit_test(scope_config),
		cmocka_unit_test(scope_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
