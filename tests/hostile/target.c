/*
 * target.c - the attacked lp2p host (in this process, on its own thread)
 * with an /echo/1.0.0 protocol, its counters, and a well-behaved lp2p
 * peer doing echo round trips against it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <lp2p/log.h>
#include <lp2p/multiaddr.h>

#include "hostile.h"
#include "host/host.h"
#include "net/tcp_transport.h"

/* ---- echo on the target (what the echo plugin does) ---- */

struct echo {
	struct target *t;
	uint8_t *pending;
	size_t len;
	bool remote_closed;
};

static void echo_done_if_drained(lp2p_stream *s, struct echo *e)
{
	if (e->remote_closed && e->len == 0)
		lp2p_stream_close_write(s);
}

static void echo_data(lp2p_stream *s, void *user, const uint8_t *data,
                      size_t len)
{
	struct echo *e = user;
	ssize_t w = lp2p_stream_write(s, data, len);
	if (w == LP2P_EAGAIN)
		w = 0;
	if (w < 0) {
		lp2p_stream_reset(s, (int)w); /* echo_close frees e */
		return;
	}
	if ((size_t)w == len)
		return;
	/* Keep the rest and stop reading until the stream drains. */
	e->len = len - (size_t)w;
	e->pending = malloc(e->len);
	if (!e->pending) {
		lp2p_stream_reset(s, LP2P_ENOMEM);
		return;
	}
	memcpy(e->pending, data + w, e->len);
	lp2p_stream_pause(s);
}

static void echo_writable(lp2p_stream *s, void *user)
{
	struct echo *e = user;
	if (e->len == 0)
		return;
	ssize_t w = lp2p_stream_write(s, e->pending, e->len);
	if (w == LP2P_EAGAIN)
		return;
	if (w < 0) {
		lp2p_stream_reset(s, (int)w);
		return;
	}
	memmove(e->pending, e->pending + w, e->len - (size_t)w);
	e->len -= (size_t)w;
	if (e->len == 0) {
		free(e->pending);
		e->pending = NULL;
		lp2p_stream_resume(s);
		echo_done_if_drained(s, e);
	}
}

static void echo_remote_close(lp2p_stream *s, void *user)
{
	struct echo *e = user;
	e->remote_closed = true;
	echo_done_if_drained(s, e);
}

static void echo_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct echo *e = user;
	/* why the connection went away, for attacks that aim at a limit */
	if (reason == LP2P_ELIMIT)
		atomic_fetch_add(&e->t->echo_closed_limit, 1);
	else if (reason == LP2P_ETIMEDOUT)
		atomic_fetch_add(&e->t->echo_closed_timeout, 1);
	free(e->pending);
	free(e);
}

static const struct lp2p_stream_handler echo_handler = {
    .on_data = echo_data,
    .on_writable = echo_writable,
    .on_remote_close = echo_remote_close,
    .on_close = echo_close,
};

static int echo_accept(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)protocol;
	struct target *t = arg;
	struct echo *e = calloc(1, sizeof *e);
	if (!e)
		return LP2P_ENOMEM;
	e->t = t;
	atomic_fetch_add(&t->echo_streams, 1);
	lp2p_stream_set_handler(s, &echo_handler, e);
	return 0;
}

/* ---- the target ---- */

static void *target_main(void *arg)
{
	struct target *t = arg;
	lp2p_host_run(t->host, 0);
	return NULL;
}

int target_start(struct target *t, const char *yaml)
{
	char err[512] = "";
	memset(t, 0, sizeof *t);
	int rc = lp2p_config_load_string(yaml, strlen(yaml), "<hostile>",
	                                 &t->cfg, err, sizeof err);
	if (!rc)
		rc = lp2p_host_new(t->cfg, &t->host, err, sizeof err);
	if (!rc)
		rc = lp2p_host_add_protocol(t->host, HP_ECHO, echo_accept, t);
	if (!rc)
		rc = lp2p_host_start(t->host, err, sizeof err);
	if (rc) {
		fprintf(stderr, "target: %s (%s)\n", err, lp2p_strerror(rc));
		return rc;
	}
	struct lp2p_multiaddr ma;
	struct lp2p_multiaddr_hostport hp;
	if (lp2p_host_listen_addrs(t->host, &ma, 1) != 1 ||
	    lp2p_multiaddr_host_port(&ma, &hp) != 0)
		return LP2P_EINVAL;
	t->port = ntohs(((struct sockaddr_in *)&hp.addr)->sin_port);
	t->id = *lp2p_host_peer_id(t->host);
	lp2p_peer_id_to_string(&t->id, t->id_str, sizeof t->id_str);
	if (pthread_create(&t->thread, NULL, target_main, t))
		return LP2P_ENOMEM;
	t->running = true;
	return 0;
}

void target_stop(struct target *t)
{
	if (t->running) {
		lp2p_host_stop(t->host);
		pthread_join(t->thread, NULL);
		t->running = false;
	}
	lp2p_host_free(t->host);
	lp2p_config_free(t->cfg);
	t->host = NULL;
	t->cfg = NULL;
}

/* A call on the target's thread: shared by the asking thread and the
 * target's until both let go (the asker may give up waiting), so the data
 * travels in it, copied both ways. */
struct target_call {
	struct target *t;
	void (*fn)(struct target *t, void *data);
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	atomic_int refs;
	max_align_t data[];
};

static void call_unref(struct target_call *r)
{
	if (atomic_fetch_sub(&r->refs, 1) == 1) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->cond);
		free(r);
	}
}

static void call_run(void *arg)
{
	struct target_call *r = arg;
	r->fn(r->t, r->data);
	pthread_mutex_lock(&r->lock);
	r->done = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	call_unref(r);
}

/* Run fn(t, data) on the target's thread; data[0..len) goes there and
 * back.  0, or -ETIMEDOUT if the target did not answer in timeout_ms. */
static int target_call(struct target *t, void (*fn)(struct target *, void *),
                       void *data, size_t len, int timeout_ms)
{
	struct target_call *r = calloc(1, sizeof *r + len);
	if (!r)
		return -ENOMEM;
	r->t = t;
	r->fn = fn;
	memcpy(r->data, data, len);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	atomic_init(&r->refs, 2);
	if (lp2p_host_post(t->host, call_run, r)) {
		call_unref(r);
		call_unref(r);
		return -EPIPE;
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	int rc = 0;
	pthread_mutex_lock(&r->lock);
	while (!r->done && rc == 0)
		rc = pthread_cond_timedwait(&r->cond, &r->lock, &until);
	bool done = r->done;
	if (done)
		memcpy(data, r->data, len);
	pthread_mutex_unlock(&r->lock);
	call_unref(r);
	return done ? 0 : -ETIMEDOUT;
}

static bool from_good_ip(const struct lp2p_conn *c)
{
	static const uint8_t local[5] = {AF_INET, 127, 0, 0, 1};
	return c->dir == LP2P_INBOUND && memcmp(c->ip_key, local, 5) == 0;
}

static void take_snapshot(struct target *t, void *data)
{
	struct lp2p_swarm *sw = &t->host->swarm;
	struct target_snap *s = data;
	memset(s, 0, sizeof *s);
	for (struct lp2p_conn *c = sw->conns; c; c = c->next) {
		s->conns++;
		if (c->state == CONN_READY)
			s->ready++;
		else
			s->pending++;
		if (from_good_ip(c)) {
			s->good_conns++;
			s->good_streams += c->nstreams;
		} else {
			s->hostile_conns++;
			s->hostile_streams += c->nstreams;
		}
		s->streams += c->nstreams;
		if (c->nstreams > s->max_streams)
			s->max_streams = c->nstreams;
		s->held_bytes += c->held_total;
	}
	for (struct lp2p_stream *st = sw->closed_streams; st; st = st->next)
		s->closed_queued++;
	lp2p_conn *list[64];
	s->api_conns = lp2p_host_conns(t->host, list, 64);
	for (size_t i = 0; i < s->api_conns && i < 64; i++)
		s->api_streams += lp2p_conn_stream_count(list[i]);
	s->sw_pending = sw->nconns_pending;
	s->sw_ready = sw->nconns_ready;
	lp2p_host_resource_usage(t->host, LP2P_SCOPE_SYSTEM, NULL, &s->sys,
	                         NULL);
	lp2p_host_resource_usage(t->host, LP2P_SCOPE_TRANSIENT, NULL,
	                         &s->transient, NULL);
	lp2p_host_resource_usage(t->host, LP2P_SCOPE_PROTOCOL,
	                         "/echo/1.0.0", &s->echo, NULL);
	s->peer_scopes = sw->rc.npeers;
	s->lingering = sw->closing_pipes;
	s->listeners_paused = sw->listeners_paused;
}

int target_snapshot(struct target *t, struct target_snap *s, int timeout_ms)
{
	return target_call(t, take_snapshot, s, sizeof *s, timeout_ms);
}

struct pin_req {
	unsigned src;
	int bytes;
	int pinned;
};

static void pin_sndbuf(struct target *t, void *data)
{
	struct pin_req *q = data;
	uint8_t key[5] = {AF_INET, 127, 0, (uint8_t)(q->src >> 8),
	                  (uint8_t)q->src};
	q->pinned = 0;
	for (struct lp2p_conn *c = t->host->swarm.conns; c; c = c->next) {
		int fd = lp2p_tcp_pipe_fd(c->pipe);
		if (c->dir == LP2P_INBOUND && fd >= 0 &&
		    memcmp(c->ip_key, key, 5) == 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &q->bytes,
		               sizeof q->bytes) == 0)
			q->pinned++;
	}
}

int target_pin_sndbuf(struct target *t, unsigned src, int bytes)
{
	struct pin_req q = {.src = src, .bytes = bytes};
	int rc = target_call(t, pin_sndbuf, &q, sizeof q, 3000);
	return rc ? rc : q.pinned;
}

/* ---- the good peer ---- */

#define GOOD_LOOPS 2
#define GOOD_ROUND_BYTES 2048
#define GOOD_TICK_MS 15
#define GOOD_STUCK_MS 4000

struct good_state;

struct good_round {
	struct good_state *gs;
	int slot;
	bool done;
	uint64_t started;
	size_t got;
	uint8_t data[GOOD_ROUND_BYTES];
	lp2p_stream *s;
};

struct good_state {
	struct good_peer *gp;
	lp2p_timer *tick;
	bool dialing;
	struct good_round *busy[GOOD_LOOPS];
	uint64_t serial;
	atomic_int nbusy;
};

static void good_fail(struct good_state *gs, const char *what, int rc)
{
	atomic_fetch_add(&gs->gp->failures, 1);
	fprintf(stderr, "good peer: %s: %s\n", what, lp2p_strerror(rc));
}

static void round_release(struct good_round *r)
{
	struct good_state *gs = r->gs;
	if (r->slot >= 0 && gs->busy[r->slot] == r) {
		gs->busy[r->slot] = NULL;
		atomic_fetch_sub(&gs->nbusy, 1);
	}
	r->slot = -1;
}

static void round_data(lp2p_stream *s, void *user, const uint8_t *data,
                       size_t len)
{
	struct good_round *r = user;
	if (r->done)
		return;
	if (r->got + len > GOOD_ROUND_BYTES ||
	    memcmp(r->data + r->got, data, len) != 0) {
		good_fail(r->gs, "echo returned other bytes", LP2P_EPROTO);
		r->done = true; /* counted: round_close frees r */
		lp2p_stream_reset(s, LP2P_EPROTO);
		return;
	}
	r->got += len;
	if (r->got < GOOD_ROUND_BYTES)
		return;
	struct good_peer *gp = r->gs->gp;
	uint64_t ms = hp_now_ms() - r->started;
	unsigned long prev = atomic_load(&gp->max_ms);
	while (ms > prev &&
	       !atomic_compare_exchange_weak(&gp->max_ms, &prev, ms))
		;
	atomic_fetch_add(&gp->rounds, 1);
	r->done = true;
	round_release(r);
	lp2p_stream_close(s);
}

static void round_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct good_round *r = user;
	if (!r->done && !atomic_load(&r->gs->gp->quiet))
		good_fail(r->gs, "echo stream closed early",
		          reason ? reason : LP2P_ECLOSED);
	round_release(r);
	free(r);
}

static const struct lp2p_stream_handler round_handler = {
    .on_data = round_data,
    .on_close = round_close,
};

static void round_opened(void *arg, int status, lp2p_stream *s)
{
	struct good_round *r = arg;
	if (status) {
		if (!atomic_load(&r->gs->gp->quiet))
			good_fail(r->gs, "cannot open an echo stream", status);
		round_release(r);
		free(r);
		return;
	}
	if (r->done) { /* given up on (stuck): no handler, nothing follows */
		lp2p_stream_reset(s, LP2P_ETIMEDOUT);
		free(r);
		return;
	}
	r->s = s;
	lp2p_stream_set_handler(s, &round_handler, r);
	ssize_t w = lp2p_stream_write(s, r->data, GOOD_ROUND_BYTES);
	if (w != GOOD_ROUND_BYTES) {
		good_fail(r->gs, "short write", w < 0 ? (int)w : LP2P_EAGAIN);
		r->done = true; /* counted: round_close frees r */
		lp2p_stream_reset(s, w < 0 ? (int)w : LP2P_EAGAIN);
		return;
	}
	lp2p_stream_close_write(s);
}

static void good_dialed(void *arg, int status, lp2p_conn *c)
{
	(void)c;
	struct good_state *gs = arg;
	gs->dialing = false;
	if (status)
		good_fail(gs, "cannot dial the target", status);
}

static void good_tick(void *arg)
{
	struct good_state *gs = arg;
	struct good_peer *gp = gs->gp;
	lp2p_host *h = gp->host;
	lp2p_conn *c = NULL;
	uint64_t now = hp_now_ms();
	for (int i = 0; i < GOOD_LOOPS; i++) {
		struct good_round *r = gs->busy[i];
		if (r && now - r->started > GOOD_STUCK_MS) {
			good_fail(gs, "echo round trip stuck", LP2P_ETIMEDOUT);
			r->done = true;
			round_release(r);
			/* round_close frees it, or round_opened when it
			 * has no stream yet */
			if (r->s)
				lp2p_stream_reset(r->s, LP2P_ETIMEDOUT);
		}
	}
	if (atomic_load(&gp->quiet))
		return;
	if (lp2p_host_conns_to_peer(h, &gp->t->id, &c, 1) == 0) {
		if (gs->dialing)
			return;
		char text[512];
		struct lp2p_multiaddr ma;
		snprintf(text, sizeof text, "/ip4/127.0.0.1/tcp/%u/p2p/%s",
		         gp->t->port, gp->t->id_str);
		if (lp2p_multiaddr_parse(text, strlen(text), &ma))
			return;
		gs->dialing = true;
		atomic_fetch_add(&gp->redials, 1);
		int rc = lp2p_host_dial(h, &ma, false, good_dialed, gs);
		if (rc) {
			gs->dialing = false;
			good_fail(gs, "dial", rc);
		}
		return;
	}
	for (int i = 0; i < GOOD_LOOPS; i++) {
		if (gs->busy[i])
			continue;
		struct good_round *r = calloc(1, sizeof *r);
		if (!r)
			return;
		r->gs = gs;
		r->slot = i;
		r->started = now;
		uint64_t x = ++gs->serial * 0x9e3779b97f4a7c15ull;
		for (size_t k = 0; k < GOOD_ROUND_BYTES; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			r->data[k] = (uint8_t)x;
		}
		static const char *const protos[] = {HP_ECHO};
		gs->busy[i] = r;
		atomic_fetch_add(&gs->nbusy, 1);
		int rc = lp2p_conn_open_stream(c, protos, 1, round_opened, r);
		if (rc) {
			round_release(r);
			free(r);
			if (rc != LP2P_EAGAIN)
				good_fail(gs, "open stream", rc);
		}
	}
}

static void good_begin(void *arg)
{
	struct good_state *gs = arg;
	if (lp2p_timer_new(gs->gp->host, good_tick, gs, &gs->tick) == 0)
		lp2p_timer_start(gs->tick, 0, GOOD_TICK_MS);
}

static void good_end(void *arg)
{
	struct good_state *gs = arg;
	lp2p_timer_free(gs->tick);
	gs->tick = NULL;
	lp2p_host_stop(gs->gp->host);
}

static void *good_main(void *arg)
{
	struct good_peer *g = arg;
	lp2p_host_run(g->host, 0);
	return NULL;
}

int good_start(struct good_peer *g, struct target *t)
{
	static const char yaml[] = "listen: []\n"
	                           "muxers: [yamux]\n";
	char err[512] = "";
	memset(g, 0, sizeof *g);
	g->t = t;
	struct good_state *gs = calloc(1, sizeof *gs);
	if (!gs)
		return LP2P_ENOMEM;
	gs->gp = g;
	g->priv = gs;
	int rc = lp2p_config_load_string(yaml, strlen(yaml), "<good>", &g->cfg,
	                                 err, sizeof err);
	if (!rc)
		rc = lp2p_host_new(g->cfg, &g->host, err, sizeof err);
	if (!rc)
		rc = lp2p_host_start(g->host, err, sizeof err);
	if (rc) {
		fprintf(stderr, "good peer: %s (%s)\n", err, lp2p_strerror(rc));
		return rc;
	}
	if (pthread_create(&g->thread, NULL, good_main, g))
		return LP2P_ENOMEM;
	return lp2p_host_post(g->host, good_begin, gs);
}

void good_quiesce(struct good_peer *g, int timeout_ms)
{
	struct good_state *gs = g->priv;
	atomic_store(&g->quiet, true);
	uint64_t until = hp_now_ms() + (uint64_t)timeout_ms;
	while (atomic_load(&gs->nbusy) > 0 && hp_now_ms() < until)
		hp_sleep_ms(5);
}

void good_stop(struct good_peer *g)
{
	struct good_state *gs = g->priv;
	atomic_store(&g->quiet, true);
	if (g->host && lp2p_host_post(g->host, good_end, gs) == 0)
		pthread_join(g->thread, NULL);
	lp2p_host_free(g->host);
	lp2p_config_free(g->cfg);
	free(gs);
	g->host = NULL;
	g->cfg = NULL;
	g->priv = NULL;
}
