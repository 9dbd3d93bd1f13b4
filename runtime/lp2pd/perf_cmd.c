/*
 * perf_cmd.c - `lp2pd perf`: the client side of /perf/1.0.0.
 *
 *   lp2pd perf MULTIADDR --upload-bytes N --download-bytes N [--json]
 *
 * Dials MULTIADDR with an ephemeral identity, opens one /perf/1.0.0 stream,
 * asks for N download bytes, uploads N bytes, closes its write side and
 * reads the download to its end.  Times (monotonic clock):
 *   upload:   stream negotiated -> the first download byte (or the end,
 *             when nothing is downloaded): the server has drained it all;
 *   download: that moment -> the server's close.
 * Uses only the public API (lp2p/host.h, lp2p/swarm.h).
 */
#include <ctype.h>
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
#include <lp2p/swarm.h>

#include "lp2pd/perf_cmd.h"

#define PERF_PROTOCOL "/perf/1.0.0"
#define PERF_BLOCK (64u * 1024)

static const uint8_t perf_zeros[PERF_BLOCK];

struct perf_client {
	lp2p_host *host;
	lp2p_timer *timeout;
	uint64_t upload, download; /* requested */
	uint8_t header[8];
	size_t header_sent;
	uint64_t uploaded, downloaded;
	bool upload_done; /* write side closed */
	bool response_started;
	double t_dial, t_ready, t_open, t_response, t_end;
	double cpu_open; /* process CPU seconds when the stream opened */
	const char *security, *muxer;
	int status; /* 0, or what went wrong */
	const char *failure;
	bool finished;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time this process used (user + system), for benchmarks. */
static double cpu_s(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void perf_finish(struct perf_client *pc, int status, const char *what)
{
	if (pc->finished)
		return;
	pc->finished = true;
	pc->status = status;
	pc->failure = what;
	lp2p_host_stop(pc->host);
}

/* Header, then the upload, until the stream takes no more. */
static void perf_upload(lp2p_stream *s, struct perf_client *pc)
{
	while (pc->header_sent < sizeof pc->header) {
		ssize_t w = lp2p_stream_write(s, pc->header + pc->header_sent,
		                              sizeof pc->header -
		                                      pc->header_sent);
		if (w == LP2P_EAGAIN)
			return;
		if (w < 0) {
			lp2p_stream_reset(s, (int)w);
			perf_finish(pc, (int)w, "writing the request");
			return;
		}
		pc->header_sent += (size_t)w;
	}
	while (pc->uploaded < pc->upload) {
		uint64_t left = pc->upload - pc->uploaded;
		size_t n = left < PERF_BLOCK ? (size_t)left : PERF_BLOCK;
		ssize_t w = lp2p_stream_write(s, perf_zeros, n);
		if (w == LP2P_EAGAIN)
			return;
		if (w < 0) {
			lp2p_stream_reset(s, (int)w);
			perf_finish(pc, (int)w, "uploading");
			return;
		}
		pc->uploaded += (uint64_t)w;
		if ((size_t)w < n)
			return;
	}
	if (!pc->upload_done) {
		pc->upload_done = true;
		int rc = lp2p_stream_close_write(s);
		if (rc)
			perf_finish(pc, rc, "closing the write side");
	}
}

static void perf_response(struct perf_client *pc)
{
	if (!pc->response_started) {
		pc->response_started = true;
		pc->t_response = now_s();
	}
}

static void on_data(lp2p_stream *s, void *user, const uint8_t *data,
                    size_t len)
{
	(void)data;
	struct perf_client *pc = user;
	perf_response(pc);
	pc->downloaded += len;
	if (pc->downloaded > pc->download) {
		lp2p_stream_reset(s, LP2P_EPROTO);
		perf_finish(pc, LP2P_EPROTO, "the server sent too many bytes");
	}
}

static void on_writable(lp2p_stream *s, void *user)
{
	perf_upload(s, user);
}

static void on_remote_close(lp2p_stream *s, void *user)
{
	(void)s;
	struct perf_client *pc = user;
	perf_response(pc);
	pc->t_end = now_s();
	if (!pc->upload_done) {
		lp2p_stream_reset(s, LP2P_EPROTO);
		perf_finish(pc, LP2P_EPROTO,
		            "the server closed before the upload ended");
	}
}

/* After a reset of ours the failure is already recorded (perf_finish
 * keeps the first). */
static void on_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct perf_client *pc = user;
	if (reason)
		perf_finish(pc, reason, "stream");
	else if (pc->downloaded != pc->download)
		perf_finish(pc, LP2P_EPROTO, "short download");
	else
		perf_finish(pc, 0, NULL);
}

static const struct lp2p_stream_handler perf_handler = {
	.on_data = on_data,
	.on_writable = on_writable,
	.on_remote_close = on_remote_close,
	.on_close = on_close,
};

static void on_stream(void *arg, int status, lp2p_stream *s)
{
	struct perf_client *pc = arg;
	if (status) {
		perf_finish(pc, status, "opening a " PERF_PROTOCOL " stream");
		return;
	}
	pc->t_open = now_s();
	pc->cpu_open = cpu_s();
	lp2p_stream_set_handler(s, &perf_handler, pc);
	perf_upload(s, pc);
}

static void on_dial(void *arg, int status, lp2p_conn *c)
{
	struct perf_client *pc = arg;
	if (status) {
		perf_finish(pc, status, "dialing");
		return;
	}
	pc->t_ready = now_s();
	pc->security = lp2p_conn_security(c);
	pc->muxer = lp2p_conn_muxer(c);
	static const char *const protos[] = {PERF_PROTOCOL};
	int rc = lp2p_conn_open_stream(c, protos, 1, on_stream, pc);
	if (rc)
		perf_finish(pc, rc, "opening a " PERF_PROTOCOL " stream");
}

static void on_timeout(void *arg)
{
	perf_finish(arg, LP2P_ETIMEDOUT, "the transfer");
}

/* "1073741824", "64K", "512KiB", "1G", "1GiB", "10MB" (10^7). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	uint64_t v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	static const struct {
		const char *suffix;
		uint64_t mul;
	} units[] = {
		{"", 1},
		{"B", 1},
		{"K", 1ull << 10},
		{"KiB", 1ull << 10},
		{"M", 1ull << 20},
		{"MiB", 1ull << 20},
		{"G", 1ull << 30},
		{"GiB", 1ull << 30},
		{"T", 1ull << 40},
		{"TiB", 1ull << 40},
		{"kB", 1000ull},
		{"MB", 1000000ull},
		{"GB", 1000000000ull},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			if (v > UINT64_MAX / units[i].mul)
				return -1;
			*out = v * units[i].mul;
			return 0;
		}
	}
	return -1;
}

/* "noise,tls" -> "[noise, tls]" for the YAML configuration. */
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
		} else if (isalnum((unsigned char)*p) || *p == '-' ||
		           *p == '_') {
			out[n++] = *p;
		} else {
			return -1;
		}
	}
	out[n++] = ']';
	out[n] = '\0';
	return 0;
}

static void perf_usage(FILE *out)
{
	fprintf(out,
	        "usage: lp2pd perf MULTIADDR [--upload-bytes N] "
	        "[--download-bytes N] [--json]\n"
	        "\n"
	        "Measure throughput with the /perf/1.0.0 protocol against "
	        "MULTIADDR\n"
	        "(/ip4/.../tcp/PORT[/p2p/ID]; with /p2p/ the remote must prove "
	        "that id).\n"
	        "\n"
	        "      --upload-bytes N    bytes to send (default 0); "
	        "suffixes K M G T\n"
	        "                          (KiB...), kB MB GB (powers of 10)\n"
	        "      --download-bytes N  bytes to ask for (default 0)\n"
	        "      --json              print one JSON line instead of text\n"
	        "      --security LIST     noise (default) or tls, comma "
	        "separated\n"
	        "      --muxer LIST        yamux,mplex (default), comma "
	        "separated\n"
	        "      --timeout SECONDS   give up after this long "
	        "(default 600)\n"
	        "  -v, --verbose           more log output (repeatable)\n"
	        "  -h, --help              print this help and exit\n"
	        "\n"
	        "Exit status: 0 on success, 1 when the transfer failed, 2 on a "
	        "usage error.\n");
}

static double gbps(uint64_t bytes, double seconds)
{
	return seconds > 0 ? (double)bytes * 8 / 1e9 / seconds : 0;
}

static void perf_report(const struct perf_client *pc, bool json)
{
	double connect = pc->t_ready - pc->t_dial;
	double up = pc->t_response - pc->t_open;
	double down = pc->t_end - pc->t_response;
	double total = pc->t_end - pc->t_open;
	if (json) {
		printf("{\"type\":\"final\",\"security\":\"%s\","
		       "\"muxer\":\"%s\",\"connectSeconds\":%.6f,"
		       "\"uploadBytes\":%" PRIu64 ",\"uploadSeconds\":%.6f,"
		       "\"uploadGbps\":%.4f,\"downloadBytes\":%" PRIu64 ","
		       "\"downloadSeconds\":%.6f,\"downloadGbps\":%.4f,"
		       "\"timeSeconds\":%.6f,\"cpuSeconds\":%.3f}\n",
		       pc->security, pc->muxer, connect, pc->uploaded, up,
		       gbps(pc->uploaded, up), pc->downloaded, down,
		       gbps(pc->downloaded, down), total, cpu_s() - pc->cpu_open);
		return;
	}
	printf("connected in %.3f ms (%s, %s)\n", connect * 1e3, pc->security,
	       pc->muxer);
	printf("upload:   %" PRIu64 " bytes in %.3f s, %.3f Gbit/s\n",
	       pc->uploaded, up, gbps(pc->uploaded, up));
	printf("download: %" PRIu64 " bytes in %.3f s, %.3f Gbit/s\n",
	       pc->downloaded, down, gbps(pc->downloaded, down));
	printf("total:    %.3f s\n", total);
}

enum { OPT_UPLOAD = 256, OPT_DOWNLOAD, OPT_JSON, OPT_SECURITY, OPT_MUXER,
       OPT_TIMEOUT };

int lp2pd_perf_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"upload-bytes", required_argument, NULL, OPT_UPLOAD},
		{"download-bytes", required_argument, NULL, OPT_DOWNLOAD},
		{"json", no_argument, NULL, OPT_JSON},
		{"security", required_argument, NULL, OPT_SECURITY},
		{"muxer", required_argument, NULL, OPT_MUXER},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct perf_client pc = {0};
	bool json = false;
	const char *security = "noise", *muxer = "yamux,mplex";
	unsigned long timeout_s = 600;
	const char *target = NULL;
	int verbosity = 0, c;
	char *end;

	optind = 1;
	/*
	 * Options go before or after the address: the leading '-' hands each
	 * operand back in order (as option 1), also under POSIXLY_CORRECT,
	 * where plain getopt would stop at the address.
	 */
	while ((c = getopt_long(argc, argv, "-vh", longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (target) {
				fprintf(stderr, "lp2pd perf: give exactly one "
				                "MULTIADDR\n");
				perf_usage(stderr);
				return 2;
			}
			target = optarg;
			break;
		case OPT_UPLOAD:
		case OPT_DOWNLOAD:
			if (parse_size(optarg, c == OPT_UPLOAD ? &pc.upload
			                                       : &pc.download)) {
				fprintf(stderr, "lp2pd perf: bad size '%s'\n",
				        optarg);
				return 2;
			}
			break;
		case OPT_JSON: json = true; break;
		case OPT_SECURITY: security = optarg; break;
		case OPT_MUXER: muxer = optarg; break;
		case OPT_TIMEOUT:
			errno = 0;
			timeout_s = strtoul(optarg, &end, 10);
			if (errno || *end || timeout_s == 0) {
				fprintf(stderr, "lp2pd perf: bad timeout '%s'\n",
				        optarg);
				return 2;
			}
			break;
		case 'v': verbosity++; break;
		case 'h': perf_usage(stdout); return 0;
		default: perf_usage(stderr); return 2;
		}
	}
	/* after "--", the address (if it was not given before) */
	if (optind < argc && !target)
		target = argv[optind++];
	if (optind < argc || !target) {
		fprintf(stderr, "lp2pd perf: give exactly one MULTIADDR\n");
		perf_usage(stderr);
		return 2;
	}
	struct lp2p_multiaddr ma;
	int rc = lp2p_multiaddr_parse(target, strlen(target), &ma);
	if (rc) {
		fprintf(stderr, "lp2pd perf: '%s': %s\n", target,
		        lp2p_strerror(rc));
		return 2;
	}
	char sec[128], mux[128], yaml[512];
	if (yaml_list(security, sec, sizeof sec) ||
	    yaml_list(muxer, mux, sizeof mux)) {
		fprintf(stderr, "lp2pd perf: bad --security or --muxer list\n");
		return 2;
	}
	snprintf(yaml, sizeof yaml,
	         "listen: []\nsecurity: %s\nmuxers: %s\nplugins: {}\n", sec,
	         mux);
	lp2p_log_set_level(LP2P_LOG_WARN + verbosity);

	char err[1024] = "";
	lp2p_config *cfg = NULL;
	rc = lp2p_config_load_string(yaml, strlen(yaml), "<lp2pd perf>", &cfg,
	                             err, sizeof err);
	if (rc) {
		fprintf(stderr, "lp2pd perf: %s\n", err);
		return 2;
	}
	rc = lp2p_host_new(cfg, &pc.host, err, sizeof err);
	if (!rc)
		rc = lp2p_host_start(pc.host, err, sizeof err);
	if (!rc)
		rc = lp2p_timer_new(pc.host, on_timeout, &pc, &pc.timeout);
	if (rc) {
		fprintf(stderr, "lp2pd perf: %s\n", *err ? err : lp2p_strerror(rc));
		lp2p_host_free(pc.host);
		lp2p_config_free(cfg);
		return 1;
	}
	for (int i = 0; i < 8; i++)
		pc.header[i] = (uint8_t)(pc.download >> (56 - 8 * i));
	lp2p_timer_start(pc.timeout, (uint64_t)timeout_s * 1000, 0);
	pc.t_dial = now_s();
	rc = lp2p_host_dial(pc.host, &ma, true, on_dial, &pc);
	if (rc)
		perf_finish(&pc, rc, "dialing");
	else
		lp2p_host_run(pc.host, 1);
	if (!pc.finished)
		pc.status = LP2P_ECANCELED; /* interrupted */
	lp2p_timer_free(pc.timeout);
	lp2p_host_free(pc.host);
	lp2p_config_free(cfg);
	if (pc.status) {
		fprintf(stderr, "lp2pd perf: %s%s%s\n",
		        pc.failure ? pc.failure : "", pc.failure ? ": " : "",
		        lp2p_strerror(pc.status));
		return 1;
	}
	perf_report(&pc, json);
	return 0;
}
