/*
 * lp2p/resource.h - resource accounting: what the host, a protocol, a
 * plugin, a peer, a connection or a stream holds, and memory reservations
 * made by plugins.
 *
 * Every connection, stream, file descriptor and buffered byte is counted
 * in a chain of scopes:
 *
 *   system     the whole host
 *   transient  connections not yet upgraded (secured and multiplexed) and
 *              streams whose protocol is not yet negotiated
 *   protocol   streams of one protocol id (after negotiation)
 *   plugin     streams handled by one plugin (after negotiation)
 *   peer       connections and streams of one peer
 *   connection one connection: its buffers and its streams
 *   stream     one stream: data held while paused, plugin reservations
 *
 * A reservation counts in its own scope and in each scope above it (a
 * stream's bytes count in its connection, its peer, its protocol, its
 * plugin and the system).  It is refused (LP2P_ELIMIT) when any of them
 * would go over its limit (limits: in lp2pd.yaml(5)).
 *
 * All calls run on the swarm thread.
 */
#ifndef LP2P_RESOURCE_H
#define LP2P_RESOURCE_H

#include <lp2p/common.h>
#include <lp2p/peer_id.h>
#include <lp2p/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

enum lp2p_scope_kind {
	LP2P_SCOPE_SYSTEM = 0,
	LP2P_SCOPE_TRANSIENT = 1,
	LP2P_SCOPE_PROTOCOL = 2,
	LP2P_SCOPE_PLUGIN = 3,
	LP2P_SCOPE_PEER = 4,
	LP2P_SCOPE_CONNECTION = 5,
	LP2P_SCOPE_STREAM = 6,
};

/* What a scope holds now. */
struct lp2p_resource_usage {
	uint32_t inbound_connections;
	uint32_t outbound_connections;
	uint32_t inbound_streams;
	uint32_t outbound_streams;
	uint32_t fds;
	uint64_t memory; /* bytes */
};

/* A scope's limits; LP2P_RESOURCE_UNLIMITED where there is none. */
#define LP2P_RESOURCE_UNLIMITED UINT64_MAX
struct lp2p_resource_limits {
	uint64_t connections, inbound_connections, outbound_connections;
	uint64_t streams, inbound_streams, outbound_streams;
	uint64_t fds;
	uint64_t memory;
};

/*
 * The usage and limits of a host-wide scope.  key: NULL for
 * LP2P_SCOPE_SYSTEM and LP2P_SCOPE_TRANSIENT; the protocol id (a C
 * string) for LP2P_SCOPE_PROTOCOL; the plugin's name for
 * LP2P_SCOPE_PLUGIN; a const struct lp2p_peer_id * for LP2P_SCOPE_PEER.
 * Either out pointer may be NULL.  A protocol, plugin or peer scope that
 * holds nothing may not exist: LP2P_ENOTFOUND, with *usage zeroed and
 * *limits the limits such a scope would get.
 * Errors: LP2P_EINVAL (kind is CONNECTION or STREAM, or a key is missing).
 */
LP2P_API int lp2p_host_resource_usage(const lp2p_host *h,
                                      enum lp2p_scope_kind kind,
                                      const void *key,
                                      struct lp2p_resource_usage *usage,
                                      struct lp2p_resource_limits *limits);

/* The same for one connection / one stream (their own scopes). */
LP2P_API int lp2p_conn_resource_usage(const lp2p_conn *c,
                                      struct lp2p_resource_usage *usage,
                                      struct lp2p_resource_limits *limits);
LP2P_API int lp2p_stream_resource_usage(const lp2p_stream *s,
                                        struct lp2p_resource_usage *usage,
                                        struct lp2p_resource_limits *limits);

/*
 * Memory a plugin holds on behalf of a stream (reassembly buffers,
 * queued messages): reserve before allocating, release after freeing.
 * It counts in the stream, its connection, peer, protocol, plugin and the
 * system.  Whatever is still reserved when the stream ends is released
 * then.  Errors: LP2P_ELIMIT (a scope would go over its memory limit:
 * nothing was reserved), LP2P_ECLOSED (the stream ended), LP2P_EINVAL.
 * Releasing more than is reserved releases what is (and logs a warning).
 */
LP2P_API int lp2p_stream_reserve_memory(lp2p_stream *s, size_t bytes);
LP2P_API void lp2p_stream_release_memory(lp2p_stream *s, size_t bytes);

/*
 * Memory held on behalf of a peer, not of one stream (a routing-table
 * entry, a message cache).  It counts in the peer and the system, and
 * keeps the peer's scope alive until released; the plugin must release
 * all of it (at the latest in its fini).
 * Errors: LP2P_ELIMIT, LP2P_ENOMEM, LP2P_EINVAL.
 */
LP2P_API int lp2p_peer_reserve_memory(lp2p_host *h,
                                      const struct lp2p_peer_id *peer,
                                      size_t bytes);
LP2P_API void lp2p_peer_release_memory(lp2p_host *h,
                                       const struct lp2p_peer_id *peer,
                                       size_t bytes);

/*
 * Memory held for a protocol as a whole (shared state of a service).
 * It counts in the protocol, the plugin serving it (if a plugin's
 * descriptor lists it) and the system; release all of it, at the latest in
 * the plugin's fini.  Errors: LP2P_ELIMIT, LP2P_ENOMEM, LP2P_EINVAL.
 */
LP2P_API int lp2p_protocol_reserve_memory(lp2p_host *h, const char *protocol,
                                          size_t bytes);
LP2P_API void lp2p_protocol_release_memory(lp2p_host *h,
                                           const char *protocol,
                                           size_t bytes);

/*
 * Log (at notice level) what the system, transient, each protocol and
 * each plugin scope holds, against their limits, and how many peers have
 * a scope.  lp2p_host_run() with catch_signals does this on SIGUSR1.
 */
LP2P_API void lp2p_host_log_resources(const lp2p_host *h);

#ifdef __cplusplus
}
#endif

#endif
