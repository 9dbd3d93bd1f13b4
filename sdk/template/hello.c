/*
 * hello.c - a small lp2p protocol plugin, the starting point for your own.
 *
 * /hello/1.0.0: the asker sends its name as one length-prefixed message;
 * the answerer replies with one message, "<greeting>, <name>", and closes.
 * With `greet` set to a multiaddr ending in /p2p/<id>, the plugin also
 * asks that peer once at start and logs the answer.
 *
 * Build it against an installed lp2p with `make` (uses pkg-config), install
 * with `make install`, and enable it in lp2pd.yaml:
 *
 *     plugins:
 *       hello:
 *         greeting: "hi there"
 *         greet: /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW...   # optional
 *
 * See lp2p-plugin(7); the SDK's plugins/ping/ping.c is a larger example.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/message.h>
#include <lp2p/plugin.h>
#include <lp2p/request.h>
#include <lp2p/swarm.h>

#define HELLO_PROTOCOL "/hello/1.0.0"
#define MAX_NAME 256

struct hello {
	lp2p_host *host;
	const char *greeting; /* points into the configuration */
	const char *greet;    /* a peer to ask at start, or NULL */
	lp2p_timer *start;
};

/* ---- answering: one message in, one message out ---- */

static int hello_msg(lp2p_stream *s, void *user, const uint8_t *msg,
                     size_t len)
{
	const struct hello *h = user;
	char reply[512];
	int n = snprintf(reply, sizeof reply, "%s, %.*s", h->greeting,
	                 (int)len, (const char *)msg);
	if (n < 0 || (size_t)n >= sizeof reply)
		n = (int)sizeof reply - 1;
	int rc = lp2p_stream_send_msg(s, reply, (size_t)n);
	if (rc)
		return rc; /* the stream is aborted with it */
	lp2p_stream_close(s); /* our end goes after the reply */
	return 0;
}

/* No state per stream, so no on_close is needed. */
static const struct lp2p_msg_handler hello_handler = {
	.on_msg = hello_msg,
};

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	(void)protocol;
	return lp2p_stream_set_msg_handler(s, &hello_handler, MAX_NAME, state);
}

/* ---- asking: lp2p_conn_request does the stream ---- */

static void on_reply(void *arg, int status, const uint8_t *reply, size_t len)
{
	(void)arg;
	if (status)
		lp2p_log(LP2P_LOG_WARN, "hello: no answer: %s",
		         lp2p_strerror(status));
	else
		lp2p_log(LP2P_LOG_NOTICE, "hello: answered '%.*s'", (int)len,
		         (const char *)reply);
}

static void on_dialled(void *arg, int status, lp2p_conn *conn)
{
	(void)arg;
	if (status) {
		lp2p_log(LP2P_LOG_WARN, "hello: dial failed: %s",
		         lp2p_strerror(status));
		return;
	}
	static const char *const protocols[] = {HELLO_PROTOCOL};
	static const char name[] = "template test";
	struct lp2p_request rq = {
		.protocols = protocols,
		.nprotocols = 1,
		.data = name,
		.len = sizeof name - 1,
		.kind = LP2P_REPLY_MESSAGE,
		.max_reply = 512,
		.timeout_ms = 5000,
	};
	int rc = lp2p_conn_request(conn, &rq, on_reply, NULL);
	if (rc)
		lp2p_log(LP2P_LOG_WARN, "hello: cannot ask: %s",
		         lp2p_strerror(rc));
}

/* From the loop, once the node runs. */
static void greet_now(void *arg)
{
	struct hello *h = arg;
	struct lp2p_multiaddr ma;
	int rc = lp2p_multiaddr_parse(h->greet, strlen(h->greet), &ma);
	if (!rc)
		rc = lp2p_host_dial(h->host, &ma, false, on_dialled, h);
	if (rc)
		lp2p_log(LP2P_LOG_WARN, "hello: cannot dial %s: %s", h->greet,
		         lp2p_strerror(rc));
}

/* ---- configuration and lifecycle ---- */

/* One reader for config_check and init: each default is written once. */
static int read_config(const lp2p_config_node *cfg, struct hello *h,
                       char *err, size_t errlen)
{
	static const char *const keys[] = {"greeting", "greet", NULL};
	int rc = lp2p_config_check_keys(cfg, keys, err, errlen);
	if (!rc)
		rc = lp2p_config_string_or(cfg, "greeting", "hello", 200,
		                           &h->greeting, err, errlen);
	if (!rc)
		rc = lp2p_config_string_or(cfg, "greet", NULL, 1024, &h->greet,
		                           err, errlen);
	return rc;
}

static int hello_config_check(const lp2p_config_node *cfg, char *err,
                              size_t errlen)
{
	struct hello tmp;
	return read_config(cfg, &tmp, err, errlen);
}

static int hello_init(lp2p_host *host, const lp2p_config_node *cfg,
                      void **state, char *err, size_t errlen)
{
	struct hello *h = calloc(1, sizeof *h);
	if (!h)
		return LP2P_ENOMEM;
	h->host = host;
	int rc = read_config(cfg, h, err, errlen);
	if (!rc && h->greet &&
	    (rc = lp2p_timer_new(host, greet_now, h, &h->start)) == 0)
		lp2p_timer_start(h->start, 0, 0);
	if (rc) {
		free(h);
		return rc;
	}
	lp2p_log(LP2P_LOG_INFO, "hello: started, greeting '%s'", h->greeting);
	*state = h;
	return 0;
}

static void hello_fini(void *state)
{
	struct hello *h = state;
	lp2p_log(LP2P_LOG_INFO, "hello: stopped");
	lp2p_timer_free(h->start);
	free(h);
}

static const char *const hello_protocols[] = {HELLO_PROTOCOL, NULL};

LP2P_PLUGIN_EXPORT const struct lp2p_plugin_descriptor lp2p_plugin_descriptor = {
	LP2P_PLUGIN_HEADER,
	.name = "hello",
	.version = "1.0.0",
	.description = "a template plugin that says hello (/hello/1.0.0)",
	.protocols = hello_protocols,
	.config_check = hello_config_check,
	.init = hello_init,
	.fini = hello_fini,
};
