/*
 * lp2p/service.h - bookkeeping every protocol needs, so that a plugin is
 * its protocol: answering a stream with echoes of what arrives, counting
 * a peer's streams of a protocol (for per-peer limits), timers that
 * belong to a connection, a microsecond clock.
 *
 * All of it runs on the swarm thread and is built on the public stream
 * and connection calls.
 */
#ifndef LP2P_SERVICE_H
#define LP2P_SERVICE_H

#include <lp2p/common.h>
#include <lp2p/host.h>
#include <lp2p/peer_id.h>
#include <lp2p/plugin.h>
#include <lp2p/swarm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest unit lp2p_stream_echo() takes. */
#define LP2P_ECHO_MAX_UNIT 65536
/* While more than this waits in the stream's send queue, an echoing
 * stream is paused (the muxer window then stops the peer). */
#define LP2P_ECHO_HIWAT (64u * 1024)

/*
 * Serve s by echoing: every unit bytes received (1: each byte as it
 * arrives) go back once the unit is whole, through lp2p_stream_send();
 * reading pauses while more than LP2P_ECHO_HIWAT bytes wait to go out;
 * when the peer closes its side, ours is closed after the last echo (an
 * incomplete last unit is not answered).  /ipfs/ping/1.0.0 is an echo of
 * 32-byte units, /echo/1.0.0 one of single bytes.
 *
 * Installs its own handler on s (replacing any); its state (unit bytes,
 * reserved against the stream's memory scope) is freed in its on_close,
 * which comes once however the stream ends.  The caller keeps nothing and
 * must not install another handler.  Typically the whole of an
 * accept_inbound_stream: `return lp2p_stream_echo(s, 32);`.
 * Errors (s untouched): LP2P_EINVAL (unit 0 or over LP2P_ECHO_MAX_UNIT),
 * LP2P_ELIMIT (the stream's memory scope), LP2P_ENOMEM.
 */
LP2P_API int lp2p_stream_echo(lp2p_stream *s, size_t unit);

/*
 * How many live streams with the negotiated protocol id protocol, in
 * direction dir, the host has with peer, over all its connections.  An
 * inbound stream being handed to accept_inbound_stream counts already,
 * so "at most N per peer" there is `> N`.  An outbound stream counts once
 * its protocol is agreed (or proposed optimistically).
 */
LP2P_API size_t lp2p_host_peer_streams(const lp2p_host *h,
                                       const struct lp2p_peer_id *peer,
                                       const char *protocol,
                                       enum lp2p_direction dir);

/*
 * A timer of conn: like lp2p_timer_new() (start and stop it with
 * lp2p_timer_start() and lp2p_timer_stop()), but it never calls cb once
 * the connection closed, and it is freed with the connection (after
 * every handle_closed_connection and the callbacks of the connection's
 * streams), so its owner neither checks nor frees it: do not pass it to
 * lp2p_timer_free().  It takes one of the connection's data slots (see
 * lp2p_conn_set_data()).  Errors: LP2P_EINVAL, LP2P_ECLOSED (the
 * connection closed), LP2P_ELIMIT (no slot left), LP2P_ENOMEM.
 */
LP2P_API int lp2p_conn_timer_new(lp2p_conn *conn, void (*cb)(void *arg),
                                 void *arg, lp2p_timer **out);

/* CLOCK_MONOTONIC in microseconds, read at the call (lp2p_host_now_ms()
 * is the loop's cached milliseconds): for measuring round trips. */
LP2P_API uint64_t lp2p_clock_us(void);

#ifdef __cplusplus
}
#endif
#endif
