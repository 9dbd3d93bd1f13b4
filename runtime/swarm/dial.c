/*
 * dial.c - outbound connections: one dial per target, several addresses
 * tried together (the first to finish the upgrade wins), concurrent dials
 * of the same peer sharing one attempt, existing connections reused.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <lp2p/log.h>

#include "swarm/swarm.h"

#define MAX_ATTEMPTS LP2P_DIAL_MAX_ADDRS

struct waiter {
	struct waiter *next;
	lp2p_dial_cb cb;
	void *arg;
};

enum attempt_state { A_IDLE, A_RESOLVING, A_CONNECTING, A_UPGRADING, A_DONE };

struct attempt {
	struct lp2p_dial *dial;
	enum attempt_state state;
	struct lp2p_multiaddr ma; /* without /p2p */
	struct lp2p_resolve *resolve;
	struct lp2p_swarm_transport *tp; /* while connecting */
	void *connecting;
	struct lp2p_conn *conn;
	uint16_t port;
	bool fd_counted; /* its connecting socket counts in transient */
};

struct lp2p_dial {
	struct lp2p_dial *prev, *next;
	struct lp2p_swarm *sw;
	bool has_peer;
	struct lp2p_peer_id peer;
	bool shared; /* may be joined by other dials of the peer */
	struct waiter *waiters;
	struct attempt attempts[MAX_ATTEMPTS];
	size_t nattempts, pending;
	int last_error;
	ev_timer kickoff;
	/* on_kickoff runs: a finish inside it leaves the free to it (a new
	 * dial made by a waiter could get the same address) */
	bool in_kickoff, finished;
};

/* ---- results delivered on a later iteration ---- */

struct deferred {
	struct lp2p_conn *conn; /* referenced */
	int status;
	lp2p_dial_cb cb;
	void *arg;
};

static void deferred_run(void *arg)
{
	struct deferred *d = arg;
	if (d->conn && d->conn->state != CONN_READY)
		d->cb(d->arg, LP2P_ECLOSED, NULL);
	else
		d->cb(d->arg, d->status, d->status ? NULL : d->conn);
	if (d->conn)
		lp2p_conn_unref(d->conn);
	free(d);
}

static int defer_result(struct lp2p_swarm *sw, struct lp2p_conn *c,
                        int status, lp2p_dial_cb cb, void *arg)
{
	struct deferred *d = calloc(1, sizeof *d);
	if (!d)
		return LP2P_ENOMEM;
	d->conn = c;
	d->status = status;
	d->cb = cb;
	d->arg = arg;
	if (c)
		lp2p_conn_ref(c);
	int rc = lp2p_loop_post(sw->loop, deferred_run, d);
	if (rc) {
		if (c)
			lp2p_conn_unref(c);
		free(d);
	}
	return rc;
}

/* ---- the dial ---- */

static const lp2p_rc_amount one_fd = {.fds = 1};

static void attempt_uncount_fd(struct attempt *a)
{
	if (a->fd_counted)
		lp2p_rc_release(&a->dial->sw->rc.transient, &one_fd);
	a->fd_counted = false;
}

static void attempt_cancel(struct attempt *a, const char *why)
{
	switch (a->state) {
	case A_RESOLVING:
		lp2p_resolve_cancel(a->resolve);
		break;
	case A_CONNECTING:
		a->tp->ops->dial_cancel(a->connecting);
		attempt_uncount_fd(a);
		break;
	case A_UPGRADING:
		if (a->conn) {
			a->conn->dial = NULL;
			lp2p_conn_kill(a->conn, LP2P_ECANCELED, why);
		}
		break;
	default:
		break;
	}
	a->state = A_DONE;
}

/* Finish the dial: status 0 with c, or an error. */
static void dial_finish(struct lp2p_dial *d, int status, struct lp2p_conn *c)
{
	struct lp2p_swarm *sw = d->sw;
	ev_timer_stop(sw->loop->ev, &d->kickoff);
	for (size_t i = 0; i < d->nattempts; i++)
		if (d->attempts[i].conn != c || status)
			attempt_cancel(&d->attempts[i],
			               status ? "dial cancelled"
			                      : "another address won");
	if (d->prev)
		d->prev->next = d->next;
	else
		sw->dials = d->next;
	if (d->next)
		d->next->prev = d->prev;
	struct waiter *w = d->waiters;
	d->waiters = NULL;
	if (d->in_kickoff)
		d->finished = true;
	else
		free(d);
	if (c)
		lp2p_conn_ref(c);
	while (w) {
		struct waiter *next = w->next;
		if (c && c->state != CONN_READY)
			w->cb(w->arg, LP2P_ECLOSED, NULL);
		else
			w->cb(w->arg, status, status ? NULL : c);
		free(w);
		w = next;
	}
	if (c)
		lp2p_conn_unref(c);
}

static void attempt_failed(struct attempt *a, int status)
{
	struct lp2p_dial *d = a->dial;
	a->state = A_DONE;
	a->conn = NULL;
	/* Say the most telling error: a peer id mismatch beats refusal. */
	if (d->last_error == 0 || status == LP2P_EPEERID)
		d->last_error = status;
	if (--d->pending == 0)
		dial_finish(d, d->last_error ? d->last_error : LP2P_ENOTCONN,
		            NULL);
}

void lp2p_dial_conn_done(struct lp2p_dial *d, struct lp2p_conn *c, int status)
{
	struct attempt *a = NULL;
	for (size_t i = 0; i < d->nattempts; i++)
		if (d->attempts[i].conn == c)
			a = &d->attempts[i];
	if (!a)
		return;
	if (status) {
		attempt_failed(a, status);
		return;
	}
	a->state = A_DONE;
	dial_finish(d, 0, c);
}

static void on_connected(void *arg, int status, struct lp2p_pipe *p)
{
	struct attempt *a = arg;
	struct lp2p_dial *d = a->dial;
	a->connecting = NULL;
	attempt_uncount_fd(a); /* the connection counts its own */
	if (status) {
		attempt_failed(a, status);
		return;
	}
	a->state = A_UPGRADING;
	int rc = lp2p_conn_start(d->sw, p, LP2P_OUTBOUND, &a->ma,
	                         d->has_peer ? &d->peer : NULL, d, &a->conn);
	if (rc)
		attempt_failed(a, rc);
}

/* Connect to ma, resolved (its host is an IP address). */
static void attempt_connect(struct attempt *a, const struct lp2p_multiaddr *ma)
{
	struct lp2p_swarm *sw = a->dial->sw;
	a->tp = lp2p_swarm_transport_for(sw, ma);
	if (!a->tp) {
		attempt_failed(a, LP2P_ENOTSUP);
		return;
	}
	const struct lp2p_rc_scope *blocked = NULL;
	if (lp2p_rc_reserve(&sw->rc.transient, &one_fd, &blocked)) {
		lp2p_swarm_log_limit(sw, "dial", blocked);
		attempt_failed(a, LP2P_ELIMIT);
		return;
	}
	a->fd_counted = true;
	a->state = A_CONNECTING;
	int rc = a->tp->ops->dial(a->tp->ctx, ma,
	                          sw->cfg->limits.dial_timeout_ms, on_connected,
	                          a, &a->connecting);
	if (rc) {
		attempt_uncount_fd(a);
		attempt_failed(a, rc);
	}
}

/* ma with its host (a name) replaced by the address sa, the rest of ma
 * (port, and what follows it) kept. */
static int with_address(const struct lp2p_multiaddr *ma,
                        const struct sockaddr *sa, socklen_t salen,
                        struct lp2p_multiaddr *out)
{
	struct lp2p_multiaddr_hostport hp;
	struct lp2p_multiaddr rest;
	int rc = lp2p_multiaddr_host_port(ma, &hp);
	if (!rc)
		rc = lp2p_multiaddr_from_sockaddr(sa, salen, hp.transport_code,
		                                  out);
	if (rc || hp.consumed == ma->len)
		return rc;
	rc = lp2p_multiaddr_from_bytes(ma->bytes + hp.consumed,
	                               ma->len - hp.consumed, &rest);
	return rc ? rc : lp2p_multiaddr_encapsulate(out, &rest);
}

static void on_resolved(void *arg, int status, const struct lp2p_resolved *res)
{
	struct attempt *a = arg;
	a->resolve = NULL;
	if (status) {
		attempt_failed(a, status);
		return;
	}
	/* The first address; the others would be further attempts. */
	struct lp2p_multiaddr ma;
	if (with_address(&a->ma, (const struct sockaddr *)&res->addr[0],
	                 res->len[0], &ma) != 0) {
		attempt_failed(a, LP2P_ENOTSUP);
		return;
	}
	attempt_connect(a, &ma);
}

static void attempt_start(struct attempt *a)
{
	struct lp2p_multiaddr_hostport hp;
	if (lp2p_multiaddr_host_port(&a->ma, &hp) != 0 || hp.addr_len) {
		attempt_connect(a, &a->ma); /* nothing to resolve */
		return;
	}
	int family = hp.host_code == LP2P_MA_DNS4   ? AF_INET
	             : hp.host_code == LP2P_MA_DNS6 ? AF_INET6
	                                            : AF_UNSPEC;
	a->state = A_RESOLVING;
	int rc = lp2p_resolve_start(a->dial->sw->loop, hp.name, family, hp.port,
	                            on_resolved, a, &a->resolve);
	if (rc)
		attempt_failed(a, rc);
}

static void on_kickoff(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_dial *d = w->data;
	/* the attempts not started yet (a dial that joined adds some) */
	d->in_kickoff = true;
	for (size_t i = 0; i < d->nattempts && !d->finished; i++)
		if (d->attempts[i].state == A_IDLE)
			attempt_start(&d->attempts[i]);
	d->in_kickoff = false;
	if (d->finished) /* every attempt failed at once */
		free(d);
}

static struct lp2p_dial *find_shared(struct lp2p_swarm *sw,
                                     const struct lp2p_peer_id *peer)
{
	for (struct lp2p_dial *d = sw->dials; d; d = d->next)
		if (d->shared && d->has_peer &&
		    lp2p_peer_id_equal(&d->peer, peer))
			return d;
	return NULL;
}

static struct lp2p_conn *find_conn(struct lp2p_swarm *sw,
                                   const struct lp2p_peer_id *peer)
{
	for (struct lp2p_conn *c = sw->conns; c; c = c->next)
		if (c->state == CONN_READY && lp2p_peer_id_equal(&c->peer, peer))
			return c;
	return NULL;
}

static int add_waiter(struct lp2p_dial *d, lp2p_dial_cb cb, void *arg)
{
	struct waiter *w = calloc(1, sizeof *w);
	if (!w)
		return LP2P_ENOMEM;
	w->cb = cb;
	w->arg = arg;
	/* told in the order they asked */
	struct waiter **tail = &d->waiters;
	while (*tail)
		tail = &(*tail)->next;
	*tail = w;
	return 0;
}

/* Another dial of the peer joins d: it waits for d's result, and its
 * addresses that d does not try yet are tried too (from the loop). */
static int join(struct lp2p_dial *d, const struct lp2p_multiaddr *addrs,
                size_t n, lp2p_dial_cb cb, void *arg)
{
	int rc = add_waiter(d, cb, arg);
	if (rc)
		return rc;
	bool added = false;
	for (size_t i = 0; i < n && d->nattempts < MAX_ATTEMPTS; i++) {
		bool known = false;
		for (size_t j = 0; j < d->nattempts && !known; j++)
			known = lp2p_multiaddr_equal(&d->attempts[j].ma,
			                             &addrs[i]);
		if (known)
			continue;
		struct attempt *a = &d->attempts[d->nattempts++];
		*a = (struct attempt){.dial = d, .ma = addrs[i]};
		d->pending++;
		added = true;
	}
	if (added && !ev_is_active(&d->kickoff)) {
		ev_timer_set(&d->kickoff, 0, 0);
		ev_timer_start(d->sw->loop->ev, &d->kickoff);
	}
	return 0;
}

/* Start a dial of the given addresses (each without /p2p). */
static int dial_start(struct lp2p_swarm *sw, const struct lp2p_peer_id *peer,
                      bool shared, const struct lp2p_multiaddr *addrs,
                      size_t naddrs, lp2p_dial_cb cb, void *arg)
{
	static const lp2p_rc_amount one = {.outbound_connections = 1,
	                                   .fds = 1};
	const struct lp2p_rc_scope *blocked = NULL;
	if (!lp2p_rc_fits(&sw->rc.transient, &one, &blocked)) {
		lp2p_swarm_log_limit(sw, "dial", blocked);
		return LP2P_ELIMIT;
	}
	struct lp2p_dial *d = calloc(1, sizeof *d);
	if (!d)
		return LP2P_ENOMEM;
	d->sw = sw;
	d->shared = shared;
	ev_timer_init(&d->kickoff, on_kickoff, 0, 0);
	d->kickoff.data = d;
	if (peer) {
		d->has_peer = true;
		d->peer = *peer;
	}
	if (add_waiter(d, cb, arg)) {
		free(d);
		return LP2P_ENOMEM;
	}
	d->next = sw->dials;
	if (sw->dials)
		sw->dials->prev = d;
	sw->dials = d;
	for (size_t i = 0; i < naddrs && i < MAX_ATTEMPTS; i++) {
		d->attempts[i].dial = d;
		d->attempts[i].ma = addrs[i];
		d->nattempts++;
	}
	d->pending = d->nattempts;
	/* Start on the next iteration, so that no result can arrive inside
	 * the call that asked for the dial. */
	ev_timer_start(sw->loop->ev, &d->kickoff);
	return 0;
}

bool lp2p_swarm_can_dial(struct lp2p_swarm *sw,
                         const struct lp2p_multiaddr *ma)
{
	struct lp2p_multiaddr_hostport hp;
	if (lp2p_multiaddr_host_port(ma, &hp) == 0 && !hp.addr_len) {
		/* a name: try it as the loopback address of its family */
		struct lp2p_multiaddr probe;
		struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
		                          .sin6_addr = IN6ADDR_LOOPBACK_INIT};
		struct sockaddr_in s4 = {.sin_family = AF_INET,
		                         .sin_addr.s_addr = htonl(0x7f000001)};
		bool v6 = hp.host_code == LP2P_MA_DNS6;
		return with_address(ma,
		                    v6 ? (struct sockaddr *)&s6
		                       : (struct sockaddr *)&s4,
		                    v6 ? sizeof s6 : sizeof s4, &probe) == 0 &&
		       lp2p_swarm_transport_for(sw, &probe) != NULL;
	}
	return lp2p_swarm_transport_for(sw, ma) != NULL;
}

int lp2p_swarm_dial(struct lp2p_swarm *sw, const struct lp2p_multiaddr *ma,
                    bool force_new_conn, lp2p_dial_cb cb, void *arg)
{
	if (!ma || !cb)
		return LP2P_EINVAL;
	if (sw->stopping)
		return LP2P_ECLOSED;
	struct lp2p_multiaddr addr = *ma;
	struct lp2p_peer_id peer;
	bool has_peer = lp2p_multiaddr_peer_id(&addr, &peer, true) == 0;
	if (!lp2p_swarm_can_dial(sw, &addr))
		return LP2P_ENOTSUP;
	if (has_peer && lp2p_peer_id_equal(&peer, &sw->self))
		return LP2P_EINVAL; /* dialing ourselves */
	if (has_peer && !force_new_conn) {
		struct lp2p_conn *c = find_conn(sw, &peer);
		if (c)
			return defer_result(sw, c, 0, cb, arg);
		struct lp2p_dial *d = find_shared(sw, &peer);
		if (d)
			return join(d, &addr, 1, cb, arg);
	}
	return dial_start(sw, has_peer ? &peer : NULL,
	                  has_peer && !force_new_conn, &addr, 1, cb, arg);
}

int lp2p_swarm_dial_peer(struct lp2p_swarm *sw,
                         const struct lp2p_peer_id *peer,
                         const struct lp2p_multiaddr *addrs, size_t n,
                         bool force_new_conn, lp2p_dial_cb cb, void *arg)
{
	if (!peer || !cb)
		return LP2P_EINVAL;
	if (sw->stopping)
		return LP2P_ECLOSED;
	if (lp2p_peer_id_equal(peer, &sw->self))
		return LP2P_EINVAL;
	if (!force_new_conn) {
		struct lp2p_conn *c = find_conn(sw, peer);
		if (c)
			return defer_result(sw, c, 0, cb, arg);
		struct lp2p_dial *d = find_shared(sw, peer);
		if (d)
			return join(d, addrs, n, cb, arg);
	}
	if (n == 0)
		return defer_result(sw, NULL, LP2P_ENOTCONN, cb, arg);
	return dial_start(sw, peer, !force_new_conn, addrs, n, cb, arg);
}

void lp2p_dials_abort(struct lp2p_swarm *sw)
{
	while (sw->dials)
		dial_finish(sw->dials, LP2P_ECANCELED, NULL);
}
