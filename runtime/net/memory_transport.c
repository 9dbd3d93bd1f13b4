/*
 * memory_transport.c - pipes inside the process, for tests (see
 * net/memory_transport.h for the behaviour).
 *
 * Every pipe end, dial and listener belongs to one transport instance
 * (one host, one loop).  Work for an instance (an end with events or its
 * "gone" to deliver, a dial to answer, a listener with accepts waiting)
 * is queued on it and run by its ev_check watcher.  Each run handles only
 * what was queued before it began (rounds), so what a callback causes
 * waits for the next iteration.  Queues are re-read from their head
 * after every callback: a callback may free anything except the item at
 * the head of the listener queue, which stays queued until it returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <lp2p/common.h>

#include "core/buf.h"
#include "net/memory_transport.h"

struct mem_listener;

enum end_state {
	END_OPEN,    /* its owner's (or waiting in a listener's backlog) */
	END_CLOSING, /* closed: pending bytes still on their way */
	END_DONE,    /* closed for good: gone still to be told */
};

struct mem_transport {
	struct lp2p_loop *loop;
	ev_check run;  /* the queued work, after every poll */
	ev_idle awake; /* while work waits: the poll does not block */
	uint64_t round;
	TAILQ_HEAD(, mem_end) ready;
	TAILQ_HEAD(, mem_dial) dials;
	TAILQ_HEAD(, mem_listener) backlog; /* listeners with accepts */
	LIST_HEAD(, mem_end) ends;
	LIST_HEAD(, mem_listener) listeners;
};

struct mem_end {
	struct lp2p_pipe base; /* first: the pipe is the end */
	struct mem_transport *t;
	struct mem_end *peer; /* NULL once the other end is gone */
	enum end_state state;
	bool owned;         /* handed to its owner (dial result, accept) */
	bool want_read, want_write;
	bool eof;           /* the peer ended its side (after its bytes) */
	bool reset;         /* the peer aborted */
	bool peer_closed;   /* the peer's owner closed or aborted it */
	bool queued;
	uint64_t queued_round;
	uint64_t num, remote_num; /* /memory/<num> of both ends */
	struct lp2p_buf in;       /* the peer's bytes, not read yet */
	/* closing: bytes the peer's buffer did not take yet */
	uint8_t *out;
	size_t out_len, out_off, kept;
	lp2p_pipe_gone_fn gone;
	void *gone_arg;
	struct mem_listener *backlog_of; /* not accepted yet */
	TAILQ_ENTRY(mem_end) qlink;      /* t->ready */
	TAILQ_ENTRY(mem_end) alink;      /* the listener's accepts */
	LIST_ENTRY(mem_end) tlink;       /* t->ends */
};

struct mem_listener {
	struct mem_transport *t;
	uint64_t num;
	lp2p_pipe_accept_fn cb;
	void *arg;
	bool paused, closed, queued;
	uint64_t queued_round;
	TAILQ_HEAD(, mem_end) accepts;
	TAILQ_ENTRY(mem_listener) qlink; /* t->backlog */
	LIST_ENTRY(mem_listener) tlink;  /* t->listeners */
	LIST_ENTRY(mem_listener) rlink;  /* the registry */
};

struct mem_dial {
	struct mem_transport *t;
	uint64_t num;
	uint64_t round;
	lp2p_dial_done_fn cb;
	void *arg;
	TAILQ_ENTRY(mem_dial) qlink;
};

/* Every listener of the process, by number.  No lock: one thread (see
 * the header). */
static LIST_HEAD(, mem_listener) registry = LIST_HEAD_INITIALIZER(registry);
static uint64_t next_number = 1;

static struct mem_listener *find_listener(uint64_t num)
{
	struct mem_listener *l;
	LIST_FOREACH(l, &registry, rlink)
		if (l->num == num)
			return l;
	return NULL;
}

/* A number no listener has (dialling ends take one too). */
static uint64_t fresh_number(void)
{
	for (;;) {
		uint64_t n = next_number++;
		if (n && !find_listener(n))
			return n;
	}
}

int lp2p_memory_addr_number(const struct lp2p_multiaddr *ma, uint64_t *n)
{
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component c;
	lp2p_multiaddr_iter_init(&it, ma->bytes, ma->len);
	if (lp2p_multiaddr_iter_next(&it, &c) != 1 ||
	    c.code != LP2P_MA_MEMORY || c.value_len != 8)
		return LP2P_ENOTSUP;
	uint64_t v = 0;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | c.value[i];
	struct lp2p_multiaddr_component more;
	if (lp2p_multiaddr_iter_next(&it, &more) != 0)
		return LP2P_ENOTSUP; /* /memory/1/... is not ours */
	*n = v;
	return 0;
}

static void memory_addr(uint64_t num, struct lp2p_multiaddr *out)
{
	uint8_t v[8];
	for (size_t i = 0; i < 8; i++)
		v[i] = (uint8_t)(num >> (56 - 8 * i));
	*out = (struct lp2p_multiaddr){0};
	(void)lp2p_multiaddr_push(out, LP2P_MA_MEMORY, v, sizeof v);
}

/* ---- queueing work on a transport ---- */

static void wake(struct mem_transport *t)
{
	if (!ev_is_active(&t->awake))
		ev_idle_start(t->loop->ev, &t->awake);
}

static void queue_end(struct mem_end *e)
{
	if (e->queued)
		return;
	e->queued = true;
	e->queued_round = e->t->round;
	TAILQ_INSERT_TAIL(&e->t->ready, e, qlink);
	wake(e->t);
}

static void unqueue_end(struct mem_end *e)
{
	if (!e->queued)
		return;
	TAILQ_REMOVE(&e->t->ready, e, qlink);
	e->queued = false;
}

static void queue_listener(struct mem_listener *l)
{
	if (l->queued)
		return;
	l->queued = true;
	l->queued_round = l->t->round;
	TAILQ_INSERT_TAIL(&l->t->backlog, l, qlink);
	wake(l->t);
}

/* ---- pipe ends ---- */

static struct mem_end *end_new(struct mem_transport *t, uint64_t num,
                               uint64_t remote_num);
static const struct lp2p_pipe_ops mem_pipe_ops;

static size_t room(const struct mem_end *e)
{
	return LP2P_MEMORY_PIPE_CAP - lp2p_buf_avail(&e->in);
}

/* Put what fits of p[0..n) into e's input; returns the count taken. */
static size_t deliver(struct mem_end *e, const uint8_t *p, size_t n)
{
	if (n > room(e))
		n = room(e);
	if (n == 0 || lp2p_buf_append(&e->in, p, n))
		return 0; /* out of memory: as a full buffer */
	queue_end(e);
	return n;
}

/* e's pending bytes have all gone (or cannot go any more): the peer sees
 * the end of input, e is told gone from the loop. */
static void finish_close(struct mem_end *e)
{
	struct mem_end *q = e->peer;
	if (q) {
		q->eof = true;
		q->peer = NULL;
		queue_end(q);
		e->peer = NULL;
	}
	free(e->out);
	e->out = NULL;
	e->state = END_DONE;
	queue_end(e);
}

/* A closing end's next bytes, as its peer made room. */
static void push_out(struct mem_end *e)
{
	e->out_off += deliver(e->peer, e->out + e->out_off,
	                      e->out_len - e->out_off);
	if (e->out_off == e->out_len)
		finish_close(e);
}

static void end_free(struct mem_end *e)
{
	unqueue_end(e);
	if (e->backlog_of)
		TAILQ_REMOVE(&e->backlog_of->accepts, e, alink);
	LIST_REMOVE(e, tlink);
	lp2p_buf_release(&e->in);
	free(e->out);
	free(e);
}

/* e goes away: the other end reads an error and cannot write (a
 * closing one stops waiting). */
static void reset_peer(struct mem_end *e)
{
	struct mem_end *q = e->peer;
	if (!q)
		return;
	e->peer = NULL;
	q->peer = NULL;
	q->peer_closed = true;
	if (q->state == END_OPEN) {
		q->reset = true;
		lp2p_buf_release(&q->in);
		queue_end(q);
	} else if (q->state == END_CLOSING) {
		finish_close(q); /* its last bytes have nowhere to go */
	}
}

static void end_abort(struct mem_end *e)
{
	reset_peer(e);
	end_free(e);
}

static ssize_t pipe_read(struct lp2p_pipe *p, uint8_t *buf, size_t cap)
{
	struct mem_end *e = (struct mem_end *)p;
	size_t n = lp2p_buf_avail(&e->in);
	if (n) {
		if (n > cap)
			n = cap;
		memcpy(buf, lp2p_buf_data(&e->in), n);
		lp2p_buf_consume(&e->in, n);
		struct mem_end *q = e->peer;
		if (q && q->state == END_CLOSING)
			push_out(q);
		else if (q)
			queue_end(q); /* it may write again */
		return (ssize_t)n;
	}
	if (e->reset) {
		p->why = "reset";
		return LP2P_EIO;
	}
	return e->eof ? 0 : LP2P_EAGAIN;
}

static ssize_t pipe_write(struct lp2p_pipe *p, const uint8_t *buf, size_t len)
{
	struct mem_end *e = (struct mem_end *)p;
	if (e->reset) {
		p->why = "reset";
		return LP2P_EIO;
	}
	struct mem_end *q = e->peer;
	if (!q || q->state != END_OPEN)
		return (ssize_t)len; /* closed: drained and dropped */
	return (ssize_t)deliver(q, buf, len);
}

static bool readable(const struct mem_end *e)
{
	return lp2p_buf_avail(&e->in) || e->eof || e->reset;
}

static bool writable(const struct mem_end *e)
{
	return !e->peer || e->peer->state != END_OPEN || room(e->peer) > 0;
}

static void pipe_watch(struct lp2p_pipe *p, bool read, bool write)
{
	struct mem_end *e = (struct mem_end *)p;
	e->want_read = read;
	e->want_write = write;
	if (read || write)
		queue_end(e);
}

static bool pipe_remote_closed(struct lp2p_pipe *p)
{
	const struct mem_end *e = (const struct mem_end *)p;
	return e->peer_closed;
}

static void pipe_local_addr(struct lp2p_pipe *p, struct lp2p_multiaddr *out)
{
	memory_addr(((struct mem_end *)p)->num, out);
}

static size_t pipe_close(struct lp2p_pipe *p, const uint8_t *pending,
                         size_t len, lp2p_pipe_gone_fn gone, void *gone_arg)
{
	struct mem_end *e = (struct mem_end *)p;
	e->state = END_CLOSING;
	e->want_read = e->want_write = false;
	e->gone = gone;
	e->gone_arg = gone_arg;
	lp2p_buf_release(&e->in); /* what comes in is dropped from now */
	struct mem_end *q = e->peer;
	if (q) {
		q->peer_closed = true;
		if (q->state == END_CLOSING) /* its bytes have no reader */
			finish_close(q);
	}
	q = e->peer;
	size_t sent = q ? deliver(q, pending, len) : len;
	if (sent < len && (e->out = malloc(len - sent)) != NULL) {
		memcpy(e->out, pending + sent, len - sent);
		e->out_len = e->kept = len - sent;
		return e->kept;
	}
	/* all of it went (or, out of memory, the rest is dropped) */
	finish_close(e);
	return 0;
}

static void pipe_abort(struct lp2p_pipe *p)
{
	end_abort((struct mem_end *)p);
}

static const struct lp2p_pipe_ops mem_pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.watch = pipe_watch,
	.remote_closed = pipe_remote_closed,
	.local_addr = pipe_local_addr,
	.close = pipe_close,
	.abort = pipe_abort,
};

static struct mem_end *end_new(struct mem_transport *t, uint64_t num,
                               uint64_t remote_num)
{
	struct mem_end *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->base.ops = &mem_pipe_ops;
	e->base.holds_fd = false;
	e->t = t;
	e->num = num;
	e->remote_num = remote_num;
	LIST_INSERT_HEAD(&t->ends, e, tlink);
	return e;
}

/* ---- the loop's work ---- */

static void run_dial(struct mem_dial *d)
{
	struct mem_transport *t = d->t;
	lp2p_dial_done_fn cb = d->cb;
	void *arg = d->arg;
	struct mem_listener *l = find_listener(d->num);
	uint64_t num = d->num;
	free(d);
	if (!l) {
		cb(arg, LP2P_ENOTCONN, NULL); /* as a refused TCP connect */
		return;
	}
	struct mem_end *a = end_new(t, fresh_number(), num);
	struct mem_end *b = a ? end_new(l->t, num, a->num) : NULL;
	if (!b) {
		if (a)
			end_free(a);
		cb(arg, LP2P_ENOMEM, NULL);
		return;
	}
	a->peer = b;
	b->peer = a;
	a->owned = true;
	b->backlog_of = l;
	TAILQ_INSERT_TAIL(&l->accepts, b, alink);
	if (!l->paused)
		queue_listener(l);
	cb(arg, 0, &a->base);
}

static void listener_free(struct mem_listener *l);

/* The head of t->backlog: one accept, or off the queue. */
static void run_listener(struct mem_listener *l)
{
	struct mem_end *e = TAILQ_FIRST(&l->accepts);
	if (l->closed) {
		TAILQ_REMOVE(&l->t->backlog, l, qlink);
		listener_free(l);
		return;
	}
	if (l->paused || !e) {
		TAILQ_REMOVE(&l->t->backlog, l, qlink);
		l->queued = false;
		return;
	}
	TAILQ_REMOVE(&l->accepts, e, alink);
	e->backlog_of = NULL;
	e->owned = true;
	queue_end(e); /* bytes may be waiting already */
	struct lp2p_multiaddr remote;
	memory_addr(e->remote_num, &remote);
	/* l stays queued (and allocated) during the call */
	if (l->cb(l->arg, &e->base, &remote))
		l->paused = true;
}

static void run_end(struct mem_end *e)
{
	unqueue_end(e);
	if (e->state == END_DONE) {
		lp2p_pipe_gone_fn gone = e->gone;
		void *arg = e->gone_arg;
		size_t kept = e->kept;
		end_free(e);
		if (gone)
			gone(arg, kept);
		return;
	}
	if (e->state != END_OPEN || !e->owned || !e->base.on_event)
		return;
	int events = (e->want_read && readable(e) ? LP2P_PIPE_READABLE : 0) |
	             (e->want_write && writable(e) ? LP2P_PIPE_WRITABLE : 0);
	if (!events)
		return;
	queue_end(e); /* level-triggered: looked at again next round */
	e->base.on_event(e->base.arg, &e->base, events);
}

static void on_run(struct ev_loop *ev, ev_check *w, int revents)
{
	(void)ev;
	(void)revents;
	struct mem_transport *t = w->data;
	uint64_t round = ++t->round;
	struct mem_dial *d;
	while ((d = TAILQ_FIRST(&t->dials)) && d->round < round) {
		TAILQ_REMOVE(&t->dials, d, qlink);
		run_dial(d);
	}
	struct mem_listener *l;
	while ((l = TAILQ_FIRST(&t->backlog)) && l->queued_round < round)
		run_listener(l);
	struct mem_end *e;
	while ((e = TAILQ_FIRST(&t->ready)) && e->queued_round < round)
		run_end(e);
	if (TAILQ_EMPTY(&t->dials) && TAILQ_EMPTY(&t->backlog) &&
	    TAILQ_EMPTY(&t->ready))
		ev_idle_stop(t->loop->ev, &t->awake);
}

static void on_awake(struct ev_loop *ev, ev_idle *w, int revents)
{
	(void)ev;
	(void)w;
	(void)revents; /* the work is on_run's, after every poll */
}

/* ---- the transport ---- */

static bool handles(const struct lp2p_multiaddr *ma)
{
	uint64_t n;
	return lp2p_memory_addr_number(ma, &n) == 0;
}

static int transport_new(struct lp2p_loop *loop, void **ctx)
{
	struct mem_transport *t = calloc(1, sizeof *t);
	if (!t)
		return LP2P_ENOMEM;
	t->loop = loop;
	TAILQ_INIT(&t->ready);
	TAILQ_INIT(&t->dials);
	TAILQ_INIT(&t->backlog);
	LIST_INIT(&t->ends);
	LIST_INIT(&t->listeners);
	ev_check_init(&t->run, on_run);
	t->run.data = t;
	ev_idle_init(&t->awake, on_awake);
	ev_check_start(loop->ev, &t->run);
	ev_unref(loop->ev); /* the check alone does not keep the loop */
	*ctx = t;
	return 0;
}

static void listener_free(struct mem_listener *l)
{
	free(l);
}

/* Out of the registry; its backlog is refused (the dialers see a reset).
 * Freed now, or by the run when it is queued. */
static void listener_close(void *listener)
{
	struct mem_listener *l = listener;
	LIST_REMOVE(l, rlink);
	LIST_REMOVE(l, tlink);
	struct mem_end *e;
	while ((e = TAILQ_FIRST(&l->accepts)))
		end_abort(e);
	if (l->queued)
		l->closed = true;
	else
		listener_free(l);
}

static void transport_free(void *ctx)
{
	struct mem_transport *t = ctx;
	if (!t)
		return;
	ev_ref(t->loop->ev);
	ev_check_stop(t->loop->ev, &t->run);
	ev_idle_stop(t->loop->ev, &t->awake);
	struct mem_dial *d;
	while ((d = TAILQ_FIRST(&t->dials))) {
		TAILQ_REMOVE(&t->dials, d, qlink);
		free(d);
	}
	struct mem_listener *l;
	while ((l = LIST_FIRST(&t->listeners)))
		listener_close(l);
	while ((l = TAILQ_FIRST(&t->backlog))) { /* closed, still queued */
		TAILQ_REMOVE(&t->backlog, l, qlink);
		listener_free(l);
	}
	/* Lingering ends are gone now (told inside the call, as TCP's);
	 * the peers of open and lingering ones read a reset. */
	struct mem_end *e;
	while ((e = LIST_FIRST(&t->ends))) {
		if (e->state == END_OPEN) {
			end_abort(e);
			continue;
		}
		reset_peer(e); /* closing: its last bytes are lost */
		lp2p_pipe_gone_fn gone = e->gone;
		void *arg = e->gone_arg;
		size_t kept = e->kept;
		end_free(e);
		if (gone)
			gone(arg, kept);
	}
	free(t);
}

static int listen_on(void *ctx, const struct lp2p_multiaddr *ma,
                     lp2p_pipe_accept_fn cb, void *arg, void **out,
                     struct lp2p_multiaddr *bound, char *err, size_t errlen)
{
	struct mem_transport *t = ctx;
	uint64_t num;
	if (lp2p_memory_addr_number(ma, &num)) {
		snprintf(err, errlen, "not a /memory address");
		return LP2P_ENOTSUP;
	}
	if (num == 0)
		num = fresh_number();
	else if (find_listener(num)) {
		snprintf(err, errlen, "address already in use");
		return LP2P_EIO; /* as a TCP bind */
	}
	struct mem_listener *l = calloc(1, sizeof *l);
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	l->t = t;
	l->num = num;
	l->cb = cb;
	l->arg = arg;
	TAILQ_INIT(&l->accepts);
	LIST_INSERT_HEAD(&registry, l, rlink);
	LIST_INSERT_HEAD(&t->listeners, l, tlink);
	memory_addr(num, bound);
	*out = l;
	return 0;
}

static void listener_pause(void *listener, bool pause)
{
	struct mem_listener *l = listener;
	l->paused = pause;
	if (!pause && !TAILQ_EMPTY(&l->accepts))
		queue_listener(l);
}

static int dial(void *ctx, const struct lp2p_multiaddr *ma,
                uint64_t timeout_ms, lp2p_dial_done_fn cb, void *arg,
                void **out)
{
	(void)timeout_ms; /* answered on the next iteration */
	struct mem_transport *t = ctx;
	uint64_t num;
	if (lp2p_memory_addr_number(ma, &num))
		return LP2P_ENOTSUP;
	struct mem_dial *d = calloc(1, sizeof *d);
	if (!d)
		return LP2P_ENOMEM;
	*d = (struct mem_dial){
		.t = t, .num = num, .round = t->round, .cb = cb, .arg = arg};
	TAILQ_INSERT_TAIL(&t->dials, d, qlink);
	wake(t);
	*out = d;
	return 0;
}

static void dial_cancel(void *dial)
{
	struct mem_dial *d = dial;
	TAILQ_REMOVE(&d->t->dials, d, qlink);
	free(d);
}

const struct lp2p_transport_ops lp2p_transport_memory = {
	.name = "memory",
	.handles = handles,
	.new_transport = transport_new,
	.free_transport = transport_free,
	.listen = listen_on,
	.listener_pause = listener_pause,
	.listener_close = listener_close,
	.dial = dial,
	.dial_cancel = dial_cancel,
};
