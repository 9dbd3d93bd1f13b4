/*
 * mux.c - the muxer session common to yamux and mplex: configuration,
 * output buffer, stream table, stream lifecycle and the API dispatch.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mux/mux_impl.h"

#define OUT_INITIAL_ALLOC 4096
#define TABLE_INITIAL_BUCKETS 16

#define stream_of(link, member)                                                \
	((struct mux_stream *)((char *)(link)-offsetof(struct mux_stream,      \
	                                               member)))

/* Intrusive lists: heads are circular, unlinked nodes have next == NULL. */
static void list_init(struct mux_link *head)
{
	head->prev = head->next = head;
}

static bool list_empty(const struct mux_link *head)
{
	return head->next == head;
}

static bool linked(const struct mux_link *l)
{
	return l->next != NULL;
}

static void list_add_tail(struct mux_link *head, struct mux_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static void list_del(struct mux_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = NULL;
}

void lp2p_mux_config_default(struct lp2p_mux_config *cfg)
{
	cfg->max_inbound_streams = 1000;
	cfg->max_outbound_streams = 1000;
	cfg->max_ack_backlog = 256;
	cfg->window = YAMUX_INITIAL_WINDOW;
	cfg->max_frame = 64 * 1024;
	cfg->out_hiwat = 256 * 1024;
	cfg->out_reserve = 16 * 1024;
	cfg->max_unconsumed = 4u * 1024 * 1024;
}

static int config_fill(struct lp2p_mux_config *cfg,
                       const struct lp2p_mux_config *in)
{
	struct lp2p_mux_config def;
	lp2p_mux_config_default(&def);
	*cfg = in ? *in : def;
#define FILL(f)                                                                \
	do {                                                                   \
		if (cfg->f == 0)                                               \
			cfg->f = def.f;                                        \
	} while (0)
	FILL(max_inbound_streams);
	FILL(max_outbound_streams);
	FILL(max_ack_backlog);
	FILL(window);
	FILL(max_frame);
	FILL(out_hiwat);
	FILL(out_reserve);
	FILL(max_unconsumed);
#undef FILL
	if (cfg->window < YAMUX_INITIAL_WINDOW ||
	    cfg->window > YAMUX_MAX_WINDOW)
		return LP2P_EINVAL;
	if (cfg->max_frame > MPLEX_MAX_MESSAGE)
		return LP2P_EINVAL;
	/* A NewStream with a full name and the receive reserve must fit. */
	if (cfg->out_reserve < 1024 || cfg->out_hiwat < 1024)
		return LP2P_EINVAL;
	return 0;
}

int lp2p_mux_new(struct lp2p_mux **out, enum lp2p_mux_kind kind,
                 enum lp2p_mux_role role, const struct lp2p_mux_config *cfg,
                 const struct lp2p_mux_callbacks *cbs, void *user_data)
{
	if (!out || !cbs)
		return LP2P_EINVAL;
	if (kind != LP2P_MUX_YAMUX && kind != LP2P_MUX_MPLEX)
		return LP2P_EINVAL;
	if (role != LP2P_MUX_INITIATOR && role != LP2P_MUX_RESPONDER)
		return LP2P_EINVAL;
	struct lp2p_mux *m = calloc(1, sizeof(*m));
	if (!m)
		return LP2P_ENOMEM;
	int rc = config_fill(&m->cfg, cfg);
	if (rc < 0) {
		free(m);
		return rc;
	}
	m->kind = kind;
	m->role = role;
	m->cb = cbs;
	m->user_data = user_data;
	list_init(&m->pending);
	list_init(&m->blocked);
	if (kind == LP2P_MUX_YAMUX) {
		m->ops = &lp2p_yamux_ops;
		m->next_id = role == LP2P_MUX_INITIATOR ? 1 : 2;
	} else {
		m->ops = &lp2p_mplex_ops;
	}
	*out = m;
	return 0;
}

void lp2p_mux_free(struct lp2p_mux *m)
{
	if (!m)
		return;
	/* Streams only waiting for a RST are no longer in the table. */
	while (!list_empty(&m->pending)) {
		struct mux_stream *s = stream_of(m->pending.next, pending);
		list_del(&s->pending);
		if (!s->in_table)
			free(s);
	}
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct mux_stream *s = m->buckets[i];
		while (s) {
			struct mux_stream *next = s->hnext;
			free(s);
			s = next;
		}
	}
	free(m->buckets);
	if (m->kind == LP2P_MUX_MPLEX)
		free(m->rx.p.name); /* a NewStream cut off mid-frame */
	free(m->out);
	free(m);
}

/* ---- output buffer ---- */

uint8_t *mux_out_append(struct lp2p_mux *m, size_t n, bool data)
{
	size_t room = data ? mux_data_room(m) : mux_ctl_room(m);
	if (n > room)
		return NULL;
	if (m->out_len + n > m->out_alloc && m->out_head > 0) {
		memmove(m->out, m->out + m->out_head, mux_out_used(m));
		m->out_len -= m->out_head;
		m->out_head = 0;
	}
	if (m->out_len + n > m->out_alloc) {
		size_t cap = (size_t)m->cfg.out_hiwat + m->cfg.out_reserve;
		size_t want =
		    m->out_alloc ? m->out_alloc * 2 : OUT_INITIAL_ALLOC;
		if (want < m->out_len + n)
			want = m->out_len + n;
		if (want > cap)
			want = cap;
		uint8_t *p = realloc(m->out, want);
		if (!p)
			return NULL;
		m->out = p;
		m->out_alloc = want;
	}
	uint8_t *p = m->out + m->out_len;
	m->out_len += n;
	return p;
}

void lp2p_mux_trim(struct lp2p_mux *m)
{
	if (mux_out_used(m) != 0 || !m->out)
		return;
	free(m->out);
	m->out = NULL;
	m->out_alloc = 0;
	m->out_head = m->out_len = 0;
}

size_t lp2p_mux_out_peek(struct lp2p_mux *m, uint8_t **buf)
{
	*buf = m->out ? m->out + m->out_head : NULL;
	return mux_out_used(m);
}

/* ---- stream table ---- */

static size_t bucket_of(const struct lp2p_mux *m, uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (m->nbuckets - 1);
}

struct mux_stream *mux_stream_find(const struct lp2p_mux *m, uint64_t id)
{
	if (!m->nbuckets)
		return NULL;
	struct mux_stream *s = m->buckets[bucket_of(m, id)];
	while (s && s->id != id)
		s = s->hnext;
	return s;
}

/* Double the buckets (or make the first ones); on failure the chains just
 * get longer, or with no buckets yet the stream cannot be added. */
static void table_grow(struct lp2p_mux *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : TABLE_INITIAL_BUCKETS;
	struct mux_stream **b = calloc(n, sizeof(*b));
	if (!b)
		return;
	struct mux_stream **old = m->buckets;
	size_t oldn = m->nbuckets;
	m->buckets = b;
	m->nbuckets = n;
	for (size_t i = 0; i < oldn; i++) {
		struct mux_stream *s = old[i];
		while (s) {
			struct mux_stream *next = s->hnext;
			size_t k = bucket_of(m, s->id);
			s->hnext = b[k];
			b[k] = s;
			s = next;
		}
	}
	free(old);
}

struct mux_stream *mux_stream_add(struct lp2p_mux *m, uint64_t id,
                                  bool outbound)
{
	struct mux_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (m->nstreams >= m->nbuckets)
		table_grow(m);
	if (!m->nbuckets) {
		free(s);
		return NULL;
	}
	s->id = id;
	s->outbound = outbound;
	s->in_table = true;
	size_t k = bucket_of(m, id);
	s->hnext = m->buckets[k];
	m->buckets[k] = s;
	m->nstreams++;
	if (outbound)
		m->noutbound++;
	else
		m->ninbound++;
	return s;
}

static void table_remove(struct lp2p_mux *m, struct mux_stream *s)
{
	if (!s->in_table)
		return;
	struct mux_stream **pp = &m->buckets[bucket_of(m, s->id)];
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	s->hnext = NULL;
	s->in_table = false;
	if (--m->nstreams == 0) { /* an idle session keeps no table */
		free(m->buckets);
		m->buckets = NULL;
		m->nbuckets = 0;
	}
	if (s->outbound) {
		m->noutbound--;
		if (!s->acked)
			m->backlog--;
	} else {
		m->ninbound--;
	}
	if (linked(&s->blocked))
		list_del(&s->blocked);
	if (m->rx_stream == s)
		m->rx_stream = NULL;
}

/* Free a forgotten stream unless a control frame (RST) still waits. */
static void stream_release(struct lp2p_mux *m, struct mux_stream *s)
{
	if (!s->in_table && !linked(&s->pending))
		free(s);
}

void mux_stream_forget(struct lp2p_mux *m, struct mux_stream *s)
{
	table_remove(m, s);
	stream_release(m, s);
}

/* After s's control frames were written or queued. */
static void stream_settle(struct lp2p_mux *m, struct mux_stream *s)
{
	if (s->in_table && s->local_closed && s->remote_closed)
		table_remove(m, s);
	stream_release(m, s);
}

void mux_stream_ctl(struct lp2p_mux *m, struct mux_stream *s)
{
	if (!linked(&s->pending) && !m->ops->flush_stream(m, s))
		list_add_tail(&m->pending, &s->pending);
	stream_settle(m, s);
}

void mux_stream_reset(struct lp2p_mux *m, struct mux_stream *s)
{
	s->need_rst = true;
	table_remove(m, s);
	mux_stream_ctl(m, s);
}

void mux_refuse(struct lp2p_mux *m, uint64_t id)
{
	struct mux_stream tmp = {.id = id, .need_rst = true};
	if (m->ops->flush_stream(m, &tmp))
		return;
	/* No room: keep a forgotten stream until its RST is written. */
	struct mux_stream *s = malloc(sizeof(*s));
	if (!s)
		return; /* the peer's stream hangs; we are out of memory */
	*s = tmp;
	list_add_tail(&m->pending, &s->pending);
}

void mux_stream_dead(struct lp2p_mux *m, struct mux_stream *s, int err)
{
	uint64_t id = s->id;
	void *data = s->data;
	table_remove(m, s);
	if (!s->need_rst) {
		/* Reset by the peer: nothing more is sent on it. */
		s->need_ack = s->need_fin = s->need_wnd = false;
		s->delta = 0;
		if (linked(&s->pending))
			list_del(&s->pending);
	} else if (!linked(&s->pending) && !m->ops->flush_stream(m, s)) {
		list_add_tail(&m->pending, &s->pending);
	}
	stream_release(m, s);
	if (m->cb->on_stream_reset)
		m->cb->on_stream_reset(m->user_data, id, data, err);
}

void mux_deliver(struct lp2p_mux *m, struct mux_stream *s, const uint8_t *data,
                 size_t len)
{
	s->unconsumed += len;
	if (m->cb->on_stream_data)
		m->cb->on_stream_data(m->user_data, s->id, s->data, data, len);
}

void mux_remote_fin(struct lp2p_mux *m, struct mux_stream *s)
{
	uint64_t id = s->id;
	s->remote_closed = true;
	if (m->cb->on_stream_fin) {
		m->cb->on_stream_fin(m->user_data, id, s->data);
		/* The callback may have reset or closed (and freed) it. */
		s = mux_stream_find(m, id);
		if (!s)
			return;
	}
	stream_settle(m, s);
}

void mux_notify_writable(struct lp2p_mux *m, struct mux_stream *s)
{
	if (!linked(&s->blocked) || mux_data_room(m) == 0 ||
	    !m->ops->can_send(m, s))
		return;
	list_del(&s->blocked);
	if (m->cb->on_stream_writable)
		m->cb->on_stream_writable(m->user_data, s->id, s->data);
}

int mux_fail(struct lp2p_mux *m, int err)
{
	if (!m->err) {
		m->err = err;
		m->ops->fatal(m);
	}
	return m->err;
}

/*
 * Tell a caller whose open failed with LP2P_EAGAIN that one fits again.
 * Checked once per input batch and output ack rather than at each ACK:
 * the caller opens its waiting streams in one go.
 */
static void notify_open_room(struct lp2p_mux *m)
{
	if (!m->open_waiting || m->err || m->goaway_sent || m->goaway_recv ||
	    !m->ops->can_open(m))
		return;
	m->open_waiting = false;
	if (m->cb->on_open_room)
		m->cb->on_open_room(m->user_data);
}

/* ---- API ---- */

ssize_t lp2p_mux_recv(struct lp2p_mux *m, const uint8_t *buf, size_t len)
{
	if (m->err)
		return m->err;
	if (m->in_recv)
		return LP2P_EINVAL; /* from a callback */
	m->in_recv = true;
	ssize_t rc = m->ops->recv(m, buf, len);
	if (rc >= 0)
		notify_open_room(m);
	m->in_recv = false;
	return rc;
}

static void flush_pending(struct lp2p_mux *m)
{
	while (!list_empty(&m->pending)) {
		struct mux_stream *s = stream_of(m->pending.next, pending);
		if (!m->ops->flush_stream(m, s))
			return;
		list_del(&s->pending);
		stream_settle(m, s);
	}
}

static void notify_blocked(struct lp2p_mux *m)
{
	struct mux_link todo;
	if (list_empty(&m->blocked))
		return;
	/* Take the list: streams that block again go back on m->blocked. */
	todo = m->blocked;
	todo.next->prev = &todo;
	todo.prev->next = &todo;
	list_init(&m->blocked);
	while (!list_empty(&todo)) {
		struct mux_stream *s = stream_of(todo.next, blocked);
		list_del(&s->blocked);
		if (m->err || mux_data_room(m) == 0 ||
		    !m->ops->can_send(m, s)) {
			list_add_tail(&m->blocked, &s->blocked);
			continue;
		}
		if (m->cb->on_stream_writable)
			m->cb->on_stream_writable(m->user_data, s->id, s->data);
	}
}

void lp2p_mux_out_ack(struct lp2p_mux *m, size_t n)
{
	size_t used = mux_out_used(m);
	m->out_head += n < used ? n : used;
	if (m->out_head == m->out_len)
		m->out_head = m->out_len = 0;
	if (!m->err)
		flush_pending(m);
	m->ops->flush_session(m);
	notify_open_room(m);
	if (!m->err)
		notify_blocked(m);
}

int lp2p_mux_open(struct lp2p_mux *m, const char *name, void *stream_data,
                  uint64_t *id)
{
	if (m->err)
		return m->err;
	if (!id)
		return LP2P_EINVAL;
	if (m->goaway_sent || m->goaway_recv)
		return LP2P_ECLOSED;
	if (m->noutbound >= m->cfg.max_outbound_streams)
		return LP2P_ELIMIT;
	struct mux_stream *s;
	int rc = m->ops->open(m, name, &s);
	if (rc == LP2P_EAGAIN)
		m->open_waiting = true;
	if (rc < 0)
		return rc;
	s->data = stream_data;
	*id = s->id;
	return 0;
}

static struct mux_stream *lookup(const struct lp2p_mux *m, uint64_t id, int *rc)
{
	if (m->err) {
		*rc = m->err;
		return NULL;
	}
	struct mux_stream *s = mux_stream_find(m, id);
	if (!s)
		*rc = LP2P_ENOTFOUND;
	return s;
}

int lp2p_mux_set_stream_data(struct lp2p_mux *m, uint64_t id, void *stream_data)
{
	struct mux_stream *s = mux_stream_find(m, id);
	if (!s)
		return LP2P_ENOTFOUND;
	s->data = stream_data;
	return 0;
}

ssize_t lp2p_mux_write(struct lp2p_mux *m, uint64_t id, const uint8_t *data,
                       size_t len)
{
	int rc;
	struct mux_stream *s = lookup(m, id, &rc);
	if (!s)
		return rc;
	if (s->local_closed)
		return LP2P_ECLOSED;
	if (len == 0)
		return 0;
	ssize_t n = m->ops->write(m, s, data, len);
	if ((size_t)n < len && !linked(&s->blocked))
		list_add_tail(&m->blocked, &s->blocked);
	return n > 0 ? n : LP2P_EAGAIN;
}

int lp2p_mux_close(struct lp2p_mux *m, uint64_t id)
{
	int rc;
	struct mux_stream *s = lookup(m, id, &rc);
	if (!s)
		return rc;
	if (s->local_closed)
		return LP2P_ECLOSED;
	s->local_closed = true;
	s->need_fin = true;
	if (linked(&s->blocked))
		list_del(&s->blocked);
	mux_stream_ctl(m, s);
	return 0;
}

int lp2p_mux_reset(struct lp2p_mux *m, uint64_t id)
{
	int rc;
	struct mux_stream *s = lookup(m, id, &rc);
	if (!s)
		return rc;
	mux_stream_reset(m, s);
	return 0;
}

int lp2p_mux_consumed(struct lp2p_mux *m, uint64_t id, size_t n)
{
	int rc;
	struct mux_stream *s = lookup(m, id, &rc);
	if (!s)
		return rc;
	if (n > s->unconsumed)
		return LP2P_EINVAL;
	s->unconsumed -= n;
	m->ops->consumed(m, s, n);
	return 0;
}

ssize_t lp2p_mux_unconsumed(const struct lp2p_mux *m, uint64_t id)
{
	const struct mux_stream *s = mux_stream_find(m, id);
	if (!s)
		return LP2P_ENOTFOUND;
	return (ssize_t)s->unconsumed;
}

int lp2p_mux_ping(struct lp2p_mux *m, uint32_t opaque)
{
	if (m->err)
		return m->err;
	return m->ops->ping(m, opaque);
}

int lp2p_mux_goaway(struct lp2p_mux *m, uint32_t code)
{
	if (m->err)
		return m->err;
	if (m->goaway_sent)
		return LP2P_ECLOSED;
	m->goaway_sent = true;
	m->ops->goaway(m, code);
	return 0;
}

size_t lp2p_mux_stream_count(const struct lp2p_mux *m)
{
	return m->nstreams;
}

int lp2p_mux_error(const struct lp2p_mux *m)
{
	return m->err;
}
