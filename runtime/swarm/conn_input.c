/*
 * conn_input.c - a connection's input: reads from the pipe into the
 * swarm's shared read buffer (after the private network's cipher, if
 * any), the upgrader's bytes while it runs, then sealed frames opened in
 * place and their plaintext pushed into the muxed session.  Only a
 * partial unit left at the end of a read is kept per connection (rx_keep),
 * and plaintext the session cannot take while its output is full
 * (plain_keep, with reading paused).
 */
#include <stdio.h>
#include <string.h>

#include "pnet/pnet.h"
#include "swarm/conn_internal.h"

int lp2p_conn_feed_session(struct lp2p_conn *c, const uint8_t *p, size_t n)
{
	if (c->reading_paused) /* keep decrypted data in order */
		return n ? lp2p_buf_append(&c->plain_keep, p, n) : 0;
	while (n && c->state == CONN_READY) {
		ssize_t used = c->mx->recv(c->mux, p, n);
		if (used < 0)
			return (int)used;
		p += used;
		n -= (size_t)used;
		if (n) {
			/* The session's output is full: keep the rest and stop
			 * reading until the pipe drains. */
			int rc = lp2p_buf_append(&c->plain_keep, p, n);
			if (rc)
				return rc;
			c->reading_paused = true;
			lp2p_conn_watch(c, false, c->watch_write);
			lp2p_swarm_mark_dirty(c);
			break;
		}
	}
	return 0;
}

/* Sealed frames of the secure channel, opened in place. */
static ssize_t open_frames(struct lp2p_conn *c, uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len && c->state == CONN_READY) {
		struct lp2p_secure_span spans[16];
		size_t nspans = 0;
		ssize_t used = c->sec->open(c->session, buf + done, len - done,
		                            spans, 16, &nspans);
		if (used < 0)
			return used;
		done += (size_t)used;
		for (size_t i = 0; i < nspans; i++) {
			int rc = lp2p_conn_feed_session(c, spans[i].data,
			                                spans[i].len);
			if (rc)
				return rc;
		}
		if (used == 0)
			break; /* partial frame */
	}
	return (ssize_t)done;
}

/* Wire bytes; returns how many were consumed or an error. */
static ssize_t process_wire(struct lp2p_conn *c, uint8_t *buf, size_t len)
{
	size_t done = 0;
	if (c->state == CONN_UPGRADING) {
		ssize_t used = lp2p_conn_upgrade_recv(c, buf, len);
		if (used < 0 || c->state != CONN_READY)
			return used;
		done = (size_t)used;
	}
	ssize_t used = open_frames(c, buf + done, len - done);
	return used < 0 ? used : (ssize_t)done + used;
}

static void conn_process(struct lp2p_conn *c, uint8_t *buf, size_t len)
{
	ssize_t used = process_wire(c, buf, len);
	if (c->state == CONN_DEAD)
		return;
	if (used < 0) {
		const char *why = NULL;
		if (c->state == CONN_READY)
			why = c->sec->session_error_reason(c->session);
		/* the security protocol's alert or the session's GoAway tells
		 * the remote why */
		(void)lp2p_conn_collect(c, &c->wbuf);
		lp2p_conn_kill(c, (int)used, why && *why ? why : NULL);
		return;
	}
	if ((size_t)used < len &&
	    lp2p_buf_append(&c->rx_keep, buf + used, len - (size_t)used)) {
		lp2p_conn_kill(c, LP2P_ENOMEM, "keeping a partial frame");
		return;
	}
	lp2p_conn_account(c);
	if (c->state != CONN_DEAD)
		lp2p_swarm_mark_dirty(c);
}

void lp2p_conn_resume_reading(struct lp2p_conn *c)
{
	c->reading_paused = false;
	if (lp2p_buf_avail(&c->plain_keep)) {
		/* Take the held plaintext out first: feeding may keep some
		 * again (and pause again). */
		struct lp2p_buf held = c->plain_keep;
		c->plain_keep = (struct lp2p_buf){0};
		int rc = lp2p_conn_feed_session(c, lp2p_buf_data(&held),
		                                lp2p_buf_avail(&held));
		lp2p_buf_release(&held);
		if (rc) {
			lp2p_conn_kill(c, rc, NULL);
			return;
		}
	}
	if (!c->reading_paused && !c->reading_held && c->state != CONN_DEAD)
		lp2p_conn_watch(c, true, c->watch_write);
}

void lp2p_conn_on_readable(struct lp2p_conn *c)
{
	struct lp2p_swarm *sw = c->sw;
	/* A partial unit kept from the last read goes first.  rx_keep is
	 * released only once the read brought more: a read with nothing
	 * (a spurious wakeup) keeps it without copying it back (a copy
	 * that could fail would lose it). */
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
	size_t len = kept + (size_t)n;
	if (c->pnet) {
		/* the peer's nonce (its first bytes) is not for the upgrader */
		uint8_t *fresh = sw->scratch + kept;
		size_t nonce = lp2p_pnet_recv(c->pnet, fresh, (size_t)n);
		if (nonce) {
			memmove(fresh, fresh + nonce, (size_t)n - nonce);
			len -= nonce;
		}
	}
	lp2p_conn_ref(c);
	lp2p_conn_touch(c);
	conn_process(c, sw->scratch, len);
	lp2p_conn_unref(c);
}
