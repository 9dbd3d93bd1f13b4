/*
 * ping.c - /ipfs/ping/1.0.0.
 *
 *  - Answer: every 32-byte payload received is sent back; when the peer
 *    closes its side we close ours after the last whole payload.  At most
 *    two inbound ping streams per peer (the spec's advice).
 *  - Ask: every `interval`, each connection is pinged on a new stream
 *    (one ping in flight per peer); the round-trip time goes to the
 *    peerstore ("ping.rtt_us") and to the "ping.rtt" event.  No answer
 *    within `timeout` is a failure, which closes the connection when
 *    `close_on_failure` is set.  A peer that does not speak ping is not
 *    pinged again on that connection.
 *
 * Lifetimes: a pinger (one per connection) lives until its connection
 * closes; when a callback that names it is still due then (an open
 * callback, a stream's on_close), the last of them frees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/peerstore.h>
#include <lp2p/plugin.h>
#include <lp2p/swarm.h>

#define PING_PROTOCOL "/ipfs/ping/1.0.0"
#define PING_SIZE 32
#define MAX_INBOUND_PER_PEER 2
/* Unechoed bytes held for an answering stream before it is paused. */
#define SERVE_HIWAT 4096
/* First ping of a new connection: soon, but not before this. */
#define FIRST_PING_MS 1000
/* Retry delay when another connection to the peer has a ping in flight. */
#define BUSY_RETRY_MS 1000

struct ping_plugin {
	lp2p_host *host;
	uint64_t interval_ms, timeout_ms;
	bool close_on_failure;
	struct pinger *pingers;
	struct server *servers;
};

enum pinger_state { P_IDLE, P_OPENING, P_WAITING, P_OFF };

struct pinger {
	struct pinger *prev, *next;
	struct ping_plugin *pp;
	lp2p_conn *conn; /* NULL once closed */
	struct lp2p_peer_id peer;
	enum pinger_state state;
	lp2p_timer *timer; /* next ping, or the timeout of this one */
	lp2p_stream *stream;
	bool abandoned; /* timed out while opening */
	uint8_t payload[PING_SIZE];
	uint8_t got[PING_SIZE];
	size_t got_len;
	struct timespec sent;
};

struct server {
	struct server *prev, *next;
	struct ping_plugin *pp;
	struct lp2p_peer_id peer;
	uint8_t *buf; /* received, not yet echoed */
	size_t len, cap;
	bool remote_closed;
	bool paused;
};

static const struct lp2p_stream_handler detached = {0};

static const char *peer_str(const struct lp2p_peer_id *p, char *buf, size_t cap)
{
	if (lp2p_peer_id_to_string(p, buf, cap) < 0)
		snprintf(buf, cap, "?");
	return buf;
}

/* ---- answering ---- */

static void server_free(struct server *sv)
{
	if (sv->prev)
		sv->prev->next = sv->next;
	else
		sv->pp->servers = sv->next;
	if (sv->next)
		sv->next->prev = sv->prev;
	free(sv->buf);
	free(sv);
}

static void server_finish(lp2p_stream *s, struct server *sv, bool reset)
{
	lp2p_stream_set_handler(s, &detached, NULL);
	if (reset)
		lp2p_stream_reset(s);
	else
		lp2p_stream_close(s);
	server_free(sv);
}

/* Echo every whole payload held; pause while too much is unechoed. */
static void server_pump(lp2p_stream *s, struct server *sv)
{
	size_t whole = sv->len - sv->len % PING_SIZE;
	if (whole) {
		ssize_t w = lp2p_stream_write(s, sv->buf, whole);
		if (w == LP2P_EAGAIN)
			w = 0;
		if (w < 0) {
			server_finish(s, sv, true);
			return;
		}
		memmove(sv->buf, sv->buf + w, sv->len - (size_t)w);
		sv->len -= (size_t)w;
	}
	if (sv->remote_closed && sv->len < PING_SIZE) {
		/* a partial last payload is not answered */
		server_finish(s, sv, false);
		return;
	}
	/* pause and resume only on a change */
	if (sv->len >= SERVE_HIWAT && !sv->paused) {
		sv->paused = true;
		lp2p_stream_pause(s);
	} else if (sv->len < SERVE_HIWAT && sv->paused) {
		sv->paused = false;
		lp2p_stream_resume(s);
	}
}

static void server_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	struct server *sv = user;
	if (sv->cap - sv->len < len) {
		size_t cap = sv->len + len;
		uint8_t *p = realloc(sv->buf, cap);
		if (!p) {
			server_finish(s, sv, true);
			return;
		}
		sv->buf = p;
		sv->cap = cap;
	}
	memcpy(sv->buf + sv->len, data, len);
	sv->len += len;
	server_pump(s, sv);
}

static void server_writable(lp2p_stream *s, void *user)
{
	server_pump(s, user);
}

static void server_remote_close(lp2p_stream *s, void *user)
{
	struct server *sv = user;
	sv->remote_closed = true;
	server_pump(s, sv);
}

static void server_closed(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	(void)reason;
	server_free(user);
}

static const struct lp2p_stream_handler server_handler = {
    .on_data = server_data,
    .on_writable = server_writable,
    .on_remote_close = server_remote_close,
    .on_close = server_closed,
};

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	(void)protocol;
	struct ping_plugin *pp = state;
	const struct lp2p_peer_id *peer = lp2p_conn_peer(lp2p_stream_conn(s));
	size_t same = 0;
	for (struct server *x = pp->servers; x; x = x->next)
		same += lp2p_peer_id_equal(&x->peer, peer);
	if (same >= MAX_INBOUND_PER_PEER) {
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_log(LP2P_LOG_DEBUG,
		         "ping: %s already has %zu ping streams: refused",
		         peer_str(peer, who, sizeof who), same);
		return LP2P_ELIMIT;
	}
	struct server *sv = calloc(1, sizeof *sv);
	if (!sv)
		return LP2P_ENOMEM;
	sv->pp = pp;
	sv->peer = *peer;
	sv->next = pp->servers;
	if (pp->servers)
		pp->servers->prev = sv;
	pp->servers = sv;
	lp2p_stream_set_handler(s, &server_handler, sv);
	return 0;
}

/* ---- asking ---- */

static void pinger_free(struct pinger *pg)
{
	struct ping_plugin *pp = pg->pp;
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		pp->pingers = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	lp2p_timer_free(pg->timer);
	free(pg);
}

static uint64_t elapsed_us(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t us = (int64_t)(now.tv_sec - since->tv_sec) * 1000000 +
	             (now.tv_nsec - since->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

static void schedule(struct pinger *pg, uint64_t after_ms)
{
	pg->state = P_IDLE;
	lp2p_timer_start(pg->timer, after_ms, 0);
}

/* Let go of the stream: close it gracefully or reset it. */
static void drop_stream(struct pinger *pg, bool reset)
{
	lp2p_stream *s = pg->stream;
	if (!s)
		return;
	pg->stream = NULL;
	lp2p_stream_set_handler(s, &detached, NULL);
	if (reset)
		lp2p_stream_reset(s);
	else
		lp2p_stream_close(s);
}

/* A ping failed: the last thing done with pg (closing may free it). */
static void ping_failed(struct pinger *pg, const char *why)
{
	struct ping_plugin *pp = pg->pp;
	char who[LP2P_PEER_ID_STR_MAX];
	peer_str(&pg->peer, who, sizeof who);
	drop_stream(pg, true);
	if (!pg->conn) { /* nothing is due any more */
		pinger_free(pg);
		return;
	}
	if (!pp->close_on_failure) {
		lp2p_log(LP2P_LOG_INFO, "ping: %s: %s", who, why);
		schedule(pg, pp->interval_ms);
		return;
	}
	lp2p_log(LP2P_LOG_INFO, "ping: %s: %s; closing the connection", who,
	         why);
	lp2p_conn *c = pg->conn;
	schedule(pg, pp->interval_ms); /* stopped by the close */
	lp2p_conn_close(c);
}

static void ping_answered(struct pinger *pg)
{
	struct ping_plugin *pp = pg->pp;
	uint64_t rtt = elapsed_us(&pg->sent);
	drop_stream(pg, false);
	lp2p_peerstore_put(pp->host, &pg->peer, "ping.rtt_us", &rtt,
	                   sizeof rtt);
	uint8_t ev[sizeof rtt + LP2P_PEER_ID_MAX_LEN];
	memcpy(ev, &rtt, sizeof rtt);
	memcpy(ev + sizeof rtt, pg->peer.bytes, pg->peer.len);
	lp2p_host_publish(pp->host, "ping.rtt", ev, sizeof rtt + pg->peer.len);
	if (lp2p_log_enabled(LP2P_LOG_DEBUG)) {
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_log(LP2P_LOG_DEBUG, "ping: %s: %llu.%03llu ms",
		         peer_str(&pg->peer, who, sizeof who),
		         (unsigned long long)(rtt / 1000),
		         (unsigned long long)(rtt % 1000));
	}
	schedule(pg, pp->interval_ms);
}

static void pinger_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	(void)s;
	struct pinger *pg = user;
	size_t take = PING_SIZE - pg->got_len;
	if (len > take) {
		ping_failed(pg, "answer longer than the payload");
		return;
	}
	memcpy(pg->got + pg->got_len, data, len);
	pg->got_len += len;
	if (pg->got_len < PING_SIZE)
		return;
	if (memcmp(pg->got, pg->payload, PING_SIZE) != 0) {
		ping_failed(pg, "wrong answer");
		return;
	}
	ping_answered(pg);
}

static void pinger_closed(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct pinger *pg = user;
	pg->stream = NULL;
	if (!pg->conn) { /* connection gone: this was the last callback */
		pinger_free(pg);
		return;
	}
	char why[128];
	snprintf(why, sizeof why, "stream ended before the answer: %s",
	         reason ? lp2p_strerror(reason) : "closed");
	ping_failed(pg, why);
}

static void pinger_remote_close(lp2p_stream *s, void *user)
{
	(void)s;
	ping_failed(user, "peer closed the stream before answering");
}

static const struct lp2p_stream_handler pinger_handler = {
    .on_data = pinger_data,
    .on_remote_close = pinger_remote_close,
    .on_close = pinger_closed,
};

static void on_open(void *arg, int status, lp2p_stream *s)
{
	struct pinger *pg = arg;
	if (!pg->conn) { /* connection gone meanwhile */
		if (s) {
			lp2p_stream_set_handler(s, &detached, NULL);
			lp2p_stream_reset(s);
		}
		pinger_free(pg);
		return;
	}
	if (pg->abandoned) {
		pg->abandoned = false;
		if (s) {
			lp2p_stream_set_handler(s, &detached, NULL);
			lp2p_stream_reset(s);
		}
		ping_failed(pg, "no stream within the timeout");
		return;
	}
	if (status == LP2P_ENEGOTIATE) {
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_log(LP2P_LOG_DEBUG,
		         "ping: %s does not speak %s: not pinging it",
		         peer_str(&pg->peer, who, sizeof who), PING_PROTOCOL);
		lp2p_timer_stop(pg->timer);
		pg->state = P_OFF;
		return;
	}
	if (status) {
		char why[128];
		snprintf(why, sizeof why, "cannot open a stream: %s",
		         lp2p_strerror(status));
		ping_failed(pg, why);
		return;
	}
	pg->stream = s;
	pg->state = P_WAITING;
	pg->got_len = 0;
	lp2p_stream_set_handler(s, &pinger_handler, pg);
	clock_gettime(CLOCK_MONOTONIC, &pg->sent);
	ssize_t w = lp2p_stream_write(s, pg->payload, PING_SIZE);
	if (w != PING_SIZE) {
		/* a new stream always takes 32 bytes */
		ping_failed(pg, "cannot write the payload");
		return;
	}
	lp2p_stream_close_write(s);
}

static bool peer_busy(struct pinger *pg)
{
	for (struct pinger *x = pg->pp->pingers; x; x = x->next)
		if (x != pg && x->conn &&
		    (x->state == P_OPENING || x->state == P_WAITING) &&
		    lp2p_peer_id_equal(&x->peer, &pg->peer))
			return true;
	return false;
}

static void on_timer(void *arg)
{
	struct pinger *pg = arg;
	struct ping_plugin *pp = pg->pp;
	switch (pg->state) {
	case P_IDLE: {
		if (peer_busy(pg)) {
			schedule(pg, BUSY_RETRY_MS);
			return;
		}
		if (getrandom(pg->payload, PING_SIZE, 0) != PING_SIZE) {
			schedule(pg, pp->interval_ms);
			return;
		}
		static const char *const protos[] = {PING_PROTOCOL};
		int rc =
		    lp2p_conn_open_stream(pg->conn, protos, 1, on_open, pg);
		if (rc) {
			schedule(pg, pp->interval_ms);
			return;
		}
		pg->state = P_OPENING;
		lp2p_timer_start(pg->timer, pp->timeout_ms, 0);
		return;
	}
	case P_OPENING:
		/* on_open still comes and reports the failure */
		pg->abandoned = true;
		return;
	case P_WAITING: ping_failed(pg, "no answer within the timeout"); return;
	case P_OFF: return;
	}
}

LP2P_PLUGIN_EXPORT void handle_new_connection(void *state, lp2p_conn *conn,
                                              const struct lp2p_peer_id *peer)
{
	struct ping_plugin *pp = state;
	if (pp->interval_ms == 0)
		return;
	struct pinger *pg = calloc(1, sizeof *pg);
	if (!pg)
		return;
	if (lp2p_timer_new(pp->host, on_timer, pg, &pg->timer)) {
		free(pg);
		return;
	}
	pg->pp = pp;
	pg->conn = conn;
	pg->peer = *peer;
	pg->next = pp->pingers;
	if (pp->pingers)
		pp->pingers->prev = pg;
	pp->pingers = pg;
	schedule(pg, pp->interval_ms < FIRST_PING_MS ? pp->interval_ms
	                                             : FIRST_PING_MS);
}

LP2P_PLUGIN_EXPORT void
handle_closed_connection(void *state, lp2p_conn *conn,
                         const struct lp2p_peer_id *peer)
{
	(void)peer;
	struct ping_plugin *pp = state;
	for (struct pinger *pg = pp->pingers; pg; pg = pg->next) {
		if (pg->conn != conn)
			continue;
		pg->conn = NULL;
		lp2p_timer_stop(pg->timer);
		/* a callback still due frees it; otherwise now */
		if (pg->state != P_OPENING && !pg->stream)
			pinger_free(pg);
		return;
	}
}

/* ---- lifecycle ---- */

static const char *const config_keys[] = {"interval", "timeout",
                                          "close_on_failure", NULL};

static int read_config(const lp2p_config_node *cfg, struct ping_plugin *pp,
                       char *err, size_t errlen)
{
	int rc = lp2p_config_check_keys(cfg, config_keys, err, errlen);
	if (rc)
		return rc;
	pp->interval_ms = 15000;
	pp->timeout_ms = 10000;
	pp->close_on_failure = false;
	if ((rc = lp2p_config_get_duration_ms(cfg, "interval", &pp->interval_ms,
	                                      err, errlen)) &&
	    rc != LP2P_ENOTFOUND)
		return rc;
	if ((rc = lp2p_config_get_duration_ms(cfg, "timeout", &pp->timeout_ms,
	                                      err, errlen)) &&
	    rc != LP2P_ENOTFOUND)
		return rc;
	if (pp->timeout_ms == 0)
		return lp2p_config_error(lp2p_config_get(cfg, "timeout"), err,
		                         errlen, "must be more than 0");
	if ((rc = lp2p_config_get_bool(cfg, "close_on_failure",
	                               &pp->close_on_failure, err, errlen)) &&
	    rc != LP2P_ENOTFOUND)
		return rc;
	return 0;
}

static int ping_check(const lp2p_config_node *cfg, char *err, size_t errlen)
{
	struct ping_plugin tmp;
	return read_config(cfg, &tmp, err, errlen);
}

static int ping_init(lp2p_host *host, const lp2p_config_node *cfg, void **state,
                     char *err, size_t errlen)
{
	struct ping_plugin *pp = calloc(1, sizeof *pp);
	if (!pp) {
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	int rc = read_config(cfg, pp, err, errlen);
	if (rc) {
		free(pp);
		return rc;
	}
	pp->host = host;
	*state = pp;
	return 0;
}

static void ping_fini(void *state)
{
	struct ping_plugin *pp = state;
	/* Connections are gone before fini; anything left is only memory. */
	while (pp->pingers)
		pinger_free(pp->pingers);
	while (pp->servers)
		server_free(pp->servers);
	free(pp);
}

static const char *const ping_protocols[] = {PING_PROTOCOL, NULL};

LP2P_PLUGIN_EXPORT const struct lp2p_plugin_descriptor lp2p_plugin_descriptor =
    {
        LP2P_PLUGIN_HEADER,
        .name = "ping",
        .version = LP2P_VERSION_STRING,
        .description = "answers pings and measures round trips "
                       "(/ipfs/ping/1.0.0)",
        .protocols = ping_protocols,
        .config_check = ping_check,
        .init = ping_init,
        .fini = ping_fini,
};
