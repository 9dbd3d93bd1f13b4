/* test_protobuf.c - the protobuf wire reader and writer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/protobuf.h>

static int read_one(const uint8_t *buf, size_t len, struct lp2p_pb_field *f)
{
	struct lp2p_pb_reader r;
	lp2p_pb_reader_init(&r, buf, len);
	return lp2p_pb_next(&r, f);
}

static void reads_every_wire_type(void **state)
{
	(void)state;
	/* 1: varint 150, 2: "hi", 3: fixed64, 4: fixed32 */
	/* clang-format off */
	static const uint8_t msg[] = {
		0x08, 0x96, 0x01,
		0x12, 0x02, 'h', 'i',
		0x19, 1, 2, 3, 4, 5, 6, 7, 8,
		0x25, 0xef, 0xbe, 0xad, 0xde,
	};
	/* clang-format on */
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;

	lp2p_pb_reader_init(&r, msg, sizeof(msg));
	assert_int_equal(lp2p_pb_next(&r, &f), 1);
	assert_int_equal(f.number, 1);
	assert_int_equal(f.wire, LP2P_PB_VARINT);
	assert_int_equal(f.u64, 150);

	assert_int_equal(lp2p_pb_next(&r, &f), 1);
	assert_int_equal(f.number, 2);
	assert_int_equal(f.wire, LP2P_PB_LEN);
	assert_int_equal(f.len, 2);
	assert_ptr_equal(f.data, msg + 5);
	assert_memory_equal(f.data, "hi", 2);

	assert_int_equal(lp2p_pb_next(&r, &f), 1);
	assert_int_equal(f.number, 3);
	assert_int_equal(f.wire, LP2P_PB_I64);
	assert_true(f.u64 == UINT64_C(0x0807060504030201));

	assert_int_equal(lp2p_pb_next(&r, &f), 1);
	assert_int_equal(f.number, 4);
	assert_int_equal(f.wire, LP2P_PB_I32);
	assert_int_equal(f.u64, 0xdeadbeef);

	assert_int_equal(lp2p_pb_next(&r, &f), 0);
	assert_int_equal(lp2p_pb_next(&r, &f), 0);
}

static void empty_buffer_is_end(void **state)
{
	(void)state;
	struct lp2p_pb_field f;
	assert_int_equal(read_one(NULL, 0, &f), 0);
	static const uint8_t one[] = {0x08, 0x00};
	assert_int_equal(read_one(one, 0, &f), 0);
}

static void empty_len_field(void **state)
{
	(void)state;
	static const uint8_t msg[] = {0x0a, 0x00};
	struct lp2p_pb_field f;
	assert_int_equal(read_one(msg, sizeof(msg), &f), 1);
	assert_int_equal(f.wire, LP2P_PB_LEN);
	assert_int_equal(f.len, 0);
}

static void large_field_numbers_and_varints(void **state)
{
	(void)state;
	/* Field 2^29-1 (the largest), varint UINT64_MAX in 10 bytes. */
	/* clang-format off */
	static const uint8_t max[] = {
		0xf8, 0xff, 0xff, 0xff, 0x0f,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
	};
	/* clang-format on */
	struct lp2p_pb_field f;
	assert_int_equal(read_one(max, sizeof(max), &f), 1);
	assert_int_equal(f.number, (1u << 29) - 1);
	assert_true(f.u64 == UINT64_MAX);

	/* A non-minimal varint is fine in protobuf: 1 as 0x81 0x00. */
	static const uint8_t loose[] = {0x08, 0x81, 0x00};
	assert_int_equal(read_one(loose, sizeof(loose), &f), 1);
	assert_int_equal(f.u64, 1);
}

static void malformed_input_refused(void **state)
{
	(void)state;
	/* clang-format off */
	static const struct {
		const char *what;
		uint8_t len;
		uint8_t bytes[16];
	} bad[] = {
		{ "field 0", 2, { 0x00, 0x01 } },
		{ "field 0 LEN", 2, { 0x02, 0x00 } },
		{ "field 2^29", 6, { 0x80, 0x80, 0x80, 0x80, 0x10, 0x00 } },
		{ "start group", 1, { 0x0b } },
		{ "end group", 1, { 0x0c } },
		{ "wire type 6", 2, { 0x0e, 0x00 } },
		{ "wire type 7", 2, { 0x0f, 0x00 } },
		{ "tag truncated", 1, { 0x88 } },
		{ "varint truncated", 2, { 0x08, 0x80 } },
		{ "varint missing", 1, { 0x08 } },
		{ "varint 11 bytes", 12,
		  { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x80, 0x01 } },
		{ "varint overflows 64 bits", 11,
		  { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0x02 } },
		{ "LEN past end", 3, { 0x0a, 0x02, 'x' } },
		{ "LEN length truncated", 2, { 0x0a, 0x80 } },
		{ "LEN huge", 11,
		  { 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0x01 } },
		{ "fixed64 short", 8, { 0x09, 1, 2, 3, 4, 5, 6, 7 } },
		{ "fixed32 short", 4, { 0x0d, 1, 2, 3 } },
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lp2p_pb_reader r;
		struct lp2p_pb_field f;
		memset(&f, 0xa5, sizeof(f));
		struct lp2p_pb_field before = f;
		lp2p_pb_reader_init(&r, bad[i].bytes, bad[i].len);
		int rc = lp2p_pb_next(&r, &f);
		if (rc != LP2P_EPROTO)
			fail_msg("%s: got %d", bad[i].what, rc);
		/* Neither the field nor the reader moved. */
		assert_memory_equal(&f, &before, sizeof(f));
		assert_ptr_equal(r.p, bad[i].bytes);
	}
}

static void error_after_good_field_keeps_position(void **state)
{
	(void)state;
	static const uint8_t msg[] = {0x08, 0x01, 0x0a, 0x05, 'a'};
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	lp2p_pb_reader_init(&r, msg, sizeof(msg));
	assert_int_equal(lp2p_pb_next(&r, &f), 1);
	assert_int_equal(lp2p_pb_next(&r, &f), LP2P_EPROTO);
	assert_ptr_equal(r.p, msg + 2);
	assert_int_equal(lp2p_pb_next(&r, &f), LP2P_EPROTO);
}

static void writes_every_wire_type(void **state)
{
	(void)state;
	/* clang-format off */
	static const uint8_t want[] = {
		0x08, 0x96, 0x01,
		0x12, 0x02, 'h', 'i',
		0x19, 1, 2, 3, 4, 5, 6, 7, 8,
		0x25, 0xef, 0xbe, 0xad, 0xde,
		0x2a, 0x00,
		0x32, 0x00,
	};
	/* clang-format on */
	uint8_t buf[64];
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_varint(&w, 1, 150);
	lp2p_pb_put_string(&w, 2, "hi");
	lp2p_pb_put_fixed64(&w, 3, UINT64_C(0x0807060504030201));
	lp2p_pb_put_fixed32(&w, 4, 0xdeadbeef);
	lp2p_pb_put_bytes(&w, 5, NULL, 0);
	lp2p_pb_put_string(&w, 6, NULL);
	assert_int_equal(lp2p_pb_writer_finish(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void writer_edge_values(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct lp2p_pb_writer w;
	struct lp2p_pb_field f;

	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_varint(&w, (1u << 29) - 1, UINT64_MAX);
	assert_int_equal(lp2p_pb_writer_finish(&w), 15);
	assert_int_equal(read_one(buf, 15, &f), 1);
	assert_int_equal(f.number, (1u << 29) - 1);
	assert_true(f.u64 == UINT64_MAX);

	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_varint(&w, 1, 0);
	assert_int_equal(lp2p_pb_writer_finish(&w), 2);
	assert_int_equal(buf[0], 0x08);
	assert_int_equal(buf[1], 0x00);
}

static void writer_bad_field_number(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct lp2p_pb_writer w;

	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_varint(&w, 0, 1);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_EINVAL);
	assert_int_equal(w.len, 0);

	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_bytes(&w, 1u << 29, "x", 1);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_EINVAL);

	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_fixed32(&w, 0, 1);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_EINVAL);
}

static void writer_overflow_is_sticky(void **state)
{
	(void)state;
	uint8_t buf[8];
	struct lp2p_pb_writer w;

	/* Each put fits exactly or not at all, for every capacity. */
	for (size_t cap = 0; cap < 4; cap++) {
		memset(buf, 0xee, sizeof(buf));
		lp2p_pb_writer_init(&w, buf, cap);
		lp2p_pb_put_bytes(&w, 1, "abc", 2); /* needs 4 */
		assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_ERANGE);
		assert_int_equal(w.len, 0);
		for (size_t i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xee);
	}
	lp2p_pb_writer_init(&w, buf, 4);
	lp2p_pb_put_bytes(&w, 1, "abc", 2);
	assert_int_equal(lp2p_pb_writer_finish(&w), 4);

	/* After a failure, a write that would fit is ignored. */
	lp2p_pb_writer_init(&w, buf, 3);
	lp2p_pb_put_varint(&w, 1, 300); /* 3 bytes: fits */
	lp2p_pb_put_varint(&w, 1, 1);   /* does not fit */
	assert_int_equal(w.len, 3);
	lp2p_pb_writer_init(&w, buf, 3);
	lp2p_pb_put_fixed64(&w, 1, 0);
	lp2p_pb_put_varint(&w, 1, 1);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_ERANGE);
	assert_int_equal(w.len, 0);

	/* The first error wins. */
	lp2p_pb_writer_init(&w, buf, 1);
	lp2p_pb_put_varint(&w, 1, 1);
	lp2p_pb_put_varint(&w, 0, 1);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_ERANGE);

	/* A length near SIZE_MAX must not wrap the room check. */
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_bytes(&w, 1, "x", SIZE_MAX - 1);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_ERANGE);

	/* No buffer: nothing fits. */
	lp2p_pb_writer_init(&w, NULL, 100);
	lp2p_pb_put_varint(&w, 1, 1);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_ERANGE);
	lp2p_pb_writer_init(&w, NULL, 0);
	assert_int_equal(lp2p_pb_writer_finish(&w), 0);
}

static void bytes_field_len_matches_writer(void **state)
{
	(void)state;
	static uint8_t payload[20000];
	static uint8_t buf[20010];
	const size_t lens[] = {0, 1, 127, 128, 16383, 16384, 20000};
	const uint32_t numbers[] = {1, 15, 16, 2047, 2048, (1u << 29) - 1};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (size_t j = 0; j < sizeof(numbers) / sizeof(numbers[0]);
		     j++) {
			struct lp2p_pb_writer w;
			lp2p_pb_writer_init(&w, buf, sizeof(buf));
			lp2p_pb_put_bytes(&w, numbers[j], payload, lens[i]);
			assert_int_equal(
			    lp2p_pb_writer_finish(&w),
			    lp2p_pb_bytes_field_len(numbers[j], lens[i]));
		}
	}
	assert_int_equal(lp2p_pb_bytes_field_len(1, 0), 2);
	assert_int_equal(lp2p_pb_bytes_field_len(16, 128), 2 + 2 + 128);
}

static void nested_message_round_trip(void **state)
{
	(void)state;
	uint8_t inner[16], outer[32];
	struct lp2p_pb_writer w;

	lp2p_pb_writer_init(&w, inner, sizeof(inner));
	lp2p_pb_put_varint(&w, 1, 7);
	int ilen = lp2p_pb_writer_finish(&w);
	assert_int_equal(ilen, 2);

	lp2p_pb_writer_init(&w, outer, sizeof(outer));
	lp2p_pb_put_bytes(&w, 3, inner, (size_t)ilen);
	lp2p_pb_put_varint(&w, 4, 1);
	int olen = lp2p_pb_writer_finish(&w);
	assert_int_equal(olen, 6);

	struct lp2p_pb_reader r, ir;
	struct lp2p_pb_field f;
	lp2p_pb_reader_init(&r, outer, (size_t)olen);
	assert_int_equal(lp2p_pb_next(&r, &f), 1);
	assert_int_equal(f.number, 3);
	lp2p_pb_reader_init(&ir, f.data, f.len);
	assert_int_equal(lp2p_pb_next(&ir, &f), 1);
	assert_int_equal(f.u64, 7);
	assert_int_equal(lp2p_pb_next(&ir, &f), 0);
	assert_int_equal(lp2p_pb_next(&r, &f), 1);
	assert_int_equal(f.number, 4);
	assert_int_equal(lp2p_pb_next(&r, &f), 0);
}

static void next_of_walks_one_repeated_field(void **state)
{
	(void)state;
	/* 2: "a", 1: 5, 2: "", 3: "x", 2: "bc" */
	static const uint8_t msg[] = {0x12, 0x01, 'a', 0x08, 0x05, 0x12, 0x00,
	                              0x1a, 0x01, 'x', 0x12, 0x02, 'b', 'c'};
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;

	lp2p_pb_reader_init(&r, msg, sizeof(msg));
	assert_int_equal(lp2p_pb_next_of(&r, 2, LP2P_PB_LEN, &f), 1);
	assert_int_equal(f.len, 1);
	assert_ptr_equal(f.data, msg + 2);
	assert_int_equal(lp2p_pb_next_of(&r, 2, LP2P_PB_LEN, &f), 1);
	assert_int_equal(f.len, 0);
	assert_int_equal(lp2p_pb_next_of(&r, 2, LP2P_PB_LEN, &f), 1);
	assert_memory_equal(f.data, "bc", 2);
	assert_int_equal(lp2p_pb_next_of(&r, 2, LP2P_PB_LEN, &f), 0);

	/* The wanted number with another wire type is an error. */
	lp2p_pb_reader_init(&r, msg, sizeof(msg));
	assert_int_equal(lp2p_pb_next_of(&r, 1, LP2P_PB_LEN, &f), LP2P_EPROTO);
	/* So is a malformed field on the way, even of another number. */
	static const uint8_t bad[] = {0x08, 0x01, 0x1a, 0x05, 'x'};
	lp2p_pb_reader_init(&r, bad, sizeof(bad));
	assert_int_equal(lp2p_pb_next_of(&r, 2, LP2P_PB_LEN, &f), LP2P_EPROTO);
}

static void count_checks_the_whole_buffer(void **state)
{
	(void)state;
	static const uint8_t msg[] = {0x12, 0x01, 'a', 0x08, 0x05, 0x12, 0x00,
	                              0x1a, 0x01, 'x', 0x12, 0x02, 'b', 'c'};
	size_t n = 99;

	assert_int_equal(lp2p_pb_count(msg, sizeof(msg), 2, LP2P_PB_LEN, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(lp2p_pb_count(msg, sizeof(msg), 1, LP2P_PB_VARINT, &n),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(lp2p_pb_count(msg, sizeof(msg), 7, LP2P_PB_LEN, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(lp2p_pb_count(NULL, 0, 2, LP2P_PB_LEN, &n), 0);
	assert_int_equal(n, 0);

	/* A truncated last field fails the count and leaves *count alone. */
	n = 99;
	assert_int_equal(lp2p_pb_count(msg, sizeof(msg) - 1, 2, LP2P_PB_LEN, &n),
	                 LP2P_EPROTO);
	assert_int_equal(n, 99);
	assert_int_equal(lp2p_pb_count(msg, sizeof(msg), 2, LP2P_PB_VARINT, &n),
	                 LP2P_EPROTO);
	assert_int_equal(n, 99);
}

/* The same fields through a sizer and a writer. */
static void put_sample(struct lp2p_pb_writer *w, const uint8_t *payload,
                       size_t len)
{
	lp2p_pb_put_varint(w, 1, UINT64_MAX);
	lp2p_pb_put_bytes(w, 2, payload, len);
	lp2p_pb_put_string(w, 3, "topic");
	lp2p_pb_put_fixed64(w, 4, 1);
	lp2p_pb_put_fixed32(w, 5, 2);
	lp2p_pb_put_len_header(w, 6, len);
	lp2p_pb_put_bytes(w, 2000, payload, len);
}

static void sizer_counts_what_the_writer_writes(void **state)
{
	(void)state;
	static uint8_t payload[300], buf[1000];
	const size_t lens[] = {0, 1, 127, 128, 300};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct lp2p_pb_writer s, w;
		lp2p_pb_sizer_init(&s);
		put_sample(&s, payload, lens[i]);
		lp2p_pb_writer_init(&w, buf, sizeof(buf));
		put_sample(&w, payload, lens[i]);
		/* The header promised len bytes the sample does not write:
		 * count the same either way. */
		assert_true(lp2p_pb_writer_finish(&s) > 0);
		assert_int_equal(lp2p_pb_writer_finish(&s),
		                 lp2p_pb_writer_finish(&w));
	}
	/* A sizer still refuses a bad field number. */
	struct lp2p_pb_writer s;
	lp2p_pb_sizer_init(&s);
	lp2p_pb_put_varint(&s, 0, 1);
	assert_int_equal(lp2p_pb_writer_finish(&s), LP2P_EINVAL);
}

static void len_header_writes_a_nested_message(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct lp2p_pb_writer s, w;

	/* outer { 3: inner { 1: 7, 2: "id" }, 4: 1 }, inner sized first */
	lp2p_pb_sizer_init(&s);
	lp2p_pb_put_varint(&s, 1, 7);
	lp2p_pb_put_bytes(&s, 2, "id", 2);
	assert_int_equal(lp2p_pb_writer_finish(&s), 6);

	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_len_header(&w, 3, s.len);
	lp2p_pb_put_varint(&w, 1, 7);
	lp2p_pb_put_bytes(&w, 2, "id", 2);
	lp2p_pb_put_varint(&w, 4, 1);
	static const uint8_t want[] = {0x1a, 0x06, 0x08, 0x07, 0x12,
	                               0x02, 'i',  'd',  0x20, 0x01};
	assert_int_equal(lp2p_pb_writer_finish(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	/* Room for the header but not for the promised payload: refused
	 * before anything is written. */
	lp2p_pb_writer_init(&w, buf, 7);
	lp2p_pb_put_len_header(&w, 3, 6);
	assert_int_equal(w.len, 0);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_ERANGE);
	lp2p_pb_writer_init(&w, buf, 8);
	lp2p_pb_put_len_header(&w, 3, 6);
	assert_int_equal(lp2p_pb_writer_finish(&w), 2);
	/* A length near SIZE_MAX does not wrap the room check. */
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_len_header(&w, 3, SIZE_MAX - 1);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_ERANGE);
	lp2p_pb_writer_init(&w, buf, sizeof(buf));
	lp2p_pb_put_len_header(&w, 0, 1);
	assert_int_equal(lp2p_pb_writer_finish(&w), LP2P_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(reads_every_wire_type),
	    cmocka_unit_test(empty_buffer_is_end),
	    cmocka_unit_test(empty_len_field),
	    cmocka_unit_test(large_field_numbers_and_varints),
	    cmocka_unit_test(malformed_input_refused),
	    cmocka_unit_test(error_after_good_field_keeps_position),
	    cmocka_unit_test(writes_every_wire_type),
	    cmocka_unit_test(writer_edge_values),
	    cmocka_unit_test(writer_bad_field_number),
	    cmocka_unit_test(writer_overflow_is_sticky),
	    cmocka_unit_test(bytes_field_len_matches_writer),
	    cmocka_unit_test(nested_message_round_trip),
	    cmocka_unit_test(next_of_walks_one_repeated_field),
	    cmocka_unit_test(count_checks_the_whole_buffer),
	    cmocka_unit_test(sizer_counts_what_the_writer_writes),
	    cmocka_unit_test(len_header_writes_a_nested_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
