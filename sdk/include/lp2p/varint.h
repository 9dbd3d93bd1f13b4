/*
 * lp2p/varint.h - unsigned-varint (multiformats spec): LEB128, at most
 * 9 bytes (63 bits), minimal encoding enforced on decode.
 * Pure functions: no allocation, no I/O.
 */
#ifndef LP2P_VARINT_H
#define LP2P_VARINT_H

#include <lp2p/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LP2P_VARINT_MAX_LEN 9

/* Encoded length of v (1..9); v must be < 2^63. */
LP2P_API size_t lp2p_varint_len(uint64_t v);

/*
 * Encode v into buf (capacity cap).  Returns the number of bytes written,
 * LP2P_ERANGE if v >= 2^63 or cap is too small.
 */
LP2P_API int lp2p_varint_encode(uint64_t v, uint8_t *buf, size_t cap);

/*
 * Decode a varint from buf[0..len).  On success stores the value in *out
 * and returns the number of bytes consumed (1..9).  Errors: LP2P_ETRUNC if
 * buf ends inside the varint (more bytes may complete it), LP2P_EPROTO for
 * a non-minimal encoding or one longer than 9 bytes.
 */
LP2P_API int lp2p_varint_decode(const uint8_t *buf, size_t len, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif
