/*
 * echo.c - the /echo/1.0.0 protocol: every byte received is sent back;
 * when the remote closes its side, we close ours after the last byte.
 *
 * That is lp2p_stream_echo() with units of one byte (lp2p/service.h): what
 * the stream cannot take yet waits in its send queue (charged to its
 * memory scope), the stream is paused while much waits, so the muxer
 * window stops the peer, and the end goes after the last byte.
 */
#include <lp2p/config.h>
#include <lp2p/log.h>
#include <lp2p/plugin.h>
#include <lp2p/service.h>
#include <lp2p/swarm.h>

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	(void)state;
	(void)protocol;
	return lp2p_stream_echo(s, 1);
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
