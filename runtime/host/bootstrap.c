/*
 * bootstrap.c - keep connections to the configured bootstrap peers: dial
 * them at start and, while one is down, redial with exponential back-off
 * (1 s doubling up to 5 min, with jitter so many nodes do not dial in step).
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/log.h>

#include "host/host.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS (5 * 60 * 1000)

struct lp2p_bootstrap_peer {
	struct lp2p_host *host;
	struct lp2p_multiaddr addr;
	struct lp2p_peer_id peer;
	ev_timer retry;
	uint64_t backoff_ms;
	bool dialing;
	bool connected;
};

static void schedule(struct lp2p_bootstrap_peer *b)
{
	/* +-25% jitter */
	uint64_t jitter = b->backoff_ms / 4;
	uint64_t delay = b->backoff_ms - jitter +
	                 (jitter ? (uint64_t)random() % (2 * jitter) : 0);
	ev_timer_set(&b->retry, (double)delay / 1000.0, 0);
	ev_timer_start(b->host->loop.ev, &b->retry);
	if (b->backoff_ms < BACKOFF_MAX_MS)
		b->backoff_ms = b->backoff_ms * 2 > BACKOFF_MAX_MS
		                        ? BACKOFF_MAX_MS
		                        : b->backoff_ms * 2;
}

static void on_dialed(void *arg, int status, lp2p_conn *conn)
{
	struct lp2p_bootstrap_peer *b = arg;
	b->dialing = false;
	if (b->host->stopped)
		return;
	char id[LP2P_PEER_ID_STR_MAX];
	lp2p_peer_id_to_string(&b->peer, id, sizeof id);
	if (status == 0 && conn) {
		b->connected = true;
		b->backoff_ms = BACKOFF_MIN_MS;
		lp2p_log(LP2P_LOG_INFO, "bootstrap peer %s connected", id);
		return;
	}
	lp2p_log(LP2P_LOG_INFO,
	         "bootstrap peer %s: dial failed (%s); retrying in about %llu s",
	         id, lp2p_strerror(status),
	         (unsigned long long)(b->backoff_ms + 999) / 1000);
	schedule(b);
}

static void dial(struct lp2p_bootstrap_peer *b)
{
	if (b->dialing || b->connected || b->host->stopped)
		return;
	b->dialing = true;
	int rc = lp2p_host_dial(b->host, &b->addr, false, on_dialed, b);
	if (rc) {
		b->dialing = false;
		lp2p_log(LP2P_LOG_WARN, "bootstrap dial: %s", lp2p_strerror(rc));
		schedule(b);
	}
}

static void on_retry(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	dial(w->data);
}

int lp2p_bootstrap_start(struct lp2p_host *h, char *err, size_t errlen)
{
	const struct lp2p_string_list *l = &h->cfg->bootstrap;
	if (l->n == 0)
		return 0;
	h->bootstrap = calloc(l->n, sizeof *h->bootstrap);
	if (!h->bootstrap) {
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	h->nbootstrap = l->n;
	for (size_t i = 0; i < l->n; i++) {
		struct lp2p_bootstrap_peer *b = &h->bootstrap[i];
		b->host = h;
		b->backoff_ms = BACKOFF_MIN_MS;
		ev_timer_init(&b->retry, on_retry, 0, 0);
		b->retry.data = b;
		/* validated when the configuration was loaded */
		if (lp2p_multiaddr_parse(l->v[i], strlen(l->v[i]), &b->addr) ||
		    lp2p_multiaddr_peer_id(&b->addr, &b->peer, false)) {
			snprintf(err, errlen, "bootstrap address '%s' is invalid",
			         l->v[i]);
			return LP2P_ECONFIG;
		}
		lp2p_peerstore_add_addr(h, &b->peer, &b->addr,
		                        LP2P_TTL_PERMANENT);
		dial(b);
	}
	return 0;
}

void lp2p_bootstrap_conn_closed(struct lp2p_host *h, struct lp2p_conn *c)
{
	for (size_t i = 0; i < h->nbootstrap; i++) {
		struct lp2p_bootstrap_peer *b = &h->bootstrap[i];
		if (!b->connected || !lp2p_peer_id_equal(&b->peer, lp2p_conn_peer(c)))
			continue;
		/* still connected through another connection? */
		lp2p_conn *other;
		size_t n = lp2p_host_conns_to_peer(h, &b->peer, &other, 1);
		if (n > 1 || (n == 1 && other != c))
			continue;
		b->connected = false;
		if (!h->stopped) {
			b->backoff_ms = BACKOFF_MIN_MS;
			schedule(b);
		}
	}
}

void lp2p_bootstrap_stop(struct lp2p_host *h)
{
	for (size_t i = 0; i < h->nbootstrap; i++)
		ev_timer_stop(h->loop.ev, &h->bootstrap[i].retry);
	free(h->bootstrap);
	h->bootstrap = NULL;
	h->nbootstrap = 0;
}
