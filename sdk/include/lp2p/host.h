/*
 * lp2p/host.h - the host: one libp2p node (identity, swarm, plugins) driven
 * by one event loop on one thread, the "swarm thread".
 *
 * Two audiences:
 *  - programs embedding the runtime (lp2pd is one): lp2p_host_new() ..
 *    lp2p_host_run() .. lp2p_host_free();
 *  - plugins, which get the host in their init and call back into it.
 *
 * Threading: every function here must be called on the swarm thread, except
 * lp2p_host_post() and lp2p_host_stop(), which are safe from any thread.
 */
#ifndef LP2P_HOST_H
#define LP2P_HOST_H

#include <stdio.h>
#include <lp2p/common.h>
#include <lp2p/config.h>
#include <lp2p/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- embedding ---- */

/*
 * Create a host from a validated configuration (borrowed: cfg must outlive
 * the host).  Loads the identity and every configured plugin (dlopen,
 * descriptor check, config_check) but starts nothing, so this is also what
 * `lp2pd --check-config` runs.  On failure writes one line into err.
 * Errors: LP2P_ENOTFOUND (plugin file), LP2P_EABI, LP2P_EINVAL (not a
 * plugin), LP2P_ECONFIG, LP2P_EPERM/LP2P_EPROTO (key file), LP2P_ENOMEM.
 */
LP2P_API int lp2p_host_new(const lp2p_config *cfg, lp2p_host **out, char *err,
                           size_t errlen);

/*
 * Start: initialise plugins in configuration order, then listen on the
 * configured addresses.  On failure everything started is stopped again and
 * err says which plugin or address failed and why.
 */
LP2P_API int lp2p_host_start(lp2p_host *h, char *err, size_t errlen);

/*
 * Run the event loop until lp2p_host_stop() (or, when catch_signals is
 * set, SIGINT/SIGTERM).  Then stops gracefully: plugins' fini in reverse
 * load order, connections closed.  Returns 0 after a requested stop.
 */
LP2P_API int lp2p_host_run(lp2p_host *h, int catch_signals);

/*
 * Run one iteration of the loop: wait at most until something happens when
 * wait is nonzero, not at all otherwise.  For programs that drive several
 * hosts, or their own loop, instead of lp2p_host_run().  Returns 0.
 */
LP2P_API int lp2p_host_run_once(lp2p_host *h, int wait);

/* Ask the loop to stop; safe from any thread and from signal handlers'
 * deferred context (not from a raw signal handler). */
LP2P_API void lp2p_host_stop(lp2p_host *h);

/* Free a host that is not running (stops plugins if still started). */
LP2P_API void lp2p_host_free(lp2p_host *h);

/* Print what the host would run: identity, listen addresses, transports,
 * security, muxers, plugins with versions and protocol ids, and the
 * effective limits (after defaults and the rules of lp2pd.yaml(5)). */
LP2P_API void lp2p_host_describe(const lp2p_host *h, FILE *out);

/* ---- for plugins and embedders ---- */

/*
 * Run fn(arg) on the swarm thread soon.  Thread-safe; the only call that is.
 * Every function posted is run exactly once: on the loop, or at the latest
 * inside lp2p_host_free() (after a stop).  Errors: LP2P_ENOMEM,
 * LP2P_ECLOSED (lp2p_host_free() has begun: fn will not run).
 */
LP2P_API int lp2p_host_post(lp2p_host *h, void (*fn)(void *arg), void *arg);

/* ---- protocols and events (swarm thread) ---- */

/*
 * Accept inbound streams for protocol (copied) with accept(arg, stream,
 * protocol), besides the protocol ids plugins declare in their
 * descriptors: for programs embedding the runtime, and for plugins that
 * add protocols at run time.  accept returns 0 to take the stream (install
 * a handler) or a negative code to reset it.  Listeners of the
 * "host.protocols" event (lp2p/events.h) are told.  Errors: LP2P_EEXIST, LP2P_EINVAL,
 * LP2P_ENOMEM.
 */
typedef int (*lp2p_accept_cb)(void *arg, struct lp2p_stream *stream,
                              const char *protocol);
LP2P_API int lp2p_host_add_protocol(lp2p_host *h, const char *protocol,
                                    lp2p_accept_cb accept, void *arg);
/* Stop accepting protocol (added with lp2p_host_add_protocol). */
LP2P_API int lp2p_host_remove_protocol(lp2p_host *h, const char *protocol);

/* Every protocol id the host accepts (up to max); returns the count.
 * The strings stay valid until protocols are added or removed. */
LP2P_API size_t lp2p_host_protocols(const lp2p_host *h, const char **out,
                                    size_t max);

/*
 * Publish an event: type (e.g. LP2P_EVENT_IDENTIFY_PEER, "identify.peer")
 * and data[0..len) are copied and delivered, in publication order, from
 * the loop (never inside this call) to the handle_protocol_event of every
 * plugin that lists the type (or "*") in its descriptor's events, and to
 * subscribers.  The payload is a struct whose first member is its
 * uint32_t size, and len is that size: lp2p/events.h documents the
 * contract and the struct of every type the runtime and the shipped
 * plugins publish (a payload of one of those types that is not its
 * struct is refused).  Delivered payloads are aligned for any struct and
 * valid during the call only.  An event that no plugin and no subscriber
 * wants when it is published is dropped at once (and 0 returned).
 * Errors: LP2P_EINVAL (also for data over 1 MiB, or not the type's
 * struct), LP2P_ELIMIT (4096 events already queued), LP2P_ENOMEM.
 */
LP2P_API int lp2p_host_publish(lp2p_host *h, const char *type,
                               const void *data, size_t len);

/* data/len: the payload (see lp2p_host_publish()), valid during the call. */
typedef void (*lp2p_event_cb)(void *arg, const char *type, const void *data,
                              size_t len);
/* Receive events of type ("*": all) through cb until unsubscribed (events
 * published before the call may reach it or not).  Errors: LP2P_EINVAL,
 * LP2P_ENOMEM. */
LP2P_API int lp2p_host_subscribe(lp2p_host *h, const char *type,
                                 lp2p_event_cb cb, void *arg);
/* Safe from inside a callback: cb is not called again afterwards. */
LP2P_API void lp2p_host_unsubscribe(lp2p_host *h, const char *type,
                                    lp2p_event_cb cb, void *arg);

/* ---- timers (swarm thread) ---- */

typedef struct lp2p_timer lp2p_timer;

/* Create a stopped timer that calls cb(arg) on the swarm thread. */
LP2P_API int lp2p_timer_new(lp2p_host *h, void (*cb)(void *arg), void *arg,
                            lp2p_timer **out);
/* (Re)start: first after after_ms, then every repeat_ms (0: once). */
LP2P_API void lp2p_timer_start(lp2p_timer *t, uint64_t after_ms,
                               uint64_t repeat_ms);
LP2P_API void lp2p_timer_stop(lp2p_timer *t);
/* Stop and free; safe from inside the timer's own callback. */
LP2P_API void lp2p_timer_free(lp2p_timer *t);

/* Milliseconds of the loop's monotonic clock (cached per iteration). */
LP2P_API uint64_t lp2p_host_now_ms(const lp2p_host *h);

#ifdef __cplusplus
}
#endif
#endif
