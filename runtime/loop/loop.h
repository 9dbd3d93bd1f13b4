/* loop.h - the swarm thread's event loop: libev, a cross-thread post queue
 * and signal-driven stop (internal) */
#ifndef LP2P_LOOP_H
#define LP2P_LOOP_H

#include <ev.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct lp2p_post;

struct lp2p_loop {
	struct ev_loop *ev;
	ev_async wake; /* posts from other threads */
	pthread_mutex_t lock;
	struct lp2p_post *head, *tail; /* under lock */
	bool closed;                   /* under lock: no more posts */
	int workers; /* under lock: helper threads that may still post */
	ev_signal sigint, sigterm, sigusr1;
	bool stopping;
	void (*on_report)(void *arg); /* SIGUSR1 (with catch_signals) */
	void *on_report_arg;
	void (*on_stop)(void *arg); /* called on the loop when a stop is asked */
	void *on_stop_arg;
};

int lp2p_loop_init(struct lp2p_loop *l);
/* Runs what is still queued, then frees the loop. */
void lp2p_loop_fini(struct lp2p_loop *l);

/* Helper threads (e.g. name resolution) register while they may still
 * post; lp2p_loop_fini() waits for them so none posts into a freed loop. */
void lp2p_loop_worker_enter(struct lp2p_loop *l);
void lp2p_loop_worker_leave(struct lp2p_loop *l);

/* Thread-safe: queue fn(arg) to run on the loop thread. */
int lp2p_loop_post(struct lp2p_loop *l, void (*fn)(void *), void *arg);

/* Run until lp2p_loop_request_stop() (or a signal when catch_signals). */
void lp2p_loop_run(struct lp2p_loop *l, bool catch_signals);
/* Thread-safe request to stop; on_stop runs on the loop thread. */
void lp2p_loop_request_stop(struct lp2p_loop *l);

static inline uint64_t lp2p_loop_now_ms(const struct lp2p_loop *l)
{
	return (uint64_t)(ev_now(l->ev) * 1000.0);
}

#endif
