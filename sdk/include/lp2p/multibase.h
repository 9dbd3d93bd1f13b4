/*
 * lp2p/multibase.h - the base encodings libp2p uses: base58btc (bitcoin
 * alphabet), base32 (RFC 4648 lower case, no padding), base64 (standard and
 * url, no padding), base16, and multibase prefixes ('z', 'b', 'm', 'u', 'f').
 * Pure functions: no allocation, no I/O; the caller gives the output buffer.
 * The output buffer is also the working space: when a call fails, its
 * contents are unspecified.
 *
 * Decoding is strict, so that every byte string has one encoding: one
 * alphabet per base (base16 and base32 lower case only), no padding, no
 * whitespace, and unused bits of the last character must be zero.
 */
#ifndef LP2P_MULTIBASE_H
#define LP2P_MULTIBASE_H

#include <lp2p/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum lp2p_base {
	LP2P_BASE16 = 'f',     /* lower-case hex */
	LP2P_BASE32 = 'b',     /* rfc4648 lower case, no padding */
	LP2P_BASE58BTC = 'z',
	LP2P_BASE64 = 'm',     /* rfc4648, no padding */
	LP2P_BASE64URL = 'u',  /* rfc4648 url alphabet, no padding */
};

/*
 * Upper bound of the encoded length of len bytes in base (without prefix
 * and without NUL terminator).
 */
LP2P_API size_t lp2p_base_encoded_max(enum lp2p_base base, size_t len);
/* Upper bound of the decoded length of a string of slen characters. */
LP2P_API size_t lp2p_base_decoded_max(enum lp2p_base base, size_t slen);

/*
 * Encode in[0..len) into out (capacity cap, NUL-terminated).  Returns the
 * string length (excluding NUL), or LP2P_ERANGE if cap is too small,
 * LP2P_EINVAL for an unknown base.
 */
LP2P_API int lp2p_base_encode(enum lp2p_base base, const uint8_t *in,
                              size_t len, char *out, size_t cap);

/*
 * Decode str[0..slen) into out (capacity cap).  Returns the number of
 * bytes, LP2P_EPROTO for a character outside the alphabet (or bad trailing
 * bits), LP2P_ERANGE if cap is too small.
 */
LP2P_API int lp2p_base_decode(enum lp2p_base base, const char *str,
                              size_t slen, uint8_t *out, size_t cap);

/* Multibase: the base's prefix character, then the encoding. */
LP2P_API int lp2p_multibase_encode(enum lp2p_base base, const uint8_t *in,
                                   size_t len, char *out, size_t cap);
/* Decode a multibase string; the base used is stored in *base if non-NULL.
 * LP2P_ENOTSUP for a prefix not listed above. */
LP2P_API int lp2p_multibase_decode(const char *str, size_t slen,
                                   uint8_t *out, size_t cap,
                                   enum lp2p_base *base);

#ifdef __cplusplus
}
#endif
#endif
