/*
 * stream_msg.c - a stream read as length-prefixed messages
 * (lp2p_stream_set_msg_handler, lp2p/message.h): a reader between the
 * stream's callbacks and the handler's, charged to the stream's scope,
 * freed with the stream or when the handler changes.
 */
#include <stdlib.h>

#include <lp2p/message.h>
#include <lp2p/resource.h>

#include "swarm/swarm.h"

struct lp2p_stream_msg {
	struct lp2p_msg_handler h;
	lp2p_msg_reader *reader;
	int feeding; /* inside lp2p_msg_reader_feed() */
	bool orphan; /* replaced while feeding: freed when that returns */
};

void lp2p_stream_msg_free(struct lp2p_stream_msg *m)
{
	if (!m)
		return;
	if (m->feeding) {
		m->orphan = true;
		return;
	}
	lp2p_msg_reader_free(m->reader);
	free(m);
}

static int charge(void *arg, size_t n)
{
	return lp2p_stream_reserve_memory(arg, n);
}

static void uncharge(void *arg, size_t n)
{
	lp2p_stream_release_memory(arg, n);
}

struct feed_ctx {
	struct lp2p_stream *s;
	struct lp2p_stream_msg *m;
};

/* Stop (1) once the stream ended or its handler changed. */
static int one_message(void *arg, const uint8_t *msg, size_t len)
{
	struct feed_ctx *f = arg;
	struct lp2p_stream *s = f->s;
	if (s->msg != f->m || s->state == STREAM_DEAD)
		return 1;
	if (f->m->h.on_msg) {
		int rc = f->m->h.on_msg(s, s->user, msg, len);
		if (rc < 0)
			return rc;
	}
	return s->msg != f->m || s->state == STREAM_DEAD;
}

static void msg_data(lp2p_stream *s, void *user, const uint8_t *data,
                     size_t len)
{
	(void)user;
	struct feed_ctx f = {s, s->msg};
	f.m->feeding++;
	ssize_t used = lp2p_msg_reader_feed(f.m->reader, data, len,
	                                    one_message, &f);
	f.m->feeding--;
	bool current = s->msg == f.m;
	if (f.m->orphan)
		lp2p_stream_msg_free(f.m);
	if (s->state == STREAM_DEAD)
		return;
	if (used < 0) {
		lp2p_stream_reset(s, (int)used);
		return;
	}
	/* the handler changed: the rest is the new one's */
	if (!current && (size_t)used < len && s->handler.on_data)
		s->handler.on_data(s, s->user, data + used, len - (size_t)used);
}

static void msg_writable(lp2p_stream *s, void *user)
{
	if (s->msg->h.on_writable)
		s->msg->h.on_writable(s, user);
}

static void msg_remote_close(lp2p_stream *s, void *user)
{
	if (lp2p_msg_reader_partial(s->msg->reader)) {
		lp2p_stream_reset(s, LP2P_ETRUNC);
		return;
	}
	if (s->msg->h.on_remote_close)
		s->msg->h.on_remote_close(s, user);
}

static void msg_close(lp2p_stream *s, void *user, int reason)
{
	if (s->msg->h.on_close)
		s->msg->h.on_close(s, user, reason);
}

static const struct lp2p_stream_handler msg_trampoline = {
	.on_data = msg_data,
	.on_writable = msg_writable,
	.on_remote_close = msg_remote_close,
	.on_close = msg_close,
};

LP2P_API int lp2p_stream_set_msg_handler(lp2p_stream *s,
                                         const struct lp2p_msg_handler *h,
                                         size_t max_len, void *user)
{
	if (!s || !h)
		return LP2P_EINVAL;
	if (s->state == STREAM_DEAD)
		return LP2P_ECLOSED;
	struct lp2p_stream_msg *m = calloc(1, sizeof *m);
	if (!m)
		return LP2P_ENOMEM;
	int rc = lp2p_msg_reader_new(max_len, &m->reader);
	if (rc) {
		free(m);
		return rc;
	}
	lp2p_msg_reader_charge(m->reader, charge, uncharge, s);
	m->h = *h;
	lp2p_stream_msg_free(s->msg);
	s->msg = m;
	/* held bytes, if any, are delivered through the reader now */
	lp2p_stream_install_handler(s, &msg_trampoline, user);
	return 0;
}
