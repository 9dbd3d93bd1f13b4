/*
 * crypto/key.h - inside struct lp2p_key: an OpenSSL EVP_PKEY and its libp2p
 * type, plus the per-type codecs that turn the protobuf Data field into
 * an EVP_PKEY and back.  Only the OpenSSL 3 EVP/provider API is used.
 */
#ifndef LP2P_CRYPTO_KEY_H
#define LP2P_CRYPTO_KEY_H

/* Refuse every API OpenSSL 3 deprecates, at compile time. */
#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 30000
#endif
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif

#include <openssl/evp.h>

#include <lp2p/crypto.h>

struct lp2p_key {
	EVP_PKEY *pkey;
	enum lp2p_key_type type;
	int is_private;
};

/*
 * One key type's Data codec.  The decoders get Data already bounded by the
 * protobuf size limits and return a new EVP_PKEY or an LP2P_E* code; the
 * encoders write Data into buf (capacity cap) and return its length.
 */
struct lp2p_key_codec {
	int (*generate)(unsigned bits, EVP_PKEY **out);
	int (*decode_public)(const uint8_t *data, size_t len, EVP_PKEY **out);
	int (*decode_private)(const uint8_t *data, size_t len, EVP_PKEY **out);
	int (*encode_public)(EVP_PKEY *pkey, uint8_t *buf, size_t cap);
	int (*encode_private)(EVP_PKEY *pkey, uint8_t *buf, size_t cap);
	/* Digest signed (NULL: the scheme signs the message itself). */
	const char *digest;
	/* Rewrite a fresh signature in place (may shorten it), or NULL. */
	int (*fix_signature)(uint8_t *sig, size_t *len, size_t cap);
};

extern const struct lp2p_key_codec lp2p_key_ed25519_codec;
extern const struct lp2p_key_codec lp2p_key_secp256k1_codec;
extern const struct lp2p_key_codec lp2p_key_ecdsa_codec;
extern const struct lp2p_key_codec lp2p_key_rsa_codec;

/* The key's EVP_PKEY, borrowed (for TLS certificates and the like). */
EVP_PKEY *lp2p_key_evp(const struct lp2p_key *key);

/*
 * Wrap pkey (ownership passes to the new key, also on failure) as a key of
 * type.  Returns 0 or LP2P_ENOMEM.
 */
int lp2p_key_wrap(EVP_PKEY *pkey, enum lp2p_key_type type, int is_private,
                  struct lp2p_key **out);

/* Shared DER helpers (key_der.c). */
int lp2p_key_der_public_decode(const uint8_t *data, size_t len, const char *alg,
                               EVP_PKEY **out);
int lp2p_key_der_public_encode(EVP_PKEY *pkey, uint8_t *buf, size_t cap);
int lp2p_key_der_private_decode(const uint8_t *data, size_t len, int evp_type,
                                EVP_PKEY **out);
int lp2p_key_der_private_encode(EVP_PKEY *pkey, uint8_t *buf, size_t cap);

/* OpenSSL's key checks; LP2P_EPROTO when the key fails them. */
int lp2p_key_pairwise_check(EVP_PKEY *pkey);
int lp2p_key_public_check(EVP_PKEY *pkey);

/* LP2P_ECRYPTO, after clearing this thread's OpenSSL error queue. */
int lp2p_key_openssl_error(void);

#endif
