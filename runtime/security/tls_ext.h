/*
 * tls_ext.h - the libp2p Public Key Extension of a TLS certificate
 * (OID 1.3.6.1.4.1.53594.1.1), whose value is the DER of
 *
 *   SignedKey ::= SEQUENCE {
 *     publicKey OCTET STRING,   -- protobuf PublicKey of the identity key
 *     signature OCTET STRING    -- identity signature over
 *   }                           -- "libp2p-tls-handshake:" || cert SPKI
 *
 * Pure: the parser gives views into the caller's buffer, reads nothing
 * past it and accepts DER only (definite, minimal lengths; nothing after
 * the SEQUENCE; no other element inside it).
 */
#ifndef LP2P_SECURITY_TLS_EXT_H
#define LP2P_SECURITY_TLS_EXT_H

#include <stddef.h>
#include <stdint.h>

#include <lp2p/common.h>
#include <lp2p/crypto.h>

#define LP2P_TLS_EXT_OID "1.3.6.1.4.1.53594.1.1"
/* The identity key signs this prefix, then the certificate's DER SPKI. */
#define LP2P_TLS_SIG_PREFIX "libp2p-tls-handshake:"
#define LP2P_TLS_SIG_PREFIX_LEN (sizeof(LP2P_TLS_SIG_PREFIX) - 1)

/* Limits on the two fields (the key and signature limits of crypto). */
#define LP2P_TLS_EXT_KEY_MAX LP2P_KEY_PUBLIC_MAX
#define LP2P_TLS_EXT_SIG_MAX LP2P_KEY_SIG_MAX
/* The largest SignedKey: two OCTET STRINGs in a SEQUENCE, 4 bytes of
 * header each at these sizes. */
#define LP2P_TLS_EXT_MAX (LP2P_TLS_EXT_KEY_MAX + LP2P_TLS_EXT_SIG_MAX + 12)

struct lp2p_tls_signed_key {
	const uint8_t *key; /* protobuf PublicKey, 1..LP2P_TLS_EXT_KEY_MAX */
	size_t key_len;
	const uint8_t *sig; /* 1..LP2P_TLS_EXT_SIG_MAX bytes */
	size_t sig_len;
};

/*
 * Parse a SignedKey from der[0..len) (views into der).  Errors, with *why
 * set to a static reason: LP2P_EPROTO (not DER, wrong tags, trailing
 * bytes, empty fields), LP2P_ERANGE (a field over its limit).
 */
int lp2p_tls_signed_key_parse(const uint8_t *der, size_t len,
                              struct lp2p_tls_signed_key *out,
                              const char **why);

/* The exact DER length lp2p_tls_signed_key_write() produces. */
size_t lp2p_tls_signed_key_size(size_t key_len, size_t sig_len);

/*
 * Write the DER of SignedKey { key, sig } into buf[0..cap).  Returns its
 * length.  Errors: LP2P_ERANGE (does not fit, or a field over its limit
 * or empty).
 */
int lp2p_tls_signed_key_write(uint8_t *buf, size_t cap, const uint8_t *key,
                              size_t key_len, const uint8_t *sig,
                              size_t sig_len);

#endif
