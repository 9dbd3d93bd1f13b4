/*
 * lp2p/crypto.h - libp2p keys: the four key types of the peer-ids spec
 * (RSA, Ed25519, Secp256k1, ECDSA), signatures, the protobuf PublicKey and
 * PrivateKey encodings, peer ids derived from keys, and key files.
 *
 * A struct lp2p_key is opaque and immutable once made: it holds either a
 * private key (which can also do everything a public key can) or a public
 * key only.  Several threads may use one key at once; only
 * lp2p_key_free() must not race with other calls on that key.
 *
 * Signatures, as the spec and go-libp2p define them:
 *  - Ed25519:   pure Ed25519 (RFC 8032) over the message, 64 bytes;
 *  - Secp256k1: ECDSA over SHA-256(message), DER-encoded; signatures made
 *               here have a low S (s <= n/2) as Bitcoin and js-libp2p
 *               require; verification accepts either;
 *  - ECDSA:     ECDSA over SHA-256(message) (whatever the curve),
 *               DER-encoded;
 *  - RSA:       RSASSA-PKCS1-v1_5 with SHA-256.
 */
#ifndef LP2P_CRYPTO_H
#define LP2P_CRYPTO_H

#include <lp2p/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The spec's KeyType values (the protobuf field Type). */
enum lp2p_key_type {
	LP2P_KEY_RSA = 0,
	LP2P_KEY_ED25519 = 1,
	LP2P_KEY_SECP256K1 = 2,
	LP2P_KEY_ECDSA = 3,
};

/* RSA moduli accepted anywhere (generate and unmarshal), in bits. */
#define LP2P_KEY_RSA_MIN_BITS 2048
#define LP2P_KEY_RSA_MAX_BITS 8192
/* Largest signature of any accepted key (RSA-8192). */
#define LP2P_KEY_SIG_MAX 1024
/*
 * Largest protobuf PublicKey / PrivateKey accepted or produced: buffers of
 * these sizes always hold a marshalled key.  Longer input is refused with
 * LP2P_ERANGE before anything is parsed.
 */
#define LP2P_KEY_PUBLIC_MAX 1100
#define LP2P_KEY_PRIVATE_MAX 8192

struct lp2p_key;
struct lp2p_peer_id; /* <lp2p/peer_id.h> */

/*
 * Generate a new private key of type.  bits is the RSA modulus size
 * (LP2P_KEY_RSA_MIN_BITS..LP2P_KEY_RSA_MAX_BITS), the ECDSA curve (0 or 256
 * for P-256, 384 for P-384, 521 for P-521) and must be 0 for Ed25519 and
 * Secp256k1.  On success *out is a new key the caller frees with
 * lp2p_key_free().  Errors: LP2P_EINVAL (bad type or out NULL),
 * LP2P_ERANGE (bits), LP2P_ENOMEM, LP2P_ECRYPTO (OpenSSL failed).
 */
LP2P_API int lp2p_key_generate(enum lp2p_key_type type, unsigned bits,
                               struct lp2p_key **out);

/* Free a key (NULL is allowed).  Private key material is wiped. */
LP2P_API void lp2p_key_free(struct lp2p_key *key);

/* The key's type. */
LP2P_API enum lp2p_key_type lp2p_key_type(const struct lp2p_key *key);

/* 1 if key holds a private key, 0 if it is public only. */
LP2P_API int lp2p_key_is_private(const struct lp2p_key *key);

/*
 * A new public-only key for key's public half (key may be public or
 * private).  The caller frees *out.  Errors: LP2P_EINVAL, LP2P_ENOMEM,
 * LP2P_ECRYPTO.
 */
LP2P_API int lp2p_key_public(const struct lp2p_key *key, struct lp2p_key **out);

/*
 * 1 if a and b have the same type and the same public key (whether each
 * is public only or private), 0 otherwise (also when either is NULL).
 */
LP2P_API int lp2p_key_equal_public(const struct lp2p_key *a,
                                   const struct lp2p_key *b);

/* Largest signature key can make or verify, in bytes (<= LP2P_KEY_SIG_MAX). */
LP2P_API size_t lp2p_key_sig_size(const struct lp2p_key *key);

/*
 * Sign msg[0..len) with a private key into sig (capacity cap, owned by the
 * caller; cap must be at least lp2p_key_sig_size(key), and
 * LP2P_KEY_SIG_MAX always is).  Returns the signature length (ECDSA
 * signatures vary in length).  Errors: LP2P_EINVAL (NULL arguments,
 * public-only key), LP2P_ERANGE (cap too small), LP2P_ECRYPTO (OpenSSL
 * failed).
 */
LP2P_API int lp2p_key_sign(const struct lp2p_key *key, const uint8_t *msg,
                           size_t len, uint8_t *sig, size_t cap);

/*
 * Verify that sig[0..siglen) is key's signature of msg[0..len); key may be
 * public or private.  Returns 0 when it is, LP2P_ECRYPTO when it is not (or
 * sig is malformed), LP2P_EINVAL for NULL arguments.
 */
LP2P_API int lp2p_key_verify(const struct lp2p_key *key, const uint8_t *msg,
                             size_t len, const uint8_t *sig, size_t siglen);

/*
 * Write key's public half as the spec's protobuf PublicKey {Type, Data}
 * into buf (capacity cap, owned by the caller; LP2P_KEY_PUBLIC_MAX always
 * suffices).  Data is: Ed25519 the 32-byte key; Secp256k1 the compressed
 * 33-byte point; ECDSA and RSA the DER SubjectPublicKeyInfo.  The encoding
 * is deterministic (it is what peer ids hash).  Returns its length.
 * Errors: LP2P_EINVAL, LP2P_ERANGE (cap too small), LP2P_ECRYPTO.
 */
LP2P_API int lp2p_key_marshal_public(const struct lp2p_key *key, uint8_t *buf,
                                     size_t cap);

/*
 * Parse a protobuf PublicKey from buf[0..len) (read only; not kept).  On
 * success *out is a new public-only key the caller frees.  The message must
 * hold exactly the fields Type and Data, once each.  Accepted Data: Ed25519
 * 32 bytes; Secp256k1 a 33-byte compressed or 65-byte uncompressed point on
 * the curve; ECDSA a DER SubjectPublicKeyInfo on P-256, P-384 or P-521 with
 * an uncompressed point; RSA a DER SubjectPublicKeyInfo of
 * LP2P_KEY_RSA_MIN_BITS..LP2P_KEY_RSA_MAX_BITS.  DER must be canonical (it
 * re-encodes to the same bytes).  Errors: LP2P_EINVAL (NULL arguments),
 * LP2P_ERANGE (len > LP2P_KEY_PUBLIC_MAX, RSA size out of range),
 * LP2P_EPROTO (malformed message or key data), LP2P_ENOTSUP (unknown
 * Type or curve), LP2P_ENOMEM.
 */
LP2P_API int lp2p_key_unmarshal_public(const uint8_t *buf, size_t len,
                                       struct lp2p_key **out);

/*
 * Write a private key as the spec's protobuf PrivateKey {Type, Data} into
 * buf (capacity cap, owned by the caller; LP2P_KEY_PRIVATE_MAX always
 * suffices).  Data is: Ed25519 seed||public (64 bytes); Secp256k1 the
 * 32-byte scalar; ECDSA the DER ECPrivateKey (SEC1, RFC 5915, with the
 * curve and public key, as go-libp2p writes it); RSA the DER PKCS#1
 * RSAPrivateKey.  Returns its length.  The caller should wipe buf after
 * use.  Errors: LP2P_EINVAL (NULL arguments, public-only key), LP2P_ERANGE,
 * LP2P_ECRYPTO.
 */
LP2P_API int lp2p_key_marshal_private(const struct lp2p_key *key, uint8_t *buf,
                                      size_t cap);

/*
 * Parse a protobuf PrivateKey from buf[0..len) (read only; not kept).  On
 * success *out is a new private key the caller frees.  Also accepted:
 * Ed25519 Data in the old 96-byte form seed||public||public; Secp256k1
 * scalars must be in 1..n-1; the public key embedded in Ed25519 and ECDSA
 * Data must be the one the private key gives.  Errors as for
 * lp2p_key_unmarshal_public() (LP2P_ERANGE when len >
 * LP2P_KEY_PRIVATE_MAX).
 */
LP2P_API int lp2p_key_unmarshal_private(const uint8_t *buf, size_t len,
                                        struct lp2p_key **out);

/*
 * Key type names: "rsa", "ed25519", "secp256k1", "ecdsa".
 * lp2p_key_type_name() returns a static string, NULL for an unknown type.
 * lp2p_key_type_from_name() returns the type (>= 0) for a name (matched
 * without regard to case), LP2P_ENOTSUP for another name, LP2P_EINVAL for
 * NULL.
 */
LP2P_API const char *lp2p_key_type_name(enum lp2p_key_type type);
LP2P_API int lp2p_key_type_from_name(const char *name);

/*
 * The peer id of key's public half: the multihash of the marshalled
 * PublicKey, identity when it is at most 42 bytes (Ed25519, Secp256k1),
 * sha2-256 otherwise.  *id is written on success.  Errors: LP2P_EINVAL,
 * LP2P_ECRYPTO.
 */
LP2P_API int lp2p_peer_id_from_key(const struct lp2p_key *key,
                                   struct lp2p_peer_id *id);

/*
 * The public key inlined in an identity-multihash peer id.  On success *out
 * is a new public-only key the caller frees.  Errors: LP2P_ENOTFOUND (a
 * hashed peer id: the key is not in it), LP2P_EPROTO (malformed id or key),
 * other lp2p_key_unmarshal_public() errors.
 */
LP2P_API int lp2p_peer_id_extract_key(const struct lp2p_peer_id *id,
                                      struct lp2p_key **out);

/*
 * 1 if id is the peer id of key's public half, 0 if not.  Errors:
 * LP2P_EINVAL (NULL arguments), LP2P_ECRYPTO.
 */
LP2P_API int lp2p_peer_id_matches_key(const struct lp2p_peer_id *id,
                                      const struct lp2p_key *key);

/*
 * Key files hold one protobuf PrivateKey (binary), as go-libp2p and
 * js-libp2p store keys.
 *
 * lp2p_key_file_load() reads path into a new private key (*out, freed by
 * the caller).  The file must be a regular file not accessible by group
 * or others (mode 0600 or stricter).  Errors: LP2P_ENOTFOUND (no such
 * file), LP2P_EPERM (mode too open, or not readable), LP2P_EIO (other
 * errors, not a regular file), LP2P_EPROTO or LP2P_ENOTSUP or LP2P_ERANGE
 * (bad content), LP2P_ENOMEM.
 *
 * lp2p_key_file_save() writes key atomically: a temporary file created with
 * mode 0600 next to path, synced, then moved into place.  An existing
 * path is kept and LP2P_EEXIST returned unless flags has
 * LP2P_KEY_FILE_OVERWRITE.  Errors: LP2P_EINVAL (public-only key),
 * LP2P_EEXIST, LP2P_EPERM, LP2P_EIO.
 *
 * Both write a one-line reason naming path into errbuf (capacity errcap,
 * owned by the caller, NUL-terminated) on failure when errbuf is not NULL.
 */
#define LP2P_KEY_FILE_OVERWRITE 0x1u

LP2P_API int lp2p_key_file_load(const char *path, struct lp2p_key **out,
                                char *errbuf, size_t errcap);
LP2P_API int lp2p_key_file_save(const char *path, const struct lp2p_key *key,
                                unsigned flags, char *errbuf, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif
