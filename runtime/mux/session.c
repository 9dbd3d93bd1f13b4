/* session.c - yamux and mplex behind the session table (mux/session.h) */
#include <string.h>

#include "mux/session.h"

static int new_yamux(void **session, bool initiator,
                     const struct lp2p_mux_config *cfg,
                     const struct lp2p_mux_callbacks *cbs, void *user_data)
{
	return lp2p_mux_new((struct lp2p_mux **)session, LP2P_MUX_YAMUX,
	                    initiator ? LP2P_MUX_INITIATOR : LP2P_MUX_RESPONDER,
	                    cfg, cbs, user_data);
}

static int new_mplex(void **session, bool initiator,
                     const struct lp2p_mux_config *cfg,
                     const struct lp2p_mux_callbacks *cbs, void *user_data)
{
	return lp2p_mux_new((struct lp2p_mux **)session, LP2P_MUX_MPLEX,
	                    initiator ? LP2P_MUX_INITIATOR : LP2P_MUX_RESPONDER,
	                    cfg, cbs, user_data);
}

static void free_session(void *s)
{
	lp2p_mux_free(s);
}

static ssize_t recv_bytes(void *s, const uint8_t *buf, size_t len)
{
	return lp2p_mux_recv(s, buf, len);
}

static size_t out_peek(void *s, uint8_t **buf)
{
	return lp2p_mux_out_peek(s, buf);
}

static void out_ack(void *s, size_t n)
{
	lp2p_mux_out_ack(s, n);
}

static int open_stream(void *s, void *stream_data, uint64_t *id)
{
	return lp2p_mux_open(s, NULL, stream_data, id);
}

static ssize_t write_stream(void *s, uint64_t id, const uint8_t *data,
                            size_t len)
{
	return lp2p_mux_write(s, id, data, len);
}

static int close_stream(void *s, uint64_t id)
{
	return lp2p_mux_close(s, id);
}

static int reset_stream(void *s, uint64_t id)
{
	return lp2p_mux_reset(s, id);
}

static int consumed(void *s, uint64_t id, size_t n)
{
	return lp2p_mux_consumed(s, id, n);
}

static int goaway(void *s)
{
	return lp2p_mux_goaway(s, LP2P_YAMUX_GOAWAY_NORMAL);
}

static void trim(void *s)
{
	lp2p_mux_trim(s);
}

#define MUX_OPS                                                           \
	.free_session = free_session, .recv = recv_bytes,                 \
	.out_peek = out_peek, .out_ack = out_ack, .open = open_stream,    \
	.write = write_stream, .close = close_stream,                     \
	.reset = reset_stream, .consumed = consumed, .goaway = goaway,    \
	.trim = trim

const struct lp2p_session_ops lp2p_session_yamux = {
	.name = "yamux",
	.protocol_id = LP2P_YAMUX_PROTOCOL_ID,
	.caps = LP2P_SESSION_FLOW_CONTROL | LP2P_SESSION_PING,
	.new_session = new_yamux,
	MUX_OPS,
};

const struct lp2p_session_ops lp2p_session_mplex = {
	.name = "mplex",
	.protocol_id = LP2P_MPLEX_PROTOCOL_ID,
	.caps = 0,
	.new_session = new_mplex,
	MUX_OPS,
};

static const struct lp2p_session_ops *const sessions[] = {
	&lp2p_session_yamux,
	&lp2p_session_mplex,
};

const struct lp2p_session_ops *lp2p_session_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof sessions / sizeof *sessions; i++)
		if (strcmp(sessions[i]->name, name) == 0)
			return sessions[i];
	return NULL;
}

const struct lp2p_session_ops *lp2p_session_by_protocol(const char *id)
{
	for (size_t i = 0; i < sizeof sessions / sizeof *sessions; i++)
		if (strcmp(sessions[i]->protocol_id, id) == 0)
			return sessions[i];
	return NULL;
}
