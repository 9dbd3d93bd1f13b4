/* swarm.c - the swarm: listeners, the connection table, batched flushing */
#include <stdio.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#include <lp2p/log.h>

#include "swarm/swarm.h"

/*
 * Once per loop iteration, before the loop blocks: flush every connection
 * that has output, so frames produced by many calls go out in one sealed
 * batch and one write per connection.
 */
static void on_prepare(struct ev_loop *ev, ev_prepare *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_swarm *sw = w->data;
	/* A flush may end streams too (a waiting open the muxer refuses):
	 * their news must not wait for the next event. */
	do {
		lp2p_streams_deliver_closed(sw);
		while (sw->dirty) {
			struct lp2p_conn *c = sw->dirty;
			sw->dirty = c->dirty_next;
			c->dirty_next = NULL;
			c->dirty = false;
			lp2p_conn_flush(c);
			lp2p_conn_unref(c);
		}
	} while (sw->closed_streams);
}

void lp2p_swarm_mark_dirty(struct lp2p_conn *c)
{
	if (c->dirty || c->state == CONN_DEAD)
		return;
	c->dirty = true;
	lp2p_conn_ref(c);
	c->dirty_next = c->sw->dirty;
	c->sw->dirty = c;
}

const struct lp2p_session_ops *lp2p_swarm_muxer(const struct lp2p_swarm *sw,
                                                const char *protocol_id)
{
	for (size_t i = 0; i < sw->nmuxers; i++)
		if (strcmp(sw->muxers[i], protocol_id) == 0)
			return sw->muxer_ops[i];
	return NULL;
}

/* Descriptors kept for listeners, plugins and the daemon's own files. */
#define FDS_RESERVED 64

/* limits.system.fds, or (unset) the open-file limit less the reserve. */
static uint64_t system_fds(const struct lp2p_config *cfg)
{
	if (!cfg->limits.system_fds_auto)
		return cfg->limits.system.fds;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return LP2P_RESOURCE_UNLIMITED;
	uint64_t n = rl.rlim_cur;
	return n > 2 * FDS_RESERVED ? n - FDS_RESERVED : n / 2;
}

int lp2p_swarm_init(struct lp2p_swarm *sw, struct lp2p_loop *loop,
                    const struct lp2p_config *cfg, struct lp2p_key *identity,
                    const struct lp2p_swarm_callbacks *cb, void *cb_arg,
                    char *err, size_t errlen)
{
	*sw = (struct lp2p_swarm){0};
	sw->cb = cb;
	sw->cb_arg = cb_arg;
	sw->loop = loop;
	sw->cfg = cfg;
	sw->identity = identity;
	/* Ready before anything can fail: lp2p_swarm_fini() runs it. */
	ev_prepare_init(&sw->flush_watcher, on_prepare);
	sw->flush_watcher.data = sw;
	int rc = lp2p_peer_id_from_key(identity, &sw->self);
	if (rc) {
		snprintf(err, errlen, "cannot derive the peer id: %s",
		         lp2p_strerror(rc));
		return rc;
	}
	/* The muxer list first: a security protocol's per-host state may
	 * announce it (early muxer negotiation). */
	for (size_t i = 0; i < cfg->muxers.n; i++) {
		const struct lp2p_session_ops *ops =
			lp2p_session_by_name(cfg->muxers.v[i]);
		if (!ops) {
			snprintf(err, errlen, "muxer '%s' is not available in "
			         "this build", cfg->muxers.v[i]);
			return LP2P_ECONFIG;
		}
		if (lp2p_swarm_muxer(sw, ops->protocol_id))
			continue; /* listed twice */
		sw->muxer_ops[sw->nmuxers] = ops;
		sw->muxers[sw->nmuxers++] = ops->protocol_id;
	}
	if (sw->nmuxers == 0) {
		snprintf(err, errlen, "no muxer configured");
		return LP2P_ECONFIG;
	}
	for (size_t i = 0; i < cfg->security.n; i++) {
		const struct lp2p_secure_ops *ops =
			lp2p_secure_by_name(cfg->security.v[i]);
		size_t k = sw->nsecurity;
		if (!ops) {
			lp2p_log(LP2P_LOG_WARN,
			         "security '%s' is not available in this "
			         "build; skipping it",
			         cfg->security.v[i]);
			continue;
		}
		bool listed = false;
		for (size_t j = 0; j < k; j++)
			listed |= sw->security_ops[j] == ops;
		if (listed)
			continue;
		if (ops->ctx_new &&
		    (rc = ops->ctx_new(identity, sw->muxers, sw->nmuxers,
		                       &sw->security_ctx[k]))) {
			snprintf(err, errlen, "cannot set up %s: %s",
			         cfg->security.v[i], lp2p_strerror(rc));
			return rc;
		}
		sw->security_ops[k] = ops;
		sw->security[k] = ops->protocol_id;
		sw->nsecurity++;
	}
	if (sw->nsecurity == 0) {
		snprintf(err, errlen, "no usable security protocol configured");
		return LP2P_ECONFIG;
	}
	if ((rc = lp2p_rcmgr_init(&sw->rc, &cfg->limits, system_fds(cfg)))) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	for (size_t i = 0; i < cfg->transports.n; i++) {
		const struct lp2p_transport_ops *ops =
			lp2p_transport_by_name(cfg->transports.v[i]);
		if (!ops) {
			snprintf(err, errlen, "transport '%s' is not available "
			         "in this build", cfg->transports.v[i]);
			return LP2P_ECONFIG;
		}
		if ((rc = lp2p_swarm_add_transport(sw, ops))) {
			snprintf(err, errlen, "cannot set up transport %s: %s",
			         ops->name, lp2p_strerror(rc));
			return rc;
		}
	}
	/* A read takes a chunk after a partial unit kept from before. */
	size_t unit = LP2P_MSS_MAX_LINE + 8;
	for (size_t i = 0; i < sw->nsecurity; i++)
		if (sw->security_ops[i]->max_unit > unit)
			unit = sw->security_ops[i]->max_unit;
	sw->scratch_cap = LP2P_SWARM_READ_CHUNK + unit;
	sw->scratch = malloc(sw->scratch_cap);
	sw->wscratch_cap = 2 * LP2P_CONN_WBUF_HIWAT;
	sw->wscratch = malloc(sw->wscratch_cap);
	if (!sw->scratch || !sw->wscratch) {
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	ev_prepare_start(loop->ev, &sw->flush_watcher);
	lp2p_connmgr_start(sw);
	return 0;
}

void lp2p_swarm_shutdown(struct lp2p_swarm *sw)
{
	sw->stopping = true;
	for (size_t i = 0; i < sw->nlisteners; i++)
		sw->listeners[i].tp->listener_close(sw->listeners[i].listener);
	sw->nlisteners = 0;
	lp2p_dials_abort(sw);
	while (sw->conns)
		lp2p_conn_close(sw->conns);
	on_prepare(sw->loop->ev, &sw->flush_watcher, 0);
	lp2p_streams_deliver_closed(sw);
}

void lp2p_swarm_fini(struct lp2p_swarm *sw)
{
	if (!sw->loop)
		return;
	lp2p_swarm_shutdown(sw);
	for (size_t i = 0; i < sw->ntransports; i++) /* lingering pipes */
		sw->transports[i].ops->free_transport(sw->transports[i].ctx);
	sw->ntransports = 0;
	lp2p_connmgr_stop(sw);
	ev_prepare_stop(sw->loop->ev, &sw->flush_watcher);
	lp2p_rcmgr_fini(&sw->rc);
	free(sw->scratch);
	free(sw->wscratch);
	sw->scratch = sw->wscratch = NULL;
	for (size_t i = 0; i < sw->nsecurity; i++) {
		if (sw->security_ops[i]->ctx_free)
			sw->security_ops[i]->ctx_free(sw->security_ctx[i]);
		sw->security_ctx[i] = NULL;
	}
}

/* ---- listening ---- */

/* At the connection cap, stop accepting until a connection closes. */
static void pause_listeners(struct lp2p_swarm *sw, bool pause)
{
	if (sw->listeners_paused == pause)
		return;
	sw->listeners_paused = pause;
	for (size_t i = 0; i < sw->nlisteners; i++)
		sw->listeners[i].tp->listener_pause(sw->listeners[i].listener,
		                                    pause);
	lp2p_log(LP2P_LOG_INFO, "%s accepting connections",
	         pause ? "connection limit reached: pausing" : "resuming");
}

void lp2p_swarm_conn_gone(struct lp2p_swarm *sw)
{
	if (sw->listeners_paused && !lp2p_gater_at_inbound_cap(sw))
		pause_listeners(sw, false);
}

static int on_accept(void *arg, struct lp2p_pipe *p,
                     const struct lp2p_multiaddr *remote)
{
	struct lp2p_swarm *sw = arg;
	uint8_t key[17];
	bool pause;
	const char *why = lp2p_gater_inbound(sw, remote, key, &pause);
	if (why) {
		lp2p_gater_log_refusal(sw, remote, why);
		p->ops->abort(p);
		if (pause)
			pause_listeners(sw, true);
		return pause;
	}
	struct lp2p_conn *c;
	if (lp2p_conn_start(sw, p, LP2P_INBOUND, remote, NULL, NULL, &c))
		return 0;
	memcpy(c->ip_key, key, 17);
	if (lp2p_gater_at_inbound_cap(sw)) {
		pause_listeners(sw, true);
		return 1;
	}
	return 0;
}

struct lp2p_swarm_transport *
lp2p_swarm_transport_for(struct lp2p_swarm *sw, const struct lp2p_multiaddr *ma)
{
	for (size_t i = 0; i < sw->ntransports; i++)
		if (sw->transports[i].ops->handles(ma))
			return &sw->transports[i];
	return NULL;
}

int lp2p_swarm_add_transport(struct lp2p_swarm *sw,
                             const struct lp2p_transport_ops *ops)
{
	if (sw->ntransports == LP2P_SWARM_MAX_TRANSPORTS)
		return LP2P_ELIMIT;
	struct lp2p_swarm_transport *t = &sw->transports[sw->ntransports];
	int rc = ops->new_transport(sw->loop, &t->ctx);
	if (rc)
		return rc;
	t->ops = ops;
	sw->ntransports++;
	return 0;
}

/* Why ma cannot be used: no transport of this build takes it, or the one
 * that does is not enabled. */
static void no_transport(const struct lp2p_multiaddr *ma, char *err,
                         size_t errlen, const char *what)
{
	char text[LP2P_MULTIADDR_STR_MAX] = "?";
	lp2p_multiaddr_to_string(ma, text, sizeof text);
	const struct lp2p_transport_ops *known = lp2p_transport_for_addr(ma);
	if (known)
		snprintf(err, errlen,
		         "cannot %s %s: transport '%s' is not enabled "
		         "(transports: in the configuration)",
		         what, text, known->name);
	else
		snprintf(err, errlen, "cannot %s %s: no transport for this "
		         "address", what, text);
}

int lp2p_swarm_listen(struct lp2p_swarm *sw, const struct lp2p_multiaddr *ma,
                      struct lp2p_multiaddr *bound, char *err, size_t errlen)
{
	struct lp2p_swarm_transport *t = lp2p_swarm_transport_for(sw, ma);
	if (!t) {
		no_transport(ma, err, errlen, "listen on");
		return LP2P_ENOTSUP;
	}
	char text[LP2P_MULTIADDR_STR_MAX] = "?";
	lp2p_multiaddr_to_string(ma, text, sizeof text);
	if (sw->nlisteners >= LP2P_SWARM_MAX_LISTENERS) {
		snprintf(err, errlen, "cannot listen on %s: too many listeners",
		         text);
		return LP2P_ELIMIT;
	}
	struct lp2p_listener_entry *e = &sw->listeners[sw->nlisteners];
	char why[256];
	int rc = t->ops->listen(t->ctx, ma, on_accept, sw, &e->listener,
	                        &e->addr, why, sizeof why);
	if (rc) {
		snprintf(err, errlen, "cannot listen on %s: %s", text, why);
		return rc;
	}
	e->tp = t->ops;
	if (sw->listeners_paused)
		e->tp->listener_pause(e->listener, true);
	sw->nlisteners++;
	if (bound)
		*bound = e->addr;
	return 0;
}

size_t lp2p_swarm_listen_addrs(const struct lp2p_swarm *sw,
                               struct lp2p_multiaddr *out, size_t max)
{
	for (size_t i = 0; i < sw->nlisteners && i < max; i++)
		out[i] = sw->listeners[i].addr;
	return sw->nlisteners;
}

size_t lp2p_swarm_peer_streams(const struct lp2p_swarm *sw,
                               const struct lp2p_peer_id *peer,
                               const char *protocol, enum lp2p_direction dir)
{
	size_t n = 0;
	for (const struct lp2p_conn *c = sw->conns; c; c = c->next) {
		if (c->state != CONN_READY || !lp2p_peer_id_equal(&c->peer, peer))
			continue;
		for (const struct lp2p_stream *s = c->streams; s; s = s->next)
			if (s->state != STREAM_DEAD && s->dir == dir &&
			    s->protocol && strcmp(s->protocol, protocol) == 0)
				n++;
	}
	return n;
}

size_t lp2p_swarm_conns(const struct lp2p_swarm *sw,
                        const struct lp2p_peer_id *peer, lp2p_conn **out,
                        size_t max)
{
	size_t n = 0;
	for (struct lp2p_conn *c = sw->conns; c; c = c->next) {
		if (c->state != CONN_READY ||
		    (peer && !lp2p_peer_id_equal(&c->peer, peer)))
			continue;
		if (n < max)
			out[n] = c;
		n++;
	}
	return n;
}
