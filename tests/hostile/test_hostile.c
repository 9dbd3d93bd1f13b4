/*
 * test_hostile.c - a scripted hostile peer against an lp2p host.
 *
 * One target host runs in this process (its own thread) with small limits
 * and short timeouts, and with the loopback exemption off so that the
 * per-IP cap applies to 127.0.0.0/8: every attack comes from its own
 * 127.0.x.y address, the well-behaved peer from 127.0.0.1.
 *
 * For every attack: the offending stream or connection is refused or
 * closed (by the limit or timeout it targets, measured), the heap stays
 * bounded while it runs (sampled every few milliseconds), the good peer
 * keeps completing echo round trips with no failure, and afterwards the
 * target's counters are back to where they were (only the good peer's
 * connection left, no pending handshake, no queued close, no held data)
 * and the heap is back near its level before the attack.
 *
 * HOSTILE_LOG=debug (or info, ...) shows the target's log.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <lp2p/crypto.h>
#include <lp2p/log.h>

#include "hostile.h"
#include "swarm/swarm.h"

/* The target's configuration: the limits the attacks run into. */
#define MAX_STREAMS 32
#define PER_IP 16
#define HANDSHAKE_MS 500
#define NEGOTIATION_MS 500
#define WRITE_MS 1000
#define MIN_RATE (64u * 1024) /* bytes per second */
/* yamux: the spec's initial window, which a first SYN may fill before the
 * peer hears of a larger one ... */
#define WINDOW (256u * 1024)
/* ... and the window the target announces when it ACKs a stream */
#define OPEN_WINDOW LP2P_CONN_STREAM_WINDOW

static const char target_yaml[] = "listen: [/ip4/127.0.0.1/tcp/0]\n"
                                  "security: [noise, tls]\n"
                                  "muxers: [yamux, mplex]\n"
                                  "limits:\n"
                                  "  max_connections: 512\n"
                                  "  max_inbound_connections: 512\n"
                                  "  max_connections_per_ip: 16\n"
                                  "  accept_rate: 0\n"
                                  "  exempt_loopback: false\n"
                                  "  max_pending_handshakes: 256\n"
                                  "  max_streams_per_connection: 32\n"
                                  "  handshake_timeout: 500ms\n"
                                  "  negotiation_timeout: 500ms\n"
                                  "  write_timeout: 1s\n"
                                  "  min_write_rate: 64KiB\n"
                                  "connection_manager:\n"
                                  "  low_water: 480\n"
                                  "  high_water: 512\n"
                                  "  grace_period: 1s\n";

/* A refusal the target decides on the spot (no timer involved). */
#define PROMPT_MS 250
/* Slack for timers (the target's loop and ours, ASan, a busy machine). */
#define SLACK_MS 1500
/* Heap the target may keep after an attack (caches, a grown scratch). */
#define HEAP_KEEP (1u << 20)

static struct target T;
static struct good_peer G;
static unsigned next_ip = 0x0101; /* 127.0.1.1 */

/* A fresh source address per use: 127.0.1.1, 127.0.1.2, ... */
static unsigned new_src(void)
{
	unsigned s = next_ip++;
	if ((next_ip & 0xff) == 0xff)
		next_ip += 2;
	return s;
}

#define MUST(expr)                                                             \
	do {                                                                   \
		int rc_ = (expr);                                              \
		if (rc_ < 0)                                                   \
			fail_msg("%s: %s", #expr, strerror(-rc_));             \
	} while (0)

/* ---- heap sampling ---- */

static pthread_t sampler;
static atomic_bool sampler_stop;
static atomic_size_t heap_peak;

static void *sampler_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&sampler_stop)) {
		size_t now = hp_heap_in_use();
		size_t peak = atomic_load(&heap_peak);
		while (now > peak &&
		       !atomic_compare_exchange_weak(&heap_peak, &peak, now))
			;
		hp_sleep_ms(2);
	}
	return NULL;
}

/* ---- one attack's frame: before, during, after ---- */

struct attack {
	const char *name;
	size_t heap0, rss0;
	unsigned long rounds0, fail0;
	uint64_t t0;
};

static void snap_or_fail(struct target_snap *s)
{
	int rc = target_snapshot(&T, s, 3000);
	if (rc)
		fail_msg("the target's loop does not answer (%s)",
		         strerror(-rc));
}

static bool clean(const struct target_snap *s)
{
	return s->hostile_conns == 0 && s->pending == 0 &&
	       s->closed_queued == 0 && s->held_bytes == 0 &&
	       s->good_conns == 1 && s->sw_pending == s->pending &&
	       s->sw_ready == s->ready &&
	       /* the resource scopes agree with what exists */
	       s->sys.inbound_connections == s->conns &&
	       s->sys.outbound_connections == 0 &&
	       s->sys.inbound_streams + s->sys.outbound_streams ==
	               s->streams &&
	       s->sys.fds == s->conns + s->lingering &&
	       s->transient.inbound_connections == 0 &&
	       s->transient.inbound_streams <= s->good_streams &&
	       s->peer_scopes == 1 &&
	       s->api_conns == s->ready && s->api_streams == s->good_streams &&
	       !s->listeners_paused;
}

static void print_snap(const char *what, const struct target_snap *s)
{
	fprintf(stderr,
	        "%s: conns %zu (ready %zu, pending %zu; swarm says %zu/%zu), "
	        "hostile %zu with %zu streams, good %zu with "
	        "%zu streams, closed queued %zu, held %zu, paused %d; API: "
	        "%zu conns, %zu streams; lingering %zu\n",
	        what, s->conns, s->ready, s->pending, s->sw_ready,
	        s->sw_pending, s->hostile_conns,
	        s->hostile_streams, s->good_conns, s->good_streams,
	        s->closed_queued, s->held_bytes, s->listeners_paused,
	        s->api_conns, s->api_streams, s->lingering);
	const struct {
		const char *name;
		const struct lp2p_resource_usage *u;
	} scopes[] = {{"system", &s->sys},
	              {"transient", &s->transient},
	              {"/echo/1.0.0", &s->echo}};
	for (size_t i = 0; i < 3; i++)
		fprintf(stderr,
		        "  %s scope: connections %u in / %u out, streams %u in "
		        "/ %u out, fds %u, memory %llu\n",
		        scopes[i].name, scopes[i].u->inbound_connections,
		        scopes[i].u->outbound_connections,
		        scopes[i].u->inbound_streams,
		        scopes[i].u->outbound_streams, scopes[i].u->fds,
		        (unsigned long long)scopes[i].u->memory);
	fprintf(stderr, "  peer scopes: %zu\n", s->peer_scopes);
}

/* Wait until only the good peer's connection is left. */
static void settle(const char *name, int timeout_ms)
{
	struct target_snap s;
	uint64_t until = hp_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		snap_or_fail(&s);
		if (clean(&s))
			return;
		if (hp_now_ms() > until) {
			print_snap(name, &s);
			fail_msg("%s: the target's counters did not return to "
			         "zero",
			         name);
		}
		hp_sleep_ms(10);
	}
}

static void attack_begin(struct attack *a, const char *name)
{
	size_t left = hp_close_leftovers();
	if (left)
		fprintf(stderr,
		        "(closed %zu connections a failed attack left "
		        "open)\n",
		        left);
	settle(name, 3000);
	/* some good traffic first, so the baseline includes it */
	unsigned long r = atomic_load(&G.rounds);
	uint64_t until = hp_now_ms() + 3000;
	while (atomic_load(&G.rounds) < r + 2 && hp_now_ms() < until)
		hp_sleep_ms(5);
	a->name = name;
	a->heap0 = hp_heap_in_use();
	a->rss0 = hp_rss_kib();
	a->rounds0 = atomic_load(&G.rounds);
	a->fail0 = atomic_load(&G.failures);
	a->t0 = hp_now_ms();
	atomic_store(&G.max_ms, 0);
	atomic_store(&heap_peak, a->heap0);
}

/*
 * After the attack: counters back to zero, the good peer served all along
 * (and still), the heap back near where it was; peak_bound limits the
 * heap growth seen while the attack ran.
 */
static void attack_end(struct attack *a, size_t peak_bound)
{
	settle(a->name, 4000);
	uint64_t until = hp_now_ms() + 3000;
	while (atomic_load(&G.rounds) < a->rounds0 + 3 && hp_now_ms() < until)
		hp_sleep_ms(5);
	unsigned long rounds = atomic_load(&G.rounds) - a->rounds0;
	unsigned long fails = atomic_load(&G.failures) - a->fail0;
	size_t peak = atomic_load(&heap_peak);
	size_t grow = peak > a->heap0 ? peak - a->heap0 : 0;
	/* Give the allocator's numbers a moment to come down. */
	size_t heap = hp_heap_in_use();
	for (int i = 0; i < 50 && heap > a->heap0 + HEAP_KEEP; i++) {
		hp_sleep_ms(10);
		heap = hp_heap_in_use();
	}
	long kept = (long)heap - (long)a->heap0;
	printf("  %-44s %5llu ms  heap peak +%6zu KiB, after %+5ld KiB, "
	       "rss %zu -> %zu KiB, good round trips %lu (max %lu ms)\n",
	       a->name, (unsigned long long)(hp_now_ms() - a->t0), grow / 1024,
	       kept / 1024, a->rss0, hp_rss_kib(), rounds,
	       atomic_load(&G.max_ms));
	fflush(stdout);
	if (fails)
		fail_msg("%s: the good peer saw %lu failures", a->name, fails);
	if (rounds < 3)
		fail_msg("%s: the good peer is not served (%lu round trips)",
		         a->name, rounds);
	if (grow > peak_bound)
		fail_msg("%s: the heap grew by %zu KiB (bound %zu KiB)",
		         a->name, grow / 1024, peak_bound / 1024);
	if (kept > (long)HEAP_KEEP)
		fail_msg("%s: %ld KiB of heap were not given back", a->name,
		         kept / 1024);
}

/* ---- helpers for the attacks ---- */

static void open_conn(struct hp_conn *c, unsigned src, const char *muxer,
                      bool early)
{
	MUST(hp_connect(c, T.port, src, 0));
	struct hp_hs_opts o = {
	    .budget = SIZE_MAX, .muxer = muxer, .early = early};
	int rc = hp_handshake(c, &o);
	if (rc != HP_DONE)
		fail_msg("handshake: %s", rc < 0 ? strerror(-rc) : "stalled");
}

static void echo_ok(struct hp_conn *c, size_t len)
{
	uint8_t *data = malloc(len);
	hp_random_bytes(data, len);
	int rc = hp_echo(c, data, len, 5000);
	free(data);
	if (rc)
		fail_msg("echo of %zu bytes: %s", len, strerror(-rc));
}

/* Read yamux frames until a GoAway; returns its code (or fails). */
#define expect_goaway(c) expect_goaway_(c, __func__, __LINE__)
static uint32_t expect_goaway_(struct hp_conn *c, const char *fn, int line)
{
	for (;;) {
		struct hp_yframe f;
		int rc = hp_y_read(c, &f, 2000);
		if (rc)
			fail_msg("%s:%d: no GoAway: %s", fn, line,
			         strerror(-rc));
		if (f.type == Y_GOAWAY)
			return f.length;
	}
}

/* The target closes c promptly (an on-the-spot refusal). */
static void expect_prompt_close(struct hp_conn *c, const char *what)
{
	int ms = hp_wait_closed(c, 2000);
	if (ms < 0)
		fail_msg("%s: the connection stayed open", what);
	if (ms > PROMPT_MS)
		fail_msg("%s: closed only after %d ms", what, ms);
}

/* Wait for a RST (or, mplex, Reset) of stream id; returns ms waited. */
static int expect_stream_reset(struct hp_conn *c, uint64_t id, int timeout_ms)
{
	uint64_t t0 = hp_now_ms();
	for (;;) {
		int left = timeout_ms - (int)(hp_now_ms() - t0);
		if (left <= 0)
			fail_msg("stream %llu was not reset",
			         (unsigned long long)id);
		if (c->mux == HP_MUX_MPLEX) {
			struct hp_mframe f;
			MUST(hp_m_read(c, &f, left));
			if (f.id == id && f.flag == 5)
				break;
		} else {
			struct hp_yframe f;
			MUST(hp_y_read(c, &f, left));
			if (f.type == Y_GOAWAY)
				fail_msg("GoAway instead of a stream reset");
			if (f.id == id && (f.flags & Y_RST))
				break;
		}
	}
	return (int)(hp_now_ms() - t0);
}

/* ---- 1: more streams than max_streams_per_connection ---- */

static void stream_flood(const char *muxer)
{
	enum { N = 1024 };
	struct hp_conn c;
	struct hp_buf b = {0};
	uint8_t state[N] = {0}; /* 1 accepted, 2 refused */
	int accepted = 0, refused = 0;

	open_conn(&c, new_src(), muxer, true);
	bool y = c.mux == HP_MUX_YAMUX;
	/* every open in one burst */
	for (uint32_t i = 0; i < N; i++) {
		if (y) {
			uint8_t h[12];
			hp_y_header(h, Y_WINDOW, Y_SYN, 1 + 2 * i, 0);
			hp_buf_add(&b, h, 12);
		} else {
			uint8_t v[24];
			size_t n = hp_varint(v, (uint64_t)i << 3 | 0);
			n += hp_varint(v + n, 1);
			v[n++] = 'x';
			hp_buf_add(&b, v, n);
		}
	}
	MUST(hp_send_sealed(&c, b.p, b.len));
	hp_buf_free(&b);
	while (accepted + refused < N) {
		uint64_t id;
		bool rst, ok;
		if (y) {
			struct hp_yframe f;
			MUST(hp_y_read(&c, &f, 3000));
			if (f.type == Y_GOAWAY)
				fail_msg("GoAway(%u) during the flood",
				         f.length);
			id = (f.id - 1) / 2;
			rst = f.flags & Y_RST;
			ok = f.flags & Y_ACK;
		} else {
			struct hp_mframe f;
			MUST(hp_m_read(&c, &f, 3000));
			id = f.id;
			rst = f.flag == 5;
			ok = f.flag == 1; /* the multistream header */
		}
		if (id >= N || state[id] || (!rst && !ok))
			continue;
		state[id] = rst ? 2 : 1;
		if (rst)
			refused++;
		else
			accepted++;
	}
	struct target_snap s;
	snap_or_fail(&s);
	if (s.max_streams > MAX_STREAMS)
		fail_msg("%zu streams open on one connection", s.max_streams);
	if (accepted != MAX_STREAMS || refused != N - MAX_STREAMS)
		fail_msg("%d streams accepted, %d refused", accepted, refused);
	/* drop the accepted ones; the connection goes on working */
	for (uint32_t i = 0; i < N; i++) {
		if (state[i] != 1)
			continue;
		if (y)
			MUST(hp_y_send(&c, Y_WINDOW, Y_RST, 1 + 2 * i, 0, NULL,
			               0));
		else
			MUST(hp_m_send(&c, i, 6, NULL, 0));
	}
	c.next_id = y ? 1 + 2 * N : N;
	echo_ok(&c, 1000);
	/* and once more up to the limit: the slots came back */
	for (int i = 0; i < 3; i++)
		echo_ok(&c, 100);
	hp_close(&c);
}

static void t_stream_flood_yamux(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "1: 1024 yamux streams, limit 32");
	stream_flood(HP_YAMUX);
	attack_end(&a, 2u << 20);
}

static void t_stream_flood_mplex(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "1: 1024 mplex streams, limit 32");
	stream_flood(HP_MPLEX);
	attack_end(&a, 2u << 20);
}

/* ---- 2: yamux data past the receive window ---- */

static void t_window_exceeded(void **state)
{
	(void)state;
	struct attack a;
	struct hp_conn c;
	uint8_t *big = malloc(WINDOW + 1);
	hp_random_bytes(big, WINDOW + 1);
	attack_begin(&a, "2: yamux data past the window");

	/* a data frame one byte past an open stream's window (the header
	 * says so; the body never comes) */
	open_conn(&c, new_src(), HP_YAMUX, true);
	MUST(hp_y_send(&c, Y_WINDOW, Y_SYN, 1, 0, NULL, 0));
	MUST(hp_y_send(&c, Y_DATA, 0, 1, OPEN_WINDOW + 1, big, 100));
	uint32_t code = expect_goaway(&c);
	assert_int_equal(code, 1); /* protocol error */
	expect_prompt_close(&c, "data past the window");
	hp_close(&c);

	/* a first SYN carrying more than the initial window */
	open_conn(&c, new_src(), HP_YAMUX, true);
	int rc = hp_y_send(&c, Y_DATA, Y_SYN, 1, WINDOW + 1, big, WINDOW + 1);
	if (rc && rc != -EPIPE && rc != -ECONNRESET)
		fail_msg("send: %s", strerror(-rc));
	code = expect_goaway(&c);
	assert_int_equal(code, 1);
	hp_close(&c);

	/* exactly the window in the first SYN is fine: it is echoed */
	open_conn(&c, new_src(), HP_YAMUX, true);
	struct hp_buf req = {0};
	hp_mss_line(&req, "/multistream/1.0.0");
	hp_mss_line(&req, HP_ECHO);
	size_t hdr = req.len;
	hp_buf_add(&req, big, WINDOW - hdr);
	MUST(hp_y_send(&c, Y_DATA, Y_SYN, 1, WINDOW, req.p, WINDOW));
	size_t got = 0;
	bool fin = false;
	while (!fin) {
		struct hp_yframe f;
		MUST(hp_y_read(&c, &f, 3000));
		if (f.type == Y_GOAWAY)
			fail_msg("GoAway(%u) for a full first window",
			         f.length);
		if (f.id != 1)
			continue;
		if (f.flags & Y_RST)
			fail_msg("stream reset");
		if (f.type == Y_DATA && f.length) {
			if (got + f.length > WINDOW ||
			    memcmp(req.p + got, f.data, f.length) != 0)
				fail_msg("echo differs at %zu", got);
			got += f.length;
			MUST(hp_y_send(&c, Y_WINDOW, 0, 1, f.length, NULL, 0));
			if (got == WINDOW)
				MUST(hp_y_send(&c, Y_WINDOW, Y_FIN, 1, 0, NULL,
				               0));
		}
		fin = f.flags & Y_FIN;
	}
	assert_int_equal(got, WINDOW);
	hp_buf_free(&req);
	hp_close(&c);
	free(big);
	attack_end(&a, 4u << 20);
}

/* ---- 3: window updates that overflow 32 bits ---- */

static void t_window_overflow(void **state)
{
	(void)state;
	struct attack a;
	struct hp_conn c;
	attack_begin(&a, "3: yamux window update overflow");

	/* a huge but legal update, then one that overflows */
	open_conn(&c, new_src(), HP_YAMUX, true);
	MUST(hp_y_send(&c, Y_WINDOW, Y_SYN, 1, 0, NULL, 0));
	MUST(hp_y_send(&c, Y_WINDOW, 0, 1, UINT32_MAX - WINDOW, NULL, 0));
	MUST(hp_y_send(&c, Y_PING, Y_SYN, 0, 0x5eed, NULL, 0));
	for (;;) { /* still alive: the ping is answered */
		struct hp_yframe f;
		MUST(hp_y_read(&c, &f, 2000));
		if (f.type == Y_GOAWAY)
			fail_msg("GoAway(%u) for a legal window", f.length);
		if (f.type == Y_PING && (f.flags & Y_ACK) && f.length == 0x5eed)
			break;
	}
	MUST(hp_y_send(&c, Y_WINDOW, 0, 1, 0x10000, NULL, 0));
	assert_int_equal(expect_goaway(&c), 1);
	expect_prompt_close(&c, "window overflow");
	hp_close(&c);

	/* overflow in the opening frame itself */
	open_conn(&c, new_src(), HP_YAMUX, true);
	MUST(hp_y_send(&c, Y_WINDOW, Y_SYN, 1, UINT32_MAX, NULL, 0));
	assert_int_equal(expect_goaway(&c), 1);
	expect_prompt_close(&c, "window overflow in the SYN");
	hp_close(&c);
	attack_end(&a, 1u << 20);
}

/* ---- 4: stalls ---- */

struct stalled {
	struct hp_conn c;
	uint64_t t_connect;
	int closed_after; /* ms from connect, -1: open */
	bool early;       /* closed while its bytes were still being sent */
};

/* Note the close of every connection of st[0..n) that has closed. */
static size_t poll_closed(struct stalled *st, size_t n)
{
	size_t open = 0;
	for (size_t i = 0; i < n; i++) {
		if (st[i].closed_after >= 0)
			continue;
		if (hp_is_closed(&st[i].c))
			st[i].closed_after =
			    (int)(hp_now_ms() - st[i].t_connect);
		else
			open++;
	}
	return open;
}

/*
 * Every prefix of a handshake (multistream-select, Noise, the muxer's
 * multistream-select), then silence: handshake_timeout must close each,
 * and nothing else must close it earlier.
 */
static void stall_prefixes(void)
{
	enum { BATCH = 96 };
	struct hp_conn probe;
	struct hp_hs_opts full = {.budget = SIZE_MAX, .muxer = HP_YAMUX};
	MUST(hp_connect(&probe, T.port, new_src(), 0));
	MUST(hp_handshake(&probe, &full));
	size_t total = probe.sent;
	hp_close(&probe);

	struct stalled *st = calloc(BATCH, sizeof *st);
	unsigned src = 0;
	size_t checked = 0;
	for (size_t k0 = 0; k0 < total; k0 += BATCH) {
		size_t n = total - k0 < BATCH ? total - k0 : BATCH;
		for (size_t i = 0; i < n; i++) {
			if (i % 8 == 0)
				src = new_src();
			struct stalled *x = &st[i];
			x->closed_after = -1;
			x->early = false;
			MUST(hp_connect(&x->c, T.port, src, 0));
			x->t_connect = hp_now_ms();
			struct hp_hs_opts o = {.budget = k0 + i,
			                       .muxer = HP_YAMUX};
			int rc = hp_handshake(&x->c, &o);
			if (rc != HP_STALLED) {
				x->early = true;
				x->closed_after =
				    (int)(hp_now_ms() - x->t_connect);
			}
			poll_closed(st, i);
		}
		uint64_t until = hp_now_ms() + HANDSHAKE_MS + SLACK_MS;
		while (poll_closed(st, n) && hp_now_ms() < until)
			hp_sleep_ms(5);
		for (size_t i = 0; i < n; i++) {
			struct stalled *x = &st[i];
			if (x->early)
				fail_msg("prefix %zu of %zu: the target closed "
				         "during the handshake",
				         k0 + i, total);
			if (x->closed_after < 0)
				fail_msg("prefix %zu of %zu: still open after "
				         "%d ms",
				         k0 + i, total,
				         HANDSHAKE_MS + SLACK_MS);
			if (x->closed_after < HANDSHAKE_MS - 50)
				fail_msg("prefix %zu of %zu: closed after %d "
				         "ms, before the handshake timeout",
				         k0 + i, total, x->closed_after);
			hp_close(&x->c);
			checked++;
		}
	}
	free(st);
	assert_int_equal(checked, total);
	printf("    %zu handshake prefixes, each closed by the timeout\n",
	       total);
}

/* One byte every 50 ms never finishes: the timeout is for the whole
 * handshake, not for silence. */
static void stall_trickle(void)
{
	struct hp_conn c;
	struct hp_buf b = {0};
	uint8_t msg1[34] = {0, 32};
	hp_random_bytes(msg1 + 2, 32);
	hp_mss_line(&b, "/multistream/1.0.0");
	hp_mss_line(&b, "/noise");
	hp_buf_add(&b, msg1, sizeof msg1);
	MUST(hp_connect(&c, T.port, new_src(), 0));
	uint64_t t0 = hp_now_ms();
	int closed = -1;
	for (size_t i = 0; i < b.len && closed < 0; i++) {
		if (hp_send(&c, b.p + i, 1) < 0 || hp_is_closed(&c))
			closed = (int)(hp_now_ms() - t0);
		else
			hp_sleep_ms(50);
	}
	if (closed < 0)
		closed = hp_wait_closed(&c, HANDSHAKE_MS + SLACK_MS) >= 0
		             ? (int)(hp_now_ms() - t0)
		             : -1;
	if (closed < HANDSHAKE_MS - 50 || closed > HANDSHAKE_MS + SLACK_MS)
		fail_msg("trickled handshake closed after %d ms", closed);
	hp_buf_free(&b);
	hp_close(&c);
}

/* A stream whose protocol negotiation stalls is reset after
 * negotiation_timeout; its connection stays. */
static void stall_stream(const char *muxer)
{
	struct hp_conn c;
	struct hp_buf b = {0};
	open_conn(&c, new_src(), muxer, true);
	hp_mss_line(&b, "/multistream/1.0.0");
	if (c.mux == HP_MUX_YAMUX) {
		MUST(hp_y_send(&c, Y_DATA, Y_SYN, 1, 5, b.p, 5));
		c.next_id = 3;
	} else {
		MUST(hp_m_send(&c, 0, 0, "0", 1));
		MUST(hp_m_send(&c, 0, 2, b.p, 5));
		c.next_id = 1;
	}
	int ms = expect_stream_reset(&c, c.mux == HP_MUX_YAMUX ? 1 : 0,
	                             NEGOTIATION_MS + SLACK_MS);
	if (ms < NEGOTIATION_MS - 50)
		fail_msg("stalled stream reset after %d ms", ms);
	echo_ok(&c, 500);
	hp_buf_free(&b);
	hp_close(&c);
}

static void t_stall_handshake(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "4: stall after every handshake byte");
	stall_prefixes();
	attack_end(&a, 8u << 20);
}

static void t_stall_trickle(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "4: trickle a handshake, one byte / 50 ms");
	stall_trickle();
	attack_end(&a, 1u << 20);
}

static void t_stall_stream(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "4: stall a stream's negotiation");
	stall_stream(HP_YAMUX);
	stall_stream(HP_MPLEX);
	attack_end(&a, 1u << 20);
}

/* ---- 5: a peer that never reads ---- */

/*
 * Echo data on every stream the target lets us open (within yamux
 * windows; mplex has none) and pings, sent without reading the answers,
 * until the target stops reading (*stuck), closes the connection
 * (*closed), or limit bytes were sent.  Returns the bytes sent.
 */
static size_t fill_echo(struct hp_conn *c, bool streams, bool pings,
                        size_t limit, bool *stuck, bool *closed)
{
	struct hp_buf b = {0}, sealed = {0};
	uint8_t chunk[16384];
	uint8_t h[12];
	size_t sent = 0;
	*stuck = *closed = false;
	hp_random_bytes(chunk, sizeof chunk);
	uint32_t per_stream[MAX_STREAMS] = {0};
	uint64_t give_up = hp_now_ms() + 10000;
	for (int round = 0; !*stuck && sent < limit && hp_now_ms() < give_up;
	     round++) {
		b.len = 0;
		if (streams && c->mux == HP_MUX_MPLEX) {
			/* no window: as much as the target will read */
			int i = round % MAX_STREAMS;
			uint8_t v[24];
			size_t n;
			if (per_stream[i] == 0) {
				struct hp_buf m = {0};
				hp_mss_line(&m, "/multistream/1.0.0");
				hp_mss_line(&m, HP_ECHO);
				n = hp_varint(v, (uint64_t)i << 3 | 0);
				n += hp_varint(v + n, 1);
				v[n++] = 'm';
				n += hp_varint(v + n, (uint64_t)i << 3 | 2);
				n += hp_varint(v + n, m.len);
				hp_buf_add(&b, v, n);
				hp_buf_add(&b, m.p, m.len);
				per_stream[i] = (uint32_t)m.len;
				hp_buf_free(&m);
			}
			n = hp_varint(v, (uint64_t)i << 3 | 2);
			n += hp_varint(v + n, sizeof chunk);
			hp_buf_add(&b, v, n);
			hp_buf_add(&b, chunk, sizeof chunk);
		} else if (streams) {
			int i = round % MAX_STREAMS;
			uint32_t id = 1 + 2 * (uint32_t)i;
			if (per_stream[i] == 0) {
				struct hp_buf m = {0};
				hp_mss_line(&m, "/multistream/1.0.0");
				hp_mss_line(&m, HP_ECHO);
				hp_y_header(h, Y_DATA, Y_SYN, id,
				            (uint32_t)m.len);
				hp_buf_add(&b, h, 12);
				hp_buf_add(&b, m.p, m.len);
				per_stream[i] = (uint32_t)m.len;
				hp_buf_free(&m);
			}
			/* stay inside the window the target gave us */
			if (per_stream[i] + sizeof chunk <= WINDOW) {
				hp_y_header(h, Y_DATA, 0, id, sizeof chunk);
				hp_buf_add(&b, h, 12);
				hp_buf_add(&b, chunk, sizeof chunk);
				per_stream[i] += sizeof chunk;
			}
		}
		if (pings)
			for (int i = 0; i < 256; i++) {
				hp_y_header(h, Y_PING, Y_SYN, 0,
				            (uint32_t)(round * 256 + i));
				hp_buf_add(&b, h, 12);
			}
		if (b.len == 0)
			break;
		sealed.len = 0;
		assert_int_equal(hp_seal(c, b.p, b.len, &sealed), 0);
		ssize_t n = hp_send_some(c, sealed.p, sealed.len, 300);
		if (n < 0) {
			*closed = true;
			break;
		}
		sent += (size_t)n;
		*stuck = (size_t)n < sealed.len;
	}
	hp_buf_free(&b);
	hp_buf_free(&sealed);
	return sent;
}

/*
 * Fill the target with work whose answers we never read: echo data on
 * every stream it lets us open (within yamux windows) and pings.  The
 * target must stop reading, keep its buffers bounded, and close the
 * connection write_timeout after its output stopped moving.  c is a
 * secured, multiplexed connection (Noise or TLS).
 */
static void never_read_on(struct hp_conn *c, bool streams, bool pings,
                          bool then_abort)
{
	int sndbuf = 65536; /* the target's buffers, not ours, fill up */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	bool stuck, closed_early;
	size_t sent =
	    fill_echo(c, streams, pings, SIZE_MAX, &stuck, &closed_early);
	/* closed_early: the target gave up on us while we were still
	 * sending (write_timeout ran out): what we test */
	if (!stuck && !closed_early)
		fail_msg("the target read all %zu bytes we sent", sent);
	if (then_abort) {
		/* vanish with the target's output queued: its next write
		 * fails (and must not raise SIGPIPE in its process) */
		hp_abort(c);
		printf("    sent %zu KiB before the target stopped reading; "
		       "then reset\n",
		       sent / 1024);
		return;
	}
	/* now wait (still not reading) for the target to give up */
	uint64_t t0 = hp_now_ms();
	struct target_snap s;
	do {
		hp_sleep_ms(20);
		snap_or_fail(&s);
	} while (s.hostile_conns && hp_now_ms() - t0 < WRITE_MS + 2 * SLACK_MS);
	if (s.hostile_conns)
		fail_msg("a peer that does not read is still connected after "
		         "%llu ms",
		         (unsigned long long)(hp_now_ms() - t0));
	printf("    sent %zu KiB before the target stopped reading; closed "
	       "%llu ms later\n",
	       sent / 1024, (unsigned long long)(hp_now_ms() - t0));
	hp_close(c);
}

static void never_read(const char *muxer, bool streams, bool pings,
                       bool then_abort)
{
	struct hp_conn c;
	MUST(hp_connect(&c, T.port, new_src(), 4096));
	struct hp_hs_opts o = {
	    .budget = SIZE_MAX, .muxer = muxer, .early = true};
	if (hp_handshake(&c, &o) != HP_DONE)
		fail_msg("handshake failed");
	never_read_on(&c, streams, pings, then_abort);
}

static void t_never_read_echo(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "5: never read, 32 echo streams + pings");
	never_read(HP_YAMUX, true, true, false);
	attack_end(&a, 8u << 20);
}

static void t_never_read_pings(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "5: never read, ping flood");
	never_read(HP_YAMUX, false, true, false);
	attack_end(&a, 4u << 20);
}

static void t_never_read_mplex(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "5: never read, 32 mplex echo streams");
	never_read(HP_MPLEX, true, false, false);
	attack_end(&a, 8u << 20);
}

/*
 * Hand the target echo work it reads completely but cannot answer (we do
 * not read), then read what is there and close: the target's output is
 * still in flight, and our kernel answers it with a reset.
 */
static void fin_then_reset(const char *muxer)
{
	struct hp_conn c;
	MUST(hp_connect(&c, T.port, new_src(), 4096));
	struct hp_hs_opts o = {
	    .budget = SIZE_MAX, .muxer = muxer, .early = true};
	if (hp_handshake(&c, &o) != HP_DONE)
		fail_msg("handshake failed");
	struct hp_buf b = {0}, m = {0};
	hp_mss_line(&m, "/multistream/1.0.0");
	hp_mss_line(&m, HP_ECHO);
	size_t len = WINDOW - 1024;
	uint8_t *data = malloc(len);
	hp_random_bytes(data, len);
	for (uint32_t i = 0; i < 6; i++) {
		b.len = 0;
		hp_buf_add(&b, m.p, m.len);
		hp_buf_add(&b, data, len - m.len);
		if (c.mux == HP_MUX_YAMUX) {
			MUST(hp_y_send(&c, Y_DATA, Y_SYN, 1 + 2 * i,
			               (uint32_t)b.len, b.p, b.len));
		} else {
			MUST(hp_m_send(&c, i, 0, "f", 1));
			for (size_t off = 0; off < b.len; off += 65536) {
				size_t n = b.len - off < 65536 ? b.len - off
				                               : 65536;
				MUST(hp_m_send(&c, i, 2, b.p + off, n));
			}
		}
	}
	free(data);
	hp_buf_free(&b);
	hp_buf_free(&m);
	hp_sleep_ms(200);
	/* read what is there and close at once: with nothing unread our
	 * kernel sends a FIN, and resets when more of the target's output
	 * arrives */
	uint8_t sink[65536];
	while (recv(c.fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
		;
	hp_close(&c);
}

static void t_never_read_reset(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "5: never read, then reset");
	never_read(HP_YAMUX, true, true, true);
	never_read(HP_MPLEX, true, false, true);
	fin_then_reset(HP_YAMUX);
	fin_then_reset(HP_MPLEX);
	attack_end(&a, 8u << 20);
}

/* ---- 6: huge length prefixes ---- */

static const uint8_t len_2p63m1[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0x7f};
static const uint8_t len_2p63[] = {0x80, 0x80, 0x80, 0x80, 0x80,
                                   0x80, 0x80, 0x80, 0x80, 0x01};
static const uint8_t len_1025[] = {0x81, 0x08};
static const uint8_t len_overlong[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                       0x80, 0x80, 0x80, 0x80, 0x80, 0x80};

static const struct {
	const uint8_t *p;
	size_t n;
	const char *name;
} huge_lens[] = {
    {len_2p63m1, sizeof len_2p63m1, "2^63-1"},
    {len_2p63, sizeof len_2p63, "2^63"},
    {len_1025, sizeof len_1025, "1025"},
    {len_overlong, sizeof len_overlong, "12-byte varint"},
};

static void t_huge_mss(void **state)
{
	(void)state;
	struct attack a;
	struct hp_conn c;
	char what[128];
	attack_begin(&a, "6: huge multistream lengths");
	for (size_t i = 0; i < 4; i++) {
		/* the first line on the connection */
		MUST(hp_connect(&c, T.port, new_src(), 0));
		MUST(hp_send(&c, huge_lens[i].p, huge_lens[i].n));
		snprintf(what, sizeof what, "mss length %s", huge_lens[i].name);
		expect_prompt_close(&c, what);
		hp_close(&c);

		/* the muxer's negotiation, encrypted */
		MUST(hp_connect(&c, T.port, new_src(), 0));
		struct hp_hs_opts o = {.muxer = HP_YAMUX};
		struct hp_conn probe;
		struct hp_hs_opts full = {.budget = SIZE_MAX};
		MUST(hp_connect(&probe, T.port, new_src(), 0));
		MUST(hp_handshake(&probe, &full));
		size_t mss_bytes = lp2p_noise_sealed_size(20 + 13);
		hp_close(&probe);
		o.budget = probe.sent - mss_bytes;
		if (hp_handshake(&c, &o) != HP_STALLED)
			fail_msg("handshake did not stop before the muxer");
		MUST(hp_send_sealed(&c, huge_lens[i].p, huge_lens[i].n));
		snprintf(what, sizeof what, "muxer mss length %s",
		         huge_lens[i].name);
		expect_prompt_close(&c, what);
		hp_close(&c);

		/* a stream's negotiation: the stream is reset, not the
		 * connection */
		open_conn(&c, new_src(), HP_YAMUX, true);
		MUST(hp_y_send(&c, Y_DATA, Y_SYN, 1, (uint32_t)huge_lens[i].n,
		               huge_lens[i].p, huge_lens[i].n));
		c.next_id = 3;
		int ms = expect_stream_reset(&c, 1, 2000);
		if (ms > PROMPT_MS)
			fail_msg("stream reset only after %d ms", ms);
		echo_ok(&c, 100);
		hp_close(&c);
	}
	attack_end(&a, 1u << 20);
}

static void t_huge_mplex(void **state)
{
	(void)state;
	struct attack a;
	struct hp_conn c;
	uint8_t v[32];
	size_t n;
	attack_begin(&a, "6: huge mplex header lengths");
	for (size_t i = 0; i < 4; i++) {
		/* as the stream id / flag varint (then a zero length) */
		open_conn(&c, new_src(), HP_MPLEX, true);
		memcpy(v, huge_lens[i].p, huge_lens[i].n);
		v[huge_lens[i].n] = 0;
		MUST(hp_send_sealed(&c, v, huge_lens[i].n + 1));
		if (i == 2) { /* 1025: an empty Message to stream 128 */
			echo_ok(&c, 10);
			hp_close(&c);
		} else {
			expect_prompt_close(&c, "mplex id varint");
			hp_close(&c);
		}
		/* as the length of a NewStream and of a Message */
		for (uint8_t flag = 0; flag <= 2; flag += 2) {
			open_conn(&c, new_src(), HP_MPLEX, true);
			n = hp_varint(v, 7u << 3 | flag);
			memcpy(v + n, huge_lens[i].p, huge_lens[i].n);
			n += huge_lens[i].n;
			MUST(hp_send_sealed(&c, v, n));
			if (i == 2) { /* 1025 bytes are allowed: wait for
				       * them, the connection lives */
				hp_sleep_ms(50);
				if (hp_is_closed(&c))
					fail_msg("closed for a 1025-byte "
					         "frame");
			} else {
				expect_prompt_close(&c, "mplex length");
			}
			hp_close(&c);
		}
	}
	/* one byte over the 1 MiB message limit; exactly 1 MiB passes */
	open_conn(&c, new_src(), HP_MPLEX, true);
	n = hp_varint(v, 0u << 3 | 0);
	n += hp_varint(v + n, (1u << 20) + 1);
	MUST(hp_send_sealed(&c, v, n));
	expect_prompt_close(&c, "mplex 1 MiB + 1");
	hp_close(&c);
	open_conn(&c, new_src(), HP_MPLEX, true);
	uint8_t *name = malloc(1u << 20);
	memset(name, 'n', 1u << 20);
	MUST(hp_m_send(&c, 0, 0, name, 1u << 20));
	free(name);
	c.next_id = 1;
	echo_ok(&c, 100);
	hp_close(&c);
	/* the bound counts our own three copies of the 1 MiB frame */
	attack_end(&a, 6u << 20);
}

static void t_huge_noise(void **state)
{
	(void)state;
	struct attack a;
	struct hp_conn c;
	struct hp_buf b = {0};
	attack_begin(&a, "6: Noise frame lengths");

	/* a 65535-byte msg 1 that never completes: bounded, then timed out */
	MUST(hp_connect(&c, T.port, new_src(), 0));
	hp_mss_line(&b, "/multistream/1.0.0");
	hp_mss_line(&b, "/noise");
	hp_buf_add(&b, "\xff\xff", 2);
	uint8_t junk[1000];
	hp_random_bytes(junk, sizeof junk);
	hp_buf_add(&b, junk, sizeof junk);
	MUST(hp_send(&c, b.p, b.len));
	int ms = hp_wait_closed(&c, HANDSHAKE_MS + SLACK_MS);
	if (ms < 0)
		fail_msg("partial 64 KiB handshake frame: still open");
	hp_close(&c);

	/* msg 1 too short for its key */
	static const uint8_t short_lens[] = {0, 5, 31};
	for (size_t i = 0; i < sizeof short_lens; i++) {
		MUST(hp_connect(&c, T.port, new_src(), 0));
		b.len = 0;
		hp_mss_line(&b, "/multistream/1.0.0");
		hp_mss_line(&b, "/noise");
		uint8_t f[2 + 31] = {0, short_lens[i]};
		hp_buf_add(&b, f, 2 + short_lens[i]);
		MUST(hp_send(&c, b.p, b.len));
		expect_prompt_close(&c, "short msg 1");
		hp_close(&c);
	}

	/* transport frames: a full 65535-byte frame of garbage, a frame
	 * shorter than its tag, an empty frame */
	static const size_t tlens[] = {65535, 5, 0};
	for (size_t i = 0; i < 3; i++) {
		open_conn(&c, new_src(), HP_YAMUX, true);
		uint8_t *f = malloc(2 + tlens[i]);
		f[0] = (uint8_t)(tlens[i] >> 8);
		f[1] = (uint8_t)tlens[i];
		hp_random_bytes(f + 2, tlens[i]);
		MUST(hp_send(&c, f, 2 + tlens[i]));
		free(f);
		expect_prompt_close(&c, "bad transport frame");
		hp_close(&c);
	}
	hp_buf_free(&b);
	attack_end(&a, 1u << 20);
}

/* Send msg 3 with payload; the target must close at once. */
static void refused_payload(const uint8_t *payload, size_t len,
                            const char *what)
{
	struct hp_conn c;
	MUST(hp_connect(&c, T.port, new_src(), 0));
	struct hp_hs_opts o = {.budget = SIZE_MAX,
	                       .payload = payload,
	                       .payload_len = len,
	                       .early = true};
	int rc = hp_handshake(&c, &o);
	if (rc < 0 && rc != -EPIPE)
		fail_msg("%s: handshake: %s", what, strerror(-rc));
	expect_prompt_close(&c, what);
	hp_close(&c);
}

static void t_huge_protobuf(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "6: huge protobuf lengths in the payload");
	for (size_t i = 0; i < 4; i++) {
		uint8_t p[64];
		size_t n;
		/* identity_key, identity_sig, extensions */
		static const uint8_t tags[] = {0x0a, 0x12, 0x22};
		for (size_t t = 0; t < 3; t++) {
			p[0] = tags[t];
			memcpy(p + 1, huge_lens[i].p, huge_lens[i].n);
			refused_payload(p, 1 + huge_lens[i].n,
			                "protobuf field length");
		}
		/* inside the extensions: a muxer name */
		n = 0;
		p[n++] = 0x22;
		p[n++] = (uint8_t)(1 + huge_lens[i].n);
		p[n++] = 0x12;
		memcpy(p + n, huge_lens[i].p, huge_lens[i].n);
		n += huge_lens[i].n;
		refused_payload(p, n, "extensions field length");
		/* as a tag */
		refused_payload(huge_lens[i].p, huge_lens[i].n, "protobuf tag");
	}
	attack_end(&a, 1u << 20);
}

/* ---- 7: oversized RSA identity keys ---- */

static size_t der_len(uint8_t *out, size_t n)
{
	if (n < 128) {
		out[0] = (uint8_t)n;
		return 1;
	}
	if (n < 256) {
		out[0] = 0x81;
		out[1] = (uint8_t)n;
		return 2;
	}
	out[0] = 0x82;
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)n;
	return 3;
}

static void der_add(struct hp_buf *b, uint8_t tag, const struct hp_buf *body)
{
	uint8_t h[4] = {tag};
	size_t n = 1 + der_len(h + 1, body->len);
	hp_buf_add(b, h, n);
	hp_buf_add(b, body->p, body->len);
}

/* The protobuf PublicKey of an RSA key with a random modulus of bits. */
static void rsa_public_key(unsigned bits, struct hp_buf *out)
{
	static const uint8_t alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a,
	                              0x86, 0x48, 0x86, 0xf7, 0x0d,
	                              0x01, 0x01, 0x01, 0x05, 0x00};
	static const uint8_t e[] = {0x02, 0x03, 0x01, 0x00, 0x01};
	struct hp_buf mod = {0}, ints = {0}, seq = {0}, bits_s = {0},
	              spki_body = {0}, spki = {0};
	size_t nbytes = (bits + 7) / 8;
	uint8_t *m = malloc(nbytes + 1);
	m[0] = 0;
	hp_random_bytes(m + 1, nbytes);
	unsigned top = bits % 8 ? bits % 8 : 8;
	m[1] &= (uint8_t)((1u << top) - 1);
	m[1] |= (uint8_t)(1u << (top - 1));
	m[nbytes] |= 1;
	/* INTEGER: a leading zero only when the top bit is set */
	bool pad = m[1] & 0x80;
	struct hp_buf body = {0};
	hp_buf_add(&body, pad ? m : m + 1, nbytes + pad);
	der_add(&mod, 0x02, &body);
	hp_buf_add(&ints, mod.p, mod.len);
	hp_buf_add(&ints, e, sizeof e);
	der_add(&seq, 0x30, &ints);
	hp_buf_add(&bits_s, "\0", 1);
	hp_buf_add(&bits_s, seq.p, seq.len);
	hp_buf_add(&spki_body, alg, sizeof alg);
	der_add(&spki_body, 0x03, &bits_s);
	der_add(&spki, 0x30, &spki_body);
	/* PublicKey { Type = RSA (0), Data } */
	uint8_t v[12];
	hp_buf_add(out, "\x08\x00\x12", 3);
	hp_buf_add(out, v, hp_varint(v, spki.len));
	hp_buf_add(out, spki.p, spki.len);
	free(m);
	hp_buf_free(&body);
	hp_buf_free(&mod);
	hp_buf_free(&ints);
	hp_buf_free(&seq);
	hp_buf_free(&bits_s);
	hp_buf_free(&spki_body);
	hp_buf_free(&spki);
}

static void t_rsa_16384(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "7: 16384-bit RSA identity key");
	static const unsigned sizes[] = {16384, 8200};
	for (size_t i = 0; i < 2; i++) {
		struct hp_buf key = {0}, payload = {0};
		rsa_public_key(sizes[i], &key);
		/* Refused by decoding (size), so never verified. */
		struct lp2p_key *k = NULL;
		uint64_t t0 = hp_now_ms();
		int rc = lp2p_key_unmarshal_public(key.p, key.len, &k);
		uint64_t took = hp_now_ms() - t0;
		if (rc != LP2P_ERANGE) /* too large, not malformed */
			fail_msg("a %u-bit RSA key: %s", sizes[i],
			         lp2p_strerror(rc));
		if (took > 50)
			fail_msg("refusing a %u-bit key took %llu ms", sizes[i],
			         (unsigned long long)took);
		uint8_t v[12];
		hp_buf_add(&payload, "\x0a", 1);
		hp_buf_add(&payload, v, hp_varint(v, key.len));
		hp_buf_add(&payload, key.p, key.len);
		uint8_t *sig = malloc(sizes[i] / 8);
		hp_random_bytes(sig, sizes[i] / 8);
		hp_buf_add(&payload, "\x12", 1);
		hp_buf_add(&payload, v, hp_varint(v, sizes[i] / 8));
		hp_buf_add(&payload, sig, sizes[i] / 8);
		free(sig);
		refused_payload(payload.p, payload.len, "large RSA key");
		hp_buf_free(&key);
		hp_buf_free(&payload);
	}
	/* the same construction at 2048 bits decodes: the encoding is
	 * right, only the size was refused */
	struct hp_buf key = {0};
	rsa_public_key(2048, &key);
	struct lp2p_key *k = NULL;
	assert_int_equal(lp2p_key_unmarshal_public(key.p, key.len, &k), 0);
	lp2p_key_free(k);
	hp_buf_free(&key);
	attack_end(&a, 1u << 20);
}

/* ---- 8: connections from one IP past the per-IP cap ---- */

static void t_per_ip(void **state)
{
	(void)state;
	struct attack a;
	struct hp_conn c[PER_IP + 4], other;
	attack_begin(&a, "8: one IP past max_connections_per_ip");
	unsigned src = new_src();
	for (int i = 0; i < PER_IP; i++)
		open_conn(&c[i], src, i % 2 ? HP_MPLEX : HP_YAMUX, true);
	for (int i = PER_IP; i < PER_IP + 4; i++) {
		MUST(hp_connect(&c[i], T.port, src, 0));
		/* refused at accept: closed before the multistream header */
		if (hp_fill(&c[i], 2000) != 0 || c[i].wire.len)
			fail_msg("connection %d past the cap was served", i);
	}
	/* other addresses are not affected */
	open_conn(&other, new_src(), HP_YAMUX, true);
	echo_ok(&other, 1000);
	for (int i = 0; i < PER_IP; i++)
		echo_ok(&c[i], 100);
	struct target_snap s;
	snap_or_fail(&s);
	assert_int_equal(s.hostile_conns, PER_IP + 1);
	for (int i = 0; i < PER_IP + 4; i++)
		hp_close(&c[i]);
	hp_close(&other);
	settle(a.name, 3000);
	/* the slots are free again */
	open_conn(&c[0], src, HP_YAMUX, true);
	echo_ok(&c[0], 100);
	hp_close(&c[0]);

	/* connections that never start a handshake count too */
	src = new_src();
	for (int i = 0; i < PER_IP; i++)
		MUST(hp_connect(&c[i], T.port, src, 0));
	hp_sleep_ms(50);
	MUST(hp_connect(&c[PER_IP], T.port, src, 0));
	if (hp_fill(&c[PER_IP], 2000) != 0 || c[PER_IP].wire.len)
		fail_msg("a connection past the cap of idle ones was served");
	for (int i = 0; i <= PER_IP; i++)
		hp_close(&c[i]);
	attack_end(&a, 2u << 20);
}

/*
 * More connections that never start a handshake than
 * max_pending_handshakes: the target stops accepting (the rest wait in
 * the kernel's backlog, the first one over the cap is refused), the
 * handshake timeout frees the slots, and accepting resumes by itself.
 */
static void t_pending_cap(void **state)
{
	(void)state;
	enum { CAP = 256, EXTRA = 8, N = CAP + EXTRA };
	struct attack a;
	attack_begin(&a, "8: idle handshakes past the pending cap");
	struct stalled *st = calloc(N, sizeof *st);
	unsigned src = 0;
	for (int i = 0; i < N; i++) {
		if (i % PER_IP == 0)
			src = new_src();
		MUST(hp_connect(&st[i].c, T.port, src, 0));
		st[i].t_connect = hp_now_ms();
		st[i].closed_after = -1;
	}
	struct target_snap s;
	uint64_t until = hp_now_ms() + 1000;
	do {
		snap_or_fail(&s);
	} while (!s.listeners_paused && hp_now_ms() < until);
	if (!s.listeners_paused || s.pending != CAP)
		fail_msg("%zu pending, listeners %s", s.pending,
		         s.listeners_paused ? "paused" : "accepting");
	/* the good peer's connection is served meanwhile (checked at the
	 * end); once the timeouts free the slots every one is closed,
	 * those from the backlog one timeout later */
	until = hp_now_ms() + 2 * HANDSHAKE_MS + 2 * SLACK_MS;
	while (poll_closed(st, N) && hp_now_ms() < until)
		hp_sleep_ms(10);
	for (int i = 0; i < N; i++) {
		if (st[i].closed_after < 0)
			fail_msg("idle connection %d still open", i);
		hp_close(&st[i].c);
	}
	free(st);
	/* accepting again */
	struct hp_conn c;
	open_conn(&c, new_src(), HP_YAMUX, true);
	echo_ok(&c, 100);
	hp_close(&c);
	attack_end(&a, 4u << 20);
}

/* ---- 9: garbage at every stage ---- */

static void garbage(uint8_t *p, size_t n)
{
	hp_random_bytes(p, n);
}

/* Random bytes as the first bytes, or after the multistream-select of
 * /noise (where they are Noise msg 1): closed, by an error or by the
 * handshake timeout. */
static void garbage_early(void)
{
	enum { N = 48 };
	struct stalled st[N];
	unsigned src = 0;
	for (int i = 0; i < N; i++) {
		if (i % 8 == 0)
			src = new_src();
		struct hp_buf b = {0};
		uint8_t g[2048];
		size_t n = 1 + hp_rand() % sizeof g;
		garbage(g, n);
		if (i % 2) {
			hp_mss_line(&b, "/multistream/1.0.0");
			hp_mss_line(&b, "/noise");
		}
		hp_buf_add(&b, g, n);
		st[i].closed_after = -1;
		st[i].early = false;
		MUST(hp_connect(&st[i].c, T.port, src, 0));
		st[i].t_connect = hp_now_ms();
		int rc = hp_send(&st[i].c, b.p, b.len);
		if (rc && rc != -EPIPE && rc != -ECONNRESET)
			fail_msg("send: %s", strerror(-rc));
		hp_buf_free(&b);
	}
	uint64_t until = hp_now_ms() + HANDSHAKE_MS + SLACK_MS;
	while (poll_closed(st, N) && hp_now_ms() < until)
		hp_sleep_ms(5);
	for (int i = 0; i < N; i++) {
		if (st[i].closed_after < 0)
			fail_msg("garbage connection %d still open", i);
		hp_close(&st[i].c);
	}
}

static void garbage_msg3(void)
{
	for (int i = 0; i < 16; i++) {
		struct hp_conn c;
		uint8_t g[600];
		size_t n = 1 + hp_rand() % (sizeof g - 2);
		garbage(g + 2, n);
		g[0] = (uint8_t)(n >> 8);
		g[1] = (uint8_t)n;
		MUST(hp_connect(&c, T.port, new_src(), 0));
		struct hp_hs_opts o = {.budget = SIZE_MAX,
		                       .msg3_garbage = g,
		                       .msg3_garbage_len = n + 2};
		int rc = hp_handshake(&c, &o);
		if (rc < 0 && rc != -EPIPE)
			fail_msg("handshake: %s", strerror(-rc));
		expect_prompt_close(&c, "garbage msg 3");
		hp_close(&c);
	}
}

static void garbage_secure(void)
{
	for (int i = 0; i < 16; i++) {
		struct hp_conn c;
		uint8_t g[4096];
		size_t n = 16 + hp_rand() % (sizeof g - 16);
		garbage(g, n);
		switch (i % 4) {
		case 0: /* not sealed at all: one whole frame of garbage */
			open_conn(&c, new_src(), HP_YAMUX, true);
			g[0] = (uint8_t)((n - 2) >> 8);
			g[1] = (uint8_t)(n - 2);
			MUST(hp_send(&c, g, n));
			expect_prompt_close(&c, "unsealed garbage");
			break;
		case 1: { /* sealed, in the muxer's multistream-select */
			struct hp_conn probe;
			struct hp_hs_opts full = {.budget = SIZE_MAX};
			MUST(hp_connect(&probe, T.port, new_src(), 0));
			MUST(hp_handshake(&probe, &full));
			hp_close(&probe);
			MUST(hp_connect(&c, T.port, new_src(), 0));
			struct hp_hs_opts o = {
			    .budget =
			        probe.sent - lp2p_noise_sealed_size(20 + 13)};
			if (hp_handshake(&c, &o) != HP_STALLED)
				fail_msg("handshake");
			MUST(hp_send_sealed(&c, g, n));
			if (hp_wait_closed(&c, HANDSHAKE_MS + SLACK_MS) < 0)
				fail_msg("garbage in the muxer negotiation: "
				         "still open");
			break;
		}
		case 2: /* sealed, to yamux: not version 0 */
			open_conn(&c, new_src(), HP_YAMUX, true);
			g[0] |= 1;
			MUST(hp_send_sealed(&c, g, n));
			assert_int_equal(expect_goaway(&c), 1);
			expect_prompt_close(&c, "garbage to yamux");
			break;
		case 3: /* sealed, to mplex: whatever it parses as, the
		         * target survives and lets go when we do */
			open_conn(&c, new_src(), HP_MPLEX, true);
			MUST(hp_send_sealed(&c, g, n));
			hp_sleep_ms(20);
			break;
		}
		hp_close(&c);
	}
}

/* Garbage as a stream's negotiation: that stream is reset (at once or
 * after negotiation_timeout), the connection serves the next one. */
static void garbage_stream(const char *muxer)
{
	struct hp_conn c;
	open_conn(&c, new_src(), muxer, true);
	bool y = c.mux == HP_MUX_YAMUX;
	for (uint32_t i = 0; i < 8; i++) {
		uint8_t g[512];
		size_t n = 1 + hp_rand() % sizeof g;
		garbage(g, n);
		uint64_t id = y ? 1 + 2 * i : i;
		if (y) {
			MUST(hp_y_send(&c, Y_DATA, Y_SYN, (uint32_t)id,
			               (uint32_t)n, g, n));
		} else {
			MUST(hp_m_send(&c, id, 0, "g", 1));
			MUST(hp_m_send(&c, id, 2, g, n));
		}
		expect_stream_reset(&c, id, NEGOTIATION_MS + SLACK_MS);
	}
	c.next_id = y ? 17 : 8;
	echo_ok(&c, 300);
	hp_close(&c);
}

static void t_garbage(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "9: garbage at every stage");
	garbage_early();
	garbage_msg3();
	garbage_secure();
	garbage_stream(HP_YAMUX);
	garbage_stream(HP_MPLEX);
	attack_end(&a, 4u << 20);
}

/* Frames the muxer specs forbid: each closes the connection (yamux with
 * GoAway(protocol error)), or, where the spec says so, resets only the
 * stream. */
static void t_violations(void **state)
{
	(void)state;
	struct attack a;
	struct hp_conn c;
	attack_begin(&a, "9: muxer protocol violations");
	static const struct {
		uint8_t version, type;
		uint16_t flags;
		uint32_t id, length;
		bool open_first;
		const char *what;
	} y[] = {
	    {0, Y_WINDOW, Y_SYN, 2, 0, false, "SYN of its parity"},
	    {0, Y_WINDOW, Y_SYN, 1, 0, true, "SYN of an open id"},
	    {0, Y_PING, Y_SYN, 5, 0, false, "ping off stream 0"},
	    {0, Y_GOAWAY, 0, 3, 0, false, "GoAway off stream 0"},
	    {0, Y_DATA, 0, 0, 0, false, "data on stream 0"},
	    {0, Y_WINDOW, 0, 0, 1, false, "window on stream 0"},
	    {0, Y_PING, 0, 0, 7, false, "ping without SYN/ACK"},
	    {0, 4, 0, 1, 0, false, "unknown frame type"},
	    {1, Y_WINDOW, Y_SYN, 1, 0, false, "version 1"},
	};
	for (size_t i = 0; i < sizeof y / sizeof y[0]; i++) {
		open_conn(&c, new_src(), HP_YAMUX, true);
		if (y[i].open_first)
			MUST(hp_y_send(&c, Y_WINDOW, Y_SYN, 1, 0, NULL, 0));
		uint8_t f[13];
		hp_y_header(f, y[i].type, y[i].flags, y[i].id, y[i].length);
		f[0] = y[i].version;
		f[12] = 'x';
		MUST(hp_send_sealed(
		    &c, f, 12 + (y[i].type == Y_DATA ? y[i].length : 0)));
		struct hp_yframe fr;
		int rc;
		while ((rc = hp_y_read(&c, &fr, 2000)) == 0 &&
		       fr.type != Y_GOAWAY)
			;
		if (rc)
			fail_msg("%s: no GoAway (%s)", y[i].what,
			         strerror(-rc));
		if (fr.length != 1)
			fail_msg("%s: GoAway(%u)", y[i].what, fr.length);
		expect_prompt_close(&c, y[i].what);
		hp_close(&c);
	}
	/* mplex: flag 7, NewStream of an open id: the connection */
	open_conn(&c, new_src(), HP_MPLEX, true);
	MUST(hp_m_send(&c, 0, 7, NULL, 0));
	expect_prompt_close(&c, "mplex flag 7");
	hp_close(&c);
	open_conn(&c, new_src(), HP_MPLEX, true);
	MUST(hp_m_send(&c, 0, 0, "a", 1));
	MUST(hp_m_send(&c, 0, 0, "b", 1));
	expect_prompt_close(&c, "mplex NewStream twice");
	hp_close(&c);
	/* mplex: a Message after Close: that stream is reset */
	open_conn(&c, new_src(), HP_MPLEX, true);
	MUST(hp_m_send(&c, 0, 0, "a", 1));
	MUST(hp_m_send(&c, 0, 4, NULL, 0));
	MUST(hp_m_send(&c, 0, 2, "late", 4));
	expect_stream_reset(&c, 0, 2000);
	c.next_id = 1;
	echo_ok(&c, 100);
	hp_close(&c);
	attack_end(&a, 1u << 20);
}

/* multistream-select: endless rejected proposals and "ls" */
static void t_mss_rejects(void **state)
{
	(void)state;
	struct attack a;
	struct hp_conn c;
	struct hp_buf b = {0};
	char name[64];
	attack_begin(&a, "9: multistream: 100 rejected proposals");
	/* the connection's security negotiation */
	MUST(hp_connect(&c, T.port, new_src(), 0));
	hp_mss_line(&b, "/multistream/1.0.0");
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "/no-such-security/%d", i);
		hp_mss_line(&b, i % 10 ? name : "ls");
	}
	int rc = hp_send(&c, b.p, b.len);
	if (rc && rc != -EPIPE && rc != -ECONNRESET)
		fail_msg("send: %s", strerror(-rc));
	expect_prompt_close(&c, "rejected security proposals");
	hp_close(&c);
	/* a stream's negotiation: that stream is reset */
	open_conn(&c, new_src(), HP_YAMUX, true);
	b.len = 0;
	hp_mss_line(&b, "/multistream/1.0.0");
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "/no-such-protocol/%d", i);
		hp_mss_line(&b, i % 10 ? name : "ls");
	}
	MUST(hp_y_send(&c, Y_DATA, Y_SYN, 1, (uint32_t)b.len, b.p, b.len));
	expect_stream_reset(&c, 1, 2000);
	c.next_id = 3;
	echo_ok(&c, 100);
	hp_close(&c);
	hp_buf_free(&b);
	attack_end(&a, 1u << 20);
}

/* Peers that vanish (RST) with streams open and output queued. */
static void t_aborts(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "9: peers that reset mid-stream");
	for (int i = 0; i < 16; i++) {
		struct hp_conn c;
		open_conn(&c, new_src(), i % 2 ? HP_MPLEX : HP_YAMUX, true);
		uint8_t data[8192];
		hp_random_bytes(data, sizeof data);
		struct hp_buf m = {0};
		hp_mss_line(&m, "/multistream/1.0.0");
		hp_mss_line(&m, HP_ECHO);
		hp_buf_add(&m, data, sizeof data);
		for (uint32_t s = 0; s < 8; s++) {
			if (c.mux == HP_MUX_YAMUX) {
				MUST(hp_y_send(&c, Y_DATA, Y_SYN, 1 + 2 * s,
				               (uint32_t)m.len, m.p, m.len));
			} else {
				MUST(hp_m_send(&c, s, 0, "a", 1));
				MUST(hp_m_send(&c, s, 2, m.p, m.len));
			}
		}
		hp_buf_free(&m);
		hp_sleep_ms(i % 4);
		hp_abort(&c);
	}
	attack_end(&a, 4u << 20);
}

/* ---- 10: a peer that reads, but slowly ---- */

/*
 * The target's send buffer for these connections: the kernel doubles it
 * to 32 KiB and reports the socket writable every ~12 KiB the peer takes.
 * Autotuned it grows to MiBs and progress comes a third of it at a time:
 * a reader below the floor would then be closed by write_timeout (no
 * progress for a second) before the floor could judge it.
 */
#define SLOW_SNDBUF 16384
/* Reading rates: below the floor (progress about every 0.4 s, well
 * inside write_timeout) and four times above it. */
#define SLOW_RATE (MIN_RATE / 2)
#define FAST_RATE (MIN_RATE * 4)

/* Reads a socket at a fixed rate on its own thread, throwing the bytes
 * away, as a peer whose application consumes slowly. */
struct reader {
	int fd;
	unsigned rate; /* bytes per second */
	atomic_bool stop;
	atomic_size_t got;
	pthread_t thread;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[16384];
	uint64_t last = hp_now_ms();
	size_t credit = 0;
	while (!atomic_load(&r->stop)) {
		hp_sleep_ms(10);
		uint64_t now = hp_now_ms();
		credit += (size_t)((now - last) * r->rate / 1000);
		last = now;
		if (credit > r->rate / 10) /* no catching up past 100 ms */
			credit = r->rate / 10;
		while (credit) {
			size_t want = credit < sizeof buf ? credit : sizeof buf;
			ssize_t n = recv(r->fd, buf, want, MSG_DONTWAIT);
			if (n <= 0)
				break;
			credit -= (size_t)n;
			atomic_fetch_add(&r->got, (size_t)n);
		}
	}
	return NULL;
}

static void reader_start(struct reader *r, int fd, unsigned rate)
{
	r->fd = fd;
	r->rate = rate;
	atomic_init(&r->stop, false);
	atomic_init(&r->got, 0);
	if (pthread_create(&r->thread, NULL, reader_main, r))
		fail_msg("cannot start a reader thread");
}

static void reader_stop(struct reader *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
}

/* A connection from a fresh address with the target's send buffer for
 * it pinned to SLOW_SNDBUF. */
static unsigned slow_conn(struct hp_conn *c, int rcvbuf)
{
	unsigned src = new_src();
	MUST(hp_connect(c, T.port, src, rcvbuf));
	struct hp_hs_opts o = {
	    .budget = SIZE_MAX, .muxer = HP_YAMUX, .early = true};
	if (hp_handshake(c, &o) != HP_DONE)
		fail_msg("handshake failed");
	if (target_pin_sndbuf(&T, src, SLOW_SNDBUF) != 1)
		fail_msg("cannot pin the target's send buffer");
	return src;
}

/* Echo work for 8 streams (2 MiB of answers) while reading at rate. */
static void slow_fill(struct hp_conn *c, struct reader *r, unsigned rate)
{
	reader_start(r, c->fd, rate);
	bool stuck, closed;
	fill_echo(c, true, false, 8 * (WINDOW - 16384), &stuck, &closed);
	if (closed)
		fail_msg("closed while we were still sending");
}

/*
 * Below the floor: echo streams full of answers, read at half the floor.
 * The socket takes output every few hundred ms, so write_timeout never
 * runs out; the floor closes the connection when the first window (one
 * write_timeout from when output started waiting) has ended.
 */
static void slow_below_floor(void)
{
	struct hp_conn c;
	struct reader r;
	unsigned long lim0 = atomic_load(&T.echo_closed_limit);
	unsigned long tmo0 = atomic_load(&T.echo_closed_timeout);
	slow_conn(&c, 4096);
	uint64_t t0 = hp_now_ms();
	slow_fill(&c, &r, SLOW_RATE);
	struct target_snap s;
	do {
		hp_sleep_ms(10);
		snap_or_fail(&s);
	} while (s.hostile_conns && hp_now_ms() - t0 < 2 * WRITE_MS + SLACK_MS);
	uint64_t took = hp_now_ms() - t0;
	reader_stop(&r);
	if (s.hostile_conns)
		fail_msg("a reader below the floor is still connected after "
		         "%llu ms (%zu bytes read)",
		         (unsigned long long)took, atomic_load(&r.got));
	if (took < WRITE_MS - 50)
		fail_msg("closed after %llu ms, before one window",
		         (unsigned long long)took);
	/* by the floor (ELIMIT), not by write_timeout */
	uint64_t until = hp_now_ms() + 1000;
	while (atomic_load(&T.echo_closed_limit) == lim0 && hp_now_ms() < until)
		hp_sleep_ms(5);
	if (atomic_load(&T.echo_closed_limit) == lim0 ||
	    atomic_load(&T.echo_closed_timeout) != tmo0)
		fail_msg("not closed by min_write_rate (%lu streams by a "
		         "limit, %lu by a timeout)",
		         atomic_load(&T.echo_closed_limit) - lim0,
		         atomic_load(&T.echo_closed_timeout) - tmo0);
	printf("    read %zu bytes at %u/s: closed by the floor after %llu "
	       "ms\n",
	       atomic_load(&r.got), SLOW_RATE, (unsigned long long)took);
	hp_close(&c);
}

/* Above the floor: the same, read at four times the floor, is kept for
 * three windows (then we leave). */
static void slow_above_floor(void)
{
	struct hp_conn c;
	struct reader r;
	unsigned long lim0 = atomic_load(&T.echo_closed_limit);
	unsigned long tmo0 = atomic_load(&T.echo_closed_timeout);
	slow_conn(&c, 4096);
	slow_fill(&c, &r, FAST_RATE);
	uint64_t t0 = hp_now_ms();
	struct target_snap s;
	do {
		hp_sleep_ms(20);
		snap_or_fail(&s);
	} while (s.hostile_conns && hp_now_ms() - t0 < 3 * WRITE_MS);
	reader_stop(&r);
	if (!s.hostile_conns || atomic_load(&T.echo_closed_limit) != lim0 ||
	    atomic_load(&T.echo_closed_timeout) != tmo0)
		fail_msg("a reader above the floor was closed after %llu ms",
		         (unsigned long long)(hp_now_ms() - t0));
	printf("    read %zu bytes at %u/s: kept\n", atomic_load(&r.got),
	       FAST_RATE);
	hp_close(&c);
}

/*
 * Output that drains: bursts of 48 KiB echoed (more than the socket
 * takes at once, so output waits a moment each time) and read at once,
 * with pauses longer than a window.  Measured from the first burst the
 * rate is far below the floor; but each drain ends the window, so the
 * connection is kept.
 */
static void slow_drained(void)
{
	struct hp_conn c;
	unsigned long lim0 = atomic_load(&T.echo_closed_limit);
	slow_conn(&c, 4096);
	for (int i = 0; i < 3; i++) {
		echo_ok(&c, 48 * 1024);
		hp_sleep_ms(WRITE_MS + 300);
	}
	echo_ok(&c, 48 * 1024);
	if (atomic_load(&T.echo_closed_limit) != lim0)
		fail_msg("a peer whose output drained was closed");
	hp_close(&c);
}

static void t_slow_reader(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "10: slow reader, below the floor");
	slow_below_floor();
	attack_end(&a, 8u << 20);
}

static void t_slow_reader_kept(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "10: slow readers above the floor, drained");
	slow_above_floor();
	slow_drained();
	attack_end(&a, 8u << 20);
}

/* ---- 11: TLS 1.3 ---- */

/* A full TLS handshake with the muxer by ALPN (early) or by
 * multistream-select after it; echo works over it. */
static void tls_conn(struct hp_conn *c, const char *muxer, bool early,
                     struct hp_tls_flights *info)
{
	MUST(hp_connect(c, T.port, new_src(), 0));
	struct hp_tls_opts o = {.muxer = muxer, .early = early};
	int rc = hp_tls_handshake(c, &o, info);
	if (rc != HP_DONE)
		fail_msg("TLS handshake: %s",
		         rc < 0 ? strerror(-rc) : "stalled");
}

/*
 * The handshake stalled: flight 1 (multistream-select of /tls/1.0.0, the
 * ClientHello) cut after every byte of the multistream-select part and at
 * several points of the ClientHello (each byte of its record and
 * handshake headers, then every 23 bytes, the last byte), and flight 2
 * cut inside each of its records (their first bytes, header, middle, last
 * byte) and after all records but the last (the Finished withheld).  Each
 * connection is closed by handshake_timeout, none earlier.
 */
static void tls_stall_points(void)
{
	enum { BATCH = 96 };
	struct hp_conn probe;
	struct hp_tls_flights fl;
	tls_conn(&probe, HP_YAMUX, true, &fl);
	echo_ok(&probe, 1000);
	hp_close(&probe);
	struct hp_buf mss = {0};
	hp_mss_line(&mss, "/multistream/1.0.0");
	hp_mss_line(&mss, LP2P_TLS_PROTOCOL_ID);
	size_t hello = mss.len;
	hp_buf_free(&mss);
	if (fl.nrec < 3 || fl.first <= hello)
		fail_msg("unexpected flights (%zu bytes, %zu records)",
		         fl.first, fl.nrec);

	struct hp_tls_opts pts[256];
	size_t npts = 0;
	for (size_t at = 0; at < fl.first && npts < 200; at++)
		if (at < hello + 10 || (at - hello) % 23 == 0 ||
		    at == fl.first - 1)
			pts[npts++] = (struct hp_tls_opts){
			    .stall_flight = 1, .stall_at = at, .early = true};
	for (size_t k = 0; k < fl.nrec; k++) {
		size_t len = fl.rec_len[k];
		size_t offs[] = {0, 1, 4, 5, 6, len / 2, len - 1};
		for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
			if (offs[i] >= len || (i && offs[i] <= offs[i - 1]))
				continue;
			pts[npts++] = (struct hp_tls_opts){.stall_flight = 2,
			                                   .stall_record = k,
			                                   .stall_at = offs[i],
			                                   .early = true};
		}
	}

	struct stalled *st = calloc(BATCH, sizeof *st);
	unsigned src = 0;
	for (size_t k0 = 0; k0 < npts; k0 += BATCH) {
		size_t n = npts - k0 < BATCH ? npts - k0 : BATCH;
		for (size_t i = 0; i < n; i++) {
			if (i % 8 == 0)
				src = new_src();
			struct stalled *x = &st[i];
			x->closed_after = -1;
			x->early = false;
			MUST(hp_connect(&x->c, T.port, src, 0));
			x->t_connect = hp_now_ms();
			int rc = hp_tls_handshake(&x->c, &pts[k0 + i], NULL);
			if (rc != HP_STALLED) {
				x->early = true;
				x->closed_after =
				    (int)(hp_now_ms() - x->t_connect);
			}
			poll_closed(st, i);
		}
		uint64_t until = hp_now_ms() + HANDSHAKE_MS + SLACK_MS;
		while (poll_closed(st, n) && hp_now_ms() < until)
			hp_sleep_ms(5);
		for (size_t i = 0; i < n; i++) {
			struct stalled *x = &st[i];
			const struct hp_tls_opts *o = &pts[k0 + i];
			if (x->early)
				fail_msg("flight %d record %zu byte %zu: the "
				         "handshake did not stall",
				         o->stall_flight, o->stall_record,
				         o->stall_at);
			if (x->closed_after < 0)
				fail_msg("flight %d record %zu byte %zu: still "
				         "open after %d ms",
				         o->stall_flight, o->stall_record,
				         o->stall_at, HANDSHAKE_MS + SLACK_MS);
			if (x->closed_after < HANDSHAKE_MS - 50)
				fail_msg(
				    "flight %d record %zu byte %zu: closed "
				    "after %d ms, before the timeout",
				    o->stall_flight, o->stall_record,
				    o->stall_at, x->closed_after);
			hp_close(&x->c);
		}
	}
	free(st);
	printf("    %zu stall points (flight 1: %zu bytes; flight 2: %zu "
	       "records), each closed by the timeout\n",
	       npts, fl.first, fl.nrec);
}

static void t_tls_stall(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "11: TLS handshake stalled in its flights");
	tls_stall_points();
	/* the muxer by multistream-select after the handshake works too */
	struct hp_conn c;
	tls_conn(&c, HP_MPLEX, false, NULL);
	echo_ok(&c, 1000);
	hp_close(&c);
	attack_end(&a, 8u << 20);
}

/* A TLS record header: type, legacy version 3.3, length. */
static void record_header(uint8_t h[5], uint8_t type, size_t len)
{
	h[0] = type;
	h[1] = 3;
	h[2] = type == 0x16 ? 1 : 3;
	h[3] = (uint8_t)(len >> 8);
	h[4] = (uint8_t)len;
}

/* Raw record bytes (header + body) on c, then the target must close c at
 * once. */
static void refused_record(struct hp_conn *c, uint8_t type, size_t len,
                           const uint8_t *body, size_t n, const char *what)
{
	uint8_t h[5];
	record_header(h, type, len);
	struct hp_buf b = {0};
	hp_buf_add(&b, h, 5);
	hp_buf_add(&b, body, n);
	int rc = hp_send(c, b.p, b.len);
	hp_buf_free(&b);
	if (rc && rc != -EPIPE && rc != -ECONNRESET)
		fail_msg("%s: send: %s", what, strerror(-rc));
	expect_prompt_close(c, what);
	hp_close(c);
}

static void t_tls_records(void **state)
{
	(void)state;
	struct attack a;
	struct hp_conn c;
	uint8_t g[2048];
	char what[96];
	attack_begin(&a, "11: TLS record lengths and garbage records");
	static const size_t over[] = {LP2P_TLS_MAX_RECORD_BODY + 1, 65535};
	for (size_t i = 0; i < 2; i++) {
		/* as the first record, and after the handshake */
		hp_random_bytes(g, 100);
		MUST(hp_connect(&c, T.port, new_src(), 0));
		MUST(hp_tls_select(&c));
		snprintf(what, sizeof what, "first record of %zu bytes",
		         over[i]);
		refused_record(&c, 0x16, over[i], g, 100, what);
		tls_conn(&c, HP_YAMUX, true, NULL);
		snprintf(what, sizeof what, "record of %zu bytes", over[i]);
		refused_record(&c, 0x17, over[i], g, 100, what);
	}
	/* the largest record allowed, never completed: kept (bounded) until
	 * the handshake timeout */
	MUST(hp_connect(&c, T.port, new_src(), 0));
	MUST(hp_tls_select(&c));
	uint8_t h[5];
	record_header(h, 0x16, LP2P_TLS_MAX_RECORD_BODY);
	MUST(hp_send(&c, h, 5));
	hp_random_bytes(g, sizeof g);
	MUST(hp_send(&c, g, sizeof g));
	int ms = hp_wait_closed(&c, HANDSHAKE_MS + SLACK_MS);
	if (ms < HANDSHAKE_MS - 50)
		fail_msg("a partial record was closed after %d ms", ms);
	hp_close(&c);

	for (int i = 0; i < 24; i++) {
		size_t n = 8 + hp_rand() % (sizeof g - 8);
		hp_random_bytes(g, n);
		switch (i % 6) {
		case 0: /* a handshake message that is not a ClientHello */
			g[0] = (uint8_t)(2 + hp_rand() % 20);
			MUST(hp_connect(&c, T.port, new_src(), 0));
			MUST(hp_tls_select(&c));
			refused_record(&c, 0x16, n, g, n, "garbage handshake");
			break;
		case 1: /* a ClientHello of garbage, its length right */
			g[0] = 1;
			g[1] = (uint8_t)((n - 4) >> 16);
			g[2] = (uint8_t)((n - 4) >> 8);
			g[3] = (uint8_t)(n - 4);
			MUST(hp_connect(&c, T.port, new_src(), 0));
			MUST(hp_tls_select(&c));
			refused_record(&c, 0x16, n, g, n,
			               "garbage ClientHello");
			break;
		case 2: /* not a handshake record at all */
			MUST(hp_connect(&c, T.port, new_src(), 0));
			MUST(hp_tls_select(&c));
			refused_record(&c, (uint8_t)(0x17 + i % 3), n, g, n,
			               "garbage first record");
			break;
		case 3: /* application data that does not decrypt */
			tls_conn(&c, i % 4 ? HP_YAMUX : HP_MPLEX, true, NULL);
			refused_record(&c, 0x17, n, g, n,
			               "garbage data record");
			break;
		case 4: /* plaintext handshake or alert after the handshake */
			tls_conn(&c, HP_YAMUX, true, NULL);
			refused_record(&c, i % 4 ? 0x16 : 0x15, n, g, n,
			               "plaintext record after the handshake");
			break;
		case 5: /* a ChangeCipherSpec after the handshake */
			tls_conn(&c, HP_YAMUX, true, NULL);
			refused_record(&c, 0x14, 1, (const uint8_t *)"\1", 1,
			               "late ChangeCipherSpec");
			break;
		}
	}
	attack_end(&a, 1u << 20);
}

/*
 * Client certificates that are not valid libp2p certificates (OpenSSL
 * directly, with a certificate built by the peer): refused at once.  The
 * same construction with nothing wrong is accepted (the control).
 */
static void t_tls_certs(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "11: invalid libp2p certificates");
	static const struct {
		enum hp_cert kind;
		const char *what;
	} certs[] = {
	    {HP_CERT_NO_EXTENSION, "self-signed without the extension"},
	    {HP_CERT_EXT_GARBAGE, "extension not a SignedKey"},
	    {HP_CERT_EXT_OTHER_KEY, "identity signature over another key"},
	    {HP_CERT_BAD_SELF_SIGNATURE, "signed by another key"},
	    {HP_CERT_EXPIRED, "expired"},
	};
	char why[256];
	struct hp_conn c;
	MUST(hp_connect(&c, T.port, new_src(), 0));
	int rc = hp_tls_cert_client(&c, HP_CERT_VALID, why, sizeof why);
	if (rc) /* (accepted: it answered a yamux ping) */
		fail_msg("a valid certificate was refused: %s", why);
	hp_close(&c);
	for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++) {
		MUST(hp_connect(&c, T.port, new_src(), 0));
		uint64_t t0 = hp_now_ms();
		rc = hp_tls_cert_client(&c, certs[i].kind, why, sizeof why);
		int took = (int)(hp_now_ms() - t0);
		if (rc != -ECONNREFUSED)
			fail_msg("%s: %s", certs[i].what,
			         rc ? strerror(-rc) : "accepted");
		if (took > PROMPT_MS)
			fail_msg("%s: refused only after %d ms", certs[i].what,
			         took);
		expect_prompt_close(&c, certs[i].what);
		printf("    %-38s refused (%s)\n", certs[i].what, why);
		hp_close(&c);
	}
	attack_end(&a, 1u << 20);
}

/* A good TLS handshake, then a peer that never reads (as attack 5). */
static void t_tls_never_read(void **state)
{
	(void)state;
	struct attack a;
	attack_begin(&a, "11: never read over TLS");
	struct hp_conn c;
	MUST(hp_tls_open(&c, T.port, new_src(), 4096, HP_YAMUX));
	never_read_on(&c, true, true, false);
	MUST(hp_tls_open(&c, T.port, new_src(), 4096, HP_MPLEX));
	never_read_on(&c, true, false, false);
	attack_end(&a, 8u << 20);
}

/* ---- setup ---- */

static int setup(void **state)
{
	(void)state;
	const char *lvl = getenv("HOSTILE_LOG");
	int level = lvl ? lp2p_log_level_from_name(lvl) : LP2P_LOG_ERROR;
	lp2p_log_set_level(level < 0 ? LP2P_LOG_ERROR : level);
	hp_seed(0x1badcafe);
	if (target_start(&T, target_yaml))
		return -1;
	if (good_start(&G, &T))
		return -1;
	uint64_t until = hp_now_ms() + 5000;
	while (atomic_load(&G.rounds) < 5 && hp_now_ms() < until)
		hp_sleep_ms(10);
	if (atomic_load(&G.rounds) < 5) {
		fprintf(stderr, "the good peer cannot reach the target\n");
		return -1;
	}
	atomic_store(&heap_peak, hp_heap_in_use());
	pthread_create(&sampler, NULL, sampler_main, NULL);
	printf("  target %s on 127.0.0.1:%u\n", T.id_str, T.port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&sampler_stop, true);
	pthread_join(sampler, NULL);
	good_quiesce(&G, 2000);
	unsigned long fails = atomic_load(&G.failures);
	good_stop(&G);
	/* the good peer's connection goes too: everything at zero */
	struct target_snap s;
	static const struct lp2p_resource_usage zero;
	uint64_t until = hp_now_ms() + 5000; /* lingering sockets: 2 s */
	bool all_zero;
	do {
		hp_sleep_ms(10);
		if (target_snapshot(&T, &s, 3000))
			return -1;
		all_zero = !s.conns && !s.closed_queued && !s.held_bytes &&
		           !s.sw_pending && !s.sw_ready && !s.api_conns &&
		           !s.api_streams && !s.lingering && !s.peer_scopes &&
		           !memcmp(&s.sys, &zero, sizeof zero) &&
		           !memcmp(&s.transient, &zero, sizeof zero) &&
		           !memcmp(&s.echo, &zero, sizeof zero);
	} while (!all_zero && hp_now_ms() < until);
	print_snap("  at the end", &s);
	int rc = !all_zero;
	printf("  good peer: %lu round trips, %lu failures, %lu dials\n",
	       atomic_load(&G.rounds), fails, atomic_load(&G.redials));
	target_stop(&T);
	return rc || fails ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_stream_flood_yamux),
	    cmocka_unit_test(t_stream_flood_mplex),
	    cmocka_unit_test(t_window_exceeded),
	    cmocka_unit_test(t_window_overflow),
	    cmocka_unit_test(t_stall_handshake),
	    cmocka_unit_test(t_stall_trickle),
	    cmocka_unit_test(t_stall_stream),
	    cmocka_unit_test(t_never_read_echo),
	    cmocka_unit_test(t_never_read_pings),
	    cmocka_unit_test(t_never_read_mplex),
	    cmocka_unit_test(t_never_read_reset),
	    cmocka_unit_test(t_huge_mss),
	    cmocka_unit_test(t_huge_mplex),
	    cmocka_unit_test(t_huge_noise),
	    cmocka_unit_test(t_huge_protobuf),
	    cmocka_unit_test(t_rsa_16384),
	    cmocka_unit_test(t_per_ip),
	    cmocka_unit_test(t_pending_cap),
	    cmocka_unit_test(t_garbage),
	    cmocka_unit_test(t_violations),
	    cmocka_unit_test(t_mss_rejects),
	    cmocka_unit_test(t_aborts),
	    cmocka_unit_test(t_slow_reader),
	    cmocka_unit_test(t_slow_reader_kept),
	    cmocka_unit_test(t_tls_stall),
	    cmocka_unit_test(t_tls_records),
	    cmocka_unit_test(t_tls_certs),
	    cmocka_unit_test(t_tls_never_read),
	};
	/* HOSTILE_ONLY=t_per_ip (a glob) runs only the matching attacks */
	if (getenv("HOSTILE_ONLY"))
		cmocka_set_test_filter(getenv("HOSTILE_ONLY"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
