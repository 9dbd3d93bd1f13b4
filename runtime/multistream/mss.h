/*
 * multistream/mss.h - multistream-select 1.0 (/multistream/1.0.0), the
 * negotiation that picks the protocol spoken on a connection (security,
 * muxer) or on a stream.  Internal to the runtime.
 *
 * A pure state machine in the BearSSL style: no I/O, no clock.  One object
 * per negotiation (one allocation); the caller feeds received bytes with
 * lp2p_mss_recv() and sends what lp2p_mss_out_peek() shows, acknowledging
 * it with lp2p_mss_out_ack().
 *
 * Wire format: every message is a line "<text>\n" prefixed by its length
 * (text + newline) as an unsigned varint.  A message longer than
 * LP2P_MSS_MAX_LINE bytes, a bad or non-minimal varint, an empty message
 * or one not ending in '\n' is LP2P_EPROTO.
 *
 * Dialer: sends the header and its first proposal at once, then the next
 * proposal after each "na"; the list exhausted is LP2P_ENEGOTIATE.
 * Listener: sends the header at once, then answers each proposal with its
 * echo (accepted) or "na".  "ls" is answered with "na" (listing is not
 * supported; go/js do not depend on it).  Every message after the header
 * that is not accepted counts as a rejection; more than max_rejects is
 * LP2P_ELIMIT.
 *
 * Either side: a first message other than the header is LP2P_ENEGOTIATE
 * (the peer speaks another negotiation protocol or version).
 *
 * Bytes that follow the final message (the accepted proposal, or the echo
 * the dialer waited for) are not consumed: lp2p_mss_recv() returns the
 * count it used and the rest belongs to the negotiated protocol.  Errors
 * are sticky.  The caller must send the remaining output (the listener's
 * echo) before any byte of the negotiated protocol.
 */
#ifndef LP2P_MULTISTREAM_MSS_H
#define LP2P_MULTISTREAM_MSS_H

#include <stdbool.h>
#include <sys/types.h>

#include <lp2p/common.h>

#define LP2P_MSS_PROTOCOL_ID "/multistream/1.0.0"
/* Longest message accepted or sent, counting the '\n' (as go and js). */
#define LP2P_MSS_MAX_LINE 1024
#define LP2P_MSS_DEFAULT_MAX_REJECTS 32

struct lp2p_mss;

/*
 * Listener's decision for a proposal: return true to accept it.  proto is
 * NUL-terminated (len bytes without the NUL), owned by the negotiation and
 * valid during the call only.  It may contain any byte but NUL and is never
 * the header or "ls".
 */
typedef bool (*lp2p_mss_select_fn)(void *user_data, const char *proto,
                                   size_t len);

/*
 * New dialer proposing protocols[0..count) in order.  The strings are
 * borrowed: they must stay valid until lp2p_mss_free().  Each must be 1 to
 * LP2P_MSS_MAX_LINE - 1 bytes without '\n'.  The header and the first
 * proposal are ready in the output at once.
 * Errors: LP2P_EINVAL (empty list or bad protocol id), LP2P_ENOMEM.
 */
int lp2p_mss_dialer_new(struct lp2p_mss **out, const char *const *protocols,
                        size_t count);

/*
 * New listener asking select(user_data, ...) about each proposal.
 * max_rejects == 0 means LP2P_MSS_DEFAULT_MAX_REJECTS.  The header is ready
 * in the output at once.  Errors: LP2P_EINVAL (select NULL), LP2P_ENOMEM.
 */
int lp2p_mss_listener_new(struct lp2p_mss **out, lp2p_mss_select_fn select,
                          void *user_data, unsigned max_rejects);

void lp2p_mss_free(struct lp2p_mss *m);

/*
 * Feed received bytes buf[0..len) (borrowed for the call).  Returns how
 * many were consumed: fewer than len when the negotiation completed (the
 * rest is the negotiated protocol's) or when the output is full (send it,
 * then call again with the rest); 0 once complete.  Negative on error (and
 * every later call returns the same): LP2P_EPROTO (malformed message or
 * unexpected answer), LP2P_ENEGOTIATE (header mismatch, or the dialer's
 * list is exhausted), LP2P_ELIMIT (listener: too many rejections).
 */
ssize_t lp2p_mss_recv(struct lp2p_mss *m, const uint8_t *buf, size_t len);

/*
 * Bytes to send: *buf points into the negotiation's buffer, valid until the
 * next call other than lp2p_mss_out_peek() or lp2p_mss_result().  Returns
 * their count (0: nothing to send).
 */
size_t lp2p_mss_out_peek(struct lp2p_mss *m, const uint8_t **buf);

/* n bytes of the output were sent (n <= the peeked length). */
void lp2p_mss_out_ack(struct lp2p_mss *m, size_t n);

/*
 * State: 0 when a protocol was chosen, LP2P_EAGAIN while negotiating, or
 * the error.  On 0, *proto (if not NULL) is the NUL-terminated protocol id,
 * owned by the negotiation (valid until lp2p_mss_free()), and *index (if
 * not NULL) its position in the dialer's list (0 for a listener).
 */
int lp2p_mss_result(const struct lp2p_mss *m, const char **proto,
                    size_t *index);

#endif
