/*
 * conn_output.c - a connection's output: what the upgrader or the muxed
 * session produced, sealed by the secure channel (and encrypted again by
 * the private network's cipher, if any), collected in the swarm's shared
 * write buffer and written to the pipe once per loop iteration.  Only
 * bytes the pipe does not take are copied into the connection's own wbuf.
 */
#include <stdio.h>
#include <string.h>

#include "pnet/pnet.h"
#include "swarm/conn_internal.h"

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

/* Pull what the upgrader or the session has produced into out. */
static int collect_plain(struct lp2p_conn *c, struct lp2p_buf *out)
{
	int rc;
	if (c->up) {
		/* its bytes are ready for the wire (sealed where due); they
		 * come in several pieces */
		const uint8_t *p;
		size_t n;
		while ((n = lp2p_upgrader_output(c->up, &p))) {
			if ((rc = lp2p_buf_append(out, p, n)))
				return rc;
			lp2p_upgrader_output_ack(c->up, n);
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

int lp2p_conn_collect(struct lp2p_conn *c, struct lp2p_buf *out)
{
	size_t before = lp2p_buf_avail(out);
	int rc = collect_plain(c, out);
	/* Every byte for the wire passes the private network's cipher once,
	 * in order: the new ones are at the end (a buffer may have moved
	 * its contents to the front while growing). */
	size_t added = lp2p_buf_avail(out) - before;
	if (c->pnet && added)
		lp2p_pnet_seal(c->pnet, out->p + out->len - added, added);
	return rc;
}

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
			lp2p_conn_watch(c, c->watch_read, true);
			lp2p_write_meter_pending(&c->out_rate,
			                         lp2p_loop_now_ms(c->sw->loop));
			return LP2P_EAGAIN;
		}
		return 0;
	}
}

/*
 * Send pending output: first what waits in wbuf, then everything the
 * upgrader or the session produced since, sealed into the swarm's shared write buffer and
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
		int rc = lp2p_conn_collect(c, &tmp);
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
		lp2p_conn_watch(c, c->watch_read, false);
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
		lp2p_conn_resume_reading(c);
	lp2p_conn_account(c);
	lp2p_conn_unref(c);
}

