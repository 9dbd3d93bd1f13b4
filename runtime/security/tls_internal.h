/*
 * tls_internal.h - inside the TLS module: the BIO between OpenSSL and the
 * caller's buffers, the session, and the certificate code (tls_cert.c).
 */
#ifndef LP2P_SECURITY_TLS_INTERNAL_H
#define LP2P_SECURITY_TLS_INTERNAL_H

#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 30000
#endif
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif

#include <stdarg.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <lp2p/crypto.h>
#include <lp2p/peer_id.h>

#include "security/tls.h"

#define LP2P_TLS_REASON_MAX 256

/*
 * What the BIO reads from and writes to.  Reads come from in[in_off ..
 * in_len), the whole records the caller offered; an empty source says
 * "retry".  Writes go to sink[sink_len .. sink_cap) while a seal runs,
 * otherwise to the pending buffer (handshake flights, a KeyUpdate reply).
 */
struct lp2p_tls_io {
	const uint8_t *in;
	size_t in_len, in_off;
	uint8_t *sink;
	size_t sink_len, sink_cap;
	bool sink_overflow;
	uint8_t *pend;
	size_t pend_off, pend_len, pend_cap;
};

struct lp2p_tls_session {
	SSL *ssl;
	struct lp2p_tls_io io;
	int err;
	bool closed; /* close_notify received */
	char reason[LP2P_TLS_REASON_MAX];
};

struct lp2p_tls_ctx {
	SSL_CTX *ssl_ctx;
};

/* tls_bio.c */
/* A BIO over io (not owned by the BIO); NULL when out of memory. */
BIO *lp2p_tls_bio_new(struct lp2p_tls_io *io);
size_t lp2p_tls_io_pending(const struct lp2p_tls_io *io);
void lp2p_tls_io_clear(struct lp2p_tls_io *io);

/* tls_session.c */
/* Record why s failed (first failure wins); returns the sticky error. */
int lp2p_tls_session_fail(struct lp2p_tls_session *s, int err, const char *fmt,
                          ...) LP2P_PRINTF(3, 4);
/*
 * After an OpenSSL call failed with SSL_get_error() == ssl_err: an LP2P_E*
 * code and a reason from OpenSSL's error queue (which is then cleared),
 * prefixed with what we were doing.
 */
int lp2p_tls_openssl_failure(int ssl_err, const char *doing, char *why,
                             size_t whylen);

/* tls_cert.c */

/*
 * A fresh P-256 key and a self-signed certificate for it carrying the
 * extension signed by identity, valid from now - 1 hour for 100 years.
 * Errors: LP2P_EINVAL, LP2P_ENOMEM, LP2P_ECRYPTO.
 */
int lp2p_tls_cert_make(const struct lp2p_key *identity, int64_t now,
                       X509 **cert, EVP_PKEY **key);

/* What a successful check learned about the remote. */
struct lp2p_tls_remote {
	struct lp2p_key *key; /* the identity key (caller frees) */
	struct lp2p_peer_id peer;
};

/*
 * The libp2p checks of the remote's certificate chain chain[0..n) (as
 * sent, leaf first) at time now (seconds since the epoch; 0: the system
 * clock), and against expected when it is not NULL.  On success fills
 * *out.  On failure writes why (NUL-terminated, in why[0..whylen)) and,
 * if x509_err is not NULL, the X509_V_ERR_* code that picks the alert.
 * Errors: LP2P_EPROTO (chain of other than one certificate, not valid at
 * now, unsupported signature algorithm, unknown critical extension,
 * unique ids, the extension missing, repeated or malformed),
 * LP2P_ECRYPTO (self-signature or extension signature invalid),
 * LP2P_ENOTSUP or LP2P_ERANGE (identity key not usable), LP2P_EPEERID,
 * LP2P_ENOMEM.
 */
int lp2p_tls_cert_verify(X509 *const *chain, size_t n, int64_t now,
                         const struct lp2p_peer_id *expected,
                         struct lp2p_tls_remote *out, char *why, size_t whylen,
                         int *x509_err);

#endif
