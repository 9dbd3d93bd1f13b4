/*
 * mux/mux.h - stream multiplexer sessions (yamux, mplex) behind one
 * interface, so the swarm drives both alike.  Internal to the runtime.
 *
 * A session is a pure state machine (nghttp2/BearSSL style): no I/O, no
 * clock.  It allocates per session and per stream, never per frame or per
 * byte (its output buffer grows by doubling up to a fixed cap).
 *
 *  - Input: lp2p_mux_recv() with the bytes read (after decryption).  Data
 *    reaches on_stream_data() as it arrives, without being buffered: the
 *    pointer is valid during the call only.
 *  - Output: frames are appended to the session's output buffer; the
 *    caller sends what lp2p_mux_out_peek() shows (it may encrypt it in
 *    place: the session never reads it back) and calls lp2p_mux_out_ack().
 *    Stream data is copied once, from the caller's buffer into the output.
 *  - Backpressure: lp2p_mux_write() accepts bytes only while the output is
 *    below out_hiwat (and, for yamux, within the stream's send window); a
 *    short write is followed by on_stream_writable() once the stream can
 *    take more.  Control frames (window updates, SYN/ACK, FIN, RST, pings,
 *    GoAway) may use out_reserve bytes above out_hiwat; when even that is
 *    full they are kept as per-stream state and written after the next
 *    lp2p_mux_out_ack().  lp2p_mux_recv() stops consuming input while the
 *    output is that full, so a peer that does not read cannot grow it.
 *  - Receive flow control: the caller reports with lp2p_mux_consumed() the
 *    bytes it has processed; a paused stream simply stops reporting.
 *    yamux re-opens the peer's window (one WINDOW_UPDATE once half the
 *    window is consumed).  mplex has no flow control: a stream with more
 *    than max_unconsumed bytes delivered but not consumed is reset by the
 *    session (on_stream_reset with LP2P_ELIMIT).
 *
 * Stream ids are opaque 64-bit numbers, unique in the session while the
 * stream lives (yamux: the wire id; mplex: wire id and direction).  A
 * stream is forgotten, and its id stale (LP2P_ENOTFOUND), once both
 * directions are closed (the caller's lp2p_mux_close() and
 * on_stream_fin()), after the caller's lp2p_mux_reset(), or after
 * on_stream_reset() returns.
 *
 * Callbacks run inside lp2p_mux_recv() and lp2p_mux_out_ack() (never inside
 * the other calls).  They may call any function of the session except
 * lp2p_mux_free() and lp2p_mux_recv().
 *
 * A fatal error (lp2p_mux_recv() < 0) is sticky: every later call fails
 * with it; the output then holds a GoAway (yamux) worth sending before the
 * connection is closed.
 */
#ifndef LP2P_MUX_MUX_H
#define LP2P_MUX_MUX_H

#include <stdbool.h>
#include <sys/types.h>

#include <lp2p/common.h>

#define LP2P_YAMUX_PROTOCOL_ID "/yamux/1.0.0"
#define LP2P_MPLEX_PROTOCOL_ID "/mplex/6.7.0"
/* mplex NewStream names: longer ones are cut to this (they are debug aids). */
#define LP2P_MPLEX_MAX_NAME 256

enum lp2p_mux_kind { LP2P_MUX_YAMUX, LP2P_MUX_MPLEX };

/* The dialer of the connection is the initiator (yamux: odd stream ids). */
enum lp2p_mux_role { LP2P_MUX_INITIATOR, LP2P_MUX_RESPONDER };

/* yamux GoAway codes (the Length field of a GoAway frame). */
enum lp2p_yamux_goaway {
	LP2P_YAMUX_GOAWAY_NORMAL = 0,
	LP2P_YAMUX_GOAWAY_PROTOCOL = 1,
	LP2P_YAMUX_GOAWAY_INTERNAL = 2,
};

/* Limits; a zero field takes its default (see lp2p_mux_config_default()). */
struct lp2p_mux_config {
	/* Inbound streams open at once; one more is refused (RST). 1000. */
	uint32_t max_inbound_streams;
	/* Outbound streams open at once; one more: LP2P_ELIMIT.  1000. */
	uint32_t max_outbound_streams;
	/*
	 * yamux: outbound streams not yet ACKed by the peer (the spec's ACK
	 * backlog); one more: LP2P_EAGAIN.  256.
	 */
	uint32_t max_ack_backlog;
	/*
	 * yamux: receive window per stream, fixed (no auto-tuning).  256 KiB
	 * (the spec's initial window, the minimum); a larger value is
	 * announced in the SYN/ACK window update.  At most 16 MiB.
	 */
	uint32_t window;
	/* Largest data payload per frame sent.  64 KiB; at most 1 MiB. */
	uint32_t max_frame;
	/* Writes are accepted while the output holds less.  256 KiB. */
	uint32_t out_hiwat;
	/* Extra room above out_hiwat for control frames.  16 KiB. */
	uint32_t out_reserve;
	/* mplex: unconsumed bytes per stream before it is reset.  4 MiB. */
	uint32_t max_unconsumed;
};

struct lp2p_mux_callbacks {
	/*
	 * The peer opened a stream.  name (mplex: the NewStream name, at
	 * most LP2P_MPLEX_MAX_NAME bytes kept, not NUL-terminated; yamux: an
	 * empty string) is valid during the call.  Return 0 to accept (and
	 * set *stream_data, initially NULL), negative to refuse (RST).
	 * NULL: every stream is refused.
	 */
	int (*on_stream_open)(void *user_data, uint64_t id, const char *name,
	                      size_t name_len, void **stream_data);
	/* Stream data data[0..len), valid during the call. */
	void (*on_stream_data)(void *user_data, uint64_t id, void *stream_data,
	                       const uint8_t *data, size_t len);
	/* The peer closed its direction (no more data will come). */
	void (*on_stream_fin)(void *user_data, uint64_t id, void *stream_data);
	/*
	 * The stream is dead and forgotten after the call: err is
	 * LP2P_ERESET (the peer reset it), LP2P_ELIMIT (mplex: too much
	 * unconsumed data; the session reset it) or LP2P_EPROTO (mplex: the
	 * peer wrote after closing; the session reset it).
	 */
	void (*on_stream_reset)(void *user_data, uint64_t id, void *stream_data,
	                        int err);
	/* A stream whose write was short can take more bytes. */
	void (*on_stream_writable)(void *user_data, uint64_t id,
	                           void *stream_data);
	/* yamux: the peer sent GoAway(code); no new streams can be opened. */
	void (*on_goaway)(void *user_data, uint32_t code);
	/*
	 * An lp2p_mux_open() failed with LP2P_EAGAIN and an open fits again
	 * (yamux: an ACK or a reset shrank the ACK backlog; the output
	 * drained).  Once per such failure: the next LP2P_EAGAIN asks again.
	 * Not after GoAway (sent or received) or a fatal error.
	 */
	void (*on_open_room)(void *user_data);
	/* yamux: the answer to lp2p_mux_ping(opaque) (the caller times it). */
	void (*on_ping_ack)(void *user_data, uint32_t opaque);
};

struct lp2p_mux;

/* Fill *cfg with the defaults. */
void lp2p_mux_config_default(struct lp2p_mux_config *cfg);

/*
 * New session.  cfg may be NULL (defaults); cbs is kept, not copied (a
 * static table: it must outlive the session); user_data is passed to every
 * callback.  Errors: LP2P_EINVAL (bad kind/role or a limit
 * out of range), LP2P_ENOMEM.
 */
int lp2p_mux_new(struct lp2p_mux **out, enum lp2p_mux_kind kind,
                 enum lp2p_mux_role role, const struct lp2p_mux_config *cfg,
                 const struct lp2p_mux_callbacks *cbs, void *user_data);

/* Frees the session and its streams; no callback is called. */
void lp2p_mux_free(struct lp2p_mux *m);

/*
 * Feed received bytes buf[0..len), borrowed for the call.  Returns the
 * count consumed: fewer than len only when the output is full (send it,
 * then call again with the rest).  Fatal errors (close the connection):
 * LP2P_EPROTO (the peer broke the protocol), LP2P_ENOMEM.
 */
ssize_t lp2p_mux_recv(struct lp2p_mux *m, const uint8_t *buf, size_t len);

/*
 * The bytes to send: *buf points into the session's output, valid until
 * the next call other than lp2p_mux_out_peek(); the caller may modify them
 * in place.  Returns their count.
 */
size_t lp2p_mux_out_peek(struct lp2p_mux *m, uint8_t **buf);

/*
 * n bytes of the output were sent (n <= the peeked count).  Writes pending
 * control frames and calls on_stream_writable() for streams that can take
 * data again.
 */
void lp2p_mux_out_ack(struct lp2p_mux *m, size_t n);

/*
 * Open an outbound stream; *id receives its id, stream_data is given back
 * to its callbacks.  name (mplex NewStream name; NULL: the decimal id as
 * js-libp2p does; at most LP2P_MPLEX_MAX_NAME bytes) is copied; yamux
 * ignores it.  Errors: LP2P_ECLOSED (GoAway sent or received),
 * LP2P_ELIMIT (max_outbound_streams, or ids exhausted), LP2P_EAGAIN (ACK
 * backlog full, or the output full: on_open_room() tells when to retry),
 * LP2P_EINVAL, LP2P_ENOMEM, or the fatal error.
 */
int lp2p_mux_open(struct lp2p_mux *m, const char *name, void *stream_data,
                  uint64_t *id);

/* Replace a stream's stream_data.  Errors: LP2P_ENOTFOUND. */
int lp2p_mux_set_stream_data(struct lp2p_mux *m, uint64_t id,
                             void *stream_data);

/*
 * Queue data[0..len) (copied) on a stream.  Returns the bytes accepted
 * (0 only for len 0); fewer than len means on_stream_writable() will
 * follow.  Errors: LP2P_EAGAIN (nothing accepted: window or output full),
 * LP2P_ENOTFOUND, LP2P_ECLOSED (the caller closed the stream), or the
 * fatal error.
 */
ssize_t lp2p_mux_write(struct lp2p_mux *m, uint64_t id, const uint8_t *data,
                       size_t len);

/*
 * Half-close: no more data from us (yamux FIN, mplex Close).  The stream
 * is forgotten now if the peer had closed too.  Errors: LP2P_ENOTFOUND,
 * LP2P_ECLOSED (already closed), or the fatal error.
 */
int lp2p_mux_close(struct lp2p_mux *m, uint64_t id);

/*
 * Reset the stream (RST / Reset) and forget it; no callback follows.
 * Errors: LP2P_ENOTFOUND, or the fatal error.
 */
int lp2p_mux_reset(struct lp2p_mux *m, uint64_t id);

/*
 * The caller processed n more bytes delivered on the stream (re-opens the
 * yamux window).  Errors: LP2P_ENOTFOUND, LP2P_EINVAL (n exceeds the bytes
 * delivered and not yet consumed), or the fatal error.
 */
int lp2p_mux_consumed(struct lp2p_mux *m, uint64_t id, size_t n);

/* Bytes delivered on the stream and not yet consumed, or LP2P_ENOTFOUND. */
ssize_t lp2p_mux_unconsumed(const struct lp2p_mux *m, uint64_t id);

/*
 * yamux: send a ping carrying opaque; on_ping_ack(opaque) reports the
 * answer.  Errors: LP2P_ENOTSUP (mplex), LP2P_EAGAIN (a ping is still
 * waiting for room in the output), LP2P_ECLOSED, or the fatal error.
 */
int lp2p_mux_ping(struct lp2p_mux *m, uint32_t opaque);

/*
 * Stop accepting new streams (inbound ones are refused, lp2p_mux_open()
 * fails); yamux also sends GoAway(code).  Existing streams go on.
 * Errors: LP2P_ECLOSED (already sent), or the fatal error.
 */
int lp2p_mux_goaway(struct lp2p_mux *m, uint32_t code);

/* Release the output buffer if it is empty (for idle connections: an
 * active one would only allocate it again). */
void lp2p_mux_trim(struct lp2p_mux *m);

/* Open streams (both directions) the session tracks. */
size_t lp2p_mux_stream_count(const struct lp2p_mux *m);

/* The sticky fatal error, or 0. */
int lp2p_mux_error(const struct lp2p_mux *m);

#endif
