/*
 * yamux.c - the yamux framer (hashicorp spec, /yamux/1.0.0).
 *
 * Frame header (12 bytes, big endian): version 0, type (Data, Window
 * Update, Ping, GoAway), flags (SYN, ACK, FIN, RST), stream id, length.
 *
 * Choices (see mux.h for the limits):
 *  - Opening a stream sends a Window Update with SYN at once (as js-libp2p
 *    does); an accepted inbound stream is ACKed as soon as on_stream_open
 *    returns, folded into the first data frame if the callback writes.
 *    Refused streams get a RST, so there is no inbound ACK backlog.
 *  - The receive window is fixed at cfg.window (no auto-tuning; go and
 *    rust grow theirs up to 16 MiB).  A window above 256 KiB is announced
 *    in the SYN/ACK window update.  Consumed bytes are announced in one
 *    update once they reach half the window (as go-yamux does).
 *  - Data payload is delivered as it arrives, never buffered; a frame
 *    larger than the stream's remaining receive window, data after the
 *    peer's FIN, a window overflowing 32 bits, a SYN for a stream that is
 *    open or of our parity, Ping or GoAway off stream 0, Data or Window
 *    Update on stream 0, a Ping without SYN or ACK, an unknown type or a
 *    version other than 0 are protocol errors: GoAway(protocol error).
 *  - Frames for unknown (closed or reset) streams are ignored, their
 *    payload skipped.  Unknown flag bits are ignored.
 */
#include <string.h>

#include "mux/mux_impl.h"

enum { Y_DATA = 0, Y_WINDOW = 1, Y_PING = 2, Y_GOAWAY = 3 };
enum { F_SYN = 1, F_ACK = 2, F_FIN = 4, F_RST = 8 };

/* Append a frame header (and room for payload bytes); NULL if no room. */
static uint8_t *frame(struct lp2p_mux *m, uint8_t type, uint16_t flags,
                      uint32_t id, uint32_t length, size_t payload, bool data)
{
	uint8_t *p = mux_out_append(m, YAMUX_HEADER_LEN + payload, data);
	if (!p)
		return NULL;
	p[0] = 0;
	p[1] = type;
	p[2] = (uint8_t)(flags >> 8);
	p[3] = (uint8_t)flags;
	mux_put_be32(p + 4, id);
	mux_put_be32(p + 8, length);
	return p + YAMUX_HEADER_LEN;
}

static int yamux_open(struct lp2p_mux *m, const char *name,
                      struct mux_stream **out)
{
	(void)name;
	if (m->backlog >= m->cfg.max_ack_backlog)
		return LP2P_EAGAIN;
	if (m->next_id > UINT32_MAX)
		return LP2P_ELIMIT;
	if (mux_ctl_room(m) < YAMUX_HEADER_LEN)
		return LP2P_EAGAIN;
	struct mux_stream *s = mux_stream_add(m, m->next_id, true);
	if (!s)
		return LP2P_ENOMEM;
	m->backlog++;
	s->send_window = YAMUX_INITIAL_WINDOW;
	s->recv_avail = m->cfg.window;
	if (!frame(m, Y_WINDOW, F_SYN, (uint32_t)s->id,
	           m->cfg.window - YAMUX_INITIAL_WINDOW, 0, false)) {
		mux_stream_forget(m, s);
		return LP2P_EAGAIN; /* the output could not grow */
	}
	m->next_id += 2;
	*out = s;
	return 0;
}

static ssize_t yamux_write(struct lp2p_mux *m, struct mux_stream *s,
                           const uint8_t *data, size_t len)
{
	size_t done = 0;
	while (done < len && s->send_window > 0) {
		size_t room = mux_data_room(m);
		if (room <= YAMUX_HEADER_LEN)
			break;
		size_t chunk = len - done;
		if (chunk > m->cfg.max_frame)
			chunk = m->cfg.max_frame;
		if (chunk > s->send_window)
			chunk = s->send_window;
		if (chunk > room - YAMUX_HEADER_LEN)
			chunk = room - YAMUX_HEADER_LEN;
		uint16_t flags = s->need_ack ? F_ACK : 0;
		uint8_t *p = frame(m, Y_DATA, flags, (uint32_t)s->id,
		                   (uint32_t)chunk, chunk, true);
		if (!p)
			break;
		s->need_ack = false;
		memcpy(p, data + done, chunk);
		done += chunk;
		s->send_window -= (uint32_t)chunk;
	}
	return (ssize_t)done;
}

static bool yamux_flush_stream(struct lp2p_mux *m, struct mux_stream *s)
{
	if (s->need_rst) {
		if (!frame(m, Y_WINDOW, F_RST, (uint32_t)s->id, 0, 0, false))
			return false;
		s->need_rst = s->need_fin = s->need_ack = s->need_wnd = false;
		return true;
	}
	uint16_t flags = (s->need_ack ? F_ACK : 0) | (s->need_fin ? F_FIN : 0);
	bool announce = s->need_wnd || s->delta >= m->cfg.window / 2;
	if (!flags && !announce)
		return true;
	/* Any frame we send carries the whole consumed delta. */
	if (!frame(m, Y_WINDOW, flags, (uint32_t)s->id, s->delta, 0, false))
		return false;
	s->recv_avail += s->delta;
	s->delta = 0;
	s->need_ack = s->need_fin = s->need_wnd = false;
	return true;
}

static void yamux_consumed(struct lp2p_mux *m, struct mux_stream *s, size_t n)
{
	/* After the peer's FIN no data comes: no window to re-open. */
	if (s->remote_closed)
		return;
	s->delta += (uint32_t)n;
	if (s->delta >= m->cfg.window / 2)
		mux_stream_ctl(m, s);
}

static bool yamux_can_send(const struct lp2p_mux *m, const struct mux_stream *s)
{
	(void)m;
	return s->send_window > 0;
}

static bool yamux_can_open(const struct lp2p_mux *m)
{
	return m->backlog < m->cfg.max_ack_backlog &&
	       mux_ctl_room(m) >= YAMUX_HEADER_LEN;
}

static void yamux_flush_session(struct lp2p_mux *m)
{
	struct yamux_rx *y = &m->rx.y;
	if (!m->err && y->pong_pending &&
	    frame(m, Y_PING, F_ACK, 0, y->pong_opaque, 0, false))
		y->pong_pending = false;
	if (!m->err && y->ping_pending &&
	    frame(m, Y_PING, F_SYN, 0, y->ping_opaque, 0, false))
		y->ping_pending = false;
	if (y->goaway_pending &&
	    frame(m, Y_GOAWAY, 0, 0, y->goaway_code, 0, false))
		y->goaway_pending = false;
}

static int yamux_ping(struct lp2p_mux *m, uint32_t opaque)
{
	struct yamux_rx *y = &m->rx.y;
	if (y->ping_pending)
		return LP2P_EAGAIN;
	if (!frame(m, Y_PING, F_SYN, 0, opaque, 0, false)) {
		y->ping_pending = true;
		y->ping_opaque = opaque;
	}
	return 0;
}

static void send_goaway(struct lp2p_mux *m, uint32_t code)
{
	struct yamux_rx *y = &m->rx.y;
	if (frame(m, Y_GOAWAY, 0, 0, code, 0, false))
		return;
	y->goaway_pending = true;
	y->goaway_code = code;
}

static void yamux_goaway(struct lp2p_mux *m, uint32_t code)
{
	send_goaway(m, code);
}

static void yamux_fatal(struct lp2p_mux *m)
{
	send_goaway(m, m->err == LP2P_EPROTO ? LP2P_YAMUX_GOAWAY_PROTOCOL
	                                     : LP2P_YAMUX_GOAWAY_INTERNAL);
}

/* ---- input ---- */

/* FIN/RST of a frame, once its payload (if any) was delivered. */
static void apply_flags(struct lp2p_mux *m, struct mux_stream *s,
                        uint16_t flags)
{
	if (flags & F_RST)
		mux_stream_dead(m, s, LP2P_ERESET);
	else if ((flags & F_FIN) && !s->remote_closed)
		mux_remote_fin(m, s);
}

/* A SYN for id: the new stream, or NULL if refused. */
static int inbound_syn(struct lp2p_mux *m, uint32_t id, struct mux_stream **out)
{
	uint32_t our_parity = m->role == LP2P_MUX_INITIATOR ? 1 : 0;
	*out = NULL;
	if ((id & 1) == our_parity || mux_stream_find(m, id))
		return LP2P_EPROTO;
	if (m->goaway_sent || m->goaway_recv || !m->cb->on_stream_open ||
	    m->ninbound >= m->cfg.max_inbound_streams) {
		mux_refuse(m, id);
		return 0;
	}
	struct mux_stream *s = mux_stream_add(m, id, false);
	if (!s) {
		mux_refuse(m, id);
		return 0;
	}
	s->send_window = YAMUX_INITIAL_WINDOW;
	s->recv_avail = YAMUX_INITIAL_WINDOW;
	s->delta = m->cfg.window - YAMUX_INITIAL_WINDOW;
	s->need_wnd = s->delta > 0;
	s->need_ack = true;
	void *data = NULL;
	int rc = m->cb->on_stream_open(m->user_data, id, "", 0, &data);
	s = mux_stream_find(m, id); /* the callback may have reset it */
	if (!s)
		return 0;
	if (data)
		s->data = data;
	if (rc < 0) {
		mux_stream_reset(m, s);
		return 0;
	}
	mux_stream_ctl(m, s); /* the ACK, unless a data frame carried it */
	*out = mux_stream_find(m, id);
	return 0;
}

static int stream_frame(struct lp2p_mux *m, uint8_t type, uint16_t flags,
                        uint32_t id, uint32_t length)
{
	struct yamux_rx *y = &m->rx.y;
	struct mux_stream *s;
	/* The opener cannot have heard of a window above the spec's
	 * initial one yet: the SYN's own data must fit that. */
	if ((flags & F_SYN) && type == Y_DATA && length > YAMUX_INITIAL_WINDOW)
		return LP2P_EPROTO;
	if (flags & F_SYN) {
		int rc = inbound_syn(m, id, &s);
		if (rc < 0)
			return rc;
	} else {
		s = mux_stream_find(m, id);
	}
	if (type == Y_DATA) {
		y->left = length;
		y->flags = flags;
		m->rx_stream = NULL;
	}
	if (!s)
		return 0; /* unknown or refused: skip */
	if ((flags & F_ACK) && s->outbound && !s->acked) {
		s->acked = true;
		m->backlog--;
	}
	if (type == Y_WINDOW) {
		if ((uint64_t)s->send_window + length > UINT32_MAX)
			return LP2P_EPROTO;
		s->send_window += length;
		if (length > 0) {
			mux_notify_writable(m, s);
			s = mux_stream_find(m, id);
		}
		if (s)
			apply_flags(m, s, flags);
		return 0;
	}
	if (length > 0 && s->remote_closed)
		return LP2P_EPROTO;
	if (length > s->recv_avail)
		return LP2P_EPROTO;
	s->recv_avail -= length;
	m->rx_stream = s;
	return 0;
}

static int session_frame(struct lp2p_mux *m, uint8_t type, uint16_t flags,
                         uint32_t length)
{
	struct yamux_rx *y = &m->rx.y;
	if (type == Y_GOAWAY) {
		m->goaway_recv = true;
		if (m->cb->on_goaway)
			m->cb->on_goaway(m->user_data, length);
		return 0;
	}
	if (flags & F_SYN) {
		/* The receive reserve leaves room; else answer later. */
		if (!frame(m, Y_PING, F_ACK, 0, length, 0, false)) {
			y->pong_pending = true;
			y->pong_opaque = length;
		}
		return 0;
	}
	if (flags & F_ACK) {
		if (m->cb->on_ping_ack)
			m->cb->on_ping_ack(m->user_data, length);
		return 0;
	}
	return LP2P_EPROTO;
}

static int on_header(struct lp2p_mux *m)
{
	const uint8_t *h = m->rx.y.hdr;
	uint8_t type = h[1];
	uint16_t flags = (uint16_t)(h[2] << 8 | h[3]);
	uint32_t id = mux_get_be32(h + 4);
	uint32_t length = mux_get_be32(h + 8);
	if (h[0] != 0)
		return LP2P_EPROTO;
	switch (type) {
	case Y_DATA:
	case Y_WINDOW:
		if (id == 0)
			return LP2P_EPROTO;
		return stream_frame(m, type, flags, id, length);
	case Y_PING:
	case Y_GOAWAY:
		if (id != 0)
			return LP2P_EPROTO;
		return session_frame(m, type, flags, length);
	default: return LP2P_EPROTO;
	}
}

static void data_end(struct lp2p_mux *m)
{
	struct mux_stream *s = m->rx_stream;
	m->rx_stream = NULL;
	if (s)
		apply_flags(m, s, m->rx.y.flags);
}

static ssize_t yamux_recv(struct lp2p_mux *m, const uint8_t *buf, size_t len)
{
	struct yamux_rx *y = &m->rx.y;
	size_t pos = 0;
	while (pos < len) {
		if (y->left > 0) {
			size_t take = len - pos;
			if (take > y->left)
				take = y->left;
			y->left -= (uint32_t)take;
			if (m->rx_stream)
				mux_deliver(m, m->rx_stream, buf + pos, take);
			pos += take;
			if (y->left == 0)
				data_end(m);
			continue;
		}
		/* Each frame may answer at once (RST, pong): keep room. */
		if (y->hdr_len == 0 && mux_ctl_room(m) < MUX_RECV_RESERVE)
			break;
		size_t take = YAMUX_HEADER_LEN - y->hdr_len;
		if (take > len - pos)
			take = len - pos;
		memcpy(y->hdr + y->hdr_len, buf + pos, take);
		y->hdr_len += take;
		pos += take;
		if (y->hdr_len < YAMUX_HEADER_LEN)
			break;
		y->hdr_len = 0;
		int rc = on_header(m);
		if (rc < 0)
			return mux_fail(m, rc);
		if (y->hdr[1] == Y_DATA && y->left == 0)
			data_end(m);
	}
	return (ssize_t)pos;
}

const struct mux_ops lp2p_yamux_ops = {
    .recv = yamux_recv,
    .open = yamux_open,
    .write = yamux_write,
    .flush_stream = yamux_flush_stream,
    .consumed = yamux_consumed,
    .can_send = yamux_can_send,
    .can_open = yamux_can_open,
    .flush_session = yamux_flush_session,
    .ping = yamux_ping,
    .goaway = yamux_goaway,
    .fatal = yamux_fatal,
};
