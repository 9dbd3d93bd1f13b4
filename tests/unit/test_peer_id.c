/* test_peer_id.c - peer id bytes, legacy and CIDv1 text forms */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/multihash.h>
#include <lp2p/peer_id.h>

/* peer-ids spec examples: one sha2-256 peer id in both text forms. */
static const char spec_legacy[] = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";
static const char spec_cid[] =
	"bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe";
static const uint8_t spec_digest[32] = {
	0x9d, 0xff, 0x3b, 0x17, 0xd7, 0x4c, 0xf4, 0xd3, 0x8a, 0x50, 0xd8,
	0xb6, 0x38, 0x3e, 0x92, 0xd1, 0x81, 0xa1, 0x03, 0x95, 0xa5, 0xe7,
	0x3a, 0x72, 0x6d, 0xcc, 0xcb, 0xd2, 0x1b, 0xf6, 0xf0, 0xb9};

/* The spec's ed25519 public key test vector (protobuf PublicKey). */
static const uint8_t ed25519_pub[36] = {
	0x08, 0x01, 0x12, 0x20, 0x1e, 0xd1, 0xe8, 0xfa, 0xe2, 0xc4, 0xa1, 0x44,
	0xb8, 0xbe, 0x8f, 0xd4, 0xb4, 0x7b, 0xf3, 0xd3, 0xb3, 0x4b, 0x87, 0x1c,
	0x3c, 0xac, 0xf6, 0x01, 0x0f, 0x0e, 0x42, 0xd4, 0x74, 0xfc, 0xe2, 0x7e};
static const char ed25519_legacy[] =
	"12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
static const char ed25519_cid[] =
	"bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";

static void spec_example_both_forms(void **state)
{
	(void)state;
	struct lp2p_peer_id a, b;
	char s[LP2P_PEER_ID_STR_MAX];
	assert_int_equal(lp2p_peer_id_parse(spec_legacy, strlen(spec_legacy),
					    &a),
			 0);
	assert_int_equal(a.len, 34);
	assert_int_equal(a.bytes[0], 0x12);
	assert_int_equal(a.bytes[1], 0x20);
	assert_memory_equal(a.bytes + 2, spec_digest, 32);
	assert_int_equal(lp2p_peer_id_parse(spec_cid, strlen(spec_cid), &b),
			 0);
	assert_true(lp2p_peer_id_equal(&a, &b));
	assert_int_equal(lp2p_peer_id_to_string(&a, s, sizeof s),
			 (int)strlen(spec_legacy));
	assert_string_equal(s, spec_legacy);
	assert_int_equal(lp2p_peer_id_to_cid_string(&a, s, sizeof s),
			 (int)strlen(spec_cid));
	assert_string_equal(s, spec_cid);
	const uint8_t *data;
	size_t len;
	assert_int_equal(lp2p_peer_id_identity_data(&a, &data, &len),
			 LP2P_ENOTFOUND);
}

static void ed25519_identity_peer_id(void **state)
{
	(void)state;
	uint8_t mh[64];
	struct lp2p_peer_id id, parsed;
	char s[LP2P_PEER_ID_STR_MAX];
	const uint8_t *data = NULL;
	size_t len = 0;
	int n = lp2p_multihash_sum(LP2P_MH_IDENTITY, ed25519_pub,
				   sizeof ed25519_pub, mh, sizeof mh);
	assert_int_equal(n, 38);
	assert_int_equal(lp2p_peer_id_from_bytes(mh, (size_t)n, &id), 0);
	assert_int_equal(lp2p_peer_id_to_string(&id, s, sizeof s),
			 (int)strlen(ed25519_legacy));
	assert_string_equal(s, ed25519_legacy);
	assert_int_equal(lp2p_peer_id_to_cid_string(&id, s, sizeof s),
			 (int)strlen(ed25519_cid));
	assert_string_equal(s, ed25519_cid);
	assert_int_equal(lp2p_peer_id_identity_data(&id, &data, &len), 0);
	assert_int_equal(len, sizeof ed25519_pub);
	assert_memory_equal(data, ed25519_pub, len);
	assert_ptr_equal(data, id.bytes + 2);
	assert_int_equal(lp2p_peer_id_parse(ed25519_legacy,
					    strlen(ed25519_legacy), &parsed),
			 0);
	assert_true(lp2p_peer_id_equal(&id, &parsed));
	assert_int_equal(lp2p_peer_id_parse(ed25519_cid, strlen(ed25519_cid),
					    &parsed),
			 0);
	assert_true(lp2p_peer_id_equal(&id, &parsed));
	/* Unused bytes are zeroed, so whole structs compare equal too. */
	assert_memory_equal(&id, &parsed, sizeof id);
}

static void cid_in_other_bases(void **state)
{
	(void)state;
	struct lp2p_peer_id a, b;
	/* <0x01><0x72><multihash> of the spec example in base16 and 58. */
	const char hex[] = "f01721220"
			   "9dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726d"
			   "cccbd21bf6f0b9";
	assert_int_equal(lp2p_peer_id_parse(spec_legacy, strlen(spec_legacy),
					    &a),
			 0);
	assert_int_equal(lp2p_peer_id_parse(hex, strlen(hex), &b), 0);
	assert_true(lp2p_peer_id_equal(&a, &b));
}

static void from_bytes_errors(void **state)
{
	(void)state;
	struct lp2p_peer_id id = {.len = 7};
	uint8_t buf[80] = {0x12, 0x20};
	/* sha2-256 with a short digest, trailing bytes, other functions. */
	assert_int_equal(lp2p_peer_id_from_bytes(buf, 20, &id), LP2P_ETRUNC);
	assert_int_equal(lp2p_peer_id_from_bytes(buf, 35, &id), LP2P_EPROTO);
	buf[1] = 0x10;
	assert_int_equal(lp2p_peer_id_from_bytes(buf, 18, &id), LP2P_EPROTO);
	buf[0] = 0x13; /* sha2-512 */
	buf[1] = 0x40;
	assert_int_equal(lp2p_peer_id_from_bytes(buf, 66, &id), LP2P_EPROTO);
	buf[1] = 0x20;
	assert_int_equal(lp2p_peer_id_from_bytes(buf, 34, &id), LP2P_ENOTSUP);
	/* identity: 1..42 bytes of key. */
	buf[0] = 0x00;
	buf[1] = 43;
	assert_int_equal(lp2p_peer_id_from_bytes(buf, 45, &id), LP2P_EPROTO);
	buf[1] = 0;
	assert_int_equal(lp2p_peer_id_from_bytes(buf, 2, &id), LP2P_EPROTO);
	assert_int_equal(lp2p_peer_id_from_bytes(buf, 0, &id), LP2P_ETRUNC);
	assert_int_equal(id.len, 7); /* untouched on failure */
	buf[1] = 42;
	assert_int_equal(lp2p_peer_id_from_bytes(buf, 44, &id), 0);
	assert_int_equal(id.len, 44);
}

static void parse_errors(void **state)
{
	(void)state;
	struct lp2p_peer_id id;
	char bad[] = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";
	/* '0' is not base58. */
	bad[10] = '0';
	assert_int_equal(lp2p_peer_id_parse(bad, strlen(bad), &id),
			 LP2P_EPROTO);
	/* Truncated: one character less is no longer a 32-byte digest. */
	assert_int_equal(lp2p_peer_id_parse(spec_legacy,
					    strlen(spec_legacy) - 1, &id),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_peer_id_parse("", 0, &id), LP2P_EPROTO);
	assert_int_equal(lp2p_peer_id_parse("x123", 4, &id), LP2P_ENOTSUP);
	/* Upper case base32 and a mangled CID character. */
	assert_int_equal(lp2p_peer_id_parse("BAFZ", 4, &id), LP2P_ENOTSUP);
	char cid[sizeof spec_cid];
	memcpy(cid, spec_cid, sizeof cid);
	cid[5] = '1';
	assert_int_equal(lp2p_peer_id_parse(cid, strlen(cid), &id),
			 LP2P_EPROTO);
	/* CIDv1 with the raw codec (0x55) instead of libp2p-key. */
	const char raw[] = "f01551220"
			   "9dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726d"
			   "cccbd21bf6f0b9";
	assert_int_equal(lp2p_peer_id_parse(raw, strlen(raw), &id),
			 LP2P_EPROTO);
	/* CID version 2 and a non-minimal version varint. */
	const char v2[] = "f02721220"
			  "9dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726d"
			  "cccbd21bf6f0b9";
	assert_int_equal(lp2p_peer_id_parse(v2, strlen(v2), &id), LP2P_EPROTO);
	assert_int_equal(lp2p_peer_id_parse("f8100", 5, &id), LP2P_EPROTO);
	assert_int_equal(lp2p_peer_id_parse("f0172", 5, &id), LP2P_EPROTO);
	/* CIDv1s holding multihashes that are no peer ids. */
	assert_int_equal(lp2p_peer_id_parse("f01720000", 9, &id),
			 LP2P_EPROTO);
	assert_int_equal(lp2p_peer_id_parse("f017213021234", 13, &id),
			 LP2P_ENOTSUP);
	/* Far too long. */
	char big[400];
	memset(big, 'Q', sizeof big);
	assert_int_equal(lp2p_peer_id_parse(big, sizeof big, &id),
			 LP2P_ERANGE);
	assert_int_equal(lp2p_peer_id_parse(big, 100, &id), LP2P_ERANGE);
}

static void to_string_errors(void **state)
{
	(void)state;
	struct lp2p_peer_id id;
	char s[LP2P_PEER_ID_STR_MAX];
	assert_int_equal(lp2p_peer_id_parse(spec_legacy, strlen(spec_legacy),
					    &id),
			 0);
	assert_int_equal(lp2p_peer_id_to_string(&id, s, strlen(spec_legacy)),
			 LP2P_ERANGE);
	assert_int_equal(lp2p_peer_id_to_cid_string(&id, s, strlen(spec_cid)),
			 LP2P_ERANGE);
	struct lp2p_peer_id bogus = {.len = 3, .bytes = {0x12, 0x01, 0x00}};
	assert_int_equal(lp2p_peer_id_to_string(&bogus, s, sizeof s),
			 LP2P_EINVAL);
	assert_int_equal(lp2p_peer_id_to_cid_string(&bogus, s, sizeof s),
			 LP2P_EINVAL);
	const uint8_t *data;
	size_t len;
	assert_int_equal(lp2p_peer_id_identity_data(&bogus, &data, &len),
			 LP2P_EINVAL);
	bogus.len = 200;
	assert_int_equal(lp2p_peer_id_to_string(&bogus, s, sizeof s),
			 LP2P_EINVAL);
	assert_false(lp2p_peer_id_equal(&bogus, &bogus));
}

static void equality(void **state)
{
	(void)state;
	struct lp2p_peer_id a, b;
	assert_int_equal(lp2p_peer_id_parse(spec_legacy, strlen(spec_legacy),
					    &a),
			 0);
	b = a;
	assert_true(lp2p_peer_id_equal(&a, &b));
	b.bytes[33] ^= 1;
	assert_false(lp2p_peer_id_equal(&a, &b));
	assert_int_equal(lp2p_peer_id_parse(ed25519_legacy,
					    strlen(ed25519_legacy), &b),
			 0);
	assert_false(lp2p_peer_id_equal(&a, &b));
}

static void max_length_strings_fit(void **state)
{
	(void)state;
	/* The longest peer id: identity of a 42-byte key, all 0xff. */
	uint8_t mh[44] = {0x00, 42};
	struct lp2p_peer_id id, back;
	char s[LP2P_PEER_ID_STR_MAX];
	memset(mh + 2, 0xff, 42);
	assert_int_equal(lp2p_peer_id_from_bytes(mh, sizeof mh, &id), 0);
	int n = lp2p_peer_id_to_string(&id, s, sizeof s);
	assert_true(n > 0);
	assert_int_equal(lp2p_peer_id_parse(s, (size_t)n, &back), 0);
	assert_true(lp2p_peer_id_equal(&id, &back));
	n = lp2p_peer_id_to_cid_string(&id, s, sizeof s);
	assert_true(n > 0);
	assert_int_equal(lp2p_peer_id_parse(s, (size_t)n, &back), 0);
	assert_true(lp2p_peer_id_equal(&id, &back));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_example_both_forms),
		cmocka_unit_test(ed25519_identity_peer_id),
		cmocka_unit_test(cid_in_other_bases),
		cmocka_unit_test(from_bytes_errors),
		cmocka_unit_test(parse_errors),
		cmocka_unit_test(to_string_errors),
		cmocka_unit_test(equality),
		cmocka_unit_test(max_length_strings_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
