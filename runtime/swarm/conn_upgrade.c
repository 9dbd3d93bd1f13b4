/*
 * conn_upgrade.c - a connection's upgrade, run by the upgrader (no I/O
 * there): its configuration from the swarm's, the wire bytes fed to it,
 * and, once it is done, the muxed session started over the secure
 * channel: the connection leaves the transient scope for its peer's and
 * is announced.  Under a private network the pipe's bytes pass the pnet
 * cipher first (conn_input.c, conn_output.c); a peer outside it is told
 * apart here by its first bytes.
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>

#include "pnet/pnet.h"
#include "swarm/conn_internal.h"

int lp2p_conn_upgrade_start(struct lp2p_conn *c)
{
	struct lp2p_swarm *sw = c->sw;
	struct lp2p_upgrader_config uc = {
		.initiator = c->dir == LP2P_OUTBOUND,
		.identity = sw->identity,
		.expected_peer = c->have_expected_peer ? &c->peer : NULL,
		.security = sw->security_ops,
		.security_ctx = sw->security_ctx,
		.n_security = sw->nsecurity,
		.muxers = sw->muxers,
		.n_muxers = sw->nmuxers,
	};
	int rc;
	if (sw->cfg->pnet_enabled) {
		/* our nonce goes first, in the clear */
		if ((rc = lp2p_pnet_new(sw->cfg->pnet_key, &c->pnet)) ||
		    (rc = lp2p_buf_append(&c->wbuf, lp2p_pnet_local_nonce(c->pnet),
		                          LP2P_PNET_NONCE_LEN)))
			return rc;
	}
	return lp2p_upgrader_new(&uc, &c->up);
}

/* The upgrade is done: the session starts and the connection is ready. */
static int start_session(struct lp2p_conn *c,
                         const struct lp2p_upgrade_result *r)
{
	c->sec = r->sec;
	c->session = r->session;
	c->security = r->sec->protocol_id;
	c->peer = r->peer;
	const struct lp2p_session_ops *mx = lp2p_swarm_muxer(c->sw, r->muxer);
	if (!mx)
		return LP2P_ENEGOTIATE;
	c->muxer = mx->protocol_id;
	struct lp2p_mux_config mc;
	lp2p_mux_config_default(&mc);
	/* the swarm refuses first (scopes); the session's own cap agrees */
	const struct lp2p_resource_limits *cl = &c->sw->cfg->limits.conn;
	mc.max_inbound_streams = cl->inbound_streams < UINT32_MAX
	                                 ? (uint32_t)cl->inbound_streams
	                                 : UINT32_MAX;
	mc.max_outbound_streams = cl->outbound_streams < UINT32_MAX
	                                  ? (uint32_t)cl->outbound_streams
	                                  : UINT32_MAX;
	/* A 1 MiB receive window per stream, where the session has windows.
	 * With the usual minimum, 256 KiB, a sender on loopback idled between
	 * window updates at half the speed (8 vs 15 Gbit/s); what a paused
	 * stream may then hold is bounded by the stream and connection
	 * memory limits. */
	mc.window = LP2P_CONN_STREAM_WINDOW;
	int rc = mx->new_session(&c->mux, c->dir == LP2P_OUTBOUND, &mc,
	                         &lp2p_stream_mux_callbacks, c);
	if (rc)
		return rc;
	c->mx = mx;
	/* Upgraded: the connection leaves the transient scope for its
	 * peer's (which may be at its connection limit). */
	struct lp2p_rcmgr *m = &c->sw->rc;
	struct lp2p_rc_scope *up[2] = {lp2p_rcmgr_peer(m, &c->peer, true),
	                               &m->system};
	const struct lp2p_rc_scope *blocked = NULL;
	if (!up[0])
		return LP2P_ENOMEM;
	if (lp2p_rc_scope_move(&c->rc, up, 2, &blocked)) {
		lp2p_swarm_log_limit(c->sw, "connection", blocked);
		return LP2P_ELIMIT;
	}
	c->state = CONN_READY;
	ev_timer_stop(c->sw->loop->ev, &c->phase_timer);
	c->phase_timer.repeat = LP2P_CONN_HELD_TICK; /* for the held tick */
	c->sw->nconns_pending--;
	c->sw->nconns_ready++;
	lp2p_conn_touch(c);
	if (lp2p_log_enabled(LP2P_LOG_DEBUG)) {
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_peer_id_to_string(&c->peer, who, sizeof who);
		lp2p_log(LP2P_LOG_DEBUG,
		         "connection %llu %s %s ready (%s, %s)",
		         (unsigned long long)c->id,
		         c->dir == LP2P_OUTBOUND ? "to" : "from", who,
		         c->security, c->muxer);
	}
	if (c->dial) {
		struct lp2p_dial *d = c->dial;
		c->dial = NULL;
		lp2p_dial_conn_done(d, c, 0);
		if (c->state == CONN_DEAD)
			return 0;
	}
	c->announced = true;
	c->sw->cb->conn_ready(c->sw->cb_arg, c);
	if (c->state == CONN_READY)
		lp2p_connmgr_trim(c->sw);
	return 0;
}

/* The upgrader finished: its last bytes go out before any sealed frame,
 * then the session takes over, with whatever plaintext came early. */
static int finish(struct lp2p_conn *c)
{
	int rc = lp2p_conn_collect(c, &c->wbuf);
	struct lp2p_upgrade_result r;
	if (rc || (rc = lp2p_upgrader_result(c->up, &r)))
		return rc;
	lp2p_conn_ref(c);
	rc = start_session(c, &r);
	const uint8_t *early;
	size_t n = lp2p_upgrader_early_data(c->up, &early);
	if (!rc && n && c->state == CONN_READY)
		rc = lp2p_conn_feed_session(c, early, n);
	if (c->state != CONN_DEAD) {
		lp2p_upgrader_free(c->up);
		c->up = NULL;
	}
	lp2p_conn_unref(c);
	return rc;
}

ssize_t lp2p_conn_upgrade_recv(struct lp2p_conn *c, uint8_t *buf, size_t len)
{
	/* A peer outside our private network sends garbage: its first bytes
	 * are not multistream-select's header. */
	if (c->pnet && lp2p_pnet_status(c->pnet) == LP2P_ECRYPTO)
		return LP2P_ECRYPTO;
	ssize_t used = lp2p_upgrader_recv(c->up, buf, len);
	if (used < 0)
		return used;
	int st = lp2p_upgrader_status(c->up);
	if (st == LP2P_EAGAIN)
		return used;
	if (st < 0)
		return st;
	int rc = finish(c);
	return rc ? rc : used;
}

/* At most one line a second: a scan must not flood the log. */
static void log_outsider(struct lp2p_conn *c)
{
	struct lp2p_swarm *sw = c->sw;
	double now = ev_now(sw->loop->ev);
	sw->pnet_refused++;
	if (now - sw->pnet_logged < 1.0)
		return;
	sw->pnet_logged = now;
	struct lp2p_multiaddr remote;
	char addr[LP2P_MULTIADDR_STR_MAX] = "?";
	lp2p_packed_ma_get(&c->remote_addr, &remote);
	lp2p_multiaddr_to_string(&remote, addr, sizeof addr);
	lp2p_log(LP2P_LOG_WARN,
	         "connection %s %s closed: the peer is not in this private "
	         "network (another pnet key, or none) (%llu so far)",
	         c->dir == LP2P_OUTBOUND ? "to" : "from", addr,
	         (unsigned long long)sw->pnet_refused);
}

const char *lp2p_conn_upgrade_failure(struct lp2p_conn *c, int err,
                                      const char *why)
{
	if (c->pnet && lp2p_pnet_status(c->pnet) != 0 &&
	    err != LP2P_ECANCELED) {
		/* however it ended (garbage, a reset, an end, a wait) before
		 * the peer's header came */
		log_outsider(c);
		return "the peer is not in this private network";
	}
	if (why)
		return why;
	why = c->up ? lp2p_upgrader_error_reason(c->up) : NULL;
	return why && *why ? why : NULL;
}
