/* test_varint.c - unsigned-varint encode/decode and its error classes */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/varint.h>

struct vector {
	uint64_t value;
	size_t len;
	uint8_t bytes[LP2P_VARINT_MAX_LEN];
};

/* From the multiformats unsigned-varint README, plus the edges. */
static const struct vector vectors[] = {
	{0, 1, {0x00}},
	{1, 1, {0x01}},
	{127, 1, {0x7f}},
	{128, 2, {0x80, 0x01}},
	{255, 2, {0xff, 0x01}},
	{300, 2, {0xac, 0x02}},
	{16384, 3, {0x80, 0x80, 0x01}},
	{(UINT64_C(1) << 63) - 1, 9,
	 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
};

static void encodes_and_decodes_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		const struct vector *v = &vectors[i];
		uint8_t buf[LP2P_VARINT_MAX_LEN + 1];
		memset(buf, 0xee, sizeof buf);
		assert_int_equal(lp2p_varint_len(v->value), v->len);
		assert_int_equal(lp2p_varint_encode(v->value, buf, sizeof buf),
				 (int)v->len);
		assert_memory_equal(buf, v->bytes, v->len);
		assert_int_equal(buf[v->len], 0xee);
		uint64_t out = 12345;
		assert_int_equal(lp2p_varint_decode(v->bytes, v->len, &out),
				 (int)v->len);
		assert_true(out == v->value);
	}
}

static void round_trips_every_length(void **state)
{
	(void)state;
	for (unsigned bits = 0; bits < 63; bits++) {
		uint64_t vals[3] = {UINT64_C(1) << bits,
				    (UINT64_C(1) << bits) - 1,
				    (UINT64_C(1) << bits) + 1};
		for (int k = 0; k < 3; k++) {
			uint8_t buf[LP2P_VARINT_MAX_LEN];
			uint64_t out;
			int n = lp2p_varint_encode(vals[k], buf, sizeof buf);
			assert_true(n >= 1 && n <= LP2P_VARINT_MAX_LEN);
			assert_int_equal(lp2p_varint_decode(buf, (size_t)n,
							    &out),
					 n);
			assert_true(out == vals[k]);
		}
	}
}

static void decode_ignores_trailing_bytes(void **state)
{
	(void)state;
	const uint8_t buf[] = {0xac, 0x02, 0xff, 0xff};
	uint64_t out;
	assert_int_equal(lp2p_varint_decode(buf, sizeof buf, &out), 2);
	assert_true(out == 300);
}

static void encode_refuses_63_bits_and_small_buffers(void **state)
{
	(void)state;
	uint8_t buf[LP2P_VARINT_MAX_LEN];
	assert_int_equal(lp2p_varint_encode(UINT64_C(1) << 63, buf, sizeof buf),
			 LP2P_ERANGE);
	assert_int_equal(lp2p_varint_encode(UINT64_MAX, buf, sizeof buf),
			 LP2P_ERANGE);
	assert_int_equal(lp2p_varint_encode(128, buf, 1), LP2P_ERANGE);
	assert_int_equal(lp2p_varint_encode(0, buf, 0), LP2P_ERANGE);
	assert_int_equal(lp2p_varint_encode(0, NULL, 4), LP2P_ERANGE);
}

static void decode_rejects_truncated(void **state)
{
	(void)state;
	const uint8_t buf[] = {0x80, 0x80, 0x80};
	uint64_t out = 7;
	assert_int_equal(lp2p_varint_decode(buf, 0, &out), LP2P_ETRUNC);
	assert_int_equal(lp2p_varint_decode(buf, 1, &out), LP2P_ETRUNC);
	assert_int_equal(lp2p_varint_decode(buf, 3, &out), LP2P_ETRUNC);
	assert_true(out == 7); /* untouched on failure */
}

static void decode_rejects_non_minimal(void **state)
{
	(void)state;
	const uint8_t one_padded[] = {0x81, 0x00};
	const uint8_t zero_padded[] = {0x80, 0x80, 0x00};
	const uint8_t big_padded[] = {0xff, 0xff, 0xff, 0xff, 0xff,
				      0xff, 0xff, 0xff, 0x00};
	uint64_t out;
	assert_int_equal(lp2p_varint_decode(one_padded, 2, &out), LP2P_EPROTO);
	assert_int_equal(lp2p_varint_decode(zero_padded, 3, &out),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_varint_decode(big_padded, 9, &out), LP2P_EPROTO);
}

static void decode_rejects_ten_bytes(void **state)
{
	(void)state;
	const uint8_t ten[] = {0xff, 0xff, 0xff, 0xff, 0xff,
			       0xff, 0xff, 0xff, 0xff, 0x01};
	uint64_t out;
	assert_int_equal(lp2p_varint_decode(ten, sizeof ten, &out),
			 LP2P_EPROTO);
	/* Even when only the 9 first bytes are present. */
	assert_int_equal(lp2p_varint_decode(ten, 9, &out), LP2P_EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encodes_and_decodes_vectors),
		cmocka_unit_test(round_trips_every_length),
		cmocka_unit_test(decode_ignores_trailing_bytes),
		cmocka_unit_test(encode_refuses_63_bits_and_small_buffers),
		cmocka_unit_test(decode_rejects_truncated),
		cmocka_unit_test(decode_rejects_non_minimal),
		cmocka_unit_test(decode_rejects_ten_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
