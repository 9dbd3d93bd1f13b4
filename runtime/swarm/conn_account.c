/*
 * conn_account.c - what a connection holds: its buffers charged to its
 * resource scopes (over a limit it is closed), and reading held while its
 * paused streams hold too much (the only backpressure of a session
 * without flow control).
 */
#include <stdio.h>

#include "swarm/conn_internal.h"

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
		lp2p_conn_watch(c, false, c->watch_write);
		c->held_since_ms = lp2p_loop_now_ms(c->sw->loop);
		ev_timer_again(c->sw->loop->ev, &c->phase_timer);
	} else {
		ev_timer_stop(c->sw->loop->ev, &c->phase_timer);
		if (!c->reading_paused)
			lp2p_conn_watch(c, true, c->watch_write);
	}
}

/*
 * While reading is held for paused streams we do not see the peer close
 * the connection (its end waits behind unread data), so ask the pipe;
 * and a stream that holds the connection for longer than
 * write_timeout is reset, so one slow reader cannot stop the rest for good.
 */
void lp2p_conn_held_tick(struct lp2p_conn *c)
{
	if (c->pipe->ops->remote_closed(c->pipe)) {
		lp2p_conn_kill(c, LP2P_ECLOSED, "remote closed the connection");
		return;
	}
	uint64_t limit = c->sw->cfg->limits.write_timeout_ms;
	if (limit && lp2p_loop_now_ms(c->sw->loop) - c->held_since_ms >= limit)
		lp2p_streams_shed_largest(c);
}
