/*
 * lp2p/swarm.h - connections and streams: listen, dial, open and accept
 * streams, move bytes.
 *
 * Everything here runs on the swarm thread (see lp2p/host.h for the one
 * thread-safe call, lp2p_host_post()).  Results of asynchronous calls
 * (dials, stream opens) always arrive through their callback, on a later
 * loop iteration, never from inside the call that started them; a call
 * that fails returns an error and never calls its callback.
 *
 * Lifetimes:
 *  - lp2p_conn: valid from the moment it is handed out (dial callback,
 *    handle_new_connection, lp2p_stream_conn) until every plugin's
 *    handle_closed_connection for it has returned.
 *  - lp2p_stream: valid until its handler's on_close returns (and, for a
 *    stream never given a handler, until it is reset or closed).
 * Received data is pushed: on_data gets a pointer and a length valid only
 * during the call.  Nothing is buffered for the handler unless it paused
 * the stream.
 */
#ifndef LP2P_SWARM_H
#define LP2P_SWARM_H

#include <stdbool.h>
#include <sys/types.h>

#include <lp2p/common.h>
#include <lp2p/multiaddr.h>
#include <lp2p/peer_id.h>
#include <lp2p/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

enum lp2p_direction { LP2P_INBOUND = 0, LP2P_OUTBOUND = 1 };

/* ---- listening ---- */

/*
 * Listen on a multiaddr (/ip4|ip6/.../tcp/PORT; port 0 picks one).  The
 * host's listen addresses (lp2p_host_listen_addrs) include the actual one,
 * and a "host.listen_addrs" event (lp2p/events.h) is published.
 * Errors: LP2P_EPROTO/LP2P_ENOTSUP (not a TCP multiaddr), LP2P_EIO (bind
 * failed: err says why).
 */
LP2P_API int lp2p_host_listen(lp2p_host *h, const struct lp2p_multiaddr *ma,
                              char *err, size_t errlen);

/* The addresses the host listens on (bound ports), without /p2p.
 * Returns the count (may exceed max; only max are written). */
LP2P_API size_t lp2p_host_listen_addrs(const lp2p_host *h,
                                       struct lp2p_multiaddr *out, size_t max);

/* The host's own peer id. */
LP2P_API const struct lp2p_peer_id *lp2p_host_peer_id(const lp2p_host *h);

/* The host's identity public key, protobuf-encoded (as identify sends it),
 * into buf (cap bytes).  Returns its length, or LP2P_ERANGE. */
LP2P_API int lp2p_host_public_key(const lp2p_host *h, uint8_t *buf,
                                  size_t cap);

/* Sign msg[0..len) with the host's identity key (for signed records);
 * returns the signature length, LP2P_ERANGE if cap is too small. */
LP2P_API int lp2p_host_sign(const lp2p_host *h, const uint8_t *msg,
                            size_t len, uint8_t *sig, size_t cap);

/* ---- dialing ---- */

/* status 0 with a ready connection (secured, multiplexed, peer verified),
 * or a negative code with conn NULL. */
typedef void (*lp2p_dial_cb)(void *arg, int status, lp2p_conn *conn);

/*
 * Dial a multiaddr.  If it ends in /p2p/<id>, the remote must prove that
 * id (LP2P_EPEERID otherwise), an existing connection to that peer is
 * reused unless force_new_conn, and concurrent dials of that peer share
 * one attempt.  Errors (immediate): LP2P_EINVAL, LP2P_ENOTSUP (no
 * enabled transport for the address), LP2P_ECLOSED (the host is stopping),
 * LP2P_ELIMIT, LP2P_ENOMEM.
 */
LP2P_API int lp2p_host_dial(lp2p_host *h, const struct lp2p_multiaddr *ma,
                            bool force_new_conn, lp2p_dial_cb cb, void *arg);

/*
 * Dial a peer by id with the addresses the peerstore has for it (tried
 * together, the first to finish the upgrade wins).  An existing connection
 * is reused unless force_new_conn; concurrent dials share one attempt.
 * The callback gets LP2P_ENOTCONN when no address is known or none worked.
 * Immediate errors as lp2p_host_dial().
 */
LP2P_API int lp2p_host_dial_peer(lp2p_host *h, const struct lp2p_peer_id *peer,
                                 bool force_new_conn, lp2p_dial_cb cb,
                                 void *arg);

/* ---- connections ---- */

LP2P_API const struct lp2p_peer_id *lp2p_conn_peer(const lp2p_conn *c);
LP2P_API enum lp2p_direction lp2p_conn_direction(const lp2p_conn *c);
/*
 * Copy the connection's remote address into *out: for an outbound
 * connection the address dialled (without /p2p; a dns name stays a name),
 * for an inbound one the address it came from.  Returns 0, or LP2P_EINVAL
 * if c or out is NULL.
 */
LP2P_API int lp2p_conn_remote_addr(const lp2p_conn *c,
                                   struct lp2p_multiaddr *out);
/* The same for the local address (the socket's own; empty, len 0, in the
 * unlikely case the system could not tell it). */
LP2P_API int lp2p_conn_local_addr(const lp2p_conn *c,
                                  struct lp2p_multiaddr *out);
/* "/noise", "/yamux/1.0.0", ... (static strings). */
LP2P_API const char *lp2p_conn_security(const lp2p_conn *c);
LP2P_API const char *lp2p_conn_muxer(const lp2p_conn *c);
/* A number unique among the host's connections for its lifetime. */
LP2P_API uint64_t lp2p_conn_id(const lp2p_conn *c);
/* Streams currently open on the connection. */
LP2P_API size_t lp2p_conn_stream_count(const lp2p_conn *c);

/* False once the connection closed.  The handle itself stays valid
 * until handle_closed_connection returned and, for a connection with
 * streams, in their on_close and open callbacks. */
LP2P_API bool lp2p_conn_is_open(const lp2p_conn *c);

/*
 * Per-connection plugin state: one slot per key (any address unique to
 * its owner: the plugin's state, a static).  free_fn(data), if not NULL,
 * runs when the connection is freed: after every handle_closed_connection
 * and after the on_close and open callbacks of all its streams, so
 * callbacks of the connection's streams may use the data, and before
 * the plugins' fini at stop.  Setting a key again replaces its data
 * (free_fn of the old data is not called); data NULL removes the slot.
 * Errors: LP2P_EINVAL, LP2P_ECLOSED (the connection closed), LP2P_ELIMIT
 * (16 slots), LP2P_ENOMEM.
 */
LP2P_API int lp2p_conn_set_data(lp2p_conn *c, const void *key, void *data,
                                void (*free_fn)(void *data));
/* The data set for key, or NULL. */
LP2P_API void *lp2p_conn_get_data(const lp2p_conn *c, const void *key);

/* Close the connection (streams are reset); the close callbacks follow. */
LP2P_API void lp2p_conn_close(lp2p_conn *c);

/* Keep the connection open while protected: the connection manager never
 * closes it for idleness or trimming.  Tags nest by name (a plugin uses its
 * own); at most 16 per connection.  The tag string is kept, not copied: it
 * must stay valid while protected (a string literal).
 * Errors: LP2P_ELIMIT, LP2P_ENOMEM. */
LP2P_API int lp2p_conn_protect(lp2p_conn *c, const char *tag);
LP2P_API void lp2p_conn_unprotect(lp2p_conn *c, const char *tag);

/* Every live connection to peer (up to max); returns the total count. */
LP2P_API size_t lp2p_host_conns_to_peer(const lp2p_host *h,
                                        const struct lp2p_peer_id *peer,
                                        lp2p_conn **out, size_t max);
/* All live connections (up to max); returns the total count. */
LP2P_API size_t lp2p_host_conns(const lp2p_host *h, lp2p_conn **out,
                                size_t max);

/* ---- streams ---- */

struct lp2p_stream_handler {
	/* Bytes arrived: data[0..len) is valid during the call only. */
	void (*on_data)(lp2p_stream *s, void *user, const uint8_t *data,
	                size_t len);
	/* A short write can continue: the stream takes more bytes again. */
	void (*on_writable)(lp2p_stream *s, void *user);
	/* The remote closed its side: no more data will come. */
	void (*on_remote_close)(lp2p_stream *s, void *user);
	/* Final: the stream is gone after this returns.  Called exactly
	 * once for every stream that has a handler when it ends, however
	 * it ends, our own lp2p_stream_reset() included, and always from
	 * the loop, never inside a call the handler made; so per-stream
	 * state is freed here and nowhere else.  reason is 0 for an
	 * orderly close of both sides, LP2P_ERESET (the peer's reset),
	 * LP2P_ECANCELED or the code given to lp2p_stream_reset() (our
	 * reset), LP2P_ECLOSED (connection closed), LP2P_ELIMIT (a limit
	 * was hit), LP2P_ETIMEDOUT, LP2P_ENEGOTIATE (an optimistic open the
	 * peer turned down), the code accept_inbound_stream() refused the
	 * stream with, or the error that killed the connection. */
	void (*on_close)(lp2p_stream *s, void *user, int reason);
};

/* status 0 with a negotiated stream (install a handler right away), or a
 * negative code (LP2P_ENEGOTIATE: the peer speaks none of the protocols). */
typedef void (*lp2p_stream_open_cb)(void *arg, int status, lp2p_stream *s);

/*
 * Open a stream on conn and negotiate the first protocol of
 * protocols[0..n) the peer supports (strings copied).  cb reports the
 * result, always from the loop, never inside this call.
 *
 * When the muxer cannot open another stream yet (yamux: 256 streams the
 * peer has not acknowledged, or the muxer's output is full), the open
 * waits and goes to the muxer as soon as it has room, in the order of
 * the calls.  A waiting open counts toward
 * limits.max_streams_per_connection; limits.negotiation_timeout covers
 * the wait and the negotiation (LP2P_ETIMEDOUT).  It fails through cb
 * with LP2P_ECLOSED when the peer sends GoAway, or with the connection's
 * reason when the connection closes.
 *
 * Optimistic open: with one protocol that the peerstore says the peer
 * supports (identify), cb gets the stream without waiting for the
 * listener's answer, so the first request goes out with the proposal.
 * If the peer turns the protocol down after all, or ends the stream
 * without answering, the stream ends (on_close) with LP2P_ENEGOTIATE;
 * lp2p_stream_close_write()'s end waits for the answer.
 *
 * Errors (immediate, cb is not called): LP2P_EINVAL, LP2P_ECLOSED,
 * LP2P_ELIMIT, LP2P_ENOMEM.
 */
LP2P_API int lp2p_conn_open_stream(lp2p_conn *c, const char *const *protocols,
                                   size_t n, lp2p_stream_open_cb cb,
                                   void *arg);

/* The same to a peer: reuses a connection or dials one by id first. */
LP2P_API int lp2p_host_open_stream(lp2p_host *h,
                                   const struct lp2p_peer_id *peer,
                                   const char *const *protocols, size_t n,
                                   lp2p_stream_open_cb cb, void *arg);

/* Install (or replace) the stream's callbacks; h is copied. */
LP2P_API void lp2p_stream_set_handler(lp2p_stream *s,
                                      const struct lp2p_stream_handler *h,
                                      void *user);

/*
 * Queue data[0..len) (copied before the call returns).  Returns the bytes
 * taken, which may be fewer than len (then on_writable follows), or
 * LP2P_EAGAIN when none could be taken now.  Errors: LP2P_ECLOSED (we
 * closed our side, or the stream is gone), LP2P_ERESET.
 */
LP2P_API ssize_t lp2p_stream_write(lp2p_stream *s, const void *data,
                                   size_t len);

/*
 * Send data[0..len): every byte is taken, or none and an error.  What the
 * muxer cannot take now is copied into the stream's send queue, charged
 * to the stream's memory scope, and goes out on its own as the peer
 * reads; on_writable follows when the queue has drained.
 * lp2p_stream_close_write() and lp2p_stream_close() send their end after
 * the queue.  lp2p_stream_write() takes nothing (LP2P_EAGAIN) while the
 * queue holds bytes, so the two keep their order.  A producer of much
 * data sends while lp2p_stream_send_queued() is small and continues in
 * on_writable.  Only what waits in the queue is charged.  Errors:
 * LP2P_ELIMIT (what would wait goes over a memory limit: when the muxer
 * took nothing, nothing was sent and the stream goes on; when it took a
 * part, the stream ends with LP2P_ELIMIT, so no half message is left on
 * it), LP2P_ENOMEM (the stream ends), LP2P_ECLOSED (our side is closed,
 * or the stream ended), LP2P_EAGAIN (an outbound stream not yet handed
 * over).
 */
LP2P_API int lp2p_stream_send(lp2p_stream *s, const void *data, size_t len);
/* Bytes waiting in the send queue. */
LP2P_API size_t lp2p_stream_send_queued(const lp2p_stream *s);

/* Half-close: we send no more (after the send queue); data may still
 * arrive. */
LP2P_API int lp2p_stream_close_write(lp2p_stream *s);
/* Close both sides gracefully (half-close after the send queue, and
 * ignore further data); on_close follows once both ends are closed. */
LP2P_API int lp2p_stream_close(lp2p_stream *s);
/*
 * Reset: the peer sees a reset, nothing more is delivered to the handler
 * but its on_close(reason), which follows exactly once, from the loop,
 * never inside this call (like every other end: the handler frees its
 * state there, and nowhere else).  reason is a negative LP2P_E* code
 * handed back to on_close, so a handler can tell why it gave up; 0 (or
 * a positive value) gives LP2P_ECANCELED, the code of a reset of ours
 * (the peer's reset is LP2P_ERESET).  A stream with no handler (an open
 * callback that installed none) just goes.  Nothing happens when the
 * stream already ended: its on_close is on its way, with that end's
 * reason.  The stream handle stays valid until on_close returns.
 */
LP2P_API void lp2p_stream_reset(lp2p_stream *s, int reason);

/*
 * The stream's deadlines, in milliseconds (0: none), replacing those of
 * its protocol (limits.stream_idle_timeout and limits.stream_timeout, or
 * limits.protocols.<id>; none by default, see lp2pd.yaml(5)):
 *  - idle_ms: no data moved either way (received, or taken by the
 *    muxer) for this long, counted from the last such moment or from
 *    this call, whichever is later;
 *  - total_ms: the stream's whole life, counted from its start (the
 *    open call, or its arrival), not from this call.
 * A deadline that passes resets the stream, and on_close(LP2P_ETIMEDOUT)
 * follows, as for any end.  A paused stream is not exempt.
 * Errors: LP2P_EINVAL (s NULL, or a value above 2^32-1 ms),
 * LP2P_ECLOSED (the stream ended).
 */
LP2P_API int lp2p_stream_set_deadlines(lp2p_stream *s, uint64_t idle_ms,
                                       uint64_t total_ms);

/* Stop delivering data (it is held, within the muxer's window, and the
 * window stops opening so the peer stops sending); resume delivers it. */
LP2P_API void lp2p_stream_pause(lp2p_stream *s);
LP2P_API void lp2p_stream_resume(lp2p_stream *s);

LP2P_API const char *lp2p_stream_protocol(const lp2p_stream *s);
LP2P_API lp2p_conn *lp2p_stream_conn(const lp2p_stream *s);
LP2P_API enum lp2p_direction lp2p_stream_direction(const lp2p_stream *s);

#ifdef __cplusplus
}
#endif
#endif
