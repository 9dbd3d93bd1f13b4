/*
 * ping.c - /ipfs/ping/1.0.0 (libp2p/specs ping/ping.md), and the example
 * plugin of lp2p-plugin(7): read it from the top.
 *
 *  - Answer: the peer sends 32 random bytes, we send them back, as often
 *    as it likes, until it closes its side; then we close ours.  At most
 *    two inbound ping streams per peer (the spec's advice).
 *  - Ask: every `interval`, each connection is pinged on a new stream,
 *    one ping in flight per peer (the spec's rule): 32 random bytes out,
 *    the same 32 back within `timeout`.  The round trip goes to the
 *    peerstore ("ping.rtt_us") and to the "ping.rtt" event; a failure
 *    closes the connection when `close_on_failure` is set.  A peer that
 *    does not speak ping is not asked again on that connection.
 *
 * The SDK does the bookkeeping: lp2p_stream_echo() answers,
 * lp2p_conn_request() owns the asking stream and calls back once, and
 * what ping keeps per connection (its slot, lp2p_conn_set_data) and the
 * connection's timer go with the connection.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <lp2p/config.h>
#include <lp2p/events.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/peerstore.h>
#include <lp2p/plugin.h>
#include <lp2p/request.h>
#include <lp2p/service.h>
#include <lp2p/swarm.h>

#define PING_PROTOCOL "/ipfs/ping/1.0.0"
#define PING_SIZE 32
#define MAX_INBOUND_PER_PEER 2
#define FIRST_PING_MS 1000 /* a new connection's first ping, at most */
#define BUSY_RETRY_MS 1000 /* another connection to the peer is pinging */

struct ping {
	lp2p_host *host;
	uint64_t interval_ms, timeout_ms;
	bool close_on_failure;
};

/* The settings, their defaults and ranges (lp2pd.yaml: plugins.ping). */
static const struct lp2p_config_field ping_config[] = {
    LP2P_CONFIG_DURATION(struct ping, interval_ms, "interval", 15000, 0,
                         UINT64_MAX),
    LP2P_CONFIG_DURATION(struct ping, timeout_ms, "timeout", 10000, 1,
                         UINT64_MAX),
    LP2P_CONFIG_BOOL(struct ping, close_on_failure, "close_on_failure",
                     false),
    LP2P_CONFIG_END,
};

/* ---- answering ---- */

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	struct ping *pp = state;
	const struct lp2p_peer_id *peer = lp2p_conn_peer(lp2p_stream_conn(s));
	/* s is counted already */
	if (lp2p_host_peer_streams(pp->host, peer, protocol, LP2P_INBOUND) >
	    MAX_INBOUND_PER_PEER)
		return LP2P_ELIMIT;
	return lp2p_stream_echo(s, PING_SIZE);
}

/* ---- asking ---- */

/* What ping keeps on a connection (its slot, keyed by struct ping). */
struct pinger {
	struct ping *pp;
	lp2p_conn *conn;
	lp2p_timer *timer; /* the connection's: the next ping */
	uint8_t payload[PING_SIZE];
	uint64_t sent_us;
};

static void on_reply(void *arg, int status, const uint8_t *reply, size_t len)
{
	(void)len; /* LP2P_REPLY_EXACT: PING_SIZE */
	struct pinger *pg = arg;
	struct ping *pp = pg->pp;
	const struct lp2p_peer_id *peer = lp2p_conn_peer(pg->conn);
	if (status == LP2P_ENEGOTIATE || !lp2p_conn_is_open(pg->conn))
		return; /* not asked again on this connection */
	lp2p_timer_start(pg->timer, pp->interval_ms, 0);
	if (status == 0 && memcmp(reply, pg->payload, PING_SIZE) != 0)
		status = LP2P_EPROTO;
	if (status) {
		char who[LP2P_PEER_ID_STR_MAX] = "?";
		lp2p_peer_id_to_string(peer, who, sizeof who);
		lp2p_log(LP2P_LOG_INFO, "ping: %s: %s%s", who,
		         lp2p_strerror(status),
		         pp->close_on_failure ? "; closing" : "");
		if (pp->close_on_failure)
			lp2p_conn_close(pg->conn);
		return;
	}
	uint64_t rtt = lp2p_clock_us() - pg->sent_us;
	lp2p_peerstore_put(pp->host, peer, "ping.rtt_us", &rtt, sizeof rtt);
	struct lp2p_event_ping_rtt ev = {.size = sizeof ev, .peer = *peer,
	                                 .rtt_us = rtt,
	                                 .conn_id = lp2p_conn_id(pg->conn)};
	lp2p_host_publish(pp->host, LP2P_EVENT_PING_RTT, &ev, sizeof ev);
}

static void ping_now(void *arg)
{
	struct pinger *pg = arg;
	struct ping *pp = pg->pp;
	/* one ping in flight per peer, whichever connection carries it */
	if (lp2p_host_requests_to_peer(pp->host, lp2p_conn_peer(pg->conn),
	                               PING_PROTOCOL)) {
		lp2p_timer_start(pg->timer, BUSY_RETRY_MS, 0);
		return;
	}
	static const char *const protocols[] = {PING_PROTOCOL};
	struct lp2p_request rq = {
	    .protocols = protocols,
	    .nprotocols = 1,
	    .data = pg->payload,
	    .len = PING_SIZE,
	    .kind = LP2P_REPLY_EXACT,
	    .max_reply = PING_SIZE,
	    .timeout_ms = pp->timeout_ms,
	};
	if (getrandom(pg->payload, PING_SIZE, 0) != PING_SIZE ||
	    lp2p_conn_request(pg->conn, &rq, on_reply, pg) != 0) {
		lp2p_timer_start(pg->timer, pp->interval_ms, 0);
		return;
	}
	pg->sent_us = lp2p_clock_us();
}

LP2P_PLUGIN_EXPORT void handle_new_connection(void *state, lp2p_conn *conn,
                                              const struct lp2p_peer_id *peer)
{
	(void)peer;
	struct ping *pp = state;
	struct pinger *pg;
	if (!pp->interval_ms || !(pg = calloc(1, sizeof *pg)))
		return; /* interval 0: we only answer */
	pg->pp = pp;
	pg->conn = conn;
	if (lp2p_conn_set_data(conn, pp, pg, free)) {
		free(pg);
		return;
	}
	if (lp2p_conn_timer_new(conn, ping_now, pg, &pg->timer) == 0)
		lp2p_timer_start(pg->timer,
		                 pp->interval_ms < FIRST_PING_MS ? pp->interval_ms
		                                                 : FIRST_PING_MS,
		                 0);
}

/* ---- configuration and lifecycle ---- */

static int ping_check(const lp2p_config_node *cfg, char *err, size_t errlen)
{
	struct ping tmp;
	return lp2p_config_read(cfg, ping_config, &tmp, err, errlen);
}

static int ping_init(lp2p_host *host, const lp2p_config_node *cfg, void **state,
                     char *err, size_t errlen)
{
	struct ping *pp = calloc(1, sizeof *pp);
	if (!pp)
		return LP2P_ENOMEM;
	int rc = lp2p_config_read(cfg, ping_config, pp, err, errlen);
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
