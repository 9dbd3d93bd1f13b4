/*
 * stream_negotiate.c - a stream's protocol: multistream-select on each
 * new stream, the scopes it moves to once the protocol is known, the hand
 * over to a plugin or an opener, optimistic opens, and outbound opens
 * waiting for the muxed session to take them.
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>
#include <lp2p/message.h>

#include "swarm/stream_internal.h"

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

void lp2p_stream_open_wait_unlink(struct lp2p_stream *s)
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

void lp2p_stream_flush_mss(struct lp2p_stream *s)
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

bool lp2p_stream_select_protocol(void *user, const char *proto, size_t len)
{
	(void)len;
	struct lp2p_stream *s = user;
	struct lp2p_swarm *sw = s->conn->sw;
	const char *plugin;
	return sw->cb->route(sw->cb_arg, proto, &plugin);
}

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
		lp2p_stream_finish(s, LP2P_ENOMEM, false);
		return;
	}
	/* counted before the plugin sees it: it may close it at once */
	int rc = stream_to_protocol(s, proto);
	if (rc) {
		/* an outbound open fails through its callback */
		lp2p_stream_finish(s, rc, false);
		return;
	}
	s->state = STREAM_OPEN;
	s->notify_close = true;
	lp2p_stream_deadline_arm(s);
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
		lp2p_stream_finish(s, rc, false);
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
		lp2p_stream_finish(s, rc, false);
		return rc;
	}
	lp2p_mss_out_ack(s->mss, n);
	return 0;
}

/* Bytes for a negotiating stream. */
void lp2p_stream_negotiate_data(struct lp2p_stream *s, const uint8_t *data,
                           size_t len)
{
	struct lp2p_conn *c = s->conn;
	ssize_t used = lp2p_mss_recv(s->mss, data, len);
	if (used < 0) {
		lp2p_log(LP2P_LOG_DEBUG, "stream negotiation failed: %s",
		         lp2p_strerror((int)used));
		lp2p_stream_flush_mss(s); /* a last "na" may help the peer */
		lp2p_stream_finish(s, (int)used, false);
		return;
	}
	/* negotiation bytes are ours: re-open the window for them */
	if (used)
		c->mx->consumed(c->mux, s->mux_id, (size_t)used);
	lp2p_stream_flush_mss(s);
	const char *proto;
	int st = lp2p_mss_result(s->mss, &proto, NULL);
	if (st == LP2P_EAGAIN) {
		if ((size_t)used < len) { /* output full: cannot happen */
			lp2p_stream_finish(s, LP2P_EPROTO, false);
		}
		return;
	}
	if (!s->optimistic && keep_mss_output(s))
		return;
	if (s->optimistic) {
		/* the listener confirmed what we already use */
		s->optimistic = false;
		ev_timer_stop(c->sw->loop->ev, &s->timer);
		lp2p_stream_deadline_arm(s);
		if (s->local_closed && lp2p_stream_send_fin(s) < 0)
			return; /* the FIN that waited */
	} else {
		negotiated(s, proto);
		if (s->state != STREAM_OPEN)
			return;
	}
	lp2p_mss_free(s->mss);
	s->mss = NULL;
	if ((size_t)used < len)
		lp2p_stream_deliver(s, data + used, len - (size_t)used);
}

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
	lp2p_stream_ref(s);
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
	int rc = lp2p_stream_new(c, LP2P_OUTBOUND, &s);
	if (rc)
		return rc;
	s->proposals = calloc(n, sizeof *s->proposals);
	if (!s->proposals) {
		lp2p_stream_discard(s);
		return LP2P_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		s->proposals[i] = strdup(protocols[i]);
		s->nproposals++;
		if (!s->proposals[i]) {
			lp2p_stream_discard(s);
			return LP2P_ENOMEM;
		}
	}
	rc = lp2p_mss_dialer_new(&s->mss, (const char *const *)s->proposals,
	                         n);
	if (rc) {
		lp2p_stream_discard(s);
		return rc;
	}
	/* Behind waiting opens this one waits too: they go in order. */
	rc = c->open_wait_head ? LP2P_EAGAIN
	                       : c->mx->open(c->mux, s, &s->mux_id);
	if (rc && rc != LP2P_EAGAIN) {
		lp2p_stream_discard(s);
		return rc;
	}
	s->open_cb = cb;
	s->open_arg = arg;
	/* the negotiation timer covers the wait too */
	lp2p_stream_link(s);
	if (rc == LP2P_EAGAIN) {
		/* the muxer calls on_open_room when it can take it */
		s->state = STREAM_WAITING;
		open_wait_append(s);
		return 0;
	}
	lp2p_stream_flush_mss(s);
	if (n == 1)
		try_optimistic(s, protocols[0]);
	return 0;
}
