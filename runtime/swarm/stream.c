/*
 * stream.c - streams over a connection's muxer: outbound opens waiting
 * for the muxer, per-stream protocol negotiation, routing inbound streams
 * to plugins, pushing data to the handler, pause/resume with the muxer
 * window as backpressure.
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>
#include <lp2p/message.h>

#include "swarm/swarm.h"

/*
 * Data held for a paused stream counts against its connection: past
 * LP2P_CONN_HELD_MAX an mplex connection stops reading (mplex has no
 * window, so this is its only backpressure), and reads again below half
 * of it.  A yamux stream holds at most its window, and stopping the
 * connection would stall its other streams too.
 */
static void stream_finish(struct lp2p_stream *s, int reason, bool forget);

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
		stream_finish(s, LP2P_ELIMIT, false);
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

static void stream_ref(struct lp2p_stream *s)
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

static void stream_unref(struct lp2p_stream *s)
{
	if (--s->refs == 0)
		stream_free(s);
}

static struct lp2p_swarm *stream_swarm(struct lp2p_stream *s)
{
	return s->conn->sw;
}

/* The end of the connection's queue of opens waiting for the muxer. */
static void open_wait_append(struct lp2p_stream *s)
{
	struct lp2p_conn *c = s->conn;
	s->wait_prev = c->open_wait_tail;
	s->wait_next = NULL;
	if (c->open_wait_tail)
		c->open_wait_tail->wait_next = s;
	else
		c->open_wait_head = s;
	c->open_wait_tail = s;
}

static void open_wait_unlink(struct lp2p_stream *s)
{
	struct lp2p_conn *c = s->conn;
	if (s->wait_prev)
		s->wait_prev->wait_next = s->wait_next;
	else
		c->open_wait_head = s->wait_next;
	if (s->wait_next)
		s->wait_next->wait_prev = s->wait_prev;
	else
		c->open_wait_tail = s->wait_prev;
	s->wait_prev = s->wait_next = NULL;
}

/*
 * The stream ends: detach it from the connection and queue the news for
 * whoever waits (open callback or on_close).  The news is delivered from
 * the loop (lp2p_streams_deliver_closed), never from inside a call the
 * handler made, so a handler's state stays valid until on_close.
 * forget: the muxer no longer knows the id (no reset to send).
 */
static void stream_finish(struct lp2p_stream *s, int reason, bool forget)
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
		open_wait_unlink(s); /* the muxer never knew it */
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
		stream_unref(s);
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
		stream_unref(s);
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
	stream_finish(big, LP2P_ELIMIT, false);
}

void lp2p_streams_abort(struct lp2p_conn *c, int reason)
{
	while (c->streams)
		stream_finish(c->streams, reason, true);
}

/* ---- our end and the send queue ---- */

/* Our FIN is on its way (not waiting for the send queue or, for an
 * optimistic open, the listener's answer). */
static bool fin_sent(const struct lp2p_stream *s)
{
	return s->local_closed && !s->fin_after_drain && !s->optimistic;
}

/*
 * Our FIN goes now, or after the send queue.  Returns 0, or the error
 * that ended the stream.  With the remote's end already here the stream
 * ends (not yet told because paused: lp2p_stream_resume() tells, then
 * ends).
 */
static int send_fin(struct lp2p_stream *s)
{
	if (lp2p_buf_avail(&s->sendq)) {
		s->fin_after_drain = true;
		return 0;
	}
	s->fin_after_drain = false;
	int rc = s->conn->mx->close(s->conn->mux, s->mux_id);
	lp2p_swarm_mark_dirty(s->conn);
	if (rc && rc != LP2P_ECLOSED) {
		stream_finish(s, rc, true);
		return rc;
	}
	if (s->remote_closed && (!s->paused || s->remote_close_told) &&
	    lp2p_buf_avail(&s->held) == 0)
		stream_finish(s, 0, true);
	return 0;
}

static void sendq_sent(struct lp2p_stream *s, size_t n)
{
	lp2p_rc_amount a = {.memory = n};
	lp2p_rc_release(&s->rc, &a);
	lp2p_conn_touch(s->conn);
	s->active_ms = s->conn->last_active_ms;
	lp2p_swarm_mark_dirty(s->conn);
}

/* The muxer takes more: move the queue on.  True when it drained and
 * the stream stays open for writing; false while bytes remain, after
 * the FIN that waited went out, or when the stream ended. */
static bool drain_sendq(struct lp2p_stream *s)
{
	struct lp2p_conn *c = s->conn;
	size_t sent = 0;
	while (lp2p_buf_avail(&s->sendq)) {
		size_t n = lp2p_buf_avail(&s->sendq);
		ssize_t w = c->mx->write(c->mux, s->mux_id,
		                           lp2p_buf_data(&s->sendq), n);
		if (w == LP2P_EAGAIN || w == 0)
			break;
		if (w < 0) {
			stream_finish(s, w == LP2P_ENOTFOUND ? LP2P_ECLOSED
			                                     : (int)w,
			              false);
			return false;
		}
		lp2p_buf_consume(&s->sendq, (size_t)w);
		sent += (size_t)w;
	}
	if (sent)
		sendq_sent(s, sent);
	if (lp2p_buf_avail(&s->sendq))
		return false;
	if (s->fin_after_drain) {
		send_fin(s);
		return false;
	}
	return true;
}

/*
 * p1[0..n1) then p2[0..n2): the muxer takes what it can, the rest waits
 * in the send queue, which is charged to the stream.  Only what waits is
 * charged, so a stream whose muxer takes everything costs nothing.  When
 * the rest does not fit the stream's memory limits: with nothing sent,
 * the call is refused and the stream goes on; with part of it sent, the
 * stream ends (it must not carry half a message on).  The same for out
 * of memory and a muxer error.
 */
static int send_parts(struct lp2p_stream *s, const uint8_t *p1, size_t n1,
                      const uint8_t *p2, size_t n2)
{
	if (!s)
		return LP2P_EINVAL;
	if (s->state == STREAM_DEAD || s->local_closed)
		return LP2P_ECLOSED;
	if (s->state != STREAM_OPEN)
		return LP2P_EAGAIN;
	struct lp2p_conn *c = s->conn;
	const uint8_t *part[2] = {p1, p2};
	size_t left[2] = {n1, n2}, wrote = 0;
	int rc = 0;
	for (int i = 0; i < 2 && rc == 0; i++) {
		if (!left[i] || lp2p_buf_avail(&s->sendq) || (i == 1 && left[0]))
			continue; /* behind the queue, or behind part 1 */
		ssize_t w = c->mx->write(c->mux, s->mux_id, part[i], left[i]);
		if (w == LP2P_EAGAIN)
			w = 0;
		if (w < 0) {
			rc = w == LP2P_ENOTFOUND ? LP2P_ECLOSED : (int)w;
			break;
		}
		part[i] += w;
		left[i] -= (size_t)w;
		wrote += (size_t)w;
	}
	size_t rest = left[0] + left[1];
	if (rc == 0 && rest) {
		lp2p_rc_amount a = {.memory = rest};
		if (lp2p_rc_reserve(&s->rc, &a, NULL))
			rc = LP2P_ELIMIT;
		else if ((left[0] &&
		          lp2p_buf_append(&s->sendq, part[0], left[0])) ||
		         (left[1] &&
		          lp2p_buf_append(&s->sendq, part[1], left[1]))) {
			lp2p_rc_release(&s->rc, &a);
			rc = LP2P_ENOMEM;
		}
	}
	if (wrote) {
		lp2p_conn_touch(c);
		s->active_ms = c->last_active_ms;
		lp2p_swarm_mark_dirty(c);
	}
	/* half a message must not go on (a failed append may have left
	 * part of it in the queue) */
	if (rc && (wrote || rc == LP2P_ENOMEM))
		stream_finish(s, rc, false);
	return rc;
}

LP2P_API int lp2p_stream_send(lp2p_stream *s, const void *data, size_t len)
{
	return send_parts(s, data, len, NULL, 0);
}

LP2P_API int lp2p_stream_send_msg(lp2p_stream *s, const void *msg,
                                  size_t len)
{
	uint8_t prefix[LP2P_MSG_PREFIX_MAX];
	size_t n = lp2p_msg_prefix(len, prefix);
	return send_parts(s, prefix, n, msg, len);
}

LP2P_API size_t lp2p_stream_send_queued(const lp2p_stream *s)
{
	return s ? lp2p_buf_avail(&s->sendq) : 0;
}

/* ---- negotiation ---- */

static void flush_mss(struct lp2p_stream *s)
{
	struct lp2p_conn *c = s->conn;
	const uint8_t *p;
	size_t n;
	while (s->mss && (n = lp2p_mss_out_peek(s->mss, &p)) > 0) {
		ssize_t w = c->mx->write(c->mux, s->mux_id, p, n);
		if (w <= 0)
			break; /* resumes on writable */
		lp2p_mss_out_ack(s->mss, (size_t)w);
	}
	lp2p_swarm_mark_dirty(c);
}

static bool select_protocol(void *user, const char *proto, size_t len)
{
	(void)len;
	struct lp2p_stream *s = user;
	struct lp2p_swarm *sw = stream_swarm(s);
	const char *plugin;
	return sw->cb->route(sw->cb_arg, proto, &plugin);
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
static void deadline_arm(struct lp2p_stream *s)
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
		stream_finish(s, LP2P_ETIMEDOUT, false);
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
		deadline_arm(s); /* there was activity: what is left */
		return;
	}
	lp2p_log(LP2P_LOG_DEBUG, "connection %llu: stream %s reset: %s (%u ms)",
	         (unsigned long long)s->conn->id, s->protocol, which,
	         (unsigned)ms);
	stream_finish(s, LP2P_ETIMEDOUT, false);
}

/*
 * A new stream, counted in its scopes: its connection, its peer,
 * transient (until its protocol is known) and the system.
 * LP2P_ELIMIT when one of them is full.
 */
static int stream_new(struct lp2p_conn *c, enum lp2p_direction dir,
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
static void stream_discard(struct lp2p_stream *s)
{
	lp2p_rc_scope_close(&s->rc);
	stream_free(s);
}

static void stream_link(struct lp2p_stream *s)
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

static void deliver(struct lp2p_stream *s, const uint8_t *data, size_t len);

/*
 * The protocol is known: the stream leaves the transient scope for its
 * protocol's (and, inbound, the serving plugin's).  LP2P_ELIMIT when one
 * of them is full.
 */
static int stream_to_protocol(struct lp2p_stream *s, const char *proto)
{
	struct lp2p_conn *c = s->conn;
	struct lp2p_rcmgr *m = &c->sw->rc;
	const char *plugin = NULL;
	if (s->dir == LP2P_INBOUND &&
	    !c->sw->cb->route(c->sw->cb_arg, proto, &plugin))
		plugin = NULL;
	struct lp2p_rc_scope *up[5], *ps;
	size_t n = 0;
	up[n++] = &c->rc;
	up[n++] = c->rc.up[0];
	if (!(up[n++] = ps = lp2p_rcmgr_protocol(m, proto, plugin, true)))
		return LP2P_ENOMEM;
	if (plugin && !(up[n++] = lp2p_rcmgr_plugin(m, plugin, true)))
		return LP2P_ENOMEM;
	up[n++] = &m->system;
	const struct lp2p_rc_scope *blocked = NULL;
	if (lp2p_rc_scope_move(&s->rc, up, n, &blocked)) {
		char what[160];
		snprintf(what, sizeof what, "%s stream for %s",
		         s->dir == LP2P_INBOUND ? "inbound" : "outbound",
		         proto);
		lp2p_swarm_log_limit(c->sw, what, blocked);
		return LP2P_ELIMIT;
	}
	/* the protocol's deadlines (a plugin may change them) */
	lp2p_rcmgr_stream_deadlines(ps, &s->idle_ms, &s->total_ms);
	return 0;
}

/* The negotiation finished: hand the stream over. */
static void negotiated(struct lp2p_stream *s, const char *proto)
{
	struct lp2p_conn *c = s->conn;
	ev_timer_stop(c->sw->loop->ev, &s->timer);
	s->protocol = strdup(proto);
	if (!s->protocol) {
		stream_finish(s, LP2P_ENOMEM, false);
		return;
	}
	/* counted before the plugin sees it: it may close it at once */
	int rc = stream_to_protocol(s, proto);
	if (rc) {
		/* an outbound open fails through its callback */
		stream_finish(s, rc, false);
		return;
	}
	s->state = STREAM_OPEN;
	s->notify_close = true;
	deadline_arm(s);
	if (s->dir == LP2P_OUTBOUND) {
		lp2p_stream_open_cb cb = s->open_cb;
		s->open_cb = NULL;
		cb(s->open_arg, 0, s);
		return;
	}
	rc = c->sw->cb->accept_stream(c->sw->cb_arg, s, proto);
	if (rc && s->state != STREAM_DEAD) {
		/* a handler installed before the refusal still hears the
		 * end, once, like every other end */
		lp2p_log(LP2P_LOG_DEBUG, "inbound stream %s refused: %s", proto,
		         lp2p_strerror(rc));
		stream_finish(s, rc, false);
	}
}

/*
 * The negotiation ended, but the muxer did not take all of its output
 * (the listener's answer meets a full output): what is left heads the
 * send queue, so it goes out before the handler's first bytes.  Non-zero
 * when that ended the stream.
 */
static int keep_mss_output(struct lp2p_stream *s)
{
	const uint8_t *p;
	size_t n = lp2p_mss_out_peek(s->mss, &p);
	if (n == 0)
		return 0;
	lp2p_rc_amount a = {.memory = n};
	int rc = 0;
	if (lp2p_rc_reserve(&s->rc, &a, NULL))
		rc = LP2P_ELIMIT;
	else if (lp2p_buf_append(&s->sendq, p, n)) {
		lp2p_rc_release(&s->rc, &a);
		rc = LP2P_ENOMEM;
	}
	if (rc) {
		stream_finish(s, rc, false);
		return rc;
	}
	lp2p_mss_out_ack(s->mss, n);
	return 0;
}

/* Bytes for a negotiating stream. */
static void negotiate_data(struct lp2p_stream *s, const uint8_t *data,
                           size_t len)
{
	struct lp2p_conn *c = s->conn;
	ssize_t used = lp2p_mss_recv(s->mss, data, len);
	if (used < 0) {
		lp2p_log(LP2P_LOG_DEBUG, "stream negotiation failed: %s",
		         lp2p_strerror((int)used));
		flush_mss(s); /* a last "na" may help the peer */
		stream_finish(s, (int)used, false);
		return;
	}
	/* negotiation bytes are ours: re-open the window for them */
	if (used)
		c->mx->consumed(c->mux, s->mux_id, (size_t)used);
	flush_mss(s);
	const char *proto;
	int st = lp2p_mss_result(s->mss, &proto, NULL);
	if (st == LP2P_EAGAIN) {
		if ((size_t)used < len) { /* output full: cannot happen */
			stream_finish(s, LP2P_EPROTO, false);
		}
		return;
	}
	if (!s->optimistic && keep_mss_output(s))
		return;
	if (s->optimistic) {
		/* the listener confirmed what we already use */
		s->optimistic = false;
		ev_timer_stop(c->sw->loop->ev, &s->timer);
		deadline_arm(s);
		if (s->local_closed && send_fin(s) < 0)
			return; /* the FIN that waited */
	} else {
		negotiated(s, proto);
		if (s->state != STREAM_OPEN)
			return;
	}
	lp2p_mss_free(s->mss);
	s->mss = NULL;
	if ((size_t)used < len)
		deliver(s, data + used, len - (size_t)used);
}

/* Push data to the handler (or hold it while paused). */
static void deliver(struct lp2p_stream *s, const uint8_t *data, size_t len)
{
	struct lp2p_conn *c = s->conn;
	if (s->paused || !s->handler.on_data) {
		/* Held data is bounded by the muxer's window (yamux) and by
		 * the connection's held limit, which stops reading. */
		size_t before = lp2p_buf_avail(&s->held);
		if (lp2p_buf_append(&s->held, data, len)) {
			stream_finish(s, LP2P_ENOMEM, false);
			return;
		}
		held_changed(s, before);
		return;
	}
	stream_ref(s);
	s->handler.on_data(s, s->user, data, len);
	if (s->state != STREAM_DEAD && c->state != CONN_DEAD) {
		/* a window update may follow; from lp2p_stream_resume() no
		 * read will flush it */
		c->mx->consumed(c->mux, s->mux_id, len);
		lp2p_swarm_mark_dirty(c);
	}
	stream_unref(s);
}

/* ---- muxer callbacks ---- */

static int mux_on_open(void *user_data, uint64_t id, const char *name,
                       size_t name_len, void **stream_data)
{
	(void)name;
	(void)name_len;
	struct lp2p_conn *c = user_data;
	if (c->state != CONN_READY)
		return LP2P_ECLOSED;
	struct lp2p_stream *s;
	int rc = stream_new(c, LP2P_INBOUND, &s);
	if (rc)
		return rc;
	s->mux_id = id;
	if (lp2p_mss_listener_new(&s->mss, select_protocol, s, 0)) {
		stream_discard(s);
		return LP2P_ENOMEM;
	}
	stream_link(s);
	*stream_data = s;
	/* The header goes out once the SYN is answered; the muxer accepts
	 * writes on a just-opened stream. */
	flush_mss(s);
	return 0;
}

static void mux_on_data(void *user_data, uint64_t id, void *stream_data,
                        const uint8_t *data, size_t len)
{
	(void)id;
	struct lp2p_conn *c = user_data;
	struct lp2p_stream *s = stream_data;
	if (!s || s->state == STREAM_DEAD || c->state == CONN_DEAD)
		return;
	if (s->remote_closed)
		return;
	/* the idle deadline's clock: the read's time (lp2p_conn_touch) */
	s->active_ms = c->last_active_ms;
	if (s->local_closed && s->state == STREAM_OPEN && !s->optimistic &&
	    !s->handler.on_data) {
		/* closed both ways by lp2p_stream_close(): drop */
		c->mx->consumed(c->mux, s->mux_id, len);
		return;
	}
	stream_ref(s);
	if (s->state == STREAM_NEGOTIATING || s->optimistic)
		negotiate_data(s, data, len);
	else
		deliver(s, data, len);
	stream_unref(s);
}

static void mux_on_fin(void *user_data, uint64_t id, void *stream_data)
{
	(void)id;
	(void)user_data;
	struct lp2p_stream *s = stream_data;
	if (!s || s->state == STREAM_DEAD)
		return;
	s->remote_closed = true;
	if (s->state == STREAM_NEGOTIATING) {
		stream_finish(s, LP2P_ECLOSED, false);
		return;
	}
	if (s->optimistic) {
		/* closed without confirming the protocol */
		stream_finish(s, LP2P_ENEGOTIATE, false);
		return;
	}
	stream_ref(s);
	/* Held data first, then the end. */
	if (!s->paused && s->handler.on_remote_close) {
		s->remote_close_told = true;
		s->handler.on_remote_close(s, s->user);
	}
	/* not yet told (paused): lp2p_stream_resume() tells, then ends */
	if (s->state != STREAM_DEAD && fin_sent(s) &&
	    (!s->paused || s->remote_close_told) &&
	    lp2p_buf_avail(&s->held) == 0)
		stream_finish(s, 0, true);
	stream_unref(s);
}

static void mux_on_reset(void *user_data, uint64_t id, void *stream_data,
                         int err)
{
	(void)id;
	(void)user_data;
	struct lp2p_stream *s = stream_data;
	if (!s || s->state == STREAM_DEAD)
		return;
	stream_finish(s, err ? err : LP2P_ERESET, true);
}

static void mux_on_writable(void *user_data, uint64_t id, void *stream_data)
{
	(void)id;
	(void)user_data;
	struct lp2p_stream *s = stream_data;
	if (!s || s->state == STREAM_DEAD)
		return;
	if (s->mss) {
		flush_mss(s);
		return;
	}
	if (lp2p_buf_avail(&s->sendq) && !drain_sendq(s))
		return; /* more to send, or the end went out */
	if (s->handler.on_writable && !s->local_closed) {
		stream_ref(s);
		s->handler.on_writable(s, s->user);
		stream_unref(s);
	}
}

static void mux_on_goaway(void *user_data, uint32_t code)
{
	struct lp2p_conn *c = user_data;
	lp2p_log(LP2P_LOG_DEBUG, "connection %llu: peer sent GoAway(%u)",
	         (unsigned long long)c->id, code);
	/* no stream can be opened any more */
	while (c->open_wait_head)
		stream_finish(c->open_wait_head, LP2P_ECLOSED, true);
}

/* The muxer can open streams again: the waiting ones go, oldest first,
 * until it is full again (it calls again when it has room). */
static void mux_on_open_room(void *user_data)
{
	struct lp2p_conn *c = user_data;
	while (c->open_wait_head && c->state == CONN_READY) {
		struct lp2p_stream *s = c->open_wait_head;
		uint64_t id;
		int rc = c->mx->open(c->mux, s, &id);
		if (rc == LP2P_EAGAIN)
			return;
		if (rc) {
			stream_finish(s, rc, true);
			continue;
		}
		open_wait_unlink(s);
		s->mux_id = id;
		s->state = STREAM_NEGOTIATING;
		flush_mss(s);
	}
}

const struct lp2p_mux_callbacks lp2p_stream_mux_callbacks = {
	.on_stream_open = mux_on_open,
	.on_stream_data = mux_on_data,
	.on_stream_fin = mux_on_fin,
	.on_stream_reset = mux_on_reset,
	.on_stream_writable = mux_on_writable,
	.on_goaway = mux_on_goaway,
	.on_open_room = mux_on_open_room,
};

/* ---- public API ---- */

/*
 * One protocol that the peerstore says the peer supports (identify told
 * us): hand the stream over now, as go-libp2p does, instead of after the
 * listener's answer; the request follows the proposal at once and a
 * request/response exchange saves a round trip.  The answer is still
 * read: "na", or an end without an answer, ends the stream with
 * LP2P_ENEGOTIATE, and negotiation_timeout still applies.  Only when the
 * whole proposal went to the muxer: the handler's bytes must follow it.
 */
static void try_optimistic(struct lp2p_stream *s, const char *proto)
{
	struct lp2p_conn *c = s->conn;
	const uint8_t *p;
	if (lp2p_mss_out_peek(s->mss, &p) != 0)
		return;
	if (!c->sw->cb->peer_supports(c->sw->cb_arg, &c->peer, proto))
		return;
	if (!(s->protocol = strdup(proto)))
		return;
	if (stream_to_protocol(s, proto)) {
		free(s->protocol);
		s->protocol = NULL;
		return; /* the answer decides, as without the shortcut */
	}
	s->state = STREAM_OPEN;
	s->optimistic = true;
	s->notify_close = true;
	/* announced from the loop, never inside lp2p_conn_open_stream() */
	stream_ref(s);
	s->opened_next = c->sw->opened_streams;
	c->sw->opened_streams = s;
}

LP2P_API int lp2p_conn_open_stream(lp2p_conn *c, const char *const *protocols,
                                   size_t n, lp2p_stream_open_cb cb, void *arg)
{
	if (!c || !protocols || n == 0 || !cb)
		return LP2P_EINVAL;
	if (c->state != CONN_READY)
		return LP2P_ECLOSED;
	struct lp2p_stream *s;
	int rc = stream_new(c, LP2P_OUTBOUND, &s);
	if (rc)
		return rc;
	s->proposals = calloc(n, sizeof *s->proposals);
	if (!s->proposals) {
		stream_discard(s);
		return LP2P_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		s->proposals[i] = strdup(protocols[i]);
		s->nproposals++;
		if (!s->proposals[i]) {
			stream_discard(s);
			return LP2P_ENOMEM;
		}
	}
	rc = lp2p_mss_dialer_new(&s->mss, (const char *const *)s->proposals,
	                         n);
	if (rc) {
		stream_discard(s);
		return rc;
	}
	/* Behind waiting opens this one waits too: they go in order. */
	rc = c->open_wait_head ? LP2P_EAGAIN
	                       : c->mx->open(c->mux, s, &s->mux_id);
	if (rc && rc != LP2P_EAGAIN) {
		stream_discard(s);
		return rc;
	}
	s->open_cb = cb;
	s->open_arg = arg;
	/* the negotiation timer covers the wait too */
	stream_link(s);
	if (rc == LP2P_EAGAIN) {
		/* the muxer calls on_open_room when it can take it */
		s->state = STREAM_WAITING;
		open_wait_append(s);
		return 0;
	}
	flush_mss(s);
	if (n == 1)
		try_optimistic(s, protocols[0]);
	return 0;
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

LP2P_API ssize_t lp2p_stream_write(lp2p_stream *s, const void *data,
                                   size_t len)
{
	if (s->state == STREAM_DEAD || s->local_closed)
		return LP2P_ECLOSED;
	if (s->state != STREAM_OPEN)
		return LP2P_EAGAIN;
	if (len == 0)
		return 0;
	if (lp2p_buf_avail(&s->sendq))
		return LP2P_EAGAIN; /* behind lp2p_stream_send()'s bytes */
	ssize_t w = s->conn->mx->write(s->conn->mux, s->mux_id, data, len);
	if (w > 0) {
		lp2p_conn_touch(s->conn);
		s->active_ms = s->conn->last_active_ms;
		lp2p_swarm_mark_dirty(s->conn);
	}
	if (w == LP2P_ENOTFOUND)
		return LP2P_ECLOSED;
	return w;
}

LP2P_API int lp2p_stream_close_write(lp2p_stream *s)
{
	if (s->state == STREAM_DEAD)
		return LP2P_ECLOSED;
	if (s->local_closed)
		return 0;
	s->local_closed = true;
	/* js-libp2p resets a stream whose dialer ends before the listener
	 * answered the proposal: an optimistic stream's FIN waits for it */
	if (s->optimistic)
		return 0;
	return send_fin(s);
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
	stream_finish(s, reason < 0 ? reason : LP2P_ECANCELED, false);
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
	deadline_arm(s);
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
	stream_ref(s);
	while (lp2p_buf_avail(&s->held) && !s->paused &&
	       s->state != STREAM_DEAD) {
		/* Hand over what is held; the handler may pause again. */
		struct lp2p_buf held = s->held;
		s->held = (struct lp2p_buf){0};
		held_changed(s, lp2p_buf_avail(&held));
		deliver(s, lp2p_buf_data(&held), lp2p_buf_avail(&held));
		lp2p_buf_release(&held);
	}
	if (s->state != STREAM_DEAD && s->remote_closed && !s->paused &&
	    lp2p_buf_avail(&s->held) == 0) {
		/* once: a handler resuming after the end hears it once */
		if (s->handler.on_remote_close && !s->remote_close_told) {
			s->remote_close_told = true;
			s->handler.on_remote_close(s, s->user);
		}
		if (s->state != STREAM_DEAD && fin_sent(s))
			stream_finish(s, 0, true);
	}
	stream_unref(s);
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
