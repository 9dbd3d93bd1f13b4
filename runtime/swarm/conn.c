/*
 * conn.c - one connection: socket I/O and the upgrade pipeline
 *
 *   TCP -> multistream-select(security) -> Noise or TLS handshake
 *       -> [multistream-select(muxer), encrypted, unless negotiated early
 *           in the handshake] -> muxer (streams)
 *
 * Reads go into the swarm's shared scratch buffer; only a partial frame is
 * kept per connection (rx_keep), so an idle connection holds no buffers.
 * Output is produced by whichever framer is current, sealed by the secure
 * channel (Noise or TLS, security/secure.h) once it is up, and collected in
 * wbuf; the swarm flushes every dirty connection once per loop iteration
 * (one write per connection).
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>

#include "swarm/swarm.h"

static void conn_process(struct lp2p_conn *c, uint8_t *buf, size_t len);

/* Tell the pipe which events we want (only when that changes). */
static void watch(struct lp2p_conn *c, bool read, bool write)
{
	if (!c->pipe || (c->watch_read == read && c->watch_write == write))
		return;
	c->watch_read = read;
	c->watch_write = write;
	c->pipe->ops->watch(c->pipe, read, write);
}

/* A closed pipe is gone: its descriptor and last bytes leave the system
 * scope, and a listener paused for descriptors may accept again. */
static void pipe_gone_fd(void *arg, size_t held)
{
	struct lp2p_swarm *sw = arg;
	lp2p_rc_amount a = {.fds = 1, .memory = held};
	lp2p_rc_release(&sw->rc.system, &a);
	sw->closing_pipes--;
	lp2p_swarm_conn_gone(sw);
}

static void pipe_gone(void *arg, size_t held)
{
	struct lp2p_swarm *sw = arg;
	lp2p_rc_amount a = {.memory = held};
	lp2p_rc_release(&sw->rc.system, &a);
	sw->closing_pipes--;
}

/* Hand the pipe back to its transport, to close gracefully; what it holds
 * meanwhile counts in the system scope. */
static void close_pipe(struct lp2p_conn *c)
{
	struct lp2p_swarm *sw = c->sw;
	struct lp2p_pipe *p = c->pipe;
	c->pipe = NULL;
	lp2p_rc_amount fd = {.fds = p->holds_fd};
	lp2p_rc_force(&sw->rc.system, &fd);
	sw->closing_pipes++;
	/* The last bytes (a GoAway, final frames) still go out. */
	size_t kept = p->ops->close(p, lp2p_buf_data(&c->wbuf),
	                            lp2p_buf_avail(&c->wbuf),
	                            p->holds_fd ? pipe_gone_fd : pipe_gone, sw);
	lp2p_rc_amount mem = {.memory = kept};
	lp2p_rc_force(&sw->rc.system, &mem);
	lp2p_buf_release(&c->wbuf);
}

void lp2p_conn_ref(struct lp2p_conn *c)
{
	c->refs++;
}

static void conn_free(struct lp2p_conn *c)
{
	lp2p_mss_free(c->mss);
	if (c->sec) {
		c->sec->hs_free(c->hs);
		c->sec->session_free(c->session);
	}
	if (c->mx)
		c->mx->free_session(c->mux);
	lp2p_buf_release(&c->rx_keep);
	lp2p_buf_release(&c->plain_keep);
	lp2p_buf_release(&c->wbuf);
	lp2p_packed_ma_release(&c->remote_addr);
	lp2p_packed_ma_release(&c->local_addr);
	free(c->protect);
	lp2p_conn_data_free(c);
	free(c);
}

void lp2p_conn_unref(struct lp2p_conn *c)
{
	if (--c->refs == 0 && c->state == CONN_DEAD)
		conn_free(c);
}

void lp2p_conn_touch(struct lp2p_conn *c)
{
	c->last_active_ms = lp2p_loop_now_ms(c->sw->loop);
}

static const char *peer_str(const struct lp2p_conn *c, char *buf, size_t cap)
{
	if (c->state >= CONN_MUX_NEGOTIATE) { /* authenticated */
		if (lp2p_peer_id_to_string(&c->peer, buf, cap) > 0)
			return buf;
	}
	struct lp2p_multiaddr remote;
	lp2p_packed_ma_get(&c->remote_addr, &remote);
	char addr[LP2P_MULTIADDR_STR_MAX];
	if (lp2p_multiaddr_to_string(&remote, addr, sizeof addr) < 0)
		snprintf(addr, sizeof addr, "?");
	snprintf(buf, cap, "%s", addr);
	return buf;
}

void lp2p_conn_kill(struct lp2p_conn *c, int reason, const char *why)
{
	if (c->state == CONN_DEAD)
		return;
	struct lp2p_swarm *sw = c->sw;
	enum lp2p_conn_state was = c->state;
	char who[LP2P_MULTIADDR_STR_MAX];
	lp2p_conn_ref(c);
	c->close_reason = reason;
	if (reason < 0)
		lp2p_log(was == CONN_READY ? LP2P_LOG_INFO : LP2P_LOG_DEBUG,
		         "connection %llu %s %s closed: %s%s%s%s",
		         (unsigned long long)c->id,
		         c->dir == LP2P_OUTBOUND ? "to" : "from",
		         peer_str(c, who, sizeof who),
		         why ? why : lp2p_strerror(reason), why ? " (" : "",
		         why ? lp2p_strerror(reason) : "", why ? ")" : "");
	c->state = CONN_DEAD;
	ev_timer_stop(sw->loop->ev, &c->phase_timer);
	ev_timer_stop(sw->loop->ev, &c->stall_timer);
	if (c->pipe)
		close_pipe(c);
	if (was == CONN_READY)
		sw->nconns_ready--;
	else
		sw->nconns_pending--;
	lp2p_streams_abort(c, reason < 0 ? reason : LP2P_ECLOSED);
	/* the socket and its last bytes now count as lingering */
	lp2p_rc_scope_close(&c->rc);
	c->accounted = 0;
	if (c->dial) {
		struct lp2p_dial *d = c->dial;
		c->dial = NULL;
		lp2p_dial_conn_done(d, c, reason < 0 ? reason : LP2P_ECLOSED);
	}
	if (c->announced)
		sw->cb->conn_closed(sw->cb_arg, c);
	lp2p_swarm_conn_gone(sw);
	/* unlink */
	if (c->prev)
		c->prev->next = c->next;
	else
		sw->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	lp2p_conn_unref(c); /* the list's reference */
	lp2p_conn_unref(c); /* ours */
}

/* ---- output ---- */

/* Seal plaintext into out (the channel is secure). */
static int queue_sealed(struct lp2p_conn *c, struct lp2p_buf *out,
                        const uint8_t *pt, size_t n)
{
	size_t need = c->sec->sealed_size(c->session, n);
	uint8_t *dst = lp2p_buf_reserve(out, need);
	if (!dst)
		return LP2P_ENOMEM;
	ssize_t w = c->sec->seal(c->session, pt, n, dst, need);
	if (w < 0)
		return (int)w;
	out->len += (size_t)w;
	return 0;
}

static int queue_bytes(struct lp2p_conn *c, struct lp2p_buf *out,
                       const uint8_t *data, size_t n)
{
	if (n == 0)
		return 0;
	if (c->secure)
		return queue_sealed(c, out, data, n);
	return lp2p_buf_append(out, data, n);
}

/* Pull what the current framers have produced into out, in order. */
static int collect_output(struct lp2p_conn *c, struct lp2p_buf *out)
{
	int rc;
	if (c->mss) {
		const uint8_t *p;
		size_t n = lp2p_mss_out_peek(c->mss, &p);
		if (n) {
			if ((rc = queue_bytes(c, out, p, n)))
				return rc;
			lp2p_mss_out_ack(c->mss, n);
		}
	}
	if (c->hs) {
		const uint8_t *p;
		size_t n = c->sec->hs_output(c->hs, &p);
		if (n) {
			if ((rc = lp2p_buf_append(out, p, n)))
				return rc;
			c->sec->hs_output_ack(c->hs, n);
		}
	}
	if (c->mux) {
		/* Bounded: a peer that does not read stops our writers. */
		size_t waiting = out == &c->wbuf ? 0 : lp2p_buf_avail(&c->wbuf);
		while (lp2p_buf_avail(out) + waiting < LP2P_CONN_WBUF_HIWAT) {
			uint8_t *p;
			size_t n = c->mx->out_peek(c->mux, &p);
			if (!n)
				break;
			if ((rc = queue_sealed(c, out, p, n)))
				return rc;
			c->mx->out_ack(c->mux, n); /* may queue more */
			if (c->state == CONN_DEAD)
				return LP2P_ECLOSED;
		}
	}
	return 0;
}

static void resume_reading(struct lp2p_conn *c);

/* Write what fits; keep the rest in wbuf and wait for the socket. */
static int write_out(struct lp2p_conn *c, const uint8_t *p, size_t n,
                     bool from_wbuf)
{
	for (;;) {
		ssize_t w = c->pipe->ops->write(c->pipe, p, n);
		if (w < 0) {
			lp2p_conn_kill(c, (int)w, c->pipe->why);
			return (int)w;
		}
		size_t done = (size_t)w;
		if (from_wbuf)
			lp2p_buf_consume(&c->wbuf, done);
		else if (done < n &&
		         lp2p_buf_append(&c->wbuf, p + done, n - done)) {
			lp2p_conn_kill(c, LP2P_ENOMEM, NULL);
			return LP2P_ENOMEM;
		}
		if (done) { /* progress: the stall clock starts again */
			ev_timer_again(c->sw->loop->ev, &c->stall_timer);
			const struct lp2p_limits *l = &c->sw->cfg->limits;
			if (!lp2p_write_meter_took(
			        &c->out_rate, lp2p_loop_now_ms(c->sw->loop),
			        done, l->write_timeout_ms, l->min_write_rate)) {
				lp2p_conn_kill(c, LP2P_ELIMIT,
				               "the peer reads slower than "
				               "limits.min_write_rate");
				return LP2P_ELIMIT;
			}
		}
		if (done < n) {
			watch(c, c->watch_read, true);
			lp2p_write_meter_pending(&c->out_rate,
			                         lp2p_loop_now_ms(c->sw->loop));
			return LP2P_EAGAIN;
		}
		return 0;
	}
}

/*
 * Send pending output: first what waits in wbuf, then everything the
 * framers produced since, sealed into the swarm's shared write buffer and
 * written with one call.  Only bytes the socket does not take are copied
 * into the connection's own wbuf.
 */
void lp2p_conn_flush(struct lp2p_conn *c)
{
	struct lp2p_swarm *sw = c->sw;
	if (c->state == CONN_DEAD)
		return;
	bool collected = false; /* the muxer's output was drained */
	lp2p_conn_ref(c);
	for (;;) {
		size_t n = lp2p_buf_avail(&c->wbuf);
		if (n) {
			if (write_out(c, lp2p_buf_data(&c->wbuf), n, true))
				break;
			continue;
		}
		struct lp2p_buf tmp = {.p = sw->wscratch,
		                       .cap = sw->wscratch_cap};
		collected = true;
		int rc = collect_output(c, &tmp);
		if (tmp.p != sw->wscratch) { /* grew: keep the larger one */
			sw->wscratch = tmp.p;
			sw->wscratch_cap = tmp.cap;
		}
		if (rc) {
			if (c->state != CONN_DEAD)
				lp2p_conn_kill(c, rc, "producing output");
			break;
		}
		if (tmp.len == 0 ||
		    write_out(c, tmp.p, tmp.len, false))
			break;
	}
	if (c->state != CONN_DEAD && lp2p_buf_avail(&c->wbuf) == 0) {
		watch(c, c->watch_read, false);
		ev_timer_stop(sw->loop->ev, &c->stall_timer);
		lp2p_write_meter_drained(&c->out_rate);
	} else if (c->state != CONN_DEAD && !ev_is_active(&c->stall_timer)) {
		ev_timer_again(sw->loop->ev, &c->stall_timer);
	}
	/* Reading paused because the muxer's output was full; only a
	 * collect makes room in it.  Resuming without one would pause
	 * again at once and mark the connection dirty: on_prepare would
	 * flush it again, forever, while the peer does not read. */
	if (c->state != CONN_DEAD && c->reading_paused && collected &&
	    lp2p_buf_avail(&c->wbuf) < LP2P_CONN_WBUF_HIWAT)
		resume_reading(c);
	lp2p_conn_account(c);
	lp2p_conn_unref(c);
}

/* Bytes this connection holds in buffers of its own. */
static size_t conn_buffered(struct lp2p_conn *c)
{
	/* (data held for paused streams counts in their own scopes) */
	size_t n = lp2p_buf_avail(&c->wbuf) + lp2p_buf_avail(&c->rx_keep) +
	           lp2p_buf_avail(&c->plain_keep);
	if (c->mux) {
		uint8_t *p;
		n += c->mx->out_peek(c->mux, &p);
	}
	return n;
}

/*
 * Charge the connection's buffers to its scopes.  Over the limit of the
 * connection or of its peer, the connection is closed.  Over the
 * transient or system limit, a connection holding more than its share
 * (that limit divided among the connections in the scope) is closed: many
 * peers that each stall a little cannot together exhaust memory.  New
 * inbound connections are refused while the system is over its limit.
 */
void lp2p_conn_account(struct lp2p_conn *c)
{
	size_t now = c->state == CONN_DEAD ? 0 : conn_buffered(c);
	int64_t delta = (int64_t)now - (int64_t)c->accounted;
	if (delta == 0)
		return;
	c->accounted = now;
	struct lp2p_rc_scope *over = lp2p_rc_charge_memory(&c->rc, delta);
	if (!over || delta < 0 || c->state == CONN_DEAD)
		return;
	if (over->kind == LP2P_SCOPE_SYSTEM ||
	    over->kind == LP2P_SCOPE_TRANSIENT) {
		uint64_t conns = (uint64_t)over->use.inbound_connections +
		                 over->use.outbound_connections;
		if (now <= over->limit->memory / (conns ? conns : 1))
			return;
	}
	char why[128];
	snprintf(why, sizeof why,
	         "%s memory limit (%zu bytes held here, %llu in the scope)",
	         lp2p_rc_kind_name(over->kind), now,
	         (unsigned long long)over->use.memory);
	lp2p_conn_kill(c, LP2P_ELIMIT, why);
}

void lp2p_conn_hold_reading(struct lp2p_conn *c, bool hold)
{
	if (c->reading_held == hold || c->state == CONN_DEAD)
		return;
	c->reading_held = hold;
	if (hold) {
		watch(c, false, c->watch_write);
		c->held_since_ms = lp2p_loop_now_ms(c->sw->loop);
		ev_timer_again(c->sw->loop->ev, &c->phase_timer);
	} else {
		ev_timer_stop(c->sw->loop->ev, &c->phase_timer);
		if (!c->reading_paused)
			watch(c, true, c->watch_write);
	}
}

/*
 * While reading is held for paused streams we do not see the peer close
 * the connection (its end waits behind unread data), so ask the pipe;
 * and a stream that holds the connection for longer than
 * write_timeout is reset, so one slow reader cannot stop the rest for good.
 */
static void held_tick(struct lp2p_conn *c)
{
	if (c->pipe->ops->remote_closed(c->pipe)) {
		lp2p_conn_kill(c, LP2P_ECLOSED, "remote closed the connection");
		return;
	}
	uint64_t limit = c->sw->cfg->limits.write_timeout_ms;
	if (limit && lp2p_loop_now_ms(c->sw->loop) - c->held_since_ms >= limit)
		lp2p_streams_shed_largest(c);
}


/* ---- upgrade steps ---- */

static bool select_security(void *user, const char *proto, size_t len)
{
	(void)len;
	struct lp2p_conn *c = user;
	for (size_t i = 0; i < c->sw->nsecurity; i++)
		if (strcmp(c->sw->security[i], proto) == 0)
			return true;
	return false;
}

static bool select_muxer(void *user, const char *proto, size_t len)
{
	(void)len;
	struct lp2p_conn *c = user;
	for (size_t i = 0; i < c->sw->nmuxers; i++)
		if (strcmp(c->sw->muxers[i], proto) == 0)
			return true;
	return false;
}

static int start_mux(struct lp2p_conn *c, const char *proto)
{
	const struct lp2p_session_ops *mx = lp2p_swarm_muxer(c->sw, proto);
	if (!mx)
		return LP2P_ENEGOTIATE;
	c->muxer = mx->protocol_id;
	struct lp2p_mux_config mc;
	lp2p_mux_config_default(&mc);
	/* the swarm refuses first (scopes); the muxer's own cap agrees */
	const struct lp2p_resource_limits *cl = &c->sw->cfg->limits.conn;
	mc.max_inbound_streams = cl->inbound_streams < UINT32_MAX
	                                 ? (uint32_t)cl->inbound_streams
	                                 : UINT32_MAX;
	mc.max_outbound_streams = cl->outbound_streams < UINT32_MAX
	                                  ? (uint32_t)cl->outbound_streams
	                                  : UINT32_MAX;
	/* yamux: a 1 MiB receive window per stream (announced with the
	 * SYN/ACK).  With the spec's 256 KiB a sender on loopback idled
	 * between window updates at half the speed (8 vs 15 Gbit/s); what a
	 * paused stream may then hold is bounded by the stream and
	 * connection memory limits. */
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
	c->phase_timer.repeat = LP2P_CONN_HELD_TICK; /* for held_tick */
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

static int start_secure(struct lp2p_conn *c, size_t which)
{
	struct lp2p_secure_config sc = {
		.initiator = c->dir == LP2P_OUTBOUND,
		.identity = c->sw->identity,
		.expected_peer = c->have_expected_peer ? &c->peer : NULL,
		.muxers = c->sw->muxers,
		.n_muxers = c->sw->nmuxers,
		.ctx = c->sw->security_ctx[which],
	};
	c->sec = c->sw->security_ops[which];
	c->security = c->sec->protocol_id;
	c->state = CONN_SEC_HANDSHAKE;
	return c->sec->hs_new(&sc, &c->hs);
}

/* The handshake is complete: check, split, choose the muxer. */
static int finish_secure(struct lp2p_conn *c)
{
	c->peer = *c->sec->hs_remote_peer(c->hs);
	const char *early = c->sec->hs_selected_muxer(c->hs);
	const struct lp2p_session_ops *early_mx =
		early ? lp2p_swarm_muxer(c->sw, early) : NULL;
	/* The last handshake message must leave before transport frames. */
	const uint8_t *p;
	size_t n = c->sec->hs_output(c->hs, &p);
	int rc;
	if (n) {
		if ((rc = lp2p_buf_append(&c->wbuf, p, n)))
			return rc;
		c->sec->hs_output_ack(c->hs, n);
	}
	rc = c->sec->hs_split(c->hs, &c->session);
	if (rc)
		return rc;
	c->sec->hs_free(c->hs);
	c->hs = NULL;
	c->secure = true;
	if (early_mx)
		return start_mux(c, early_mx->protocol_id);
	c->state = CONN_MUX_NEGOTIATE;
	if (c->dir == LP2P_OUTBOUND)
		return lp2p_mss_dialer_new(&c->mss, c->sw->muxers,
		                           c->sw->nmuxers);
	return lp2p_mss_listener_new(&c->mss, select_muxer, c, 0);
}

/*
 * Feed a connection-level negotiation.  A negotiation stops consuming when
 * its (tiny) output is full; move that output to wbuf and retry once.
 */
static ssize_t mss_feed(struct lp2p_conn *c, const uint8_t *p, size_t n)
{
	ssize_t used = lp2p_mss_recv(c->mss, p, n);
	if (used == 0 && n && lp2p_mss_result(c->mss, NULL, NULL) ==
	                              LP2P_EAGAIN) {
		int rc = collect_output(c, &c->wbuf);
		if (rc)
			return rc;
		used = lp2p_mss_recv(c->mss, p, n);
	}
	return used;
}

/* Plaintext after the secure channel is up. */
static int process_plain(struct lp2p_conn *c, const uint8_t *p, size_t n)
{
	while (n && c->state != CONN_DEAD) {
		if (c->state == CONN_MUX_NEGOTIATE) {
			ssize_t used = mss_feed(c, p, n);
			if (used < 0)
				return (int)used;
			p += used;
			n -= (size_t)used;
			const char *proto;
			int st = lp2p_mss_result(c->mss, &proto, NULL);
			if (st == LP2P_EAGAIN) {
				if (n == 0)
					break;
				return LP2P_EPROTO; /* stuck: cannot happen */
			}
			if (st < 0)
				return st;
			/* proto belongs to the negotiation: use it first */
			const struct lp2p_session_ops *mx =
				lp2p_swarm_muxer(c->sw, proto);
			if (!mx)
				return LP2P_ENEGOTIATE;
			/* send the final echo before any muxer frame */
			int rc = collect_output(c, &c->wbuf);
			lp2p_mss_free(c->mss);
			c->mss = NULL;
			if (rc || (rc = start_mux(c, mx->protocol_id)))
				return rc;
			continue;
		}
		if (c->state != CONN_READY)
			return LP2P_EPROTO;
		ssize_t used = c->mx->recv(c->mux, p, n);
		if (used < 0)
			return (int)used;
		p += used;
		n -= (size_t)used;
		if (n) {
			/* The muxer's output is full: keep the rest and stop
			 * reading until the socket drains. */
			int rc = lp2p_buf_append(&c->plain_keep, p, n);
			if (rc)
				return rc;
			c->reading_paused = true;
			watch(c, false, c->watch_write);
			lp2p_swarm_mark_dirty(c);
			break;
		}
	}
	return 0;
}

/* Wire bytes; returns how many were consumed or an error. */
static ssize_t process_wire(struct lp2p_conn *c, uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len && c->state != CONN_DEAD) {
		uint8_t *p = buf + done;
		size_t n = len - done;
		switch (c->state) {
		case CONN_SEC_NEGOTIATE: {
			ssize_t used = mss_feed(c, p, n);
			if (used < 0)
				return used;
			done += (size_t)used;
			const char *proto;
			int st = lp2p_mss_result(c->mss, &proto, NULL);
			if (st == LP2P_EAGAIN) {
				if (used == 0)
					return (ssize_t)done;
				continue;
			}
			if (st < 0)
				return st;
			/* proto belongs to the negotiation: use it first */
			size_t which = 0;
			while (which < c->sw->nsecurity &&
			       strcmp(proto, c->sw->security[which]) != 0)
				which++;
			int rc = collect_output(c, &c->wbuf);
			lp2p_mss_free(c->mss);
			c->mss = NULL;
			if (rc)
				return rc;
			if (which == c->sw->nsecurity)
				return LP2P_ENOTSUP;
			if ((rc = start_secure(c, which)))
				return rc;
			break;
		}
		case CONN_SEC_HANDSHAKE: {
			ssize_t used = c->sec->hs_feed(c->hs, p, n);
			if (used < 0)
				return used;
			done += (size_t)used;
			if (c->sec->hs_done(c->hs)) {
				int rc = finish_secure(c);
				if (rc)
					return rc;
			} else if (used == 0) {
				return (ssize_t)done; /* partial frame */
			}
			break;
		}
		case CONN_MUX_NEGOTIATE:
		case CONN_READY: {
			struct lp2p_secure_span spans[16];
			size_t nspans = 0;
			ssize_t used = c->sec->open(c->session, p, n, spans,
			                            16, &nspans);
			if (used < 0)
				return used;
			done += (size_t)used;
			for (size_t i = 0; i < nspans; i++) {
				if (c->reading_paused) {
					/* keep decrypted data in order */
					int rc = lp2p_buf_append(
						&c->plain_keep, spans[i].data,
						spans[i].len);
					if (rc)
						return rc;
					continue;
				}
				int rc = process_plain(c, spans[i].data,
				                       spans[i].len);
				if (rc)
					return rc;
			}
			if (used == 0)
				return (ssize_t)done; /* partial frame */
			break;
		}
		case CONN_DEAD:
			break;
		}
	}
	return (ssize_t)done;
}

static void conn_process(struct lp2p_conn *c, uint8_t *buf, size_t len)
{
	ssize_t used = process_wire(c, buf, len);
	if (c->state == CONN_DEAD)
		return;
	if (used < 0) {
		const char *why = NULL;
		if (c->hs)
			why = c->sec->hs_error_reason(c->hs);
		else if (c->session)
			why = c->sec->session_error_reason(c->session);
		/* a TLS alert or the muxer's GoAway tells the remote why */
		if (c->hs || c->mux)
			(void)collect_output(c, &c->wbuf);
		lp2p_conn_kill(c, (int)used, why && *why ? why : NULL);
		return;
	}
	if ((size_t)used < len &&
	    lp2p_buf_append(&c->rx_keep, buf + used, len - (size_t)used)) {
		lp2p_conn_kill(c, LP2P_ENOMEM, NULL);
		return;
	}
	lp2p_conn_account(c);
	if (c->state != CONN_DEAD)
		lp2p_swarm_mark_dirty(c);
}

static void resume_reading(struct lp2p_conn *c)
{
	c->reading_paused = false;
	if (lp2p_buf_avail(&c->plain_keep)) {
		/* Take the held plaintext out first: process may keep some
		 * again (and pause again). */
		struct lp2p_buf held = c->plain_keep;
		c->plain_keep = (struct lp2p_buf){0};
		int rc = process_plain(c, lp2p_buf_data(&held),
		                       lp2p_buf_avail(&held));
		lp2p_buf_release(&held);
		if (rc) {
			lp2p_conn_kill(c, rc, NULL);
			return;
		}
	}
	if (!c->reading_paused && !c->reading_held && c->state != CONN_DEAD)
		watch(c, true, c->watch_write);
}

static void on_readable(struct lp2p_conn *c)
{
	struct lp2p_swarm *sw = c->sw;
	/* A partial unit kept from the last read goes first.  rx_keep is
	 * released only once the read brought more: a read with nothing
	 * (a spurious wakeup) must keep it without copying it back (which
	 * could fail and lose it). */
	size_t kept = lp2p_buf_avail(&c->rx_keep);
	if (kept)
		memcpy(sw->scratch, lp2p_buf_data(&c->rx_keep), kept);
	ssize_t n = c->pipe->ops->read(c->pipe, sw->scratch + kept,
	                               sw->scratch_cap - kept);
	if (n == LP2P_EAGAIN)
		return;
	lp2p_buf_release(&c->rx_keep);
	if (n < 0) {
		lp2p_conn_kill(c, (int)n, c->pipe->why);
		return;
	}
	if (n == 0) {
		lp2p_conn_kill(c, c->state == CONN_READY ? LP2P_ECLOSED
		                                         : LP2P_EPROTO,
		               "remote closed the connection");
		return;
	}
	lp2p_conn_ref(c);
	lp2p_conn_touch(c);
	conn_process(c, sw->scratch, kept + (size_t)n);
	lp2p_conn_unref(c);
}

static void on_phase_timer(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_conn *c = w->data;
	if (c->state == CONN_READY)
		held_tick(c);
	else
		lp2p_conn_kill(c, LP2P_ETIMEDOUT,
		               "connection upgrade took too long");
}

/* The peer took none of our output for write_timeout: it stopped reading.
 * Holding its buffers forever would let it pin our memory. */
static void on_write_stall(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_conn *c = w->data;
	lp2p_conn_kill(c, LP2P_ETIMEDOUT, "the peer stopped reading");
}

static void on_pipe_event(void *arg, struct lp2p_pipe *p, int events)
{
	(void)p;
	struct lp2p_conn *c = arg;
	if (events & LP2P_PIPE_WRITABLE)
		lp2p_conn_flush(c);
	if ((events & LP2P_PIPE_READABLE) && c->state != CONN_DEAD)
		on_readable(c);
}

int lp2p_conn_start(struct lp2p_swarm *sw, struct lp2p_pipe *pipe,
                    enum lp2p_direction dir,
                    const struct lp2p_multiaddr *remote,
                    const struct lp2p_peer_id *expected,
                    struct lp2p_dial *dial, struct lp2p_conn **out)
{
	struct lp2p_conn *c = calloc(1, sizeof *c);
	if (!c) {
		pipe->ops->abort(pipe);
		return LP2P_ENOMEM;
	}
	c->sw = sw;
	c->dir = dir;
	c->id = ++sw->next_conn_id;
	c->refs = 1; /* the list's */
	c->state = CONN_SEC_NEGOTIATE;
	c->dial = dial;
	if (expected) {
		c->have_expected_peer = true;
		c->peer = *expected;
	}
	/* Counted in the transient scope until upgraded. */
	struct lp2p_rc_scope *up[2] = {&sw->rc.transient, &sw->rc.system};
	lp2p_rc_scope_init(&c->rc, &sw->rc, LP2P_SCOPE_CONNECTION,
	                   &sw->cfg->limits.conn);
	lp2p_rc_scope_link(&c->rc, up, 2);
	lp2p_rc_amount own = {.fds = pipe->holds_fd};
	if (dir == LP2P_INBOUND)
		own.inbound_connections = 1;
	else
		own.outbound_connections = 1;
	const struct lp2p_rc_scope *blocked = NULL;
	if (lp2p_rc_reserve(&c->rc, &own, &blocked)) {
		lp2p_swarm_log_limit(sw, "connection", blocked);
		lp2p_rc_scope_close(&c->rc);
		free(c);
		pipe->ops->abort(pipe);
		return LP2P_ELIMIT;
	}
	struct lp2p_multiaddr local;
	pipe->ops->local_addr(pipe, &local);
	int rc = lp2p_packed_ma_set(&c->remote_addr, remote);
	if (!rc)
		rc = lp2p_packed_ma_set(&c->local_addr, &local);
	if (!rc)
		rc = dir == LP2P_OUTBOUND
		             ? lp2p_mss_dialer_new(&c->mss, sw->security,
		                                   sw->nsecurity)
		             : lp2p_mss_listener_new(&c->mss, select_security,
		                                     c, 0);
	if (rc) {
		lp2p_packed_ma_release(&c->remote_addr);
		lp2p_packed_ma_release(&c->local_addr);
		lp2p_rc_scope_close(&c->rc);
		free(c);
		pipe->ops->abort(pipe);
		return rc;
	}
	c->pipe = pipe;
	pipe->on_event = on_pipe_event;
	pipe->arg = c;
	ev_timer_init(&c->phase_timer, on_phase_timer,
	              (double)sw->cfg->limits.handshake_timeout_ms / 1000.0, 0);
	c->phase_timer.data = c;
	ev_init(&c->stall_timer, on_write_stall);
	c->stall_timer.repeat = (double)sw->cfg->limits.write_timeout_ms / 1000.0;
	c->stall_timer.data = c;
	c->opened_ms = lp2p_loop_now_ms(sw->loop);
	c->last_active_ms = c->opened_ms;

	c->next = sw->conns;
	if (sw->conns)
		sw->conns->prev = c;
	sw->conns = c;
	sw->nconns_pending++;

	watch(c, true, false);
	ev_timer_start(sw->loop->ev, &c->phase_timer);
	lp2p_swarm_mark_dirty(c); /* the multistream header goes out */
	if (out)
		*out = c;
	return 0;
}

/* ---- public accessors ---- */

LP2P_API const struct lp2p_peer_id *lp2p_conn_peer(const lp2p_conn *c)
{
	return &c->peer;
}

LP2P_API enum lp2p_direction lp2p_conn_direction(const lp2p_conn *c)
{
	return c->dir;
}

LP2P_API int lp2p_conn_remote_addr(const lp2p_conn *c,
                                   struct lp2p_multiaddr *out)
{
	if (!c || !out)
		return LP2P_EINVAL;
	lp2p_packed_ma_get(&c->remote_addr, out);
	return 0;
}

LP2P_API int lp2p_conn_local_addr(const lp2p_conn *c,
                                  struct lp2p_multiaddr *out)
{
	if (!c || !out)
		return LP2P_EINVAL;
	lp2p_packed_ma_get(&c->local_addr, out);
	return 0;
}

LP2P_API const char *lp2p_conn_security(const lp2p_conn *c)
{
	return c->security ? c->security : "";
}

LP2P_API const char *lp2p_conn_muxer(const lp2p_conn *c)
{
	return c->muxer ? c->muxer : "";
}

LP2P_API uint64_t lp2p_conn_id(const lp2p_conn *c)
{
	return c->id;
}

LP2P_API size_t lp2p_conn_stream_count(const lp2p_conn *c)
{
	return c->nstreams;
}

LP2P_API void lp2p_conn_close(lp2p_conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->mux) {
		c->mx->goaway(c->mux);
		(void)collect_output(c, &c->wbuf);
	}
	lp2p_conn_kill(c, 0, NULL);
}

/* Tags are few and rarely change: the array is sized to fit them, and an
 * unprotected connection holds none. */
LP2P_API int lp2p_conn_protect(lp2p_conn *c, const char *tag)
{
	if (c->nprotect >= LP2P_CONN_MAX_PROTECT)
		return LP2P_ELIMIT;
	const char **tags =
		realloc(c->protect, (c->nprotect + 1) * sizeof *tags);
	if (!tags)
		return LP2P_ENOMEM;
	tags[c->nprotect++] = tag;
	c->protect = tags;
	return 0;
}

LP2P_API void lp2p_conn_unprotect(lp2p_conn *c, const char *tag)
{
	for (size_t i = 0; i < c->nprotect; i++) {
		if (strcmp(c->protect[i], tag) == 0) {
			c->protect[i] = c->protect[--c->nprotect];
			if (c->nprotect == 0) {
				free(c->protect);
				c->protect = NULL;
			}
			return;
		}
	}
}
