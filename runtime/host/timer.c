/* timer.c - plugin timers on the swarm loop */
#include <stdlib.h>

#include "host/host.h"

struct lp2p_timer {
	ev_timer w; /* first: the watcher comes back as the timer */
	struct lp2p_host *host;
	void (*cb)(void *);
	void *arg;
};

static void on_timer(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_timer *t = (struct lp2p_timer *)w;
	t->cb(t->arg);
}

LP2P_API int lp2p_timer_new(lp2p_host *h, void (*cb)(void *arg), void *arg,
                            lp2p_timer **out)
{
	if (!h || !cb || !out)
		return LP2P_EINVAL;
	struct lp2p_timer *t = calloc(1, sizeof *t);
	if (!t)
		return LP2P_ENOMEM;
	ev_init(&t->w, on_timer);
	t->host = h;
	t->cb = cb;
	t->arg = arg;
	*out = t;
	return 0;
}

LP2P_API void lp2p_timer_start(lp2p_timer *t, uint64_t after_ms,
                               uint64_t repeat_ms)
{
	ev_timer_stop(t->host->loop.ev, &t->w);
	/* count from now, not from the loop's cached time */
	ev_now_update(t->host->loop.ev);
	ev_timer_set(&t->w, (double)after_ms / 1000.0,
	             (double)repeat_ms / 1000.0);
	ev_timer_start(t->host->loop.ev, &t->w);
}

LP2P_API void lp2p_timer_stop(lp2p_timer *t)
{
	ev_timer_stop(t->host->loop.ev, &t->w);
}

LP2P_API void lp2p_timer_free(lp2p_timer *t)
{
	if (!t)
		return;
	ev_timer_stop(t->host->loop.ev, &t->w);
	free(t);
}
