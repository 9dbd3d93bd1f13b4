/*
 * stream_mux.c - what the muxed session tells the streams (its callback
 * table): a new inbound stream, data, the remote's end, a reset, room to
 * write or to open, the peer going away.
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>
#include <lp2p/message.h>

#include "swarm/stream_internal.h"

static int mux_on_open(void *user_data, uint64_t id, const char *name,
                       size_t name_len, void **stream_data)
{
	(void)name;
	(void)name_len;
	struct lp2p_conn *c = user_data;
	if (c->state != CONN_READY)
		return LP2P_ECLOSED;
	struct lp2p_stream *s;
	int rc = lp2p_stream_new(c, LP2P_INBOUND, &s);
	if (rc)
		return rc;
	s->mux_id = id;
	if (lp2p_mss_listener_new(&s->mss, lp2p_stream_select_protocol, s, 0)) {
		lp2p_stream_discard(s);
		return LP2P_ENOMEM;
	}
	lp2p_stream_link(s);
	*stream_data = s;
	/* The header goes out once the SYN is answered; the muxer accepts
	 * writes on a just-opened stream. */
	lp2p_stream_flush_mss(s);
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
	lp2p_stream_ref(s);
	if (s->state == STREAM_NEGOTIATING || s->optimistic)
		lp2p_stream_negotiate_data(s, data, len);
	else
		lp2p_stream_deliver(s, data, len);
	lp2p_stream_unref(s);
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
		lp2p_stream_finish(s, LP2P_ECLOSED, false);
		return;
	}
	if (s->optimistic) {
		/* closed without confirming the protocol */
		lp2p_stream_finish(s, LP2P_ENEGOTIATE, false);
		return;
	}
	lp2p_stream_ref(s);
	/* Held data first, then the end. */
	if (!s->paused && s->handler.on_remote_close) {
		s->remote_close_told = true;
		s->handler.on_remote_close(s, s->user);
	}
	/* not yet told (paused): lp2p_stream_resume() tells, then ends */
	if (s->state != STREAM_DEAD && lp2p_stream_fin_sent(s) &&
	    (!s->paused || s->remote_close_told) &&
	    lp2p_buf_avail(&s->held) == 0)
		lp2p_stream_finish(s, 0, true);
	lp2p_stream_unref(s);
}

static void mux_on_reset(void *user_data, uint64_t id, void *stream_data,
                         int err)
{
	(void)id;
	(void)user_data;
	struct lp2p_stream *s = stream_data;
	if (!s || s->state == STREAM_DEAD)
		return;
	lp2p_stream_finish(s, err ? err : LP2P_ERESET, true);
}

static void mux_on_writable(void *user_data, uint64_t id, void *stream_data)
{
	(void)id;
	(void)user_data;
	struct lp2p_stream *s = stream_data;
	if (!s || s->state == STREAM_DEAD)
		return;
	if (s->mss) {
		lp2p_stream_flush_mss(s);
		return;
	}
	if (lp2p_buf_avail(&s->sendq) && !lp2p_stream_drain_sendq(s))
		return; /* more to send, or the end went out */
	if (s->handler.on_writable && !s->local_closed) {
		lp2p_stream_ref(s);
		s->handler.on_writable(s, s->user);
		lp2p_stream_unref(s);
	}
}

static void mux_on_goaway(void *user_data, uint32_t code)
{
	struct lp2p_conn *c = user_data;
	lp2p_log(LP2P_LOG_DEBUG, "connection %llu: peer sent GoAway(%u)",
	         (unsigned long long)c->id, code);
	/* no stream can be opened any more */
	while (c->open_wait_head)
		lp2p_stream_finish(c->open_wait_head, LP2P_ECLOSED, true);
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
			lp2p_stream_finish(s, rc, true);
			continue;
		}
		lp2p_stream_open_wait_unlink(s);
		s->mux_id = id;
		s->state = STREAM_NEGOTIATING;
		lp2p_stream_flush_mss(s);
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
