/* test_multihash.c - multihash sum/decode (identity, sha2-256) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/multihash.h>

static const uint8_t sha256_hello_world[32] = {
	0xb9, 0x4d, 0x27, 0xb9, 0x93, 0x4d, 0x3e, 0x08, 0xa5, 0x2e, 0x52,
	0xd7, 0xda, 0x7d, 0xab, 0xfa, 0xc4, 0x84, 0xef, 0xe3, 0x7a, 0x53,
	0x80, 0xee, 0x90, 0x88, 0xf7, 0xac, 0xe2, 0xef, 0xcd, 0xe9};
static const uint8_t sha256_empty[32] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
	0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
	0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

static void sha2_256_sum(void **state)
{
	(void)state;
	uint8_t out[40];
	struct lp2p_multihash mh;
	assert_int_equal(lp2p_multihash_sum(LP2P_MH_SHA2_256,
					    (const uint8_t *)"hello world", 11,
					    out, sizeof out),
			 34);
	assert_int_equal(out[0], 0x12);
	assert_int_equal(out[1], 0x20);
	assert_memory_equal(out + 2, sha256_hello_world, 32);
	assert_int_equal(lp2p_multihash_decode(out, 34, &mh), 0);
	assert_true(mh.code == LP2P_MH_SHA2_256);
	assert_int_equal(mh.digest_len, 32);
	assert_ptr_equal(mh.digest, out + 2);

	assert_int_equal(lp2p_multihash_sum(LP2P_MH_SHA2_256, NULL, 0, out,
					    sizeof out),
			 34);
	assert_memory_equal(out + 2, sha256_empty, 32);
	assert_int_equal(lp2p_multihash_sum(LP2P_MH_SHA2_256,
					    (const uint8_t *)"x", 1, out, 33),
			 LP2P_ERANGE);
	assert_int_equal(lp2p_multihash_sum(LP2P_MH_SHA2_256,
					    (const uint8_t *)"x", 1, out, 1),
			 LP2P_ERANGE);
}

static void identity_sum(void **state)
{
	(void)state;
	uint8_t data[200], out[210];
	struct lp2p_multihash mh;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	assert_int_equal(lp2p_multihash_sum(LP2P_MH_IDENTITY, data, 36, out,
					    sizeof out),
			 38);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[1], 36);
	assert_memory_equal(out + 2, data, 36);
	/* 200 needs a two-byte length varint. */
	assert_int_equal(lp2p_multihash_sum(LP2P_MH_IDENTITY, data, 200, out,
					    sizeof out),
			 203);
	assert_int_equal(out[1], 0xc8);
	assert_int_equal(out[2], 0x01);
	assert_int_equal(lp2p_multihash_decode(out, 203, &mh), 0);
	assert_true(mh.code == LP2P_MH_IDENTITY);
	assert_int_equal(mh.digest_len, 200);
	assert_memory_equal(mh.digest, data, 200);
	assert_int_equal(lp2p_multihash_sum(LP2P_MH_IDENTITY, data, 200, out,
					    202),
			 LP2P_ERANGE);
	assert_int_equal(lp2p_multihash_sum(LP2P_MH_IDENTITY, NULL, 0, out,
					    sizeof out),
			 2);
	assert_int_equal(lp2p_multihash_sum(LP2P_MH_IDENTITY, NULL, 3, out,
					    sizeof out),
			 LP2P_EINVAL);
}

static void sum_refuses_other_codes(void **state)
{
	(void)state;
	uint8_t out[80];
	assert_int_equal(lp2p_multihash_sum(0x13, (const uint8_t *)"a", 1, out,
					    sizeof out),
			 LP2P_ENOTSUP);
}

static void decode_accepts_unknown_codes(void **state)
{
	(void)state;
	/* sha2-512 (0x13) with a 2-byte digest: reported, not judged. */
	const uint8_t buf[] = {0x13, 0x02, 0xaa, 0xbb};
	/* a two-byte code varint: blake2b-256 (0xb220). */
	const uint8_t big[] = {0xa0, 0xe4, 0x02, 0x01, 0x55};
	struct lp2p_multihash mh;
	assert_int_equal(lp2p_multihash_decode(buf, sizeof buf, &mh), 0);
	assert_true(mh.code == 0x13);
	assert_int_equal(mh.digest_len, 2);
	assert_int_equal(lp2p_multihash_decode(big, sizeof big, &mh), 0);
	assert_true(mh.code == 0xb220);
	assert_int_equal(mh.digest_len, 1);
}

static void decode_errors(void **state)
{
	(void)state;
	struct lp2p_multihash mh = {.code = 99};
	const uint8_t short_digest[] = {0x12, 0x20, 0x01, 0x02};
	const uint8_t trailing[] = {0x00, 0x01, 0xaa, 0xbb};
	const uint8_t sha_not_32[] = {0x12, 0x01, 0xaa};
	const uint8_t bad_code[] = {0x80, 0x00, 0x00};
	const uint8_t bad_len[] = {0x00, 0x81, 0x00};
	const uint8_t only_code[] = {0x12};
	assert_int_equal(lp2p_multihash_decode(short_digest,
					       sizeof short_digest, &mh),
			 LP2P_ETRUNC);
	assert_int_equal(lp2p_multihash_decode(trailing, sizeof trailing, &mh),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_multihash_decode(sha_not_32, sizeof sha_not_32,
					       &mh),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_multihash_decode(bad_code, sizeof bad_code, &mh),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_multihash_decode(bad_len, sizeof bad_len, &mh),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_multihash_decode(only_code, 1, &mh),
			 LP2P_ETRUNC);
	assert_int_equal(lp2p_multihash_decode(only_code, 0, &mh),
			 LP2P_ETRUNC);
	assert_true(mh.code == 99); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha2_256_sum),
		cmocka_unit_test(identity_sum),
		cmocka_unit_test(sum_refuses_other_codes),
		cmocka_unit_test(decode_accepts_unknown_codes),
		cmocka_unit_test(decode_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
