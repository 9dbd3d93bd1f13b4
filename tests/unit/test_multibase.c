/* test_multibase.c - base16/32/58btc/64/64url and multibase prefixes */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/multibase.h>

struct vector {
	enum lp2p_base base;
	const char *plain;
	const char *encoded;
};

/* multibase spec "yes mani !", RFC 4648 section 10, base58 draft vectors. */
static const struct vector vectors[] = {
	{LP2P_BASE16, "yes mani !", "796573206d616e692021"},
	{LP2P_BASE32, "yes mani !", "pfsxgidnmfxgsibb"},
	{LP2P_BASE58BTC, "yes mani !", "7paNL19xttacUY"},
	{LP2P_BASE64, "yes mani !", "eWVzIG1hbmkgIQ"},
	{LP2P_BASE64URL, "yes mani !", "eWVzIG1hbmkgIQ"},
	{LP2P_BASE32, "", ""},
	{LP2P_BASE32, "f", "my"},
	{LP2P_BASE32, "fo", "mzxq"},
	{LP2P_BASE32, "foo", "mzxw6"},
	{LP2P_BASE32, "foob", "mzxw6yq"},
	{LP2P_BASE32, "fooba", "mzxw6ytb"},
	{LP2P_BASE32, "foobar", "mzxw6ytboi"},
	{LP2P_BASE64, "", ""},
	{LP2P_BASE64, "f", "Zg"},
	{LP2P_BASE64, "fo", "Zm8"},
	{LP2P_BASE64, "foo", "Zm9v"},
	{LP2P_BASE64, "foob", "Zm9vYg"},
	{LP2P_BASE64, "fooba", "Zm9vYmE"},
	{LP2P_BASE64, "foobar", "Zm9vYmFy"},
	{LP2P_BASE16, "foobar", "666f6f626172"},
	{LP2P_BASE58BTC, "", ""},
	{LP2P_BASE58BTC, "Hello World!", "2NEpo7TZRRrLZSi2U"},
	{LP2P_BASE58BTC, "The quick brown fox jumps over the lazy dog.",
	 "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
};

static void encodes_and_decodes_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		const struct vector *v = &vectors[i];
		size_t plen = strlen(v->plain), elen = strlen(v->encoded);
		char enc[128];
		uint8_t dec[128];
		assert_true(lp2p_base_encoded_max(v->base, plen) >= elen);
		assert_true(lp2p_base_decoded_max(v->base, elen) >= plen);
		assert_int_equal(lp2p_base_encode(v->base,
						  (const uint8_t *)v->plain,
						  plen, enc, sizeof enc),
				 (int)elen);
		assert_string_equal(enc, v->encoded);
		assert_int_equal(lp2p_base_decode(v->base, v->encoded, elen,
						  dec, sizeof dec),
				 (int)plen);
		assert_memory_equal(dec, v->plain, plen);
	}
}

static void base58_keeps_leading_zeros(void **state)
{
	(void)state;
	const uint8_t in[] = {0x00, 0x00, 0x28, 0x7f, 0xb4, 0xcd};
	const uint8_t zeros[] = {0, 0, 0};
	char enc[32];
	uint8_t dec[32];
	assert_int_equal(lp2p_base_encode(LP2P_BASE58BTC, in, sizeof in, enc,
					  sizeof enc),
			 8);
	assert_string_equal(enc, "11233QC4");
	assert_int_equal(lp2p_base_decode(LP2P_BASE58BTC, enc, 8, dec,
					  sizeof dec),
			 (int)sizeof in);
	assert_memory_equal(dec, in, sizeof in);
	assert_int_equal(lp2p_base_encode(LP2P_BASE58BTC, zeros, 3, enc,
					  sizeof enc),
			 3);
	assert_string_equal(enc, "111");
	assert_int_equal(lp2p_base_decode(LP2P_BASE58BTC, "111", 3, dec, 3), 3);
	assert_memory_equal(dec, zeros, 3);
}

static void base64url_uses_its_alphabet(void **state)
{
	(void)state;
	const uint8_t in[] = {0xfb, 0xff, 0xbf};
	char enc[8];
	uint8_t dec[8];
	assert_int_equal(lp2p_base_encode(LP2P_BASE64, in, 3, enc, sizeof enc),
			 4);
	assert_string_equal(enc, "+/+/");
	assert_int_equal(lp2p_base_encode(LP2P_BASE64URL, in, 3, enc,
					  sizeof enc),
			 4);
	assert_string_equal(enc, "-_-_");
	assert_int_equal(lp2p_base_decode(LP2P_BASE64URL, "-_-_", 4, dec, 8),
			 3);
	assert_memory_equal(dec, in, 3);
	assert_int_equal(lp2p_base_decode(LP2P_BASE64URL, "+/+/", 4, dec, 8),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE64, "-_-_", 4, dec, 8),
			 LP2P_EPROTO);
}

static void round_trips_all_bases(void **state)
{
	(void)state;
	const enum lp2p_base bases[] = {LP2P_BASE16, LP2P_BASE32,
					LP2P_BASE58BTC, LP2P_BASE64,
					LP2P_BASE64URL};
	uint8_t in[70];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 37 + 11);
	in[0] = 0;
	for (size_t b = 0; b < 5; b++) {
		for (size_t len = 0; len <= sizeof in; len++) {
			char enc[200];
			uint8_t dec[sizeof in];
			size_t max = lp2p_base_encoded_max(bases[b], len);
			int n = lp2p_base_encode(bases[b], in, len, enc,
						 sizeof enc);
			assert_true(n >= 0 && (size_t)n <= max);
			assert_int_equal(strlen(enc), (size_t)n);
			/* One less than the exact capacity fails, exact works. */
			assert_int_equal(lp2p_base_encode(bases[b], in, len,
							  enc, (size_t)n),
					 LP2P_ERANGE);
			assert_int_equal(lp2p_base_encode(bases[b], in, len,
							  enc, (size_t)n + 1),
					 n);
			assert_int_equal(lp2p_base_decode(bases[b], enc,
							  (size_t)n, dec,
							  len),
					 (int)len);
			assert_memory_equal(dec, in, len);
			if (len > 0)
				assert_int_equal(
					lp2p_base_decode(bases[b], enc,
							 (size_t)n, dec,
							 len - 1),
					LP2P_ERANGE);
		}
	}
}

static void rejects_characters_outside_alphabet(void **state)
{
	(void)state;
	uint8_t dec[32];
	/* '0', 'O', 'I' and 'l' are not base58btc. */
	assert_int_equal(lp2p_base_decode(LP2P_BASE58BTC, "2NE0o", 5, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE58BTC, "Ol", 2, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE58BTC, "1I", 2, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE58BTC, "ab\0c", 4, dec, 32),
			 LP2P_EPROTO);
	/* base32 'b' is lower case only; '1' and '8' are not in it. */
	assert_int_equal(lp2p_base_decode(LP2P_BASE32, "MZXQ", 4, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE32, "mz1q", 4, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE16, "6F", 2, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE16, "6g", 2, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE64, "Zm9 ", 4, dec, 32),
			 LP2P_EPROTO);
}

static void rejects_padding_and_bad_lengths(void **state)
{
	(void)state;
	uint8_t dec[32];
	assert_int_equal(lp2p_base_decode(LP2P_BASE64, "Zg==", 4, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE32, "my======", 8, dec, 32),
			 LP2P_EPROTO);
	/* Lengths that cannot end a whole byte. */
	assert_int_equal(lp2p_base_decode(LP2P_BASE64, "Z", 1, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE64, "Zm9vY", 5, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE32, "m", 1, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE32, "mzx", 3, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE32, "mzxw6y", 6, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE16, "666", 3, dec, 32),
			 LP2P_EPROTO);
}

static void rejects_nonzero_trailing_bits(void **state)
{
	(void)state;
	uint8_t dec[32];
	/* "Zg" is 'f'; "Zh" sets a bit beyond the last byte. */
	assert_int_equal(lp2p_base_decode(LP2P_BASE64, "Zh", 2, dec, 32),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_base_decode(LP2P_BASE32, "mz", 2, dec, 32),
			 LP2P_EPROTO);
}

static void multibase_prefixes(void **state)
{
	(void)state;
	const uint8_t in[] = "yes mani !";
	const size_t len = sizeof in - 1;
	const struct {
		enum lp2p_base base;
		const char *s;
	} mb[] = {
		{LP2P_BASE16, "f796573206d616e692021"},
		{LP2P_BASE32, "bpfsxgidnmfxgsibb"},
		{LP2P_BASE58BTC, "z7paNL19xttacUY"},
		{LP2P_BASE64, "meWVzIG1hbmkgIQ"},
		{LP2P_BASE64URL, "ueWVzIG1hbmkgIQ"},
	};
	for (size_t i = 0; i < sizeof mb / sizeof mb[0]; i++) {
		char enc[64];
		uint8_t dec[64];
		enum lp2p_base base = LP2P_BASE16;
		int n = lp2p_multibase_encode(mb[i].base, in, len, enc,
					      sizeof enc);
		assert_int_equal(n, (int)strlen(mb[i].s));
		assert_string_equal(enc, mb[i].s);
		assert_int_equal(lp2p_multibase_decode(enc, (size_t)n, dec,
						       sizeof dec, &base),
				 (int)len);
		assert_memory_equal(dec, in, len);
		assert_int_equal(base, mb[i].base);
		assert_int_equal(lp2p_multibase_encode(mb[i].base, in, len,
						       enc, (size_t)n),
				 LP2P_ERANGE);
	}
}

static void multibase_errors(void **state)
{
	(void)state;
	uint8_t dec[32];
	char enc[32];
	enum lp2p_base base = LP2P_BASE16;
	assert_int_equal(lp2p_multibase_decode("", 0, dec, 32, &base),
			 LP2P_EPROTO);
	/* 'B' (upper base32), 'c' (padded) and '9' (base10) are unsupported. */
	assert_int_equal(lp2p_multibase_decode("BMZXQ", 5, dec, 32, &base),
			 LP2P_ENOTSUP);
	assert_int_equal(lp2p_multibase_decode("cmzxq", 5, dec, 32, &base),
			 LP2P_ENOTSUP);
	assert_int_equal(lp2p_multibase_decode("9123", 4, dec, 32, &base),
			 LP2P_ENOTSUP);
	assert_int_equal(lp2p_multibase_decode("z0", 2, dec, 32, &base),
			 LP2P_EPROTO);
	assert_int_equal(base, LP2P_BASE16); /* untouched on failure */
	assert_int_equal(lp2p_multibase_decode("b", 1, dec, 32, NULL), 0);
	assert_int_equal(lp2p_multibase_encode((enum lp2p_base)'x',
					       (const uint8_t *)"a", 1, enc,
					       sizeof enc),
			 LP2P_EINVAL);
	assert_int_equal(lp2p_base_encode((enum lp2p_base)'x',
					  (const uint8_t *)"a", 1, enc,
					  sizeof enc),
			 LP2P_EINVAL);
	assert_int_equal(lp2p_base_decode((enum lp2p_base)'x', "a", 1, dec,
					  sizeof dec),
			 LP2P_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encodes_and_decodes_vectors),
		cmocka_unit_test(base58_keeps_leading_zeros),
		cmocka_unit_test(base64url_uses_its_alphabet),
		cmocka_unit_test(round_trips_all_bases),
		cmocka_unit_test(rejects_characters_outside_alphabet),
		cmocka_unit_test(rejects_padding_and_bad_lengths),
		cmocka_unit_test(rejects_nonzero_trailing_bits),
		cmocka_unit_test(multibase_prefixes),
		cmocka_unit_test(multibase_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
