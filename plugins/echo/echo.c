/*
 * echo.c - the /echo/1.0.0 protocol: every byte received is sent back;
 * when the remote closes its side, we close ours after the last byte.
 *
 * No state of its own: lp2p_stream_send() keeps what the stream cannot
 * take yet (charged to the stream's memory scope) and sends the end after
 * it.  While more than ECHO_HIWAT bytes wait, the stream is paused, so the
 * muxer window stops the peer; on_writable (the queue drained) resumes it.
 */
#include <lp2p/config.h>
#include <lp2p/log.h>
#include <lp2p/plugin.h>
#include <lp2p/swarm.h>

#define ECHO_HIWAT (256u * 1024)

static void echo_data(lp2p_stream *s, void *user, const uint8_t *data,
                      size_t len)
{
	(void)user;
	int rc = lp2p_stream_send(s, data, len);
	if (rc) {
		lp2p_stream_reset(s, rc);
		return;
	}
	if (lp2p_stream_send_queued(s) > ECHO_HIWAT)
		lp2p_stream_pause(s);
}

static void echo_writable(lp2p_stream *s, void *user)
{
	(void)user;
	lp2p_stream_resume(s);
}

static void echo_remote_close(lp2p_stream *s, void *user)
{
	(void)user;
	lp2p_stream_close_write(s); /* after the queue */
}

static const struct lp2p_stream_handler echo_handler = {
	.on_data = echo_data,
	.on_writable = echo_writable,
	.on_remote_close = echo_remote_close,
};

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	(void)state;
	(void)protocol;
	lp2p_stream_set_handler(s, &echo_handler, NULL);
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
