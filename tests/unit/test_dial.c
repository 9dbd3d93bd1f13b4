/*
 * test_dial.c - outbound dialling (swarm/dial.c) on the in-memory
 * transport, no sockets: several addresses of a peer tried together (the
 * first upgraded wins, the others are cancelled, a silent address and a
 * refused one do not hold it up), concurrent dials of a peer sharing one
 * attempt, an existing connection reused unless force_new_conn, a wrong
 * peer id (LP2P_EPEERID, which beats a refused address), no known
 * address (LP2P_ENOTCONN), a dial in flight when the host stops
 * (LP2P_ECANCELED) and none after (LP2P_ECLOSED), the peerstore's
 * addresses of any enabled transport.  Every result comes from the loop,
 * never inside the call that asked for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "mem_harness.h"

static struct lp2p_swarm *swarm_of(struct node *n)
{
	return &host_of(n)->swarm;
}

/* lp2p_swarm_dial_peer with addrs (what lp2p_host_dial_peer does with
 * the peerstore's addresses, which offers TCP ones only). */
static int dial_addrs(struct node *from, const struct lp2p_peer_id *peer,
                      const struct lp2p_multiaddr *addrs, size_t n,
                      bool force, struct dial_res *r)
{
	r->in_call = true;
	int rc = lp2p_swarm_dial_peer(swarm_of(from), peer, addrs, n, force,
	                              dial_cb, r);
	r->in_call = false;
	return rc;
}

static size_t pending_conns(struct node *n)
{
	return swarm_of(n)->nconns_pending;
}

/* The multistream-select header a dialler sends first. */
static bool starts_multistream(const uint8_t *p, size_t len)
{
	static const char hdr[] = "\x13/multistream/1.0.0\n";
	return len >= sizeof hdr - 1 && memcmp(p, hdr, sizeof hdr - 1) == 0;
}

/* A silent address, a refused one and the peer's own: the peer's wins;
 * the silent one's connection, still negotiating, is closed (its pipe
 * reads the end), nothing is left pending. */
static void test_first_upgraded_wins(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct raw_listener *silent = raw_listen(b);
	struct lp2p_multiaddr addrs[3] = {silent->addr, mem_unused_addr(),
	                                  b->addr};
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_addrs(a, &b->id, addrs, 3, false, r), 0);
	assert_int_equal(r->calls, 0);
	WAIT_FOR(w, r->calls == 1);
	assert_false(r->inside_call);
	assert_int_equal(r->status, 0);
	struct lp2p_multiaddr remote;
	assert_int_equal(lp2p_conn_remote_addr(r->conn, &remote), 0);
	assert_true(lp2p_multiaddr_equal(&remote, &b->addr));
	assert_true(lp2p_peer_id_equal(lp2p_conn_peer(r->conn), &b->id));

	/* the silent address got its pipe and the dialler's first words;
	 * the winner's arrival closed it */
	assert_int_equal(silent->accepts, 1);
	uint8_t head[64];
	size_t len = 0;
	WAIT_FOR(w, raw_poll(silent, 0, head, sizeof head, &len) == RAW_EOF);
	assert_true(starts_multistream(head, len));
	assert_int_equal(pending_conns(a), 0);
	assert_int_equal(conns_between(a, b), 1);
	WAIT_FOR(w, conns_between(b, a) == 1);
	world_run_for(w, 30);
	assert_int_equal(r->calls, 1);
	assert_int_equal(conns_between(a, b), 1);
}

/* Two listening addresses of the same host, both upgrading at once: one
 * connection wins, the other is cancelled mid-upgrade or closed, and
 * both sides end with one connection. */
static void test_two_live_addresses_one_conn(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct lp2p_multiaddr any, second;
	assert_int_equal(lp2p_multiaddr_parse("/memory/0", 9, &any), 0);
	char err[256];
	assert_int_equal(lp2p_host_listen(b->h, &any, err, sizeof err), 0);
	struct lp2p_multiaddr la[2];
	assert_int_equal(lp2p_host_listen_addrs(b->h, la, 2), 2);
	second = la[1];
	assert_false(lp2p_multiaddr_equal(&second, &b->addr));
	struct lp2p_multiaddr addrs[2] = {b->addr, second};
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_addrs(a, &b->id, addrs, 2, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_false(r->inside_call);
	assert_int_equal(r->status, 0);
	WAIT_FOR(w, pending_conns(a) == 0 && pending_conns(b) == 0 &&
	                    conns_between(b, a) == 1);
	world_run_for(w, 30);
	assert_int_equal(conns_between(a, b), 1);
	assert_int_equal(conns_between(b, a), 1);
	assert_int_equal(r->calls, 1);
}

/* Dials of one peer while one is in flight join it: a silent address
 * sees one pipe, not three; when the host stops, each dial hears
 * LP2P_ECANCELED once, from the loop. */
static void test_concurrent_dials_share_then_cancel(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct raw_listener *silent = raw_listen(b);
	struct dial_res *r1 = world_dial(w), *r2 = world_dial(w),
	                *r3 = world_dial(w);
	assert_int_equal(dial_addrs(a, &b->id, &silent->addr, 1, false, r1),
	                 0);
	assert_int_equal(dial_addrs(a, &b->id, &silent->addr, 1, false, r2),
	                 0);
	struct lp2p_multiaddr p2p = addr_with_id(&silent->addr, &b->id);
	assert_int_equal(dial_ma(a, &p2p, false, r3), 0);
	WAIT_FOR(w, silent->accepts >= 1);
	world_run_for(w, 30);
	assert_int_equal(silent->accepts, 1); /* one attempt */
	assert_int_equal(pending_conns(a), 1);
	assert_int_equal(r1->calls + r2->calls + r3->calls, 0);

	/* a forced dial does not join */
	struct dial_res *r4 = world_dial(w);
	assert_int_equal(dial_addrs(a, &b->id, &silent->addr, 1, true, r4),
	                 0);
	WAIT_FOR(w, silent->accepts == 2);

	lp2p_host_stop(a->h);
	WAIT_FOR(w, r1->calls && r2->calls && r3->calls && r4->calls);
	struct dial_res *rs[] = {r1, r2, r3, r4};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(rs[i]->calls, 1);
		assert_int_equal(rs[i]->status, LP2P_ECANCELED);
		assert_false(rs[i]->inside_call);
	}
	uint8_t head[64];
	size_t len = 0;
	WAIT_FOR(w, raw_poll(silent, 0, head, sizeof head, &len) == RAW_EOF);
	len = 0;
	WAIT_FOR(w, raw_poll(silent, 1, head, sizeof head, &len) == RAW_EOF);
	assert_int_equal(pending_conns(a), 0);
	world_run_for(w, 20);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(rs[i]->calls, 1);
}

/* Concurrent dials of a live peer: one connection, both told of it. */
static void test_concurrent_dials_one_conn(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct dial_res *r1 = world_dial(w), *r2 = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, false, r1), 0);
	assert_int_equal(dial_addrs(a, &b->id, &b->addr, 1, false, r2), 0);
	WAIT_FOR(w, r1->calls == 1 && r2->calls == 1);
	assert_int_equal(r1->status, 0);
	assert_int_equal(r2->status, 0);
	assert_ptr_equal(r1->conn, r2->conn);
	assert_false(r1->inside_call || r2->inside_call);
	WAIT_FOR(w, conns_between(b, a) == 1);
	world_run_for(w, 30);
	assert_int_equal(conns_between(a, b), 1);
	assert_int_equal(conns_between(b, a), 1);
}

/* An existing connection is reused (answered from the loop) unless
 * force_new_conn, which makes a second one. */
static void test_reuse_unless_forced(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	lp2p_conn *c = connect_nodes(w, a, b);

	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, false, r), 0);
	assert_int_equal(r->calls, 0); /* even a reuse waits for the loop */
	WAIT_FOR(w, r->calls == 1);
	assert_false(r->inside_call);
	assert_int_equal(r->status, 0);
	assert_ptr_equal(r->conn, c);
	struct dial_res *rp = world_dial(w);
	assert_int_equal(dial_addrs(a, &b->id, NULL, 0, false, rp), 0);
	WAIT_FOR(w, rp->calls == 1);
	assert_false(rp->inside_call);
	assert_ptr_equal(rp->conn, c);
	world_run_for(w, 20);
	assert_int_equal(conns_between(a, b), 1);
	assert_int_equal(conns_between(b, a), 1);

	struct dial_res *f = world_dial(w);
	assert_int_equal(dial_ma(a, &b->p2p, true, f), 0);
	WAIT_FOR(w, f->calls == 1);
	assert_false(f->inside_call);
	assert_int_equal(f->status, 0);
	assert_ptr_not_equal(f->conn, c);
	WAIT_FOR(w, conns_between(b, a) == 2);
	assert_int_equal(conns_between(a, b), 2);
}

/* A dial asked from inside a dial's callback is answered later, not
 * inside the callback that asked. */
struct nested {
	struct node *from, *to;
	struct dial_res *inner;
	bool in_outer;
	int calls;
	bool inner_inside_outer;
};

static void inner_cb(void *arg, int status, lp2p_conn *c)
{
	struct nested *n = arg;
	if (n->in_outer)
		n->inner_inside_outer = true;
	dial_cb(n->inner, status, c);
}

static void outer_cb(void *arg, int status, lp2p_conn *c)
{
	(void)c;
	struct nested *n = arg;
	n->calls++;
	assert_int_equal(status, 0);
	n->in_outer = true;
	assert_int_equal(lp2p_host_dial(n->from->h, &n->to->p2p, false,
	                                inner_cb, n),
	                 0);
	n->in_outer = false;
}

static void test_result_never_inside(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct nested n = {.from = a, .to = b, .inner = world_dial(w)};
	assert_int_equal(lp2p_host_dial(a->h, &b->p2p, false, outer_cb, &n),
	                 0);
	assert_int_equal(n.calls, 0);
	WAIT_FOR(w, n.inner->calls == 1);
	assert_int_equal(n.calls, 1);
	assert_false(n.inner_inside_outer);
	assert_int_equal(n.inner->status, 0);

	/* a refused address fails from the loop too */
	struct lp2p_multiaddr nobody = mem_unused_addr();
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(a, &nobody, false, r), 0);
	assert_int_equal(r->calls, 0);
	WAIT_FOR(w, r->calls == 1);
	assert_false(r->inside_call);
	assert_int_equal(r->status, LP2P_ENOTCONN);
}

/* The remote proves another id than the one dialled: LP2P_EPEERID, also
 * when a refused address failed first or last. */
static void test_wrong_peer_id(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct node *c = world_node(w, NULL);
	/* b's address with c's id */
	struct lp2p_multiaddr lie = addr_with_id(&b->addr, &c->id);
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(a, &lie, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_false(r->inside_call);
	assert_int_equal(r->status, LP2P_EPEERID);

	struct lp2p_multiaddr nobody = mem_unused_addr();
	struct lp2p_multiaddr orders[2][2] = {{nobody, b->addr},
	                                      {b->addr, nobody}};
	for (size_t i = 0; i < 2; i++) {
		struct dial_res *ri = world_dial(w);
		assert_int_equal(dial_addrs(a, &c->id, orders[i], 2, false, ri),
		                 0);
		WAIT_FOR(w, ri->calls == 1);
		assert_false(ri->inside_call);
		assert_int_equal(ri->status, LP2P_EPEERID);
	}
	WAIT_FOR(w, pending_conns(a) == 0 && pending_conns(b) == 0);
	assert_int_equal(conns_between(a, c), 0);
	assert_int_equal(lp2p_host_conns(a->h, NULL, 0), 0);
}

/* Every address refused: the error comes through the callback. */
static void test_all_refused(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct lp2p_multiaddr nobody[2] = {mem_unused_addr(),
	                                   mem_unused_addr()};
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_addrs(a, &b->id, nobody, 2, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_false(r->inside_call);
	assert_int_equal(r->status, LP2P_ENOTCONN);
}

/* lp2p_host_dial_peer without a known address: LP2P_ENOTCONN through
 * the callback, from the loop. */
static void test_dial_peer_no_address(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_peer(a, &b->id, false, r), 0);
	assert_int_equal(r->calls, 0);
	WAIT_FOR(w, r->calls == 1);
	assert_false(r->inside_call);
	assert_int_equal(r->status, LP2P_ENOTCONN);
	world_run_for(w, 20);
	assert_int_equal(r->calls, 1);
	/* dialling ourselves is refused in the call */
	assert_int_equal(dial_peer(a, &a->id, false, world_dial(w)),
	                 LP2P_EINVAL);
}

/* The peerstore offers the addresses an enabled transport takes (it
 * offered TCP ones only): lp2p_host_dial_peer reaches a /memory one. */
static void test_dial_peer_memory_address(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	assert_int_equal(lp2p_peerstore_add_addr(a->h, &b->id, &b->addr,
	                                         60000),
	                 0);
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_peer(a, &b->id, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	assert_int_equal(r->status, 0);
	assert_true(lp2p_peer_id_equal(lp2p_conn_peer(r->conn), &b->id));
}

/* A callback that dials again whenever its dial fails. */
struct redialer {
	struct node *from;
	struct lp2p_multiaddr target;
	int calls, last_status, redial_rc;
};

static void redial_cb(void *arg, int status, lp2p_conn *c)
{
	(void)c;
	struct redialer *rd = arg;
	rd->calls++;
	rd->last_status = status;
	if (status && rd->calls < 1000)
		rd->redial_rc = lp2p_host_dial(rd->from->h, &rd->target, true,
		                               redial_cb, rd);
}

/* Once the host stops, dials are refused (LP2P_ECLOSED): a callback that
 * dialled again on LP2P_ECANCELED kept the shutdown's loop over the dials
 * in flight going for good, and a stopped host still connected. */
static void test_no_dial_after_stop(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct raw_listener *silent = raw_listen(b);
	static struct redialer rd;
	rd = (struct redialer){.from = a, .target = silent->addr};
	assert_int_equal(lp2p_host_dial(a->h, &rd.target, true, redial_cb,
	                                &rd),
	                 0);
	WAIT_FOR(w, silent->accepts >= 1);
	lp2p_host_stop(a->h);
	WAIT_FOR(w, rd.calls >= 1);
	world_run_for(w, 20);
	assert_int_equal(rd.calls, 1);
	assert_int_equal(rd.last_status, LP2P_ECANCELED);
	assert_int_equal(rd.redial_rc, LP2P_ECLOSED);
	assert_int_equal(lp2p_host_dial(a->h, &b->addr, true, dial_cb,
	                                world_dial(w)),
	                 LP2P_ECLOSED);
	assert_int_equal(lp2p_host_dial_peer(a->h, &b->id, true, dial_cb,
	                                     world_dial(w)),
	                 LP2P_ECLOSED);
}

/* Waiters of one shared dial hear its result in the order they asked. */
struct ordered {
	int *next_seq;
	int seq, status;
};

static void ordered_cb(void *arg, int status, lp2p_conn *c)
{
	(void)c;
	struct ordered *o = arg;
	o->seq = (*o->next_seq)++;
	o->status = status;
}

static void test_waiters_in_order(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	static int next_seq;
	static struct ordered o[4];
	next_seq = 1;
	for (int i = 0; i < 4; i++) {
		o[i] = (struct ordered){.next_seq = &next_seq};
		assert_int_equal(lp2p_swarm_dial_peer(swarm_of(a), &b->id,
		                                      &b->addr, 1, false,
		                                      ordered_cb, &o[i]),
		                 0);
	}
	WAIT_FOR(w, next_seq == 5);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(o[i].status, 0);
		assert_int_equal(o[i].seq, i + 1);
	}
}

/* A dial that joins one in flight brings its addresses along: the first
 * dial knows only a silent address, the second the peer's own; both get
 * the connection (the joiner's address was dropped, and both waited for
 * the silent one until the handshake timeout). */
static void test_joined_dial_adds_addresses(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL);
	struct node *b = world_node(w, NULL);
	struct raw_listener *silent = raw_listen(b);
	struct dial_res *r1 = world_dial(w), *r2 = world_dial(w);
	assert_int_equal(dial_addrs(a, &b->id, &silent->addr, 1, false, r1),
	                 0);
	WAIT_FOR(w, silent->accepts == 1);
	assert_int_equal(dial_addrs(a, &b->id, &b->addr, 1, false, r2), 0);
	WAIT_FOR(w, r1->calls == 1 && r2->calls == 1);
	assert_int_equal(r1->status, 0);
	assert_int_equal(r2->status, 0);
	assert_ptr_equal(r1->conn, r2->conn);
	assert_false(r2->inside_call);
	assert_int_equal(silent->accepts, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, mem_world_setup, \
                                             mem_world_teardown)
	const struct CMUnitTest tests[] = {
		T(test_first_upgraded_wins),
		T(test_two_live_addresses_one_conn),
		T(test_concurrent_dials_share_then_cancel),
		T(test_concurrent_dials_one_conn),
		T(test_reuse_unless_forced),
		T(test_result_never_inside),
		T(test_wrong_peer_id),
		T(test_all_refused),
		T(test_dial_peer_no_address),
		T(test_dial_peer_memory_address),
		T(test_no_dial_after_stop),
		T(test_waiters_in_order),
		T(test_joined_dial_adds_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
