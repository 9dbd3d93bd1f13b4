/*
 * security/tls.h - libp2p TLS 1.3 (/tls/1.0.0) on OpenSSL, as a state
 * machine with the shape of noise.h: bytes in, bytes out, no I/O.
 * OpenSSL never sees a socket: a BIO of our own (tls_bio.c) hands it the
 * caller's bytes and writes its records into the caller's buffers.
 *
 * Handshake: create an lp2p_tls_hs, send what lp2p_tls_hs_output()
 * holds, feed what arrives to lp2p_tls_hs_feed(), repeat until
 * lp2p_tls_hs_done() and the output is drained; then lp2p_tls_hs_split()
 * gives the lp2p_tls_session for the data path.
 *
 * Both sides present a self-signed certificate for a P-256 key of the
 * host (made once per lp2p_tls_ctx, never the identity key) carrying the
 * libp2p Public Key Extension, and both require the other's.  The
 * certificate is checked by tls_cert.c, not by OpenSSL's chain
 * verification: exactly one certificate, valid now, a supported signature
 * algorithm, a valid self-signature, no unknown critical extension, the
 * extension present once with a valid identity signature; the remote peer
 * id comes from the identity key in it.
 *
 * Early muxer negotiation (ALPN): the client offers its muxers in its
 * order, then "libp2p"; the server picks the first of the client's list it
 * supports ("libp2p" included).  "libp2p" or no ALPN at all means the
 * muxer is negotiated afterwards with multistream-select.
 *
 * Wire units are TLS records: a 5-byte header then at most 16384 + 256
 * bytes.  Only whole records are consumed, in both phases; a partial
 * record stays with the caller.
 *
 * Errors are sticky: once a handshake or a session failed, every later
 * call returns the same error.
 */
#ifndef LP2P_SECURITY_TLS_H
#define LP2P_SECURITY_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lp2p/common.h>

#define LP2P_TLS_PROTOCOL_ID "/tls/1.0.0"
/* The ALPN id of libp2p without early muxer negotiation. */
#define LP2P_TLS_ALPN_LIBP2P "libp2p"

#define LP2P_TLS_RECORD_HEADER 5
/* Plaintext bytes one record carries at most (what OpenSSL sends). */
#define LP2P_TLS_MAX_PLAINTEXT 16384
/* Largest record body a peer may send (RFC 8446 5.2). */
#define LP2P_TLS_MAX_RECORD_BODY (LP2P_TLS_MAX_PLAINTEXT + 256)
#define LP2P_TLS_MAX_RECORD (LP2P_TLS_RECORD_HEADER + LP2P_TLS_MAX_RECORD_BODY)
/* Bytes a record adds around its plaintext: header, inner content type,
 * 16-byte AEAD tag (every TLS 1.3 suite enabled here). */
#define LP2P_TLS_RECORD_OVERHEAD (LP2P_TLS_RECORD_HEADER + 1 + 16)
/* Room lp2p_tls_sealed_size() keeps for a KeyUpdate OpenSSL may put
 * before the data. */
#define LP2P_TLS_SEAL_SLACK 64

/* Limits on our own muxer list (ALPN protocol names are 1..255 bytes). */
#define LP2P_TLS_MAX_MUXERS 32
#define LP2P_TLS_MAX_MUXER_LEN 255

struct lp2p_key;     /* lp2p/crypto.h */
struct lp2p_peer_id; /* lp2p/peer_id.h */

/* ------------------------------------------------------------------ */
/* Host context: the certificate                                       */
/* ------------------------------------------------------------------ */

struct lp2p_tls_ctx;

/*
 * A context for identity (a private key, used now only: it signs the
 * certificate's key; not kept): a fresh P-256 key and its self-signed
 * certificate, valid from an hour ago for 100 years, in an OpenSSL
 * SSL_CTX set up for libp2p.  Handshakes made from it share it (they
 * hold their own references: the context may be freed before them).
 * Errors: LP2P_EINVAL (no private identity key), LP2P_ENOMEM,
 * LP2P_ECRYPTO.
 */
int lp2p_tls_ctx_new(const struct lp2p_key *identity,
                     struct lp2p_tls_ctx **out);
void lp2p_tls_ctx_free(struct lp2p_tls_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Transport phase                                                     */
/* ------------------------------------------------------------------ */

struct lp2p_tls_session;

/* Frees the session (OpenSSL wipes its keys); NULL is fine. */
void lp2p_tls_session_free(struct lp2p_tls_session *s);

/*
 * Room lp2p_tls_seal() needs for n plaintext bytes: output held from
 * earlier (a KeyUpdate reply), then ceil(n / 16384) records of
 * LP2P_TLS_RECORD_OVERHEAD extra bytes each, plus LP2P_TLS_SEAL_SLACK.
 * An upper bound: lp2p_tls_seal() returns the exact count.
 */
size_t lp2p_tls_sealed_size(const struct lp2p_tls_session *s, size_t n);

/*
 * Encrypt pt[0..n) into records written to out[0..cap) (no overlap),
 * after any output the session held.  OpenSSL encrypts from pt into its
 * own buffer; the BIO copies the records straight into out.  Returns the
 * bytes written.  Errors: LP2P_ERANGE (cap < lp2p_tls_sealed_size();
 * nothing written, the session stays usable), LP2P_ECRYPTO or
 * LP2P_EPROTO (OpenSSL failed; fatal).
 */
ssize_t lp2p_tls_seal(struct lp2p_tls_session *s, const uint8_t *pt, size_t n,
                      uint8_t *out, size_t cap);

/*
 * Decrypt the complete records at the start of buf[0..len) in place: the
 * plaintext of all of them lands contiguously at buf[0..*ptlen) (a record's
 * plaintext is shorter than the record, so it never overtakes the bytes
 * still to be read).  Returns the bytes consumed (whole records; the
 * caller keeps buf[result..len) for later and must not reuse buf[0..result)
 * while it uses the plaintext).  A close_notify from the remote ends the
 * session: the plaintext before it is returned, later calls return
 * LP2P_ECLOSED.  Post-handshake messages (session tickets, KeyUpdate) are
 * handled here; a reply waits for the next lp2p_tls_seal().  Errors:
 * LP2P_EPROTO (a record over the size limit, or OpenSSL refused the
 * input), LP2P_ECRYPTO (authentication failed, or the remote sent an
 * alert), LP2P_ECLOSED: all fatal.  See lp2p_tls_session_error_reason().
 */
ssize_t lp2p_tls_open(struct lp2p_tls_session *s, uint8_t *buf, size_t len,
                      size_t *ptlen);

/* 0 or the sticky error, and why in words ("" when none; owned by s). */
int lp2p_tls_session_error(const struct lp2p_tls_session *s);
const char *lp2p_tls_session_error_reason(const struct lp2p_tls_session *s);

/*
 * The size of the complete records at the start of buf[0..len) (0 when
 * the first is partial).  LP2P_EPROTO when a record header announces more
 * than LP2P_TLS_MAX_RECORD_BODY bytes.
 */
ssize_t lp2p_tls_complete_records(const uint8_t *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Handshake                                                           */
/* ------------------------------------------------------------------ */

struct lp2p_tls_hs;

struct lp2p_tls_config {
	bool initiator; /* the TLS client */
	/* The host context; if NULL a context only for this handshake is
	 * made from identity (a private key; not kept). */
	struct lp2p_tls_ctx *ctx;
	const struct lp2p_key *identity;
	/* Optional: the peer id the remote must have; copied. */
	const struct lp2p_peer_id *expected_peer;
	/* Early muxer negotiation: our stream muxers in our order of
	 * preference; copied.  n_muxers may be 0. */
	const char *const *muxers;
	size_t n_muxers;
	/* Certificate validity is checked at this time (seconds since the
	 * epoch); 0: the system clock at the check. */
	int64_t now;
};

/*
 * Create a handshake.  A client's first flight (ClientHello) is ready in
 * the output at once.  Errors: LP2P_EINVAL (neither ctx nor a private
 * identity, NULL muxer names), LP2P_ERANGE (a muxer name empty or longer
 * than LP2P_TLS_MAX_MUXER_LEN, more than LP2P_TLS_MAX_MUXERS),
 * LP2P_ENOMEM, LP2P_ECRYPTO.
 */
int lp2p_tls_hs_new(const struct lp2p_tls_config *cfg,
                    struct lp2p_tls_hs **out);

/* Frees the handshake (and its session unless split); NULL is fine. */
void lp2p_tls_hs_free(struct lp2p_tls_hs *hs);

/*
 * Feed received bytes.  Only whole records are consumed: a partial record
 * is left (returns 0; call again with more bytes appended), and once the
 * handshake is done the bytes after it (the peer's first application
 * records) are left for the session.  Returns the bytes consumed or the
 * sticky error: LP2P_EPROTO (malformed input, refused certificate),
 * LP2P_ECRYPTO (a signature failed, the remote sent an alert),
 * LP2P_EPEERID (the peer is not expected_peer), LP2P_ENOTSUP (the remote
 * does not speak TLS 1.3, or its identity key type is unsupported),
 * LP2P_ENEGOTIATE (no ALPN protocol in common).  See
 * lp2p_tls_error_reason().
 */
ssize_t lp2p_tls_hs_feed(struct lp2p_tls_hs *hs, const uint8_t *in, size_t len);

/*
 * Bytes to send: *data points into the handshake (valid until the next
 * call on hs); returns their count (0: nothing to send).  Call
 * lp2p_tls_hs_output_ack() with the count actually sent.  After a failure
 * the output may hold the alert telling the remote why.
 */
size_t lp2p_tls_hs_output(const struct lp2p_tls_hs *hs, const uint8_t **data);
void lp2p_tls_hs_output_ack(struct lp2p_tls_hs *hs, size_t n);

/*
 * The handshake is complete and the remote authenticated (the output may
 * still hold our last flight: drain it before sealing).  A client is done
 * before the server has checked its certificate (TLS 1.3): a refusal
 * shows up as an alert in the session.
 */
bool lp2p_tls_hs_done(const struct lp2p_tls_hs *hs);

/* 0 or the sticky error. */
int lp2p_tls_hs_error(const struct lp2p_tls_hs *hs);

/* Why the handshake failed, in words ("" when it did not); owned by hs. */
const char *lp2p_tls_error_reason(const struct lp2p_tls_hs *hs);

/* After done: the verified remote peer id (owned by hs). */
const struct lp2p_peer_id *
lp2p_tls_hs_remote_peer(const struct lp2p_tls_hs *hs);

/* After done: the remote identity public key (owned by hs; NULL before). */
const struct lp2p_key *lp2p_tls_hs_remote_key(const struct lp2p_tls_hs *hs);

/*
 * After done: the muxer ALPN selected (one of our muxer names, owned by
 * hs), or NULL when it selected "libp2p" or nothing: negotiate the muxer
 * with multistream-select.
 */
const char *lp2p_tls_hs_selected_muxer(const struct lp2p_tls_hs *hs);

/*
 * After done, with the output drained: move the session out (*out, freed
 * with lp2p_tls_session_free()).  Call once.  Errors: LP2P_EINVAL (not
 * done, output not drained, or already split).
 */
int lp2p_tls_hs_split(struct lp2p_tls_hs *hs, struct lp2p_tls_session **out);

#endif
