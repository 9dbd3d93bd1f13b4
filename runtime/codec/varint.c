/* varint.c - unsigned-varint (multiformats): LEB128, at most 9 bytes */
#include <lp2p/varint.h>

#define VARINT_LIMIT (UINT64_C(1) << 63)

LP2P_API size_t lp2p_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

LP2P_API int lp2p_varint_encode(uint64_t v, uint8_t *buf, size_t cap)
{
	if (v >= VARINT_LIMIT)
		return LP2P_ERANGE;
	size_t n = lp2p_varint_len(v);
	if (!buf || cap < n)
		return LP2P_ERANGE;
	for (size_t i = 0; i + 1 < n; i++) {
		buf[i] = (uint8_t)(v & 0x7f) | 0x80;
		v >>= 7;
	}
	buf[n - 1] = (uint8_t)v;
	return (int)n;
}

LP2P_API int lp2p_varint_decode(const uint8_t *buf, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < LP2P_VARINT_MAX_LEN; i++) {
		if (i >= len)
			return LP2P_ETRUNC;
		uint8_t b = buf[i];
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (b & 0x80)
			continue;
		/* A last byte of zero after others adds nothing: not minimal. */
		if (b == 0 && i > 0)
			return LP2P_EPROTO;
		*out = v;
		return (int)(i + 1);
	}
	/* The 9th byte still had its continuation bit set. */
	return LP2P_EPROTO;
}
