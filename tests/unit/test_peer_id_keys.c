/* test_peer_id_keys.c - peer ids derived from keys, and keys taken back
 * out of identity peer ids.  The expected ids of the spec's vectors were
 * computed independently, with js-libp2p (@libp2p/peer-id) for Ed25519,
 * Secp256k1 and RSA, and with Python's hashlib and a base58 encoder for
 * all four (js-libp2p cannot read the spec's ECDSA vector). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/crypto.h>
#include <lp2p/peer_id.h>

#include "key_vectors.h"

static const struct {
	const char *priv, *pub;
	const char *id, *cid;
	int identity;
} vectors[] = {
    {vector_ed25519_private, vector_ed25519_public,
     "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
     "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6", 1},
    {vector_secp256k1_private, vector_secp256k1_public,
     "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY",
     "bafzaajiiaijcca3xo7uzjzcsyilaj6i54cj44qk7kqzpoao5rti2pjx6udtdbp6kte", 1},
    {vector_ecdsa_private, vector_ecdsa_public,
     "QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk",
     "bafzbeidigywdclqvl5hxfefwp5onbffcfife7pza57mmfb4tiqmtkdjw64", 0},
    {vector_rsa_private, vector_rsa_public,
     "QmaeANgBs1DTSxWSrPPtobgQuxW8XTfsS4ydbK4rCHzqxG",
     "bafzbeifwzcumbiyql7bhv7fe7mixg6i7aohegq75k234m63bnw6dbicmzu", 0},
};

static struct lp2p_key *load(const char *hex, int is_private)
{
	static uint8_t buf[LP2P_KEY_PRIVATE_MAX];
	struct lp2p_key *key = NULL;
	int n = hex_decode(hex, buf, sizeof(buf));
	assert_true(n > 0);
	int rc = is_private ? lp2p_key_unmarshal_private(buf, (size_t)n, &key)
	                    : lp2p_key_unmarshal_public(buf, (size_t)n, &key);
	assert_int_equal(rc, 0);
	return key;
}

static void spec_vector_peer_ids(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct lp2p_key *sk = load(vectors[i].priv, 1);
		struct lp2p_key *pk = load(vectors[i].pub, 0);
		struct lp2p_peer_id a, b, parsed;
		char str[LP2P_PEER_ID_STR_MAX];

		assert_int_equal(lp2p_peer_id_from_key(sk, &a), 0);
		assert_int_equal(lp2p_peer_id_from_key(pk, &b), 0);
		assert_true(lp2p_peer_id_equal(&a, &b));
		assert_true(lp2p_peer_id_to_string(&a, str, sizeof(str)) > 0);
		assert_string_equal(str, vectors[i].id);
		assert_true(lp2p_peer_id_to_cid_string(&a, str, sizeof(str)) >
		            0);
		assert_string_equal(str, vectors[i].cid);

		/* The parsed text matches both keys. */
		assert_int_equal(lp2p_peer_id_parse(vectors[i].id,
		                                    strlen(vectors[i].id),
		                                    &parsed),
		                 0);
		assert_int_equal(lp2p_peer_id_matches_key(&parsed, sk), 1);
		assert_int_equal(lp2p_peer_id_matches_key(&parsed, pk), 1);
		/* Identity ids carry the key; hashed ones do not. */
		assert_int_equal(a.bytes[0], vectors[i].identity ? 0x00 : 0x12);
		lp2p_key_free(sk);
		lp2p_key_free(pk);
	}
}

static void other_keys_do_not_match(void **state)
{
	(void)state;
	struct lp2p_peer_id ids[4];
	struct lp2p_key *keys[4];
	for (size_t i = 0; i < 4; i++) {
		keys[i] = load(vectors[i].pub, 0);
		assert_int_equal(lp2p_peer_id_from_key(keys[i], &ids[i]), 0);
	}
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 4; j++)
			assert_int_equal(
			    lp2p_peer_id_matches_key(&ids[i], keys[j]), i == j);
	/* One changed byte of the id. */
	ids[2].bytes[ids[2].len - 1] ^= 1;
	assert_int_equal(lp2p_peer_id_matches_key(&ids[2], keys[2]), 0);
	/* An empty (invalid) id matches nothing. */
	struct lp2p_peer_id empty = {0};
	assert_int_equal(lp2p_peer_id_matches_key(&empty, keys[0]), 0);
	for (size_t i = 0; i < 4; i++)
		lp2p_key_free(keys[i]);
}

static void extract_from_identity_ids(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct lp2p_key *sk = load(vectors[i].priv, 1);
		struct lp2p_key *got = NULL;
		struct lp2p_peer_id id;
		assert_int_equal(lp2p_peer_id_parse(vectors[i].id,
		                                    strlen(vectors[i].id), &id),
		                 0);
		int rc = lp2p_peer_id_extract_key(&id, &got);
		if (!vectors[i].identity) {
			assert_int_equal(rc, LP2P_ENOTFOUND);
			assert_null(got);
			lp2p_key_free(sk);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_false(lp2p_key_is_private(got));
		assert_true(lp2p_key_equal_public(got, sk));

		/* The extracted key verifies the private key's signature. */
		uint8_t sig[LP2P_KEY_SIG_MAX];
		static const uint8_t m[] = "hello";
		int n = lp2p_key_sign(sk, m, sizeof(m), sig, sizeof(sig));
		assert_true(n > 0);
		assert_int_equal(
		    lp2p_key_verify(got, m, sizeof(m), sig, (size_t)n), 0);
		lp2p_key_free(got);
		lp2p_key_free(sk);
	}
}

/* The spec's example Ed25519 peer id yields its key and back. */
static void spec_example_id(void **state)
{
	(void)state;
	static const char text[] =
	    "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
	struct lp2p_peer_id id, again;
	struct lp2p_key *key;
	char str[LP2P_PEER_ID_STR_MAX];
	assert_int_equal(lp2p_peer_id_parse(text, sizeof(text) - 1, &id), 0);
	assert_int_equal(lp2p_peer_id_extract_key(&id, &key), 0);
	assert_int_equal(lp2p_key_type(key), LP2P_KEY_ED25519);
	assert_int_equal(lp2p_peer_id_from_key(key, &again), 0);
	assert_true(lp2p_peer_id_equal(&id, &again));
	assert_true(lp2p_peer_id_to_string(&again, str, sizeof(str)) > 0);
	assert_string_equal(str, text);
	lp2p_key_free(key);
}

static void generated_keys(void **state)
{
	(void)state;
	static const struct {
		enum lp2p_key_type type;
		unsigned bits;
		int identity;
	} types[] = {
	    {LP2P_KEY_ED25519, 0, 1}, {LP2P_KEY_SECP256K1, 0, 1},
	    {LP2P_KEY_ECDSA, 256, 0}, {LP2P_KEY_ECDSA, 521, 0},
	    {LP2P_KEY_RSA, 2048, 0},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct lp2p_key *key, *got = NULL;
		struct lp2p_peer_id id;
		assert_int_equal(
		    lp2p_key_generate(types[i].type, types[i].bits, &key), 0);
		assert_int_equal(lp2p_peer_id_from_key(key, &id), 0);
		assert_int_equal(id.len,
		                 types[i].identity ? 2 + (id.bytes[1]) : 34);
		assert_int_equal(lp2p_peer_id_matches_key(&id, key), 1);
		int rc = lp2p_peer_id_extract_key(&id, &got);
		if (types[i].identity) {
			assert_int_equal(rc, 0);
			assert_true(lp2p_key_equal_public(got, key));
		} else {
			assert_int_equal(rc, LP2P_ENOTFOUND);
		}
		lp2p_key_free(got);
		lp2p_key_free(key);
	}
}

static void bad_identity_ids(void **state)
{
	(void)state;
	struct lp2p_key *key = NULL;
	/* An identity multihash whose digest is not a PublicKey. */
	struct lp2p_peer_id id = {.len = 6, .bytes = {0x00, 0x04, 1, 2, 3, 4}};
	assert_int_equal(lp2p_peer_id_extract_key(&id, &key), LP2P_EPROTO);
	/* ... a PublicKey of an unknown type. */
	struct lp2p_peer_id id2 = {
	    .len = 8,
	    .bytes = {0x00, 0x06, 0x08, 0x09, 0x12, 0x02, 0xaa, 0xbb}};
	assert_int_equal(lp2p_peer_id_extract_key(&id2, &key), LP2P_ENOTSUP);
	/* Not a valid multihash at all. */
	struct lp2p_peer_id id3 = {.len = 3, .bytes = {0x00, 0x05, 1}};
	assert_int_equal(lp2p_peer_id_extract_key(&id3, &key), LP2P_EPROTO);
	struct lp2p_peer_id empty = {0};
	assert_int_equal(lp2p_peer_id_extract_key(&empty, &key), LP2P_EPROTO);
	assert_null(key);
}

static void null_arguments(void **state)
{
	(void)state;
	struct lp2p_key *key = load(vector_ed25519_public, 0);
	struct lp2p_peer_id id;
	assert_int_equal(lp2p_peer_id_from_key(NULL, &id), LP2P_EINVAL);
	assert_int_equal(lp2p_peer_id_from_key(key, NULL), LP2P_EINVAL);
	assert_int_equal(lp2p_peer_id_from_key(key, &id), 0);
	assert_int_equal(lp2p_peer_id_extract_key(NULL, &key), LP2P_EINVAL);
	assert_int_equal(lp2p_peer_id_extract_key(&id, NULL), LP2P_EINVAL);
	assert_int_equal(lp2p_peer_id_matches_key(NULL, key), LP2P_EINVAL);
	assert_int_equal(lp2p_peer_id_matches_key(&id, NULL), LP2P_EINVAL);
	lp2p_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(spec_vector_peer_ids),
	    cmocka_unit_test(other_keys_do_not_match),
	    cmocka_unit_test(extract_from_identity_ids),
	    cmocka_unit_test(spec_example_id),
	    cmocka_unit_test(generated_keys),
	    cmocka_unit_test(bad_identity_ids),
	    cmocka_unit_test(null_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
