/*
 * noise_internal.h - the Noise Protocol Framework objects (revision 34) for
 * Noise_XX_25519_ChaChaPoly_SHA256: CipherState, SymmetricState, the X25519
 * DH functions and the XX HandshakeState.  Internal to runtime/security and
 * its tests; the libp2p layer on top is in security/noise.h.
 *
 * Every function returns 0 (or a byte count) or a negative LP2P_E* code.
 * Names follow the Noise specification so the code reads against it.
 */
#ifndef LP2P_SECURITY_NOISE_INTERNAL_H
#define LP2P_SECURITY_NOISE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lp2p/common.h>

#define LP2P_NOISE_DHLEN 32
#define LP2P_NOISE_HASHLEN 32
#define LP2P_NOISE_KEYLEN 32
#define LP2P_NOISE_TAGLEN 16
#define LP2P_NOISE_NONCELEN 12
/* The Noise message limit (and the largest 16-bit length prefix). */
#define LP2P_NOISE_MAX_MSG 65535

struct evp_cipher_ctx_st;
struct evp_cipher_st;
struct evp_md_st;
struct evp_pkey_ctx_st;
struct evp_pkey_st;

/*
 * SHA-256 and ChaCha20-Poly1305, fetched from OpenSSL's default library
 * context once per process: passing OpenSSL's legacy EVP_sha256() or
 * EVP_chacha20_poly1305() makes it look the algorithm up by name on every
 * init, which costs more than hashing a handshake message.  NULL if the
 * providers lack them.  Immutable and shared by all threads; kept until
 * the process exits.
 */
const struct evp_md_st *lp2p_noise_sha256(void);
const struct evp_cipher_st *lp2p_noise_chachapoly(void);

/*
 * CipherState: a ChaCha20-Poly1305 key and a 64-bit nonce counter.  The
 * nonce on the wire is 4 zero bytes then n little-endian.  n == 2^64-1 is
 * reserved: no encryption or decryption happens with it.
 */
struct lp2p_noise_cipher {
	uint8_t k[LP2P_NOISE_KEYLEN];
	uint64_t n;
	bool has_key;
	/* An OpenSSL context keyed with k for direction `keyed` (1 encrypt,
	 * 0 decrypt, -1 not keyed): only the nonce changes per message. */
	struct evp_cipher_ctx_st *ctx;
	int keyed;
};

/* InitializeKey(k): n = 0.  k may be NULL for "empty". */
int lp2p_noise_cipher_init(struct lp2p_noise_cipher *c, const uint8_t *k);
/* Wipes the key and frees the context; the struct may be reused after
 * another lp2p_noise_cipher_init(). */
void lp2p_noise_cipher_clear(struct lp2p_noise_cipher *c);

/*
 * EncryptWithAd: out[0..len+16) = ChaCha20-Poly1305(k, n, ad, in[0..len)),
 * then n++.  in may equal out (in place) but must not overlap otherwise.
 * Without a key, copies in to out (if they differ) and returns len.
 * Returns the output length, LP2P_ELIMIT when the nonce is exhausted,
 * LP2P_EINVAL when the output would pass the 65535-byte message limit.
 */
int lp2p_noise_cipher_encrypt(struct lp2p_noise_cipher *c, const uint8_t *ad,
                              size_t adlen, const uint8_t *in, size_t len,
                              uint8_t *out);

/*
 * DecryptWithAd: in[0..len) is ciphertext||tag; writes len-16 plaintext
 * bytes to out (in == out allowed).  LP2P_ECRYPTO on authentication
 * failure (out then holds garbage and n is unchanged), LP2P_EPROTO if
 * len < 16, LP2P_ELIMIT when the nonce is exhausted.  Returns the
 * plaintext length.
 */
int lp2p_noise_cipher_decrypt(struct lp2p_noise_cipher *c, const uint8_t *ad,
                              size_t adlen, const uint8_t *in, size_t len,
                              uint8_t *out);

/* An X25519 key pair. */
struct lp2p_noise_keypair {
	struct evp_pkey_st *pkey; /* NULL when empty */
	/* Made at the first DH and kept for the next ones (an ephemeral key
	 * does two): only the peer changes between them. */
	struct evp_pkey_ctx_st *derive;
	uint8_t pub[LP2P_NOISE_DHLEN];
};

/*
 * Reusable X25519 contexts (key generation, public keys from bytes): made
 * once per host instead of once per key, which is what creating an
 * EVP_PKEY_CTX by name costs.  Not thread-safe: one user at a time.
 */
struct lp2p_noise_x25519 {
	struct evp_pkey_ctx_st *keygen;
	struct evp_pkey_ctx_st *fromdata;
};

int lp2p_noise_x25519_init(struct lp2p_noise_x25519 *x);
void lp2p_noise_x25519_clear(struct lp2p_noise_x25519 *x);

/* GENERATE_KEYPAIR(): a fresh random key pair, with x's context (x may
 * be NULL: a one-off context). */
int lp2p_noise_x25519_generate(struct lp2p_noise_x25519 *x,
                               struct lp2p_noise_keypair *kp);
/* The same without reusable contexts. */
int lp2p_noise_keypair_generate(struct lp2p_noise_keypair *kp);
/* A key pair from a 32-byte X25519 private key (tests, known answers). */
int lp2p_noise_keypair_from_private(struct lp2p_noise_keypair *kp,
                                    const uint8_t priv[LP2P_NOISE_DHLEN]);
/* dst shares src's key (a reference, not a copy of the secret): for the
 * per-host static key that every handshake holds. */
int lp2p_noise_keypair_share(struct lp2p_noise_keypair *dst,
                             const struct lp2p_noise_keypair *src);
void lp2p_noise_keypair_clear(struct lp2p_noise_keypair *kp);
/*
 * DH(kp, pub): LP2P_ECRYPTO if the result is all zeros (a low-order
 * point) or OpenSSL refuses the public key.  peer (optional) caches pub's
 * OpenSSL key for a later DH with the same pub: made from pub when *peer
 * is NULL (the caller frees it with EVP_PKEY_free), else used as is.  x
 * (optional) supplies the context that makes it.
 */
int lp2p_noise_dh(struct lp2p_noise_keypair *kp,
                  const uint8_t pub[LP2P_NOISE_DHLEN],
                  struct evp_pkey_st **peer, struct lp2p_noise_x25519 *x,
                  uint8_t out[LP2P_NOISE_DHLEN]);

/* Noise's HKDF(chaining_key, ikm, 2 or 3) over HMAC-SHA256. */
int lp2p_noise_hkdf(const uint8_t ck[LP2P_NOISE_HASHLEN], const uint8_t *ikm,
                    size_t ikmlen, uint8_t out1[LP2P_NOISE_HASHLEN],
                    uint8_t out2[LP2P_NOISE_HASHLEN],
                    uint8_t *out3 /* NULL for two outputs */);

/* SymmetricState. */
struct lp2p_noise_symmetric {
	struct lp2p_noise_cipher cs;
	uint8_t ck[LP2P_NOISE_HASHLEN];
	uint8_t h[LP2P_NOISE_HASHLEN];
};

/* InitializeSymmetric(protocol_name). */
int lp2p_noise_sym_init(struct lp2p_noise_symmetric *ss, const char *name);
void lp2p_noise_sym_clear(struct lp2p_noise_symmetric *ss);
int lp2p_noise_mix_hash(struct lp2p_noise_symmetric *ss, const uint8_t *data,
                        size_t len);
int lp2p_noise_mix_key(struct lp2p_noise_symmetric *ss, const uint8_t *ikm,
                       size_t len);
/* Return the output length (len, or len + 16 once a key is set). */
int lp2p_noise_encrypt_and_hash(struct lp2p_noise_symmetric *ss,
                                const uint8_t *in, size_t len, uint8_t *out);
int lp2p_noise_decrypt_and_hash(struct lp2p_noise_symmetric *ss,
                                const uint8_t *in, size_t len, uint8_t *out);
/* Split(): c1 encrypts initiator -> responder, c2 the other way. */
int lp2p_noise_split(struct lp2p_noise_symmetric *ss,
                     struct lp2p_noise_cipher *c1,
                     struct lp2p_noise_cipher *c2);

/*
 * HandshakeState for the XX pattern only:
 *   -> e
 *   <- e, ee, s, es
 *   -> s, se
 * Messages are unframed here (the 2-byte length is the libp2p layer's).
 */
struct lp2p_noise_xx {
	struct lp2p_noise_symmetric ss;
	struct lp2p_noise_keypair s, e;
	uint8_t rs[LP2P_NOISE_DHLEN], re[LP2P_NOISE_DHLEN];
	/* OpenSSL's form of re and rs, made at their first DH (re is used
	 * twice). */
	struct evp_pkey_st *re_key, *rs_key;
	/* Optional, borrowed (set after lp2p_noise_xx_init): the host's
	 * reusable X25519 contexts for "e" and the peer's keys. */
	struct lp2p_noise_x25519 *x25519;
	bool initiator;
	int msg; /* index of the next message, 0..3 (3: ready to split) */
};

#define LP2P_NOISE_PROTOCOL_NAME "Noise_XX_25519_ChaChaPoly_SHA256"

/*
 * Initialize(XX, initiator, prologue, s, e): takes ownership of *s (the
 * local static key, moved out and cleared in the caller's struct).  e may
 * be NULL (a fresh ephemeral is generated when the pattern writes "e") or
 * a fixed key pair for known-answer tests, also moved.
 */
int lp2p_noise_xx_init(struct lp2p_noise_xx *xx, bool initiator,
                       const uint8_t *prologue, size_t prologue_len,
                       struct lp2p_noise_keypair *s,
                       struct lp2p_noise_keypair *e);
void lp2p_noise_xx_clear(struct lp2p_noise_xx *xx);

/* The size of the next message for a payload of len bytes. */
size_t lp2p_noise_xx_msg_len(const struct lp2p_noise_xx *xx, size_t len);

/*
 * WriteMessage(payload): writes the next message into out[0..cap) and
 * returns its length.  LP2P_ERANGE if cap (or the 65535-byte limit) is too
 * small, LP2P_EINVAL if it is not our turn.
 */
int lp2p_noise_xx_write(struct lp2p_noise_xx *xx, const uint8_t *payload,
                        size_t len, uint8_t *out, size_t cap);

/*
 * ReadMessage(msg): processes the next message from the peer and writes
 * its payload to payload[0..cap) (cap >= len is always enough).  Returns
 * the payload length; LP2P_EPROTO when the message is too short,
 * LP2P_ECRYPTO when decryption or a DH fails, LP2P_EINVAL if it is not
 * the peer's turn.  The state is unusable after an error.
 */
int lp2p_noise_xx_read(struct lp2p_noise_xx *xx, const uint8_t *msg, size_t len,
                       uint8_t *payload, size_t cap);

/* Whether the next message is ours to write. */
bool lp2p_noise_xx_our_turn(const struct lp2p_noise_xx *xx);

/* After the third message: the two cipher states for this side (send and
 * receive), and the handshake hash.  The symmetric state is wiped. */
int lp2p_noise_xx_split(struct lp2p_noise_xx *xx,
                        struct lp2p_noise_cipher *send,
                        struct lp2p_noise_cipher *recv,
                        uint8_t hash[LP2P_NOISE_HASHLEN]);

#endif
