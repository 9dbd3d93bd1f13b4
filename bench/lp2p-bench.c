/*
 * lp2p-bench.c - the lp2p client side of the benchmarks (bench/README.md),
 * on liblp2p's public API only.  One JSON line on stdout per run, with the
 * same keys as tests/interop/js/bench-peer.mjs prints.
 *
 *   lp2p-bench handshakes MA [--concurrency K] [--seconds S]
 *       K dials at a time, each a new connection (TCP, security, muxer)
 *       closed as soon as it is ready; counts completed handshakes.
 *   lp2p-bench conns MA --count N [--concurrency K]
 *       opens N connections, prints {"event":"ready",...} and holds them
 *       (idle: no stream) until SIGTERM or SIGINT.
 *   lp2p-bench ping MA [--count N] [--size B]
 *       N round trips of B bytes on one /echo/1.0.0 stream (after 10 to
 *       warm up); RTT percentiles in microseconds.
 *   lp2p-bench streams MA [--concurrency K] [--seconds S] [--size B]
 *       new /echo/1.0.0 streams on one connection, K at a time: B bytes
 *       written, write side closed, the echo read to its end.
 * Common: --security LIST, --muxer LIST (as in lp2pd.yaml), -v.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/multiaddr.h>
#include <lp2p/peerstore.h>
#include <lp2p/swarm.h>

#define ECHO_PROTOCOL "/echo/1.0.0"
#define WARMUP_PINGS 10
#define MAX_MSG 65536

struct bench;

struct worker {
	struct bench *b;
	size_t got;      /* echo bytes of the current stream */
	double t_start; /* the current dial */
};

struct bench {
	const char *mode;
	lp2p_host *host;
	struct lp2p_multiaddr target;
	unsigned concurrency;
	double seconds;
	uint64_t count;
	size_t size;
	uint8_t msg[MAX_MSG];

	double t0;
	double cpu0; /* process CPU seconds at t0 */
	uint64_t done, errors, started;
	unsigned active; /* workers with an operation in flight */
	int last_error;
	const char *last_what;
	lp2p_timer *deadline;
	bool stopping;

	struct worker *workers;
	lp2p_conn *conn; /* ping, streams */
	bool known_protocol; /* the peerstore says the peer speaks echo */
	bool reply_first;    /* streams: close after the echo, not before */
	lp2p_stream *stream; /* ping */
	double *rtts;       /* ping RTTs */
	double *lat;        /* handshake latencies (the first lat_cap) */
	size_t nlat, lat_cap;
	double t_ping;
	size_t echoed;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process (user + system): load-independent costs. */
static double cpu_s(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void note_error(struct bench *b, int rc, const char *what)
{
	b->errors++;
	b->last_error = rc;
	b->last_what = what;
	lp2p_log(LP2P_LOG_INFO, "%s: %s", what, lp2p_strerror(rc));
}

static void print_error_fields(const struct bench *b)
{
	if (b->errors)
		printf(",\"lastError\":\"%s: %s\"", b->last_what,
		       lp2p_strerror(b->last_error));
}

/* ---- handshakes and conns: dial in a loop ---- */

static void dial_next(struct worker *w);

static bool dials_wanted(struct bench *b)
{
	if (b->stopping)
		return false;
	if (strcmp(b->mode, "conns") == 0)
		return b->started < b->count;
	return now_s() - b->t0 < b->seconds;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void handshakes_report(struct bench *b)
{
	double s = now_s() - b->t0;
	printf("{\"event\":\"result\",\"bench\":\"handshakes\",\"ok\":true,"
	       "\"concurrency\":%u,\"handshakes\":%" PRIu64
	       ",\"errors\":%" PRIu64 ",\"seconds\":%.3f,\"perSecond\":%.1f"
	       ",\"cpuSeconds\":%.3f",
	       b->concurrency, b->done, b->errors, s, (double)b->done / s,
	       cpu_s() - b->cpu0);
	if (b->nlat) {
		qsort(b->lat, b->nlat, sizeof *b->lat, cmp_double);
		printf(",\"p50ms\":%.3f,\"p99ms\":%.3f,\"maxMs\":%.3f",
		       b->lat[b->nlat / 2] * 1e3,
		       b->lat[b->nlat * 99 / 100] * 1e3,
		       b->lat[b->nlat - 1] * 1e3);
	}
	print_error_fields(b);
	printf("}\n");
	fflush(stdout);
}

static void conns_report(struct bench *b)
{
	printf("{\"event\":\"ready\",\"conns\":%" PRIu64 ",\"errors\":%" PRIu64
	       ",\"seconds\":%.3f",
	       b->done, b->errors, now_s() - b->t0);
	print_error_fields(b);
	printf("}\n");
	fflush(stdout);
}

static void worker_idle(struct worker *w)
{
	struct bench *b = w->b;
	b->active--;
	if (b->active)
		return;
	if (strcmp(b->mode, "conns") == 0) {
		conns_report(b); /* and hold them until a signal */
		return;
	}
	handshakes_report(b);
	lp2p_host_stop(b->host);
}

static void on_dialed(void *arg, int status, lp2p_conn *c)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	if (status) {
		note_error(b, status, "dial");
	} else {
		b->done++;
		if (b->nlat < b->lat_cap)
			b->lat[b->nlat++] = now_s() - w->t_start;
		if (strcmp(b->mode, "handshakes") == 0)
			lp2p_conn_close(c);
	}
	dial_next(w);
}

static void dial_next(struct worker *w)
{
	struct bench *b = w->b;
	while (dials_wanted(b)) {
		b->started++;
		w->t_start = now_s();
		int rc = lp2p_host_dial(b->host, &b->target, true, on_dialed, w);
		if (rc == 0)
			return;
		note_error(b, rc, "dial");
	}
	worker_idle(w);
}

/* ---- ping: one echo stream, one message at a time ---- */

static void ping_send(lp2p_stream *s, struct bench *b)
{
	b->t_ping = now_s();
	ssize_t w = lp2p_stream_write(s, b->msg, b->size);
	if (w != (ssize_t)b->size) /* ping_close notes it and stops */
		lp2p_stream_reset(s, w < 0 ? (int)w : LP2P_EAGAIN);
}

static void ping_report(struct bench *b)
{
	qsort(b->rtts, b->count, sizeof *b->rtts, cmp_double);
	size_t i50 = b->count / 2, i99 = b->count * 99 / 100;
	printf("{\"event\":\"result\",\"bench\":\"ping\",\"ok\":true,"
	       "\"pings\":%" PRIu64 ",\"size\":%zu,\"p50us\":%.1f,"
	       "\"p99us\":%.1f,\"minUs\":%.1f}\n",
	       b->count, b->size, b->rtts[i50] * 1e6,
	       b->rtts[i99 < b->count ? i99 : b->count - 1] * 1e6,
	       b->rtts[0] * 1e6);
	fflush(stdout);
}

static void ping_data(lp2p_stream *s, void *user, const uint8_t *data,
                      size_t len)
{
	(void)data;
	struct bench *b = user;
	b->echoed += len;
	if (b->echoed < b->size)
		return;
	if (b->echoed > b->size) { /* ping_close notes it and stops */
		lp2p_stream_reset(s, LP2P_EPROTO);
		return;
	}
	double rtt = now_s() - b->t_ping;
	b->echoed = 0;
	if (b->started >= WARMUP_PINGS)
		b->rtts[b->done++] = rtt;
	b->started++;
	if (b->done == b->count) {
		ping_report(b);
		lp2p_stream_close(s);
		lp2p_host_stop(b->host);
		return;
	}
	ping_send(s, b);
}

static void ping_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct bench *b = user;
	if (b->done < b->count) {
		note_error(b, reason ? reason : LP2P_ECLOSED, "ping stream");
		lp2p_host_stop(b->host);
	}
}

static const struct lp2p_stream_handler ping_handler = {
	.on_data = ping_data,
	.on_close = ping_close,
};

static void ping_opened(void *arg, int status, lp2p_stream *s)
{
	struct bench *b = arg;
	if (status) {
		note_error(b, status, "opening " ECHO_PROTOCOL);
		lp2p_host_stop(b->host);
		return;
	}
	lp2p_stream_set_handler(s, &ping_handler, b);
	ping_send(s, b);
}

/* ---- streams: open, one message each way, close ---- */

static void stream_next(struct worker *w);

static void stream_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	(void)s;
	(void)data;
	struct worker *w = user;
	w->got += len;
	/* --reply-first: our end only once the whole echo is back */
	if (w->b->reply_first && w->got >= w->b->size)
		lp2p_stream_close_write(s);
}

static void stream_closed(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct worker *w = user;
	struct bench *b = w->b;
	if (reason)
		note_error(b, reason, "echo stream");
	else if (w->got != b->size)
		note_error(b, LP2P_EPROTO, "short echo");
	else
		b->done++;
	stream_next(w);
}

static const struct lp2p_stream_handler stream_handler = {
	.on_data = stream_data,
	.on_close = stream_closed,
};

static void stream_opened(void *arg, int status, lp2p_stream *s)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	if (status) {
		note_error(b, status, "opening " ECHO_PROTOCOL);
		stream_next(w);
		return;
	}
	w->got = 0;
	lp2p_stream_set_handler(s, &stream_handler, w);
	ssize_t n = lp2p_stream_write(s, b->msg, b->size);
	if (n != (ssize_t)b->size) {
		/* stream_closed notes the error and goes on */
		lp2p_stream_reset(s, n < 0 ? (int)n : LP2P_EAGAIN);
		return;
	}
	if (!b->reply_first)
		lp2p_stream_close_write(s);
}

static void streams_report(struct bench *b)
{
	double s = now_s() - b->t0;
	printf("{\"event\":\"result\",\"bench\":\"streams\",\"ok\":true,"
	       "\"concurrency\":%u,\"streams\":%" PRIu64
	       ",\"errors\":%" PRIu64 ",\"seconds\":%.3f,\"perSecond\":%.1f"
	       ",\"cpuSeconds\":%.3f",
	       b->concurrency, b->done, b->errors, s, (double)b->done / s,
	       cpu_s() - b->cpu0);
	print_error_fields(b);
	printf("}\n");
	fflush(stdout);
}

static void stream_next(struct worker *w)
{
	struct bench *b = w->b;
	static const char *const protos[] = {ECHO_PROTOCOL};
	while (!b->stopping && now_s() - b->t0 < b->seconds &&
	       b->errors < 1000) {
		int rc = lp2p_conn_open_stream(b->conn, protos, 1,
		                               stream_opened, w);
		if (rc == 0)
			return;
		note_error(b, rc, "opening " ECHO_PROTOCOL);
	}
	if (--b->active == 0) {
		streams_report(b);
		lp2p_host_stop(b->host);
	}
}

/* ---- one connection first (ping, streams) ---- */

static void on_connected(void *arg, int status, lp2p_conn *c)
{
	struct bench *b = arg;
	if (status) {
		note_error(b, status, "dial");
		lp2p_host_stop(b->host);
		return;
	}
	b->conn = c;
	lp2p_conn_protect(c, "bench");
	if (b->known_protocol) {
		/* as identify would: opens of it become optimistic */
		static const char *const echo[] = {ECHO_PROTOCOL};
		lp2p_peerstore_set_protocols(b->host, lp2p_conn_peer(c), echo,
		                             1);
	}
	b->t0 = now_s();
	b->cpu0 = cpu_s();
	if (strcmp(b->mode, "ping") == 0) {
		static const char *const protos[] = {ECHO_PROTOCOL};
		int rc = lp2p_conn_open_stream(c, protos, 1, ping_opened, b);
		if (rc) {
			note_error(b, rc, "opening " ECHO_PROTOCOL);
			lp2p_host_stop(b->host);
		}
		return;
	}
	b->active = b->concurrency;
	for (unsigned i = 0; i < b->concurrency; i++)
		stream_next(&b->workers[i]);
}

static void on_deadline(void *arg)
{
	struct bench *b = arg;
	note_error(b, LP2P_ETIMEDOUT, b->mode);
	b->stopping = true;
	lp2p_host_stop(b->host);
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: lp2p-bench handshakes|conns|ping|streams MULTIADDR "
	        "[options]\n"
	        "  --concurrency K   operations in flight (default 1)\n"
	        "  --seconds S       duration (handshakes, streams; default 10)\n"
	        "  --count N         connections (conns) or pings (default "
	        "1000)\n"
	        "  --size B          message bytes (ping, streams; default 32)\n"
	        "  --known-protocol  tell the peerstore the peer speaks echo (as\n"
	        "                    identify would): stream opens are optimistic\n"
	        "  --reply-first     streams: close our end after the echo came\n"
	        "                    back, not right after the request\n"
	        "  --security LIST   default noise\n"
	        "  --muxer LIST      default yamux\n"
	        "  -v                more log output\n");
}

static int yaml_list(const char *csv, char *out, size_t cap)
{
	size_t n = 0;
	out[n++] = '[';
	for (const char *p = csv; *p; p++) {
		if (n + 3 >= cap)
			return -1;
		if (*p == ',') {
			out[n++] = ',';
			out[n++] = ' ';
		} else if ((*p >= 'a' && *p <= 'z') ||
		           (*p >= '0' && *p <= '9')) {
			out[n++] = *p;
		} else {
			return -1;
		}
	}
	out[n++] = ']';
	out[n] = '\0';
	return 0;
}

enum { OPT_CONC = 256, OPT_SECONDS, OPT_COUNT, OPT_SIZE, OPT_SECURITY,
       OPT_MUXER, OPT_KNOWN, OPT_REPLY_FIRST };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"concurrency", required_argument, NULL, OPT_CONC},
		{"seconds", required_argument, NULL, OPT_SECONDS},
		{"count", required_argument, NULL, OPT_COUNT},
		{"size", required_argument, NULL, OPT_SIZE},
		{"security", required_argument, NULL, OPT_SECURITY},
		{"muxer", required_argument, NULL, OPT_MUXER},
		{"known-protocol", no_argument, NULL, OPT_KNOWN},
		{"reply-first", no_argument, NULL, OPT_REPLY_FIRST},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct bench bench;
	struct bench *b = &bench;
	const char *security = "noise", *muxer = "yamux";
	int verbosity = 0, c;
	b->concurrency = 1;
	b->seconds = 10;
	b->count = 1000;
	b->size = 32;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONC: b->concurrency = (unsigned)atoi(optarg); break;
		case OPT_SECONDS: b->seconds = atof(optarg); break;
		case OPT_COUNT: b->count = strtoull(optarg, NULL, 10); break;
		case OPT_SIZE: b->size = (size_t)atol(optarg); break;
		case OPT_SECURITY: security = optarg; break;
		case OPT_MUXER: muxer = optarg; break;
		case OPT_KNOWN: b->known_protocol = true; break;
		case OPT_REPLY_FIRST: b->reply_first = true; break;
		case 'v': verbosity++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 2 != argc || b->concurrency == 0 || b->count == 0 ||
	    b->size == 0 || b->size > MAX_MSG || b->seconds <= 0) {
		usage(stderr);
		return 2;
	}
	b->mode = argv[optind];
	const char *target = argv[optind + 1];
	if (strcmp(b->mode, "handshakes") && strcmp(b->mode, "conns") &&
	    strcmp(b->mode, "ping") && strcmp(b->mode, "streams")) {
		usage(stderr);
		return 2;
	}
	if (lp2p_multiaddr_parse(target, strlen(target), &b->target)) {
		fprintf(stderr, "lp2p-bench: bad multiaddr %s\n", target);
		return 2;
	}
	memset(b->msg, 0x6c, sizeof b->msg);
	b->workers = calloc(b->concurrency, sizeof *b->workers);
	b->rtts = calloc(b->count, sizeof *b->rtts);
	b->lat_cap = 1000000;
	b->lat = calloc(b->lat_cap, sizeof *b->lat);
	if (!b->workers || !b->rtts || !b->lat)
		return 1;
	for (unsigned i = 0; i < b->concurrency; i++)
		b->workers[i].b = b;

	char sec[128], mux[128], yaml[1024], err[1024] = "";
	if (yaml_list(security, sec, sizeof sec) ||
	    yaml_list(muxer, mux, sizeof mux)) {
		fprintf(stderr, "lp2p-bench: bad --security or --muxer\n");
		return 2;
	}
	/* No limit of the client may be what is measured (the memory
	 * benchmark opens all its connections to one peer). */
	snprintf(yaml, sizeof yaml,
	         "listen: []\nsecurity: %s\nmuxers: %s\nplugins: {}\n"
	         "limits:\n  max_connections: 200000\n"
	         "  max_inbound_connections: 200000\n"
	         "  max_outbound_connections: 200000\n"
	         "  max_pending_handshakes: 10000\n"
	         "  max_streams_per_connection: 10000\n"
	         "  max_connections_per_peer: 200000\n"
	         "connection_manager:\n  low_water: 190000\n"
	         "  high_water: 200000\n  idle_timeout: 1h\n",
	         sec, mux);
	lp2p_log_set_level(LP2P_LOG_WARN + verbosity);
	lp2p_config *cfg;
	int rc = lp2p_config_load_string(yaml, strlen(yaml), "<lp2p-bench>",
	                                 &cfg, err, sizeof err);
	if (rc) {
		fprintf(stderr, "lp2p-bench: %s\n", err);
		return 1;
	}
	rc = lp2p_host_new(cfg, &b->host, err, sizeof err);
	if (!rc)
		rc = lp2p_host_start(b->host, err, sizeof err);
	if (!rc)
		rc = lp2p_timer_new(b->host, on_deadline, b, &b->deadline);
	if (rc) {
		fprintf(stderr, "lp2p-bench: %s\n", *err ? err : lp2p_strerror(rc));
		return 1;
	}
	/* A run that hangs reports instead of blocking the suite. */
	if (strcmp(b->mode, "conns") != 0)
		lp2p_timer_start(b->deadline,
		                 (uint64_t)(b->seconds * 1000) + 120000, 0);

	b->t0 = now_s();
	b->cpu0 = cpu_s();
	if (strcmp(b->mode, "handshakes") == 0 ||
	    strcmp(b->mode, "conns") == 0) {
		b->active = b->concurrency;
		for (unsigned i = 0; i < b->concurrency; i++)
			dial_next(&b->workers[i]);
	} else {
		rc = lp2p_host_dial(b->host, &b->target, true, on_connected, b);
		if (rc) {
			fprintf(stderr, "lp2p-bench: dial: %s\n",
			        lp2p_strerror(rc));
			return 1;
		}
	}
	lp2p_host_run(b->host, 1);
	int status = 0;
	if (strcmp(b->mode, "ping") == 0 && b->done < b->count) {
		printf("{\"event\":\"result\",\"bench\":\"ping\",\"ok\":false");
		print_error_fields(b);
		printf("}\n");
		status = 1;
	}
	lp2p_timer_free(b->deadline);
	lp2p_host_free(b->host);
	lp2p_config_free(cfg);
	free(b->workers);
	free(b->rtts);
	free(b->lat);
	return status;
}
