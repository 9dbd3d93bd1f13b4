/*
 * mplex.c - the mplex framer (/mplex/6.7.0).
 *
 * A frame: varint (stream id << 3 | flag), varint length, payload.  Flags:
 * NewStream 0 (payload: a name), Message 1/2, Close 3/4, Reset 5/6 (the
 * odd ones sent by the receiver of the stream, the even ones by its
 * initiator).  Both peers number their streams from 0, so a stream is
 * keyed by (wire id << 1 | opened by the peer).
 *
 * Choices:
 *  - A length above 1 MiB (the spec's message limit) or flag 7 is a
 *    protocol error, detected from the header before any payload; a
 *    NewStream for an id the peer already has open too.
 *  - Payload is delivered as it arrives.  mplex has no flow control, so a
 *    Message that would take a stream's unconsumed bytes above
 *    cfg.max_unconsumed resets the stream (on_stream_reset LP2P_ELIMIT),
 *    as does a Message after the peer's Close (LP2P_EPROTO).
 *  - Names beyond LP2P_MPLEX_MAX_NAME bytes are cut (they are debug aids).
 *  - There is no GoAway and no ping: lp2p_mux_goaway() only refuses new
 *    streams; a fatal error writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/varint.h>

#include "mux/mux_impl.h"

enum {
	M_NEW = 0,
	M_MSG_RECEIVER = 1,
	M_MSG_INITIATOR = 2,
	M_CLOSE_RECEIVER = 3,
	M_CLOSE_INITIATOR = 4,
	M_RESET_RECEIVER = 5,
	M_RESET_INITIATOR = 6,
};

#define MPLEX_MAX_ID ((UINT64_C(1) << 60) - 1)

static uint64_t wire_id(const struct mux_stream *s)
{
	return s->id >> 1;
}

/* Our flag for a frame kind on s: the initiator's variant is one more. */
static uint8_t our_flag(const struct mux_stream *s, uint8_t receiver_flag)
{
	return (uint8_t)(receiver_flag + (s->outbound ? 1 : 0));
}

/* Append a frame header with room for payload bytes; NULL if no room. */
static uint8_t *frame(struct lp2p_mux *m, uint64_t id, uint8_t flag,
                      size_t payload, bool data)
{
	uint64_t h = id << 3 | flag; /* < 2^63: ids are < 2^60 */
	size_t hl = lp2p_varint_len(h), ll = lp2p_varint_len(payload);
	uint8_t *p = mux_out_append(m, hl + ll + payload, data);
	if (!p)
		return NULL;
	lp2p_varint_encode(h, p, hl);
	lp2p_varint_encode(payload, p + hl, ll);
	return p + hl + ll;
}

static int mplex_open(struct lp2p_mux *m, const char *name,
                      struct mux_stream **out)
{
	char idname[24];
	if (m->next_id > MPLEX_MAX_ID)
		return LP2P_ELIMIT;
	if (!name) {
		snprintf(idname, sizeof(idname), "%llu",
		         (unsigned long long)m->next_id);
		name = idname;
	}
	size_t nlen = strlen(name);
	if (nlen > LP2P_MPLEX_MAX_NAME)
		return LP2P_EINVAL;
	if (mux_ctl_room(m) < MPLEX_MAX_HEADER + nlen)
		return LP2P_EAGAIN;
	struct mux_stream *s = mux_stream_add(m, m->next_id << 1, true);
	if (!s)
		return LP2P_ENOMEM;
	s->acked = true; /* mplex has no ACK */
	uint8_t *p = frame(m, m->next_id, M_NEW, nlen, false);
	if (!p) {
		mux_stream_forget(m, s);
		return LP2P_EAGAIN; /* the output could not grow */
	}
	memcpy(p, name, nlen);
	m->next_id++;
	*out = s;
	return 0;
}

static ssize_t mplex_write(struct lp2p_mux *m, struct mux_stream *s,
                           const uint8_t *data, size_t len)
{
	uint8_t flag = our_flag(s, M_MSG_RECEIVER);
	/* the length varint of a frame up to 1 MiB takes 3 bytes */
	size_t hdr = lp2p_varint_len(wire_id(s) << 3 | flag) + 3;
	size_t done = 0;
	while (done < len) {
		size_t room = mux_data_room(m);
		if (room <= hdr)
			break;
		size_t chunk = len - done;
		if (chunk > m->cfg.max_frame)
			chunk = m->cfg.max_frame;
		if (chunk > room - hdr)
			chunk = room - hdr;
		uint8_t *p = frame(m, wire_id(s), flag, chunk, true);
		if (!p)
			break;
		memcpy(p, data + done, chunk);
		done += chunk;
	}
	return (ssize_t)done;
}

static bool mplex_flush_stream(struct lp2p_mux *m, struct mux_stream *s)
{
	if (s->need_rst) {
		if (!frame(m, wire_id(s), our_flag(s, M_RESET_RECEIVER), 0,
		           false))
			return false;
		s->need_rst = s->need_fin = false;
		return true;
	}
	if (s->need_fin) {
		if (!frame(m, wire_id(s), our_flag(s, M_CLOSE_RECEIVER), 0,
		           false))
			return false;
		s->need_fin = false;
	}
	return true;
}

static void mplex_consumed(struct lp2p_mux *m, struct mux_stream *s, size_t n)
{
	(void)m;
	(void)s;
	(void)n; /* no flow control: only the unconsumed count matters */
}

static bool mplex_can_send(const struct lp2p_mux *m, const struct mux_stream *s)
{
	(void)m;
	(void)s;
	return true;
}

/* Room for a NewStream with the longest name: the one that failed is not
 * known here, and an output that drains always has that much. */
static bool mplex_can_open(const struct lp2p_mux *m)
{
	return mux_ctl_room(m) >= MPLEX_MAX_HEADER + LP2P_MPLEX_MAX_NAME;
}

static void mplex_flush_session(struct lp2p_mux *m)
{
	(void)m;
}

static int mplex_ping(struct lp2p_mux *m, uint32_t opaque)
{
	(void)m;
	(void)opaque;
	return LP2P_ENOTSUP;
}

static void mplex_goaway(struct lp2p_mux *m, uint32_t code)
{
	(void)m;
	(void)code;
}

static void mplex_fatal(struct lp2p_mux *m)
{
	(void)m;
}

/* ---- input ---- */

static void new_stream(struct lp2p_mux *m)
{
	struct mplex_rx *r = &m->rx.p;
	uint64_t key = r->key;
	if (m->goaway_sent || !m->cb->on_stream_open ||
	    m->ninbound >= m->cfg.max_inbound_streams) {
		mux_refuse(m, key);
		return;
	}
	struct mux_stream *s = mux_stream_add(m, key, false);
	if (!s) {
		mux_refuse(m, key);
		return;
	}
	void *data = NULL;
	int rc = m->cb->on_stream_open(m->user_data, key,
	                               r->name ? r->name : "", r->name_len,
	                               &data);
	s = mux_stream_find(m, key); /* the callback may have reset it */
	if (!s)
		return;
	if (data)
		s->data = data;
	if (rc < 0)
		mux_stream_reset(m, s);
}

/* The session resets s because of the peer (err for on_stream_reset). */
static void kill_stream(struct lp2p_mux *m, struct mux_stream *s, int err)
{
	s->need_rst = true;
	mux_stream_dead(m, s, err);
}

static int on_header(struct lp2p_mux *m, uint64_t h, uint64_t length)
{
	struct mplex_rx *r = &m->rx.p;
	uint8_t flag = (uint8_t)(h & 7);
	uint64_t id = h >> 3;
	if (flag > M_RESET_INITIATOR || length > MPLEX_MAX_MESSAGE)
		return LP2P_EPROTO;
	r->flag = flag;
	r->left = (uint32_t)length;
	/* Frames sent by a stream's initiator concern the peer's streams. */
	bool theirs = flag == M_NEW || (flag % 2) == 0;
	r->key = id << 1 | (theirs ? 1 : 0);
	m->rx_stream = NULL;
	if (flag == M_NEW) {
		if (mux_stream_find(m, r->key))
			return LP2P_EPROTO;
		/* the payload is the name: room for what of it is kept */
		size_t keep = length < LP2P_MPLEX_MAX_NAME
		                      ? (size_t)length
		                      : LP2P_MPLEX_MAX_NAME;
		r->name_len = 0;
		if (keep && !(r->name = malloc(keep)))
			return LP2P_ENOMEM;
		return 0;
	}
	if (flag != M_MSG_RECEIVER && flag != M_MSG_INITIATOR)
		return 0; /* Close, Reset: acted on at the frame's end */
	struct mux_stream *s = mux_stream_find(m, r->key);
	if (!s || length == 0)
		return 0;
	if (s->remote_closed)
		kill_stream(m, s, LP2P_EPROTO);
	else if (s->unconsumed + length > m->cfg.max_unconsumed)
		kill_stream(m, s, LP2P_ELIMIT);
	else
		m->rx_stream = s;
	return 0;
}

static void on_payload(struct lp2p_mux *m, const uint8_t *p, size_t n)
{
	struct mplex_rx *r = &m->rx.p;
	if (r->flag == M_NEW) {
		size_t keep = LP2P_MPLEX_MAX_NAME - r->name_len;
		if (keep > n)
			keep = n;
		memcpy(r->name + r->name_len, p, keep);
		r->name_len += keep;
	} else if (m->rx_stream) {
		mux_deliver(m, m->rx_stream, p, n);
	}
}

static void on_frame_end(struct lp2p_mux *m)
{
	struct mplex_rx *r = &m->rx.p;
	struct mux_stream *s;
	m->rx_stream = NULL;
	switch (r->flag) {
	case M_NEW:
		new_stream(m);
		free(r->name);
		r->name = NULL;
		break;
	case M_CLOSE_RECEIVER:
	case M_CLOSE_INITIATOR:
		s = mux_stream_find(m, r->key);
		if (s && !s->remote_closed)
			mux_remote_fin(m, s);
		break;
	case M_RESET_RECEIVER:
	case M_RESET_INITIATOR:
		s = mux_stream_find(m, r->key);
		if (s)
			mux_stream_dead(m, s, LP2P_ERESET);
		break;
	}
}

static ssize_t mplex_recv(struct lp2p_mux *m, const uint8_t *buf, size_t len)
{
	struct mplex_rx *r = &m->rx.p;
	size_t pos = 0;
	while (pos < len) {
		if (r->have_header) {
			size_t take = len - pos;
			if (take > r->left)
				take = r->left;
			r->left -= (uint32_t)take;
			on_payload(m, buf + pos, take);
			pos += take;
			if (r->left == 0) {
				r->have_header = false;
				on_frame_end(m);
			}
			continue;
		}
		/* Each frame may answer at once (a Reset): keep room. */
		if (r->hdr_len == 0 && mux_ctl_room(m) < MUX_RECV_RESERVE)
			break;
		r->hdr[r->hdr_len++] = buf[pos++];
		uint64_t h, length;
		int a = lp2p_varint_decode(r->hdr, r->hdr_len, &h);
		if (a == LP2P_ETRUNC)
			continue;
		if (a < 0)
			return mux_fail(m, a);
		int b = lp2p_varint_decode(r->hdr + a, r->hdr_len - (size_t)a,
		                           &length);
		if (b == LP2P_ETRUNC)
			continue;
		if (b < 0)
			return mux_fail(m, b);
		r->hdr_len = 0;
		int rc = on_header(m, h, length);
		if (rc < 0)
			return mux_fail(m, rc);
		if (r->left > 0) {
			r->have_header = true;
		} else {
			on_frame_end(m);
		}
	}
	return (ssize_t)pos;
}

const struct mux_ops lp2p_mplex_ops = {
    .recv = mplex_recv,
    .open = mplex_open,
    .write = mplex_write,
    .flush_stream = mplex_flush_stream,
    .consumed = mplex_consumed,
    .can_send = mplex_can_send,
    .can_open = mplex_can_open,
    .flush_session = mplex_flush_session,
    .ping = mplex_ping,
    .goaway = mplex_goaway,
    .fatal = mplex_fatal,
};
