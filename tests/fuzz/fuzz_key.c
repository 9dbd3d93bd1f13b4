/*
 * fuzz_key.c - lp2p_key_unmarshal_public() (or, built with
 * -DFUZZ_KEY_PRIVATE, lp2p_key_unmarshal_private()) over arbitrary bytes.
 * A key that parses must marshal again, parse again to the same key, and
 * survive verify (of a garbage signature), peer id derivation and
 * lp2p_key_public().  One source, two fuzz targets.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/crypto.h>
#include <lp2p/peer_id.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef FUZZ_KEY_PRIVATE
#define KEY_MAX LP2P_KEY_PRIVATE_MAX
#define marshal lp2p_key_marshal_private
#define unmarshal lp2p_key_unmarshal_private
#else
#define KEY_MAX LP2P_KEY_PUBLIC_MAX
#define marshal lp2p_key_marshal_public
#define unmarshal lp2p_key_unmarshal_public
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t once[KEY_MAX], twice[KEY_MAX];
	struct lp2p_key *key = NULL, *again = NULL, *pub = NULL;

	if (unmarshal(data, size, &key) != 0) {
		if (key)
			abort(); /* out written on failure */
		return 0;
	}
	int n = marshal(key, once, sizeof(once));
	if (n <= 0)
		abort();
	if (unmarshal(once, (size_t)n, &again) != 0)
		abort();
	if (marshal(again, twice, sizeof(twice)) != n ||
	    memcmp(once, twice, (size_t)n) != 0)
		abort();
	if (!lp2p_key_equal_public(key, again))
		abort();

	/* Garbage is not a signature. */
	if (lp2p_key_verify(key, data, size, data, size) == 0)
		abort();
	struct lp2p_peer_id id;
	if (lp2p_peer_id_from_key(key, &id) != 0 ||
	    lp2p_peer_id_matches_key(&id, again) != 1)
		abort();
	if (lp2p_key_public(key, &pub) != 0 || !lp2p_key_equal_public(pub, key))
		abort();

	lp2p_key_free(pub);
	lp2p_key_free(again);
	lp2p_key_free(key);
	return 0;
}
