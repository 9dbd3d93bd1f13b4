/*
 * test_swarm_harness.c - hosts, endpoints and services for the swarm tests
 * (see test_swarm_harness.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <cmocka.h>

#include <lp2p/log.h>

#include "test_swarm_harness.h"

uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int world_setup(void **state)
{
	const char *lvl = getenv("LP2P_TEST_LOG");
	lp2p_log_set_level(lvl ? lp2p_log_level_from_name(lvl)
	                       : LP2P_LOG_ERROR);
	struct world *w = calloc(1, sizeof *w);
	if (!w)
		return -1;
	*state = w;
	return 0;
}

int world_teardown(void **state)
{
	struct world *w = *state;
	/* Hosts first: their last on_close calls still land in the eps. */
	for (size_t i = 0; i < WORLD_MAX_NODES; i++)
		if (w->nodes[i].live)
			world_node_free(w, &w->nodes[i]);
	for (size_t i = 0; i < w->neps; i++)
		free(w->eps[i].pend);
	free(w);
	return 0;
}

struct node *world_node(struct world *w, const char *extra_yaml)
{
	struct node *n = NULL;
	for (size_t i = 0; i < WORLD_MAX_NODES && !n; i++)
		if (!w->nodes[i].live && !w->nodes[i].h)
			n = &w->nodes[i];
	if (!n)
		fail_msg("too many nodes");
	char yaml[4096], err[512];
	snprintf(yaml, sizeof yaml, "%s\n%s",
	         w->listen_yaml ? w->listen_yaml
	                        : "listen: [/ip4/127.0.0.1/tcp/0]",
	         extra_yaml ? extra_yaml : "");
	if (lp2p_config_load_string(yaml, strlen(yaml), "test.yaml", &n->cfg,
	                            err, sizeof err))
		fail_msg("config: %s", err);
	if (lp2p_host_new(n->cfg, &n->h, err, sizeof err))
		fail_msg("lp2p_host_new: %s", err);
	n->live = true;
	if (w->node_init)
		w->node_init(w, n);
	if (lp2p_host_start(n->h, err, sizeof err))
		fail_msg("lp2p_host_start: %s", err);
	n->id = *lp2p_host_peer_id(n->h);
	assert_int_equal(lp2p_host_listen_addrs(n->h, &n->addr, 1), 1);
	n->p2p = addr_with_id(&n->addr, &n->id);
	return n;
}

void world_node_free(struct world *w, struct node *n)
{
	(void)w;
	n->live = false;
	lp2p_host_free(n->h);
	lp2p_config_free(n->cfg);
	/* keep n->h set (dangling) so the slot is not reused in this test */
	n->cfg = NULL;
}

bool pump(lp2p_host *const *hosts, size_t n, bool (*pred)(void *arg),
          void *arg, unsigned timeout_ms)
{
	uint64_t end = mono_ms() + timeout_ms;
	for (;;) {
		if (pred && pred(arg))
			return true;
		/* at least one round, however late we are */
		for (size_t i = 0; i < n; i++)
			lp2p_host_run_once(hosts[i], 0);
		if (mono_ms() > end)
			return pred ? pred(arg) : true;
		sched_yield(); /* busy, but fair to other test processes */
	}
}

void world_pump_once(struct world *w)
{
	for (size_t i = 0; i < WORLD_MAX_NODES; i++)
		if (w->nodes[i].live)
			lp2p_host_run_once(w->nodes[i].h, 0);
	sched_yield();
}

void world_run_for(struct world *w, unsigned ms)
{
	lp2p_host *hosts[WORLD_MAX_NODES];
	size_t n = 0;
	for (size_t i = 0; i < WORLD_MAX_NODES; i++)
		if (w->nodes[i].live)
			hosts[n++] = w->nodes[i].h;
	pump(hosts, n, NULL, NULL, ms);
}

/* ---- endpoints ---- */

struct ep *world_ep(struct world *w)
{
	if (w->neps >= WORLD_MAX_EPS)
		fail_msg("too many endpoints");
	struct ep *e = &w->eps[w->neps++];
	*e = (struct ep){.w = w};
	return e;
}

void ep_send(struct ep *e)
{
	static uint8_t buf[64 * 1024];
	while (e->s && e->sent < e->to_send) {
		size_t n = e->to_send - e->sent;
		if (n > sizeof buf)
			n = sizeof buf;
		for (size_t j = 0; j < n; j++)
			buf[j] = pattern_byte(e->sent + j);
		e->in_call = true;
		ssize_t w = lp2p_stream_write(e->s, buf, n);
		e->in_call = false;
		if (w == LP2P_EAGAIN) {
			e->n_eagain++;
			return;
		}
		if (w < 0) {
			e->write_err = (int)w;
			return;
		}
		e->sent += (size_t)w;
		if ((size_t)w < n) {
			e->n_short++;
			return;
		}
	}
	if (e->s && e->close_after_send && !e->write_closed &&
	    e->sent == e->to_send)
		ep_close_write(e);
}

void ep_pause(struct ep *e)
{
	e->in_call = true;
	lp2p_stream_pause(e->s);
	e->in_call = false;
}

void ep_resume(struct ep *e)
{
	e->paused_by_handler = false;
	e->in_call = true;
	lp2p_stream_resume(e->s);
	e->in_call = false;
}

int ep_close_write(struct ep *e)
{
	e->write_closed = true;
	e->in_call = true;
	int rc = lp2p_stream_close_write(e->s);
	e->in_call = false;
	return rc;
}

void ep_reset(struct ep *e, int reason)
{
	e->in_call = true;
	lp2p_stream_reset(e->s, reason);
	e->in_call = false;
	/* on_close(reason) follows from the loop; it clears e->s */
	e->resets++;
}

static void pend_append(struct ep *e, const uint8_t *p, size_t n)
{
	if (e->pend_len + n > e->pend_cap) {
		size_t cap = e->pend_cap ? e->pend_cap : 4096;
		while (cap < e->pend_len + n)
			cap *= 2;
		e->pend = realloc(e->pend, cap);
		assert_non_null(e->pend);
		e->pend_cap = cap;
	}
	memcpy(e->pend + e->pend_len, p, n);
	e->pend_len += n;
}

/* Echo what the stream does not take later, pausing our input meanwhile
 * (the way a real echo keeps its memory bounded). */
static void echo_write(struct ep *e, const uint8_t *p, size_t n)
{
	if (e->pend_len == 0) {
		e->in_call = true;
		ssize_t w = lp2p_stream_write(e->s, p, n);
		e->in_call = false;
		if (w < 0 && w != LP2P_EAGAIN) {
			e->write_err = (int)w;
			return;
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
	}
	if (n) {
		pend_append(e, p, n);
		if (!e->echo_paused) {
			e->echo_paused = true;
			ep_pause(e);
		}
	}
}

static void ep_on_data(lp2p_stream *s, void *user, const uint8_t *data,
                       size_t len)
{
	struct ep *e = user;
	assert_ptr_equal(s, e->s);
	if (e->resets)
		e->late_calls++; /* only on_close may follow a reset */
	e->data_calls++;
	if (e->check_pattern && !e->rx_mismatch) {
		for (size_t i = 0; i < len; i++) {
			if (data[i] != pattern_byte(e->rx + i)) {
				e->rx_mismatch = true;
				e->rx_mismatch_at = e->rx + i;
				break;
			}
		}
	}
	if (e->head_len < sizeof e->head) {
		size_t n = sizeof e->head - e->head_len;
		if (n > len)
			n = len;
		memcpy(e->head + e->head_len, data, n);
		e->head_len += n;
	}
	e->rx += len;
	if (e->echo)
		echo_write(e, data, len);
	if (e->act != ACT_NONE && e->rx >= e->act_after) {
		enum ep_act act = e->act;
		e->act = ACT_NONE;
		if (act == ACT_RESET) {
			ep_reset(e, LP2P_EPROTO);
			return;
		}
		e->in_call = true;
		lp2p_conn_close(lp2p_stream_conn(s));
		e->in_call = false;
		return;
	}
	if (e->pause_every && e->s) {
		if (e->next_pause == 0)
			e->next_pause = e->pause_every;
		if (e->rx >= e->next_pause) {
			ep_pause(e);
			e->paused_by_handler = true;
			while (e->next_pause <= e->rx)
				e->next_pause += e->pause_every;
		}
	}
}

/* reset_at: reset the stream from this callback (once). */
static bool ep_reset_at(struct ep *e, enum ep_reset_at at)
{
	if (e->reset_at != at)
		return false;
	e->reset_at = RESET_AT_NONE;
	ep_reset(e, LP2P_EPROTO);
	return true;
}

static void ep_on_writable(lp2p_stream *s, void *user)
{
	struct ep *e = user;
	assert_ptr_equal(s, e->s);
	if (e->resets)
		e->late_calls++; /* only on_close may follow a reset */
	e->writables++;
	if (ep_reset_at(e, RESET_AT_WRITABLE))
		return;
	if (e->pend_len) {
		e->in_call = true;
		ssize_t w = lp2p_stream_write(e->s, e->pend, e->pend_len);
		e->in_call = false;
		if (w < 0 && w != LP2P_EAGAIN) {
			e->write_err = (int)w;
			return;
		}
		if (w > 0) {
			memmove(e->pend, e->pend + w, e->pend_len - (size_t)w);
			e->pend_len -= (size_t)w;
		}
		if (e->pend_len)
			return;
		if (e->pending_fin) {
			e->pending_fin = false;
			ep_close_write(e);
			return;
		}
		if (e->echo_paused) {
			e->echo_paused = false;
			ep_resume(e); /* may deliver (and pend) more */
		}
		return;
	}
	ep_send(e);
}

static void ep_on_remote_close(lp2p_stream *s, void *user)
{
	struct ep *e = user;
	assert_ptr_equal(s, e->s);
	if (e->resets)
		e->late_calls++; /* only on_close may follow a reset */
	e->remote_closes++;
	e->rx_at_fin = e->rx;
	if (ep_reset_at(e, RESET_AT_REMOTE_CLOSE))
		return;
	if ((e->echo || e->close_on_fin) && !e->write_closed) {
		if (e->pend_len)
			e->pending_fin = true;
		else
			ep_close_write(e);
	}
}

static void ep_on_close(lp2p_stream *s, void *user, int reason)
{
	struct ep *e = user;
	assert_ptr_equal(s, e->s);
	e->closes++;
	e->close_reason = reason;
	if (e->in_call)
		e->close_inside_call = true;
	if (e->reset_in_close) /* the stream ended: nothing follows */
		lp2p_stream_reset(s, LP2P_EIO);
	e->s = NULL;
}

const struct lp2p_stream_handler ep_handler = {
	.on_data = ep_on_data,
	.on_writable = ep_on_writable,
	.on_remote_close = ep_on_remote_close,
	.on_close = ep_on_close,
};

static void ep_take(struct ep *e, lp2p_stream *s)
{
	e->s = s;
	snprintf(e->proto, sizeof e->proto, "%s", lp2p_stream_protocol(s));
	lp2p_stream_set_handler(s, &ep_handler, e);
	if (ep_reset_at(e, RESET_AT_OPEN))
		return;
	if (e->pause_on_open)
		ep_pause(e);
	ep_send(e);
}

void ep_open_cb(void *arg, int status, lp2p_stream *s)
{
	struct ep *e = arg;
	if (e->in_call)
		e->close_inside_call = true;
	e->opens++;
	e->open_status = status;
	if (e->w) /* not a stand-alone ep */
		e->open_order = e->w->open_cbs++;
	if (status == 0) {
		assert_non_null(s);
		ep_take(e, s);
	} else {
		assert_null(s);
	}
}

struct ep *ep_open(struct world *w, lp2p_conn *c, const char *const *protos,
                   size_t n)
{
	struct ep *e = world_ep(w);
	e->in_call = true;
	int rc = lp2p_conn_open_stream(c, protos, n, ep_open_cb, e);
	e->in_call = false;
	if (rc)
		fail_msg("lp2p_conn_open_stream: %s", lp2p_strerror(rc));
	return e;
}

void ep_check(const struct ep *e)
{
	if (e->rx_mismatch)
		fail_msg("received data differs at byte %zu", e->rx_mismatch_at);
	assert_false(e->close_inside_call);
	assert_int_equal(e->late_calls, 0);
	assert_true(e->closes <= 1);
	assert_true(e->opens <= 1);
	assert_int_equal(e->write_err, 0);
}

/* ---- services ---- */

static int service_accept(void *arg, lp2p_stream *s, const char *protocol)
{
	struct service *sv = arg;
	snprintf(sv->last_protocol, sizeof sv->last_protocol, "%s", protocol);
	if (sv->accept_rc < 0) {
		sv->accepted++;
		return sv->accept_rc;
	}
	if (sv->accepted >= WORLD_MAX_EPS)
		fail_msg("too many streams for %s", sv->proto);
	struct ep *e = world_ep(sv->w);
	*e = sv->tmpl;
	e->w = sv->w;
	sv->eps[sv->accepted++] = e;
	ep_take(e, s);
	return 0;
}

void service_init(struct service *sv, struct world *w, const char *proto)
{
	*sv = (struct service){.w = w, .proto = proto};
}

void service_add(struct service *sv, struct node *n)
{
	int rc = lp2p_host_add_protocol(n->h, sv->proto, service_accept, sv);
	if (rc)
		fail_msg("lp2p_host_add_protocol(%s): %s", sv->proto,
		         lp2p_strerror(rc));
}

/* ---- dialing ---- */

struct dial_res *world_dial(struct world *w)
{
	if (w->ndials >= WORLD_MAX_DIALS)
		fail_msg("too many dials");
	struct dial_res *r = &w->dials[w->ndials++];
	*r = (struct dial_res){0};
	return r;
}

void dial_cb(void *arg, int status, lp2p_conn *c)
{
	struct dial_res *r = arg;
	if (r->in_call)
		r->inside_call = true;
	r->calls++;
	r->status = status;
	r->conn = c;
	if (status == 0)
		assert_non_null(c);
	else
		assert_null(c);
}

struct lp2p_multiaddr addr_with_id(const struct lp2p_multiaddr *addr,
                                   const struct lp2p_peer_id *id)
{
	struct lp2p_multiaddr ma = *addr;
	assert_int_equal(lp2p_multiaddr_push(&ma, LP2P_MA_P2P, id->bytes,
	                                     id->len),
	                 0);
	return ma;
}

int dial_ma(struct node *from, const struct lp2p_multiaddr *ma, bool force,
            struct dial_res *r)
{
	r->in_call = true;
	int rc = lp2p_host_dial(from->h, ma, force, dial_cb, r);
	r->in_call = false;
	return rc;
}

int dial_peer(struct node *from, const struct lp2p_peer_id *peer, bool force,
              struct dial_res *r)
{
	r->in_call = true;
	int rc = lp2p_host_dial_peer(from->h, peer, force, dial_cb, r);
	r->in_call = false;
	return rc;
}

lp2p_conn *connect_nodes(struct world *w, struct node *from, struct node *to)
{
	struct dial_res *r = world_dial(w);
	assert_int_equal(dial_ma(from, &to->p2p, false, r), 0);
	WAIT_FOR(w, r->calls == 1);
	if (r->status)
		fail_msg("dial failed: %s", lp2p_strerror(r->status));
	WAIT_FOR(w, conns_between(to, from) >= 1);
	return r->conn;
}

size_t conns_between(struct node *n, struct node *m)
{
	return lp2p_host_conns_to_peer(n->h, &m->id, NULL, 0);
}
