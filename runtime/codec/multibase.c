/*
 * multibase.c - base16, base32, base58btc, base64(url) without padding,
 * and multibase prefixes.  Decoders are strict: one alphabet, no padding,
 * no whitespace, unused trailing bits must be zero, so that every byte
 * string has exactly one encoding.
 */
#include <lp2p/multibase.h>

#include <limits.h>
#include <string.h>

static const char b16_alpha[] = "0123456789abcdef";
static const char b32_alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char b58_alpha[] =
	"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char b64_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of c in alpha (nbits-wide digits), or -1. */
static int digit_value(const char *alpha, size_t alpha_len, char c)
{
	if (c == '\0')
		return -1;
	const char *p = memchr(alpha, c, alpha_len);
	return p ? (int)(p - alpha) : -1;
}

LP2P_API size_t lp2p_base_encoded_max(enum lp2p_base base, size_t len)
{
	switch (base) {
	case LP2P_BASE16: return len * 2;
	case LP2P_BASE32: return (len * 8 + 4) / 5;
	case LP2P_BASE64:
	case LP2P_BASE64URL: return (len * 4 + 2) / 3;
	/* log(256)/log(58) < 1.38; leading zero bytes map 1:1 to '1'. */
	case LP2P_BASE58BTC: return len * 138 / 100 + 1;
	}
	return 0;
}

LP2P_API size_t lp2p_base_decoded_max(enum lp2p_base base, size_t slen)
{
	switch (base) {
	case LP2P_BASE16: return slen / 2;
	case LP2P_BASE32: return slen * 5 / 8;
	case LP2P_BASE64:
	case LP2P_BASE64URL: return slen * 3 / 4;
	case LP2P_BASE58BTC: return slen; /* "111" is three zero bytes */
	}
	return 0;
}

/* ---- power-of-two bases: a bit accumulator ---- */

static int bits_encode(const char *alpha, unsigned nbits, const uint8_t *in,
		       size_t len, char *out, size_t cap)
{
	if (len > INT_MAX / 2)
		return LP2P_ERANGE;
	size_t olen = (len * 8 + nbits - 1) / nbits;
	if (olen >= cap || olen > INT_MAX)
		return LP2P_ERANGE;
	uint32_t acc = 0;
	unsigned have = 0;
	size_t o = 0;
	const uint32_t mask = (1u << nbits) - 1;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		have += 8;
		while (have >= nbits) {
			have -= nbits;
			out[o++] = alpha[(acc >> have) & mask];
		}
		acc &= (1u << have) - 1;
	}
	if (have > 0)
		out[o++] = alpha[(acc << (nbits - have)) & mask];
	out[o] = '\0';
	return (int)o;
}

static int bits_decode(const char *alpha, unsigned nbits, const char *str,
		       size_t slen, uint8_t *out, size_t cap)
{
	size_t olen = slen * nbits / 8;
	/* A final group that cannot hold a whole byte is malformed. */
	if ((slen * nbits) % 8 >= nbits)
		return LP2P_EPROTO;
	if (olen > cap || olen > INT_MAX)
		return LP2P_ERANGE;
	uint32_t acc = 0;
	unsigned have = 0;
	size_t o = 0;
	for (size_t i = 0; i < slen; i++) {
		int d = digit_value(alpha, (size_t)1 << nbits, str[i]);
		if (d < 0)
			return LP2P_EPROTO;
		acc = (acc << nbits) | (uint32_t)d;
		have += nbits;
		if (have >= 8) {
			have -= 8;
			out[o++] = (uint8_t)(acc >> have);
		}
		acc &= (1u << have) - 1;
	}
	if (acc != 0)
		return LP2P_EPROTO; /* non-zero padding bits */
	return (int)o;
}

/* ---- base58btc: big-number conversion in the output buffer ---- */

static int b58_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t zeros = 0, n = 0;

	while (zeros < len && in[zeros] == 0)
		zeros++;
	/* out[0..n) holds base-58 digits, least significant first. */
	for (size_t i = zeros; i < len; i++) {
		unsigned carry = in[i];
		for (size_t j = 0; j < n; j++) {
			carry += (unsigned)(uint8_t)out[j] << 8;
			out[j] = (char)(carry % 58);
			carry /= 58;
		}
		while (carry) {
			if (n >= cap)
				return LP2P_ERANGE;
			out[n++] = (char)(carry % 58);
			carry /= 58;
		}
	}
	if (zeros + n >= cap || zeros + n > INT_MAX)
		return LP2P_ERANGE;
	for (size_t i = 0; i < n / 2; i++) {
		char t = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	if (zeros) {
		memmove(out + zeros, out, n);
		memset(out, '1', zeros);
	}
	for (size_t i = zeros; i < zeros + n; i++)
		out[i] = b58_alpha[(uint8_t)out[i]];
	out[zeros + n] = '\0';
	return (int)(zeros + n);
}

static int b58_decode(const char *str, size_t slen, uint8_t *out, size_t cap)
{
	size_t zeros = 0, n = 0;

	while (zeros < slen && str[zeros] == '1')
		zeros++;
	/* out[0..n) holds the value's bytes, least significant first. */
	for (size_t i = zeros; i < slen; i++) {
		int d = digit_value(b58_alpha, 58, str[i]);
		if (d < 0)
			return LP2P_EPROTO;
		unsigned carry = (unsigned)d;
		for (size_t j = 0; j < n; j++) {
			carry += (unsigned)out[j] * 58;
			out[j] = (uint8_t)carry;
			carry >>= 8;
		}
		while (carry) {
			if (n >= cap)
				return LP2P_ERANGE;
			out[n++] = (uint8_t)carry;
			carry >>= 8;
		}
	}
	if (zeros + n > cap || zeros + n > INT_MAX)
		return LP2P_ERANGE;
	for (size_t i = 0; i < n / 2; i++) {
		uint8_t t = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	if (zeros) {
		memmove(out + zeros, out, n);
		memset(out, 0, zeros);
	}
	return (int)(zeros + n);
}

/* ---- dispatch ---- */

LP2P_API int lp2p_base_encode(enum lp2p_base base, const uint8_t *in,
			      size_t len, char *out, size_t cap)
{
	if (!out)
		return LP2P_ERANGE;
	if (!in && len)
		return LP2P_EINVAL;
	switch (base) {
	case LP2P_BASE16: return bits_encode(b16_alpha, 4, in, len, out, cap);
	case LP2P_BASE32: return bits_encode(b32_alpha, 5, in, len, out, cap);
	case LP2P_BASE64: return bits_encode(b64_alpha, 6, in, len, out, cap);
	case LP2P_BASE64URL:
		return bits_encode(b64url_alpha, 6, in, len, out, cap);
	case LP2P_BASE58BTC: return b58_encode(in, len, out, cap);
	}
	return LP2P_EINVAL;
}

LP2P_API int lp2p_base_decode(enum lp2p_base base, const char *str,
			      size_t slen, uint8_t *out, size_t cap)
{
	if ((!str && slen) || (!out && cap))
		return LP2P_EINVAL;
	if (slen > INT_MAX)
		return LP2P_ERANGE;
	switch (base) {
	case LP2P_BASE16: return bits_decode(b16_alpha, 4, str, slen, out, cap);
	case LP2P_BASE32: return bits_decode(b32_alpha, 5, str, slen, out, cap);
	case LP2P_BASE64: return bits_decode(b64_alpha, 6, str, slen, out, cap);
	case LP2P_BASE64URL:
		return bits_decode(b64url_alpha, 6, str, slen, out, cap);
	case LP2P_BASE58BTC: return b58_decode(str, slen, out, cap);
	}
	return LP2P_EINVAL;
}

static int known_base(int c)
{
	switch (c) {
	case LP2P_BASE16:
	case LP2P_BASE32:
	case LP2P_BASE58BTC:
	case LP2P_BASE64:
	case LP2P_BASE64URL: return 1;
	}
	return 0;
}

LP2P_API int lp2p_multibase_encode(enum lp2p_base base, const uint8_t *in,
				   size_t len, char *out, size_t cap)
{
	if (!known_base((int)base))
		return LP2P_EINVAL;
	if (!out || cap < 2)
		return LP2P_ERANGE;
	int n = lp2p_base_encode(base, in, len, out + 1, cap - 1);
	if (n < 0)
		return n;
	if (n == INT_MAX)
		return LP2P_ERANGE;
	out[0] = (char)base;
	return n + 1;
}

LP2P_API int lp2p_multibase_decode(const char *str, size_t slen,
				   uint8_t *out, size_t cap,
				   enum lp2p_base *base)
{
	if (!str || slen == 0)
		return LP2P_EPROTO;
	if (!known_base((unsigned char)str[0]))
		return LP2P_ENOTSUP;
	enum lp2p_base b = (enum lp2p_base)(unsigned char)str[0];
	int n = lp2p_base_decode(b, str + 1, slen - 1, out, cap);
	if (n >= 0 && base)
		*base = b;
	return n;
}
