/*
 * stream_internal.h - what the stream files (stream.c, stream_send.c,
 * stream_negotiate.c, stream_mux.c) call of each other.  Internal to
 * runtime/swarm.
 */
#ifndef LP2P_SWARM_STREAM_INTERNAL_H
#define LP2P_SWARM_STREAM_INTERNAL_H

#include "swarm/swarm.h"

/* stream.c: life */
void lp2p_stream_ref(struct lp2p_stream *s);
void lp2p_stream_unref(struct lp2p_stream *s);
/* A new stream on c, counted in its scopes (LP2P_ELIMIT when one is
 * full); not linked yet. */
int lp2p_stream_new(struct lp2p_conn *c, enum lp2p_direction dir,
                    struct lp2p_stream **out);
/* A stream never linked goes away, its scope with it. */
void lp2p_stream_discard(struct lp2p_stream *s);
/* Onto its connection's list; its negotiation timer starts. */
void lp2p_stream_link(struct lp2p_stream *s);
/* The stream ends with reason; the news is delivered from the loop.
 * forget: the session no longer knows the id (no reset to send). */
void lp2p_stream_finish(struct lp2p_stream *s, int reason, bool forget);
/* Arm the timer for the nearer of the stream's deadlines (none: stop). */
void lp2p_stream_deadline_arm(struct lp2p_stream *s);
/* Push data to the handler, or hold it while paused. */
void lp2p_stream_deliver(struct lp2p_stream *s, const uint8_t *data,
                         size_t len);

/* stream_send.c: our end */
/* Our FIN is on its way. */
bool lp2p_stream_fin_sent(const struct lp2p_stream *s);
/* Our FIN goes now, or after the send queue: 0, or the error that ended
 * the stream. */
int lp2p_stream_send_fin(struct lp2p_stream *s);
/* Move the send queue into the session: false when that ended the
 * stream. */
bool lp2p_stream_drain_sendq(struct lp2p_stream *s);

/* stream_negotiate.c: the protocol */
void lp2p_stream_open_wait_unlink(struct lp2p_stream *s);
/* Move the negotiation's output into the session. */
void lp2p_stream_flush_mss(struct lp2p_stream *s);
/* The listener's choice (mss select function; user is the stream). */
bool lp2p_stream_select_protocol(void *user, const char *proto, size_t len);
/* Bytes for a stream still negotiating. */
void lp2p_stream_negotiate_data(struct lp2p_stream *s, const uint8_t *data,
                                size_t len);

#endif
