/* test_xsalsa20.c - Salsa20/20, HSalsa20 and the XSalsa20 stream against
 * the published vectors (the Salsa20 specification's examples, NaCl's
 * core and stream tests), and chunked use against one-shot use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "crypto/xsalsa20.h"

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* Salsa20 specification, section 8: the hash function's example. */
static void salsa20_hash_example(void **state)
{
	(void)state;
	static const uint8_t in[64] = {
		211, 159, 13,  115, 76,  55,  82,  183, 3,   117, 222, 37,
		191, 187, 234, 136, 49,  237, 179, 48,  1,   106, 178, 219,
		175, 199, 166, 48,  86,  16,  179, 207, 31,  240, 32,  63,
		15,  83,  93,  161, 116, 147, 48,  113, 238, 55,  204, 36,
		79,  201, 235, 79,  3,   81,  156, 47,  203, 26,  244, 243,
		88,  118, 104, 54};
	static const uint8_t want[64] = {
		109, 42,  178, 168, 156, 240, 248, 238, 168, 196, 190, 203,
		26,  110, 170, 154, 29,  29,  150, 26,  150, 30,  235, 249,
		190, 163, 251, 48,  69,  144, 51,  57,  118, 40,  152, 157,
		180, 57,  27,  94,  107, 42,  236, 35,  27,  111, 114, 114,
		219, 236, 232, 135, 111, 155, 110, 18,  24,  232, 95,  158,
		179, 19,  48,  202};
	uint8_t out[64], zero[64] = {0};

	lp2p_salsa20_core(out, in);
	assert_memory_equal(out, want, 64);
	/* in place, and the spec's Salsa20(0) = 0 */
	memcpy(out, in, 64);
	lp2p_salsa20_core(out, out);
	assert_memory_equal(out, want, 64);
	lp2p_salsa20_core(out, zero);
	assert_memory_equal(out, zero, 64);
}

/* Salsa20 specification, section 9: Salsa20_k0,k1(n) with k0 = 1..16,
 * k1 = 201..216, n = 101..116. */
static void salsa20_expansion_example(void **state)
{
	(void)state;
	static const uint8_t want[64] = {
		69,  37,  68,  39,  41,  15,  107, 193, 255, 139, 122, 6,
		170, 233, 217, 98,  89,  144, 182, 106, 21,  51,  200, 65,
		239, 49,  222, 34,  215, 114, 40,  126, 104, 197, 7,   225,
		197, 153, 31,  2,   102, 78,  76,  176, 84,  245, 246, 184,
		177, 160, 133, 130, 6,   72,  149, 119, 192, 195, 132, 236,
		234, 103, 246, 74};
	uint8_t k[32], n[16], out[64];

	for (int i = 0; i < 16; i++) {
		k[i] = (uint8_t)(1 + i);
		k[16 + i] = (uint8_t)(201 + i);
		n[i] = (uint8_t)(101 + i);
	}
	lp2p_salsa20_expand32(out, k, n);
	assert_memory_equal(out, want, 64);
}

/* NaCl tests/core1.c and core2.c: HSalsa20 of a shared secret with a zero
 * nonce, then of that ("firstkey") with the first 16 nonce bytes. */
static const char *const firstkey_hex =
	"1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389";
static const char *const nonce_hex =
	"69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37";

static void hsalsa20_nacl(void **state)
{
	(void)state;
	uint8_t shared[32], zero[16] = {0}, first[32], nonce[24], second[32],
		out[32];

	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
	      shared, 32);
	unhex(firstkey_hex, first, 32);
	unhex(nonce_hex, nonce, 24);
	unhex("dc908dda0b9344a953629b733820778880f3ceb421bb61b91cbd4c3e66256ce4",
	      second, 32);
	lp2p_hsalsa20(out, shared, zero);
	assert_memory_equal(out, first, 32);
	lp2p_hsalsa20(out, first, nonce);
	assert_memory_equal(out, second, 32);
}

#define STREAM_LEN 4194304

/* NaCl tests/stream.c (also libsodium's test/default/stream): the first
 * 4 MiB of crypto_stream_xsalsa20(firstkey, nonce), by SHA-256, and its
 * first 63 bytes. */
static void xsalsa20_nacl_stream(void **state)
{
	(void)state;
	uint8_t key[32], nonce[24], want_hash[32], want_head[63], hash[32];
	unsigned hlen = 0;
	struct lp2p_xsalsa20 s;
	uint8_t *buf = calloc(1, STREAM_LEN);

	assert_non_null(buf);
	unhex(firstkey_hex, key, 32);
	unhex(nonce_hex, nonce, 24);
	unhex("662b9d0e3463029156069b12f918691a98f7dfb2ca0393c96bbfc6b1fbd630a2",
	      want_hash, 32);
	unhex("eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880"
	      "309e645a74e9e0a60d8243acd9177ab51a1beb8d5a2f5d700c093c5e558557",
	      want_head, 63);
	lp2p_xsalsa20_init(&s, key, nonce);
	lp2p_xsalsa20_xor(&s, buf, STREAM_LEN);
	assert_int_equal(s.block, STREAM_LEN / 64);
	assert_int_equal(s.offset, 0);
	assert_memory_equal(buf, want_head, 63);
	assert_int_equal(EVP_Digest(buf, STREAM_LEN, hash, &hlen, EVP_sha256(),
	                            NULL),
	                 1);
	assert_memory_equal(hash, want_hash, 32);
	/* XOR twice is the identity */
	lp2p_xsalsa20_init(&s, key, nonce);
	lp2p_xsalsa20_xor(&s, buf, STREAM_LEN);
	for (size_t i = 0; i < STREAM_LEN; i++)
		if (buf[i])
			fail_msg("byte %zu is %u after two passes", i, buf[i]);
	lp2p_xsalsa20_wipe(&s);
	free(buf);
}

/* Pieces of 1, 7, 63, 64, 65 and 4096 bytes (and a mix) give the bytes of
 * one call. */
static void xsalsa20_chunked(void **state)
{
	(void)state;
	enum { LEN = 3 * 4096 + 77 };
	static const size_t sizes[] = {1, 7, 63, 64, 65, 4096};
	static uint8_t ref[LEN], buf[LEN];
	uint8_t key[32], nonce[24];
	struct lp2p_xsalsa20 s;

	for (size_t i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < 24; i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < LEN; i++)
		ref[i] = (uint8_t)(i * 31);
	lp2p_xsalsa20_init(&s, key, nonce);
	lp2p_xsalsa20_xor(&s, ref, LEN);

	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		for (size_t i = 0; i < LEN; i++)
			buf[i] = (uint8_t)(i * 31);
		lp2p_xsalsa20_init(&s, key, nonce);
		for (size_t off = 0; off < LEN; off += sizes[k]) {
			size_t n = LEN - off < sizes[k] ? LEN - off : sizes[k];
			lp2p_xsalsa20_xor(&s, buf + off, n);
		}
		if (memcmp(buf, ref, LEN) != 0)
			fail_msg("pieces of %zu differ from one call", sizes[k]);
	}
	/* a mix, with empty calls */
	for (size_t i = 0; i < LEN; i++)
		buf[i] = (uint8_t)(i * 31);
	lp2p_xsalsa20_init(&s, key, nonce);
	size_t off = 0;
	for (unsigned i = 0; off < LEN; i++) {
		size_t n = (i * 37 + 11) % 200;
		if (n > LEN - off)
			n = LEN - off;
		lp2p_xsalsa20_xor(&s, buf + off, n);
		off += n;
	}
	assert_memory_equal(buf, ref, LEN);
}

/* The 64-bit block counter carries from its low word into the high one
 * (NaCl's stream uses both words as one little-endian counter). */
static void xsalsa20_counter_carry(void **state)
{
	(void)state;
	uint8_t key[32], nonce[24], sub[32], n[16], want[128], buf[128] = {0};
	struct lp2p_xsalsa20 s;

	unhex(firstkey_hex, key, 32);
	unhex(nonce_hex, nonce, 24);
	lp2p_hsalsa20(sub, key, nonce);
	memcpy(n, nonce + 16, 8);
	for (int b = 0; b < 2; b++) {
		uint64_t ctr = 0xffffffffu + (uint64_t)b;
		for (int i = 0; i < 8; i++)
			n[8 + i] = (uint8_t)(ctr >> (8 * i));
		lp2p_salsa20_expand32(want + 64 * b, sub, n);
	}
	lp2p_xsalsa20_init(&s, key, nonce);
	s.block = 0xffffffffu;
	lp2p_xsalsa20_xor(&s, buf, 30);
	lp2p_xsalsa20_xor(&s, buf + 30, 98);
	assert_memory_equal(buf, want, 128);
	assert_true(s.block == 0x100000001ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(salsa20_hash_example),
		cmocka_unit_test(salsa20_expansion_example),
		cmocka_unit_test(hsalsa20_nacl),
		cmocka_unit_test(xsalsa20_nacl_stream),
		cmocka_unit_test(xsalsa20_chunked),
		cmocka_unit_test(xsalsa20_counter_carry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
