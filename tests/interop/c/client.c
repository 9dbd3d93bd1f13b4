/*
 * client.c - the C side of the interop tests when lp2p dials js-libp2p:
 * the client scenarios of js/peer.mjs, written against the public API
 * only (one host, lp2p_host_run, callbacks), run against
 * `peer.mjs --listen`.
 *
 *   client --dial MA --muxer yamux|mplex --test NAME [--size N]
 *          [--count N] [--pause-ms MS] [--timeout S] [--psk FILE] [-v]
 *
 * --psk FILE: join the private network of that key file (pnet.key_file).
 *
 * --pause-ms MS: after every MiB received (echo, half-close, source),
 * pause the stream for MS milliseconds (lp2p_stream_pause/resume).
 *
 * Prints one JSON line
 *   {"event":"result","test":"NAME","ok":true,"localPeerId":"...",...}
 * (or "ok":false with "error") and exits 0 when the scenario passed, 1
 * when it failed, 2 on a usage or setup error.
 *
 * One scenario is ours only: abort (close a connection in the middle of a
 * source transfer, then show the remote still serves a new connection).
 *
 * Every transfer uses the deterministic byte stream of README.md
 * (xorshift32 from 0x6c703270) and every byte that comes back is checked.
 * Writes honour backpressure: a short write or LP2P_EAGAIN keeps the rest
 * and continues from on_writable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <lp2p/config.h>
#include <lp2p/crypto.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/multiaddr.h>
#include <lp2p/peer_id.h>
#include <lp2p/swarm.h>

#include "gen.h"

#define ECHO_PROTOCOL "/echo/1.0.0"
#define SINK_PROTOCOL "/lp2p-test/sink/1.0.0"
#define SOURCE_PROTOCOL "/lp2p-test/source/1.0.0"
#define RESET_PROTOCOL "/lp2p-test/reset/1.0.0"
/* no peer speaks it: multistream-select must answer "na" */
#define UNSUPPORTED_PROTOCOL "/lp2p-test/unsupported/1.0.0"

#define CHUNK (64u * 1024)
#define MiB (1024u * 1024)

/* ---- the client ---- */

enum scenario {
	T_ECHO,
	T_STREAMS,
	T_HALF_CLOSE,
	T_RESET,
	T_REMOTE_RESET,
	T_PEER_ID,
	T_WRONG_PEER_ID,
	T_SINK,
	T_SOURCE,
	T_ABORT,
	T_UNSUPPORTED,
};

static const char *const scenario_names[] = {
    [T_ECHO] = "echo",
    [T_STREAMS] = "streams",
    [T_HALF_CLOSE] = "half-close",
    [T_RESET] = "reset",
    [T_REMOTE_RESET] = "remote-reset",
    [T_PEER_ID] = "peer-id",
    [T_WRONG_PEER_ID] = "wrong-peer-id",
    [T_SINK] = "sink",
    [T_SOURCE] = "source",
    [T_ABORT] = "abort",
    [T_UNSUPPORTED] = "unsupported",
};

struct tstream;

struct client {
	lp2p_host *host;
	lp2p_timer *start_timer, *timeout_timer;
	enum scenario test;
	const char *test_name;
	struct lp2p_multiaddr addr; /* as given */
	bool have_expected;
	struct lp2p_peer_id expected; /* its /p2p/ id, if any */
	uint64_t size;
	bool size_given;
	unsigned count;
	unsigned timeout_s;
	unsigned pause_ms; /* pause receiving this long after each MiB */
	lp2p_timer *pause_timer;
	struct tstream *paused; /* the stream the timer resumes */
	unsigned pauses;

	lp2p_conn *conn;
	uint64_t conn_id;
	struct timespec t0;

	/* streams scenario */
	unsigned opened, negotiated, completed;
	/* reset scenario: the stream we reset, kept to catch late calls */
	struct tstream *reset_stream;
	/* wrong-peer-id */
	struct lp2p_peer_id real_peer, other_peer;
	/* remote-reset */
	int remote_reset_reason;
	/* abort: the first connection was closed mid-transfer */
	bool aborted;

	bool finished;
	bool ok;
	char details[4096]; /* ,"key":value,... for the result line */
	char error[1024];
};

/* One stream of a scenario. */
struct tstream {
	struct client *cl;
	lp2p_stream *s;
	unsigned index; /* streams scenario */
	void (*on_end)(struct tstream *t, int reason);

	/* sending: total bytes from gen (or payload), then close_write */
	bool send_gen;
	struct gen tx;
	const uint8_t *payload;
	char small[64]; /* a short payload of our own */
	uint64_t tx_total, tx_made, tx_sent;
	uint8_t *txbuf;
	size_t tx_off, tx_len;
	EVP_MD_CTX *tx_sha; /* SHA-256 of what we send, when asked */
	bool tx_closed;
	uint64_t rx_at_close;

	/* receiving: check against gen, or collect */
	bool rx_check;
	struct gen rx;
	uint8_t *rxscratch;
	uint64_t rx_bytes;
	uint8_t *collect;
	size_t collect_len, collect_cap;
	bool remote_closed;

	bool dead;     /* on_close came: no callback may come any more */
	bool reset_by_us; /* only on_close may come */
};

static void fail(struct client *cl, const char *fmt, ...) LP2P_PRINTF(2, 3);
static void abort_connection(struct client *cl, struct tstream *t);

static void finish(struct client *cl, bool ok)
{
	if (cl->finished)
		return;
	cl->finished = true;
	cl->ok = ok;
	lp2p_host_stop(cl->host);
}

static void fail(struct client *cl, const char *fmt, ...)
{
	if (cl->finished)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cl->error, sizeof cl->error, fmt, ap);
	va_end(ap);
	finish(cl, false);
}

static void detail(struct client *cl, const char *fmt, ...) LP2P_PRINTF(2, 3);

static void detail(struct client *cl, const char *fmt, ...)
{
	size_t n = strlen(cl->details);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cl->details + n, sizeof cl->details - n, fmt, ap);
	va_end(ap);
}

/* A JSON string value (our strings need no escaping but quotes). */
static void detail_str(struct client *cl, const char *key, const char *val)
{
	detail(cl, ",\"%s\":\"", key);
	for (const char *p = val; *p; p++) {
		if (*p == '"' || *p == '\\')
			detail(cl, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			detail(cl, "\\u%04x", (unsigned)*p);
		else
			detail(cl, "%c", *p);
	}
	detail(cl, "\"");
}

static void detail_peer(struct client *cl, const char *key,
                        const struct lp2p_peer_id *id)
{
	char s[LP2P_PEER_ID_STR_MAX] = "?";
	lp2p_peer_id_to_string(id, s, sizeof s);
	detail_str(cl, key, s);
}

static double elapsed_s(const struct client *cl)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - cl->t0.tv_sec) +
	       (double)(t1.tv_nsec - cl->t0.tv_nsec) / 1e9;
}

static void detail_rate(struct client *cl, uint64_t bytes)
{
	double s = elapsed_s(cl);
	detail(cl, ",\"bytes\":%" PRIu64 ",\"seconds\":%.3f,\"mbps\":%.2f",
	       bytes, s, s > 0 ? (double)bytes / 1e6 / s : 0.0);
	if (cl->pause_ms)
		detail(cl, ",\"pauses\":%u", cl->pauses);
}

/* ---- streams ---- */

static void tstream_free(struct tstream *t)
{
	if (!t)
		return;
	free(t->txbuf);
	free(t->rxscratch);
	free(t->collect);
	EVP_MD_CTX_free(t->tx_sha);
	free(t);
}

static struct tstream *tstream_new(struct client *cl,
                                   void (*on_end)(struct tstream *, int))
{
	struct tstream *t = calloc(1, sizeof *t);
	if (!t) {
		fail(cl, "out of memory");
		return NULL;
	}
	t->cl = cl;
	t->on_end = on_end;
	return t;
}

/* Send total bytes of the generator stream seeded with seed. */
static int tstream_send_gen(struct tstream *t, uint32_t seed, uint64_t total,
                            bool sha)
{
	t->send_gen = true;
	gen_init(&t->tx, seed);
	t->tx_total = total;
	t->txbuf = malloc(CHUNK);
	if (!t->txbuf)
		return LP2P_ENOMEM;
	if (sha) {
		t->tx_sha = EVP_MD_CTX_new();
		if (!t->tx_sha ||
		    !EVP_DigestInit_ex(t->tx_sha, EVP_sha256(), NULL))
			return LP2P_ENOMEM;
	}
	return 0;
}

static void tstream_send_bytes(struct tstream *t, const uint8_t *p, size_t len)
{
	t->payload = p;
	t->tx_total = len;
}

static int tstream_check_gen(struct tstream *t, uint32_t seed)
{
	t->rx_check = true;
	gen_init(&t->rx, seed);
	t->rxscratch = malloc(CHUNK);
	return t->rxscratch ? 0 : LP2P_ENOMEM;
}

/*
 * Write as much as the stream takes; the rest waits for on_writable.
 * Closes the write side after the last byte.  Returns false if the
 * scenario failed.
 */
static bool pump(struct tstream *t)
{
	struct client *cl = t->cl;
	while (t->tx_sent < t->tx_total) {
		const uint8_t *p;
		size_t len;
		if (t->payload) {
			p = t->payload + t->tx_sent;
			len = (size_t)(t->tx_total - t->tx_sent);
		} else {
			if (t->tx_off == t->tx_len) {
				uint64_t left = t->tx_total - t->tx_made;
				t->tx_len = left < CHUNK ? (size_t)left : CHUNK;
				t->tx_off = 0;
				gen_fill(&t->tx, t->txbuf, t->tx_len);
				if (t->tx_sha)
					EVP_DigestUpdate(t->tx_sha, t->txbuf,
					                 t->tx_len);
				t->tx_made += t->tx_len;
			}
			p = t->txbuf + t->tx_off;
			len = t->tx_len - t->tx_off;
		}
		ssize_t w = lp2p_stream_write(t->s, p, len);
		if (w == LP2P_EAGAIN || w == 0)
			return true; /* on_writable continues */
		if (w < 0) {
			fail(cl, "stream write after %" PRIu64 " bytes: %s",
			     t->tx_sent, lp2p_strerror((int)w));
			return false;
		}
		if ((size_t)w > len) {
			fail(cl, "stream write took %zd of %zu bytes", w, len);
			return false;
		}
		t->tx_sent += (uint64_t)w;
		if (!t->payload)
			t->tx_off += (size_t)w;
	}
	if (!t->tx_closed) {
		t->tx_closed = true;
		t->rx_at_close = t->rx_bytes;
		int rc = lp2p_stream_close_write(t->s);
		if (rc) {
			fail(cl, "close_write: %s", lp2p_strerror(rc));
			return false;
		}
		/* Our side is closed: writing again must be refused. */
		ssize_t w = lp2p_stream_write(t->s, "x", 1);
		if (w != LP2P_ECLOSED) {
			fail(cl,
			     "write after close_write returned %zd, want "
			     "LP2P_ECLOSED",
			     w);
			return false;
		}
	}
	return true;
}

static void on_data(lp2p_stream *s, void *user, const uint8_t *data, size_t len)
{
	struct tstream *t = user;
	struct client *cl = t->cl;
	if (t->dead || t->reset_by_us) {
		fail(cl, "on_data after %s",
		     t->dead ? "on_close" : "the stream was reset by us");
		return;
	}
	if (t->remote_closed) {
		fail(cl, "on_data after on_remote_close");
		return;
	}
	if (cl->paused == t) {
		fail(cl, "on_data while paused");
		return;
	}
	if (len == 0) {
		fail(cl, "on_data with no bytes");
		return;
	}
	if (t->rx_check) {
		for (size_t done = 0; done < len;) {
			size_t n = len - done < CHUNK ? len - done : CHUNK;
			gen_fill(&t->rx, t->rxscratch, n);
			if (memcmp(t->rxscratch, data + done, n) != 0) {
				size_t i = 0;
				while (t->rxscratch[i] == data[done + i])
					i++;
				fail(cl, "content mismatch at byte %" PRIu64,
				     t->rx_bytes + done + i);
				return;
			}
			done += n;
		}
	} else {
		if (t->collect_cap - t->collect_len < len) {
			size_t cap = t->collect_cap ? t->collect_cap : 256;
			while (cap - t->collect_len < len)
				cap *= 2;
			uint8_t *p = realloc(t->collect, cap);
			if (!p) {
				fail(cl, "out of memory");
				return;
			}
			t->collect = p;
			t->collect_cap = cap;
		}
		memcpy(t->collect + t->collect_len, data, len);
		t->collect_len += len;
	}
	t->rx_bytes += len;
	if (cl->test == T_ABORT && !cl->aborted &&
	    t->rx_bytes >= cl->size / 16) {
		abort_connection(cl, t);
		return;
	}
	if (cl->pause_ms && t->rx_check && !cl->paused &&
	    t->rx_bytes / MiB != (t->rx_bytes - len) / MiB) {
		/* Stop taking data for a while: the window must close (yamux)
		 * or the connection stop reading (mplex), and nothing may be
		 * lost or reordered when we resume. */
		cl->paused = t;
		cl->pauses++;
		lp2p_stream_pause(s);
		lp2p_timer_start(cl->pause_timer, cl->pause_ms, 0);
	}
	if (cl->test == T_RESET && !cl->reset_stream) {
		/* Some echo arrived, so the remote has surely opened its
		 * end: reset it now.  Only on_close(LP2P_ECANCELED) may
		 * follow, once, from the loop (not inside the call). */
		t->reset_by_us = true;
		cl->reset_stream = t;
		/* (the peer may have streams of its own open, e.g. identify) */
		size_t before = lp2p_conn_stream_count(cl->conn);
		lp2p_stream_reset(s, 0);
		size_t now = lp2p_conn_stream_count(cl->conn);
		if (t->dead)
			fail(cl, "on_close inside lp2p_stream_reset()");
		else if (now + 1 != before)
			fail(cl, "%zu streams open before the reset, %zu after",
			     before, now);
	}
}

static void on_writable(lp2p_stream *s, void *user)
{
	(void)s;
	struct tstream *t = user;
	if (t->dead || t->reset_by_us) {
		fail(t->cl, "on_writable after %s",
		     t->dead ? "on_close" : "the stream was reset by us");
		return;
	}
	pump(t);
}

static void resume_paused(void *arg)
{
	struct client *cl = arg;
	struct tstream *t = cl->paused;
	cl->paused = NULL;
	if (t && t->s && !t->dead)
		lp2p_stream_resume(t->s); /* on_data may pause again */
}

static void on_remote_close(lp2p_stream *s, void *user)
{
	(void)s;
	struct tstream *t = user;
	if (t->cl->paused == t) {
		fail(t->cl, "on_remote_close while paused");
		return;
	}
	if (t->dead || t->reset_by_us) {
		fail(t->cl, "on_remote_close after %s",
		     t->dead ? "on_close" : "the stream was reset by us");
		return;
	}
	if (t->remote_closed)
		fail(t->cl, "on_remote_close twice");
	t->remote_closed = true;
}

static void on_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct tstream *t = user;
	if (t->dead) {
		fail(t->cl, "on_close(%s) twice", lp2p_strerror(reason));
		return;
	}
	t->dead = true;
	t->s = NULL;
	if (t->cl->paused == t) {
		lp2p_timer_stop(t->cl->pause_timer);
		t->cl->paused = NULL;
	}
	t->on_end(t, reason);
	/* the stream we reset stays (cl->reset_stream, freed at exit) to
	 * catch a call that comes late */
	if (!t->reset_by_us)
		tstream_free(t);
}

static void streams_open_more(struct client *cl);

static const struct lp2p_stream_handler handler = {
    .on_data = on_data,
    .on_writable = on_writable,
    .on_remote_close = on_remote_close,
    .on_close = on_close,
};

static void stream_opened(void *arg, int status, lp2p_stream *s)
{
	struct tstream *t = arg;
	struct client *cl = t->cl;
	if (status) {
		fail(cl, "opening a stream: %s", lp2p_strerror(status));
		tstream_free(t);
		return;
	}
	if (cl->finished) {
		/* too late, the host is stopping: no handler, so nothing
		 * follows the reset */
		lp2p_stream_reset(s, 0);
		tstream_free(t);
		return;
	}
	t->s = s;
	lp2p_stream_set_handler(s, &handler, t);
	if (cl->test == T_STREAMS) {
		cl->negotiated++;
		streams_open_more(cl);
	}
	pump(t);
}

static int open_on(struct client *cl, struct tstream *t, const char *proto)
{
	const char *protos[] = {proto};
	int rc = lp2p_conn_open_stream(cl->conn, protos, 1, stream_opened, t);
	if (rc) {
		fail(cl, "lp2p_conn_open_stream(%s): %s", proto,
		     lp2p_strerror(rc));
		tstream_free(t);
	}
	return rc;
}

/* ---- scenarios ---- */

/* An orderly end of both sides, every byte counted. */
static bool ended_cleanly(struct tstream *t, int reason, uint64_t want_rx)
{
	struct client *cl = t->cl;
	if (reason != 0) {
		fail(cl,
		     "stream ended with %s after %" PRIu64 " of %" PRIu64
		     " bytes",
		     lp2p_strerror(reason), t->rx_bytes, want_rx);
		return false;
	}
	if (!t->remote_closed) {
		fail(cl, "on_close(0) without on_remote_close");
		return false;
	}
	if (t->rx_bytes != want_rx) {
		fail(cl, "received %" PRIu64 " of %" PRIu64 " bytes",
		     t->rx_bytes, want_rx);
		return false;
	}
	return true;
}

/* echo */

static void echo_end(struct tstream *t, int reason)
{
	struct client *cl = t->cl;
	if (!ended_cleanly(t, reason, cl->size))
		return;
	detail_rate(cl, cl->size);
	finish(cl, true);
}

static void start_echo(struct client *cl)
{
	struct tstream *t = tstream_new(cl, echo_end);
	if (!t)
		return;
	if (tstream_send_gen(t, GEN_SEED, cl->size, false) ||
	    tstream_check_gen(t, GEN_SEED)) {
		fail(cl, "out of memory");
		tstream_free(t);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &cl->t0);
	open_on(cl, t, ECHO_PROTOCOL);
}

/* streams */

static void streams_end(struct tstream *t, int reason)
{
	struct client *cl = t->cl;
	char want[64];
	int n = snprintf(want, sizeof want, "lp2p interop stream %u of %u",
	                 t->index, cl->count);
	if (!ended_cleanly(t, reason, (uint64_t)n))
		return;
	if (memcmp(t->collect, want, (size_t)n) != 0) {
		fail(cl, "stream %u: echo differs from what was sent",
		     t->index);
		return;
	}
	if (++cl->completed == cl->count) {
		detail(cl, ",\"streams\":%u,\"seconds\":%.3f", cl->count,
		       elapsed_s(cl));
		finish(cl, true);
	}
}

/*
 * Open streams up to cl->count.  js-libp2p aborts a connection on which
 * more than 10 streams arrive before its upgrader listens for streams
 * (MaxEarlyStreamsError), so only one stream is opened until the first
 * has been negotiated; then all the others at once.  Beyond yamux's ACK
 * backlog (256) they wait in lp2p for the peer's ACKs.
 */
static void streams_open_more(struct client *cl)
{
	unsigned target = cl->negotiated ? cl->count : 1;
	while (cl->opened < target && !cl->finished) {
		struct tstream *t = tstream_new(cl, streams_end);
		if (!t)
			return;
		t->index = cl->opened;
		int n = snprintf(t->small, sizeof t->small,
		                 "lp2p interop stream %u of %u", t->index,
		                 cl->count);
		tstream_send_bytes(t, (const uint8_t *)t->small, (size_t)n);
		const char *protos[] = {ECHO_PROTOCOL};
		int rc = lp2p_conn_open_stream(cl->conn, protos, 1,
		                               stream_opened, t);
		if (rc) {
			fail(cl, "lp2p_conn_open_stream(%s) #%u: %s",
			     ECHO_PROTOCOL, t->index, lp2p_strerror(rc));
			tstream_free(t);
			return;
		}
		cl->opened++;
	}
}

static void start_streams(struct client *cl)
{
	clock_gettime(CLOCK_MONOTONIC, &cl->t0);
	streams_open_more(cl);
}

/* half-close */

static void half_close_end(struct tstream *t, int reason)
{
	struct client *cl = t->cl;
	if (!ended_cleanly(t, reason, cl->size))
		return;
	if (!t->tx_closed) {
		fail(cl, "stream ended before we closed our side");
		return;
	}
	detail(cl, ",\"bytes\":%" PRIu64 ",\"readAfterClose\":%" PRIu64,
	       cl->size, cl->size - t->rx_at_close);
	finish(cl, true);
}

static void start_half_close(struct client *cl)
{
	struct tstream *t = tstream_new(cl, half_close_end);
	if (!t)
		return;
	if (tstream_send_gen(t, GEN_SEED, cl->size, false) ||
	    tstream_check_gen(t, GEN_SEED)) {
		fail(cl, "out of memory");
		tstream_free(t);
		return;
	}
	open_on(cl, t, ECHO_PROTOCOL);
}

/* A final 4 KiB echo on a new stream of the same connection. */
static void after_echo_end(struct tstream *t, int reason)
{
	struct client *cl = t->cl;
	if (!ended_cleanly(t, reason, 4096))
		return;
	lp2p_conn *conns[4];
	size_t n = lp2p_host_conns(cl->host, conns, 4);
	if (n != 1 || conns[0] != cl->conn ||
	    lp2p_conn_id(conns[0]) != cl->conn_id) {
		fail(cl, "the connection did not survive (%zu connections)", n);
		return;
	}
	if (cl->test == T_REMOTE_RESET)
		detail_str(cl, "streamError",
		           lp2p_strerror(cl->remote_reset_reason));
	if (cl->test == T_UNSUPPORTED)
		detail_str(cl, "refusal", lp2p_strerror(LP2P_ENEGOTIATE));
	detail_str(cl, "connectionStatus", "open");
	finish(cl, true);
}

static void echo_after(struct client *cl)
{
	struct tstream *t = tstream_new(cl, after_echo_end);
	if (!t)
		return;
	if (tstream_send_gen(t, 7, 4096, false) || tstream_check_gen(t, 7)) {
		fail(cl, "out of memory");
		tstream_free(t);
		return;
	}
	open_on(cl, t, ECHO_PROTOCOL);
}

/* reset: the on_close that follows our lp2p_stream_reset(). */
static void reset_end(struct tstream *t, int reason)
{
	struct client *cl = t->cl;
	if (!t->reset_by_us) {
		fail(cl, "stream ended with %s before we reset it",
		     reason ? lp2p_strerror(reason) : "an orderly close");
		return;
	}
	if (reason != LP2P_ECANCELED) {
		fail(cl, "on_close(%s) after our reset, want LP2P_ECANCELED",
		     lp2p_strerror(reason));
		return;
	}
	echo_after(cl);
}

static void start_reset(struct client *cl)
{
	struct tstream *t = tstream_new(cl, reset_end);
	if (!t)
		return;
	if (tstream_send_gen(t, GEN_SEED, 1024, false) ||
	    tstream_check_gen(t, GEN_SEED)) {
		fail(cl, "out of memory");
		tstream_free(t);
		return;
	}
	/* keep the write side open: only the reset ends this stream */
	t->tx_closed = true;
	open_on(cl, t, ECHO_PROTOCOL);
}

/* remote-reset */

static void remote_reset_end(struct tstream *t, int reason)
{
	struct client *cl = t->cl;
	if (reason != LP2P_ERESET) {
		fail(cl, "stream ended with %s (%d), want LP2P_ERESET",
		     reason ? lp2p_strerror(reason) : "an orderly close",
		     reason);
		return;
	}
	cl->remote_reset_reason = reason;
	echo_after(cl);
}

static const uint8_t one_byte[1] = {1};

static void start_remote_reset(struct client *cl)
{
	struct tstream *t = tstream_new(cl, remote_reset_end);
	if (!t)
		return;
	tstream_send_bytes(t, one_byte, 1);
	t->tx_closed = true; /* the remote resets: we never close */
	open_on(cl, t, RESET_PROTOCOL);
}

/* unsupported: the peer refuses a protocol it does not speak; the
 * connection must still carry a new stream. */

static void unsupported_opened(void *arg, int status, lp2p_stream *s)
{
	struct client *cl = arg;
	if (status == 0) {
		lp2p_stream_reset(s, 0); /* no handler: nothing follows */
		fail(cl, "the peer accepted %s", UNSUPPORTED_PROTOCOL);
		return;
	}
	if (status != LP2P_ENEGOTIATE) {
		fail(cl, "opening %s failed with %s, want LP2P_ENEGOTIATE",
		     UNSUPPORTED_PROTOCOL, lp2p_strerror(status));
		return;
	}
	echo_after(cl);
}

static void start_unsupported(struct client *cl)
{
	const char *protos[] = {UNSUPPORTED_PROTOCOL};
	int rc = lp2p_conn_open_stream(cl->conn, protos, 1,
	                               unsupported_opened, cl);
	if (rc)
		fail(cl, "lp2p_conn_open_stream(%s): %s", UNSUPPORTED_PROTOCOL,
		     lp2p_strerror(rc));
}

/* sink */

static void sink_end(struct tstream *t, int reason)
{
	struct client *cl = t->cl;
	if (!ended_cleanly(t, reason, 40))
		return;
	uint64_t count = 0;
	for (int i = 0; i < 8; i++)
		count = count << 8 | t->collect[i];
	if (count != cl->size) {
		fail(cl, "sink counted %" PRIu64 " of %" PRIu64 " bytes", count,
		     cl->size);
		return;
	}
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!EVP_DigestFinal_ex(t->tx_sha, md, &mdlen) || mdlen != 32 ||
	    memcmp(md, t->collect + 8, 32) != 0) {
		fail(cl, "sink SHA-256 mismatch");
		return;
	}
	detail_rate(cl, cl->size);
	finish(cl, true);
}

static void start_sink(struct client *cl)
{
	struct tstream *t = tstream_new(cl, sink_end);
	if (!t)
		return;
	if (tstream_send_gen(t, GEN_SEED, cl->size, true)) {
		fail(cl, "out of memory");
		tstream_free(t);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &cl->t0);
	open_on(cl, t, SINK_PROTOCOL);
}

/* source */

static uint8_t source_request[8];

static void source_end(struct tstream *t, int reason)
{
	struct client *cl = t->cl;
	if (!ended_cleanly(t, reason, cl->size))
		return;
	detail_rate(cl, cl->size);
	finish(cl, true);
}

static void start_source(struct client *cl)
{
	struct tstream *t = tstream_new(cl, source_end);
	if (!t)
		return;
	if (tstream_check_gen(t, GEN_SEED)) {
		fail(cl, "out of memory");
		tstream_free(t);
		return;
	}
	for (int i = 0; i < 8; i++)
		source_request[i] = (uint8_t)(cl->size >> (56 - 8 * i));
	tstream_send_bytes(t, source_request, 8);
	clock_gettime(CLOCK_MONOTONIC, &cl->t0);
	open_on(cl, t, SOURCE_PROTOCOL);
}

/*
 * abort: ask the source for --size bytes (64 MiB by default) and close the
 * connection after a sixteenth of them, with unread data in the socket (so
 * the kernel answers with a reset) while the remote is still sending; then
 * show the remote still serves a new connection (a 4 KiB echo).  The size
 * stays bounded: a peer that does not notice the reset stops anyway.
 */
static void abort_end(struct tstream *t, int reason)
{
	struct client *cl = t->cl;
	if (!cl->aborted)
		fail(cl, "source stream ended with %s before the abort",
		     lp2p_strerror(reason));
}

static void dialed(void *arg, int status, lp2p_conn *conn);

static void abort_connection(struct client *cl, struct tstream *t)
{
	cl->aborted = true;
	detail(cl, ",\"bytesBeforeAbort\":%" PRIu64, t->rx_bytes);
	lp2p_conn *c = cl->conn;
	cl->conn = NULL;
	lp2p_conn_close(c); /* t gets on_close(LP2P_ECLOSED) later */
	int rc = lp2p_host_dial(cl->host, &cl->addr, true, dialed, cl);
	if (rc)
		fail(cl, "dialing again: %s", lp2p_strerror(rc));
}

static void start_abort(struct client *cl)
{
	struct tstream *t = tstream_new(cl, abort_end);
	if (!t)
		return;
	if (tstream_check_gen(t, GEN_SEED)) {
		fail(cl, "out of memory");
		tstream_free(t);
		return;
	}
	for (int i = 0; i < 8; i++)
		source_request[i] = (uint8_t)(cl->size >> (56 - 8 * i));
	tstream_send_bytes(t, source_request, 8);
	open_on(cl, t, SOURCE_PROTOCOL);
}

/* ---- dialing ---- */

static void wrong_peer_dialed(void *arg, int status, lp2p_conn *conn)
{
	struct client *cl = arg;
	if (status == 0) {
		char seen[LP2P_PEER_ID_STR_MAX] = "?";
		lp2p_peer_id_to_string(lp2p_conn_peer(conn), seen, sizeof seen);
		fail(cl, "dial as another peer id reached %s", seen);
		return;
	}
	if (status != LP2P_EPEERID) {
		fail(cl,
		     "dial as another peer id failed with %s (%d), want "
		     "LP2P_EPEERID",
		     lp2p_strerror(status), status);
		return;
	}
	detail_peer(cl, "realPeerId", &cl->real_peer);
	detail_peer(cl, "dialedAs", &cl->other_peer);
	detail_str(cl, "refusal", lp2p_strerror(status));
	finish(cl, true);
}

static void dial_wrong_peer(struct client *cl)
{
	struct lp2p_key *key = NULL;
	int rc = lp2p_key_generate(LP2P_KEY_ED25519, 0, &key);
	if (rc == 0)
		rc = lp2p_peer_id_from_key(key, &cl->other_peer);
	lp2p_key_free(key);
	if (rc) {
		fail(cl, "making another peer id: %s", lp2p_strerror(rc));
		return;
	}
	struct lp2p_multiaddr bad = cl->addr;
	lp2p_multiaddr_peer_id(&bad, NULL, true);
	rc = lp2p_multiaddr_push(&bad, LP2P_MA_P2P, cl->other_peer.bytes,
	                         cl->other_peer.len);
	if (rc == 0)
		rc =
		    lp2p_host_dial(cl->host, &bad, true, wrong_peer_dialed, cl);
	if (rc)
		fail(cl, "dialing as another peer id: %s", lp2p_strerror(rc));
}

static void dialed(void *arg, int status, lp2p_conn *conn)
{
	struct client *cl = arg;
	if (cl->finished)
		return;
	if (status) {
		fail(cl, "dial: %s", lp2p_strerror(status));
		return;
	}
	cl->conn = conn;
	cl->conn_id = lp2p_conn_id(conn);
	const struct lp2p_peer_id *seen = lp2p_conn_peer(conn);
	if (cl->have_expected && !lp2p_peer_id_equal(seen, &cl->expected)) {
		char a[LP2P_PEER_ID_STR_MAX] = "?",
		     b[LP2P_PEER_ID_STR_MAX] = "?";
		lp2p_peer_id_to_string(&cl->expected, a, sizeof a);
		lp2p_peer_id_to_string(seen, b, sizeof b);
		fail(cl, "dialled %s, connected to %s", a, b);
		return;
	}
	if (cl->aborted) { /* abort: the second connection */
		echo_after(cl);
		return;
	}
	detail_peer(cl, "remotePeerId", seen);
	detail_str(cl, "encryption", lp2p_conn_security(conn));
	detail_str(cl, "multiplexer", lp2p_conn_muxer(conn));
	switch (cl->test) {
	case T_ECHO: start_echo(cl); break;
	case T_STREAMS: start_streams(cl); break;
	case T_HALF_CLOSE: start_half_close(cl); break;
	case T_RESET: start_reset(cl); break;
	case T_REMOTE_RESET: start_remote_reset(cl); break;
	case T_PEER_ID:
		if (cl->have_expected)
			detail_peer(cl, "expected", &cl->expected);
		detail_peer(cl, "seen", seen);
		/* one echo before we hang up: the remote then surely finished
		 * its side of the upgrade (go-libp2p drops a connection that
		 * closes while it adds it, and logs nothing) */
		echo_after(cl);
		break;
	case T_WRONG_PEER_ID:
		cl->real_peer = *seen;
		lp2p_conn_close(conn);
		cl->conn = NULL;
		dial_wrong_peer(cl);
		break;
	case T_SINK: start_sink(cl); break;
	case T_SOURCE: start_source(cl); break;
	case T_ABORT: start_abort(cl); break;
	case T_UNSUPPORTED: start_unsupported(cl); break;
	}
}

static void start(void *arg)
{
	struct client *cl = arg;
	struct lp2p_multiaddr ma = cl->addr;
	if (cl->test == T_WRONG_PEER_ID) /* first the plain address */
		lp2p_multiaddr_peer_id(&ma, NULL, true);
	int rc = lp2p_host_dial(cl->host, &ma, false, dialed, cl);
	if (rc)
		fail(cl, "lp2p_host_dial: %s", lp2p_strerror(rc));
}

static void timed_out(void *arg)
{
	struct client *cl = arg;
	fail(cl, "timed out after %u s", cl->timeout_s);
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr,
	        "usage: client --dial MULTIADDR --muxer yamux|mplex --test "
	        "NAME\n"
	        "              [--size BYTES[K|M|G]] [--count N] "
	        "[--pause-ms MS] [--timeout S]\n"
	        "              [--psk FILE] [-v]\n"
	        "tests: echo streams half-close reset remote-reset peer-id "
	        "wrong-peer-id sink source abort\n");
	exit(2);
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return false;
	unsigned shift = 0;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	default: break;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static void print_result(struct client *cl)
{
	char self[LP2P_PEER_ID_STR_MAX] = "?";
	if (cl->host)
		lp2p_peer_id_to_string(lp2p_host_peer_id(cl->host), self,
		                       sizeof self);
	printf("{\"event\":\"result\",\"test\":\"%s\",\"ok\":%s,"
	       "\"localPeerId\":\"%s\"%s",
	       cl->test_name, cl->ok ? "true" : "false", self, cl->details);
	if (!cl->ok) {
		cl->details[0] = '\0';
		detail_str(cl, "error", cl->error);
		printf("%s", cl->details);
	}
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct client client;
	struct client *cl = &client;
	const char *dial = NULL, *muxer = NULL, *test = NULL, *psk = NULL;
	int verbosity = 0;
	cl->count = 500;
	cl->timeout_s = 60;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-v") == 0) {
			verbosity++;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (strcmp(a, "--dial") == 0) {
			dial = v;
		} else if (strcmp(a, "--muxer") == 0) {
			muxer = v;
		} else if (strcmp(a, "--psk") == 0) {
			/* quoted in the YAML below */
			if (strpbrk(v, "\"\\\n"))
				usage();
			psk = v;
		} else if (strcmp(a, "--test") == 0) {
			test = v;
		} else if (strcmp(a, "--size") == 0) {
			if (!parse_size(v, &cl->size))
				usage();
			cl->size_given = true;
		} else if (strcmp(a, "--count") == 0) {
			uint64_t n;
			if (!parse_size(v, &n) || n == 0 || n > 100000)
				usage();
			cl->count = (unsigned)n;
		} else if (strcmp(a, "--pause-ms") == 0) {
			uint64_t n;
			if (!parse_size(v, &n) || n > 60000)
				usage();
			cl->pause_ms = (unsigned)n;
		} else if (strcmp(a, "--timeout") == 0) {
			uint64_t n;
			if (!parse_size(v, &n) || n == 0 || n > 86400)
				usage();
			cl->timeout_s = (unsigned)n;
		} else {
			usage();
		}
	}
	if (!dial || !muxer || !test)
		usage();
	if (strcmp(muxer, "yamux") != 0 && strcmp(muxer, "mplex") != 0)
		usage();
	size_t ntests = sizeof scenario_names / sizeof scenario_names[0];
	size_t ti;
	for (ti = 0; ti < ntests; ti++)
		if (strcmp(test, scenario_names[ti]) == 0)
			break;
	if (ti == ntests)
		usage();
	cl->test = (enum scenario)ti;
	cl->test_name = scenario_names[ti];
	if (!cl->size_given)
		cl->size = cl->test == T_HALF_CLOSE ? MiB
		           : cl->test == T_ABORT    ? 64u * MiB
		                                    : 100u * MiB;
	if (cl->test == T_ABORT && cl->size < 16) {
		fprintf(stderr,
		        "client: abort needs --size of 16 bytes or more\n");
		return 2;
	}
	if (lp2p_multiaddr_parse(dial, strlen(dial), &cl->addr)) {
		fprintf(stderr, "client: bad multiaddr %s\n", dial);
		return 2;
	}
	struct lp2p_multiaddr tmp = cl->addr;
	cl->have_expected =
	    lp2p_multiaddr_peer_id(&tmp, &cl->expected, false) == 0;
	if (cl->test == T_WRONG_PEER_ID && !cl->have_expected) {
		/* nothing to compare with, but the test still makes sense:
		 * the first dial learns the real id */
	}

	lp2p_log_set_level(LP2P_LOG_WARN + verbosity);
	char yaml[4352], err[4608];
	int n = snprintf(yaml, sizeof yaml,
	                 "listen: []\n"
	                 "security: [noise]\n"
	                 "muxers: [%s]\n"
	                 "plugins: {}\n",
	                 muxer);
	if (psk)
		n += snprintf(yaml + n, sizeof yaml - (size_t)n,
		              "pnet:\n  key_file: \"%s\"\n", psk);
	if ((size_t)n >= sizeof yaml) {
		fprintf(stderr, "client: --psk path too long\n");
		return 2;
	}
	lp2p_config *cfg = NULL;
	int rc = lp2p_config_load_string(yaml, (size_t)n, "<client>", &cfg, err,
	                                 sizeof err);
	if (rc == 0)
		rc = lp2p_host_new(cfg, &cl->host, err, sizeof err);
	if (rc == 0)
		rc = lp2p_host_start(cl->host, err, sizeof err);
	if (rc == 0)
		rc = lp2p_timer_new(cl->host, start, cl, &cl->start_timer);
	if (rc == 0)
		rc =
		    lp2p_timer_new(cl->host, timed_out, cl, &cl->timeout_timer);
	if (rc == 0)
		rc = lp2p_timer_new(cl->host, resume_paused, cl,
		                    &cl->pause_timer);
	if (rc) {
		fprintf(stderr, "client: %s (%s)\n", err, lp2p_strerror(rc));
		lp2p_host_free(cl->host);
		lp2p_config_free(cfg);
		return 2;
	}
	lp2p_timer_start(cl->start_timer, 0, 0);
	lp2p_timer_start(cl->timeout_timer, (uint64_t)cl->timeout_s * 1000, 0);
	rc = lp2p_host_run(cl->host, 1);
	if (!cl->finished) {
		snprintf(cl->error, sizeof cl->error, "stopped by a signal");
		cl->ok = false;
	}
	print_result(cl);
	lp2p_timer_free(cl->start_timer);
	lp2p_timer_free(cl->timeout_timer);
	lp2p_timer_free(cl->pause_timer);
	lp2p_host_free(cl->host);
	lp2p_config_free(cfg);
	tstream_free(cl->reset_stream);
	return cl->ok ? 0 : 1;
}
