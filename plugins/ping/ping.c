/*
 * ping.c - /ipfs/ping/1.0.0 (libp2p/specs ping/ping.md), and the example
 * plugin of lp2p-plugin(7): read it from the top.
 *
 *  - Answer: the peer sends 32 random bytes, we send them back, as often
 *    as it likes, until it closes its side; then we close ours.  At most
 *    two inbound ping streams per peer (the spec's advice).
 *  - Ask: every `interval`, each connection is pinged on a new stream,
 *    one ping in flight per peer: 32 random bytes out, the same 32 back
 *    within `timeout`.  The round trip goes to the peerstore
 *    ("ping.rtt_us") and to the "ping.rtt" event; a failure closes the
 *    connection when `close_on_failure` is set.  A peer that does not
 *    speak ping is not asked again on that connection.
 *
 * The SDK does the bookkeeping: lp2p_conn_request() owns the asking
 * stream and calls back once; what ping keeps per connection lives in the
 * connection's slot (lp2p_conn_set_data) and goes with it; an answering
 * stream's state is freed in its on_close, which always comes once.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <lp2p/config.h>
#include <lp2p/events.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/peerstore.h>
#include <lp2p/plugin.h>
#include <lp2p/request.h>
#include <lp2p/swarm.h>

#define PING_PROTOCOL "/ipfs/ping/1.0.0"
#define PING_SIZE 32
#define MAX_INBOUND_PER_PEER 2
#define FIRST_PING_MS 1000 /* a new connection's first ping, at most */
#define BUSY_RETRY_MS 1000 /* another connection to the peer is pinging */
#define MAX_CONNS 8        /* connections to one peer looked at */

struct ping {
	lp2p_host *host;
	uint64_t interval_ms, timeout_ms;
	bool close_on_failure;
};

/* What ping keeps on a connection (its slot, keyed by struct ping). */
struct conn_ping {
	struct ping *pp;
	lp2p_conn *conn;
	lp2p_timer *timer;
	bool asking;   /* a ping of ours is in flight */
	bool no_ping;  /* the peer does not speak ping */
	int answering; /* inbound ping streams */
	uint8_t payload[PING_SIZE];
	struct timespec sent;
};

/* The conn_ping of every connection to c's peer, c's own included. */
static size_t peer_conns(struct conn_ping *cp, struct conn_ping **out)
{
	lp2p_conn *conns[MAX_CONNS];
	size_t n = lp2p_host_conns_to_peer(cp->pp->host, lp2p_conn_peer(cp->conn),
	                                   conns, MAX_CONNS);
	size_t k = 0;
	for (size_t i = 0; i < n && i < MAX_CONNS; i++)
		if ((out[k] = lp2p_conn_get_data(conns[i], cp->pp)))
			k++;
	return k;
}

/* ---- answering ---- */

struct answer {
	struct conn_ping *cp;
	uint8_t got[PING_SIZE];
	size_t len;
};

static void answer_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	struct answer *a = user;
	while (len) {
		size_t n = PING_SIZE - a->len < len ? PING_SIZE - a->len : len;
		memcpy(a->got + a->len, data, n);
		a->len += n;
		data += n;
		len -= n;
		if (a->len < PING_SIZE)
			continue;
		a->len = 0;
		int rc = lp2p_stream_send(s, a->got, PING_SIZE);
		if (rc) {
			lp2p_stream_abort(s, rc);
			return;
		}
	}
	/* a peer that sends without reading waits for us */
	if (lp2p_stream_send_queued(s) >= 64 * PING_SIZE)
		lp2p_stream_pause(s);
}

static void answer_writable(lp2p_stream *s, void *user)
{
	(void)user;
	lp2p_stream_resume(s);
}

static void answer_end(lp2p_stream *s, void *user)
{
	(void)user;
	lp2p_stream_close(s); /* after the answers still queued */
}

static void answer_closed(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	(void)reason;
	struct answer *a = user;
	a->cp->answering--;
	free(a);
}

static const struct lp2p_stream_handler answer_handler = {
    .on_data = answer_data,
    .on_writable = answer_writable,
    .on_remote_close = answer_end,
    .on_close = answer_closed,
};

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	(void)protocol;
	struct conn_ping *cp = lp2p_conn_get_data(lp2p_stream_conn(s), state);
	if (!cp)
		return LP2P_ENOMEM; /* its handle_new_connection failed */
	struct conn_ping *all[MAX_CONNS];
	size_t n = peer_conns(cp, all), streams = 0;
	for (size_t i = 0; i < n; i++)
		streams += (size_t)all[i]->answering;
	if (streams >= MAX_INBOUND_PER_PEER)
		return LP2P_ELIMIT;
	struct answer *a = calloc(1, sizeof *a);
	if (!a)
		return LP2P_ENOMEM;
	a->cp = cp;
	cp->answering++;
	lp2p_stream_set_handler(s, &answer_handler, a);
	return 0;
}

/* ---- asking ---- */

static void log_peer(enum lp2p_log_level level, struct conn_ping *cp,
                     const char *what, int err)
{
	char who[LP2P_PEER_ID_STR_MAX] = "?";
	lp2p_peer_id_to_string(lp2p_conn_peer(cp->conn), who, sizeof who);
	lp2p_log(level, "ping: %s: %s%s%s", who, what, err ? ": " : "",
	         err ? lp2p_strerror(err) : "");
}

static uint64_t elapsed_us(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t us = (int64_t)(now.tv_sec - since->tv_sec) * 1000000 +
	             (now.tv_nsec - since->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

static void on_reply(void *arg, int status, const uint8_t *reply, size_t len)
{
	struct conn_ping *cp = arg;
	struct ping *pp = cp->pp;
	cp->asking = false;
	if (!lp2p_conn_is_open(cp->conn))
		return;
	if (status == LP2P_ENEGOTIATE) {
		log_peer(LP2P_LOG_DEBUG, cp, "does not speak " PING_PROTOCOL, 0);
		cp->no_ping = true;
		return;
	}
	if (status == 0 && (len != PING_SIZE ||
	                    memcmp(reply, cp->payload, PING_SIZE) != 0))
		status = LP2P_EPROTO;
	lp2p_timer_start(cp->timer, pp->interval_ms, 0);
	if (status) {
		log_peer(LP2P_LOG_INFO, cp,
		         pp->close_on_failure ? "ping failed; closing"
		                              : "ping failed",
		         status);
		if (pp->close_on_failure)
			lp2p_conn_close(cp->conn);
		return;
	}
	uint64_t rtt = elapsed_us(&cp->sent);
	const struct lp2p_peer_id *peer = lp2p_conn_peer(cp->conn);
	lp2p_peerstore_put(pp->host, peer, "ping.rtt_us", &rtt, sizeof rtt);
	struct lp2p_event_ping_rtt ev = {.size = sizeof ev, .peer = *peer,
	                                  .rtt_us = rtt,
	                                  .conn_id = lp2p_conn_id(cp->conn)};
	lp2p_host_publish(pp->host, LP2P_EVENT_PING_RTT, &ev, sizeof ev);
	if (lp2p_log_enabled(LP2P_LOG_DEBUG)) {
		char what[64];
		snprintf(what, sizeof what, "%llu.%03llu ms",
		         (unsigned long long)(rtt / 1000),
		         (unsigned long long)(rtt % 1000));
		log_peer(LP2P_LOG_DEBUG, cp, what, 0);
	}
}

static void ping_now(void *arg)
{
	struct conn_ping *cp = arg;
	struct ping *pp = cp->pp;
	if (cp->no_ping || !lp2p_conn_is_open(cp->conn))
		return;
	struct conn_ping *all[MAX_CONNS];
	size_t n = peer_conns(cp, all);
	for (size_t i = 0; i < n; i++) {
		if (all[i]->asking) { /* one ping in flight per peer */
			lp2p_timer_start(cp->timer, BUSY_RETRY_MS, 0);
			return;
		}
	}
	static const char *const protocols[] = {PING_PROTOCOL};
	struct lp2p_request rq = {
	    .protocols = protocols,
	    .nprotocols = 1,
	    .data = cp->payload,
	    .len = PING_SIZE,
	    .kind = LP2P_REPLY_EXACT,
	    .max_reply = PING_SIZE,
	    .timeout_ms = pp->timeout_ms,
	};
	if (getrandom(cp->payload, PING_SIZE, 0) != PING_SIZE ||
	    lp2p_conn_request(cp->conn, &rq, on_reply, cp) != 0) {
		lp2p_timer_start(cp->timer, pp->interval_ms, 0);
		return;
	}
	cp->asking = true;
	clock_gettime(CLOCK_MONOTONIC, &cp->sent);
}

/* ---- connections ---- */

static void conn_ping_free(void *data)
{
	struct conn_ping *cp = data;
	lp2p_timer_free(cp->timer);
	free(cp);
}

LP2P_PLUGIN_EXPORT void handle_new_connection(void *state, lp2p_conn *conn,
                                              const struct lp2p_peer_id *peer)
{
	(void)peer;
	struct ping *pp = state;
	struct conn_ping *cp = calloc(1, sizeof *cp);
	if (!cp)
		return;
	cp->pp = pp;
	cp->conn = conn;
	if (lp2p_timer_new(pp->host, ping_now, cp, &cp->timer) ||
	    lp2p_conn_set_data(conn, pp, cp, conn_ping_free)) {
		conn_ping_free(cp);
		return;
	}
	if (pp->interval_ms)
		lp2p_timer_start(cp->timer,
		                 pp->interval_ms < FIRST_PING_MS ? pp->interval_ms
		                                                 : FIRST_PING_MS,
		                 0);
}

/* ---- configuration and lifecycle ---- */

static int read_config(const lp2p_config_node *cfg, struct ping *pp,
                       char *err, size_t errlen)
{
	static const char *const keys[] = {"interval", "timeout",
	                                   "close_on_failure", NULL};
	int rc = lp2p_config_check_keys(cfg, keys, err, errlen);
	if (!rc)
		rc = lp2p_config_duration_or(cfg, "interval", 15000, 0,
		                             UINT64_MAX, &pp->interval_ms, err,
		                             errlen);
	if (!rc)
		rc = lp2p_config_duration_or(cfg, "timeout", 10000, 1,
		                             UINT64_MAX, &pp->timeout_ms, err,
		                             errlen);
	if (!rc)
		rc = lp2p_config_bool_or(cfg, "close_on_failure", false,
		                         &pp->close_on_failure, err, errlen);
	return rc;
}

static int ping_check(const lp2p_config_node *cfg, char *err, size_t errlen)
{
	struct ping tmp;
	return read_config(cfg, &tmp, err, errlen);
}

static int ping_init(lp2p_host *host, const lp2p_config_node *cfg, void **state,
                     char *err, size_t errlen)
{
	struct ping *pp = calloc(1, sizeof *pp);
	if (!pp)
		return LP2P_ENOMEM;
	int rc = read_config(cfg, pp, err, errlen);
	if (rc) {
		free(pp);
		return rc;
	}
	pp->host = host;
	*state = pp;
	return 0;
}

/* Connections (and their slots) are gone before fini. */
static void ping_fini(void *state)
{
	free(state);
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
