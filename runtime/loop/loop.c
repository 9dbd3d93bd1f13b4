/* loop.c - libev loop with a mutex-protected post queue woken by ev_async */
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <lp2p/common.h>
#include <lp2p/log.h>

#include "loop/loop.h"

struct lp2p_post {
	struct lp2p_post *next;
	void (*fn)(void *);
	void *arg;
};

/* A stop request travels as a post, so it is ordered after earlier posts. */
static void stop_now(void *arg)
{
	struct lp2p_loop *l = arg;
	if (l->stopping)
		return;
	l->stopping = true;
	if (l->on_stop)
		l->on_stop(l->on_stop_arg);
	ev_break(l->ev, EVBREAK_ALL);
}

static void drain_posts(struct lp2p_loop *l)
{
	for (;;) {
		pthread_mutex_lock(&l->lock);
		struct lp2p_post *batch = l->head;
		l->head = l->tail = NULL;
		pthread_mutex_unlock(&l->lock);
		if (!batch)
			return;
		while (batch) {
			struct lp2p_post *p = batch;
			batch = p->next;
			p->fn(p->arg);
			free(p);
		}
	}
}

static void on_wake(struct ev_loop *ev, ev_async *w, int revents)
{
	(void)ev;
	(void)revents;
	drain_posts(w->data);
}

static void on_signal(struct ev_loop *ev, ev_signal *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_loop *l = w->data;
	lp2p_log(LP2P_LOG_NOTICE, "received %s, stopping",
	         w->signum == SIGINT ? "SIGINT" : "SIGTERM");
	stop_now(l);
}

/* SIGUSR1: the owner reports its state (lp2pd: resource usage). */
static void on_usr1(struct ev_loop *ev, ev_signal *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_loop *l = w->data;
	if (l->on_report)
		l->on_report(l->on_report_arg);
}

int lp2p_loop_init(struct lp2p_loop *l)
{
	*l = (struct lp2p_loop){0};
	l->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
	if (!l->ev)
		return LP2P_ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	ev_async_init(&l->wake, on_wake);
	l->wake.data = l;
	ev_async_start(l->ev, &l->wake);
	ev_signal_init(&l->sigint, on_signal, SIGINT);
	ev_signal_init(&l->sigterm, on_signal, SIGTERM);
	ev_signal_init(&l->sigusr1, on_usr1, SIGUSR1);
	l->sigint.data = l->sigterm.data = l->sigusr1.data = l;
	return 0;
}

void lp2p_loop_fini(struct lp2p_loop *l)
{
	if (!l->ev)
		return;
	pthread_mutex_lock(&l->lock);
	l->closed = true;
	pthread_mutex_unlock(&l->lock);
	drain_posts(l);
	/* Wait for helper threads; their posts now fail and are dropped. */
	for (;;) {
		pthread_mutex_lock(&l->lock);
		int busy = l->workers;
		pthread_mutex_unlock(&l->lock);
		if (!busy)
			break;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	ev_async_stop(l->ev, &l->wake);
	ev_loop_destroy(l->ev);
	l->ev = NULL;
	pthread_mutex_destroy(&l->lock);
}

void lp2p_loop_worker_enter(struct lp2p_loop *l)
{
	pthread_mutex_lock(&l->lock);
	l->workers++;
	pthread_mutex_unlock(&l->lock);
}

void lp2p_loop_worker_leave(struct lp2p_loop *l)
{
	pthread_mutex_lock(&l->lock);
	l->workers--;
	pthread_mutex_unlock(&l->lock);
}

int lp2p_loop_post(struct lp2p_loop *l, void (*fn)(void *), void *arg)
{
	struct lp2p_post *p = malloc(sizeof *p);
	if (!p)
		return LP2P_ENOMEM;
	p->next = NULL;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&l->lock);
	if (l->closed) {
		pthread_mutex_unlock(&l->lock);
		free(p);
		return LP2P_ECLOSED;
	}
	if (l->tail)
		l->tail->next = p;
	else
		l->head = p;
	l->tail = p;
	pthread_mutex_unlock(&l->lock);
	ev_async_send(l->ev, &l->wake);
	return 0;
}

void lp2p_loop_request_stop(struct lp2p_loop *l)
{
	if (lp2p_loop_post(l, stop_now, l) == LP2P_ENOMEM)
		lp2p_log(LP2P_LOG_ERROR, "cannot queue stop: out of memory");
}

void lp2p_loop_run(struct lp2p_loop *l, bool catch_signals)
{
	if (catch_signals) {
		ev_signal_start(l->ev, &l->sigint);
		ev_signal_start(l->ev, &l->sigterm);
		ev_signal_start(l->ev, &l->sigusr1);
	}
	l->stopping = false;
	ev_run(l->ev, 0);
	/* Work posted before the stop still runs, in order. */
	drain_posts(l);
	if (catch_signals) {
		ev_signal_stop(l->ev, &l->sigint);
		ev_signal_stop(l->ev, &l->sigterm);
		ev_signal_stop(l->ev, &l->sigusr1);
	}
}
