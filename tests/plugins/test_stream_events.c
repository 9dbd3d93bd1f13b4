/*
 * test_stream_events.c - stream callbacks as a plugin sees them, between
 * two hosts in one process: a handler that pauses and resumes after the
 * remote closed its side hears of that close once (resuming used to
 * report it again, and a handler resuming from on_remote_close recursed),
 * and a remote close that arrives while the handler is paused waits for the
 * resume instead of ending the stream unannounced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/swarm.h>

static lp2p_host *host_new(lp2p_config **cfg)
{
	static const char yaml[] = "listen: [/ip4/127.0.0.1/tcp/0]\n"
	                           "plugins: {}\n";
	char err[512];
	lp2p_host *h = NULL;
	if (lp2p_config_load_string(yaml, strlen(yaml), "t.yaml", cfg, err,
	                            sizeof err) ||
	    lp2p_host_new(*cfg, &h, err, sizeof err) ||
	    lp2p_host_start(h, err, sizeof err))
		fail_msg("host: %s", err);
	return h;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void turn(lp2p_host *a, lp2p_host *b, const bool *done, uint64_t ms)
{
	uint64_t end = now_ms() + ms;
	while (!*done && now_ms() < end) {
		lp2p_host_run_once(a, 0);
		lp2p_host_run_once(b, 0);
		usleep(500);
	}
}

struct server {
	int remote_closes;
	size_t bytes;
	bool done;
};

static void server_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	(void)s;
	(void)data;
	((struct server *)user)->bytes += len;
}

static void server_remote_close(lp2p_stream *s, void *user)
{
	struct server *sv = user;
	sv->remote_closes++;
	if (sv->remote_closes > 3) /* the old recursion: stop it */
		return;
	lp2p_stream_pause(s);
	lp2p_stream_resume(s);
	sv->done = true;
}

static void server_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	(void)user;
	(void)reason;
}

static const struct lp2p_stream_handler server_handler = {
    .on_data = server_data,
    .on_remote_close = server_remote_close,
    .on_close = server_close,
};

static int accept_stream(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)protocol;
	lp2p_stream_set_handler(s, &server_handler, arg);
	return 0;
}

struct client {
	int status;
	bool opened;
};

static void client_open(void *arg, int status, lp2p_stream *s)
{
	struct client *c = arg;
	c->status = status;
	c->opened = true;
	if (s) {
		static const struct lp2p_stream_handler none = {0};
		lp2p_stream_set_handler(s, &none, NULL);
		assert_int_equal(lp2p_stream_write(s, "hello", 5), 5);
		lp2p_stream_close(s);
	}
}

static void dialed(void *arg, int status, lp2p_conn *c)
{
	assert_int_equal(status, 0);
	*(lp2p_conn **)arg = c;
}

static void remote_close_is_told_once(void **state)
{
	(void)state;
	lp2p_config *ca, *cb;
	lp2p_host *a = host_new(&ca), *b = host_new(&cb);
	struct server sv = {0};
	assert_int_equal(lp2p_host_add_protocol(b, "/t/1", accept_stream, &sv),
	                 0);
	struct lp2p_multiaddr addr;
	assert_int_equal(lp2p_host_listen_addrs(b, &addr, 1), 1);
	lp2p_conn *conn = NULL;
	assert_int_equal(lp2p_host_dial(a, &addr, false, dialed, &conn), 0);
	bool dummy = false;
	uint64_t end = now_ms() + 5000;
	while (!conn && now_ms() < end)
		turn(a, b, &dummy, 1);
	assert_non_null(conn);
	static const char *const protos[] = {"/t/1"};
	struct client c = {0};
	assert_int_equal(
	    lp2p_conn_open_stream(conn, protos, 1, client_open, &c), 0);
	turn(a, b, &sv.done, 5000);
	assert_true(c.opened);
	assert_int_equal(c.status, 0);
	assert_true(sv.done);
	assert_int_equal(sv.bytes, 5);
	assert_int_equal(sv.remote_closes, 1);
	lp2p_host_free(a);
	lp2p_host_free(b);
	lp2p_config_free(ca);
	lp2p_config_free(cb);
}

/*
 * A remote close that arrives while the handler has paused the stream, with
 * nothing held, waits for the resume: on_remote_close, then on_close(0).
 * (It used to end the stream at once: on_close(0) without on_remote_close,
 * whether our side was closed before the FIN or while still paused.)
 */
struct pauser {
	bool close_write_in_data; /* close our side when the data comes */
	lp2p_stream *s;
	size_t bytes;
	int remote_closes, closes, close_reason;
	bool remote_close_before_close;
	bool done;
};

static void pauser_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	(void)data;
	struct pauser *p = user;
	p->bytes += len;
	lp2p_stream_pause(s);
	if (p->close_write_in_data)
		assert_int_equal(lp2p_stream_close_write(s), 0);
}

static void pauser_remote_close(lp2p_stream *s, void *user)
{
	(void)s;
	struct pauser *p = user;
	p->remote_closes++;
	p->remote_close_before_close = p->closes == 0;
}

static void pauser_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct pauser *p = user;
	p->closes++;
	p->close_reason = reason;
	p->done = true;
}

static const struct lp2p_stream_handler pauser_handler = {
    .on_data = pauser_data,
    .on_remote_close = pauser_remote_close,
    .on_close = pauser_close,
};

static int accept_pauser(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)protocol;
	((struct pauser *)arg)->s = s;
	lp2p_stream_set_handler(s, &pauser_handler, arg);
	return 0;
}

static void paused_remote_close(bool close_write_in_data)
{
	lp2p_config *ca, *cb;
	lp2p_host *a = host_new(&ca), *b = host_new(&cb);
	struct pauser p = {.close_write_in_data = close_write_in_data};
	assert_int_equal(lp2p_host_add_protocol(b, "/t/1", accept_pauser, &p),
	                 0);
	struct lp2p_multiaddr addr;
	assert_int_equal(lp2p_host_listen_addrs(b, &addr, 1), 1);
	lp2p_conn *conn = NULL;
	assert_int_equal(lp2p_host_dial(a, &addr, false, dialed, &conn), 0);
	bool never = false;
	uint64_t end = now_ms() + 5000;
	while (!conn && now_ms() < end)
		turn(a, b, &never, 1);
	assert_non_null(conn);
	static const char *const protos[] = {"/t/1"};
	struct client c = {0};
	assert_int_equal(
	    lp2p_conn_open_stream(conn, protos, 1, client_open, &c), 0);
	/* "hello" and the FIN arrive; the handler paused at the data */
	turn(a, b, &never, 300);
	assert_int_equal(p.bytes, 5);
	assert_int_equal(p.remote_closes, 0);
	assert_int_equal(p.closes, 0);
	if (!close_write_in_data) {
		/* closing our side while paused does not end it either */
		assert_int_equal(lp2p_stream_close_write(p.s), 0);
		turn(a, b, &never, 50);
		assert_int_equal(p.closes, 0);
	}
	lp2p_stream_resume(p.s);
	turn(a, b, &p.done, 5000);
	assert_int_equal(p.remote_closes, 1);
	assert_int_equal(p.closes, 1);
	assert_int_equal(p.close_reason, 0);
	assert_true(p.remote_close_before_close);
	lp2p_host_free(a);
	lp2p_host_free(b);
	lp2p_config_free(ca);
	lp2p_config_free(cb);
}

static void paused_remote_close_after_close_write(void **state)
{
	(void)state;
	paused_remote_close(true);
}

static void paused_remote_close_then_close_write(void **state)
{
	(void)state;
	paused_remote_close(false);
}

int main(void)
{
	lp2p_log_set_level(LP2P_LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(remote_close_is_told_once),
	    cmocka_unit_test(paused_remote_close_after_close_write),
	    cmocka_unit_test(paused_remote_close_then_close_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
