/*
 * stream.c - a stream's life over its connection's muxed session: made,
 * linked, counted in its scopes, its deadlines, data pushed to the handler
 * (or held while paused), its end told exactly once (from the loop), and
 * the public calls on it.  The send queue is stream_send.c, protocol
 * negotiation stream_negotiate.c, the session's callbacks stream_mux.c.
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>
#include <lp2p/message.h>

#include "swarm/stream_internal.h"

/*
 * Data held for a paused stream counts against its connection: past
 * LP2P_CONN_HELD_MAX a connection whose session has no flow control stops
 * reading (its only backpressure), and reads again below half of it.  With
 * flow control a stream holds at most its window, and stopping the
 * connection would stall its other streams too.
 */

static void held_changed(struct lp2p_stream *s, size_t before)
{
	struct lp2p_conn *c = s->conn;
	size_t after = lp2p_buf_avail(&s->held);
	c->held_total = c->held_total - before + after;
	struct lp2p_rc_scope *over =
		lp2p_rc_charge_memory(&s->rc, (int64_t)after - (int64_t)before);
	if (over && after > before && s->state != STREAM_DEAD) {
		lp2p_log(LP2P_LOG_INFO,
		         "connection %llu: stream %s reset: %s memory limit "
		         "(%zu bytes held)",
		         (unsigned long long)c->id,
		         s->protocol ? s->protocol : "(negotiating)",
		         lp2p_rc_kind_name(over->kind), after);
		lp2p_stream_finish(s, LP2P_ELIMIT, false);
		return;
	}
	if (!c->mx || (c->mx->caps & LP2P_SESSION_FLOW_CONTROL))
		return;
	if (c->held_total > LP2P_CONN_HELD_MAX)
		lp2p_conn_hold_reading(c, true);
	else if (c->held_total <= LP2P_CONN_HELD_MAX / 2)
		lp2p_conn_hold_reading(c, false);
}

static void held_release(struct lp2p_stream *s)
{
	size_t before = lp2p_buf_avail(&s->held);
	lp2p_buf_release(&s->held);
	if (before)
		held_changed(s, before);
}

void lp2p_stream_ref(struct lp2p_stream *s)
{
	s->refs++;
}

static void stream_free(struct lp2p_stream *s)
{
	struct lp2p_conn *c = s->conn;
	lp2p_mss_free(s->mss);
	free(s->protocol);
	for (size_t i = 0; i < s->nproposals; i++)
		free(s->proposals[i]);
	free(s->proposals);
	held_release(s);
	lp2p_buf_release(&s->sendq);
	lp2p_stream_msg_free(s->msg);
	free(s);
	lp2p_conn_unref(c);
}

void lp2p_stream_unref(struct lp2p_stream *s)
{
	if (--s->refs == 0)
		stream_free(s);
}


/*
 * The stream ends: detach it from the connection and queue the news for
 * whoever waits (open callback or on_close).  The news is delivered from
 * the loop (lp2p_streams_deliver_closed), never from inside a call the
 * handler made, so a handler's state stays valid until on_close.
 * forget: the muxer no longer knows the id (no reset to send).
 */
void lp2p_stream_finish(struct lp2p_stream *s, int reason, bool forget)
{
	if (s->state == STREAM_DEAD)
		return;
	struct lp2p_conn *c = s->conn;
	struct lp2p_swarm *sw = c->sw;
	enum lp2p_stream_state was = s->state;
	s->state = STREAM_DEAD;
	s->close_reason = reason;
	/* an open callback not yet delivered (waiting, negotiating, or an
	 * optimistic open not yet announced) gets the failure */
	s->failed_open = s->open_cb != NULL;
	ev_timer_stop(sw->loop->ev, &s->timer);
	if (was == STREAM_WAITING)
		lp2p_stream_open_wait_unlink(s); /* the muxer never knew it */
	else if (!forget && c->mux && c->state != CONN_DEAD)
		c->mx->reset(c->mux, s->mux_id);
	held_release(s);
	lp2p_rc_scope_close(&s->rc); /* and whatever a plugin reserved */
	lp2p_buf_release(&s->sendq); /* its charge went with the scope */
	if (s->prev)
		s->prev->next = s->next;
	else
		c->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	c->nstreams--;
	lp2p_conn_touch(c);
	lp2p_swarm_mark_dirty(c);
	/* the connection's reference moves to the closed list */
	s->next = sw->closed_streams;
	sw->closed_streams = s;
}

void lp2p_streams_deliver_closed(struct lp2p_swarm *sw)
{
	/* optimistic opens first: a stream opened and ended in one
	 * iteration gets its failure below instead */
	while (sw->opened_streams) {
		struct lp2p_stream *s = sw->opened_streams;
		sw->opened_streams = s->opened_next;
		s->opened_next = NULL;
		if (s->state != STREAM_DEAD && s->open_cb) {
			lp2p_stream_open_cb cb = s->open_cb;
			s->open_cb = NULL;
			cb(s->open_arg, 0, s);
		}
		lp2p_stream_unref(s);
	}
	while (sw->closed_streams) {
		struct lp2p_stream *s = sw->closed_streams;
		sw->closed_streams = s->next;
		s->next = NULL;
		if (s->failed_open) {
			lp2p_stream_open_cb cb = s->open_cb;
			s->open_cb = NULL;
			cb(s->open_arg,
			   s->close_reason ? s->close_reason : LP2P_ECLOSED,
			   NULL);
		} else if (s->notify_close && s->handler.on_close) {
			s->notify_close = false;
			s->handler.on_close(s, s->user, s->close_reason);
		}
		lp2p_stream_unref(s);
	}
}

void lp2p_streams_shed_largest(struct lp2p_conn *c)
{
	struct lp2p_stream *big = NULL;
	for (struct lp2p_stream *s = c->streams; s; s = s->next)
		if (!big || lp2p_buf_avail(&s->held) > lp2p_buf_avail(&big->held))
			big = s;
	if (!big || lp2p_buf_avail(&big->held) == 0)
		return;
	lp2p_log(LP2P_LOG_INFO,
	         "connection %llu: a paused stream held %zu bytes for too "
	         "long; resetting it",
	         (unsigned long long)c->id, lp2p_buf_avail(&big->held));
	lp2p_stream_finish(big, LP2P_ELIMIT, false);
}

void lp2p_streams_abort(struct lp2p_conn *c, int reason)
{
	while (c->streams)
		lp2p_stream_finish(c->streams, reason, true);
}

/* The protocol is settled: the deadlines own the timer. */
static bool settled(const struct lp2p_stream *s)
{
	return s->state == STREAM_OPEN && !s->optimistic;
}

/*
 * Arm the timer for the stream's nearer deadline (or stop it: none).
 * Activity does not touch the timer: it moves active_ms, and a timer
 * that fires before the idle deadline is armed again for what is left
 * (libev's "be smart about timeouts"), so a busy stream costs one
 * timer event per idle period and a store per frame.
 */
void lp2p_stream_deadline_arm(struct lp2p_stream *s)
{
	if (!settled(s))
		return; /* the negotiation timeout runs */
	struct lp2p_loop *loop = s->conn->sw->loop;
	ev_timer_stop(loop->ev, &s->timer);
	uint64_t due = UINT64_MAX;
	if (s->total_ms)
		due = s->start_ms + s->total_ms;
	if (s->idle_ms && s->active_ms + s->idle_ms < due)
		due = s->active_ms + s->idle_ms;
	if (due == UINT64_MAX)
		return;
	uint64_t now = lp2p_loop_now_ms(loop);
	ev_timer_set(&s->timer, due > now ? (double)(due - now) / 1000.0 : 0.0,
	             0.0);
	ev_timer_start(loop->ev, &s->timer);
}

static void on_stream_timer(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_stream *s = w->data;
	if (!settled(s)) {
		lp2p_log(LP2P_LOG_DEBUG, "stream %s timed out",
		         s->state == STREAM_WAITING
		                 ? "open (waiting for the muxer)"
		                 : "negotiation");
		lp2p_stream_finish(s, LP2P_ETIMEDOUT, false);
		return;
	}
	uint64_t now = lp2p_loop_now_ms(s->conn->sw->loop);
	const char *which;
	uint32_t ms;
	if (s->total_ms && now >= s->start_ms + s->total_ms) {
		which = "stream_timeout";
		ms = s->total_ms;
	} else if (s->idle_ms && now >= s->active_ms + s->idle_ms) {
		which = "stream_idle_timeout";
		ms = s->idle_ms;
	} else {
		lp2p_stream_deadline_arm(s); /* there was activity: what is left */
		return;
	}
	lp2p_log(LP2P_LOG_DEBUG, "connection %llu: stream %s reset: %s (%u ms)",
	         (unsigned long long)s->conn->id, s->protocol, which,
	         (unsigned)ms);
	lp2p_stream_finish(s, LP2P_ETIMEDOUT, false);
}

/*
 * A new stream, counted in its scopes: its connection, its peer,
 * transient (until its protocol is known) and the system.
 * LP2P_ELIMIT when one of them is full.
 */
int lp2p_stream_new(struct lp2p_conn *c, enum lp2p_direction dir,
                      struct lp2p_stream **out)
{
	struct lp2p_stream *s = calloc(1, sizeof *s);
	if (!s)
		return LP2P_ENOMEM;
	struct lp2p_rcmgr *m = &c->sw->rc;
	/* a ready connection's first scope above is its peer's */
	struct lp2p_rc_scope *up[4] = {&c->rc, c->rc.up[0], &m->transient,
	                               &m->system};
	lp2p_rc_scope_init(&s->rc, m, LP2P_SCOPE_STREAM,
	                   &c->sw->cfg->limits.stream);
	lp2p_rc_scope_link(&s->rc, up, 4);
	lp2p_rc_amount one = {.inbound_streams = dir == LP2P_INBOUND,
	                      .outbound_streams = dir == LP2P_OUTBOUND};
	const struct lp2p_rc_scope *blocked = NULL;
	if (lp2p_rc_reserve(&s->rc, &one, &blocked)) {
		lp2p_swarm_log_limit(c->sw, dir == LP2P_INBOUND
		                                    ? "inbound stream"
		                                    : "outbound stream",
		                     blocked);
		lp2p_rc_scope_close(&s->rc);
		free(s);
		return LP2P_ELIMIT;
	}
	s->conn = c;
	lp2p_conn_ref(c);
	s->dir = dir;
	s->refs = 1; /* the connection's */
	s->state = STREAM_NEGOTIATING;
	ev_timer_init(&s->timer, on_stream_timer,
	              (double)c->sw->cfg->limits.negotiation_timeout_ms /
	                      1000.0,
	              0);
	s->timer.data = s;
	s->start_ms = s->active_ms = lp2p_loop_now_ms(c->sw->loop);
	*out = s;
	return 0;
}

/* A stream not yet linked goes away (its scope with it). */
void lp2p_stream_discard(struct lp2p_stream *s)
{
	lp2p_rc_scope_close(&s->rc);
	stream_free(s);
}

void lp2p_stream_link(struct lp2p_stream *s)
{
	struct lp2p_conn *c = s->conn;
	s->next = c->streams;
	if (c->streams)
		c->streams->prev = s;
	c->streams = s;
	c->nstreams++;
	ev_timer_start(c->sw->loop->ev, &s->timer);
	lp2p_conn_touch(c);
}

/* Push data to the handler (or hold it while paused). */
void lp2p_stream_deliver(struct lp2p_stream *s, const uint8_t *data, size_t len)
{
	struct lp2p_conn *c = s->conn;
	if (s->paused || !s->handler.on_data) {
		/* Held data is bounded by the stream's window (flow control) and by
		 * the connection's held limit, which stops reading. */
		size_t before = lp2p_buf_avail(&s->held);
		if (lp2p_buf_append(&s->held, data, len)) {
			lp2p_stream_finish(s, LP2P_ENOMEM, false);
			return;
		}
		held_changed(s, before);
		return;
	}
	lp2p_stream_ref(s);
	s->handler.on_data(s, s->user, data, len);
	if (s->state != STREAM_DEAD && c->state != CONN_DEAD) {
		/* a window update may follow; from lp2p_stream_resume() no
		 * read will flush it */
		c->mx->consumed(c->mux, s->mux_id, len);
		lp2p_swarm_mark_dirty(c);
	}
	lp2p_stream_unref(s);
}

LP2P_API void lp2p_stream_set_handler(lp2p_stream *s,
                                      const struct lp2p_stream_handler *h,
                                      void *user)
{
	/* raw bytes from now on: the message reader (if any) goes */
	lp2p_stream_msg_free(s->msg);
	s->msg = NULL;
	lp2p_stream_install_handler(s, h, user);
}

void lp2p_stream_install_handler(struct lp2p_stream *s,
                                 const struct lp2p_stream_handler *h,
                                 void *user)
{
	s->handler = *h;
	s->user = user;
	/* Data that arrived before the handler was set. */
	if (!s->paused && lp2p_buf_avail(&s->held))
		lp2p_stream_resume(s);
}

LP2P_API int lp2p_stream_close(lp2p_stream *s)
{
	if (s->state == STREAM_DEAD)
		return LP2P_ECLOSED;
	/* No more data for the handler: further bytes are dropped. */
	s->handler.on_data = NULL;
	s->handler.on_remote_close = NULL;
	s->handler.on_writable = NULL;
	held_release(s);
	s->paused = false; /* nobody will resume it */
	return lp2p_stream_close_write(s);
}

LP2P_API void lp2p_stream_reset(lp2p_stream *s, int reason)
{
	if (!s || s->state == STREAM_DEAD)
		return;
	lp2p_stream_finish(s, reason < 0 ? reason : LP2P_ECANCELED, false);
}

LP2P_API int lp2p_stream_set_deadlines(lp2p_stream *s, uint64_t idle_ms,
                                      uint64_t total_ms)
{
	if (!s || idle_ms > LP2P_DEADLINE_MAX_MS ||
	    total_ms > LP2P_DEADLINE_MAX_MS)
		return LP2P_EINVAL;
	if (s->state == STREAM_DEAD)
		return LP2P_ECLOSED;
	s->idle_ms = (uint32_t)idle_ms;
	s->total_ms = (uint32_t)total_ms;
	s->active_ms = lp2p_loop_now_ms(s->conn->sw->loop);
	lp2p_stream_deadline_arm(s);
	return 0;
}

LP2P_API void lp2p_stream_pause(lp2p_stream *s)
{
	s->paused = true;
}

LP2P_API void lp2p_stream_resume(lp2p_stream *s)
{
	s->paused = false;
	if (s->state == STREAM_DEAD || !s->handler.on_data)
		return;
	lp2p_stream_ref(s);
	while (lp2p_buf_avail(&s->held) && !s->paused &&
	       s->state != STREAM_DEAD) {
		/* Hand over what is held; the handler may pause again. */
		struct lp2p_buf held = s->held;
		s->held = (struct lp2p_buf){0};
		held_changed(s, lp2p_buf_avail(&held));
		lp2p_stream_deliver(s, lp2p_buf_data(&held), lp2p_buf_avail(&held));
		lp2p_buf_release(&held);
	}
	if (s->state != STREAM_DEAD && s->remote_closed && !s->paused &&
	    lp2p_buf_avail(&s->held) == 0) {
		/* once: a handler resuming after the end hears it once */
		if (s->handler.on_remote_close && !s->remote_close_told) {
			s->remote_close_told = true;
			s->handler.on_remote_close(s, s->user);
		}
		if (s->state != STREAM_DEAD && lp2p_stream_fin_sent(s))
			lp2p_stream_finish(s, 0, true);
	}
	lp2p_stream_unref(s);
}

LP2P_API const char *lp2p_stream_protocol(const lp2p_stream *s)
{
	return s->protocol ? s->protocol : "";
}

LP2P_API lp2p_conn *lp2p_stream_conn(const lp2p_stream *s)
{
	return s->conn;
}

LP2P_API enum lp2p_direction lp2p_stream_direction(const lp2p_stream *s)
{
	return s->dir;
}

