/*
 * tls_dial.c - a minimal lp2p client for the TLS interop test
 * (tests/interop/tls.sh): dial a js-libp2p peer (js/peer.mjs --listen)
 * over /tls/1.0.0 and run one scenario of js/peer.mjs's catalogue, from
 * the C side:
 *
 *   echo           send --size bytes of the deterministic stream through
 *                  /echo/1.0.0, check every byte echoed back
 *   streams        --count concurrent echo streams on one connection
 *                  (8 at first, then at most 256 ahead of the negotiated
 *                  ones)
 *   wrong-peer-id  the address without /p2p/ works; with the /p2p/ of
 *                  another peer the dial must fail with LP2P_EPEERID
 *
 * --security noise runs the same over Noise, for comparison.
 *
 * Prints one JSON line {"test":..,"ok":..,...} and exits 0 when it passed.
 * Uses only the public API, like any program embedding liblp2p.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lp2p/config.h>
#include <lp2p/crypto.h>
#include <lp2p/host.h>
#include <lp2p/multiaddr.h>
#include <lp2p/peer_id.h>
#include <lp2p/swarm.h>

#define ECHO_PROTO "/echo/1.0.0"
#define CHUNK (64u * 1024)

static const char *const echo_protos[] = {ECHO_PROTO};

static const char *test_name = "?";
static const char *security = "tls";
static lp2p_host *host;
static int failed = -1; /* -1: running, 0: passed, 1: failed */
static char detail[512];
static struct timespec t0;

static double elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) +
	       (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void finish(int ok, const char *fmt, ...) LP2P_PRINTF(2, 3);

static void finish(int ok, const char *fmt, ...)
{
	va_list ap;

	if (failed >= 0)
		return;
	failed = ok ? 0 : 1;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	lp2p_host_stop(host);
}

/* The deterministic byte stream of tests/interop/README.md. */
struct gen {
	uint32_t x;
	uint64_t pos;
};

static void gen_init(struct gen *g)
{
	g->x = 0x6c703270;
	g->pos = 0;
}

static uint8_t gen_next(struct gen *g)
{
	if (g->pos % 4 == 0) {
		g->x ^= g->x << 13;
		g->x ^= g->x >> 17;
		g->x ^= g->x << 5;
	}
	return (uint8_t)(g->x >> (8 * (g->pos++ % 4)));
}

/* ---- echo ---- */

static struct {
	uint64_t size, sent, got;
	struct gen tx, rx;
	uint8_t buf[CHUNK];
	size_t buf_len, buf_off;
	bool closed_write;
} echo;

static void echo_pump(lp2p_stream *s)
{
	while (echo.sent < echo.size) {
		if (echo.buf_off == echo.buf_len) {
			uint64_t left = echo.size - echo.sent;
			echo.buf_len = left < CHUNK ? (size_t)left : CHUNK;
			for (size_t i = 0; i < echo.buf_len; i++)
				echo.buf[i] = gen_next(&echo.tx);
			echo.buf_off = 0;
		}
		ssize_t w = lp2p_stream_write(s, echo.buf + echo.buf_off,
		                              echo.buf_len - echo.buf_off);
		if (w == LP2P_EAGAIN || w == 0)
			return; /* on_writable follows */
		if (w < 0) {
			finish(0, "\"error\":\"write: %s\"",
			       lp2p_strerror((int)w));
			return;
		}
		echo.buf_off += (size_t)w;
		echo.sent += (uint64_t)w;
	}
	if (!echo.closed_write) {
		echo.closed_write = true;
		lp2p_stream_close_write(s);
	}
}

static void echo_data(lp2p_stream *s, void *u, const uint8_t *d, size_t n)
{
	(void)s;
	(void)u;
	for (size_t i = 0; i < n; i++) {
		if (d[i] != gen_next(&echo.rx)) {
			finish(0,
			       "\"error\":\"echo differs at byte %" PRIu64 "\"",
			       echo.got + i);
			return;
		}
	}
	echo.got += n;
}

static void echo_writable(lp2p_stream *s, void *u)
{
	(void)u;
	echo_pump(s);
}

static void echo_close(lp2p_stream *s, void *u, int reason)
{
	(void)s;
	(void)u;
	double secs = elapsed();

	if (reason == 0 && echo.got == echo.size)
		finish(1,
		       "\"bytes\":%" PRIu64 ",\"seconds\":%.3f,\"mbps\":%.2f",
		       echo.got, secs, (double)echo.got / secs / 1e6);
	else
		finish(0,
		       "\"error\":\"stream closed (%s) after %" PRIu64
		       " of %" PRIu64 " bytes\"",
		       lp2p_strerror(reason), echo.got, echo.size);
}

static const struct lp2p_stream_handler echo_handler = {
    .on_data = echo_data,
    .on_writable = echo_writable,
    .on_close = echo_close,
};

static void echo_opened(void *arg, int status, lp2p_stream *s)
{
	(void)arg;
	if (status) {
		finish(0, "\"error\":\"open: %s\"", lp2p_strerror(status));
		return;
	}
	lp2p_stream_set_handler(s, &echo_handler, NULL);
	echo_pump(s);
}

/* ---- streams ---- */

struct one {
	char msg[64];
	size_t len, got;
	bool bad;
};

/*
 * js-libp2p resets streams beyond 10 that arrive before its side of the
 * connection is set up ("MaxEarlyStreamsError: Too many early streams"):
 * 8 go first, and the first answer shows it is set up; then all the
 * others at once.  Beyond yamux's ACK backlog (256) they wait in lp2p
 * for the peer's ACKs.
 */
#define OPEN_EARLY 8

static struct {
	struct one *v;
	size_t n, done, good, opened;
	bool ramped;
	int first_error;
	lp2p_conn *conn;
} many;

static void one_opened(void *arg, int status, lp2p_stream *s);
static void one_close(lp2p_stream *s, void *u, int reason);

static void open_next(void)
{
	if (many.opened >= many.n)
		return;
	struct one *o = &many.v[many.opened++];
	o->len = (size_t)snprintf(o->msg, sizeof(o->msg),
	                          "lp2p interop stream %zu of %zu",
	                          (size_t)(o - many.v), many.n);
	if (lp2p_conn_open_stream(many.conn, echo_protos, 1, one_opened, o)) {
		o->bad = true;
		one_close(NULL, o, LP2P_ELIMIT);
	}
}

static void one_data(lp2p_stream *s, void *u, const uint8_t *d, size_t n)
{
	struct one *o = u;

	(void)s;
	if (o->got + n > o->len || memcmp(o->msg + o->got, d, n) != 0)
		o->bad = true;
	else
		o->got += n;
}

static void one_close(lp2p_stream *s, void *u, int reason)
{
	struct one *o = u;

	(void)s;
	if (reason == 0 && !o->bad && o->got == o->len)
		many.good++;
	else if (!many.first_error)
		many.first_error = reason ? reason : LP2P_EPROTO;
	if (++many.done == many.n) {
		if (many.good == many.n)
			finish(1, "\"streams\":%zu,\"seconds\":%.3f", many.n,
			       elapsed());
		else
			finish(0,
			       "\"error\":\"%zu of %zu streams failed, the "
			       "first with: %s\"",
			       many.n - many.good, many.n,
			       lp2p_strerror(many.first_error));
	}
}

static const struct lp2p_stream_handler one_handler = {
    .on_data = one_data,
    .on_close = one_close,
};

static void one_opened(void *arg, int status, lp2p_stream *s)
{
	struct one *o = arg;

	if (!many.ramped) {
		many.ramped = true;
		while (many.opened < many.n)
			open_next();
	}
	if (status) {
		o->bad = true;
		one_close(NULL, o, status);
		return;
	}
	lp2p_stream_set_handler(s, &one_handler, o);
	if (lp2p_stream_write(s, o->msg, o->len) != (ssize_t)o->len)
		o->bad = true;
	lp2p_stream_close_write(s);
}

/* ---- dialing ---- */

static void dialled(void *arg, int status, lp2p_conn *c)
{
	(void)arg;
	if (status) {
		finish(0, "\"error\":\"dial: %s\"", lp2p_strerror(status));
		return;
	}
	if (strcmp(lp2p_conn_security(c),
	           strcmp(security, "tls") == 0 ? "/tls/1.0.0" : "/noise") !=
	    0) {
		finish(0, "\"error\":\"security %s\"", lp2p_conn_security(c));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(test_name, "echo") == 0) {
		gen_init(&echo.tx);
		gen_init(&echo.rx);
		if (lp2p_conn_open_stream(c, echo_protos, 1, echo_opened, NULL))
			finish(0, "\"error\":\"cannot open a stream\"");
		return;
	}
	many.conn = c;
	for (size_t i = 0; i < OPEN_EARLY; i++)
		open_next();
}

static struct lp2p_multiaddr bare, wrong;

static void wrong_dialled(void *arg, int status, lp2p_conn *c)
{
	(void)arg;
	(void)c;
	if (status == LP2P_EPEERID)
		finish(1, "\"refusal\":\"%s\"", lp2p_strerror(status));
	else
		finish(0, "\"error\":\"dial as another peer: %s\"",
		       status ? lp2p_strerror(status) : "accepted");
}

static void bare_dialled(void *arg, int status, lp2p_conn *c)
{
	(void)arg;
	if (status) {
		finish(0, "\"error\":\"dial without /p2p/: %s\"",
		       lp2p_strerror(status));
		return;
	}
	lp2p_conn_close(c);
	if (lp2p_host_dial(host, &wrong, true, wrong_dialled, NULL))
		finish(0, "\"error\":\"cannot dial\"");
}

/* addr without its /p2p/ part, and with /p2p/ of a fresh random peer. */
static int wrong_addrs(const char *addr)
{
	char text[LP2P_MULTIADDR_STR_MAX], id[LP2P_PEER_ID_STR_MAX];
	const char *p2p = strstr(addr, "/p2p/");
	size_t n = p2p ? (size_t)(p2p - addr) : strlen(addr);
	struct lp2p_key *k = NULL;
	struct lp2p_peer_id peer;

	if (lp2p_multiaddr_parse(addr, n, &bare) ||
	    lp2p_key_generate(LP2P_KEY_ED25519, 0, &k) ||
	    lp2p_peer_id_from_key(k, &peer) ||
	    lp2p_peer_id_to_string(&peer, id, sizeof(id)) < 0) {
		lp2p_key_free(k);
		return -1;
	}
	lp2p_key_free(k);
	snprintf(text, sizeof(text), "%.*s/p2p/%s", (int)n, addr, id);
	return lp2p_multiaddr_parse(text, strlen(text), &wrong);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'K': return v << 10;
	case 'M': return v << 20;
	case 'G': return v << 30;
	default: return v;
	}
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *muxer = "yamux";
	char yaml[256], err[512];
	struct lp2p_multiaddr ma;
	lp2p_config *cfg = NULL;
	uint64_t size = 100u << 20;
	size_t count = 500;
	int rc;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--dial") == 0)
			addr = argv[i + 1];
		else if (strcmp(argv[i], "--test") == 0)
			test_name = argv[i + 1];
		else if (strcmp(argv[i], "--security") == 0)
			security = argv[i + 1];
		else if (strcmp(argv[i], "--muxer") == 0)
			muxer = argv[i + 1];
		else if (strcmp(argv[i], "--size") == 0)
			size = parse_size(argv[i + 1]);
		else if (strcmp(argv[i], "--count") == 0)
			count = (size_t)strtoul(argv[i + 1], NULL, 10);
	}
	if (!addr || (strcmp(test_name, "echo") != 0 &&
	              strcmp(test_name, "streams") != 0 &&
	              strcmp(test_name, "wrong-peer-id") != 0)) {
		fprintf(stderr, "usage: tls_dial --dial MA --test "
		                "echo|streams|wrong-peer-id [--muxer M] "
		                "[--security tls|noise] "
		                "[--size N] [--count N]\n");
		return 2;
	}
	echo.size = size;
	many.n = count;
	many.v = calloc(count ? count : 1, sizeof(*many.v));
	snprintf(
	    yaml, sizeof(yaml),
	    "security: [%s]\nmuxers: [%s]\nplugins: {}\n"
	    "limits: {max_streams_per_connection: 4096}\nlog: {level: info}\n",
	    security, muxer);
	if (lp2p_config_load_string(yaml, strlen(yaml), "tls_dial", &cfg, err,
	                            sizeof(err)) ||
	    lp2p_host_new(cfg, &host, err, sizeof(err)) ||
	    lp2p_host_start(host, err, sizeof(err))) {
		fprintf(stderr, "tls_dial: %s\n", err);
		return 2;
	}
	if (strcmp(test_name, "wrong-peer-id") == 0) {
		rc = wrong_addrs(addr);
		if (!rc)
			rc = lp2p_host_dial(host, &bare, true, bare_dialled,
			                    NULL);
	} else {
		rc = lp2p_multiaddr_parse(addr, strlen(addr), &ma);
		if (!rc)
			rc = lp2p_host_dial(host, &ma, true, dialled, NULL);
	}
	if (rc)
		finish(0, "\"error\":\"%s\"", lp2p_strerror(rc));
	else
		lp2p_host_run(host, 1);
	if (failed < 0)
		finish(0, "\"error\":\"interrupted\"");
	printf("{\"test\":\"%s\",\"ok\":%s,\"muxer\":\"%s\",%s}\n", test_name,
	       failed ? "false" : "true", muxer, detail);
	lp2p_host_free(host);
	lp2p_config_free(cfg);
	free(many.v);
	return failed;
}
