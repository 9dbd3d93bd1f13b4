/*
 * ping_cmd.c - `lp2pd ping MULTIADDR [-n COUNT] [-i INTERVAL] [-W TIMEOUT]`:
 * connect to a peer, send /ipfs/ping/1.0.0 payloads on one stream and
 * print each round trip and a summary, as ping(8) does.
 *
 * It uses only the public API: a host with no listener and no plugin,
 * a dial, one stream, a timer.  A ping not answered within the timeout is
 * lost; its stream is reset and the next ping opens a new one, so a late
 * answer can never be taken for the next payload.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/swarm.h>

#include "lp2pd/ping_cmd.h"

#define PING_PROTOCOL "/ipfs/ping/1.0.0"
#define PING_SIZE 32

struct pinger {
	lp2p_host *host;
	const char *target;
	uint64_t count; /* 0: until interrupted */
	uint64_t interval_ms;
	uint64_t timeout_ms;
	char peer[LP2P_PEER_ID_STR_MAX];

	lp2p_conn *conn;
	lp2p_stream *stream;
	bool opening;
	lp2p_timer *next_timer;    /* next ping */
	lp2p_timer *timeout_timer; /* the current one's deadline */

	uint64_t seq; /* of the ping in flight (1-based); 0: none */
	uint8_t payload[PING_SIZE];
	uint8_t got[PING_SIZE];
	size_t got_len;
	struct timespec sent, started;

	uint64_t transmitted, received;
	double min_ms, max_ms, sum_ms;
	int error; /* a reason to stop with status 1 */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: lp2pd ping [-v] [-n COUNT] [-i INTERVAL] [-W TIMEOUT] "
	        "MULTIADDR\n"
	        "\n"
	        "  -n COUNT     stop after COUNT pings (default: until "
	        "interrupted)\n"
	        "  -i INTERVAL  seconds between pings (default 1)\n"
	        "  -W TIMEOUT   seconds to wait for each answer, and for the\n"
	        "               connection (default 10)\n"
	        "  -v           log what happens (repeatable)\n");
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1000.0 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/*
 * p->stream is the stream the next ping uses; a stream we gave up on is
 * no longer it (its on_close, which follows, only logs).
 */

/* Stop: close the stream gracefully (the FIN leaves with the shutdown). */
static void finish(struct pinger *p)
{
	lp2p_timer_stop(p->next_timer);
	lp2p_timer_stop(p->timeout_timer);
	if (p->stream) {
		lp2p_stream_close(p->stream);
		p->stream = NULL;
	}
	lp2p_host_stop(p->host);
}

static void drop_stream(struct pinger *p)
{
	if (!p->stream)
		return;
	lp2p_stream_reset(p->stream, 0);
	p->stream = NULL;
}

/* The ping in flight is over (answered or lost): next one, or stop. */
static void ping_over(struct pinger *p)
{
	p->seq = 0;
	lp2p_timer_stop(p->timeout_timer);
	if (p->count && p->transmitted >= p->count) {
		finish(p);
		return;
	}
	lp2p_timer_start(p->next_timer, p->interval_ms, 0);
}

static void send_ping(struct pinger *p)
{
	if (getrandom(p->payload, PING_SIZE, 0) != PING_SIZE) {
		fprintf(stderr, "lp2pd ping: no random bytes\n");
		p->error = 1;
		finish(p);
		return;
	}
	p->got_len = 0;
	p->seq = ++p->transmitted;
	clock_gettime(CLOCK_MONOTONIC, &p->sent);
	if (lp2p_stream_write(p->stream, p->payload, PING_SIZE) != PING_SIZE) {
		/* a stream always takes 32 bytes after a pong; if not, it
		 * is broken: the ping is lost, the next one reopens */
		drop_stream(p);
	}
	lp2p_timer_start(p->timeout_timer, p->timeout_ms, 0);
}

static void on_answer(struct pinger *p)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = ms_between(&p->sent, &now);
	p->received++;
	if (p->received == 1 || ms < p->min_ms)
		p->min_ms = ms;
	if (ms > p->max_ms)
		p->max_ms = ms;
	p->sum_ms += ms;
	printf("%d bytes from %s: seq=%llu time=%.3f ms\n", PING_SIZE, p->peer,
	       (unsigned long long)p->seq, ms);
	fflush(stdout);
	ping_over(p);
}

static void stream_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	(void)s;
	struct pinger *p = user;
	if (p->seq == 0 || len > PING_SIZE - p->got_len) {
		fprintf(stderr, "lp2pd ping: %s sent more than it was sent\n",
		        p->peer);
		drop_stream(p);
		return;
	}
	memcpy(p->got + p->got_len, data, len);
	p->got_len += len;
	if (p->got_len < PING_SIZE)
		return;
	if (memcmp(p->got, p->payload, PING_SIZE) != 0) {
		fprintf(stderr, "lp2pd ping: seq=%llu: wrong answer\n",
		        (unsigned long long)p->seq);
		drop_stream(p);
		return; /* lost: the timeout counts it */
	}
	on_answer(p);
}

static void stream_remote_close(lp2p_stream *s, void *user)
{
	(void)s;
	struct pinger *p = user;
	if (lp2p_log_enabled(LP2P_LOG_INFO))
		lp2p_log(LP2P_LOG_INFO, "the peer closed the ping stream");
	drop_stream(p);
}

static void stream_closed(lp2p_stream *s, void *user, int reason)
{
	struct pinger *p = user;
	if (p->stream == s)
		p->stream = NULL;
	if (lp2p_log_enabled(LP2P_LOG_INFO))
		lp2p_log(LP2P_LOG_INFO, "ping stream ended: %s",
		         reason ? lp2p_strerror(reason) : "closed");
}

static const struct lp2p_stream_handler handler = {
    .on_data = stream_data,
    .on_remote_close = stream_remote_close,
    .on_close = stream_closed,
};

static void on_stream(void *arg, int status, lp2p_stream *s)
{
	struct pinger *p = arg;
	p->opening = false;
	if (status) {
		fprintf(stderr, "lp2pd ping: %s: cannot open %s: %s\n", p->peer,
		        PING_PROTOCOL,
		        status == LP2P_ENEGOTIATE ? "the peer does not speak it"
		                                  : lp2p_strerror(status));
		p->error = 1;
		finish(p);
		return;
	}
	p->stream = s;
	lp2p_stream_set_handler(s, &handler, p);
	send_ping(p);
}

/* Time for the next ping: on the stream, or on a new one. */
static void on_next(void *arg)
{
	struct pinger *p = arg;
	if (p->stream) {
		send_ping(p);
		return;
	}
	static const char *const protos[] = {PING_PROTOCOL};
	int rc = lp2p_conn_open_stream(p->conn, protos, 1, on_stream, p);
	if (rc) {
		fprintf(stderr, "lp2pd ping: %s: %s\n", p->peer,
		        lp2p_strerror(rc));
		p->error = 1;
		finish(p);
		return;
	}
	p->opening = true;
}

static void on_timeout(void *arg)
{
	struct pinger *p = arg;
	if (lp2p_log_enabled(LP2P_LOG_INFO))
		lp2p_log(LP2P_LOG_INFO, "seq=%llu: no answer",
		         (unsigned long long)p->seq);
	drop_stream(p);
	ping_over(p);
}

static void on_dial(void *arg, int status, lp2p_conn *c)
{
	struct pinger *p = arg;
	if (status) {
		fprintf(stderr, "lp2pd ping: cannot connect to %s: %s\n",
		        p->target, lp2p_strerror(status));
		p->error = 1;
		finish(p);
		return;
	}
	p->conn = c;
	lp2p_peer_id_to_string(lp2p_conn_peer(c), p->peer, sizeof p->peer);
	printf("PING %s (%s): %d bytes\n", p->target, p->peer, PING_SIZE);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	on_next(p);
}

static void print_summary(const struct pinger *p)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("\n--- %s ping statistics ---\n", p->target);
	unsigned loss = p->transmitted
	                    ? (unsigned)((p->transmitted - p->received) * 100 /
	                                 p->transmitted)
	                    : 0;
	printf(
	    "%llu pings transmitted, %llu received, %u%% loss, time %.0fms\n",
	    (unsigned long long)p->transmitted, (unsigned long long)p->received,
	    loss, p->started.tv_sec ? ms_between(&p->started, &now) : 0.0);
	if (p->received)
		printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", p->min_ms,
		       p->sum_ms / (double)p->received, p->max_ms);
}

/* Seconds (decimals allowed) as milliseconds; false if not a number. */
static bool parse_seconds(const char *s, uint64_t min_ms, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= 0) || v > 86400.0)
		return false;
	uint64_t ms = (uint64_t)(v * 1000.0 + 0.5);
	if (ms < min_ms)
		return false;
	*out = ms;
	return true;
}

static int parse_args(int argc, char **argv, struct pinger *p, int *verbose)
{
	int c;
	optind = 1;
	/*
	 * Options go before or after the address, as with ping(8): the
	 * leading '-' hands each operand back in order (as option 1) whatever
	 * POSIXLY_CORRECT says, so "ping ADDR -n 3" works everywhere.
	 */
	while ((c = getopt(argc, argv, "-n:i:W:vh")) != -1) {
		char *end;
		switch (c) {
		case 1:
			if (p->target) {
				fprintf(stderr,
				        "lp2pd ping: unexpected argument '%s'\n",
				        optarg);
				usage(stderr);
				return -1;
			}
			p->target = optarg;
			break;
		case 'n':
			p->count = strtoull(optarg, &end, 10);
			if (end == optarg || *end || p->count == 0 ||
			    optarg[0] == '-') {
				fprintf(stderr, "lp2pd ping: bad count '%s'\n",
				        optarg);
				return -1;
			}
			break;
		case 'i':
			if (!parse_seconds(optarg, 10, &p->interval_ms)) {
				fprintf(
				    stderr,
				    "lp2pd ping: bad interval '%s' (seconds, "
				    "at least 0.01)\n",
				    optarg);
				return -1;
			}
			break;
		case 'W':
			if (!parse_seconds(optarg, 1, &p->timeout_ms)) {
				fprintf(stderr,
				        "lp2pd ping: bad timeout '%s'\n",
				        optarg);
				return -1;
			}
			break;
		case 'v': (*verbose)++; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	/* after "--", the address (if it was not given before) */
	if (optind < argc && !p->target)
		p->target = argv[optind++];
	if (optind < argc || !p->target) {
		if (optind < argc)
			fprintf(stderr,
			        "lp2pd ping: unexpected argument '%s'\n",
			        argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

static int run(struct pinger *p, const struct lp2p_multiaddr *ma)
{
	/* No listener, no plugin, the connection timeout from -W. */
	char yaml[256];
	snprintf(yaml, sizeof yaml,
	         "listen: []\n"
	         "plugins: {}\n"
	         "limits:\n"
	         "  dial_timeout: %llums\n"
	         "  handshake_timeout: %llums\n",
	         (unsigned long long)p->timeout_ms,
	         (unsigned long long)p->timeout_ms);
	char err[1024];
	lp2p_config *cfg = NULL;
	int rc = lp2p_config_load_string(yaml, strlen(yaml), "<ping>", &cfg,
	                                 err, sizeof err);
	if (rc == 0)
		rc = lp2p_host_new(cfg, &p->host, err, sizeof err);
	if (rc == 0)
		rc = lp2p_host_start(p->host, err, sizeof err);
	if (rc == 0 &&
	    ((rc = lp2p_timer_new(p->host, on_next, p, &p->next_timer)) ||
	     (rc = lp2p_timer_new(p->host, on_timeout, p, &p->timeout_timer))))
		snprintf(err, sizeof err, "%s", lp2p_strerror(rc));
	if (rc == 0 && (rc = lp2p_host_dial(p->host, ma, false, on_dial, p)))
		snprintf(err, sizeof err, "cannot dial %s: %s", p->target,
		         lp2p_strerror(rc));
	if (rc) {
		fprintf(stderr, "lp2pd ping: %s\n", err);
		lp2p_timer_free(p->next_timer);
		lp2p_timer_free(p->timeout_timer);
		lp2p_host_free(p->host);
		lp2p_config_free(cfg);
		return 1;
	}
	lp2p_host_run(p->host, 1);
	if (p->conn)
		print_summary(p);
	/* the stream's last on_close, if still due, comes while the host
	 * is freed: p is still there */
	drop_stream(p);
	lp2p_timer_free(p->next_timer);
	lp2p_timer_free(p->timeout_timer);
	lp2p_host_free(p->host);
	lp2p_config_free(cfg);
	return p->received > 0 && !p->error ? 0 : 1;
}

int lp2pd_ping_main(int argc, char **argv)
{
	struct pinger p = {
	    .interval_ms = 1000,
	    .timeout_ms = 10000,
	};
	int verbose = 0;
	if (parse_args(argc, argv, &p, &verbose))
		return 2;
	lp2p_log_set_level(LP2P_LOG_WARN + verbose);
	struct lp2p_multiaddr ma;
	int rc = lp2p_multiaddr_parse(p.target, strlen(p.target), &ma);
	if (rc) {
		fprintf(stderr, "lp2pd ping: '%s' is not a multiaddr: %s\n",
		        p.target, lp2p_strerror(rc));
		return 2;
	}
	return run(&p, &ma);
}
