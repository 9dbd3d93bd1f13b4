/*
 * echo.c - the /echo/1.0.0 protocol: every byte received is sent back;
 * when the remote closes its side, we close ours after the last byte.
 *
 * Backpressure without buffering more than one read: when a write is
 * short, the rest is kept, the stream is paused (so the muxer window stops
 * opening) and resumed once the stream is writable again.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/config.h>
#include <lp2p/log.h>
#include <lp2p/plugin.h>
#include <lp2p/swarm.h>

struct echo_stream {
	uint8_t *pending; /* bytes not yet taken by the stream */
	size_t len, cap;
	bool remote_closed;
};

/* A reset we ask for ends the stream without on_close: free here. */
static void echo_abort(lp2p_stream *s, struct echo_stream *e)
{
	free(e->pending);
	free(e);
	lp2p_stream_reset(s);
}

static void echo_finish_if_done(lp2p_stream *s, struct echo_stream *e)
{
	if (e->remote_closed && e->len == 0)
		lp2p_stream_close_write(s);
}

static void echo_data(lp2p_stream *s, void *user, const uint8_t *data,
                      size_t len)
{
	struct echo_stream *e = user;
	ssize_t w = lp2p_stream_write(s, data, len);
	if (w == LP2P_EAGAIN)
		w = 0;
	if (w < 0) {
		echo_abort(s, e);
		return;
	}
	if ((size_t)w == len)
		return;
	size_t rest = len - (size_t)w;
	if (e->cap < rest) {
		uint8_t *p = realloc(e->pending, rest);
		if (!p) {
			echo_abort(s, e);
			return;
		}
		e->pending = p;
		e->cap = rest;
	}
	memcpy(e->pending, data + w, rest);
	e->len = rest;
	lp2p_stream_pause(s);
}

static void echo_writable(lp2p_stream *s, void *user)
{
	struct echo_stream *e = user;
	if (e->len == 0)
		return;
	ssize_t w = lp2p_stream_write(s, e->pending, e->len);
	if (w == LP2P_EAGAIN)
		return;
	if (w < 0) {
		echo_abort(s, e);
		return;
	}
	memmove(e->pending, e->pending + w, e->len - (size_t)w);
	e->len -= (size_t)w;
	if (e->len == 0) {
		lp2p_stream_resume(s);
		echo_finish_if_done(s, e);
	}
}

static void echo_remote_close(lp2p_stream *s, void *user)
{
	struct echo_stream *e = user;
	e->remote_closed = true;
	echo_finish_if_done(s, e);
}

static void echo_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	(void)reason;
	struct echo_stream *e = user;
	free(e->pending);
	free(e);
}

static const struct lp2p_stream_handler echo_handler = {
	.on_data = echo_data,
	.on_writable = echo_writable,
	.on_remote_close = echo_remote_close,
	.on_close = echo_close,
};

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	(void)state;
	(void)protocol;
	struct echo_stream *e = calloc(1, sizeof *e);
	if (!e)
		return LP2P_ENOMEM;
	lp2p_stream_set_handler(s, &echo_handler, e);
	return 0;
}

static int echo_check(const lp2p_config_node *cfg, char *err, size_t errlen)
{
	static const char *const keys[] = {NULL};
	return lp2p_config_check_keys(cfg, keys, err, errlen);
}

static int echo_init(lp2p_host *host, const lp2p_config_node *cfg,
                     void **state, char *err, size_t errlen)
{
	(void)host;
	(void)cfg;
	(void)err;
	(void)errlen;
	*state = NULL;
	return 0;
}

static const char *const echo_protocols[] = {"/echo/1.0.0", NULL};

LP2P_PLUGIN_EXPORT const struct lp2p_plugin_descriptor lp2p_plugin_descriptor = {
	LP2P_PLUGIN_HEADER,
	.name = "echo",
	.version = LP2P_VERSION_STRING,
	.description = "echoes every byte back (/echo/1.0.0)",
	.protocols = echo_protocols,
	.config_check = echo_check,
	.init = echo_init,
};
