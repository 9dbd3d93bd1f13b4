/*
 * stream_send.c - our end of a stream: writes into the muxed session,
 * lp2p_stream_send's queue of what the session did not take yet, and our
 * FIN (which waits for that queue, and for an optimistic open's answer).
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>
#include <lp2p/message.h>

#include "swarm/stream_internal.h"

/* Our FIN is on its way (not waiting for the send queue or, for an
 * optimistic open, the listener's answer). */
bool lp2p_stream_fin_sent(const struct lp2p_stream *s)
{
	return s->local_closed && !s->fin_after_drain && !s->optimistic;
}

/*
 * Our FIN goes now, or after the send queue.  Returns 0, or the error
 * that ended the stream.  With the remote's end already here the stream
 * ends (not yet told because paused: lp2p_stream_resume() tells, then
 * ends).
 */
int lp2p_stream_send_fin(struct lp2p_stream *s)
{
	if (lp2p_buf_avail(&s->sendq)) {
		s->fin_after_drain = true;
		return 0;
	}
	s->fin_after_drain = false;
	int rc = s->conn->mx->close(s->conn->mux, s->mux_id);
	lp2p_swarm_mark_dirty(s->conn);
	if (rc && rc != LP2P_ECLOSED) {
		lp2p_stream_finish(s, rc, true);
		return rc;
	}
	if (s->remote_closed && (!s->paused || s->remote_close_told) &&
	    lp2p_buf_avail(&s->held) == 0)
		lp2p_stream_finish(s, 0, true);
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
bool lp2p_stream_drain_sendq(struct lp2p_stream *s)
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
			lp2p_stream_finish(s, w == LP2P_ENOTFOUND ? LP2P_ECLOSED
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
		lp2p_stream_send_fin(s);
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
		lp2p_stream_finish(s, rc, false);
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
	return lp2p_stream_send_fin(s);
}
