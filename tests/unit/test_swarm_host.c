/*
 * test_swarm_host.c - the host around the swarm: events (order,
 * publishing from a subscriber, unsubscribing; the structs of
 * lp2p/events.h, the host's own), posts from other threads,
 * timers, and stopping and freeing hosts with connections and streams
 * open (every on_close runs; the sanitizer build checks for leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <lp2p/events.h>

#include "test_swarm_harness.h"
#include "host/host.h" /* the host's loop, to keep it busy */

/* ---- events ---- */

#define MAX_LOG 64

struct event_log {
	lp2p_host *h;
	size_t n;
	char line[MAX_LOG][64]; /* "who:type:data" */
	bool publish_from_cb;   /* cb "a" publishes "t.c" on t.a/3 */
	bool unsubscribe_star;  /* cb "a" drops "star" on t.c */
	int inside_publish;     /* a callback ran inside lp2p_host_publish */
	bool publishing;
};

struct subscriber {
	struct event_log *log;
	const char *who;
};

static void record(void *arg, const char *type, const void *data,
                   size_t len)
{
	struct subscriber *s = arg;
	struct event_log *l = s->log;
	if (strcmp(type, "host.listen_addrs") == 0)
		return; /* the host's own news of its listeners */
	if (l->publishing)
		l->inside_publish++;
	assert_true(l->n < MAX_LOG);
	snprintf(l->line[l->n++], sizeof l->line[0], "%s:%s:%.*s", s->who,
	         type, (int)len, (const char *)data);
}

static struct subscriber sub_a, sub_star, sub_b;

static void record_and_act(void *arg, const char *type, const void *data,
                           size_t len)
{
	struct subscriber *s = arg;
	struct event_log *l = s->log;
	record(arg, type, data, len);
	if (l->publish_from_cb && strcmp(type, "t.a") == 0 && len == 1 &&
	    memcmp(data, "3", 1) == 0)
		assert_int_equal(lp2p_host_publish(l->h, "t.c", "4", 1), 0);
	if (l->unsubscribe_star && strcmp(type, "t.c") == 0)
		lp2p_host_unsubscribe(l->h, "*", record, &sub_star);
}

static int publish(struct event_log *l, const char *type, const char *data)
{
	l->publishing = true;
	int rc = lp2p_host_publish(l->h, type, data, strlen(data));
	l->publishing = false;
	return rc;
}

static void expect_log(struct event_log *l, const char *const *want,
                       size_t n)
{
	for (size_t i = 0; i < n && i < l->n; i++)
		if (strcmp(l->line[i], want[i]) != 0)
			fail_msg("event %zu: got %s, want %s", i, l->line[i],
			         want[i]);
	assert_int_equal(l->n, n);
}

static void stay_busy(struct ev_loop *ev, ev_io *w, int revents)
{
	(void)ev;
	(void)w;
	(void)revents; /* never reads: the fd stays readable */
}

/* A loop that always has I/O pending still delivers events.  They were
 * delivered by an ev_idle watcher, which libev runs only when nothing
 * else is pending: a node under constant I/O queued them until the cap
 * and then lost them. */
static void events_delivered_while_busy(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	ev_io busy;
	ev_io_init(&busy, stay_busy, fds[0], EV_READ);
	ev_io_start(n->h->loop.ev, &busy);
	struct event_log l = {.h = n->h};
	struct subscriber s = {&l, "a"};
	assert_int_equal(lp2p_host_subscribe(n->h, "t.busy", record, &s), 0);
	assert_int_equal(lp2p_host_publish(n->h, "t.busy", "1", 1), 0);
	for (int i = 0; i < 100 && l.n == 0; i++)
		lp2p_host_run_once(n->h, 0);
	ev_io_stop(n->h->loop.ev, &busy);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.line[0], "a:t.busy:1");
}

static void events_in_order(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	struct event_log l = {.h = n->h, .publish_from_cb = true,
	                      .unsubscribe_star = true};
	sub_a = (struct subscriber){&l, "a"};
	sub_star = (struct subscriber){&l, "star"};
	sub_b = (struct subscriber){&l, "b"};
	assert_int_equal(lp2p_host_subscribe(n->h, "t.a", record_and_act,
	                                     &sub_a),
	                 0);
	assert_int_equal(lp2p_host_subscribe(n->h, "*", record, &sub_star), 0);
	assert_int_equal(lp2p_host_subscribe(n->h, "t.b", record, &sub_b), 0);
	assert_int_equal(lp2p_host_subscribe(n->h, "t.c", record_and_act,
	                                     &sub_a),
	                 0);

	char buf[8] = "1";
	l.publishing = true;
	assert_int_equal(lp2p_host_publish(n->h, "t.a", buf, 1), 0);
	l.publishing = false;
	buf[0] = 'X'; /* copied: the change is not seen */
	assert_int_equal(publish(&l, "t.b", "2"), 0);
	assert_int_equal(publish(&l, "t.a", "3"), 0);
	assert_int_equal(publish(&l, "t.none", ""), 0);
	assert_int_equal(l.n, 0); /* nothing inside publish */
	WAIT_FOR(w, l.n >= 9);
	world_run_for(w, 20);
	static const char *const want[] = {
		"a:t.a:1", "star:t.a:1", "star:t.b:2", "b:t.b:2",
		"a:t.a:3", "star:t.a:3", "star:t.none:",
		/* published by a from inside its callback: after the events
		 * already queued; a drops star while t.c is delivered */
		"star:t.c:4", "a:t.c:4",
	};
	expect_log(&l, want, sizeof want / sizeof *want);
	assert_int_equal(l.inside_publish, 0);

	/* star is gone; b leaves too */
	l.n = 0;
	l.publish_from_cb = l.unsubscribe_star = false;
	lp2p_host_unsubscribe(n->h, "t.b", record, &sub_b);
	assert_int_equal(publish(&l, "t.b", "5"), 0);
	assert_int_equal(publish(&l, "t.a", "6"), 0);
	WAIT_FOR(w, l.n >= 1);
	world_run_for(w, 20);
	static const char *const want2[] = {"a:t.a:6"};
	expect_log(&l, want2, 1);

	/* errors */
	assert_int_equal(lp2p_host_publish(n->h, NULL, NULL, 0), LP2P_EINVAL);
	assert_int_equal(lp2p_host_publish(n->h, "t.a", NULL, 3), LP2P_EINVAL);
	assert_int_equal(lp2p_host_subscribe(n->h, "t.a", NULL, NULL),
	                 LP2P_EINVAL);
	/* unsubscribing what is not subscribed is harmless */
	lp2p_host_unsubscribe(n->h, "t.zzz", record, &sub_b);
	lp2p_host_unsubscribe(n->h, "t.a", record_and_act, &sub_a);
	lp2p_host_unsubscribe(n->h, "t.c", record_and_act, &sub_a);
	assert_int_equal(publish(&l, "t.a", "7"), 0);
	world_run_for(w, 20);
	expect_log(&l, want2, 1);
}

/* Events still queued when the host is freed are freed with it. */
static void events_queued_at_free(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	struct event_log l = {.h = n->h};
	sub_star = (struct subscriber){&l, "star"};
	assert_int_equal(lp2p_host_subscribe(n->h, "*", record, &sub_star), 0);
	assert_int_equal(publish(&l, "t.a", "queued"), 0);
	world_node_free(w, n);
	assert_int_equal(l.n, 0);
}

static int refuse_all(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)arg;
	(void)s;
	(void)protocol;
	return LP2P_EPERM;
}

/* ---- typed events (lp2p/events.h) ---- */

#define MAX_TYPED 16

/* What subscribers received: a copy of each payload. */
struct typed_log {
	size_t n;
	struct {
		char type[32];
		size_t len;
		bool aligned;
		union {
			uint32_t size;
			struct lp2p_event_conn conn;
			struct lp2p_event_listen_addrs listen;
			struct lp2p_event_protocols protocols;
			struct lp2p_event_identify_peer identify;
			struct lp2p_event_observed_addr observed;
			struct lp2p_event_ping_rtt rtt;
			uint8_t raw[2048];
		} u;
	} ev[MAX_TYPED];
};

static void keep_typed(void *arg, const char *type, const void *data,
                       size_t len)
{
	struct typed_log *l = arg;
	assert_true(l->n < MAX_TYPED);
	assert_true(len <= sizeof l->ev[0].u.raw);
	snprintf(l->ev[l->n].type, sizeof l->ev[0].type, "%s", type);
	l->ev[l->n].len = len;
	l->ev[l->n].aligned =
	    (uintptr_t)data % _Alignof(max_align_t) == 0;
	memcpy(l->ev[l->n].u.raw, data, len);
	l->n++;
}

/* lp2p_host_add_protocol and _remove_protocol tell "host.protocols"
 * listeners which protocol came or went. */
static void protocols_event(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	struct typed_log l = {0};
	assert_int_equal(lp2p_host_subscribe(n->h, LP2P_EVENT_HOST_PROTOCOLS,
	                                     keep_typed, &l),
	                 0);
	struct service sv;
	service_init(&sv, w, "/test/x/1");
	service_add(&sv, n);
	assert_int_equal(lp2p_host_add_protocol(n->h, "/test/x/1", NULL, NULL),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_host_add_protocol(n->h, "/test/x/1", refuse_all,
	                                        NULL),
	                 LP2P_EEXIST);
	assert_int_equal(lp2p_host_add_protocol(n->h, "no-slash", refuse_all,
	                                        NULL),
	                 LP2P_EINVAL);
	WAIT_FOR(w, l.n >= 1);
	world_run_for(w, 20);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.ev[0].type, "host.protocols");
	assert_int_equal(l.ev[0].len, sizeof(struct lp2p_event_protocols));
	assert_int_equal(l.ev[0].u.size, l.ev[0].len);
	assert_true(l.ev[0].u.protocols.added);
	assert_int_equal(l.ev[0].u.protocols.count, 1);
	assert_string_equal(l.ev[0].u.protocols.protocol, "/test/x/1");
	const char *list[8];
	assert_int_equal(lp2p_host_protocols(n->h, list, 8), 1);
	assert_string_equal(list[0], "/test/x/1");
	assert_int_equal(lp2p_host_remove_protocol(n->h, "/test/x/1"), 0);
	WAIT_FOR(w, l.n >= 2);
	world_run_for(w, 20);
	assert_int_equal(l.n, 2);
	assert_false(l.ev[1].u.protocols.added);
	assert_int_equal(l.ev[1].u.protocols.count, 0);
	assert_string_equal(l.ev[1].u.protocols.protocol, "/test/x/1");
	assert_int_equal(lp2p_host_protocols(n->h, list, 8), 0);
}

/* Each type of lp2p/events.h goes through as its struct; a payload that
 * is not the type's struct is refused. */
static void typed_events(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	struct typed_log l = {0};
	assert_int_equal(lp2p_host_subscribe(n->h, "*", keep_typed, &l), 0);
	struct lp2p_peer_id peer = n->id;

	struct lp2p_event_conn conn = {
	    .size = sizeof conn, .direction = LP2P_OUTBOUND, .conn_id = 7,
	    .peer = peer, .security = "/noise", .muxer = "/yamux/1.0.0",
	    .reason = LP2P_ETIMEDOUT, .duration_ms = 1234,
	    .remote_addr = n->addr, .local_addr = n->addr};
	struct lp2p_event_listen_addrs listen = {
	    .size = sizeof listen, .count = 2, .addr = n->addr};
	struct lp2p_event_protocols protocols = {
	    .size = sizeof protocols, .count = 3, .added = true,
	    .protocol = "/x/1.0.0"};
	struct lp2p_event_identify_peer identify = {
	    .size = sizeof identify, .push = true, .peer = peer};
	struct lp2p_event_observed_addr observed = {
	    .size = sizeof observed, .peer = peer, .addr = n->addr};
	struct lp2p_event_ping_rtt rtt = {
	    .size = sizeof rtt, .peer = peer, .rtt_us = 4321, .conn_id = 9};
	const struct {
		const char *type;
		const void *ev;
		size_t len;
	} all[] = {
	    {LP2P_EVENT_CONN_OPENED, &conn, sizeof conn},
	    {LP2P_EVENT_CONN_CLOSED, &conn, sizeof conn},
	    {LP2P_EVENT_HOST_LISTEN_ADDRS, &listen, sizeof listen},
	    {LP2P_EVENT_HOST_PROTOCOLS, &protocols, sizeof protocols},
	    {LP2P_EVENT_IDENTIFY_PEER, &identify, sizeof identify},
	    {LP2P_EVENT_IDENTIFY_OBSERVED_ADDR, &observed, sizeof observed},
	    {LP2P_EVENT_PING_RTT, &rtt, sizeof rtt},
	};
	size_t nall = sizeof all / sizeof *all;
	/* the type strings are the interface: they stay */
	assert_string_equal(LP2P_EVENT_PING_RTT, "ping.rtt");
	assert_string_equal(LP2P_EVENT_IDENTIFY_PEER, "identify.peer");
	assert_string_equal(LP2P_EVENT_IDENTIFY_OBSERVED_ADDR,
	                    "identify.observed_addr");
	assert_string_equal(LP2P_EVENT_HOST_LISTEN_ADDRS, "host.listen_addrs");
	assert_string_equal(LP2P_EVENT_HOST_PROTOCOLS, "host.protocols");
	assert_string_equal(LP2P_EVENT_CONN_OPENED, "conn.opened");
	assert_string_equal(LP2P_EVENT_CONN_CLOSED, "conn.closed");

	for (size_t i = 0; i < nall; i++) {
		/* not the struct: raw bytes, short, a size that lies */
		uint8_t raw[8] = {1, 2, 3, 4, 5, 6, 7, 8};
		assert_int_equal(lp2p_host_publish(n->h, all[i].type, raw,
		                                   sizeof raw),
		                 LP2P_EINVAL);
		assert_int_equal(lp2p_host_publish(n->h, all[i].type, NULL, 0),
		                 LP2P_EINVAL);
		assert_int_equal(lp2p_host_publish(n->h, all[i].type,
		                                   all[i].ev, all[i].len - 1),
		                 LP2P_EINVAL);
		uint8_t longer[2048] = {0};
		assert_true(all[i].len + 8 <= sizeof longer);
		memcpy(longer, all[i].ev, all[i].len);
		assert_int_equal(lp2p_host_publish(n->h, all[i].type, longer,
		                                   all[i].len + 8),
		                 LP2P_EINVAL);
		/* the struct (copied: changing it afterwards changes nothing) */
		assert_int_equal(lp2p_host_publish(n->h, all[i].type,
		                                   all[i].ev, all[i].len),
		                 0);
		/* a later version, longer, with its size: taken */
		uint32_t size = (uint32_t)all[i].len + 8;
		memcpy(longer, &size, sizeof size);
		assert_int_equal(lp2p_host_publish(n->h, all[i].type, longer,
		                                   all[i].len + 8),
		                 0);
	}
	rtt.rtt_us = 1; /* copied: the change is not seen */
	WAIT_FOR(w, l.n >= 2 * nall);
	world_run_for(w, 20);
	assert_int_equal(l.ev[12].u.rtt.rtt_us, 4321);
	rtt.rtt_us = 4321;
	assert_int_equal(l.n, 2 * nall);
	for (size_t i = 0; i < nall; i++) {
		assert_string_equal(l.ev[2 * i].type, all[i].type);
		assert_int_equal(l.ev[2 * i].len, all[i].len);
		assert_true(l.ev[2 * i].aligned);
		assert_memory_equal(l.ev[2 * i].u.raw, all[i].ev, all[i].len);
		assert_int_equal(l.ev[2 * i + 1].len, all[i].len + 8);
		assert_int_equal(l.ev[2 * i + 1].u.size, all[i].len + 8);
	}
	/* what a subscriber reads */
	const struct lp2p_event_ping_rtt *got = &l.ev[12].u.rtt;
	assert_int_equal(got->rtt_us, 4321);
	assert_int_equal(got->conn_id, 9);
	assert_true(lp2p_peer_id_equal(&got->peer, &n->id));
	assert_string_equal(l.ev[0].u.conn.muxer, "/yamux/1.0.0");
	assert_int_equal(l.ev[0].u.conn.reason, LP2P_ETIMEDOUT);
	assert_true(l.ev[8].u.identify.push);
	assert_true(lp2p_multiaddr_equal(&l.ev[10].u.observed.addr, &n->addr));
	/* types of one's own are not checked */
	assert_int_equal(lp2p_host_publish(n->h, "t.raw", "ab", 2), 0);
}

/* A struct that grew: v2 appends a field to v1. */
struct grow_v1 {
	uint32_t size;
	uint32_t a;
};
struct grow_v2 {
	uint32_t size;
	uint32_t a;
	uint64_t b; /* new in v2 */
};

static void read_grow(void *arg, const char *type, const void *data,
                      size_t len)
{
	(void)type;
	int64_t *b = arg;
	const struct grow_v2 *ev = data; /* built against v2 */
	assert_int_equal(ev->size, len);
	*b = LP2P_EVENT_HAS(ev, b) ? (int64_t)ev->b : -1;
	assert_true(LP2P_EVENT_HAS(ev, a));
}

/* A subscriber built against a newer struct reads only the fields that
 * came (LP2P_EVENT_HAS). */
static void event_struct_grows(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	int64_t b = 0;
	assert_int_equal(lp2p_host_subscribe(n->h, "t.grow", read_grow, &b),
	                 0);
	struct grow_v1 v1 = {.size = sizeof v1, .a = 1};
	assert_int_equal(lp2p_host_publish(n->h, "t.grow", &v1, sizeof v1), 0);
	WAIT_FOR(w, b != 0);
	assert_int_equal(b, -1);
	b = 0;
	struct grow_v2 v2 = {.size = sizeof v2, .a = 1, .b = 42};
	assert_int_equal(lp2p_host_publish(n->h, "t.grow", &v2, sizeof v2), 0);
	WAIT_FOR(w, b != 0);
	assert_int_equal(b, 42);
}

/* An event no one wants is dropped when published. */
static void unwanted_event_dropped(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	struct typed_log l = {0};
	assert_int_equal(lp2p_host_publish(n->h, "t.nobody", "x", 1), 0);
	assert_int_equal(lp2p_host_subscribe(n->h, "t.nobody", keep_typed, &l),
	                 0);
	world_run_for(w, 20);
	assert_int_equal(l.n, 0);
	assert_int_equal(lp2p_host_publish(n->h, "t.nobody", "y", 1), 0);
	WAIT_FOR(w, l.n == 1);
	assert_int_equal(l.ev[0].u.raw[0], 'y');
}

static const struct lp2p_event_conn *find_conn_event(struct typed_log *l,
                                                     const char *type)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->ev[i].type, type) == 0)
			return &l->ev[i].u.conn;
	return NULL;
}

/* "conn.opened" and "conn.closed" on both sides of a connection. */
static void conn_events(void **state)
{
	struct world *w = *state;
	struct node *a = world_node(w, NULL), *b = world_node(w, NULL);
	struct typed_log la = {0}, lb = {0};
	assert_int_equal(lp2p_host_subscribe(a->h, "conn.*", keep_typed, &la),
	                 0); /* not a pattern: nothing */
	assert_int_equal(lp2p_host_subscribe(a->h, LP2P_EVENT_CONN_OPENED,
	                                     keep_typed, &la),
	                 0);
	assert_int_equal(lp2p_host_subscribe(a->h, LP2P_EVENT_CONN_CLOSED,
	                                     keep_typed, &la),
	                 0);
	assert_int_equal(lp2p_host_subscribe(b->h, "*", keep_typed, &lb), 0);
	lp2p_conn *ab = connect_nodes(w, a, b);
	WAIT_FOR(w, la.n >= 1 && find_conn_event(&lb, "conn.opened"));
	const struct lp2p_event_conn *oa = find_conn_event(&la, "conn.opened");
	const struct lp2p_event_conn *ob = find_conn_event(&lb, "conn.opened");
	assert_non_null(oa);
	assert_int_equal(oa->size, sizeof *oa);
	assert_int_equal(oa->direction, LP2P_OUTBOUND);
	assert_int_equal(ob->direction, LP2P_INBOUND);
	assert_int_equal(oa->conn_id, lp2p_conn_id(ab));
	assert_true(lp2p_peer_id_equal(&oa->peer, &b->id));
	assert_true(lp2p_peer_id_equal(&ob->peer, &a->id));
	assert_string_equal(oa->security, lp2p_conn_security(ab));
	assert_string_equal(oa->muxer, lp2p_conn_muxer(ab));
	assert_string_equal(ob->muxer, oa->muxer);
	struct lp2p_multiaddr ma;
	assert_int_equal(lp2p_conn_remote_addr(ab, &ma), 0);
	assert_true(lp2p_multiaddr_equal(&oa->remote_addr, &ma));
	assert_int_equal(lp2p_conn_local_addr(ab, &ma), 0);
	assert_true(lp2p_multiaddr_equal(&oa->local_addr, &ma));
	assert_true(lp2p_multiaddr_equal(&ob->remote_addr, &oa->local_addr));
	assert_int_equal(oa->reason, 0);
	assert_int_equal(oa->duration_ms, 0);

	uint64_t id = oa->conn_id;
	lp2p_conn_close(ab);
	WAIT_FOR(w, find_conn_event(&la, "conn.closed") &&
	                find_conn_event(&lb, "conn.closed"));
	world_run_for(w, 20);
	const struct lp2p_event_conn *ca = find_conn_event(&la, "conn.closed");
	const struct lp2p_event_conn *cb = find_conn_event(&lb, "conn.closed");
	assert_int_equal(la.n, 2);
	assert_int_equal(ca->conn_id, id);
	assert_int_equal(ca->reason, 0); /* we closed it */
	assert_int_equal(cb->reason, LP2P_ECLOSED); /* the peer did */
	assert_int_equal(cb->direction, LP2P_INBOUND);
	assert_true(lp2p_peer_id_equal(&cb->peer, &a->id));
	assert_string_equal(ca->security, oa->security);
}

/* ---- posts from other threads ---- */

#define POSTS 200

struct post_state {
	lp2p_host *h;
	pthread_t loop_thread;
	int ran;
	int out_of_order;
	int wrong_thread;
	int failed_posts;
};

struct post_item {
	struct post_state *ps;
	int seq;
};

static struct post_item items[POSTS];

static void posted(void *arg)
{
	struct post_item *it = arg;
	struct post_state *ps = it->ps;
	if (!pthread_equal(pthread_self(), ps->loop_thread))
		ps->wrong_thread++;
	if (it->seq != ps->ran)
		ps->out_of_order++;
	ps->ran++;
}

static void *poster(void *arg)
{
	struct post_state *ps = arg;
	for (int i = 0; i < POSTS; i++) {
		items[i] = (struct post_item){ps, i};
		if (lp2p_host_post(ps->h, posted, &items[i]))
			ps->failed_posts++;
		if (i % 16 == 0)
			usleep(100);
	}
	return NULL;
}

static bool all_posted_ran(void *arg)
{
	struct post_state *ps = arg;
	return ps->ran == POSTS;
}

static void post_from_thread(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	struct post_state ps = {.h = n->h, .loop_thread = pthread_self()};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, poster, &ps), 0);
	bool done = pump(&n->h, 1, all_posted_ran, &ps, WAIT_MS);
	pthread_join(t, NULL);
	assert_true(done);
	assert_int_equal(ps.failed_posts, 0);
	assert_int_equal(ps.ran, POSTS);
	assert_int_equal(ps.out_of_order, 0);
	assert_int_equal(ps.wrong_thread, 0);
	assert_int_equal(lp2p_host_post(n->h, NULL, NULL), LP2P_EINVAL);
	assert_int_equal(lp2p_host_post(NULL, posted, NULL), LP2P_EINVAL);
}

/* A post made before the host is freed runs (on the freeing thread). */
static void post_runs_before_free(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	struct post_state ps = {.h = n->h, .loop_thread = pthread_self()};
	items[0] = (struct post_item){&ps, 0};
	assert_int_equal(lp2p_host_post(n->h, posted, &items[0]), 0);
	world_node_free(w, n);
	assert_int_equal(ps.ran, 1);
}

/* ---- timers ---- */

struct timer_state {
	lp2p_timer *t;
	int fired;
	bool free_in_cb;
	uint64_t first_ms;
};

static void on_timer(void *arg)
{
	struct timer_state *ts = arg;
	if (ts->fired++ == 0)
		ts->first_ms = mono_ms();
	if (ts->free_in_cb && ts->fired == 3) {
		lp2p_timer_free(ts->t);
		ts->t = NULL;
	}
}

static void timers(void **state)
{
	struct world *w = *state;
	struct node *n = world_node(w, NULL);
	struct timer_state once = {0}, rep = {.free_in_cb = true},
	                   stopped = {0};
	assert_int_equal(lp2p_timer_new(n->h, on_timer, &once, &once.t), 0);
	assert_int_equal(lp2p_timer_new(n->h, on_timer, &rep, &rep.t), 0);
	assert_int_equal(lp2p_timer_new(n->h, on_timer, &stopped, &stopped.t),
	                 0);
	uint64_t t0 = mono_ms();
	lp2p_timer_start(once.t, 60, 0);
	lp2p_timer_start(rep.t, 10, 10);
	lp2p_timer_start(stopped.t, 30, 0);
	lp2p_timer_stop(stopped.t);
	WAIT_FOR(w, once.fired == 1 && rep.fired == 3);
	world_run_for(w, 60);
	assert_int_equal(once.fired, 1);
	/* timers count from the loop's cached clock (a little behind) */
	assert_true(once.first_ms - t0 >= 30);
	assert_int_equal(rep.fired, 3); /* freed in its third call */
	assert_null(rep.t);
	assert_int_equal(stopped.fired, 0);
	lp2p_timer_free(once.t);
	lp2p_timer_free(stopped.t);
	lp2p_timer_free(NULL);
	assert_int_equal(lp2p_timer_new(n->h, NULL, NULL, &once.t),
	                 LP2P_EINVAL);
}

/* ---- stopping and freeing with everything open ---- */

/* A listening socket that never accepts: TCP connects, the upgrade
 * hangs. */
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
	char s[64];
	snprintf(s, sizeof s, "/ip4/127.0.0.1/tcp/%u", ntohs(sin.sin_port));
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), ma), 0);
	return fd;
}

struct busy {
	struct node *a, *b;
	struct service sv_a, sv_b;
	struct ep *out[4]; /* a's outbound: idle, paused peer, sending, half */
	struct ep *in;     /* b -> a */
	struct ep *negotiating;
	struct dial_res *hanging;
	int hole;
};

/*
 * a and b connected twice, streams in every state, a dial in flight.
 * held: bytes sent to b's paused stream (yamux: past the window, so the
 * writer stalls; mplex: less than b's held-data limit, or b would stop
 * reading the connection and not see a go away).
 */
static void make_busy(struct world *w, struct busy *bz, const char *muxers,
                      size_t held)
{
	bz->a = world_node(w, muxers);
	bz->b = world_node(w, muxers);
	service_init(&bz->sv_b, w, "/test/b");
	service_init(&bz->sv_a, w, "/test/a");
	bz->sv_b.tmpl.pause_on_open = true; /* data piles up held */
	service_add(&bz->sv_b, bz->b);
	service_add(&bz->sv_a, bz->a);
	lp2p_conn *ab = connect_nodes(w, bz->a, bz->b);
	struct dial_res *r2 = world_dial(w);
	assert_int_equal(dial_ma(bz->a, &bz->b->p2p, true, r2), 0);
	WAIT_FOR(w, r2->calls == 1);
	assert_int_equal(r2->status, 0);
	const char *pb[] = {"/test/b"}, *pa[] = {"/test/a"};
	for (int i = 0; i < 4; i++)
		bz->out[i] = ep_open(w, i < 2 ? ab : r2->conn, pb, 1);
	bz->out[2]->to_send = held;
	bz->out[3]->to_send = 10;
	bz->out[3]->close_after_send = true;
	lp2p_conn *ba = NULL;
	assert_int_equal(lp2p_host_conns_to_peer(bz->b->h, &bz->a->id, &ba, 1),
	                 1);
	bz->in = ep_open(w, ba, pa, 1);
	bz->in->to_send = 100;
	WAIT_FOR(w, bz->sv_b.accepted == 4 && bz->sv_a.accepted == 1 &&
	                    (bz->out[2]->n_short + bz->out[2]->n_eagain > 0 ||
	                     bz->out[2]->sent == held) &&
	                    bz->sv_a.eps[0]->rx == 100);
	/* a dial that will not finish */
	struct lp2p_multiaddr hole;
	bz->hole = black_hole(&hole);
	bz->hanging = world_dial(w);
	assert_int_equal(dial_ma(bz->a, &hole, false, bz->hanging), 0);
	world_run_for(w, 20);
	assert_int_equal(bz->hanging->calls, 0);
	/* opened, not yet negotiated */
	bz->negotiating = ep_open(w, ab, pb, 1);
}

/* negotiated: whether the last open may have finished before the stop */
static void check_all_closed(struct busy *bz, bool negotiated)
{
	for (int i = 0; i < 4; i++) {
		assert_int_equal(bz->out[i]->closes, 1);
		assert_int_equal(bz->out[i]->close_reason, LP2P_ECLOSED);
		ep_check(bz->out[i]);
	}
	assert_int_equal(bz->sv_a.eps[0]->closes, 1);
	assert_int_equal(bz->sv_a.eps[0]->close_reason, LP2P_ECLOSED);
	ep_check(bz->sv_a.eps[0]);
	/* the open still under way fails through its callback */
	assert_int_equal(bz->negotiating->opens, 1);
	if (negotiated && bz->negotiating->open_status == 0) {
		assert_int_equal(bz->negotiating->closes, 1);
		assert_int_equal(bz->negotiating->close_reason, LP2P_ECLOSED);
	} else {
		assert_true(bz->negotiating->open_status < 0);
		assert_int_equal(bz->negotiating->closes, 0);
	}
	ep_check(bz->negotiating);
	/* the dial in flight is answered */
	assert_int_equal(bz->hanging->calls, 1);
	assert_true(bz->hanging->status < 0);
}

static bool stopped_and_closed(void *arg)
{
	struct busy *bz = arg;
	return bz->negotiating->opens && bz->out[0]->closes &&
	       bz->out[1]->closes &&
	       bz->out[2]->closes && bz->out[3]->closes &&
	       bz->sv_a.eps[0]->closes && bz->hanging->calls;
}

static void stop_then_free(struct world *w, const char *muxers, size_t held)
{
	struct busy bz;
	make_busy(w, &bz, muxers, held);
	lp2p_host_stop(bz.a->h);
	/* the stop is taken from the loop */
	assert_int_equal(bz.out[0]->closes, 0);
	assert_true(pump(&bz.a->h, 1, stopped_and_closed, &bz, WAIT_MS));
	check_all_closed(&bz, false);
	assert_int_equal(lp2p_host_conns(bz.a->h, NULL, 0), 0);
	world_node_free(w, bz.a);
	/* b's side goes too: its streams end with LP2P_ECLOSED */
	WAIT_FOR(w, lp2p_host_conns(bz.b->h, NULL, 0) == 0);
	world_run_for(w, 20);
	for (int i = 0; i < bz.sv_b.accepted; i++) {
		assert_int_equal(bz.sv_b.eps[i]->closes, 1);
		assert_int_equal(bz.sv_b.eps[i]->close_reason, LP2P_ECLOSED);
		ep_check(bz.sv_b.eps[i]);
	}
	assert_int_equal(bz.in->closes, 1);
	assert_int_equal(bz.in->close_reason, LP2P_ECLOSED);
	close(bz.hole);
}

static void stop_then_free_yamux(void **state)
{
	stop_then_free(*state, "muxers: [yamux]\n", 1024 * 1024);
}

static void stop_then_free_mplex(void **state)
{
	stop_then_free(*state, "muxers: [mplex]\n", 512 * 1024);
}

/* lp2p_host_free on a host that is still running. */
static void free_while_running(void **state)
{
	struct world *w = *state;
	struct busy bz;
	make_busy(w, &bz, "muxers: [yamux]\n", 1024 * 1024);
	world_node_free(w, bz.a);
	assert_true(stopped_and_closed(&bz));
	check_all_closed(&bz, false);
	world_node_free(w, bz.b);
	for (int i = 0; i < bz.sv_b.accepted; i++) {
		assert_int_equal(bz.sv_b.eps[i]->closes, 1);
		ep_check(bz.sv_b.eps[i]);
	}
	close(bz.hole);
}

/* A bootstrap dial still under way when the host stops: its answer
 * (cancelled) came after the bootstrap state was freed (lp2pd crashed on
 * SIGTERM while dialling a peer that did not answer the upgrade). */
static void stop_with_bootstrap_dial(void **state)
{
	struct world *w = *state;
	struct node *b = world_node(w, NULL);
	struct lp2p_multiaddr hole;
	int fd = black_hole(&hole);
	char ma[LP2P_MULTIADDR_STR_MAX], id[LP2P_PEER_ID_STR_MAX];
	char yaml[LP2P_MULTIADDR_STR_MAX + LP2P_PEER_ID_STR_MAX + 32];
	lp2p_multiaddr_to_string(&hole, ma, sizeof ma);
	lp2p_peer_id_to_string(&b->id, id, sizeof id);
	snprintf(yaml, sizeof yaml, "bootstrap: [%s/p2p/%s]\n", ma, id);
	struct node *a = world_node(w, yaml);
	world_run_for(w, 50); /* connected to the hole, upgrading */
	assert_int_equal(lp2p_host_conns(a->h, NULL, 0), 0);
	lp2p_host_stop(a->h);
	world_run_for(w, 20);
	world_node_free(w, a);
	close(fd);
}

struct stopper {
	lp2p_host *h;
};

static void *stop_from_thread(void *arg)
{
	struct stopper *s = arg;
	usleep(20 * 1000);
	lp2p_host_stop(s->h);
	return NULL;
}

/* lp2p_host_stop from another thread while the host runs. */
static void stop_from_other_thread(void **state)
{
	struct world *w = *state;
	struct busy bz;
	make_busy(w, &bz, "muxers: [yamux]\n", 1024 * 1024);
	struct stopper st = {bz.a->h};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, stop_from_thread, &st), 0);
	bool done = pump(&bz.a->h, 1, stopped_and_closed, &bz, WAIT_MS);
	pthread_join(t, NULL);
	assert_true(done);
	check_all_closed(&bz, true);
	world_node_free(w, bz.a);
	close(bz.hole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)
		T(events_in_order),
		T(events_delivered_while_busy),
		T(events_queued_at_free),
		T(protocols_event),
		T(typed_events),
		T(event_struct_grows),
		T(unwanted_event_dropped),
		T(conn_events),
		T(post_from_thread),
		T(post_runs_before_free),
		T(timers),
		T(stop_then_free_yamux),
		T(stop_then_free_mplex),
		T(free_while_running),
		T(stop_from_other_thread),
		T(stop_with_bootstrap_dial),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
