/*
 * testproto.c - the test protocols of js/streams.mjs as an lp2p plugin, so
 * the JS client's sink, source and remote-reset scenarios can run against
 * lp2pd too (README.md, "Server mode"):
 *
 *   /lp2p-test/sink/1.0.0    read to the end, then reply the byte count
 *                            (8 bytes, big endian) and the SHA-256 of
 *                            everything read, and close
 *   /lp2p-test/source/1.0.0  read an 8-byte big-endian N (N <= 2^40), send
 *                            the first N bytes of the generator stream and
 *                            close; a longer request or a larger N resets
 *   /lp2p-test/reset/1.0.0   reset the stream at the first byte
 *
 * And, to use the other role of a connection (the listener opening
 * streams: yamux even ids, mplex streams of the receiver), on every
 * inbound connection it opens an /echo/1.0.0 stream back to the peer,
 * sends REVERSE_SIZE generator bytes, closes its side, checks the echo and
 * logs one notice line: "testproto: reverse echo over MUXER to PEER: ok"
 * or ": failed: why".  run.sh looks for them.
 *
 * Built for `make check` only (a check library), written against the SDK
 * headers like any third-party plugin.  Writes honour backpressure: a
 * short write waits for on_writable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <lp2p/config.h>
#include <lp2p/log.h>
#include <lp2p/plugin.h>
#include <lp2p/swarm.h>

#include "gen.h"

#define SINK_PROTOCOL "/lp2p-test/sink/1.0.0"
#define SOURCE_PROTOCOL "/lp2p-test/source/1.0.0"
#define RESET_PROTOCOL "/lp2p-test/reset/1.0.0"
#define SOURCE_MAX (1ull << 40)
#define CHUNK (64u * 1024)
#define REVERSE_SIZE (256u * 1024 + 3)

enum kind { SINK, SOURCE, RESET, REVERSE };

struct tp_stream {
	enum kind kind;
	/* sink */
	EVP_MD_CTX *sha;
	uint64_t count;
	/* source: the request, then the bytes to send */
	uint8_t req[8];
	size_t req_len;
	bool sending;
	struct gen gen;
	uint64_t left; /* bytes not yet generated */
	uint8_t *buf;  /* generated, not yet taken by the stream */
	size_t off, len;
	/* sink reply (40 bytes) */
	uint8_t reply[40];
	bool replying;
	/* reverse echo: what came back so far, checked */
	struct gen check;
	uint8_t *scratch;
	uint64_t received;
	bool mismatch;
	char what[160]; /* "over MUXER to PEER" */
};

static void tp_free(struct tp_stream *t)
{
	EVP_MD_CTX_free(t->sha);
	free(t->buf);
	free(t->scratch);
	free(t);
}

/* Write what is pending; close our side when everything is out.  A
 * failed write resets the stream: t goes in on_close, as always. */
static void tp_pump(lp2p_stream *s, struct tp_stream *t)
{
	for (;;) {
		if (t->off == t->len) {
			if ((t->kind != SOURCE && t->kind != REVERSE) ||
			    t->left == 0) {
				lp2p_stream_close_write(s);
				return;
			}
			t->len = t->left < CHUNK ? (size_t)t->left : CHUNK;
			t->off = 0;
			gen_fill(&t->gen, t->buf, t->len);
			t->left -= t->len;
		}
		const uint8_t *base = t->buf ? t->buf : t->reply;
		ssize_t w =
		    lp2p_stream_write(s, base + t->off, t->len - t->off);
		if (w == LP2P_EAGAIN || w == 0)
			return; /* on_writable continues */
		if (w < 0) {
			/* on_close(w) follows; a reverse echo logs it there */
			if (t->kind != REVERSE)
				lp2p_log(LP2P_LOG_INFO, "testproto: write: %s",
				         lp2p_strerror((int)w));
			lp2p_stream_reset(s, (int)w);
			return;
		}
		t->off += (size_t)w;
	}
}

static void tp_data(lp2p_stream *s, void *user, const uint8_t *data, size_t len)
{
	struct tp_stream *t = user;
	switch (t->kind) {
	case REVERSE:
		if (t->received + len > REVERSE_SIZE) {
			t->mismatch = true;
			return;
		}
		for (size_t done = 0; done < len;) {
			size_t n = len - done < CHUNK ? len - done : CHUNK;
			gen_fill(&t->check, t->scratch, n);
			if (memcmp(t->scratch, data + done, n) != 0)
				t->mismatch = true;
			done += n;
		}
		t->received += len;
		return;
	case RESET:
		lp2p_stream_reset(s, 0); /* tp_close frees t */
		return;
	case SINK:
		EVP_DigestUpdate(t->sha, data, len);
		t->count += len;
		return;
	case SOURCE:
		if (t->sending || t->req_len + len > sizeof t->req) {
			lp2p_log(
			    LP2P_LOG_INFO,
			    "testproto: source request longer than 8 bytes");
			lp2p_stream_reset(s, LP2P_EPROTO);
			return;
		}
		memcpy(t->req + t->req_len, data, len);
		t->req_len += len;
		if (t->req_len < sizeof t->req)
			return;
		uint64_t n = 0;
		for (size_t i = 0; i < 8; i++)
			n = n << 8 | t->req[i];
		if (n > SOURCE_MAX) {
			lp2p_stream_reset(s, LP2P_ERANGE);
			return;
		}
		t->sending = true;
		t->left = n;
		gen_init(&t->gen, GEN_SEED);
		tp_pump(s, t);
		return;
	}
}

static void tp_writable(lp2p_stream *s, void *user)
{
	struct tp_stream *t = user;
	if (t->sending || t->replying)
		tp_pump(s, t);
}

static void tp_remote_close(lp2p_stream *s, void *user)
{
	struct tp_stream *t = user;
	if (t->kind == REVERSE)
		return; /* checked in on_close */
	if (t->kind != SINK) {
		if (t->kind == SOURCE && !t->sending)
			lp2p_stream_reset(s, LP2P_ETRUNC); /* short request */
		return;
	}
	unsigned mdlen = 0;
	for (int i = 0; i < 8; i++)
		t->reply[i] = (uint8_t)(t->count >> (56 - 8 * i));
	if (!EVP_DigestFinal_ex(t->sha, t->reply + 8, &mdlen) || mdlen != 32) {
		lp2p_stream_reset(s, LP2P_EIO);
		return;
	}
	t->replying = true;
	t->off = 0;
	t->len = sizeof t->reply;
	tp_pump(s, t);
}

static void tp_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct tp_stream *t = user;
	if (t->kind == REVERSE) {
		if (reason)
			lp2p_log(LP2P_LOG_NOTICE,
			         "testproto: reverse echo %s: failed: %s after "
			         "%llu bytes",
			         t->what, lp2p_strerror(reason),
			         (unsigned long long)t->received);
		else if (t->mismatch || t->received != REVERSE_SIZE)
			lp2p_log(LP2P_LOG_NOTICE,
			         "testproto: reverse echo %s: failed: %llu "
			         "bytes back, %s",
			         t->what, (unsigned long long)t->received,
			         t->mismatch ? "content differs" : "short");
		else
			lp2p_log(LP2P_LOG_NOTICE,
			         "testproto: reverse echo %s: ok", t->what);
	}
	tp_free(t);
}

static const struct lp2p_stream_handler tp_handler = {
    .on_data = tp_data,
    .on_writable = tp_writable,
    .on_remote_close = tp_remote_close,
    .on_close = tp_close,
};

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	(void)state;
	struct tp_stream *t = calloc(1, sizeof *t);
	if (!t)
		return LP2P_ENOMEM;
	if (strcmp(protocol, SINK_PROTOCOL) == 0) {
		t->kind = SINK;
		t->sha = EVP_MD_CTX_new();
		if (!t->sha || !EVP_DigestInit_ex(t->sha, EVP_sha256(), NULL)) {
			tp_free(t);
			return LP2P_ENOMEM;
		}
	} else if (strcmp(protocol, SOURCE_PROTOCOL) == 0) {
		t->kind = SOURCE;
		t->buf = malloc(CHUNK);
		if (!t->buf) {
			tp_free(t);
			return LP2P_ENOMEM;
		}
	} else {
		t->kind = RESET;
	}
	lp2p_stream_set_handler(s, &tp_handler, t);
	return 0;
}

static void reverse_opened(void *arg, int status, lp2p_stream *s)
{
	struct tp_stream *t = arg;
	if (status) {
		lp2p_log(LP2P_LOG_NOTICE,
		         "testproto: reverse echo %s: failed: cannot open: %s",
		         t->what, lp2p_strerror(status));
		tp_free(t);
		return;
	}
	lp2p_stream_set_handler(s, &tp_handler, t);
	tp_pump(s, t);
}

/* Logged so run.sh can see both connection handlers run for a js peer. */
static void log_conn_event(const char *what, lp2p_conn *conn,
                           const struct lp2p_peer_id *peer)
{
	char id[LP2P_PEER_ID_STR_MAX] = "?";
	lp2p_peer_id_to_string(peer, id, sizeof id);
	lp2p_log(LP2P_LOG_NOTICE, "testproto: connection %s: %s %s", what, id,
	         lp2p_conn_muxer(conn));
}

LP2P_PLUGIN_EXPORT void handle_closed_connection(void *state, lp2p_conn *conn,
                                                 const struct lp2p_peer_id *peer)
{
	(void)state;
	log_conn_event("closed", conn, peer);
}

LP2P_PLUGIN_EXPORT void handle_new_connection(void *state, lp2p_conn *conn,
                                              const struct lp2p_peer_id *peer)
{
	(void)state;
	log_conn_event("opened", conn, peer);
	if (lp2p_conn_direction(conn) != LP2P_INBOUND)
		return;
	struct tp_stream *t = calloc(1, sizeof *t);
	if (!t)
		return;
	t->kind = REVERSE;
	t->sending = true;
	t->left = REVERSE_SIZE;
	gen_init(&t->gen, GEN_SEED);
	gen_init(&t->check, GEN_SEED);
	t->buf = malloc(CHUNK);
	t->scratch = malloc(CHUNK);
	char id[LP2P_PEER_ID_STR_MAX] = "?";
	lp2p_peer_id_to_string(peer, id, sizeof id);
	snprintf(t->what, sizeof t->what, "over %s to %s",
	         lp2p_conn_muxer(conn), id);
	static const char *const echo[] = {"/echo/1.0.0"};
	if (!t->buf || !t->scratch ||
	    lp2p_conn_open_stream(conn, echo, 1, reverse_opened, t) != 0) {
		lp2p_log(LP2P_LOG_NOTICE,
		         "testproto: reverse echo %s: failed: cannot open",
		         t->what);
		tp_free(t);
	}
}

static int tp_check(const lp2p_config_node *cfg, char *err, size_t errlen)
{
	static const char *const keys[] = {NULL};
	return lp2p_config_check_keys(cfg, keys, err, errlen);
}

static int tp_init(lp2p_host *host, const lp2p_config_node *cfg, void **state,
                   char *err, size_t errlen)
{
	(void)host;
	(void)cfg;
	(void)err;
	(void)errlen;
	*state = NULL;
	return 0;
}

static const char *const tp_protocols[] = {SINK_PROTOCOL, SOURCE_PROTOCOL,
                                           RESET_PROTOCOL, NULL};

LP2P_PLUGIN_EXPORT const struct lp2p_plugin_descriptor lp2p_plugin_descriptor =
    {
        LP2P_PLUGIN_HEADER,
        .name = "testproto",
        .version = "1",
        .description = "interop test protocols: sink, source, reset",
        .protocols = tp_protocols,
        .config_check = tp_check,
        .init = tp_init,
};
