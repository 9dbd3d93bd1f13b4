/*
 * tcp-limits.c - what loopback TCP itself gives on this machine, to print
 * beside the libp2p figures (bench/README.md).  Two processes (a forked
 * child is the server), so both cores work, as in the libp2p runs.
 *
 *   tcp-limits throughput [--bytes N]   one connection, the parent writes
 *                                       N bytes (256 KiB writes), the child
 *                                       reads them; Gbit/s
 *   tcp-limits pingpong [--count N] [--size B]
 *                                       N round trips of B bytes
 *                                       (TCP_NODELAY); RTT percentiles
 *
 * One JSON line on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (256u * 1024)
#define WARMUP 10

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "tcp-limits: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* A listening socket on 127.0.0.1, any port; *sin gets its address. */
static int listen_loopback(struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof *sin;
	if (bind(fd, (struct sockaddr *)sin, len) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)sin, &len))
		die("bind/listen");
	return fd;
}

static void read_full(int fd, uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t r = read(fd, buf, n);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			exit(r == 0 ? 0 : 1);
		}
		buf += r;
		n -= (size_t)r;
	}
}

static void write_full(int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		buf += w;
		n -= (size_t)w;
	}
}

/* Child: accept one connection and run serve(fd). */
static pid_t spawn_server(int lfd, void (*serve)(int fd, size_t arg),
                          size_t arg)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept");
		nodelay(fd);
		serve(fd, arg);
		_exit(0);
	}
	close(lfd);
	return pid;
}

static int connect_to(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)sin, sizeof *sin))
		die("connect");
	nodelay(fd);
	return fd;
}

/* Read to EOF, then answer one byte: everything has arrived. */
static void sink(int fd, size_t unused)
{
	(void)unused;
	static uint8_t buf[BLOCK];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r == 0)
			break;
		if (r < 0 && errno != EINTR)
			die("read");
	}
	write_full(fd, buf, 1);
}

static void echo(int fd, size_t size)
{
	uint8_t buf[65536];
	for (;;) {
		read_full(fd, buf, size);
		write_full(fd, buf, size);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"bytes", required_argument, NULL, 'b'},
		{"count", required_argument, NULL, 'n'},
		{"size", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	uint64_t bytes = 1ull << 30;
	size_t count = 1000, size = 32;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': bytes = strtoull(optarg, NULL, 10); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || count == 0 || size == 0 || size > 65536)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_in sin;
	int lfd = listen_loopback(&sin);

	if (strcmp(argv[optind], "throughput") == 0) {
		pid_t pid = spawn_server(lfd, sink, 0);
		int fd = connect_to(&sin);
		static uint8_t block[BLOCK];
		double t0 = now_s();
		for (uint64_t left = bytes; left;) {
			size_t n = left < BLOCK ? (size_t)left : BLOCK;
			write_full(fd, block, n);
			left -= n;
		}
		shutdown(fd, SHUT_WR);
		read_full(fd, block, 1);
		double s = now_s() - t0;
		close(fd);
		waitpid(pid, NULL, 0);
		printf("{\"bench\":\"tcp-throughput\",\"bytes\":%" PRIu64
		       ",\"seconds\":%.6f,\"gbps\":%.3f}\n",
		       bytes, s, (double)bytes * 8 / 1e9 / s);
		return 0;
	}
	if (strcmp(argv[optind], "pingpong") == 0) {
		pid_t pid = spawn_server(lfd, echo, size);
		int fd = connect_to(&sin);
		uint8_t buf[65536];
		memset(buf, 0x70, size);
		double *rtt = calloc(count, sizeof *rtt);
		if (!rtt)
			die("calloc");
		for (size_t i = 0; i < count + WARMUP; i++) {
			double t0 = now_s();
			write_full(fd, buf, size);
			read_full(fd, buf, size);
			if (i >= WARMUP)
				rtt[i - WARMUP] = now_s() - t0;
		}
		close(fd);
		waitpid(pid, NULL, 0);
		qsort(rtt, count, sizeof *rtt, cmp_double);
		size_t i99 = count * 99 / 100;
		printf("{\"bench\":\"tcp-pingpong\",\"pings\":%zu,\"size\":%zu,"
		       "\"p50us\":%.1f,\"p99us\":%.1f,\"minUs\":%.1f}\n",
		       count, size, rtt[count / 2] * 1e6,
		       rtt[i99 < count ? i99 : count - 1] * 1e6, rtt[0] * 1e6);
		free(rtt);
		return 0;
	}
usage:
	fprintf(stderr, "usage: tcp-limits throughput [--bytes N]\n"
	                "       tcp-limits pingpong [--count N] [--size B]\n");
	return 2;
}
