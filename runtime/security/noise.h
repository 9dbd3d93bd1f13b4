/*
 * security/noise.h - libp2p Noise (/noise, Noise_XX_25519_ChaChaPoly_SHA256)
 * as a pure state machine: bytes in, bytes out, no I/O and no clock (the
 * handshake timeout is the caller's).
 *
 * Handshake: create an lp2p_noise_hs, send what lp2p_noise_hs_output()
 * holds, feed what arrives to lp2p_noise_hs_feed(), repeat until
 * lp2p_noise_hs_done() and the output is drained; then
 * lp2p_noise_hs_split() gives the lp2p_noise_session for the data path.
 *
 * Wire format (both phases): frames of a 2-byte big-endian length then a
 * Noise message of at most 65535 bytes; transport messages are
 * ChaCha20-Poly1305 ciphertexts with a 16-byte tag.
 *
 * Errors are sticky: once a handshake or a session failed, every later
 * call returns the same error.  LP2P_ECRYPTO and LP2P_EPROTO are fatal for
 * the connection.
 */
#ifndef LP2P_SECURITY_NOISE_H
#define LP2P_SECURITY_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lp2p/common.h>

#include "security/noise_internal.h"

#define LP2P_NOISE_PROTOCOL_ID "/noise"

/* A frame: the 2-byte length prefix then at most 65535 message bytes. */
#define LP2P_NOISE_LEN_PREFIX 2
#define LP2P_NOISE_FRAME_MAX (LP2P_NOISE_LEN_PREFIX + LP2P_NOISE_MAX_MSG)
/* Plaintext bytes one transport frame carries at most (65519). */
#define LP2P_NOISE_MAX_PLAINTEXT (LP2P_NOISE_MAX_MSG - LP2P_NOISE_TAGLEN)
/* Bytes a transport frame adds around its plaintext. */
#define LP2P_NOISE_FRAME_OVERHEAD (LP2P_NOISE_LEN_PREFIX + LP2P_NOISE_TAGLEN)

/* Limits on the remote's early data (the NoiseExtensions muxer list). */
#define LP2P_NOISE_MAX_MUXERS 32
#define LP2P_NOISE_MAX_MUXER_LEN 256

struct lp2p_key;     /* lp2p/crypto.h */
struct lp2p_peer_id; /* lp2p/peer_id.h */

/* ------------------------------------------------------------------ */
/* Transport phase                                                     */
/* ------------------------------------------------------------------ */

/* Embeddable in the connection object; filled by lp2p_noise_hs_split(). */
struct lp2p_noise_session {
	struct lp2p_noise_cipher send;
	struct lp2p_noise_cipher recv;
	int err; /* sticky: 0 or the error that killed the session */
};

/* A plaintext span inside the caller's receive buffer. */
struct lp2p_noise_span {
	uint8_t *data;
	size_t len;
};

/* Wipes the keys and frees the cipher contexts. */
void lp2p_noise_session_clear(struct lp2p_noise_session *s);

/*
 * Wire bytes for n plaintext bytes: ceil(n / 65519) frames of 18 extra
 * bytes each (0 for n == 0: nothing is sent for nothing).
 */
size_t lp2p_noise_sealed_size(size_t n);

/*
 * Encrypt pt[0..n) into frames written to out[0..cap) (out and pt must
 * not overlap).  Returns the bytes written (lp2p_noise_sealed_size(n)).
 * Errors: LP2P_ERANGE (cap too small; nothing written, the session stays
 * usable), LP2P_ELIMIT (the send nonce would pass 2^64-2; fatal),
 * LP2P_ECRYPTO.
 */
ssize_t lp2p_noise_seal(struct lp2p_noise_session *s, const uint8_t *pt,
                        size_t n, uint8_t *out, size_t cap);

/*
 * In place: the caller wrote n plaintext bytes at buf + 2 (headroom for the
 * first length prefix) in a buffer of cap >= lp2p_noise_sealed_size(n)
 * bytes; on return buf[0..result) holds the frames.  For n <= 65519 (one
 * frame) nothing is moved; larger buffers move each later chunk once to
 * make room for the frame headers and tags.  Errors as lp2p_noise_seal().
 */
ssize_t lp2p_noise_seal_inplace(struct lp2p_noise_session *s, uint8_t *buf,
                                size_t n, size_t cap);

/*
 * Decrypt the complete frames at the start of buf[0..len) in place and
 * describe their plaintext in spans[0..*nspans) (pointers into buf; empty
 * plaintexts get no span).  Stops at a partial frame or when max_spans
 * spans are used.  Returns the bytes consumed (whole frames; the caller
 * keeps buf[result..len) for later and must not reuse buf[0..result)
 * while it uses the spans).  Errors: LP2P_ECRYPTO (authentication failed),
 * LP2P_EPROTO (a frame shorter than its tag), LP2P_ELIMIT (receive nonce
 * exhausted): all fatal.
 */
ssize_t lp2p_noise_open(struct lp2p_noise_session *s, uint8_t *buf, size_t len,
                        struct lp2p_noise_span *spans, size_t max_spans,
                        size_t *nspans);

/*
 * The total size of the frame starting at buf[0..len) (2 + its length
 * prefix), or 0 while fewer than 2 bytes are there: how much a reader must
 * accumulate before lp2p_noise_open() makes progress.
 */
size_t lp2p_noise_frame_size(const uint8_t *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Handshake                                                           */
/* ------------------------------------------------------------------ */

/*
 * Per-host state, made once and shared by every handshake of the host:
 * the X25519 static key (the spec allows "a single static keypair ...
 * generated when noise-libp2p is initialized and used for all
 * sessions"), its signature by the identity key, the encoded handshake
 * payload for the host's muxer list, and reusable X25519 contexts.  Only
 * ephemeral keys are made per handshake.  Not thread-safe: a context and
 * its handshakes are used by one thread at a time (the host's).
 */
struct lp2p_noise_ctx;

struct lp2p_noise_ctx_config {
	/* The identity key (private): signs the static key; not kept. */
	const struct lp2p_key *identity;
	/* Our stream muxers in our order of preference; copied. */
	const char *const *muxers;
	size_t n_muxers;
	/* Optional: a 32-byte X25519 private key to use as the static key
	 * (known-answer tests); NULL: a fresh random one. */
	const uint8_t *static_private;
};

/*
 * Create a context with one reference.  Errors: LP2P_EINVAL (no private
 * identity key, NULL muxer names), LP2P_ERANGE (a muxer longer than
 * LP2P_NOISE_MAX_MUXER_LEN, more than LP2P_NOISE_MAX_MUXERS),
 * LP2P_ENOMEM, LP2P_ECRYPTO.
 */
int lp2p_noise_ctx_new(const struct lp2p_noise_ctx_config *cfg,
                       struct lp2p_noise_ctx **out);

/* Drop a reference (handshakes hold their own, so a context may be
 * released while they run); NULL is fine. */
void lp2p_noise_ctx_free(struct lp2p_noise_ctx *ctx);

/* The static public key every handshake of this context sends. */
const uint8_t *lp2p_noise_ctx_static_public(const struct lp2p_noise_ctx *ctx);

struct lp2p_noise_hs;

struct lp2p_noise_config {
	bool initiator;
	/* Optional per-host state (lp2p_noise_ctx_new()); the handshake
	 * takes a reference.  Without one, the handshake makes its own: a
	 * fresh static key and signature, as for a single connection. */
	struct lp2p_noise_ctx *ctx;
	/* The local identity key (private), needed without ctx only (it
	 * signs the static key; not kept); ignored with ctx, whose key
	 * signed already. */
	const struct lp2p_key *identity;
	/* Optional: the peer id the remote must have (a dialler's /p2p/
	 * target; a responder may know it too, e.g. in a hole punch);
	 * copied. */
	const struct lp2p_peer_id *expected_peer;
	/* Early muxer negotiation: our stream muxers in our order of
	 * preference ("/yamux/1.0.0", ...); copied.  n_muxers may be 0. */
	const char *const *muxers;
	size_t n_muxers;
};

/*
 * Create a handshake.  With cfg->ctx it uses the context's static key and
 * signed payload (encoding the payload again only if cfg->muxers differ
 * from the context's list); without, it generates a static key and signs
 * it.  An initiator's first message is ready in the output at once.
 * Errors: LP2P_EINVAL (neither ctx nor a private identity key, NULL muxer
 * names), LP2P_ERANGE (a muxer longer than LP2P_NOISE_MAX_MUXER_LEN,
 * more than LP2P_NOISE_MAX_MUXERS, or a payload over the message limit),
 * LP2P_ENOMEM, LP2P_ECRYPTO.
 */
int lp2p_noise_hs_new(const struct lp2p_noise_config *cfg,
                      struct lp2p_noise_hs **out);

/* Frees the handshake and wipes its secrets; NULL is fine. */
void lp2p_noise_hs_free(struct lp2p_noise_hs *hs);

/*
 * Feed received bytes.  Only whole handshake frames are consumed: a
 * partial frame is left (returns 0; call again with more bytes appended),
 * and bytes after the last handshake message (the peer's first transport
 * frames) are left for the session.  Returns the bytes consumed or the
 * sticky error: LP2P_EPROTO (malformed message or payload), LP2P_ECRYPTO
 * (decryption, DH or identity signature failure), LP2P_EPEERID (the peer
 * is not expected_peer), LP2P_ENOTSUP (an identity key type crypto does
 * not support).  See lp2p_noise_error_reason().
 */
ssize_t lp2p_noise_hs_feed(struct lp2p_noise_hs *hs, const uint8_t *in,
                           size_t len);

/*
 * Bytes to send: *data points into the handshake (valid until the next
 * call on hs); returns their count (0: nothing to send).  Call
 * lp2p_noise_hs_output_ack() with the count actually sent.
 */
size_t lp2p_noise_hs_output(const struct lp2p_noise_hs *hs,
                            const uint8_t **data);
void lp2p_noise_hs_output_ack(struct lp2p_noise_hs *hs, size_t n);

/* The handshake is complete and authenticated (the output may still hold
 * the last message: drain it before sending transport frames). */
bool lp2p_noise_hs_done(const struct lp2p_noise_hs *hs);

/* 0 or the sticky error. */
int lp2p_noise_hs_error(const struct lp2p_noise_hs *hs);

/* Why the handshake failed, in words ("" when it did not); static or
 * owned by hs. */
const char *lp2p_noise_error_reason(const struct lp2p_noise_hs *hs);

/* After done: the verified remote peer id (owned by hs). */
const struct lp2p_peer_id *
lp2p_noise_hs_remote_peer(const struct lp2p_noise_hs *hs);

/* After done: the remote identity public key (owned by hs; NULL before). */
const struct lp2p_key *lp2p_noise_hs_remote_key(const struct lp2p_noise_hs *hs);

/*
 * After done: the remote's stream muxer list from its NoiseExtensions, in
 * its order (strings owned by hs).  Returns the count; 0 if it sent none.
 */
size_t lp2p_noise_hs_remote_muxers(const struct lp2p_noise_hs *hs,
                                   const char *const **list);

/*
 * After done: the early-negotiated muxer, the first of the INITIATOR's
 * list that the responder also lists (spec: inlined muxer negotiation;
 * go-libp2p does the same), owned by hs; NULL if either side sent no list
 * or they have none in common, in which case the caller negotiates with
 * multistream-select (as go-libp2p does; the spec says to fail, and
 * js-libp2p fails when it got a list).
 *
 * Beware: @chainsafe/libp2p-noise 17 as the INITIATOR picks the first of
 * the responder's list that it supports.  Both rules agree only when both
 * lists order their common muxers alike, so keep lp2p's order the usual
 * one (yamux before mplex).
 */
const char *lp2p_noise_hs_selected_muxer(const struct lp2p_noise_hs *hs);

/*
 * After done: move the transport cipher states into *s.  Call once.
 * Errors: LP2P_EINVAL (not done, or already split).
 */
int lp2p_noise_hs_split(struct lp2p_noise_hs *hs, struct lp2p_noise_session *s);

#endif
