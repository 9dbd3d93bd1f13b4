/*
 * fuzz_peer_id.c - peer id text (both forms) and bytes: whatever parses
 * prints, and both printed forms parse back to the same id.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/peer_id.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trips(const struct lp2p_peer_id *id)
{
	char s[LP2P_PEER_ID_STR_MAX];
	struct lp2p_peer_id back;
	const uint8_t *key;
	size_t key_len;
	int n;

	n = lp2p_peer_id_to_string(id, s, sizeof s);
	if (n <= 0 || lp2p_peer_id_parse(s, (size_t)n, &back) != 0 ||
	    !lp2p_peer_id_equal(id, &back))
		abort();
	n = lp2p_peer_id_to_cid_string(id, s, sizeof s);
	if (n <= 0 || s[0] != 'b' ||
	    lp2p_peer_id_parse(s, (size_t)n, &back) != 0 ||
	    !lp2p_peer_id_equal(id, &back))
		abort();
	n = lp2p_peer_id_identity_data(id, &key, &key_len);
	if (n == 0 && (key_len == 0 || key_len > LP2P_PEER_ID_INLINE_KEY_MAX ||
		       key < id->bytes || key + key_len > id->bytes + id->len))
		abort();
	if (n != 0 && n != LP2P_ENOTFOUND)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lp2p_peer_id id;

	if (lp2p_peer_id_parse((const char *)data, size, &id) == 0)
		check_round_trips(&id);
	if (lp2p_peer_id_from_bytes(data, size, &id) == 0) {
		if (id.len != size || memcmp(id.bytes, data, size) != 0)
			abort();
		check_round_trips(&id);
	}
	return 0;
}
