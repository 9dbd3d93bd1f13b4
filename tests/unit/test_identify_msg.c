/*
 * test_identify_msg.c - the identify plugin's codecs: the Identify
 * message (encode, decode, merge, bounds, malformed input), the stream
 * reader of length-delimited messages, and signed peer records (seal,
 * open, tampering, js-libp2p vectors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/crypto.h>
#include <lp2p/protobuf.h>
#include <lp2p/varint.h>

#include "identify/identify_msg.h"
#include "identify/identify_reader.h"
#include "identify/record.h"

/* ---- helpers ---- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static bool view_is(struct identify_view v, const void *data, size_t len)
{
	return v.len == len && (len == 0 || memcmp(v.data, data, len) == 0);
}

static bool view_is_str(struct identify_view v, const char *s)
{
	return view_is(v, s, strlen(s));
}

static struct lp2p_multiaddr maddr(const char *text)
{
	struct lp2p_multiaddr ma;
	assert_int_equal(lp2p_multiaddr_parse(text, strlen(text), &ma), 0);
	return ma;
}

static const uint8_t fake_key[] = {0x08, 0x01, 0x12, 0x04, 1, 2, 3, 4};
static const uint8_t fake_record[] = {0xaa, 0xbb, 0xcc};

/* A message with every field set. */
static struct identify_info full_info(struct lp2p_multiaddr *addrs,
                                      struct lp2p_multiaddr *observed)
{
	static const char *const protos[] = {"/ipfs/id/1.0.0",
	                                     "/ipfs/ping/1.0.0"};
	addrs[0] = maddr("/ip4/127.0.0.1/tcp/4001");
	addrs[1] = maddr("/ip6/::1/tcp/4002");
	*observed = maddr("/ip4/10.0.0.1/tcp/5555");
	return (struct identify_info){
	    .protocol_version = "ipfs/0.1.0",
	    .agent_version = "lp2p/test",
	    .public_key = fake_key,
	    .public_key_len = sizeof fake_key,
	    .listen_addrs = addrs,
	    .n_listen_addrs = 2,
	    .observed_addr = observed,
	    .protocols = protos,
	    .n_protocols = 2,
	    .signed_record = fake_record,
	    .signed_record_len = sizeof fake_record,
	};
}

/* ---- message: encode and decode ---- */

static void roundtrip_every_field(void **state)
{
	(void)state;
	struct lp2p_multiaddr addrs[2], observed;
	struct identify_info info = full_info(addrs, &observed);
	uint8_t buf[1024];
	int n = identify_msg_encode(&info, buf, sizeof buf);
	assert_true(n > 0);
	struct identify_msg m;
	identify_msg_init(&m);
	assert_int_equal(identify_msg_decode(buf, (size_t)n, &m), 0);
	assert_true(m.has_protocol_version &&
	            view_is_str(m.protocol_version, "ipfs/0.1.0"));
	assert_true(m.has_agent_version &&
	            view_is_str(m.agent_version, "lp2p/test"));
	assert_true(m.has_public_key &&
	            view_is(m.public_key, fake_key, sizeof fake_key));
	assert_int_equal(m.n_listen_addrs, 2);
	assert_true(view_is(m.listen_addrs[0], addrs[0].bytes, addrs[0].len));
	assert_true(view_is(m.listen_addrs[1], addrs[1].bytes, addrs[1].len));
	assert_true(m.has_observed_addr &&
	            view_is(m.observed_addr, observed.bytes, observed.len));
	assert_int_equal(m.n_protocols, 2);
	assert_true(view_is_str(m.protocols[0], "/ipfs/id/1.0.0"));
	assert_true(view_is_str(m.protocols[1], "/ipfs/ping/1.0.0"));
	assert_true(m.has_signed_record &&
	            view_is(m.signed_record, fake_record, sizeof fake_record));
	assert_int_equal(m.dropped, 0);
}

/* The exact bytes of a small message (field order by number). */
static void encode_golden_bytes(void **state)
{
	(void)state;
	static const char *const protos[] = {"/p"};
	struct lp2p_multiaddr a = maddr("/ip4/1.2.3.4/tcp/80");
	struct identify_info info = {
	    .protocol_version = "v",
	    .agent_version = "a",
	    .listen_addrs = &a,
	    .n_listen_addrs = 1,
	    .protocols = protos,
	    .n_protocols = 1,
	};
	static const uint8_t want[] = {
	    0x12, 0x08, 0x04, 1,   2, 3, 4, 0x06, 0x00, 0x50, /* addrs */
	    0x1a, 0x02, '/',  'p',                            /* protocols */
	    0x2a, 0x01, 'v',                                  /* version */
	    0x32, 0x01, 'a',                                  /* agent */
	};
	uint8_t buf[64];
	int n = identify_msg_encode(&info, buf, sizeof buf);
	assert_int_equal(n, sizeof want);
	assert_memory_equal(buf, want, sizeof want);
}

static void encode_empty_and_errors(void **state)
{
	(void)state;
	struct identify_info empty = {0};
	uint8_t buf[16];
	assert_int_equal(identify_msg_encode(&empty, buf, sizeof buf), 0);
	assert_int_equal(identify_msg_encode(NULL, buf, sizeof buf),
	                 LP2P_EINVAL);
	struct identify_info bad = {.n_protocols = 1};
	assert_int_equal(identify_msg_encode(&bad, buf, sizeof buf),
	                 LP2P_EINVAL);
	struct identify_info bad_addrs = {.n_listen_addrs = 2};
	assert_int_equal(identify_msg_encode(&bad_addrs, buf, sizeof buf),
	                 LP2P_EINVAL);
	struct lp2p_multiaddr addrs[2], observed;
	struct identify_info info = full_info(addrs, &observed);
	assert_int_equal(identify_msg_encode(&info, buf, sizeof buf),
	                 LP2P_ERANGE);
	assert_int_equal(identify_msg_encode_stream(&info, buf, sizeof buf),
	                 LP2P_ERANGE);
	assert_int_equal(identify_msg_encode_stream(&info, buf, 2),
	                 LP2P_ERANGE);
}

/* A message as js-libp2p 3.3 encodes it (its field order: 5 6 1 2 4 3 8). */
static void decode_js_libp2p_message(void **state)
{
	(void)state;
	uint8_t buf[512];
	size_t n =
	    unhex("2a0a697066732f302e312e3032106a732d6c69627032702f332e332e3131"
	          "0a2408011220070707070707070707070707070707070707070707070707"
	          "07070707070707071208047f000001060fa12208040a0000010615b31a0e"
	          "2f697066732f69642f312e302e301a102f697066732f70696e672f312e30"
	          "2e304203010203",
	          buf, sizeof buf);
	struct identify_msg m;
	identify_msg_init(&m);
	assert_int_equal(identify_msg_decode(buf, n, &m), 0);
	assert_true(view_is_str(m.protocol_version, "ipfs/0.1.0"));
	assert_true(view_is_str(m.agent_version, "js-libp2p/3.3.11"));
	assert_int_equal(m.public_key.len, 36);
	assert_int_equal(m.n_listen_addrs, 1);
	struct lp2p_multiaddr a = maddr("/ip4/127.0.0.1/tcp/4001");
	assert_true(view_is(m.listen_addrs[0], a.bytes, a.len));
	struct lp2p_multiaddr o = maddr("/ip4/10.0.0.1/tcp/5555");
	assert_true(view_is(m.observed_addr, o.bytes, o.len));
	assert_int_equal(m.n_protocols, 2);
	assert_true(view_is_str(m.protocols[1], "/ipfs/ping/1.0.0"));
	static const uint8_t rec[] = {1, 2, 3};
	assert_true(view_is(m.signed_record, rec, sizeof rec));
}

static void decode_merges_messages(void **state)
{
	(void)state;
	uint8_t a[256], b[256];
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, a, sizeof a);
	lp2p_pb_put_string(&w, IDENTIFY_F_AGENT_VERSION, "first");
	lp2p_pb_put_string(&w, IDENTIFY_F_PROTOCOLS, "/x");
	lp2p_pb_put_bytes(&w, IDENTIFY_F_LISTEN_ADDRS, "A", 1);
	int na = lp2p_pb_writer_finish(&w);
	lp2p_pb_writer_init(&w, b, sizeof b);
	lp2p_pb_put_string(&w, IDENTIFY_F_AGENT_VERSION, "second");
	lp2p_pb_put_string(&w, IDENTIFY_F_PROTOCOLS, "/x");
	lp2p_pb_put_string(&w, IDENTIFY_F_PROTOCOLS, "/y");
	lp2p_pb_put_bytes(&w, IDENTIFY_F_LISTEN_ADDRS, "B", 1);
	int nb = lp2p_pb_writer_finish(&w);
	struct identify_msg m;
	identify_msg_init(&m);
	assert_int_equal(identify_msg_decode(a, (size_t)na, &m), 0);
	assert_int_equal(identify_msg_decode(b, (size_t)nb, &m), 0);
	assert_true(view_is_str(m.agent_version, "second"));
	assert_false(m.has_public_key);
	assert_int_equal(m.n_protocols, 2); /* "/x" once */
	assert_true(view_is_str(m.protocols[0], "/x"));
	assert_true(view_is_str(m.protocols[1], "/y"));
	assert_int_equal(m.n_listen_addrs, 2);
	assert_true(view_is_str(m.listen_addrs[0], "A"));
	assert_true(view_is_str(m.listen_addrs[1], "B"));
}

static void decode_skips_unknown_fields(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, sizeof buf);
	lp2p_pb_put_varint(&w, 7, 42);
	lp2p_pb_put_bytes(&w, 100, "zz", 2);
	lp2p_pb_put_fixed32(&w, 9, 1);
	lp2p_pb_put_fixed64(&w, 10, 1);
	lp2p_pb_put_string(&w, IDENTIFY_F_AGENT_VERSION, "ok");
	int n = lp2p_pb_writer_finish(&w);
	struct identify_msg m;
	identify_msg_init(&m);
	assert_int_equal(identify_msg_decode(buf, (size_t)n, &m), 0);
	assert_true(view_is_str(m.agent_version, "ok"));
	assert_false(m.has_protocol_version);
}

static void decode_refuses_wrong_wire_types(void **state)
{
	(void)state;
	static const uint32_t fields[] = {1, 2, 3, 4, 5, 6, 8};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		uint8_t buf[16];
		struct lp2p_pb_writer w;
		lp2p_pb_writer_init(&w, buf, sizeof buf);
		lp2p_pb_put_varint(&w, fields[i], 1);
		int n = lp2p_pb_writer_finish(&w);
		struct identify_msg m;
		identify_msg_init(&m);
		assert_int_equal(identify_msg_decode(buf, (size_t)n, &m),
		                 LP2P_EPROTO);
	}
}

/* Cut anywhere: either a field boundary (fine) or an error, never more. */
static void decode_truncated(void **state)
{
	(void)state;
	struct lp2p_multiaddr addrs[2], observed;
	struct identify_info info = full_info(addrs, &observed);
	uint8_t buf[1024];
	int n = identify_msg_encode(&info, buf, sizeof buf);
	assert_true(n > 0);
	size_t ok = 0;
	for (int cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc((size_t)cut + 1); /* exact, for ASan */
		memcpy(copy, buf, (size_t)cut);
		struct identify_msg m;
		identify_msg_init(&m);
		int rc = identify_msg_decode(copy, (size_t)cut, &m);
		assert_true(rc == 0 || rc == LP2P_EPROTO);
		ok += rc == 0;
		free(copy);
	}
	/* boundaries: empty, and after each field but the last */
	assert_int_equal(ok, 1 + 8);
	/* a length running past the end */
	static const uint8_t past[] = {0x32, 0x05, 'a', 'b'};
	struct identify_msg m;
	identify_msg_init(&m);
	assert_int_equal(identify_msg_decode(past, sizeof past, &m),
	                 LP2P_EPROTO);
	/* a bad tag (field number 0) */
	static const uint8_t zero[] = {0x02, 0x00};
	assert_int_equal(identify_msg_decode(zero, sizeof zero, &m),
	                 LP2P_EPROTO);
}

static void decode_size_limit(void **state)
{
	(void)state;
	size_t len = IDENTIFY_MAX_MSG + 1;
	uint8_t *buf = calloc(1, len);
	assert_non_null(buf);
	struct identify_msg m;
	identify_msg_init(&m);
	assert_int_equal(identify_msg_decode(buf, len, &m), LP2P_ERANGE);
	/* exactly the bound: a valid (unknown) field filling it */
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, IDENTIFY_MAX_MSG);
	size_t payload = IDENTIFY_MAX_MSG - 1 - 3;
	uint8_t *junk = calloc(1, payload);
	lp2p_pb_put_bytes(&w, 15, junk, payload);
	assert_int_equal(lp2p_pb_writer_finish(&w), IDENTIFY_MAX_MSG);
	assert_int_equal(identify_msg_decode(buf, IDENTIFY_MAX_MSG, &m), 0);
	free(junk);
	free(buf);
}

static void decode_bounds_repeated_fields(void **state)
{
	(void)state;
	size_t cap = 16384;
	uint8_t *buf = malloc(cap);
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, cap);
	for (int i = 0; i < IDENTIFY_MAX_ADDRS + 6; i++)
		lp2p_pb_put_bytes(&w, IDENTIFY_F_LISTEN_ADDRS, "x", 1);
	for (int i = 0; i < IDENTIFY_MAX_PROTOCOLS + 44; i++) {
		char p[16];
		snprintf(p, sizeof p, "/p/%d", i);
		lp2p_pb_put_string(&w, IDENTIFY_F_PROTOCOLS, p);
	}
	int n = lp2p_pb_writer_finish(&w);
	assert_true(n > 0);
	struct identify_msg *m = malloc(sizeof *m);
	identify_msg_init(m);
	assert_int_equal(identify_msg_decode(buf, (size_t)n, m), 0);
	assert_int_equal(m->n_listen_addrs, IDENTIFY_MAX_ADDRS);
	assert_int_equal(m->n_protocols, IDENTIFY_MAX_PROTOCOLS);
	assert_int_equal(m->dropped, 6 + 44);
	free(m);
	free(buf);
}

/* ---- the stream form and the reader ---- */

static int read_all(const uint8_t *data, size_t len, size_t chunk,
                    struct identify_reader *r, struct identify_msg *m)
{
	identify_reader_init(r);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		int rc = identify_reader_feed(r, data + off, n);
		if (rc)
			return rc;
	}
	return identify_reader_finish(r, m);
}

static void stream_single_message(void **state)
{
	(void)state;
	struct lp2p_multiaddr addrs[2], observed;
	struct identify_info info = full_info(addrs, &observed);
	uint8_t body[1024], framed[1100];
	int nb = identify_msg_encode(&info, body, sizeof body);
	int nf = identify_msg_encode_stream(&info, framed, sizeof framed);
	assert_true(nb > 0 && nb < 128);
	assert_int_equal(nf, nb + 1); /* one prefix byte */
	assert_int_equal(framed[0], nb);
	assert_memory_equal(framed + 1, body, (size_t)nb);
	for (size_t chunk = 1; chunk <= (size_t)nf; chunk++) {
		struct identify_reader r;
		struct identify_msg m;
		assert_int_equal(read_all(framed, (size_t)nf, chunk, &r, &m),
		                 0);
		assert_true(view_is_str(m.agent_version, "lp2p/test"));
		assert_int_equal(m.n_protocols, 2);
		identify_reader_free(&r);
	}
}

/* Above IDENTIFY_SPLIT_SIZE the record travels in a second message. */
static void stream_splits_large_messages(void **state)
{
	(void)state;
	struct lp2p_multiaddr addrs[2], observed;
	struct identify_info info = full_info(addrs, &observed);
	const char *protos[40];
	char names[40][80];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof names[i],
		         "/a/rather/long/protocol/name/for/padding/%02d/1.0.0",
		         i);
		protos[i] = names[i];
	}
	info.protocols = protos;
	info.n_protocols = 40;
	uint8_t record[600];
	memset(record, 0x5a, sizeof record);
	info.signed_record = record;
	info.signed_record_len = sizeof record;
	uint8_t *buf = malloc(8192);
	int n = identify_msg_encode_stream(&info, buf, 8192);
	assert_true(n > IDENTIFY_SPLIT_SIZE);
	/* first message: everything but the record */
	uint64_t len1;
	int p1 = lp2p_varint_decode(buf, (size_t)n, &len1);
	assert_true(p1 > 0);
	struct identify_msg first;
	identify_msg_init(&first);
	assert_int_equal(identify_msg_decode(buf + p1, (size_t)len1, &first),
	                 0);
	assert_false(first.has_signed_record);
	assert_int_equal(first.n_protocols, 40);
	/* second: the record alone */
	size_t off = (size_t)p1 + (size_t)len1;
	uint64_t len2;
	int p2 = lp2p_varint_decode(buf + off, (size_t)n - off, &len2);
	assert_true(p2 > 0);
	assert_int_equal(off + (size_t)p2 + len2, (size_t)n);
	struct identify_msg second;
	identify_msg_init(&second);
	assert_int_equal(
	    identify_msg_decode(buf + off + p2, (size_t)len2, &second), 0);
	assert_true(second.has_signed_record);
	assert_false(second.has_agent_version);
	assert_int_equal(second.n_protocols, 0);
	/* the reader puts them back together */
	struct identify_reader r;
	struct identify_msg *m = malloc(sizeof *m);
	assert_int_equal(read_all(buf, (size_t)n, 7, &r, m), 0);
	assert_true(m->has_signed_record &&
	            view_is(m->signed_record, record, sizeof record));
	assert_int_equal(m->n_protocols, 40);
	assert_true(view_is_str(m->agent_version, "lp2p/test"));
	identify_reader_free(&r);
	free(m);
	free(buf);
}

static void reader_refuses_oversized_length_before_allocating(void **state)
{
	(void)state;
	uint8_t prefix[LP2P_VARINT_MAX_LEN];
	int n = lp2p_varint_encode(IDENTIFY_MAX_MSG + 1, prefix, sizeof prefix);
	struct identify_reader r;
	identify_reader_init(&r);
	assert_int_equal(identify_reader_feed(&r, prefix, (size_t)n),
	                 LP2P_ERANGE);
	assert_null(r.buf); /* nothing allocated */
	/* sticky */
	static const uint8_t zero = 0;
	assert_int_equal(identify_reader_feed(&r, &zero, 1), LP2P_ERANGE);
	struct identify_msg m;
	assert_int_equal(identify_reader_finish(&r, &m), LP2P_ERANGE);
	identify_reader_free(&r);
	/* a huge length (2^62) too */
	n = lp2p_varint_encode(UINT64_C(1) << 62, prefix, sizeof prefix);
	identify_reader_init(&r);
	assert_int_equal(identify_reader_feed(&r, prefix, (size_t)n),
	                 LP2P_ERANGE);
	assert_null(r.buf);
	identify_reader_free(&r);
}

/* The bound holds for the stream as a whole, too. */
static void reader_bounds_the_total(void **state)
{
	(void)state;
	struct identify_reader r;
	identify_reader_init(&r);
	uint8_t prefix[LP2P_VARINT_MAX_LEN];
	size_t half = IDENTIFY_MAX_MSG / 2;
	uint8_t *body = calloc(1, half);
	/* two halves fit exactly (unknown fields are not checked here) */
	for (int i = 0; i < 2; i++) {
		int n = lp2p_varint_encode(half, prefix, sizeof prefix);
		assert_int_equal(identify_reader_feed(&r, prefix, (size_t)n),
		                 0);
		assert_int_equal(identify_reader_feed(&r, body, half), 0);
	}
	int n = lp2p_varint_encode(1, prefix, sizeof prefix);
	assert_int_equal(identify_reader_feed(&r, prefix, (size_t)n),
	                 LP2P_ERANGE);
	identify_reader_free(&r);
	free(body);
}

static void reader_limits_message_count(void **state)
{
	(void)state;
	struct identify_reader r;
	identify_reader_init(&r);
	static const uint8_t empty = 0; /* a zero-length message */
	for (int i = 0; i < IDENTIFY_MAX_MESSAGES; i++)
		assert_int_equal(identify_reader_feed(&r, &empty, 1), 0);
	assert_int_equal(identify_reader_feed(&r, &empty, 1), LP2P_ELIMIT);
	identify_reader_free(&r);
	/* ten empty messages make an empty message */
	identify_reader_init(&r);
	for (int i = 0; i < IDENTIFY_MAX_MESSAGES; i++)
		assert_int_equal(identify_reader_feed(&r, &empty, 1), 0);
	struct identify_msg m;
	assert_int_equal(identify_reader_finish(&r, &m), 0);
	assert_false(m.has_agent_version);
	assert_int_equal(m.n_protocols, 0);
	identify_reader_free(&r);
}

static void reader_errors(void **state)
{
	(void)state;
	struct identify_reader r;
	struct identify_msg m;
	/* nothing at all */
	identify_reader_init(&r);
	assert_int_equal(identify_reader_finish(&r, &m), LP2P_ENOTFOUND);
	identify_reader_free(&r);
	/* ends inside a length */
	static const uint8_t part_len[] = {0x80};
	identify_reader_init(&r);
	assert_int_equal(identify_reader_feed(&r, part_len, 1), 0);
	assert_int_equal(identify_reader_finish(&r, &m), LP2P_ETRUNC);
	identify_reader_free(&r);
	/* ends inside a body */
	static const uint8_t part_body[] = {0x05, 0x32, 0x03, 'a'};
	identify_reader_init(&r);
	assert_int_equal(identify_reader_feed(&r, part_body, sizeof part_body),
	                 0);
	assert_int_equal(identify_reader_finish(&r, &m), LP2P_ETRUNC);
	identify_reader_free(&r);
	/* a non-minimal length */
	static const uint8_t nonmin[] = {0x81, 0x00};
	identify_reader_init(&r);
	assert_int_equal(identify_reader_feed(&r, nonmin, sizeof nonmin),
	                 LP2P_EPROTO);
	identify_reader_free(&r);
	/* a length longer than any varint */
	static const uint8_t endless[] = {0xff, 0xff, 0xff, 0xff, 0xff,
	                                  0xff, 0xff, 0xff, 0xff, 0xff};
	identify_reader_init(&r);
	assert_int_equal(identify_reader_feed(&r, endless, sizeof endless),
	                 LP2P_EPROTO);
	identify_reader_free(&r);
	/* a complete frame with a malformed body */
	static const uint8_t bad_body[] = {0x02, 0x32, 0x05};
	identify_reader_init(&r);
	assert_int_equal(identify_reader_feed(&r, bad_body, sizeof bad_body),
	                 0);
	assert_int_equal(identify_reader_finish(&r, &m), LP2P_EPROTO);
	identify_reader_free(&r);
}

/* ---- signed peer records ---- */

static int sign_with(void *arg, const uint8_t *msg, size_t len, uint8_t *sig,
                     size_t cap)
{
	return lp2p_key_sign(arg, msg, len, sig, cap);
}

static void signing_data_format(void **state)
{
	(void)state;
	uint8_t buf[64];
	int n = record_signing_data("dom", (const uint8_t *)"\x03\x01", 2,
	                            (const uint8_t *)"abc", 3, buf, sizeof buf);
	static const uint8_t want[] = {3, 'd', 'o', 'm', 2,  3,
	                               1, 3,   'a', 'b', 'c'};
	assert_int_equal(n, sizeof want);
	assert_memory_equal(buf, want, sizeof want);
	assert_int_equal(record_signing_data("dom", NULL, 0, NULL, 0, buf, 4),
	                 LP2P_ERANGE);
}

static void seal_and_open(enum lp2p_key_type type, unsigned bits)
{
	struct lp2p_key *key;
	assert_int_equal(lp2p_key_generate(type, bits, &key), 0);
	struct lp2p_peer_id id;
	assert_int_equal(lp2p_peer_id_from_key(key, &id), 0);
	uint8_t pk[LP2P_KEY_PUBLIC_MAX];
	int pklen = lp2p_key_marshal_public(key, pk, sizeof pk);
	assert_true(pklen > 0);
	struct lp2p_multiaddr addrs[2] = {maddr("/ip4/192.0.2.1/tcp/4001"),
	                                  maddr("/ip6/2001:db8::1/tcp/4001")};
	uint8_t env[RECORD_MAX_ENVELOPE];
	int n = record_seal(&id, 1234567, addrs, 2, pk, (size_t)pklen,
	                    sign_with, key, env, sizeof env);
	assert_true(n > 0);
	struct peer_record rec;
	assert_int_equal(record_open(env, (size_t)n, &id, &rec), 0);
	assert_true(lp2p_peer_id_equal(&rec.peer, &id));
	assert_int_equal(rec.seq, 1234567);
	assert_int_equal(rec.n_addrs, 2);
	assert_true(view_is(rec.addrs[1], addrs[1].bytes, addrs[1].len));
	assert_int_equal(record_open(env, (size_t)n, NULL, &rec), 0);

	/* another expected peer */
	struct lp2p_key *other;
	struct lp2p_peer_id other_id;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &other), 0);
	assert_int_equal(lp2p_peer_id_from_key(other, &other_id), 0);
	assert_int_equal(record_open(env, (size_t)n, &other_id, &rec),
	                 LP2P_EPEERID);

	/* any flipped bit of payload or signature breaks it */
	struct record_envelope e;
	assert_int_equal(record_envelope_decode(env, (size_t)n, &e), 0);
	size_t at[] = {(size_t)(e.payload.data - env) + 3,
	               (size_t)(e.signature.data - env) + 5};
	for (size_t i = 0; i < 2; i++) {
		env[at[i]] ^= 0x01;
		int rc = record_open(env, (size_t)n, &id, &rec);
		assert_true(rc == LP2P_ECRYPTO);
		env[at[i]] ^= 0x01;
	}

	/* a record about another peer, signed by this key */
	n = record_seal(&other_id, 1, addrs, 1, pk, (size_t)pklen, sign_with,
	                key, env, sizeof env);
	assert_true(n > 0);
	assert_int_equal(record_open(env, (size_t)n, NULL, &rec), LP2P_EPEERID);
	lp2p_key_free(other);
	lp2p_key_free(key);
}

static void records_every_key_type(void **state)
{
	(void)state;
	seal_and_open(LP2P_KEY_ED25519, 0);
	seal_and_open(LP2P_KEY_SECP256K1, 0);
	seal_and_open(LP2P_KEY_ECDSA, 256);
	seal_and_open(LP2P_KEY_RSA, 2048);
}

/* Sealed by js-libp2p 3.3 (@libp2p/peer-record) with an Ed25519 key. */
static const char js_record_hex[] =
    "0a24080112209bfae37df291f972ae918aa30adac160efb9ae4b1be4fac8"
    "2c77fa87583f6233120203011a530a260024080112209bfae37df291f972"
    "ae918aa30adac160efb9ae4b1be4fac82c77fa87583f62331080d095ffbc"
    "311a0a0a08047f000001060fa11a160a1429000000000000000000000000"
    "00000001060fa22a403d00999f3db98becdee8f035b3b46a8d3b37e99152"
    "de0cb3e6679cedc4c3e41f259a676d71ead3724782d18001ee0b0fa4bc47"
    "eb7a7bcfab6a260465f10ed100";

static void open_js_libp2p_record(void **state)
{
	(void)state;
	uint8_t env[512];
	size_t n = unhex(js_record_hex, env, sizeof env);
	static const char js_id[] =
	    "12D3KooWLKFFQPbcSDB52p7fY6J8hTB2TXb8AR7XFEpKFEcFmznW";
	struct lp2p_peer_id id;
	assert_int_equal(lp2p_peer_id_parse(js_id, strlen(js_id), &id), 0);
	struct peer_record rec;
	assert_int_equal(record_open(env, n, &id, &rec), 0);
	assert_int_equal(rec.seq, 1700000000000ULL);
	assert_int_equal(rec.n_addrs, 2);
	struct lp2p_multiaddr a = maddr("/ip4/127.0.0.1/tcp/4001");
	struct lp2p_multiaddr b = maddr("/ip6/::1/tcp/4002");
	assert_true(view_is(rec.addrs[0], a.bytes, a.len));
	assert_true(view_is(rec.addrs[1], b.bytes, b.len));
	/* the last signature byte changed */
	env[n - 1] ^= 0x80;
	assert_int_equal(record_open(env, n, &id, &rec), LP2P_ECRYPTO);
}

static void envelope_malformed(void **state)
{
	(void)state;
	uint8_t buf[RECORD_MAX_ENVELOPE + 16];
	struct record_envelope e;
	/* missing signature */
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, sizeof buf);
	lp2p_pb_put_bytes(&w, 1, fake_key, sizeof fake_key);
	lp2p_pb_put_bytes(&w, 3, "p", 1);
	int n = lp2p_pb_writer_finish(&w);
	assert_int_equal(record_envelope_decode(buf, (size_t)n, &e),
	                 LP2P_EPROTO);
	/* missing key */
	lp2p_pb_writer_init(&w, buf, sizeof buf);
	lp2p_pb_put_bytes(&w, 5, "s", 1);
	n = lp2p_pb_writer_finish(&w);
	assert_int_equal(record_envelope_decode(buf, (size_t)n, &e),
	                 LP2P_EPROTO);
	/* wrong wire type */
	lp2p_pb_writer_init(&w, buf, sizeof buf);
	lp2p_pb_put_bytes(&w, 1, fake_key, sizeof fake_key);
	lp2p_pb_put_varint(&w, 2, 1);
	lp2p_pb_put_bytes(&w, 5, "s", 1);
	n = lp2p_pb_writer_finish(&w);
	assert_int_equal(record_envelope_decode(buf, (size_t)n, &e),
	                 LP2P_EPROTO);
	/* too long */
	memset(buf, 0, sizeof buf);
	assert_int_equal(
	    record_envelope_decode(buf, RECORD_MAX_ENVELOPE + 1, &e),
	    LP2P_ERANGE);
	/* another payload type */
	struct lp2p_key *key;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &key), 0);
	uint8_t pk[LP2P_KEY_PUBLIC_MAX];
	int pklen = lp2p_key_marshal_public(key, pk, sizeof pk);
	struct record_envelope other = {
	    .public_key = {pk, (size_t)pklen},
	    .payload_type = {(const uint8_t *)"/x", 2},
	    .payload = {(const uint8_t *)"p", 1},
	    .signature = {(const uint8_t *)"s", 1},
	};
	n = record_envelope_encode(&other, buf, sizeof buf);
	assert_true(n > 0);
	struct peer_record rec;
	assert_int_equal(record_open(buf, (size_t)n, NULL, &rec), LP2P_ENOTSUP);
	/* a key that does not parse */
	other.public_key = (struct identify_view){fake_key, sizeof fake_key};
	other.payload_type = (struct identify_view){record_payload_type, 2};
	n = record_envelope_encode(&other, buf, sizeof buf);
	assert_true(record_open(buf, (size_t)n, NULL, &rec) < 0);
	lp2p_key_free(key);
}

static void peer_record_malformed(void **state)
{
	(void)state;
	struct peer_record rec;
	uint8_t buf[8192];
	struct lp2p_pb_writer w;
	/* no peer id */
	lp2p_pb_writer_init(&w, buf, sizeof buf);
	lp2p_pb_put_varint(&w, 2, 5);
	int n = lp2p_pb_writer_finish(&w);
	assert_int_equal(peer_record_decode(buf, (size_t)n, &rec), LP2P_EPROTO);
	/* a peer id that is not one */
	lp2p_pb_writer_init(&w, buf, sizeof buf);
	lp2p_pb_put_bytes(&w, 1, "xyz", 3);
	n = lp2p_pb_writer_finish(&w);
	assert_int_equal(peer_record_decode(buf, (size_t)n, &rec), LP2P_EPROTO);
	/* an address that is not a multiaddr */
	struct lp2p_key *key;
	struct lp2p_peer_id id;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &key), 0);
	assert_int_equal(lp2p_peer_id_from_key(key, &id), 0);
	lp2p_key_free(key);
	static const uint8_t bad_info[] = {0x0a, 0x02, 0xff, 0xff};
	lp2p_pb_writer_init(&w, buf, sizeof buf);
	lp2p_pb_put_bytes(&w, 1, id.bytes, id.len);
	lp2p_pb_put_bytes(&w, 3, bad_info, sizeof bad_info);
	n = lp2p_pb_writer_finish(&w);
	assert_int_equal(peer_record_decode(buf, (size_t)n, &rec), LP2P_EPROTO);
	/* an AddressInfo without its multiaddr */
	lp2p_pb_writer_init(&w, buf, sizeof buf);
	lp2p_pb_put_bytes(&w, 1, id.bytes, id.len);
	lp2p_pb_put_bytes(&w, 3, NULL, 0);
	n = lp2p_pb_writer_finish(&w);
	assert_int_equal(peer_record_decode(buf, (size_t)n, &rec), LP2P_EPROTO);
	/* seq with the wrong wire type */
	lp2p_pb_writer_init(&w, buf, sizeof buf);
	lp2p_pb_put_bytes(&w, 1, id.bytes, id.len);
	lp2p_pb_put_bytes(&w, 2, "1", 1);
	n = lp2p_pb_writer_finish(&w);
	assert_int_equal(peer_record_decode(buf, (size_t)n, &rec), LP2P_EPROTO);
	/* too many addresses */
	struct lp2p_multiaddr a = maddr("/ip4/1.2.3.4/tcp/1");
	struct lp2p_multiaddr many[RECORD_MAX_ADDRS + 1];
	for (size_t i = 0; i <= RECORD_MAX_ADDRS; i++)
		many[i] = a;
	n = peer_record_encode(&id, 1, many, RECORD_MAX_ADDRS + 1, buf,
	                       sizeof buf);
	assert_true(n > 0);
	assert_int_equal(peer_record_decode(buf, (size_t)n, &rec), LP2P_ERANGE);
	n = peer_record_encode(&id, 1, many, RECORD_MAX_ADDRS, buf, sizeof buf);
	assert_int_equal(peer_record_decode(buf, (size_t)n, &rec), 0);
	assert_int_equal(rec.n_addrs, RECORD_MAX_ADDRS);
	/* seq 0 is left out and reads back as 0 */
	n = peer_record_encode(&id, 0, NULL, 0, buf, sizeof buf);
	assert_int_equal(n, (int)lp2p_pb_bytes_field_len(1, id.len));
	assert_int_equal(peer_record_decode(buf, (size_t)n, &rec), 0);
	assert_int_equal(rec.seq, 0);
	/* too small a buffer */
	assert_int_equal(peer_record_encode(&id, 1, many, 1, buf, 10),
	                 LP2P_ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(roundtrip_every_field),
	    cmocka_unit_test(encode_golden_bytes),
	    cmocka_unit_test(encode_empty_and_errors),
	    cmocka_unit_test(decode_js_libp2p_message),
	    cmocka_unit_test(decode_merges_messages),
	    cmocka_unit_test(decode_skips_unknown_fields),
	    cmocka_unit_test(decode_refuses_wrong_wire_types),
	    cmocka_unit_test(decode_truncated),
	    cmocka_unit_test(decode_size_limit),
	    cmocka_unit_test(decode_bounds_repeated_fields),
	    cmocka_unit_test(stream_single_message),
	    cmocka_unit_test(stream_splits_large_messages),
	    cmocka_unit_test(reader_refuses_oversized_length_before_allocating),
	    cmocka_unit_test(reader_bounds_the_total),
	    cmocka_unit_test(reader_limits_message_count),
	    cmocka_unit_test(reader_errors),
	    cmocka_unit_test(signing_data_format),
	    cmocka_unit_test(records_every_key_type),
	    cmocka_unit_test(open_js_libp2p_record),
	    cmocka_unit_test(envelope_malformed),
	    cmocka_unit_test(peer_record_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
