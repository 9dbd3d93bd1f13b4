/*
 * test_memory_transport.c - the in-memory transport's pipes alone
 * (net/memory_transport.c), two loops stepped in turn: addresses, a
 * refused dial, order and chunks, backpressure and WRITABLE, the end of
 * input after a close with pending bytes, abort, a paused and a closed
 * listener, a transport freed under open and lingering pipes.  Every
 * callback must come from a loop, never inside the call that caused it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/memory_transport.h"

#define CAP LP2P_MEMORY_PIPE_CAP
#define STEPS 200 /* loop rounds before a wait fails */

static const struct lp2p_transport_ops *const mem = &lp2p_transport_memory;

/* One end as its owner sees it. */
struct side {
	struct lp2p_pipe *p;
	int readable, writable; /* events heard */
	bool in_call;           /* inside one of our calls on the pipe */
	bool event_inside;      /* an event came inside such a call */
};

struct fx {
	struct lp2p_loop la, lb; /* the dialer's, the listener's */
	void *ta, *tb;
	void *listener;
	struct lp2p_multiaddr bound;
	struct side a, b; /* dialling end, accepted end */
	int dials, dial_status;
	int accepts;
	bool pause_next; /* the accept callback asks for a pause */
	struct lp2p_multiaddr accepted_remote;
	bool in_call; /* inside listen/dial */
	bool cb_inside;
	int gone_calls;
	size_t gone_held;
	bool gone_inside;
};

static void on_event(void *arg, struct lp2p_pipe *p, int events)
{
	struct side *s = arg;
	assert_ptr_equal(p, s->p);
	if (s->in_call)
		s->event_inside = true;
	if (events & LP2P_PIPE_READABLE)
		s->readable++;
	if (events & LP2P_PIPE_WRITABLE)
		s->writable++;
}

static int on_accept(void *arg, struct lp2p_pipe *p,
                     const struct lp2p_multiaddr *remote)
{
	struct fx *f = arg;
	if (f->in_call)
		f->cb_inside = true;
	f->accepts++;
	f->accepted_remote = *remote;
	if (f->b.p) { /* a second one: refused */
		p->ops->abort(p);
	} else {
		f->b.p = p;
		p->on_event = on_event;
		p->arg = &f->b;
	}
	bool pause = f->pause_next;
	f->pause_next = false;
	return pause;
}

static void on_dialled(void *arg, int status, struct lp2p_pipe *p)
{
	struct fx *f = arg;
	if (f->in_call)
		f->cb_inside = true;
	f->dials++;
	f->dial_status = status;
	if (status) {
		assert_null(p);
		return;
	}
	assert_non_null(p);
	f->a.p = p;
	p->on_event = on_event;
	p->arg = &f->a;
}

static void on_gone(void *arg, size_t held)
{
	struct fx *f = arg;
	if (f->in_call || f->a.in_call || f->b.in_call)
		f->gone_inside = true;
	f->gone_calls++;
	f->gone_held = held;
}

static void step(struct fx *f)
{
	ev_run(f->la.ev, EVRUN_NOWAIT);
	ev_run(f->lb.ev, EVRUN_NOWAIT);
}

#define WAIT(f, cond)                                                      \
	do {                                                               \
		int n_ = 0;                                                \
		while (!(cond)) {                                          \
			if (++n_ > STEPS)                                  \
				fail_msg("%s:%d: never %s", __FILE__,      \
				         __LINE__, #cond);                 \
			step(f);                                           \
		}                                                          \
	} while (0)

static struct lp2p_multiaddr ma_of(const char *s)
{
	struct lp2p_multiaddr ma;
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), &ma), 0);
	return ma;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	assert_int_equal(lp2p_loop_init(&f->la), 0);
	assert_int_equal(lp2p_loop_init(&f->lb), 0);
	assert_int_equal(mem->new_transport(&f->la, &f->ta), 0);
	assert_int_equal(mem->new_transport(&f->lb, &f->tb), 0);
	struct lp2p_multiaddr any = ma_of("/memory/0");
	char err[128];
	assert_int_equal(mem->listen(f->tb, &any, on_accept, f, &f->listener,
	                             &f->bound, err, sizeof err),
	                 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->listener)
		mem->listener_close(f->listener);
	mem->free_transport(f->ta);
	mem->free_transport(f->tb);
	lp2p_loop_fini(&f->la);
	lp2p_loop_fini(&f->lb);
	free(f);
	return 0;
}

static void dial_to(struct fx *f, const struct lp2p_multiaddr *ma)
{
	void *d;
	int before = f->dials;
	f->in_call = true;
	assert_int_equal(mem->dial(f->ta, ma, 0, on_dialled, f, &d), 0);
	f->in_call = false;
	assert_int_equal(f->dials, before); /* never inside the call */
}

/* A connected pair, both ends watching for input. */
static void connect_pair(struct fx *f)
{
	int dials = f->dials, accepts = f->accepts;
	dial_to(f, &f->bound);
	WAIT(f, f->dials == dials + 1 && f->accepts == accepts + 1);
	assert_int_equal(f->dial_status, 0);
	assert_false(f->cb_inside);
	f->a.p->ops->watch(f->a.p, true, false);
	f->b.p->ops->watch(f->b.p, true, false);
}

static ssize_t do_write(struct side *s, const uint8_t *p, size_t n)
{
	s->in_call = true;
	ssize_t w = s->p->ops->write(s->p, p, n);
	s->in_call = false;
	return w;
}

static ssize_t do_read(struct side *s, uint8_t *p, size_t cap)
{
	s->in_call = true;
	ssize_t r = s->p->ops->read(s->p, p, cap);
	s->in_call = false;
	return r;
}

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 9));
}

static void fill(uint8_t *p, size_t from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pat(from + i);
}

/* ---- tests ---- */

static void test_addresses(void **state)
{
	struct fx *f = *state;
	uint64_t n;
	assert_int_equal(lp2p_memory_addr_number(&f->bound, &n), 0);
	assert_true(n != 0); /* /memory/0 picked a number */
	struct lp2p_multiaddr tcp = ma_of("/ip4/127.0.0.1/tcp/1");
	struct lp2p_multiaddr more = ma_of("/memory/5/tcp/1");
	assert_true(mem->handles(&f->bound));
	assert_false(mem->handles(&tcp));
	assert_false(mem->handles(&more));
	assert_null(lp2p_transport_for_addr(&f->bound)); /* not configurable */
	assert_null(lp2p_transport_by_name("memory"));

	/* the number is taken */
	void *l2;
	struct lp2p_multiaddr b2;
	char err[128];
	assert_int_equal(mem->listen(f->ta, &f->bound, on_accept, f, &l2, &b2,
	                             err, sizeof err),
	                 LP2P_EIO);

	connect_pair(f);
	assert_false(f->a.p->holds_fd);
	struct lp2p_multiaddr la, lb;
	f->a.p->ops->local_addr(f->a.p, &la);
	f->b.p->ops->local_addr(f->b.p, &lb);
	assert_true(lp2p_multiaddr_equal(&lb, &f->bound));
	assert_true(lp2p_multiaddr_equal(&la, &f->accepted_remote));
	assert_false(lp2p_multiaddr_equal(&la, &f->bound));
	assert_true(mem->handles(&la));
	assert_false(f->a.p->ops->remote_closed(f->a.p));
}

static void test_refused(void **state)
{
	struct fx *f = *state;
	struct lp2p_multiaddr nobody = ma_of("/memory/18446744073709551615");
	dial_to(f, &nobody);
	WAIT(f, f->dials == 1);
	assert_int_equal(f->dial_status, LP2P_ENOTCONN);
	assert_false(f->cb_inside);

	/* a cancelled dial never answers */
	void *d;
	assert_int_equal(mem->dial(f->ta, &f->bound, 0, on_dialled, f, &d), 0);
	mem->dial_cancel(d);
	for (int i = 0; i < 5; i++)
		step(f);
	assert_int_equal(f->dials, 1);
	assert_int_equal(f->accepts, 0);
}

/* 1 MiB in writes of odd sizes, read in chunks of at most 1000 bytes:
 * the same bytes in the same order, each read within its capacity. */
static void test_order_and_chunks(void **state)
{
	struct fx *f = *state;
	connect_pair(f);
	const size_t total = 1u << 20;
	uint8_t *src = malloc(total);
	assert_non_null(src);
	fill(src, 0, total);
	size_t sent = 0, got = 0, k = 0;
	static const size_t sizes[] = {1, 7, 4096, 65537, 3, 300000};
	f->a.p->ops->watch(f->a.p, true, true);
	int rounds = 0;
	while (got < total) {
		assert_true(++rounds < 100000);
		while (sent < total) {
			size_t n = sizes[k++ % 6];
			if (n > total - sent)
				n = total - sent;
			ssize_t w = do_write(&f->a, src + sent, n);
			assert_true(w >= 0 && (size_t)w <= n);
			sent += (size_t)w;
			if ((size_t)w < n)
				break; /* full */
		}
		uint8_t buf[1000];
		ssize_t r;
		while ((r = do_read(&f->b, buf, sizeof buf)) > 0) {
			assert_true(r <= 1000);
			assert_memory_equal(buf, src + got, (size_t)r);
			got += (size_t)r;
		}
		assert_int_equal(r, LP2P_EAGAIN);
		step(f);
	}
	assert_int_equal(sent, total);
	assert_false(f->a.event_inside || f->b.event_inside);
	free(src);
}

static void test_backpressure(void **state)
{
	struct fx *f = *state;
	connect_pair(f);
	size_t big = CAP + 50000;
	uint8_t *src = malloc(big);
	assert_non_null(src);
	fill(src, 0, big);
	/* the reader's buffer takes CAP bytes, then nothing */
	assert_int_equal(do_write(&f->a, src, big), CAP);
	assert_int_equal(do_write(&f->a, src + CAP, 10), 0);
	f->a.p->ops->watch(f->a.p, true, true);
	for (int i = 0; i < 5; i++)
		step(f);
	assert_int_equal(f->a.writable, 0); /* full: not writable */
	assert_true(f->b.readable > 0);

	/* the reader takes 1000: the writer hears WRITABLE from the loop */
	uint8_t buf[1000];
	assert_int_equal(do_read(&f->b, buf, sizeof buf), 1000);
	assert_memory_equal(buf, src, 1000);
	assert_int_equal(f->a.writable, 0);
	WAIT(f, f->a.writable > 0);
	assert_false(f->a.event_inside);
	assert_int_equal(do_write(&f->a, src + CAP, big - CAP), 1000);
	assert_int_equal(do_write(&f->a, src + CAP + 1000, 1), 0);

	/* level-triggered: unread input keeps being reported */
	f->a.p->ops->watch(f->a.p, true, false);
	int before = f->b.readable;
	for (int i = 0; i < 3; i++)
		step(f);
	assert_true(f->b.readable >= before + 3);
	/* and nothing is reported when not asked for */
	f->b.p->ops->watch(f->b.p, false, false);
	before = f->b.readable;
	for (int i = 0; i < 3; i++)
		step(f);
	assert_int_equal(f->b.readable, before);
	free(src);
}

/* Close with pending bytes behind a full buffer: the reader gets all of
 * them, in order, then the end of input; gone runs once, from the loop,
 * with the count close kept. */
static void test_close_delivers_pending(void **state)
{
	struct fx *f = *state;
	connect_pair(f);
	const size_t pend = 100000, total = CAP + pend;
	uint8_t *src = malloc(total);
	assert_non_null(src);
	fill(src, 0, total);
	assert_int_equal(do_write(&f->a, src, CAP), CAP);
	f->a.in_call = true;
	size_t kept = f->a.p->ops->close(f->a.p, src + CAP, pend, on_gone, f);
	f->a.in_call = false;
	f->a.p = NULL;
	assert_int_equal(kept, pend); /* nothing fitted */
	assert_true(f->b.p->ops->remote_closed(f->b.p));
	for (int i = 0; i < 3; i++)
		step(f);
	assert_int_equal(f->gone_calls, 0); /* still pending */

	uint8_t *got = malloc(total);
	assert_non_null(got);
	size_t n = 0;
	for (int rounds = 0;; rounds++) {
		assert_true(rounds < STEPS);
		ssize_t r;
		while ((r = do_read(&f->b, got + n, 4096)) > 0)
			n += (size_t)r;
		if (r == 0)
			break; /* the end, once everything was read */
		assert_int_equal(r, LP2P_EAGAIN);
		step(f);
	}
	assert_int_equal(n, total);
	assert_memory_equal(got, src, total);
	assert_int_equal(do_read(&f->b, got, 10), 0); /* stays at the end */
	WAIT(f, f->gone_calls == 1);
	assert_int_equal(f->gone_held, pend);
	assert_false(f->gone_inside);
	/* the reader can still write: dropped, as a lingering socket does */
	assert_int_equal(do_write(&f->b, src, 10), 10);
	for (int i = 0; i < 3; i++)
		step(f);
	assert_int_equal(f->gone_calls, 1);
	free(got);
	free(src);
}

/* Everything fits: close keeps nothing, gone still comes from the loop;
 * a READABLE event announces the end of input. */
static void test_close_fits(void **state)
{
	struct fx *f = *state;
	connect_pair(f);
	const uint8_t bye[] = "goodbye";
	f->a.in_call = true;
	size_t kept = f->a.p->ops->close(f->a.p, bye, sizeof bye, on_gone, f);
	f->a.in_call = false;
	f->a.p = NULL;
	assert_int_equal(kept, 0);
	assert_int_equal(f->gone_calls, 0);
	WAIT(f, f->gone_calls == 1 && f->b.readable > 0);
	assert_int_equal(f->gone_held, 0);
	assert_false(f->gone_inside);
	uint8_t buf[64];
	assert_int_equal(do_read(&f->b, buf, sizeof buf), sizeof bye);
	assert_memory_equal(buf, bye, sizeof bye);
	assert_int_equal(do_read(&f->b, buf, sizeof buf), 0);
	assert_false(f->b.event_inside);
}

/* Both close with bytes the other will never read: neither waits. */
static void test_both_close(void **state)
{
	struct fx *f = *state;
	connect_pair(f);
	uint8_t *src = calloc(1, CAP + 10);
	assert_non_null(src);
	assert_int_equal(do_write(&f->a, src, CAP), CAP);
	assert_int_equal(do_write(&f->b, src, CAP), CAP);
	assert_int_equal(f->a.p->ops->close(f->a.p, src, 10, on_gone, f), 10);
	f->a.p = NULL;
	f->b.p->ops->close(f->b.p, src, 10, on_gone, f);
	f->b.p = NULL;
	WAIT(f, f->gone_calls == 2);
	free(src);
}

static void test_abort(void **state)
{
	struct fx *f = *state;
	connect_pair(f);
	const uint8_t hello[] = "hello";
	assert_int_equal(do_write(&f->a, hello, 5), 5);
	f->a.p->ops->abort(f->a.p);
	f->a.p = NULL;
	assert_true(f->b.p->ops->remote_closed(f->b.p));
	int before = f->b.readable;
	WAIT(f, f->b.readable > before);
	uint8_t buf[16];
	assert_int_equal(do_read(&f->b, buf, sizeof buf), LP2P_EIO);
	assert_string_equal(f->b.p->why, "reset");
	assert_int_equal(do_write(&f->b, hello, 5), LP2P_EIO);
	assert_false(f->b.event_inside);
}

/* A paused listener keeps its accepts until resumed; a closed one
 * refuses what waits (the dialer reads a reset). */
static void test_listener_pause_and_close(void **state)
{
	struct fx *f = *state;
	f->pause_next = true;
	connect_pair(f); /* the accept asks for a pause */
	struct side first = f->a;
	dial_to(f, &f->bound);
	WAIT(f, f->dials == 2);
	assert_int_equal(f->dial_status, 0);
	for (int i = 0; i < 5; i++)
		step(f);
	assert_int_equal(f->accepts, 1); /* paused by the callback */
	mem->listener_pause(f->listener, false);
	WAIT(f, f->accepts == 2); /* refused by on_accept */
	struct side second = f->a;
	second.p->ops->watch(second.p, true, false);
	uint8_t buf[8];
	WAIT(f, second.p->ops->read(second.p, buf, sizeof buf) == LP2P_EIO);
	second.p->ops->abort(second.p);

	mem->listener_pause(f->listener, true);
	dial_to(f, &f->bound);
	WAIT(f, f->dials == 3);
	struct lp2p_pipe *third = f->a.p;
	third->ops->watch(third, true, false);
	mem->listener_close(f->listener);
	f->listener = NULL;
	WAIT(f, third->ops->read(third, buf, sizeof buf) == LP2P_EIO);
	third->ops->abort(third);
	assert_int_equal(f->accepts, 2);
	/* the number is free again */
	dial_to(f, &f->bound);
	WAIT(f, f->dials == 4);
	assert_int_equal(f->dial_status, LP2P_ENOTCONN);
	f->a = first;
}

/* Freeing a transport: its lingering end is told gone (inside the free,
 * as TCP's close_all), the peers of its open and lingering ends read a
 * reset. */
static void test_free_transport(void **state)
{
	struct fx *f = *state;
	connect_pair(f);
	struct lp2p_pipe *a1 = f->a.p; /* its peer stays open */
	a1->arg = NULL;
	a1->on_event = NULL;
	a1->ops->watch(a1, false, false);
	f->b.p = NULL; /* the next accept is the second pipe's */
	dial_to(f, &f->bound);
	WAIT(f, f->dials == 2 && f->accepts == 2);
	struct lp2p_pipe *a2 = f->a.p, *b2 = f->b.p;
	uint8_t *src = calloc(1, CAP);
	assert_non_null(src);
	/* a2's input is full: b2's close keeps its bytes */
	assert_int_equal(b2->ops->write(b2, src, CAP), CAP);
	assert_int_equal(b2->ops->close(b2, src, 99, on_gone, f), 99);
	f->b.p = NULL;
	mem->listener_close(f->listener);
	f->listener = NULL;
	mem->free_transport(f->tb);
	f->tb = NULL;
	assert_int_equal(f->gone_calls, 1);
	assert_int_equal(f->gone_held, 99);
	uint8_t buf[64];
	assert_int_equal(a1->ops->read(a1, buf, sizeof buf), LP2P_EIO);
	assert_int_equal(a2->ops->read(a2, buf, sizeof buf), LP2P_EIO);
	assert_true(a2->ops->remote_closed(a2));
	a1->ops->abort(a1);
	a2->ops->abort(a2);
	f->a.p = NULL;
	for (int i = 0; i < 3; i++)
		ev_run(f->la.ev, EVRUN_NOWAIT);
	free(src);
	/* teardown frees tb: a fresh one */
	assert_int_equal(mem->new_transport(&f->lb, &f->tb), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_addresses),
		T(test_refused),
		T(test_order_and_chunks),
		T(test_backpressure),
		T(test_close_delivers_pending),
		T(test_close_fits),
		T(test_both_close),
		T(test_abort),
		T(test_listener_pause_and_close),
		T(test_free_transport),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
