/*
 * conn.c - one connection's life: started over a transport's byte pipe,
 * upgraded (conn_upgrade.c), its input and output (conn_input.c,
 * conn_output.c), its buffers charged to its scopes (conn_account.c), its
 * deadlines, and its end, when the pipe goes back to the transport to
 * close gracefully.  And the public calls on a connection.
 *
 *   pipe -> [private network] -> upgrader (multistream, security, muxer)
 *        -> muxed session (streams)
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>

#include "pnet/pnet.h"
#include "swarm/conn_internal.h"

/* Tell the pipe which events we want (only when that changes). */
void lp2p_conn_watch(struct lp2p_conn *c, bool read, bool write)
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
	lp2p_upgrader_free(c->up);
	lp2p_pnet_free(c->pnet);
	if (c->sec)
		c->sec->session_free(c->session);
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
	if (c->state == CONN_READY) { /* authenticated */
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
	if (was == CONN_UPGRADING && reason < 0)
		why = lp2p_conn_upgrade_failure(c, reason, why);
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

static void on_phase_timer(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_conn *c = w->data;
	if (c->state == CONN_READY) {
		lp2p_conn_held_tick(c);
		return;
	}
	uint64_t limit = c->sw->cfg->limits.handshake_timeout_ms;
	uint64_t spent = lp2p_loop_now_ms(c->sw->loop) - c->opened_ms;
	if (c->pnet && lp2p_pnet_status(c->pnet) != 0) {
		/* a member of our private network answers at once */
		lp2p_conn_kill(c, LP2P_ETIMEDOUT, NULL);
	} else if (spent < limit) {
		ev_timer_set(w, (double)(limit - spent) / 1000.0, 0);
		ev_timer_start(c->sw->loop->ev, w);
	} else {
		lp2p_conn_kill(c, LP2P_ETIMEDOUT,
		               "connection upgrade took too long");
	}
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
		lp2p_conn_on_readable(c);
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
	c->state = CONN_UPGRADING;
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
		rc = lp2p_conn_upgrade_start(c);
	if (rc) {
		lp2p_rc_scope_close(&c->rc);
		c->state = CONN_DEAD;
		conn_free(c);
		pipe->ops->abort(pipe);
		return rc;
	}
	c->pipe = pipe;
	pipe->on_event = on_pipe_event;
	pipe->arg = c;
	/* Under a private network the peer's header must come first, and
	 * soon: a listener with another key may wait for ours for good. */
	uint64_t first = sw->cfg->limits.handshake_timeout_ms;
	if (c->pnet && first > LP2P_CONN_PNET_CHECK_MS)
		first = LP2P_CONN_PNET_CHECK_MS;
	ev_timer_init(&c->phase_timer, on_phase_timer, (double)first / 1000.0,
	              0);
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

	lp2p_conn_watch(c, true, false);
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
		(void)lp2p_conn_collect(c, &c->wbuf);
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
