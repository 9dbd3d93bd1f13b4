/* peer_id.c - peer id bytes (a multihash) and its two text forms */
#include <lp2p/peer_id.h>
#include <lp2p/multibase.h>
#include <lp2p/multihash.h>
#include <lp2p/varint.h>

#include <string.h>

#define CID_VERSION_1 0x01
/* <version varint><codec varint>: both one byte for CIDv1 libp2p-key. */
#define CID_PREFIX_LEN 2

static int check_multihash(const uint8_t *buf, size_t len,
			   struct lp2p_multihash *mh)
{
	int rc = lp2p_multihash_decode(buf, len, mh);
	if (rc < 0)
		return rc;
	switch (mh->code) {
	case LP2P_MH_SHA2_256:
		return 0; /* digest length checked by the decoder */
	case LP2P_MH_IDENTITY:
		if (mh->digest_len == 0 ||
		    mh->digest_len > LP2P_PEER_ID_INLINE_KEY_MAX)
			return LP2P_EPROTO;
		return 0;
	default:
		return LP2P_ENOTSUP;
	}
}

LP2P_API int lp2p_peer_id_from_bytes(const uint8_t *buf, size_t len,
				     struct lp2p_peer_id *out)
{
	struct lp2p_multihash mh;

	if (!buf && len)
		return LP2P_EINVAL;
	if (len > LP2P_PEER_ID_MAX_LEN)
		return LP2P_EPROTO;
	int rc = check_multihash(buf, len, &mh);
	if (rc < 0)
		return rc;
	out->len = (uint8_t)len;
	memcpy(out->bytes, buf, len);
	memset(out->bytes + len, 0, sizeof out->bytes - len);
	return 0;
}

static bool is_valid(const struct lp2p_peer_id *id)
{
	struct lp2p_multihash mh;
	return id && id->len <= LP2P_PEER_ID_MAX_LEN &&
	       check_multihash(id->bytes, id->len, &mh) == 0;
}

LP2P_API int lp2p_peer_id_to_string(const struct lp2p_peer_id *id, char *out,
				    size_t cap)
{
	if (!is_valid(id))
		return LP2P_EINVAL;
	return lp2p_base_encode(LP2P_BASE58BTC, id->bytes, id->len, out, cap);
}

LP2P_API int lp2p_peer_id_to_cid_string(const struct lp2p_peer_id *id,
					char *out, size_t cap)
{
	uint8_t cid[CID_PREFIX_LEN + LP2P_PEER_ID_MAX_LEN];

	if (!is_valid(id))
		return LP2P_EINVAL;
	cid[0] = CID_VERSION_1;
	cid[1] = LP2P_CODEC_LIBP2P_KEY;
	memcpy(cid + CID_PREFIX_LEN, id->bytes, id->len);
	return lp2p_multibase_encode(LP2P_BASE32, cid,
				     CID_PREFIX_LEN + (size_t)id->len, out,
				     cap);
}

/* A CIDv1 of peer id: <0x01><0x72><multihash>. */
static int parse_cid(const char *str, size_t slen, struct lp2p_peer_id *out)
{
	uint8_t cid[CID_PREFIX_LEN + LP2P_PEER_ID_MAX_LEN + 8];
	uint64_t version, codec;
	int n, len;
	size_t pos;

	len = lp2p_multibase_decode(str, slen, cid, sizeof cid, NULL);
	if (len < 0)
		return len;
	n = lp2p_varint_decode(cid, (size_t)len, &version);
	if (n < 0)
		return LP2P_EPROTO;
	pos = (size_t)n;
	if (version != CID_VERSION_1)
		return LP2P_EPROTO;
	n = lp2p_varint_decode(cid + pos, (size_t)len - pos, &codec);
	if (n < 0)
		return LP2P_EPROTO;
	pos += (size_t)n;
	if (codec != LP2P_CODEC_LIBP2P_KEY)
		return LP2P_EPROTO;
	n = lp2p_peer_id_from_bytes(cid + pos, (size_t)len - pos, out);
	return n == LP2P_ETRUNC ? LP2P_EPROTO : n;
}

LP2P_API int lp2p_peer_id_parse(const char *str, size_t slen,
				struct lp2p_peer_id *out)
{
	uint8_t mh[LP2P_PEER_ID_MAX_LEN];

	if (!str || slen == 0)
		return LP2P_EPROTO;
	if (slen >= LP2P_PEER_ID_STR_MAX * 2)
		return LP2P_ERANGE;
	if (str[0] == '1' || str[0] == 'Q') {
		int len = lp2p_base_decode(LP2P_BASE58BTC, str, slen, mh,
					   sizeof mh);
		if (len < 0)
			return len;
		int rc = lp2p_peer_id_from_bytes(mh, (size_t)len, out);
		return rc == LP2P_ETRUNC ? LP2P_EPROTO : rc;
	}
	return parse_cid(str, slen, out);
}

LP2P_API bool lp2p_peer_id_equal(const struct lp2p_peer_id *a,
				 const struct lp2p_peer_id *b)
{
	return a->len == b->len && a->len <= LP2P_PEER_ID_MAX_LEN &&
	       memcmp(a->bytes, b->bytes, a->len) == 0;
}

LP2P_API int lp2p_peer_id_identity_data(const struct lp2p_peer_id *id,
					const uint8_t **data, size_t *len)
{
	struct lp2p_multihash mh;

	if (!id || id->len > LP2P_PEER_ID_MAX_LEN ||
	    check_multihash(id->bytes, id->len, &mh) < 0)
		return LP2P_EINVAL;
	if (mh.code != LP2P_MH_IDENTITY)
		return LP2P_ENOTFOUND;
	*data = mh.digest;
	*len = mh.digest_len;
	return 0;
}
