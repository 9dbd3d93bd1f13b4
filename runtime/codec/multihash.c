/* multihash.c - <varint code><varint length><digest>; identity and sha2-256 */
#include <lp2p/multihash.h>
#include <lp2p/varint.h>

#include <string.h>

#include <openssl/evp.h>

#define SHA2_256_LEN 32

/* Writes the header after checking that the whole multihash fits. */
static int put_header(uint64_t code, size_t digest_len, uint8_t *out,
		      size_t cap, size_t *pos)
{
	size_t hlen = lp2p_varint_len(code) + lp2p_varint_len(digest_len);
	if (!out || cap < hlen || cap - hlen < digest_len)
		return LP2P_ERANGE;
	*pos = (size_t)lp2p_varint_encode(code, out, cap);
	*pos += (size_t)lp2p_varint_encode(digest_len, out + *pos, cap - *pos);
	return 0;
}

LP2P_API int lp2p_multihash_sum(uint64_t code, const uint8_t *data,
				size_t len, uint8_t *out, size_t cap)
{
	size_t pos;
	int rc;

	if (len > 0 && !data)
		return LP2P_EINVAL;
	switch (code) {
	case LP2P_MH_IDENTITY:
		if (len > INT32_MAX / 2)
			return LP2P_ERANGE;
		rc = put_header(code, len, out, cap, &pos);
		if (rc < 0)
			return rc;
		if (len)
			memcpy(out + pos, data, len);
		return (int)(pos + len);
	case LP2P_MH_SHA2_256: {
		rc = put_header(code, SHA2_256_LEN, out, cap, &pos);
		if (rc < 0)
			return rc;
		unsigned int mdlen = 0;
		if (!EVP_Digest(data ? (const void *)data : "", len, out + pos,
				&mdlen, EVP_sha256(), NULL) ||
		    mdlen != SHA2_256_LEN)
			return LP2P_ECRYPTO;
		return (int)(pos + SHA2_256_LEN);
	}
	default:
		return LP2P_ENOTSUP;
	}
}

LP2P_API int lp2p_multihash_decode(const uint8_t *buf, size_t len,
				   struct lp2p_multihash *out)
{
	uint64_t code, dlen;
	int n;
	size_t pos;

	if (!buf && len)
		return LP2P_EINVAL;
	n = lp2p_varint_decode(buf, len, &code);
	if (n < 0)
		return n;
	pos = (size_t)n;
	n = lp2p_varint_decode(buf + pos, len - pos, &dlen);
	if (n < 0)
		return n;
	pos += (size_t)n;
	if (dlen > len - pos)
		return LP2P_ETRUNC;
	if (dlen < len - pos)
		return LP2P_EPROTO; /* trailing bytes */
	if (code == LP2P_MH_SHA2_256 && dlen != SHA2_256_LEN)
		return LP2P_EPROTO;
	out->code = code;
	out->digest = buf + pos;
	out->digest_len = (size_t)dlen;
	return 0;
}
