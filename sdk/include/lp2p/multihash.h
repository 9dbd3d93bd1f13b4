/*
 * lp2p/multihash.h - multihash <varint code><varint length><digest>,
 * with the identity (0x00) and sha2-256 (0x12) functions.
 * Pure functions: no allocation, no I/O.  A decoded view points into the
 * caller's buffer and is valid as long as that buffer is.
 */
#ifndef LP2P_MULTIHASH_H
#define LP2P_MULTIHASH_H

#include <lp2p/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LP2P_MH_IDENTITY 0x00
#define LP2P_MH_SHA2_256 0x12

struct lp2p_multihash {
	uint64_t code;
	const uint8_t *digest; /* points into the decoded buffer */
	size_t digest_len;
};

/*
 * Hash data with code (IDENTITY or SHA2_256) and write the multihash to
 * out (capacity cap).  Returns its length, LP2P_ERANGE if it does not fit,
 * LP2P_ENOTSUP for another code.
 */
LP2P_API int lp2p_multihash_sum(uint64_t code, const uint8_t *data,
                                size_t len, uint8_t *out, size_t cap);

/*
 * Parse buf[0..len) as exactly one multihash (no trailing bytes).
 * Errors: LP2P_ETRUNC, LP2P_EPROTO (bad varint, trailing bytes, sha2-256
 * digest not 32 bytes).  Unknown codes are accepted and reported in code.
 */
LP2P_API int lp2p_multihash_decode(const uint8_t *buf, size_t len,
                                   struct lp2p_multihash *out);

#ifdef __cplusplus
}
#endif
#endif
