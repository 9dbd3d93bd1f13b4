/*
 * lp2p/peer_id.h - peer ids as a value type: the multihash of a public key
 * (identity for keys of at most 42 bytes, sha2-256 otherwise; see the
 * libp2p peer-ids spec).  No allocation: a peer id fits in its struct and
 * is copied by assignment.  Deriving a peer id from a key is done in
 * lp2p/crypto.h; this header only handles the bytes and their text forms.
 */
#ifndef LP2P_PEER_ID_H
#define LP2P_PEER_ID_H

#include <stdbool.h>

#include <lp2p/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for the multihash bytes (an identity multihash is at most 44). */
#define LP2P_PEER_ID_MAX_LEN 64
/* Largest inline (identity) key, per the spec. */
#define LP2P_PEER_ID_INLINE_KEY_MAX 42
/* Buffer size that holds either text form of any peer id, NUL included. */
#define LP2P_PEER_ID_STR_MAX 80
/* The libp2p-key multicodec of CIDv1 peer ids. */
#define LP2P_CODEC_LIBP2P_KEY 0x72

struct lp2p_peer_id {
	uint8_t len;                        /* bytes used in bytes[] */
	uint8_t bytes[LP2P_PEER_ID_MAX_LEN]; /* the multihash */
};

/*
 * Validate buf[0..len) as a peer id and copy it into *out.  It must be
 * exactly one multihash: sha2-256 with a 32-byte digest, or identity with
 * a digest of 1..42 bytes.  Errors: LP2P_ETRUNC, LP2P_EPROTO (malformed
 * multihash, bad digest length), LP2P_ENOTSUP (another hash function).
 */
LP2P_API int lp2p_peer_id_from_bytes(const uint8_t *buf, size_t len,
                                     struct lp2p_peer_id *out);

/*
 * Write the legacy text form (base58btc of the multihash: "Qm..." or
 * "12D3KooW...") into out (capacity cap, NUL-terminated; cap
 * LP2P_PEER_ID_STR_MAX always suffices).  Returns the string length,
 * LP2P_ERANGE if cap is too small, LP2P_EINVAL for an invalid *id.
 */
LP2P_API int lp2p_peer_id_to_string(const struct lp2p_peer_id *id, char *out,
                                    size_t cap);

/*
 * Write the CIDv1 text form: multibase base32 of <0x01><0x72><multihash>
 * ("bafz...").  Same buffer rules and errors as lp2p_peer_id_to_string().
 */
LP2P_API int lp2p_peer_id_to_cid_string(const struct lp2p_peer_id *id,
                                        char *out, size_t cap);

/*
 * Parse str[0..slen) (no NUL needed) in either text form: a legacy
 * base58btc multihash (starts with '1' or 'Q'), or a multibase CIDv1 with
 * the libp2p-key codec (any base of lp2p/multibase.h).  Errors:
 * LP2P_EPROTO (bad character, not a CIDv1, wrong codec, not a valid peer
 * id multihash), LP2P_ENOTSUP (unknown multibase prefix or hash function),
 * LP2P_ERANGE (too long to be a peer id).
 */
LP2P_API int lp2p_peer_id_parse(const char *str, size_t slen,
                                struct lp2p_peer_id *out);

/* True if both ids hold the same multihash. */
LP2P_API bool lp2p_peer_id_equal(const struct lp2p_peer_id *a,
                                 const struct lp2p_peer_id *b);

/*
 * If id is an identity multihash, point *data and *len at the embedded
 * public key (protobuf bytes, inside *id: valid as long as *id is) and
 * return 0.  LP2P_ENOTFOUND for a sha2-256 id, LP2P_EINVAL if *id is
 * not a valid peer id.
 */
LP2P_API int lp2p_peer_id_identity_data(const struct lp2p_peer_id *id,
                                        const uint8_t **data, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
