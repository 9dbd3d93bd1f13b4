/*
 * peer_id_key.c - peer ids derived from keys: the multihash of the
 * marshalled PublicKey, inline (identity) up to 42 bytes, sha2-256 above.
 */
#include <string.h>

#include "crypto/key.h"

#include <lp2p/multihash.h>
#include <lp2p/peer_id.h>

LP2P_API int lp2p_peer_id_from_key(const struct lp2p_key *key,
                                   struct lp2p_peer_id *id)
{
	uint8_t pub[LP2P_KEY_PUBLIC_MAX];

	if (!key || !id)
		return LP2P_EINVAL;
	int n = lp2p_key_marshal_public(key, pub, sizeof(pub));
	if (n < 0)
		return n;
	uint64_t code = (size_t)n <= LP2P_PEER_ID_INLINE_KEY_MAX
	                    ? LP2P_MH_IDENTITY
	                    : LP2P_MH_SHA2_256;
	int len = lp2p_multihash_sum(code, pub, (size_t)n, id->bytes,
	                             sizeof(id->bytes));
	if (len < 0)
		return LP2P_ECRYPTO; /* cannot happen: both codes fit */
	id->len = (uint8_t)len;
	return 0;
}

LP2P_API int lp2p_peer_id_extract_key(const struct lp2p_peer_id *id,
                                      struct lp2p_key **out)
{
	const uint8_t *data;
	size_t len;

	if (!id || !out)
		return LP2P_EINVAL;
	int rc = lp2p_peer_id_identity_data(id, &data, &len);
	if (rc == LP2P_EINVAL)
		return LP2P_EPROTO;
	if (rc < 0)
		return rc;
	return lp2p_key_unmarshal_public(data, len, out);
}

LP2P_API int lp2p_peer_id_matches_key(const struct lp2p_peer_id *id,
                                      const struct lp2p_key *key)
{
	struct lp2p_peer_id mine;

	if (!id || !key)
		return LP2P_EINVAL;
	int rc = lp2p_peer_id_from_key(key, &mine);
	if (rc < 0)
		return rc;
	return lp2p_peer_id_equal(id, &mine) ? 1 : 0;
}
