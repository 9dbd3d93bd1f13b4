/* test_keys.c - lp2p_key: every type's generate/sign/verify/marshal, the
 * spec's vectors, and refusal of bad input. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <lp2p/crypto.h>
#include <lp2p/protobuf.h>

#include "key_vectors.h"

static const uint8_t msg[] = "the quick brown fox";

/* A protobuf key message {Type, Data} built by hand. */
static size_t key_message(uint64_t type, const uint8_t *data, size_t len,
                          uint8_t *out, size_t cap)
{
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, out, cap);
	lp2p_pb_put_varint(&w, 1, type);
	lp2p_pb_put_bytes(&w, 2, data, len);
	int n = lp2p_pb_writer_finish(&w);
	assert_true(n > 0);
	return (size_t)n;
}

static size_t hex(const char *h, uint8_t *out, size_t cap)
{
	int n = hex_decode(h, out, cap);
	assert_true(n > 0);
	return (size_t)n;
}

/* Sign and verify; a changed message, signature or key fails. */
static void check_signatures(struct lp2p_key *key, struct lp2p_key *other)
{
	uint8_t sig[LP2P_KEY_SIG_MAX];
	size_t size = lp2p_key_sig_size(key);

	assert_true(size > 0 && size <= LP2P_KEY_SIG_MAX);
	int n = lp2p_key_sign(key, msg, sizeof(msg), sig, sizeof(sig));
	assert_true(n > 0 && (size_t)n <= size);
	assert_int_equal(lp2p_key_verify(key, msg, sizeof(msg), sig, (size_t)n),
	                 0);

	/* The public half verifies too. */
	struct lp2p_key *pub;
	assert_int_equal(lp2p_key_public(key, &pub), 0);
	assert_false(lp2p_key_is_private(pub));
	assert_int_equal(lp2p_key_type(pub), lp2p_key_type(key));
	assert_int_equal(lp2p_key_verify(pub, msg, sizeof(msg), sig, (size_t)n),
	                 0);

	/* Tampering anywhere is caught. */
	assert_int_equal(
	    lp2p_key_verify(pub, msg, sizeof(msg) - 1, sig, (size_t)n),
	    LP2P_ECRYPTO);
	for (int i = 0; i < n; i += n / 7 + 1) {
		sig[i] ^= 0x01;
		assert_int_equal(
		    lp2p_key_verify(pub, msg, sizeof(msg), sig, (size_t)n),
		    LP2P_ECRYPTO);
		sig[i] ^= 0x01;
	}
	assert_int_equal(
	    lp2p_key_verify(pub, msg, sizeof(msg), sig, (size_t)n - 1),
	    LP2P_ECRYPTO);
	assert_int_equal(lp2p_key_verify(pub, msg, sizeof(msg), sig, 0),
	                 LP2P_ECRYPTO);
	assert_int_equal(
	    lp2p_key_verify(other, msg, sizeof(msg), sig, (size_t)n),
	    LP2P_ECRYPTO);

	/* An empty message is a message. */
	n = lp2p_key_sign(key, NULL, 0, sig, sizeof(sig));
	assert_true(n > 0);
	assert_int_equal(lp2p_key_verify(pub, NULL, 0, sig, (size_t)n), 0);

	/* A public key cannot sign; a short buffer is refused. */
	assert_int_equal(lp2p_key_sign(pub, msg, sizeof(msg), sig, sizeof(sig)),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_key_sign(key, msg, sizeof(msg), sig, size - 1),
	                 LP2P_ERANGE);
	lp2p_key_free(pub);
}

/* Marshal public and private, read back, compare. */
static void check_marshal(struct lp2p_key *key)
{
	uint8_t pub[LP2P_KEY_PUBLIC_MAX], pub2[LP2P_KEY_PUBLIC_MAX];
	uint8_t priv[LP2P_KEY_PRIVATE_MAX], priv2[LP2P_KEY_PRIVATE_MAX];
	struct lp2p_key *k;

	int np = lp2p_key_marshal_public(key, pub, sizeof(pub));
	assert_true(np > 0);
	assert_int_equal(pub[0], 0x08);
	assert_int_equal(pub[1], lp2p_key_type(key));
	assert_int_equal(lp2p_key_unmarshal_public(pub, (size_t)np, &k), 0);
	assert_false(lp2p_key_is_private(k));
	assert_true(lp2p_key_equal_public(k, key));
	assert_int_equal(lp2p_key_marshal_public(k, pub2, sizeof(pub2)), np);
	assert_memory_equal(pub, pub2, (size_t)np);
	/* A public-only key has no private encoding. */
	assert_int_equal(lp2p_key_marshal_private(k, priv, sizeof(priv)),
	                 LP2P_EINVAL);
	lp2p_key_free(k);

	int nq = lp2p_key_marshal_private(key, priv, sizeof(priv));
	assert_true(nq > 0);
	assert_int_equal(lp2p_key_unmarshal_private(priv, (size_t)nq, &k), 0);
	assert_true(lp2p_key_is_private(k));
	assert_true(lp2p_key_equal_public(k, key));
	assert_int_equal(lp2p_key_marshal_private(k, priv2, sizeof(priv2)), nq);
	assert_memory_equal(priv, priv2, (size_t)nq);
	/* The reloaded private key signs what the original verifies. */
	uint8_t sig[LP2P_KEY_SIG_MAX];
	int ns = lp2p_key_sign(k, msg, sizeof(msg), sig, sizeof(sig));
	assert_true(ns > 0);
	assert_int_equal(
	    lp2p_key_verify(key, msg, sizeof(msg), sig, (size_t)ns), 0);
	lp2p_key_free(k);

	/* Buffers one byte short. */
	assert_int_equal(lp2p_key_marshal_public(key, pub, (size_t)np - 1),
	                 LP2P_ERANGE);
	assert_int_equal(lp2p_key_marshal_private(key, priv, (size_t)nq - 1),
	                 LP2P_ERANGE);
	/* Every prefix of either message is refused. */
	for (size_t i = 0; i < (size_t)np; i++)
		assert_true(lp2p_key_unmarshal_public(pub, i, &k) < 0);
	for (size_t i = 0; i < (size_t)nq; i += (size_t)nq / 50 + 1)
		assert_true(lp2p_key_unmarshal_private(priv, i, &k) < 0);
	/* Private and public messages are not interchangeable. */
	assert_true(lp2p_key_unmarshal_public(priv, (size_t)nq, &k) < 0);
	assert_true(lp2p_key_unmarshal_private(pub, (size_t)np, &k) < 0);
}

static void round_trip(enum lp2p_key_type type, unsigned bits)
{
	struct lp2p_key *key, *other;
	assert_int_equal(lp2p_key_generate(type, bits, &key), 0);
	assert_int_equal(lp2p_key_generate(type, bits, &other), 0);
	assert_int_equal(lp2p_key_type(key), type);
	assert_true(lp2p_key_is_private(key));
	assert_false(lp2p_key_equal_public(key, other));
	assert_true(lp2p_key_equal_public(key, key));
	check_signatures(key, other);
	check_marshal(key);
	lp2p_key_free(key);
	lp2p_key_free(other);
}

static void ed25519_round_trip(void **state)
{
	(void)state;
	round_trip(LP2P_KEY_ED25519, 0);
}

static void secp256k1_round_trip(void **state)
{
	(void)state;
	round_trip(LP2P_KEY_SECP256K1, 0);
}

static void ecdsa_round_trip(void **state)
{
	(void)state;
	round_trip(LP2P_KEY_ECDSA, 0);
	round_trip(LP2P_KEY_ECDSA, 256);
	round_trip(LP2P_KEY_ECDSA, 384);
	round_trip(LP2P_KEY_ECDSA, 521);
}

static void rsa_round_trip(void **state)
{
	(void)state;
	round_trip(LP2P_KEY_RSA, 2048);
}

static void sizes_of_generated_keys(void **state)
{
	(void)state;
	static const struct {
		enum lp2p_key_type type;
		unsigned bits;
		int pub_len;
		size_t sig_size;
	} want[] = {
	    {LP2P_KEY_ED25519, 0, 36, 64},
	    {LP2P_KEY_SECP256K1, 0, 37, 72},
	    {LP2P_KEY_ECDSA, 256, 95, 72},
	    {LP2P_KEY_RSA, 2048, 299, 256},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct lp2p_key *key;
		uint8_t buf[LP2P_KEY_PUBLIC_MAX];
		assert_int_equal(
		    lp2p_key_generate(want[i].type, want[i].bits, &key), 0);
		assert_int_equal(lp2p_key_marshal_public(key, buf, sizeof(buf)),
		                 want[i].pub_len);
		assert_int_equal(lp2p_key_sig_size(key), want[i].sig_size);
		lp2p_key_free(key);
	}
}

static void generate_refuses_bad_arguments(void **state)
{
	(void)state;
	struct lp2p_key *key = NULL;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 256, &key),
	                 LP2P_ERANGE);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_SECP256K1, 1, &key),
	                 LP2P_ERANGE);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ECDSA, 224, &key),
	                 LP2P_ERANGE);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_RSA, 0, &key), LP2P_ERANGE);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_RSA, 1024, &key),
	                 LP2P_ERANGE);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_RSA, 2047, &key),
	                 LP2P_ERANGE);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_RSA, 8193, &key),
	                 LP2P_ERANGE);
	assert_int_equal(lp2p_key_generate((enum lp2p_key_type)4, 0, &key),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, NULL),
	                 LP2P_EINVAL);
	assert_null(key);
}

static void null_arguments(void **state)
{
	(void)state;
	struct lp2p_key *key, *out = NULL;
	uint8_t buf[LP2P_KEY_PRIVATE_MAX];
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &key), 0);

	assert_int_equal(lp2p_key_sign(NULL, msg, 1, buf, 64), LP2P_EINVAL);
	assert_int_equal(lp2p_key_sign(key, NULL, 1, buf, 64), LP2P_EINVAL);
	assert_int_equal(lp2p_key_sign(key, msg, 1, NULL, 64), LP2P_EINVAL);
	assert_int_equal(lp2p_key_verify(NULL, msg, 1, buf, 64), LP2P_EINVAL);
	assert_int_equal(lp2p_key_verify(key, NULL, 1, buf, 64), LP2P_EINVAL);
	assert_int_equal(lp2p_key_verify(key, msg, 1, NULL, 64), LP2P_EINVAL);
	assert_int_equal(lp2p_key_marshal_public(NULL, buf, sizeof(buf)),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_key_marshal_public(key, NULL, 100), LP2P_EINVAL);
	assert_int_equal(lp2p_key_marshal_private(NULL, buf, sizeof(buf)),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_key_unmarshal_public(NULL, 3, &out), LP2P_EINVAL);
	assert_int_equal(lp2p_key_unmarshal_public(buf, 3, NULL), LP2P_EINVAL);
	assert_int_equal(lp2p_key_unmarshal_private(NULL, 3, &out),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_key_unmarshal_public(NULL, 0, &out), LP2P_EPROTO);
	assert_int_equal(lp2p_key_public(NULL, &out), LP2P_EINVAL);
	assert_int_equal(lp2p_key_public(key, NULL), LP2P_EINVAL);
	assert_false(lp2p_key_equal_public(NULL, key));
	assert_false(lp2p_key_equal_public(key, NULL));
	assert_false(lp2p_key_is_private(NULL));
	assert_int_equal(lp2p_key_sig_size(NULL), 0);
	assert_null(out);
	lp2p_key_free(NULL);
	lp2p_key_free(key);
}

/* The spec's private key gives the spec's public key, both round trip
 * byte for byte, and the pair signs and verifies. */
static void check_vector(const char *priv_hex, const char *pub_hex,
                         enum lp2p_key_type type)
{
	static uint8_t priv[LP2P_KEY_PRIVATE_MAX], pub[LP2P_KEY_PUBLIC_MAX];
	static uint8_t out[LP2P_KEY_PRIVATE_MAX];
	size_t priv_len = hex(priv_hex, priv, sizeof(priv));
	size_t pub_len = hex(pub_hex, pub, sizeof(pub));
	struct lp2p_key *sk, *pk;

	assert_int_equal(lp2p_key_unmarshal_private(priv, priv_len, &sk), 0);
	assert_int_equal(lp2p_key_type(sk), type);
	assert_int_equal(lp2p_key_marshal_public(sk, out, sizeof(out)),
	                 pub_len);
	assert_memory_equal(out, pub, pub_len);
	assert_int_equal(lp2p_key_marshal_private(sk, out, sizeof(out)),
	                 priv_len);
	assert_memory_equal(out, priv, priv_len);

	assert_int_equal(lp2p_key_unmarshal_public(pub, pub_len, &pk), 0);
	assert_int_equal(lp2p_key_type(pk), type);
	assert_int_equal(lp2p_key_marshal_public(pk, out, sizeof(out)),
	                 pub_len);
	assert_memory_equal(out, pub, pub_len);
	assert_true(lp2p_key_equal_public(sk, pk));

	uint8_t sig[LP2P_KEY_SIG_MAX];
	int n = lp2p_key_sign(sk, msg, sizeof(msg), sig, sizeof(sig));
	assert_true(n > 0);
	assert_int_equal(lp2p_key_verify(pk, msg, sizeof(msg), sig, (size_t)n),
	                 0);
	lp2p_key_free(sk);
	lp2p_key_free(pk);
}

static void spec_vectors(void **state)
{
	(void)state;
	check_vector(vector_ed25519_private, vector_ed25519_public,
	             LP2P_KEY_ED25519);
	check_vector(vector_secp256k1_private, vector_secp256k1_public,
	             LP2P_KEY_SECP256K1);
	check_vector(vector_ecdsa_private, vector_ecdsa_public, LP2P_KEY_ECDSA);
	check_vector(vector_rsa_private, vector_rsa_public, LP2P_KEY_RSA);
}

/* RFC 8032 section 7.1, test 2: a known Ed25519 signature verifies and
 * ours is identical (Ed25519 is deterministic). */
static void ed25519_rfc8032_signature(void **state)
{
	(void)state;
	uint8_t seedpub[64], data[80], sig[64], want[64];
	hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	    seedpub, sizeof(seedpub));
	hex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
	    want, sizeof(want));
	size_t len =
	    key_message(LP2P_KEY_ED25519, seedpub, 64, data, sizeof(data));
	struct lp2p_key *key;
	assert_int_equal(lp2p_key_unmarshal_private(data, len, &key), 0);
	const uint8_t m = 0x72;
	assert_int_equal(lp2p_key_sign(key, &m, 1, sig, sizeof(sig)), 64);
	assert_memory_equal(sig, want, 64);
	assert_int_equal(lp2p_key_verify(key, &m, 1, want, 64), 0);
	lp2p_key_free(key);
}

static void ed25519_private_forms(void **state)
{
	(void)state;
	uint8_t vec[128], data[100], buf[128];
	struct lp2p_key *key, *ref;
	size_t n = hex(vector_ed25519_private, vec, sizeof(vec));
	assert_int_equal(n, 4 + 64);
	assert_int_equal(lp2p_key_unmarshal_private(vec, n, &ref), 0);

	/* The old 96-byte form: seed, public, public again. */
	memcpy(data, vec + 4, 64);
	memcpy(data + 64, vec + 4 + 32, 32);
	n = key_message(LP2P_KEY_ED25519, data, 96, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), 0);
	assert_true(lp2p_key_equal_public(key, ref));
	/* Marshalled again in the 64-byte form. */
	assert_int_equal(lp2p_key_marshal_private(key, buf, sizeof(buf)),
	                 4 + 64);
	assert_memory_equal(buf, vec, 4 + 64);
	lp2p_key_free(key);

	/* The copies differ. */
	data[95] ^= 1;
	n = key_message(LP2P_KEY_ED25519, data, 96, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), LP2P_EPROTO);
	/* The public half is not the seed's. */
	data[63] ^= 1;
	n = key_message(LP2P_KEY_ED25519, data, 64, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), LP2P_EPROTO);
	/* Other lengths. */
	for (size_t len = 0; len <= 97; len++) {
		if (len == 64 || len == 96)
			continue;
		n = key_message(LP2P_KEY_ED25519, data, len, buf, sizeof(buf));
		assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key),
		                 LP2P_EPROTO);
	}
	lp2p_key_free(ref);
}

static void public_data_lengths_refused(void **state)
{
	(void)state;
	uint8_t data[80], buf[100];
	struct lp2p_key *key;
	memset(data, 0x02, sizeof(data));
	for (size_t len = 0; len < sizeof(data); len++) {
		size_t n =
		    key_message(LP2P_KEY_ED25519, data, len, buf, sizeof(buf));
		if (len != 32)
			assert_int_equal(
			    lp2p_key_unmarshal_public(buf, n, &key),
			    LP2P_EPROTO);
		n = key_message(LP2P_KEY_SECP256K1, data, len, buf,
		                sizeof(buf));
		if (len != 33 && len != 65)
			assert_int_equal(
			    lp2p_key_unmarshal_public(buf, n, &key),
			    LP2P_EPROTO);
		n = key_message(LP2P_KEY_SECP256K1, data, len, buf,
		                sizeof(buf));
		if (len != 32)
			assert_int_equal(
			    lp2p_key_unmarshal_private(buf, n, &key),
			    LP2P_EPROTO);
	}
}

/* Data of one type under another Type is refused. */
static void wrong_type_data_refused(void **state)
{
	(void)state;
	static uint8_t buf[LP2P_KEY_PRIVATE_MAX], data[LP2P_KEY_PRIVATE_MAX];
	static const struct {
		const char *vector;
		enum lp2p_key_type as;
		int is_private;
		int want;
	} cases[] = {
	    {vector_ed25519_public, LP2P_KEY_SECP256K1, 0, LP2P_EPROTO},
	    {vector_ed25519_public, LP2P_KEY_ECDSA, 0, LP2P_EPROTO},
	    {vector_ed25519_public, LP2P_KEY_RSA, 0, LP2P_EPROTO},
	    {vector_secp256k1_public, LP2P_KEY_ED25519, 0, LP2P_EPROTO},
	    {vector_secp256k1_public, LP2P_KEY_ECDSA, 0, LP2P_EPROTO},
	    {vector_ecdsa_public, LP2P_KEY_RSA, 0, LP2P_EPROTO},
	    {vector_ecdsa_public, LP2P_KEY_ED25519, 0, LP2P_EPROTO},
	    {vector_rsa_public, LP2P_KEY_ECDSA, 0, LP2P_EPROTO},
	    {vector_ed25519_private, LP2P_KEY_RSA, 1, LP2P_EPROTO},
	    {vector_secp256k1_private, LP2P_KEY_ED25519, 1, LP2P_EPROTO},
	    {vector_ecdsa_private, LP2P_KEY_RSA, 1, LP2P_EPROTO},
	    {vector_ecdsa_private, LP2P_KEY_SECP256K1, 1, LP2P_EPROTO},
	    {vector_rsa_private, LP2P_KEY_ECDSA, 1, LP2P_EPROTO},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lp2p_key *key = NULL;
		size_t n = hex(cases[i].vector, buf, sizeof(buf));
		/* Skip the vector's own header: tag, type, tag, length. */
		struct lp2p_pb_reader r;
		struct lp2p_pb_field f;
		lp2p_pb_reader_init(&r, buf, n);
		assert_int_equal(lp2p_pb_next(&r, &f), 1);
		assert_int_equal(lp2p_pb_next(&r, &f), 1);
		memcpy(data, f.data, f.len);
		n = key_message(cases[i].as, data, f.len, buf, sizeof(buf));
		int rc = cases[i].is_private
		             ? lp2p_key_unmarshal_private(buf, n, &key)
		             : lp2p_key_unmarshal_public(buf, n, &key);
		if (rc != cases[i].want)
			fail_msg("case %zu: got %d", i, rc);
		assert_null(key);
	}
}

static void message_structure_enforced(void **state)
{
	(void)state;
	uint8_t pub[64], buf[128];
	struct lp2p_key *key;
	size_t n = hex(vector_ed25519_public, pub, sizeof(pub));
	const uint8_t *data = pub + 4;
	struct lp2p_pb_writer w;

	/* Fields in reverse order: still one key. */
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_bytes(&w, 2, data, 32);
	lp2p_pb_put_varint(&w, 1, LP2P_KEY_ED25519);
	n = (size_t)lp2p_pb_writer_finish(&w);
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), 0);
	lp2p_key_free(key);

	/* Type missing, Data missing. */
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_bytes(&w, 2, data, 32);
	n = (size_t)lp2p_pb_writer_finish(&w);
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_varint(&w, 1, LP2P_KEY_ED25519);
	n = (size_t)lp2p_pb_writer_finish(&w);
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	assert_int_equal(lp2p_key_unmarshal_public(buf, 0, &key), LP2P_EPROTO);

	/* Twice the Type, twice the Data, an extra field. */
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_varint(&w, 1, LP2P_KEY_ED25519);
	lp2p_pb_put_varint(&w, 1, LP2P_KEY_ED25519);
	lp2p_pb_put_bytes(&w, 2, data, 32);
	n = (size_t)lp2p_pb_writer_finish(&w);
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_varint(&w, 1, LP2P_KEY_ED25519);
	lp2p_pb_put_bytes(&w, 2, data, 32);
	lp2p_pb_put_bytes(&w, 2, data, 32);
	n = (size_t)lp2p_pb_writer_finish(&w);
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_varint(&w, 1, LP2P_KEY_ED25519);
	lp2p_pb_put_bytes(&w, 2, data, 32);
	lp2p_pb_put_varint(&w, 3, 0);
	n = (size_t)lp2p_pb_writer_finish(&w);
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);

	/* Wrong wire types. */
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_bytes(&w, 1, "\x01", 1);
	lp2p_pb_put_bytes(&w, 2, data, 32);
	n = (size_t)lp2p_pb_writer_finish(&w);
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_varint(&w, 1, LP2P_KEY_ED25519);
	lp2p_pb_put_fixed32(&w, 2, 0);
	n = (size_t)lp2p_pb_writer_finish(&w);
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);

	/* Unknown key types (4 is ML-DSA in recent js-libp2p). */
	const uint64_t unknown[] = {4, 5, 256, UINT64_MAX};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		n = key_message(unknown[i], data, 32, buf, sizeof(buf));
		assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key),
		                 LP2P_ENOTSUP);
		assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key),
		                 LP2P_ENOTSUP);
	}
	/* Trailing garbage after a good message. */
	n = key_message(LP2P_KEY_ED25519, data, 32, buf, sizeof(buf));
	buf[n] = 0x00;
	assert_int_equal(lp2p_key_unmarshal_public(buf, n + 1, &key),
	                 LP2P_EPROTO);
}

static void oversized_input_refused(void **state)
{
	(void)state;
	static uint8_t buf[LP2P_KEY_PRIVATE_MAX + 16];
	struct lp2p_key *key;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(
	    lp2p_key_unmarshal_public(buf, LP2P_KEY_PUBLIC_MAX + 1, &key),
	    LP2P_ERANGE);
	assert_int_equal(
	    lp2p_key_unmarshal_private(buf, LP2P_KEY_PRIVATE_MAX + 1, &key),
	    LP2P_ERANGE);
	assert_int_equal(lp2p_key_unmarshal_public(buf, SIZE_MAX, &key),
	                 LP2P_ERANGE);
}

/* A DER SubjectPublicKeyInfo for an RSA public key whose modulus is a
 * random odd number of exactly bits bits (no need for it to be a product
 * of primes: only its size matters). */
static size_t rsa_spki_with_bits(int bits, uint8_t *out, size_t cap)
{
	BIGNUM *n = BN_new(), *e = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	assert_non_null(n);
	assert_non_null(e);
	assert_non_null(bld);
	assert_int_equal(BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD),
	                 1);
	assert_int_equal(BN_set_word(e, 65537), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n),
	                 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e),
	                 1);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
	int len = i2d_PUBKEY(pkey, NULL);
	assert_true(len > 0 && (size_t)len <= cap);
	unsigned char *q = out;
	assert_int_equal(i2d_PUBKEY(pkey, &q), len);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return (size_t)len;
}

static void rsa_size_limits(void **state)
{
	(void)state;
	static uint8_t spki[2048], buf[2100];
	static const struct {
		int bits;
		int want;
	} cases[] = {
	    {1024, LP2P_ERANGE}, {2047, LP2P_ERANGE}, {2048, 0},
	    {4096, 0},           {8192, 0},           {8193, LP2P_ERANGE},
	    {8200, LP2P_ERANGE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lp2p_key *key = NULL;
		size_t len =
		    rsa_spki_with_bits(cases[i].bits, spki, sizeof(spki));
		size_t n =
		    key_message(LP2P_KEY_RSA, spki, len, buf, sizeof(buf));
		int rc = lp2p_key_unmarshal_public(buf, n, &key);
		if (rc != cases[i].want)
			fail_msg("%d bits: got %d", cases[i].bits, rc);
		if (rc == 0) {
			/* Sizes up to the limit fit the documented buffers. */
			uint8_t out[LP2P_KEY_PUBLIC_MAX];
			assert_int_equal(
			    lp2p_key_marshal_public(key, out, sizeof(out)), n);
			assert_true(lp2p_key_sig_size(key) <= LP2P_KEY_SIG_MAX);
		}
		lp2p_key_free(key);
	}
}

static void rsa_private_too_small(void **state)
{
	(void)state;
	static uint8_t der[2048], buf[2100];
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(pkey);
	unsigned char *q = der;
	int len = i2d_PrivateKey(pkey, &q);
	assert_true(len > 0);
	size_t n =
	    key_message(LP2P_KEY_RSA, der, (size_t)len, buf, sizeof(buf));
	struct lp2p_key *key = NULL;
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), LP2P_ERANGE);
	assert_null(key);
	EVP_PKEY_free(pkey);
}

static void rsa_private_inconsistent_refused(void **state)
{
	(void)state;
	static uint8_t buf[LP2P_KEY_PRIVATE_MAX];
	size_t n = hex(vector_rsa_private, buf, sizeof(buf));
	struct lp2p_key *key = NULL;
	/* Flip a bit of the private exponent d (well inside the DER). */
	buf[n / 2] ^= 0x10;
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), LP2P_EPROTO);
	assert_null(key);
}

static void secp256k1_scalar_range(void **state)
{
	(void)state;
	/* n, the order of the secp256k1 group */
	uint8_t scalar[32], buf[64];
	struct lp2p_key *key;
	hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
	    scalar, sizeof(scalar));
	size_t n =
	    key_message(LP2P_KEY_SECP256K1, scalar, 32, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), LP2P_EPROTO);
	scalar[31] = 0x40; /* n - 1 */
	n = key_message(LP2P_KEY_SECP256K1, scalar, 32, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), 0);
	lp2p_key_free(key);
	memset(scalar, 0xff, sizeof(scalar)); /* above n */
	n = key_message(LP2P_KEY_SECP256K1, scalar, 32, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), LP2P_EPROTO);
	memset(scalar, 0, sizeof(scalar));
	n = key_message(LP2P_KEY_SECP256K1, scalar, 32, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), LP2P_EPROTO);

	/* 1 gives the generator G. */
	scalar[31] = 1;
	n = key_message(LP2P_KEY_SECP256K1, scalar, 32, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), 0);
	uint8_t want[37], out[64];
	hex("0802122102"
	    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
	    want, sizeof(want));
	assert_int_equal(lp2p_key_marshal_public(key, out, sizeof(out)), 37);
	assert_memory_equal(out, want, 37);
	lp2p_key_free(key);
}

static void secp256k1_public_points(void **state)
{
	(void)state;
	/* G, uncompressed: accepted, marshalled compressed. */
	uint8_t point[65], buf[80], out[80], want[37];
	struct lp2p_key *key;
	hex("04"
	    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	    "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8",
	    point, sizeof(point));
	hex("0802122102"
	    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
	    want, sizeof(want));
	size_t n = key_message(LP2P_KEY_SECP256K1, point, 65, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), 0);
	assert_int_equal(lp2p_key_marshal_public(key, out, sizeof(out)), 37);
	assert_memory_equal(out, want, 37);
	lp2p_key_free(key);

	/* Off the curve (y changed). */
	point[64] ^= 1;
	n = key_message(LP2P_KEY_SECP256K1, point, 65, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	/* An x with no point on the curve: x = 5 (5^3 + 7 = 132 is not a
	 * square mod p). */
	memset(point, 0, 33);
	point[0] = 0x02;
	point[32] = 5;
	n = key_message(LP2P_KEY_SECP256K1, point, 33, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	/* Bad prefixes. */
	hex("0802122105"
	    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
	    buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_public(buf, 37, &key), LP2P_EPROTO);
	buf[4] = 0x04;
	assert_int_equal(lp2p_key_unmarshal_public(buf, 37, &key), LP2P_EPROTO);
	buf[4] = 0x03; /* the other y: a valid point, another key */
	assert_int_equal(lp2p_key_unmarshal_public(buf, 37, &key), 0);
	assert_int_equal(lp2p_key_marshal_public(key, out, sizeof(out)), 37);
	assert_memory_equal(out, buf, 37);
	lp2p_key_free(key);
}

/* Signatures made are low-S; verification takes high-S too. */
static void secp256k1_low_s(void **state)
{
	(void)state;
	struct lp2p_key *key;
	EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_secp256k1);
	BIGNUM *half = BN_new();
	assert_non_null(group);
	assert_non_null(half);
	assert_int_equal(BN_rshift1(half, EC_GROUP_get0_order(group)), 1);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_SECP256K1, 0, &key), 0);

	for (int i = 0; i < 64; i++) {
		uint8_t sig[LP2P_KEY_SIG_MAX], msgi[4] = {'m', (uint8_t)i};
		int n =
		    lp2p_key_sign(key, msgi, sizeof(msgi), sig, sizeof(sig));
		assert_true(n > 0 && n <= 72);
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, n);
		assert_non_null(es);
		assert_ptr_equal(p, sig + n);
		assert_true(BN_cmp(ECDSA_SIG_get0_s(es), half) <= 0);

		/* The same signature with s' = n - s is also valid. */
		BIGNUM *r = BN_dup(ECDSA_SIG_get0_r(es)), *s = BN_new();
		assert_int_equal(
		    BN_sub(s, EC_GROUP_get0_order(group), ECDSA_SIG_get0_s(es)),
		    1);
		assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
		uint8_t high[80];
		unsigned char *q = high;
		int hn = i2d_ECDSA_SIG(es, &q);
		assert_true(hn > 0);
		assert_int_equal(
		    lp2p_key_verify(key, msgi, sizeof(msgi), high, (size_t)hn),
		    0);
		ECDSA_SIG_free(es);
	}
	lp2p_key_free(key);
	BN_free(half);
	EC_GROUP_free(group);
}

/* Signatures must be DER: a BER long-form length is refused. */
static void ecdsa_signature_must_be_der(void **state)
{
	(void)state;
	struct lp2p_key *key;
	uint8_t sig[LP2P_KEY_SIG_MAX], ber[LP2P_KEY_SIG_MAX + 1];
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ECDSA, 256, &key), 0);
	int n = lp2p_key_sign(key, msg, sizeof(msg), sig, sizeof(sig));
	assert_true(n > 2 && sig[0] == 0x30 && sig[1] < 0x80);
	ber[0] = 0x30;
	ber[1] = 0x81;
	memcpy(ber + 2, sig + 1, (size_t)n - 1);
	assert_int_equal(
	    lp2p_key_verify(key, msg, sizeof(msg), ber, (size_t)n + 1),
	    LP2P_ECRYPTO);
	/* Trailing byte after the DER. */
	sig[n] = 0;
	assert_int_equal(
	    lp2p_key_verify(key, msg, sizeof(msg), sig, (size_t)n + 1),
	    LP2P_ECRYPTO);
	/* Longer than any signature. */
	static uint8_t huge[LP2P_KEY_SIG_MAX + 1];
	assert_int_equal(
	    lp2p_key_verify(key, msg, sizeof(msg), huge, sizeof(huge)),
	    LP2P_ECRYPTO);
	lp2p_key_free(key);
}

/* The spec's ECDSA public key with the point compressed: refused. */
static void ecdsa_public_encodings(void **state)
{
	(void)state;
	static uint8_t buf[LP2P_KEY_PRIVATE_MAX], out[LP2P_KEY_PRIVATE_MAX];
	struct lp2p_key *key = NULL;

	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(pkey);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(
	                     pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	                     OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
	                 1);
	unsigned char *q = out;
	int len = i2d_PUBKEY(pkey, &q);
	assert_true(len > 0);
	size_t n =
	    key_message(LP2P_KEY_ECDSA, out, (size_t)len, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	EVP_PKEY_free(pkey);

	/* A curve we do not take: P-224, and secp256k1 as ECDSA. */
	const char *curves[] = {"P-224", "secp256k1"};
	for (size_t i = 0; i < 2; i++) {
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]);
		assert_non_null(pkey);
		q = out;
		len = i2d_PUBKEY(pkey, &q);
		assert_true(len > 0);
		n = key_message(LP2P_KEY_ECDSA, out, (size_t)len, buf,
		                sizeof(buf));
		assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key),
		                 LP2P_ENOTSUP);
		q = out;
		len = i2d_PrivateKey(pkey, &q);
		assert_true(len > 0);
		n = key_message(LP2P_KEY_ECDSA, out, (size_t)len, buf,
		                sizeof(buf));
		assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key),
		                 LP2P_ENOTSUP);
		EVP_PKEY_free(pkey);
	}

	/* Trailing bytes inside Data; a BER length inside Data. */
	uint8_t spki[128];
	n = hex(vector_ecdsa_public, buf, sizeof(buf));
	memcpy(spki, buf + 4, n - 4);
	spki[n - 4] = 0;
	n = key_message(LP2P_KEY_ECDSA, spki, 92, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	uint8_t ber[128];
	ber[0] = 0x30;
	ber[1] = 0x81;
	memcpy(ber + 2, spki + 1, 90);
	n = key_message(LP2P_KEY_ECDSA, ber, 92, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	/* The point moved off the curve. */
	spki[90] ^= 1;
	n = key_message(LP2P_KEY_ECDSA, spki, 91, buf, sizeof(buf));
	assert_int_equal(lp2p_key_unmarshal_public(buf, n, &key), LP2P_EPROTO);
	assert_null(key);
}

static void ecdsa_private_public_mismatch(void **state)
{
	(void)state;
	static uint8_t buf[256];
	struct lp2p_key *key = NULL;
	size_t n = hex(vector_ecdsa_private, buf, sizeof(buf));
	/* The embedded public point is the last 64 bytes: move it off. */
	buf[n - 1] ^= 1;
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), LP2P_EPROTO);
	buf[n - 1] ^= 1;
	/* Change the private scalar: the stored point no longer matches. */
	buf[4 + 7 + 5] ^= 1;
	assert_int_equal(lp2p_key_unmarshal_private(buf, n, &key), LP2P_EPROTO);
	assert_null(key);
}

static void key_type_names(void **state)
{
	(void)state;
	assert_string_equal(lp2p_key_type_name(LP2P_KEY_RSA), "rsa");
	assert_string_equal(lp2p_key_type_name(LP2P_KEY_ED25519), "ed25519");
	assert_string_equal(lp2p_key_type_name(LP2P_KEY_SECP256K1),
	                    "secp256k1");
	assert_string_equal(lp2p_key_type_name(LP2P_KEY_ECDSA), "ecdsa");
	assert_null(lp2p_key_type_name((enum lp2p_key_type)4));
	assert_null(lp2p_key_type_name((enum lp2p_key_type) - 1));
	assert_int_equal(lp2p_key_type_from_name("rsa"), LP2P_KEY_RSA);
	assert_int_equal(lp2p_key_type_from_name("Ed25519"), LP2P_KEY_ED25519);
	assert_int_equal(lp2p_key_type_from_name("SECP256K1"),
	                 LP2P_KEY_SECP256K1);
	assert_int_equal(lp2p_key_type_from_name("ecdsa"), LP2P_KEY_ECDSA);
	assert_int_equal(lp2p_key_type_from_name("ed448"), LP2P_ENOTSUP);
	assert_int_equal(lp2p_key_type_from_name(""), LP2P_ENOTSUP);
	assert_int_equal(lp2p_key_type_from_name(NULL), LP2P_EINVAL);
}

static void public_copy_is_independent(void **state)
{
	(void)state;
	struct lp2p_key *key, *pub, *pub2;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &key), 0);
	assert_int_equal(lp2p_key_public(key, &pub), 0);
	assert_int_equal(lp2p_key_public(pub, &pub2), 0);
	lp2p_key_free(key);
	assert_true(lp2p_key_equal_public(pub, pub2));
	assert_false(lp2p_key_is_private(pub2));
	lp2p_key_free(pub);
	lp2p_key_free(pub2);

	/* Keys of different types are never equal. */
	struct lp2p_key *a, *b;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &a), 0);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_SECP256K1, 0, &b), 0);
	assert_false(lp2p_key_equal_public(a, b));
	lp2p_key_free(a);
	lp2p_key_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ed25519_round_trip),
	    cmocka_unit_test(secp256k1_round_trip),
	    cmocka_unit_test(ecdsa_round_trip),
	    cmocka_unit_test(rsa_round_trip),
	    cmocka_unit_test(sizes_of_generated_keys),
	    cmocka_unit_test(generate_refuses_bad_arguments),
	    cmocka_unit_test(null_arguments),
	    cmocka_unit_test(spec_vectors),
	    cmocka_unit_test(ed25519_rfc8032_signature),
	    cmocka_unit_test(ed25519_private_forms),
	    cmocka_unit_test(public_data_lengths_refused),
	    cmocka_unit_test(wrong_type_data_refused),
	    cmocka_unit_test(message_structure_enforced),
	    cmocka_unit_test(oversized_input_refused),
	    cmocka_unit_test(rsa_size_limits),
	    cmocka_unit_test(rsa_private_too_small),
	    cmocka_unit_test(rsa_private_inconsistent_refused),
	    cmocka_unit_test(secp256k1_scalar_range),
	    cmocka_unit_test(secp256k1_public_points),
	    cmocka_unit_test(secp256k1_low_s),
	    cmocka_unit_test(ecdsa_signature_must_be_der),
	    cmocka_unit_test(ecdsa_public_encodings),
	    cmocka_unit_test(ecdsa_private_public_mismatch),
	    cmocka_unit_test(key_type_names),
	    cmocka_unit_test(public_copy_is_independent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
