/*
 * perf.c - the /perf/1.0.0 server (libp2p/specs perf/perf.md).
 *
 * The client sends the number of bytes it wants back as an 8-byte
 * big-endian integer, uploads any amount of data and closes its write
 * side.  The server drains the upload, then sends the requested bytes and
 * closes.  Uploaded bytes are only counted, never kept; the download is
 * written from one shared block of zeros, as fast as the stream takes it
 * (until a short write, continued in on_writable), so sending N bytes
 * allocates nothing.
 *
 * The spec asks that perf not be enabled on publicly reachable nodes: a
 * client can ask for up to 2^64-1 bytes.  max_download (a size, default
 * unlimited) caps what one stream may request; a larger request resets
 * the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/config.h>
#include <lp2p/log.h>
#include <lp2p/plugin.h>
#include <lp2p/swarm.h>

#define PERF_PROTOCOL "/perf/1.0.0"
/* Bytes offered to one lp2p_stream_write() call. */
#define PERF_BLOCK (64u * 1024)

static const uint8_t perf_zeros[PERF_BLOCK];

struct perf_state {
	uint64_t max_download; /* UINT64_MAX: unlimited */
};

struct perf_stream {
	const struct perf_state *st;
	uint8_t header[8];
	size_t header_len; /* bytes of the header received */
	uint64_t to_send;  /* download bytes not yet written */
	uint64_t uploaded; /* for the debug log */
	bool sending;      /* the upload ended: the download runs */
};

static uint64_t be64(const uint8_t b[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Write until the stream takes no more; close once everything is out.
 * (The download is written raw from one shared block of zeros, not
 * through lp2p_stream_send()'s queue: nothing is copied or kept.) */
static void perf_send(lp2p_stream *s, struct perf_stream *p)
{
	while (p->to_send) {
		size_t n = p->to_send < PERF_BLOCK ? (size_t)p->to_send
		                                   : PERF_BLOCK;
		ssize_t w = lp2p_stream_write(s, perf_zeros, n);
		if (w == LP2P_EAGAIN)
			return; /* on_writable continues */
		if (w < 0) {
			lp2p_stream_reset(s, (int)w);
			return;
		}
		p->to_send -= (uint64_t)w;
		if ((size_t)w < n)
			return;
	}
	lp2p_log(LP2P_LOG_DEBUG, "perf: stream done (%llu bytes uploaded)",
	         (unsigned long long)p->uploaded);
	lp2p_stream_close_write(s);
}

static void perf_data(lp2p_stream *s, void *user, const uint8_t *data,
                      size_t len)
{
	struct perf_stream *p = user;
	if (p->header_len < sizeof p->header) {
		size_t n = sizeof p->header - p->header_len;
		if (n > len)
			n = len;
		memcpy(p->header + p->header_len, data, n);
		p->header_len += n;
		len -= n;
		if (p->header_len == sizeof p->header) {
			p->to_send = be64(p->header);
			if (p->to_send > p->st->max_download) {
				lp2p_log(LP2P_LOG_INFO,
				         "perf: request for %llu bytes is above "
				         "max_download; stream reset",
				         (unsigned long long)p->to_send);
				lp2p_stream_reset(s, LP2P_ELIMIT);
				return;
			}
		}
	}
	p->uploaded += len;
}

static void perf_remote_close(lp2p_stream *s, void *user)
{
	struct perf_stream *p = user;
	if (p->header_len < sizeof p->header) {
		lp2p_log(LP2P_LOG_DEBUG,
		         "perf: stream closed after %zu header bytes; reset",
		         p->header_len);
		lp2p_stream_reset(s, LP2P_ETRUNC);
		return;
	}
	p->sending = true;
	perf_send(s, p);
}

static void perf_writable(lp2p_stream *s, void *user)
{
	struct perf_stream *p = user;
	if (p->sending)
		perf_send(s, p);
}

static void perf_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct perf_stream *p = user;
	if (reason)
		lp2p_log(LP2P_LOG_DEBUG, "perf: stream ended: %s",
		         lp2p_strerror(reason));
	free(p); /* the one place: on_close comes once, however it ended */
}

static const struct lp2p_stream_handler perf_handler = {
	.on_data = perf_data,
	.on_writable = perf_writable,
	.on_remote_close = perf_remote_close,
	.on_close = perf_close,
};

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	(void)protocol;
	struct perf_stream *p = calloc(1, sizeof *p);
	if (!p)
		return LP2P_ENOMEM;
	p->st = state;
	lp2p_stream_set_handler(s, &perf_handler, p);
	return 0;
}

static int perf_read_config(const lp2p_config_node *cfg, uint64_t *max,
                            char *err, size_t errlen)
{
	static const char *const keys[] = {"max_download", NULL};
	int rc = lp2p_config_check_keys(cfg, keys, err, errlen);
	if (rc)
		return rc;
	return lp2p_config_size_or(cfg, "max_download", UINT64_MAX, 0,
	                           UINT64_MAX, max, err, errlen);
}

static int perf_check(const lp2p_config_node *cfg, char *err, size_t errlen)
{
	uint64_t max;
	return perf_read_config(cfg, &max, err, errlen);
}

static int perf_init(lp2p_host *host, const lp2p_config_node *cfg,
                     void **state, char *err, size_t errlen)
{
	(void)host;
	struct perf_state *st = calloc(1, sizeof *st);
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	int rc = perf_read_config(cfg, &st->max_download, err, errlen);
	if (rc) {
		free(st);
		return rc;
	}
	*state = st;
	return 0;
}

static void perf_fini(void *state)
{
	free(state);
}

static const char *const perf_protocols[] = {PERF_PROTOCOL, NULL};

LP2P_PLUGIN_EXPORT const struct lp2p_plugin_descriptor lp2p_plugin_descriptor = {
	LP2P_PLUGIN_HEADER,
	.name = "perf",
	.version = LP2P_VERSION_STRING,
	.description = "the libp2p perf protocol, server side (/perf/1.0.0)",
	.protocols = perf_protocols,
	.config_check = perf_check,
	.init = perf_init,
	.fini = perf_fini,
};
