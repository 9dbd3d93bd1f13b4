/*
 * test_swarm_conn.c - connections between hosts in one process over
 * loopback TCP: the upgrade (Noise, yamux or mplex), dialing by address
 * and by peer id, dial sharing and reuse, peer id checks, and the
 * connection manager (idle timeout, protection, water marks, per-peer
 * limit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_swarm_harness.h"

#define YAMUX_YAML "muxers: [yamux]\n"
#define MPLEX_YAML "muxers: [mplex]\n"

/* Both sides see one ready connection with the right peer, Noise and the
 * configured muxer. */
static void check_upgrade(struct world *w, const char *muxers_a,
                          const char *muxers_b, const char *want_muxer)
{
	struct node *a = world_node(w, muxers_a);
	struct node *b = world_node(w, muxers_b);
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, false, r), 0);
	WAIT_FOR(w, r->calls == 1 && conns_between(b, a) == 1);
	assert_false(r->inside_call);
	assert_int_equal(r->status, 0);

	lp2p_conn *ca = r->conn, *cb = NULL;
	assert_int_equal(lp2p_host_conns_to_peer(b->h, &a->id, &cb, 1), 1);
	assert_int_equal(lp2p_host_conns(a->h, NULL, 0), 1);
	assert_int_equal(lp2p_host_conns(b->h, NULL, 0), 1);
	assert_true(lp2p_peer_id_equal(lp2p_conn_peer(ca), &b->id));
	assert_true(lp2p_peer_id_equal(lp2p_conn_peer(cb), &a->id));
	assert_int_equal(lp2p_conn_direction(ca), LP2P_OUTBOUND);
	assert_int_equal(lp2p_conn_direction(cb), LP2P_INBOUND);
	assert_string_equal(lp2p_conn_security(ca), "/noise");
	assert_string_equal(lp2p_conn_security(cb), "/noise");
	assert_string_equal(lp2p_conn_muxer(ca), want_muxer);
	assert_string_equal(lp2p_conn_muxer(cb), want_muxer);
	/* the dialer's remote address is the one dialed, without /p2p */
	struct lp2p_multiaddr ma;
	assert_int_equal(lp2p_conn_remote_addr(ca, &ma), 0);
	assert_true(lp2p_multiaddr_equal(&ma, &b->addr));
	assert_int_equal(lp2p_conn_local_addr(cb, &ma), 0);
	assert_true(lp2p_multiaddr_equal(&ma, &b->addr));
	assert_int_equal(lp2p_conn_stream_count(ca), 0);

	/* nothing more arrives */
	world_run_for(w, 50);
	assert_int_equal(r->calls, 1);
}

static void dial_multiaddr_yamux(void **state)
{
	check_upgrade(*state, YAMUX_YAML, YAMUX_YAML, "/yamux/1.0.0");
}

static void dial_multiaddr_mplex(void **state)
{
	check_upgrade(*state, MPLEX_YAML, MPLEX_YAML, "/mplex/6.7.0");
}

/* The dialer's preference wins when both speak both. */
static void dial_multiaddr_muxer_preference(void **state)
{
	check_upgrade(*state, "muxers: [mplex, yamux]\n",
	              "muxers: [yamux, mplex]\n", "/mplex/6.7.0");
}

static void dial_without_common_muxer_fails(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, YAMUX_YAML);
	struct node *b = world_node(w, MPLEX_YAML);
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_true(r->status < 0);
	world_run_for(w, 50);
	assert_int_equal(lp2p_host_conns(a->h, NULL, 0), 0);
	assert_int_equal(lp2p_host_conns(b->h, NULL, 0), 0);
}

/* A dial without /p2p accepts whoever answers. */
static void dial_without_peer_id(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(a, &b->addr, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_int_equal(r->status, 0);
	assert_true(lp2p_peer_id_equal(lp2p_conn_peer(r->conn), &b->id));
}

/*
 * a dials `dialed` (a new connection to b, which listens on `listen`):
 * both ends' addresses read back exactly through the public accessors.
 * The dialer's remote address is the one dialed, the listener's local one
 * is where it listens, and each end's local address is the other's remote.
 */
static void check_conn_addrs(struct world *w, struct node *a, struct node *b,
                             const struct lp2p_multiaddr *dialed,
                             const struct lp2p_multiaddr *listen)
{
	size_t before = conns_between(b, a);
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(a, dialed, true, r), 0);
	WAIT_FOR(w, r->calls == 1 && conns_between(b, a) == before + 1);
	assert_int_equal(r->status, 0);
	lp2p_conn *ca = r->conn, *cb[WORLD_MAX_NODES] = {NULL};
	size_t n = lp2p_host_conns_to_peer(b->h, &a->id, cb, WORLD_MAX_NODES);
	assert_int_equal(n, before + 1);

	struct lp2p_multiaddr a_remote, a_local, b_remote, b_local;
	assert_int_equal(lp2p_conn_remote_addr(ca, &a_remote), 0);
	assert_int_equal(lp2p_conn_local_addr(ca, &a_local), 0);
	assert_true(lp2p_multiaddr_equal(&a_remote, dialed));
	assert_true(lp2p_multiaddr_is_tcp(&a_local));
	/* b's end of this connection: the one that came from a_local */
	lp2p_conn *mine = NULL;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(lp2p_conn_remote_addr(cb[i], &b_remote), 0);
		if (lp2p_multiaddr_equal(&b_remote, &a_local))
			mine = cb[i];
	}
	assert_non_null(mine);
	assert_int_equal(lp2p_conn_local_addr(mine, &b_local), 0);
	assert_true(lp2p_multiaddr_equal(&b_local, listen));

	assert_int_equal(lp2p_conn_remote_addr(NULL, &a_remote), LP2P_EINVAL);
	assert_int_equal(lp2p_conn_local_addr(ca, NULL), LP2P_EINVAL);
}

static struct lp2p_multiaddr parse_ma(const char *s)
{
	struct lp2p_multiaddr ma;
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), &ma), 0);
	return ma;
}

static void conn_addrs_ip4(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	check_conn_addrs(w, a, b, &b->addr, &b->addr);
}

static void conn_addrs_ip6(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct lp2p_multiaddr loopback6 = parse_ma("/ip6/::1/tcp/0");
	char err[256];
	int rc = lp2p_host_listen(b->h, &loopback6, err, sizeof err);
	if (rc == LP2P_EIO) {
		print_message("no IPv6 loopback: %s\n", err);
		skip();
	}
	assert_int_equal(rc, 0);
	struct lp2p_multiaddr listen[2], *ip6 = NULL;
	assert_int_equal(lp2p_host_listen_addrs(b->h, listen, 2), 2);
	for (size_t i = 0; i < 2; i++)
		if (listen[i].bytes[0] == LP2P_MA_IP6)
			ip6 = &listen[i];
	assert_non_null(ip6);
	check_conn_addrs(w, a, b, ip6, ip6);
}

/*
 * A dialed dns name stays the remote address: here one of over 200 bytes,
 * longer than a connection keeps inline.  getaddrinfo takes the name as
 * the numeric address 127.0.0.1 (inet_aton's octal 0177), so no DNS is
 * asked.
 */
static void conn_addrs_long_name(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct lp2p_multiaddr_hostport hp;
	assert_int_equal(lp2p_multiaddr_host_port(&b->addr, &hp), 0);
	char s[512];
	snprintf(s, sizeof s, "/dns4/%0200d177.0.0.1/tcp/%u", 0,
	         (unsigned)hp.port);
	struct lp2p_multiaddr name = parse_ma(s);
	assert_true(name.len > 200);
	check_conn_addrs(w, a, b, &name, &b->addr);
}

static void dial_immediate_errors(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct dial_res *r = world_dial(w);
	/* ourselves */
	assert_int_equal(dial_ma(a, &a->p2p, false, r), LP2P_EINVAL);
	assert_int_equal(dial_peer(a, &a->id, false, r), LP2P_EINVAL);
	/* not TCP */
	struct lp2p_multiaddr udp;
	const char *s = "/ip4/127.0.0.1/udp/1";
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), &udp), 0);
	assert_int_equal(dial_ma(a, &udp, false, r), LP2P_ENOTSUP);
	assert_int_equal(lp2p_host_dial(a->h, NULL, false, dial_cb, r),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_host_dial(a->h, &a->addr, false, NULL, r),
	                 LP2P_EINVAL);
	world_run_for(w, 20);
	assert_int_equal(r->calls, 0); /* a failed call never calls back */
}

/* A loopback port nobody listens on. */
static uint16_t closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sin;
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static struct lp2p_multiaddr tcp_addr(uint16_t port)
{
	char s[64];
	struct lp2p_multiaddr ma;
	snprintf(s, sizeof s, "/ip4/127.0.0.1/tcp/%u", port);
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), &ma), 0);
	return ma;
}

static void dial_peer_stale_and_good_address(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct lp2p_multiaddr stale = tcp_addr(closed_port());
	/* the stale one added last: it is the freshest entry */
	assert_int_equal(lp2p_peerstore_add_addr(a->h, &b->id, &b->p2p, 60000),
	                 0);
	assert_int_equal(lp2p_peerstore_add_addr(a->h, &b->id, &stale, 60000),
	                 0);
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_peer(a, &b->id, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_false(r->inside_call);
	assert_int_equal(r->status, 0);
	assert_true(lp2p_peer_id_equal(lp2p_conn_peer(r->conn), &b->id));
	struct lp2p_multiaddr remote;
	assert_int_equal(lp2p_conn_remote_addr(r->conn, &remote), 0);
	assert_true(lp2p_multiaddr_equal(&remote, &b->addr));
	world_run_for(w, 50);
	assert_int_equal(r->calls, 1);
	assert_int_equal(conns_between(a, b), 1);
}

static void dial_peer_without_usable_address(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	/* nothing known */
	struct dial_res *r1 = world_dial(w);
	assert_int_equal(dial_peer(a, &b->id, false, r1), 0);
	WAIT_FOR(w, r1->calls == 1);
	assert_false(r1->inside_call);
	assert_int_equal(r1->status, LP2P_ENOTCONN);
	/* only a dead address */
	struct lp2p_multiaddr stale = tcp_addr(closed_port());
	assert_int_equal(lp2p_peerstore_add_addr(a->h, &b->id, &stale, 60000),
	                 0);
	struct dial_res *r2 = world_dial(w);
	assert_int_equal(dial_peer(a, &b->id, false, r2), 0);
	WAIT_FOR(w, r2->calls == 1);
	assert_int_equal(r2->status, LP2P_ENOTCONN);
	assert_int_equal(conns_between(a, b), 0);
}

static void dial_dedupe_and_reuse(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	assert_int_equal(lp2p_peerstore_add_addr(a->h, &b->id, &b->addr,
	                                         60000),
	                 0);
	/* three concurrent dials of one peer (by address and by id) */
	struct dial_res *r1 = world_dial(w), *r2 = world_dial(w),
	                *r3 = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, false, r1), 0);
	assert_int_equal(dial_ma(a, &b->p2p, false, r2), 0);
	assert_int_equal(dial_peer(a, &b->id, false, r3), 0);
	WAIT_FOR(w, r1->calls && r2->calls && r3->calls);
	assert_int_equal(r1->status, 0);
	assert_int_equal(r2->status, 0);
	assert_int_equal(r3->status, 0);
	assert_ptr_equal(r1->conn, r2->conn);
	assert_ptr_equal(r1->conn, r3->conn);
	world_run_for(w, 50);
	assert_int_equal(conns_between(a, b), 1);
	assert_int_equal(conns_between(b, a), 1);

	/* an existing connection is reused, answered from the loop */
	struct dial_res *r4 = world_dial(w), *r5 = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, false, r4), 0);
	assert_int_equal(dial_peer(a, &b->id, false, r5), 0);
	assert_int_equal(r4->calls + r5->calls, 0);
	WAIT_FOR(w, r4->calls && r5->calls);
	assert_int_equal(r4->status, 0);
	assert_ptr_equal(r4->conn, r1->conn);
	assert_ptr_equal(r5->conn, r1->conn);

	/* force_new_conn makes a second one */
	struct dial_res *r6 = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, true, r6), 0);
	WAIT_FOR(w, r6->calls == 1 && conns_between(b, a) == 2);
	assert_int_equal(r6->status, 0);
	assert_ptr_not_equal(r6->conn, r1->conn);
	assert_int_not_equal(lp2p_conn_id(r6->conn), lp2p_conn_id(r1->conn));
	assert_int_equal(conns_between(a, b), 2);
	struct dial_res *r7 = world_dial(w);
	assert_int_equal(dial_peer(a, &b->id, true, r7), 0);
	WAIT_FOR(w, r7->calls == 1 && conns_between(b, a) == 3);
	assert_int_equal(r7->status, 0);
	assert_int_equal(conns_between(a, b), 3);
}

static void wrong_peer_id_refused(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct node *c = world_node(w, NULL);
	/* b's address claiming to be c */
	struct lp2p_multiaddr lie = addr_with_id(&b->addr, &c->id);
	struct dial_res *r1 = world_dial(w);
	assert_int_equal(dial_ma(a, &lie, false, r1), 0);
	WAIT_FOR(w, r1->calls == 1);
	assert_int_equal(r1->status, LP2P_EPEERID);
	/* the same through the peerstore */
	assert_int_equal(lp2p_peerstore_add_addr(a->h, &c->id, &b->addr,
	                                         60000),
	                 0);
	struct dial_res *r2 = world_dial(w);
	assert_int_equal(dial_peer(a, &c->id, false, r2), 0);
	WAIT_FOR(w, r2->calls == 1);
	assert_int_equal(r2->status, LP2P_EPEERID);
	world_run_for(w, 100);
	assert_int_equal(lp2p_host_conns(a->h, NULL, 0), 0);
	assert_int_equal(lp2p_host_conns(b->h, NULL, 0), 0);
	/* nothing sticks: the true id works */
	connect_nodes(w, a, b);
}

/* A listening socket that never accepts: TCP connects, the upgrade
 * hangs.  Returns the socket (close it). */
static int black_hole(struct lp2p_multiaddr *ma)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sin;
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*ma = tcp_addr(ntohs(sin.sin_port));
	return fd;
}

static void handshake_timeout(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, "limits:\n"
	                               "  handshake_timeout: 200ms\n");
	struct lp2p_multiaddr hole;
	int fd = black_hole(&hole);
	struct dial_res *r = world_dial(w);
	uint64_t t0 = mono_ms();
	assert_int_equal(dial_ma(a, &hole, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_int_equal(r->status, LP2P_ETIMEDOUT);
	assert_true(mono_ms() - t0 >= 150);
	close(fd);
}

/* A TCP client that says nothing, connected to n. */
static int silent_client(struct node *n)
{
	struct lp2p_multiaddr_hostport hp;
	assert_int_equal(lp2p_multiaddr_host_port(&n->addr, &hp), 0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&hp.addr, hp.addr_len),
	                 0);
	return fd;
}

/* Reads what fd has; true once the peer closed it. */
static bool at_eof(int fd)
{
	uint8_t buf[256];
	return recv(fd, buf, sizeof buf, MSG_DONTWAIT) == 0;
}

/* Pending handshakes are limited: at the cap b stops accepting; a silent
 * one times out and frees its place, and the waiting dial goes through. */
static void pending_handshake_limit(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, "limits:\n"
	                               "  max_pending_handshakes: 1\n"
	                               "  handshake_timeout: 700ms\n");
	int fd = silent_client(b);
	uint64_t t0 = mono_ms();
	world_run_for(w, 30); /* b accepts it */
	struct dial_res *r1 = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, false, r1), 0);
	world_run_for(w, 150);
	assert_int_equal(r1->calls, 0);
	/* the silent one is dropped after the timeout: b closes it */
	WAIT_FOR(w, at_eof(fd));
	assert_true(mono_ms() - t0 >= 600);
	close(fd);
	WAIT_FOR(w, r1->calls == 1);
	assert_int_equal(r1->status, 0);
	WAIT_FOR(w, conns_between(b, a) == 1);
}

/* At the inbound cap b stops accepting; a dial waits (in the listen
 * backlog) until a connection goes. */
static void inbound_connection_limit(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *c = world_node(w, NULL);
	struct node *b = world_node(w, "limits:\n"
	                               "  max_inbound_connections: 1\n");
	lp2p_conn *ab = connect_nodes(w, a, b);
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(c, &b->p2p, false, r), 0);
	world_run_for(w, 200);
	assert_int_equal(r->calls, 0);
	assert_int_equal(conns_between(b, c), 0);
	/* b may still dial out */
	connect_nodes(w, b, c);
	assert_int_equal(r->calls, 0);
	/* room again: c's dial goes through */
	lp2p_conn_close(ab);
	WAIT_FOR(w, r->calls == 1);
	assert_int_equal(r->status, 0);
	assert_int_equal(conns_between(b, a), 0);
	WAIT_FOR(w, conns_between(b, c) == 2);
}

/* Two waiters of one dial; the first answered closes the connection
 * from its callback: the other learns it is closed. */
struct closing_waiter {
	struct dial_res r;
	struct closing_waiter *other;
	bool close;
};

static void close_in_dial_cb(void *arg, int status, lp2p_conn *c)
{
	struct closing_waiter *cw = arg;
	dial_cb(&cw->r, status, c);
	if (status == 0 && cw->other->r.calls == 0) {
		cw->close = true;
		lp2p_conn_close(c);
	}
}

static void close_from_dial_callback(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	static struct closing_waiter w1, w2;
	w1 = (struct closing_waiter){.other = &w2};
	w2 = (struct closing_waiter){.other = &w1};
	assert_int_equal(lp2p_host_dial(a->h, &b->p2p, false,
	                                close_in_dial_cb, &w1),
	                 0);
	assert_int_equal(lp2p_host_dial(a->h, &b->p2p, false,
	                                close_in_dial_cb, &w2),
	                 0);
	WAIT_FOR(w, w1.r.calls == 1 && w2.r.calls == 1);
	struct closing_waiter *first = w1.close ? &w1 : &w2;
	struct closing_waiter *second = first->other;
	assert_true(first->close);
	assert_false(second->close);
	assert_int_equal(first->r.status, 0);
	assert_int_equal(second->r.status, LP2P_ECLOSED);
	WAIT_FOR(w, conns_between(b, a) == 0);
	assert_int_equal(conns_between(a, b), 0);
	/* and a new dial works */
	connect_nodes(w, a, b);
}

/* Every waiter of a shared dial hears the failure. */
static void shared_dial_failure(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct node *c = world_node(w, NULL);
	struct lp2p_multiaddr lie = addr_with_id(&b->addr, &c->id);
	struct dial_res *r1 = world_dial(w), *r2 = world_dial(w);
	assert_int_equal(dial_ma(a, &lie, false, r1), 0);
	assert_int_equal(dial_ma(a, &lie, false, r2), 0);
	WAIT_FOR(w, r1->calls == 1 && r2->calls == 1);
	assert_int_equal(r1->status, LP2P_EPEERID);
	assert_int_equal(r2->status, LP2P_EPEERID);
	world_run_for(w, 30);
	assert_int_equal(r1->calls + r2->calls, 2);
}

/* ---- the connection manager ---- */

static void idle_connection_closed(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, "connection_manager:\n"
	                               "  idle_timeout: 200ms\n"
	                               "  grace_period: 0s\n");
	struct node *b = world_node(w, NULL);
	connect_nodes(w, a, b);
	uint64_t t0 = mono_ms();
	WAIT_FOR(w, conns_between(a, b) == 0 && conns_between(b, a) == 0);
	uint64_t took = mono_ms() - t0;
	assert_true(took >= 150);
	assert_true(took < 2000);
}

static void busy_and_protected_connections_kept(void **state)
{
	struct world *w = *state;
	const char *cm = "connection_manager:\n"
	                 "  idle_timeout: 150ms\n"
	                 "  grace_period: 0s\n";
	struct node *a = world_node(w, cm);
	struct node *b = world_node(w, NULL);
	struct node *c = world_node(w, NULL);
	struct service sv;
	service_init(&sv, w, "/test/hold");
	sv.tmpl.close_on_fin = true;
	service_add(&sv, b);

	/* a stream keeps a -> b open, a protection keeps a -> c open */
	lp2p_conn *ab = connect_nodes(w, a, b);
	lp2p_conn *ac = connect_nodes(w, a, c);
	assert_int_equal(lp2p_conn_protect(ac, "test"), 0);
	assert_int_equal(lp2p_conn_protect(ac, "other"), 0);
	const char *p[] = {"/test/hold"};
	struct ep *e = ep_open(w, ab, p, 1);
	WAIT_FOR(w, e->opens == 1);
	assert_int_equal(e->open_status, 0);
	world_run_for(w, 600);
	assert_int_equal(conns_between(a, b), 1);
	assert_int_equal(conns_between(a, c), 1);

	/* the stream gone, the idle connection goes */
	assert_int_equal(lp2p_stream_close(e->s), 0);
	WAIT_FOR(w, conns_between(a, b) == 0);
	/* the protection nests by name: one tag left still protects */
	lp2p_conn_unprotect(ac, "test");
	world_run_for(w, 500);
	assert_int_equal(conns_between(a, c), 1);
	lp2p_conn_unprotect(ac, "other");
	WAIT_FOR(w, conns_between(a, c) == 0);
	ep_check(e);
	assert_int_equal(e->closes, 1);
}

static void protect_limit(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	lp2p_conn *c = connect_nodes(w, a, b);
	for (int i = 0; i < 16; i++)
		assert_int_equal(lp2p_conn_protect(c, "t"), 0);
	assert_int_equal(lp2p_conn_protect(c, "t"), LP2P_ELIMIT);
	/* all given back (the tag array goes), then taken again */
	for (int i = 0; i < 16; i++)
		lp2p_conn_unprotect(c, "t");
	lp2p_conn_unprotect(c, "t"); /* not protected: nothing happens */
	for (int i = 0; i < 16; i++)
		assert_int_equal(lp2p_conn_protect(c, "t"), 0);
	assert_int_equal(lp2p_conn_protect(c, "t"), LP2P_ELIMIT);
}

/* Above high water the least valuable unprotected connection goes: no
 * streams, idle for longest. */
static void water_mark_trimming(void **state)
{
	struct world *w = *state;
	struct node *hub = world_node(w, "connection_manager:\n"
	                                 "  low_water: 2\n"
	                                 "  high_water: 2\n"
	                                 "  grace_period: 0s\n");
	struct node *p1 = world_node(w, NULL);
	struct node *p2 = world_node(w, NULL);
	struct node *p3 = world_node(w, NULL);
	connect_nodes(w, p1, hub);
	lp2p_conn *c1 = NULL;
	assert_int_equal(lp2p_host_conns_to_peer(hub->h, &p1->id, &c1, 1), 1);
	assert_int_equal(lp2p_conn_protect(c1, "keep"), 0);
	world_run_for(w, 30);
	connect_nodes(w, p2, hub);
	world_run_for(w, 30);
	assert_int_equal(lp2p_host_conns(hub->h, NULL, 0), 2);
	/* the third: p1 protected, p2 idle for longer than p3 */
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(p3, &hub->p2p, false, r), 0);
	WAIT_FOR(w, r->calls == 1 && conns_between(p2, hub) == 0);
	world_run_for(w, 100);
	assert_int_equal(conns_between(hub, p1), 1);
	assert_int_equal(conns_between(hub, p2), 0);
	assert_int_equal(conns_between(hub, p3), 1);
	assert_int_equal(lp2p_host_conns(hub->h, NULL, 0), 2);
}

static void per_peer_connection_limit(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, "limits:\n"
	                               "  max_connections_per_peer: 2\n");
	struct node *b = world_node(w, NULL);
	connect_nodes(w, a, b);
	struct dial_res *r2 = world_dial(w), *r3 = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, true, r2), 0);
	WAIT_FOR(w, r2->calls == 1);
	assert_int_equal(r2->status, 0);
	assert_int_equal(dial_ma(a, &b->p2p, true, r3), 0);
	WAIT_FOR(w, r3->calls == 1);
	assert_int_equal(r3->status, LP2P_ELIMIT);
	WAIT_FOR(w, conns_between(b, a) == 2);
	world_run_for(w, 50);
	assert_int_equal(conns_between(a, b), 2);
	assert_int_equal(conns_between(b, a), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)
		T(dial_multiaddr_yamux),
		T(dial_multiaddr_mplex),
		T(dial_multiaddr_muxer_preference),
		T(dial_without_common_muxer_fails),
		T(dial_without_peer_id),
		T(conn_addrs_ip4),
		T(conn_addrs_ip6),
		T(conn_addrs_long_name),
		T(dial_immediate_errors),
		T(dial_peer_stale_and_good_address),
		T(dial_peer_without_usable_address),
		T(dial_dedupe_and_reuse),
		T(wrong_peer_id_refused),
		T(close_from_dial_callback),
		T(shared_dial_failure),
		T(handshake_timeout),
		T(pending_handshake_limit),
		T(inbound_connection_limit),
		T(idle_connection_closed),
		T(busy_and_protected_connections_kept),
		T(protect_limit),
		T(water_mark_trimming),
		T(per_peer_connection_limit),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
