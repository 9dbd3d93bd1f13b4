/*
 * test_tcp_linger.c - a closed connection's socket going down gracefully
 * (net/tcp_linger.c), on a socket pair or a loopback TCP pair with the
 * lingering end driven by a loop: the pending bytes all reach the peer
 * before its end of input; what the peer sent and we never read is
 * drained, so the peer sees an orderly end and not a reset (even when
 * the 2 s timer ends it because the peer never closes); gone runs once,
 * from the loop, with the count lp2p_tcp_linger kept; more than 256 KiB
 * pending is not sent at all; the transport's end closes every lingering
 * socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "net/tcp_transport.h"

#define MAX_PENDING (256u * 1024)

struct fx {
	struct lp2p_loop loop;
	struct lp2p_tcp_transport t;
	int gone_calls;
	size_t gone_held;
	bool in_call;
	bool gone_inside;
};

static void on_gone(void *arg, size_t held)
{
	struct fx *f = arg;
	if (f->in_call)
		f->gone_inside = true;
	f->gone_calls++;
	f->gone_held = held;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	assert_int_equal(lp2p_loop_init(&f->loop), 0);
	f->t.loop = &f->loop;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	lp2p_tcp_linger_close_all(&f->t);
	lp2p_loop_fini(&f->loop);
	free(f);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* A socket pair: sv[0] lingers (small send buffer, so some of the
 * pending bytes wait), sv[1] is the peer; both non-blocking. */
static void unix_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int small = 4096;
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
	                            sizeof small),
	                 0);
	nonblocking(sv[0]);
	nonblocking(sv[1]);
}

/* A loopback TCP connection: sv[0] the accepted end, sv[1] the dialler. */
static void tcp_pair(int sv[2])
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
	sv[1] = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sv[1] >= 0);
	assert_int_equal(connect(sv[1], (struct sockaddr *)&a, sizeof a), 0);
	sv[0] = accept(l, NULL, NULL);
	assert_true(sv[0] >= 0);
	close(l);
	nonblocking(sv[0]);
	nonblocking(sv[1]);
}

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 13 + (i >> 8));
}

static uint8_t *pattern(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = pat(i);
	return p;
}

static size_t linger(struct fx *f, int fd, const uint8_t *p, size_t n)
{
	f->in_call = true;
	size_t kept = lp2p_tcp_linger(&f->t, fd, p, n, on_gone, f);
	f->in_call = false;
	return kept;
}

/*
 * Read the peer's end until its end of input, stepping the loop: the
 * byte count (all checked against the pattern), or -errno on an error.
 */
static long read_to_eof(struct fx *f, int fd)
{
	uint8_t buf[8192];
	size_t got = 0;
	double end = now_s() + 5;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r > 0) {
			for (ssize_t i = 0; i < r; i++)
				if (buf[i] != pat(got + (size_t)i))
					fail_msg("byte %zu differs",
					         got + (size_t)i);
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			return (long)got;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (now_s() > end)
			fail_msg("no end of input after %zu bytes", got);
		ev_run(f->loop.ev, EVRUN_NOWAIT);
	}
}

static void run_until_gone(struct fx *f, double limit_s)
{
	double end = now_s() + limit_s;
	while (f->gone_calls == 0) {
		if (now_s() > end)
			fail_msg("gone never ran");
		ev_run(f->loop.ev, EVRUN_ONCE); /* blocks until something */
	}
}

/* 256 KiB (the most it lingers for) behind a small send buffer: all of
 * it arrives, in order, then the end of input; when the peer closes,
 * gone runs once with the count kept. */
static void test_pending_then_eof(void **state)
{
	struct fx *f = *state;
	int sv[2];
	unix_pair(sv);
	uint8_t *p = pattern(MAX_PENDING);
	size_t kept = linger(f, sv[0], p, MAX_PENDING);
	free(p); /* the linger has its own copy */
	assert_true(kept > 0 && kept < MAX_PENDING);
	assert_int_equal(f->gone_calls, 0);
	assert_int_equal(read_to_eof(f, sv[1]), MAX_PENDING);
	assert_int_equal(f->gone_calls, 0); /* the peer is still open */
	close(sv[1]);
	run_until_gone(f, 1);
	assert_int_equal(f->gone_calls, 1);
	assert_int_equal(f->gone_held, kept);
	assert_false(f->gone_inside);
	assert_null(f->t.lingering);
	for (int i = 0; i < 5; i++)
		ev_run(f->loop.ev, EVRUN_NOWAIT);
	assert_int_equal(f->gone_calls, 1);
}

/* Nothing pending: the socket is shut at once, gone(0) when the peer
 * closes. */
static void test_nothing_pending(void **state)
{
	struct fx *f = *state;
	int sv[2];
	unix_pair(sv);
	assert_int_equal(linger(f, sv[0], NULL, 0), 0);
	assert_int_equal(read_to_eof(f, sv[1]), 0);
	close(sv[1]);
	run_until_gone(f, 1);
	assert_int_equal(f->gone_held, 0);
	assert_false(f->gone_inside);
}

/* Wait until fd has input (the peer's bytes arrived). */
static void wait_input(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 2000), 1);
}

/*
 * The peer sent data we never read, and neither reads nor closes until
 * the 2 s timer has ended the linger.  Closing a socket with unread input
 * makes the kernel reset the connection: the peer's read fails with
 * ECONNRESET where its end of input was due (the control case shows
 * it), and bytes still on their way are lost.  The linger reads that
 * input away meanwhile, so afterwards the peer still reads our last
 * bytes, then an orderly end, not ECONNRESET.
 */
static void test_drains_peer_input_until_timer(void **state)
{
	struct fx *f = *state;
	static uint8_t junk[100000];
	memset(junk, 'j', sizeof junk);

	/* control: a plain close with unread input is a reset */
	int cv[2];
	tcp_pair(cv);
	assert_int_equal(write(cv[1], junk, 1000), 1000);
	wait_input(cv[0]);
	assert_int_equal(write(cv[0], "bye", 3), 3);
	close(cv[0]);
	uint8_t buf[64];
	struct pollfd pfd = {.fd = cv[1], .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	ssize_t r = read(cv[1], buf, sizeof buf);
	if (r == 3) /* Linux still hands out what had arrived */
		r = read(cv[1], buf, sizeof buf);
	assert_int_equal(r, -1);
	assert_int_equal(errno, ECONNRESET); /* where 0 was due */
	close(cv[1]);

	int sv[2];
	tcp_pair(sv);
	size_t sent = 0;
	while (sent < sizeof junk) { /* as much as the socket takes */
		ssize_t w = write(sv[1], junk, sizeof junk - sent);
		if (w <= 0)
			break;
		sent += (size_t)w;
	}
	assert_true(sent > 0);
	wait_input(sv[0]);
	uint8_t *p = pattern(5000);
	size_t kept = linger(f, sv[0], p, 5000);
	free(p);
	assert_int_equal(write(sv[1], junk, 100), 100); /* still talking */
	double t0 = now_s();
	run_until_gone(f, 4);
	double took = now_s() - t0;
	assert_true(took > 1.8 && took < 3.5);
	assert_int_equal(f->gone_calls, 1);
	assert_int_equal(f->gone_held, kept);
	assert_false(f->gone_inside);
	assert_int_equal(read_to_eof(f, sv[1]), 5000); /* not ECONNRESET */
	close(sv[1]);
}

/* More than 256 KiB pending: none of it is sent (the peer reads the end
 * of input at once) and nothing is kept. */
static void test_too_much_dropped(void **state)
{
	struct fx *f = *state;
	int sv[2];
	unix_pair(sv);
	uint8_t *p = pattern(MAX_PENDING + 1);
	assert_int_equal(linger(f, sv[0], p, MAX_PENDING + 1), 0);
	free(p);
	assert_int_equal(read_to_eof(f, sv[1]), 0);
	close(sv[1]);
	run_until_gone(f, 1);
	assert_int_equal(f->gone_held, 0);
}

/* The transport's end: every lingering socket closes, gone runs for
 * each, inside that call. */
static void test_close_all(void **state)
{
	struct fx *f = *state;
	int a[2], b[2];
	unix_pair(a);
	unix_pair(b);
	uint8_t *p = pattern(MAX_PENDING);
	size_t ka = linger(f, a[0], p, MAX_PENDING);
	size_t kb = linger(f, b[0], p, 10);
	free(p);
	assert_int_equal(kb, 0);
	assert_int_equal(f->gone_calls, 0);
	lp2p_tcp_linger_close_all(&f->t);
	assert_int_equal(f->gone_calls, 2);
	assert_null(f->t.lingering);
	(void)ka;
	close(a[1]);
	close(b[1]);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_pending_then_eof),
		T(test_nothing_pending),
		T(test_drains_peer_input_until_timer),
		T(test_too_much_dropped),
		T(test_close_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
