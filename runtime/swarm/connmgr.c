/*
 * connmgr.c - keep-alive and trimming (the design's answer):
 *  - a connection lives while it has open streams, while a plugin has
 *    protected it, or during its grace period after it opened;
 *  - otherwise it is closed after idle_timeout without activity;
 *  - above high_water ready connections, the least valuable unprotected
 *    ones past their grace period are closed until low_water remain
 *    (no streams before streams, then the longest idle first);
 *  - at most max_connections_per_peer connections to one peer.
 * One timer per host scans the (small) connection table.
 */
#include <stdlib.h>

#include <lp2p/log.h>

#include "swarm/swarm.h"

static uint64_t scan_interval_ms(const struct lp2p_connmgr_config *m)
{
	/* idle_timeout 0 closes nothing for idleness: the scan then only
	 * gives idle buffers back and ends grace periods */
	uint64_t t = m->idle_timeout_ms ? m->idle_timeout_ms : 4000;
	if (m->grace_period_ms && m->grace_period_ms < t)
		t = m->grace_period_ms;
	t /= 4;
	if (t < 20)
		t = 20;
	if (t > 1000)
		t = 1000;
	return t;
}

static bool keep_alive(const struct lp2p_conn *c, uint64_t now,
                       const struct lp2p_connmgr_config *m)
{
	return c->nprotect > 0 || c->nstreams > 0 ||
	       now - c->opened_ms < m->grace_period_ms;
}

/* Connections quiet for this long give their muxer buffer back. */
#define TRIM_AFTER_MS 1000

static void close_idle(struct lp2p_swarm *sw, uint64_t now)
{
	const struct lp2p_connmgr_config *m = &sw->cfg->connmgr;
	for (struct lp2p_conn *c = sw->conns; c; c = c->next)
		if (c->state == CONN_READY && c->mux &&
		    now - c->last_active_ms >= TRIM_AFTER_MS)
			c->mx->trim(c->mux);
	if (m->idle_timeout_ms == 0)
		return;
	for (struct lp2p_conn *c = sw->conns, *next; c; c = next) {
		next = c->next;
		if (c->state != CONN_READY || keep_alive(c, now, m))
			continue;
		if (now - c->last_active_ms >= m->idle_timeout_ms) {
			if (next)
				lp2p_conn_ref(next);
			lp2p_log(LP2P_LOG_DEBUG, "connection %llu idle: closing",
			         (unsigned long long)c->id);
			lp2p_conn_close(c);
			if (next) {
				bool dead = next->state == CONN_DEAD;
				lp2p_conn_unref(next);
				if (dead)
					break; /* the list changed: next scan */
			}
		}
	}
}

/* Less valuable first: fewer streams, then idle for longer. */
static int by_value(const void *a, const void *b)
{
	const struct lp2p_conn *x = *(struct lp2p_conn *const *)a;
	const struct lp2p_conn *y = *(struct lp2p_conn *const *)b;
	if (x->nstreams != y->nstreams)
		return x->nstreams < y->nstreams ? -1 : 1;
	if (x->last_active_ms != y->last_active_ms)
		return x->last_active_ms < y->last_active_ms ? -1 : 1;
	return 0;
}

void lp2p_connmgr_trim(struct lp2p_swarm *sw)
{
	const struct lp2p_connmgr_config *m = &sw->cfg->connmgr;
	if (sw->nconns_ready <= m->high_water)
		return;
	uint64_t now = lp2p_loop_now_ms(sw->loop);
	size_t n = 0;
	for (struct lp2p_conn *c = sw->conns; c; c = c->next)
		n++;
	struct lp2p_conn **v = calloc(n, sizeof *v);
	if (!v)
		return;
	size_t k = 0;
	for (struct lp2p_conn *c = sw->conns; c; c = c->next) {
		if (c->state != CONN_READY || c->nprotect > 0 ||
		    now - c->opened_ms < m->grace_period_ms)
			continue;
		lp2p_conn_ref(c);
		v[k++] = c;
	}
	qsort(v, k, sizeof *v, by_value);
	size_t excess = sw->nconns_ready - m->low_water;
	/* every scan above high water comes here: a line only when it
	 * closes something */
	lp2p_log(excess && k ? LP2P_LOG_INFO : LP2P_LOG_DEBUG,
	         "%zu connections (high water %u): trimming %zu of %zu "
	         "candidates",
	         sw->nconns_ready, m->high_water, excess < k ? excess : k, k);
	for (size_t i = 0; i < k; i++) {
		if (i < excess && v[i]->state == CONN_READY)
			lp2p_conn_close(v[i]);
		lp2p_conn_unref(v[i]);
	}
	free(v);
}

static void on_scan(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_swarm *sw = w->data;
	uint64_t now = lp2p_loop_now_ms(sw->loop);
	close_idle(sw, now);
	lp2p_connmgr_trim(sw);
}

void lp2p_connmgr_start(struct lp2p_swarm *sw)
{
	double every = (double)scan_interval_ms(&sw->cfg->connmgr) / 1000.0;
	ev_timer_init(&sw->connmgr_timer, on_scan, every, every);
	sw->connmgr_timer.data = sw;
	ev_timer_start(sw->loop->ev, &sw->connmgr_timer);
}

void lp2p_connmgr_stop(struct lp2p_swarm *sw)
{
	ev_timer_stop(sw->loop->ev, &sw->connmgr_timer);
}
