/*
 * test_tls.c - libp2p TLS: the SignedKey codec, certificate checks (spec
 * vectors and certificates crafted here with OpenSSL), handshakes between
 * two lp2p endpoints and against plain OpenSSL peers that misbehave, ALPN
 * muxer selection, and the in-place data path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <lp2p/crypto.h>
#include <lp2p/peer_id.h>

#include "security/secure.h"
#include "security/tls.h"
#include "security/tls_ext.h"
#include "security/tls_internal.h"

/* ---- spec test vectors (tls.md, "Test vectors") ----------------------- */

#define SPEC_CERT_ED25519                                                      \
	"308201ae30820156a0030201020204499602d2300a06082a8648ce3d040302302031" \
	"1230"                                                                 \
	"10060355040a13096c69627032702e696f310a300806035504051301313020170d37" \
	"3530"                                                                 \
	"3130313133303030305a180f34303936303130313133303030305a30203112301006" \
	"0355"                                                                 \
	"040a13096c69627032702e696f310a300806035504051301313059301306072a8648" \
	"ce3d"                                                                 \
	"020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721b" \
	"b9d7"                                                                 \
	"a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606" \
	"d817"                                                                 \
	"3e55bd37e381569ea37c307a3078060a2b0601040183a25a0101046a306804240801" \
	"1220"                                                                 \
	"a77f1d92fedb59dddaea5a1c4abd1ac2fbde7d7b879ed364501809923d7c11b90440" \
	"d90d"                                                                 \
	"2769db992d5e6195dbb08e706b6651e024fda6cfb8846694a435519941cac215a820" \
	"7792"                                                                 \
	"e42849cccc6cd8136c6e4bde92a58c5e08cfd4206eb5fe0bf909300a06082a8648ce" \
	"3d04"                                                                 \
	"03020346003043021f50f6b6c52711a881778718238f650c9fb48943ae6ee6d28427" \
	"dc60"                                                                 \
	"71ae55e702203625f116a7a454db9c56986c82a25682f7248ea1cb764d322ea983ed" \
	"36a3"                                                                 \
	"1b77"

#define SPEC_CERT_ECDSA                                                        \
	"308201f63082019da0030201020204499602d2300a06082a8648ce3d040302302031" \
	"1230"                                                                 \
	"10060355040a13096c69627032702e696f310a300806035504051301313020170d37" \
	"3530"                                                                 \
	"3130313133303030305a180f34303936303130313133303030305a30203112301006" \
	"0355"                                                                 \
	"040a13096c69627032702e696f310a300806035504051301313059301306072a8648" \
	"ce3d"                                                                 \
	"020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721b" \
	"b9d7"                                                                 \
	"a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606" \
	"d817"                                                                 \
	"3e55bd37e381569ea381c23081bf3081bc060a2b0601040183a25a01010481ad3081" \
	"aa04"                                                                 \
	"5f0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004bf30" \
	"511f"                                                                 \
	"909414ebdd3242178fd290f093a551cf75c973155de0bb5a96fedf6cb5d52da7563e" \
	"794b"                                                                 \
	"512f66e60c7f55ba8a3acf3dd72a801980d205e8a1ad29f2044730450220064ea812" \
	"4774"                                                                 \
	"caf8f50e57f436aa62350ce652418c019df5d98a3ac666c9386a022100aa59d704a9" \
	"31b5"                                                                 \
	"f72fb9222cb6cc51f954d04a4e2e5450f8805fe8918f71eaae300a06082a8648ce3d" \
	"0403"                                                                 \
	"0203470030440220799395b0b6c1e940a7e4484705f610ab51ed376f19ff9d7c1675" \
	"7cfb"                                                                 \
	"f61b8d4302206205c03fbb0f95205c779be86581d3e31c01871ad5d1f3435bcf375c" \
	"b0e5"                                                                 \
	"088a"

#define SPEC_CERT_SECP256K1                                                    \
	"308201ba3082015fa0030201020204499602d2300a06082a8648ce3d040302302031" \
	"1230"                                                                 \
	"10060355040a13096c69627032702e696f310a300806035504051301313020170d37" \
	"3530"                                                                 \
	"3130313133303030305a180f34303936303130313133303030305a30203112301006" \
	"0355"                                                                 \
	"040a13096c69627032702e696f310a300806035504051301313059301306072a8648" \
	"ce3d"                                                                 \
	"020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721b" \
	"b9d7"                                                                 \
	"a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606" \
	"d817"                                                                 \
	"3e55bd37e381569ea38184308181307f060a2b0601040183a25a01010471306f0425" \
	"0802"                                                                 \
	"12210206dc6968726765b820f050263ececf7f71e4955892776c0970542efd689d23" \
	"8204"                                                                 \
	"4630440220145e15a991961f0d08cd15425bb95ec93f6ffa03c5a385eedc34ecf464" \
	"c7a8"                                                                 \
	"ab022026b3109b8a3f40ef833169777eb2aa337cfb6282f188de0666d1bcec2a4690" \
	"dd30"                                                                 \
	"0a06082a8648ce3d0403020349003046022100e1a217eeef9ec9204b3f774a08b708" \
	"4964"                                                                 \
	"6b6a1e6b8b27f93dc00ed58545d9fe022100b00dafa549d0f03547878338c7b15e75" \
	"0288"                                                                 \
	"8f6d45db387e5ae6b5d46899cef0"

#define SPEC_CERT_INVALID                                                      \
	"308201f73082019da0030201020204499602d2300a06082a8648ce3d040302302031" \
	"1230"                                                                 \
	"10060355040a13096c69627032702e696f310a300806035504051301313020170d37" \
	"3530"                                                                 \
	"3130313133303030305a180f34303936303130313133303030305a30203112301006" \
	"0355"                                                                 \
	"040a13096c69627032702e696f310a300806035504051301313059301306072a8648" \
	"ce3d"                                                                 \
	"020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721b" \
	"b9d7"                                                                 \
	"a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606" \
	"d817"                                                                 \
	"3e55bd37e381569ea381c23081bf3081bc060a2b0601040183a25a01010481ad3081" \
	"aa04"                                                                 \
	"5f0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004bf30" \
	"511f"                                                                 \
	"909414ebdd3242178fd290f093a551cf75c973155de0bb5a96fedf6cb5d52da7563e" \
	"794b"                                                                 \
	"512f66e60c7f55ba8a3acf3dd72a801980d205e8a1ad29f204473045022100bb6e03" \
	"577b"                                                                 \
	"7cc7a3cd1558df0da2b117dfdcc0399bc2504ebe7de6f65cade72802206de96e2a5b" \
	"e9b6"                                                                 \
	"202adba24ee0362e490641ac45c240db71fe955f2c5cf8df6e300a06082a8648ce3d" \
	"0403"                                                                 \
	"020348003045022100e847f267f43717358f850355bdcabbefb2cfbf8a3c043b203a" \
	"1478"                                                                 \
	"8a092fe8db022027c1d04a2d41fd6b57a7e8b3989e470325de4406e52e084e34a3fd" \
	"56ee"                                                                 \
	"f0d0df"

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

static X509 *x509_from_hex(const char *hex)
{
	uint8_t der[1024];
	size_t n = unhex(hex, der, sizeof(der));
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)n);

	assert_non_null(x);
	return x;
}

static struct lp2p_peer_id peer_from_string(const char *s)
{
	struct lp2p_peer_id id;

	assert_int_equal(lp2p_peer_id_parse(s, strlen(s), &id), 0);
	return id;
}

static struct lp2p_key *new_key(enum lp2p_key_type type)
{
	struct lp2p_key *k = NULL;

	assert_int_equal(
	    lp2p_key_generate(type, type == LP2P_KEY_RSA ? 2048 : 0, &k), 0);
	return k;
}

static int verify_one(X509 *x, int64_t now, const struct lp2p_peer_id *want,
                      struct lp2p_tls_remote *r, char *why, size_t whylen)
{
	int x509_err = 0;
	int rc =
	    lp2p_tls_cert_verify(&x, 1, now, want, r, why, whylen, &x509_err);

	if (rc == 0)
		assert_int_equal(x509_err, X509_V_OK);
	else
		assert_int_not_equal(x509_err, X509_V_OK);
	return rc;
}

/* ---- SignedKey codec ------------------------------------------------- */

static void signed_key_roundtrip(void **state)
{
	uint8_t key[300], sig[300], der[700];
	struct lp2p_tls_signed_key sk;
	const char *why = NULL;
	size_t sizes[][2] = {{1, 1},     {36, 64},   {127, 127},
	                     {128, 128}, {255, 256}, {300, 200}};

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(sig); i++)
		sig[i] = (uint8_t)(0xa0 ^ i);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t kl = sizes[i][0], sl = sizes[i][1];
		int n = lp2p_tls_signed_key_write(der, sizeof(der), key, kl,
		                                  sig, sl);

		assert_int_equal(n, (int)lp2p_tls_signed_key_size(kl, sl));
		assert_int_equal(
		    lp2p_tls_signed_key_parse(der, (size_t)n, &sk, &why), 0);
		assert_int_equal(sk.key_len, kl);
		assert_int_equal(sk.sig_len, sl);
		assert_memory_equal(sk.key, key, kl);
		assert_memory_equal(sk.sig, sig, sl);
		/* every strict prefix is refused */
		for (size_t cut = 0; cut < (size_t)n; cut++)
			assert_int_equal(
			    lp2p_tls_signed_key_parse(der, cut, &sk, &why),
			    LP2P_EPROTO);
	}
	/* writer limits */
	assert_int_equal(
	    lp2p_tls_signed_key_write(der, sizeof(der), key, 0, sig, 1),
	    LP2P_ERANGE);
	assert_int_equal(
	    lp2p_tls_signed_key_write(der, sizeof(der), key, 1, sig, 0),
	    LP2P_ERANGE);
	assert_int_equal(lp2p_tls_signed_key_write(der, 7, key, 1, sig, 1),
	                 LP2P_ERANGE);
	assert_int_equal(lp2p_tls_signed_key_write(der, 8, key, 1, sig, 1), 8);
}

static void signed_key_bad(void **state)
{
	static const struct {
		const char *hex;
		int rc;
		const char *why;
	} cases[] = {
	    {"", LP2P_EPROTO, "empty extension"},
	    {"30", LP2P_EPROTO, "truncated element"},
	    {"3106040101040101", LP2P_EPROTO, "not a SEQUENCE"},
	    {"3006050101040101", LP2P_EPROTO, "not an OCTET STRING"},
	    {"30800401010401010000", LP2P_EPROTO, "indefinite length"},
	    {"308106040101040101", LP2P_EPROTO, "non-minimal length"},
	    {"30820006040101040101", LP2P_EPROTO, "non-minimal length"},
	    {"3084000000060401010401 01", LP2P_EPROTO, "length field too long"},
	    {"3082", LP2P_EPROTO, "truncated length"},
	    {"3007040101040101", LP2P_EPROTO, "element longer"},
	    {"300604010104010100", LP2P_EPROTO, "bytes after"},
	    {"3009040101040101040101", LP2P_EPROTO, "more than two"},
	    {"3006040004020102", LP2P_EPROTO, "empty public key"},
	    {"3006040201020400", LP2P_EPROTO, "empty signature"},
	    {"30030401ff", LP2P_EPROTO, "truncated element"},
	    {"300404030101", LP2P_EPROTO, "element longer"},
	};
	uint8_t der[4096];
	struct lp2p_tls_signed_key sk;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char hex[64];
		size_t k = 0, n;
		const char *why = NULL;

		for (const char *p = cases[i].hex; *p; p++)
			if (*p != ' ')
				hex[k++] = *p;
		hex[k] = '\0';
		n = unhex(hex, der, sizeof(der));
		assert_int_equal(lp2p_tls_signed_key_parse(der, n, &sk, &why),
		                 cases[i].rc);
		assert_non_null(why);
		if (!strstr(why, cases[i].why))
			fail_msg("case %zu: '%s' does not say '%s'", i, why,
			         cases[i].why);
	}
	/* over the limits: a key of LP2P_TLS_EXT_KEY_MAX + 1 bytes */
	{
		size_t kl = LP2P_TLS_EXT_KEY_MAX + 1, p = 0;
		const char *why = NULL;

		der[p++] = 0x30;
		der[p++] = 0x82;
		der[p++] = (uint8_t)((kl + 4 + 3) >> 8);
		der[p++] = (uint8_t)(kl + 4 + 3);
		der[p++] = 0x04;
		der[p++] = 0x82;
		der[p++] = (uint8_t)(kl >> 8);
		der[p++] = (uint8_t)kl;
		memset(der + p, 7, kl);
		p += kl;
		der[p++] = 0x04;
		der[p++] = 0x01;
		der[p++] = 0x01;
		assert_int_equal(lp2p_tls_signed_key_parse(der, p, &sk, &why),
		                 LP2P_ERANGE);
		assert_string_equal(why, "public key too long");
	}
	{
		size_t sl = LP2P_TLS_EXT_SIG_MAX + 1, p = 0;
		const char *why = NULL;

		der[p++] = 0x30;
		der[p++] = 0x82;
		der[p++] = (uint8_t)((sl + 3 + 4) >> 8);
		der[p++] = (uint8_t)(sl + 3 + 4);
		der[p++] = 0x04;
		der[p++] = 0x01;
		der[p++] = 0x01;
		der[p++] = 0x04;
		der[p++] = 0x82;
		der[p++] = (uint8_t)(sl >> 8);
		der[p++] = (uint8_t)sl;
		memset(der + p, 7, sl);
		p += sl;
		assert_int_equal(lp2p_tls_signed_key_parse(der, p, &sk, &why),
		                 LP2P_ERANGE);
		assert_string_equal(why, "signature too long");
	}
}

/* ---- certificate checks: spec vectors -------------------------------- */

static void spec_vectors(void **state)
{
	static const struct {
		const char *cert;
		const char *peer;
		enum lp2p_key_type type;
	} ok[] = {
	    {SPEC_CERT_ED25519,
	     "12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv",
	     LP2P_KEY_ED25519},
	    {SPEC_CERT_ECDSA, "QmfXbAwNjJLXfesgztEHe8HwgVDCMMpZ9Eax1HYq6hn9uE",
	     LP2P_KEY_ECDSA},
	    {SPEC_CERT_SECP256K1,
	     "16Uiu2HAkutTMoTzDw1tCvSRtu6YoixJwS46S1ZFxW8hSx9fWHiPs",
	     LP2P_KEY_SECP256K1},
	};
	struct lp2p_tls_remote r;
	char why[LP2P_TLS_REASON_MAX];
	X509 *x;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct lp2p_peer_id want = peer_from_string(ok[i].peer);
		struct lp2p_peer_id other =
		    peer_from_string(ok[(i + 1) % 3].peer);

		x = x509_from_hex(ok[i].cert);
		assert_int_equal(verify_one(x, 0, NULL, &r, why, sizeof(why)),
		                 0);
		assert_true(lp2p_peer_id_equal(&r.peer, &want));
		assert_int_equal(lp2p_key_type(r.key), ok[i].type);
		lp2p_key_free(r.key);
		assert_int_equal(verify_one(x, 0, &want, &r, why, sizeof(why)),
		                 0);
		lp2p_key_free(r.key);
		assert_int_equal(verify_one(x, 0, &other, &r, why, sizeof(why)),
		                 LP2P_EPEERID);
		assert_non_null(strstr(why, "peer id mismatch"));
		assert_non_null(strstr(why, ok[i].peer));
		/* valid 1975..4096: not before, and not in 4097 */
		assert_int_equal(
		    verify_one(x, 100000000, NULL, &r, why, sizeof(why)),
		    LP2P_EPROTO);
		assert_non_null(strstr(why, "not valid yet"));
		X509_free(x);
	}
	x = x509_from_hex(SPEC_CERT_INVALID);
	assert_int_equal(verify_one(x, 0, NULL, &r, why, sizeof(why)),
	                 LP2P_ECRYPTO);
	assert_non_null(strstr(why, "identity signature"));
	X509_free(x);
}

/* ---- certificates crafted here --------------------------------------- */

enum ext_kind {
	EXT_GOOD,
	EXT_NONE,
	EXT_BAD_SIG, /* signed by another identity */
	EXT_TWICE,
	EXT_MALFORMED,
	EXT_WRONG_PREFIX, /* signature over the SPKI without the prefix */
};

struct craft {
	enum ext_kind ext;
	bool critical;
	long not_before; /* seconds from now */
	long not_after;
	const char *md;         /* signature digest, default SHA-256 */
	bool wrong_signer;      /* self-signature by another key */
	bool unknown_critical;  /* an extra critical extension */
	bool known_critical;    /* critical basicConstraints */
	bool other_noncritical; /* an unknown non-critical extension */
	const char *keytype;    /* "EC" (default) or "ED25519" */
};

static void add_raw_ext(X509 *x, const char *oid, int crit, const uint8_t *v,
                        size_t n)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	assert_non_null(obj);
	assert_true(ASN1_OCTET_STRING_set(os, v, (int)n));
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, os);
	assert_non_null(ext);
	assert_true(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
}

static size_t ext_value(const struct lp2p_key *signer,
                        const struct lp2p_key *claimed, EVP_PKEY *pkey,
                        bool prefix, uint8_t *der, size_t cap)
{
	uint8_t msg[1024], sig[LP2P_KEY_SIG_MAX], pub[LP2P_KEY_PUBLIC_MAX];
	unsigned char *spki = NULL;
	int n = i2d_PUBKEY(pkey, &spki), siglen, publen, len;
	size_t off = 0;

	assert_true(n > 0);
	if (prefix) {
		memcpy(msg, LP2P_TLS_SIG_PREFIX, LP2P_TLS_SIG_PREFIX_LEN);
		off = LP2P_TLS_SIG_PREFIX_LEN;
	}
	memcpy(msg + off, spki, (size_t)n);
	OPENSSL_free(spki);
	siglen = lp2p_key_sign(signer, msg, off + (size_t)n, sig, sizeof(sig));
	assert_true(siglen > 0);
	publen = lp2p_key_marshal_public(claimed, pub, sizeof(pub));
	assert_true(publen > 0);
	len = lp2p_tls_signed_key_write(der, cap, pub, (size_t)publen, sig,
	                                (size_t)siglen);
	assert_true(len > 0);
	return (size_t)len;
}

/* A certificate for a fresh key (returned in *key) claiming identity. */
static X509 *craft_cert(const struct craft *o, const struct lp2p_key *identity,
                        EVP_PKEY **key)
{
	const char *kt = o->keytype ? o->keytype : "EC";
	EVP_PKEY *pkey = strcmp(kt, "EC") == 0
	                     ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
	                     : EVP_PKEY_Q_keygen(NULL, NULL, kt);
	EVP_PKEY *signer = pkey;
	struct lp2p_key *other = NULL;
	X509 *x = X509_new();
	X509_NAME *name;
	uint8_t der[LP2P_TLS_EXT_MAX];
	size_t n;
	time_t now = time(NULL);
	const EVP_MD *md = NULL;

	assert_non_null(pkey);
	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1234));
	name = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(
	    name, "O", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, name));
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), 0,
	                                 o->not_before ? o->not_before : -3600,
	                                 &now));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 0,
	                                 o->not_after ? o->not_after : 86400,
	                                 &now));
	assert_true(X509_set_pubkey(x, pkey));
	if (o->unknown_critical)
		add_raw_ext(x, "1.2.3.4.5", 1, (const uint8_t *)"\x05\x00", 2);
	if (o->other_noncritical)
		add_raw_ext(x, "1.2.3.4.6", 0, (const uint8_t *)"\x05\x00", 2);
	if (o->known_critical)
		add_raw_ext(x, "2.5.29.19", 1, (const uint8_t *)"\x30\x00", 2);
	switch (o->ext) {
	case EXT_GOOD:
	case EXT_TWICE:
		n = ext_value(identity, identity, pkey, true, der, sizeof(der));
		add_raw_ext(x, LP2P_TLS_EXT_OID, o->critical, der, n);
		if (o->ext == EXT_TWICE)
			add_raw_ext(x, LP2P_TLS_EXT_OID, o->critical, der, n);
		break;
	case EXT_BAD_SIG:
		other = new_key(LP2P_KEY_ED25519);
		n = ext_value(other, identity, pkey, true, der, sizeof(der));
		add_raw_ext(x, LP2P_TLS_EXT_OID, o->critical, der, n);
		break;
	case EXT_WRONG_PREFIX:
		n = ext_value(identity, identity, pkey, false, der,
		              sizeof(der));
		add_raw_ext(x, LP2P_TLS_EXT_OID, o->critical, der, n);
		break;
	case EXT_MALFORMED:
		add_raw_ext(x, LP2P_TLS_EXT_OID, o->critical,
		            (const uint8_t *)"\x30\x03\x04\x01\x01", 5);
		break;
	case EXT_NONE: break;
	}
	if (o->wrong_signer) {
		signer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		assert_non_null(signer);
	}
	if (strcmp(kt, "EC") == 0)
		md = EVP_get_digestbyname(o->md ? o->md : "SHA256");
	assert_true(X509_sign(x, signer, md) > 0);
	if (signer != pkey)
		EVP_PKEY_free(signer);
	lp2p_key_free(other);
	*key = pkey;
	return x;
}

static void check_crafted(const struct craft *o, int want_rc,
                          const char *want_why)
{
	struct lp2p_key *id = new_key(LP2P_KEY_ED25519);
	struct lp2p_tls_remote r = {0};
	char why[LP2P_TLS_REASON_MAX] = "";
	EVP_PKEY *key;
	X509 *x = craft_cert(o, id, &key);
	int rc = verify_one(x, 0, NULL, &r, why, sizeof(why));

	if (rc != want_rc)
		fail_msg("rc %d (%s), expected %d", rc, why, want_rc);
	if (rc == 0) {
		struct lp2p_peer_id want;

		assert_int_equal(lp2p_peer_id_from_key(id, &want), 0);
		assert_true(lp2p_peer_id_equal(&r.peer, &want));
		assert_int_equal(lp2p_key_equal_public(r.key, id), 1);
		lp2p_key_free(r.key);
	} else if (!strstr(why, want_why)) {
		fail_msg("'%s' does not say '%s'", why, want_why);
	}
	X509_free(x);
	EVP_PKEY_free(key);
	lp2p_key_free(id);
}

static void crafted_good(void **state)
{
	(void)state;
	check_crafted(&(struct craft){.ext = EXT_GOOD}, 0, NULL);
	check_crafted(&(struct craft){.ext = EXT_GOOD, .critical = true}, 0,
	              NULL);
	check_crafted(&(struct craft){.ext = EXT_GOOD, .md = "SHA384"}, 0,
	              NULL);
	check_crafted(&(struct craft){.ext = EXT_GOOD, .keytype = "ED25519"}, 0,
	              NULL);
	/* known critical and unknown non-critical extensions are fine */
	check_crafted(&(struct craft){.ext = EXT_GOOD,
	                              .known_critical = true,
	                              .other_noncritical = true},
	              0, NULL);
}

static void crafted_refused(void **state)
{
	(void)state;
	check_crafted(&(struct craft){.ext = EXT_NONE}, LP2P_EPROTO,
	              "lacks the libp2p public key extension");
	check_crafted(&(struct craft){.ext = EXT_BAD_SIG}, LP2P_ECRYPTO,
	              "identity signature in the libp2p extension is invalid");
	check_crafted(&(struct craft){.ext = EXT_WRONG_PREFIX}, LP2P_ECRYPTO,
	              "identity signature");
	check_crafted(&(struct craft){.ext = EXT_TWICE}, LP2P_EPROTO,
	              "extension 2 times");
	check_crafted(&(struct craft){.ext = EXT_MALFORMED}, LP2P_EPROTO,
	              "malformed libp2p public key extension");
	check_crafted(&(struct craft){.ext = EXT_GOOD,
	                              .not_before = -7200,
	                              .not_after = -60},
	              LP2P_EPROTO, "certificate has expired");
	check_crafted(&(struct craft){.ext = EXT_GOOD, .not_before = 600},
	              LP2P_EPROTO, "not valid yet");
	check_crafted(&(struct craft){.ext = EXT_GOOD, .md = "SHA1"},
	              LP2P_EPROTO, "signature algorithm");
	check_crafted(&(struct craft){.ext = EXT_GOOD, .wrong_signer = true},
	              LP2P_ECRYPTO, "self-signature is invalid");
	check_crafted(
	    &(struct craft){.ext = EXT_GOOD, .unknown_critical = true},
	    LP2P_EPROTO, "unknown critical extension 1.2.3.4.5");
}

static void chain_length(void **state)
{
	struct lp2p_key *id = new_key(LP2P_KEY_ED25519);
	struct lp2p_tls_remote r;
	char why[LP2P_TLS_REASON_MAX];
	EVP_PKEY *k1, *k2;
	X509 *chain[2];

	(void)state;
	chain[0] = craft_cert(&(struct craft){.ext = EXT_GOOD}, id, &k1);
	chain[1] = craft_cert(&(struct craft){.ext = EXT_GOOD}, id, &k2);
	assert_int_equal(
	    lp2p_tls_cert_verify(chain, 2, 0, NULL, &r, why, sizeof(why), NULL),
	    LP2P_EPROTO);
	assert_string_equal(why, "the remote sent 2 certificates (one "
	                         "expected)");
	assert_int_equal(
	    lp2p_tls_cert_verify(chain, 0, 0, NULL, &r, why, sizeof(why), NULL),
	    LP2P_EPROTO);
	assert_int_equal(
	    lp2p_tls_cert_verify(chain, 1, 0, NULL, &r, why, sizeof(why), NULL),
	    0);
	lp2p_key_free(r.key);
	X509_free(chain[0]);
	X509_free(chain[1]);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	lp2p_key_free(id);
}

/* Our own certificates, for every identity key type. */
static void own_certificates(void **state)
{
	static const enum lp2p_key_type types[] = {
	    LP2P_KEY_ED25519, LP2P_KEY_SECP256K1, LP2P_KEY_ECDSA, LP2P_KEY_RSA};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct lp2p_key *id = new_key(types[i]);
		struct lp2p_tls_remote r;
		struct lp2p_peer_id want;
		char why[LP2P_TLS_REASON_MAX];
		EVP_PKEY *key;
		X509 *x;
		int crit = -1, idx;

		assert_int_equal(lp2p_tls_cert_make(id, 0, &x, &key), 0);
		assert_int_equal(verify_one(x, 0, NULL, &r, why, sizeof(why)),
		                 0);
		assert_int_equal(lp2p_peer_id_from_key(id, &want), 0);
		assert_true(lp2p_peer_id_equal(&r.peer, &want));
		lp2p_key_free(r.key);
		/* a P-256 key, not the identity; the extension first and
		 * critical (js-libp2p reads extensions[0]) */
		assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
		assert_int_equal(X509_get_ext_count(x), 1);
		idx = X509_get_ext_by_critical(x, 1, -1);
		crit = idx;
		assert_int_equal(crit, 0);
		assert_int_equal(X509_get_signature_nid(x),
		                 NID_ecdsa_with_SHA256);
		/* valid for a long time: still in 50 years */
		assert_int_equal(
		    verify_one(x, (int64_t)time(NULL) + 50LL * 365 * 86400,
		               NULL, &r, why, sizeof(why)),
		    0);
		lp2p_key_free(r.key);
		X509_free(x);
		EVP_PKEY_free(key);
		lp2p_key_free(id);
	}
	{
		struct lp2p_key *id = new_key(LP2P_KEY_ED25519), *pub = NULL;
		X509 *x;
		EVP_PKEY *key;

		assert_int_equal(lp2p_key_public(id, &pub), 0);
		assert_int_equal(lp2p_tls_cert_make(pub, 0, &x, &key),
		                 LP2P_EINVAL);
		assert_int_equal(lp2p_tls_cert_make(NULL, 0, &x, &key),
		                 LP2P_EINVAL);
		lp2p_key_free(pub);
		lp2p_key_free(id);
	}
}

/* ---- handshakes between two lp2p endpoints ---------------------------- */

struct inbox {
	uint8_t buf[1 << 17];
	size_t len;
};

static void inbox_put(struct inbox *b, const uint8_t *p, size_t n)
{
	assert_true(n <= sizeof(b->buf) - b->len);
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void inbox_drop(struct inbox *b, size_t n)
{
	assert_true(n <= b->len);
	memmove(b->buf, b->buf + n, b->len - n);
	b->len -= n;
}

/* Move hs's output to the other side's inbox. */
static void hs_send(struct lp2p_tls_hs *hs, struct inbox *to)
{
	const uint8_t *p;
	size_t n = lp2p_tls_hs_output(hs, &p);

	if (n) {
		inbox_put(to, p, n);
		lp2p_tls_hs_output_ack(hs, n);
	}
}

/* Feed in[] to hs, at most chunk bytes at a time (0: all at once). */
static int hs_recv(struct lp2p_tls_hs *hs, struct inbox *in, size_t chunk)
{
	size_t avail = 0;

	while (avail < in->len && !lp2p_tls_hs_done(hs)) {
		size_t more = chunk ? chunk : in->len;
		ssize_t used;

		avail = avail + more > in->len ? in->len : avail + more;
		used = lp2p_tls_hs_feed(hs, in->buf, avail);
		if (used < 0)
			return (int)used;
		inbox_drop(in, (size_t)used);
		avail -= (size_t)used;
	}
	return 0;
}

struct pair {
	struct lp2p_key *cid, *sid;
	struct lp2p_tls_hs *c, *s;
	struct inbox to_c, to_s;
	int crc, src;
};

struct pair_opts {
	const char *const *cmux;
	size_t ncmux;
	const char *const *smux;
	size_t nsmux;
	const struct lp2p_peer_id *c_expects;
	const struct lp2p_peer_id *s_expects;
	size_t chunk;
	enum lp2p_key_type ctype, stype;
};

static void pair_run(struct pair *p, const struct pair_opts *o)
{
	struct lp2p_tls_config cc = {0}, sc = {0};

	memset(p, 0, sizeof(*p));
	p->cid = new_key(o->ctype ? o->ctype : LP2P_KEY_ED25519);
	p->sid = new_key(o->stype ? o->stype : LP2P_KEY_ED25519);
	cc.initiator = true;
	cc.identity = p->cid;
	cc.muxers = o->cmux;
	cc.n_muxers = o->ncmux;
	cc.expected_peer = o->c_expects;
	sc.identity = p->sid;
	sc.muxers = o->smux;
	sc.n_muxers = o->nsmux;
	sc.expected_peer = o->s_expects;
	assert_int_equal(lp2p_tls_hs_new(&cc, &p->c), 0);
	assert_int_equal(lp2p_tls_hs_new(&sc, &p->s), 0);
	assert_false(lp2p_tls_hs_done(p->c));
	for (int round = 0; round < 10; round++) {
		hs_send(p->c, &p->to_s);
		if (!p->src)
			p->src = hs_recv(p->s, &p->to_s, o->chunk);
		hs_send(p->s, &p->to_c);
		if (!p->crc)
			p->crc = hs_recv(p->c, &p->to_c, o->chunk);
		if ((lp2p_tls_hs_done(p->c) || p->crc) &&
		    (lp2p_tls_hs_done(p->s) || p->src) &&
		    !lp2p_tls_hs_output(p->c, &(const uint8_t *){NULL}) &&
		    !lp2p_tls_hs_output(p->s, &(const uint8_t *){NULL}))
			break;
	}
}

static void pair_free(struct pair *p)
{
	lp2p_tls_hs_free(p->c);
	lp2p_tls_hs_free(p->s);
	lp2p_key_free(p->cid);
	lp2p_key_free(p->sid);
}

static const char *const yamux_mplex[] = {"/yamux/1.0.0", "/mplex/6.7.0"};
static const char *const mplex_yamux[] = {"/mplex/6.7.0", "/yamux/1.0.0"};
static const char *const only_mplex[] = {"/mplex/6.7.0"};

static void handshake_ok(void **state)
{
	struct pair p;
	struct lp2p_peer_id cpeer, speer;

	(void)state;
	for (size_t chunk = 0; chunk < 3; chunk++) {
		pair_run(&p, &(struct pair_opts){
		                 .cmux = yamux_mplex,
		                 .ncmux = 2,
		                 .smux = mplex_yamux,
		                 .nsmux = 2,
		                 .chunk = chunk == 2 ? 1 : chunk * 100,
		                 .ctype = LP2P_KEY_SECP256K1,
		                 .stype = LP2P_KEY_RSA});
		assert_int_equal(p.crc, 0);
		assert_int_equal(p.src, 0);
		assert_true(lp2p_tls_hs_done(p.c));
		assert_true(lp2p_tls_hs_done(p.s));
		assert_int_equal(lp2p_tls_hs_error(p.c), 0);
		assert_string_equal(lp2p_tls_error_reason(p.c), "");
		assert_int_equal(lp2p_peer_id_from_key(p.cid, &cpeer), 0);
		assert_int_equal(lp2p_peer_id_from_key(p.sid, &speer), 0);
		assert_true(
		    lp2p_peer_id_equal(lp2p_tls_hs_remote_peer(p.c), &speer));
		assert_true(
		    lp2p_peer_id_equal(lp2p_tls_hs_remote_peer(p.s), &cpeer));
		assert_int_equal(
		    lp2p_key_equal_public(lp2p_tls_hs_remote_key(p.c), p.sid),
		    1);
		assert_int_equal(
		    lp2p_key_equal_public(lp2p_tls_hs_remote_key(p.s), p.cid),
		    1);
		/* the server follows the client's order */
		assert_string_equal(lp2p_tls_hs_selected_muxer(p.c),
		                    "/yamux/1.0.0");
		assert_string_equal(lp2p_tls_hs_selected_muxer(p.s),
		                    "/yamux/1.0.0");
		/* nothing more happens once done */
		assert_int_equal(lp2p_tls_hs_feed(p.c, (const uint8_t *)"x", 1),
		                 0);
		pair_free(&p);
	}
}

static void alpn_choices(void **state)
{
	struct pair p;

	(void)state;
	/* common muxer that is not the client's first */
	pair_run(&p, &(struct pair_opts){.cmux = yamux_mplex,
	                                 .ncmux = 2,
	                                 .smux = only_mplex,
	                                 .nsmux = 1});
	assert_string_equal(lp2p_tls_hs_selected_muxer(p.c), "/mplex/6.7.0");
	assert_string_equal(lp2p_tls_hs_selected_muxer(p.s), "/mplex/6.7.0");
	pair_free(&p);
	/* server without muxers: "libp2p", multistream-select later */
	pair_run(&p, &(struct pair_opts){.cmux = yamux_mplex, .ncmux = 2});
	assert_true(lp2p_tls_hs_done(p.c) && lp2p_tls_hs_done(p.s));
	assert_null(lp2p_tls_hs_selected_muxer(p.c));
	assert_null(lp2p_tls_hs_selected_muxer(p.s));
	pair_free(&p);
	/* client without muxers offers "libp2p" only */
	pair_run(&p, &(struct pair_opts){.smux = yamux_mplex, .nsmux = 2});
	assert_true(lp2p_tls_hs_done(p.c) && lp2p_tls_hs_done(p.s));
	assert_null(lp2p_tls_hs_selected_muxer(p.c));
	assert_null(lp2p_tls_hs_selected_muxer(p.s));
	pair_free(&p);
}

static void expected_peer(void **state)
{
	struct lp2p_key *other = new_key(LP2P_KEY_ED25519);
	struct lp2p_peer_id wrong;
	struct pair p;

	(void)state;
	assert_int_equal(lp2p_peer_id_from_key(other, &wrong), 0);
	/* the dialler refuses a server that is not who it dialled */
	pair_run(&p, &(struct pair_opts){.c_expects = &wrong});
	assert_int_equal(p.crc, LP2P_EPEERID);
	assert_int_equal(lp2p_tls_hs_error(p.c), LP2P_EPEERID);
	assert_false(lp2p_tls_hs_done(p.c));
	assert_non_null(strstr(lp2p_tls_error_reason(p.c), "peer id mismatch"));
	/* the server learns it through an alert */
	assert_false(lp2p_tls_hs_done(p.s));
	assert_int_equal(p.src, LP2P_ECRYPTO);
	assert_non_null(strstr(lp2p_tls_error_reason(p.s), "the remote sent"));
	/* sticky */
	assert_int_equal(lp2p_tls_hs_feed(p.c, (const uint8_t *)"x", 1),
	                 LP2P_EPEERID);
	pair_free(&p);

	/* a server expecting someone else: the TLS 1.3 client is done
	 * first and meets the refusal as an alert in its session */
	pair_run(&p, &(struct pair_opts){.s_expects = &wrong});
	assert_int_equal(p.src, LP2P_EPEERID);
	assert_true(lp2p_tls_hs_done(p.c));
	{
		struct lp2p_tls_session *cs;
		size_t ptlen = 99;
		ssize_t used;

		assert_int_equal(lp2p_tls_hs_split(p.c, &cs), 0);
		hs_send(p.s, &p.to_c); /* the alert */
		assert_true(p.to_c.len > 0);
		used = lp2p_tls_open(cs, p.to_c.buf, p.to_c.len, &ptlen);
		assert_int_equal(used, LP2P_ECRYPTO);
		assert_non_null(strstr(lp2p_tls_session_error_reason(cs),
		                       "the remote sent"));
		assert_int_equal(lp2p_tls_session_error(cs), LP2P_ECRYPTO);
		lp2p_tls_session_free(cs);
	}
	pair_free(&p);
	lp2p_key_free(other);
}

static void shared_context(void **state)
{
	struct lp2p_key *a = new_key(LP2P_KEY_ED25519);
	struct lp2p_key *b = new_key(LP2P_KEY_ECDSA);
	struct lp2p_tls_ctx *ca, *cb;
	struct lp2p_peer_id pa;

	(void)state;
	assert_int_equal(lp2p_tls_ctx_new(a, &ca), 0);
	assert_int_equal(lp2p_tls_ctx_new(b, &cb), 0);
	assert_int_equal(lp2p_peer_id_from_key(a, &pa), 0);
	for (int i = 0; i < 3; i++) {
		struct lp2p_tls_config cc = {.initiator = true, .ctx = cb};
		struct lp2p_tls_config sc = {.ctx = ca};
		struct lp2p_tls_hs *c, *s;
		struct inbox *tc = calloc(1, sizeof(*tc)),
		             *ts = calloc(1, sizeof(*ts));

		assert_int_equal(lp2p_tls_hs_new(&cc, &c), 0);
		assert_int_equal(lp2p_tls_hs_new(&sc, &s), 0);
		if (i == 2) { /* handshakes outlive their context */
			lp2p_tls_ctx_free(ca);
			lp2p_tls_ctx_free(cb);
		}
		for (int r = 0; r < 4; r++) {
			hs_send(c, ts);
			assert_int_equal(hs_recv(s, ts, 0), 0);
			hs_send(s, tc);
			assert_int_equal(hs_recv(c, tc, 0), 0);
		}
		assert_true(lp2p_tls_hs_done(c) && lp2p_tls_hs_done(s));
		assert_true(
		    lp2p_peer_id_equal(lp2p_tls_hs_remote_peer(c), &pa));
		lp2p_tls_hs_free(c);
		lp2p_tls_hs_free(s);
		free(tc);
		free(ts);
	}
	lp2p_key_free(a);
	lp2p_key_free(b);
	/* a context needs a private key */
	assert_int_equal(lp2p_tls_ctx_new(NULL, &ca), LP2P_EINVAL);
}

static void hs_new_errors(void **state)
{
	struct lp2p_key *id = new_key(LP2P_KEY_ED25519), *pub = NULL;
	char longname[LP2P_TLS_MAX_MUXER_LEN + 2];
	const char *bad[LP2P_TLS_MAX_MUXERS + 1];
	const char *names[1];
	struct lp2p_tls_config cfg = {.identity = id};
	struct lp2p_tls_hs *hs = NULL;

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(lp2p_tls_hs_new(NULL, &hs), LP2P_EINVAL);
	assert_int_equal(lp2p_key_public(id, &pub), 0);
	cfg.identity = pub;
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), LP2P_EINVAL);
	cfg.identity = NULL;
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), LP2P_EINVAL);
	cfg.identity = id;
	names[0] = NULL;
	cfg.muxers = names;
	cfg.n_muxers = 1;
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), LP2P_EINVAL);
	cfg.muxers = NULL;
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), LP2P_EINVAL);
	names[0] = "";
	cfg.muxers = names;
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), LP2P_ERANGE);
	names[0] = longname;
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), LP2P_ERANGE);
	longname[LP2P_TLS_MAX_MUXER_LEN] = '\0'; /* 255: fine */
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), 0);
	lp2p_tls_hs_free(hs);
	for (size_t i = 0; i < LP2P_TLS_MAX_MUXERS + 1; i++)
		bad[i] = "/m";
	cfg.muxers = bad;
	cfg.n_muxers = LP2P_TLS_MAX_MUXERS + 1;
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), LP2P_ERANGE);
	cfg.n_muxers = LP2P_TLS_MAX_MUXERS;
	cfg.initiator = true; /* the full list fits in the ClientHello */
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), 0);
	lp2p_tls_hs_free(hs);
	lp2p_tls_hs_free(NULL);
	lp2p_tls_session_free(NULL);
	lp2p_tls_ctx_free(NULL);
	lp2p_key_free(pub);
	lp2p_key_free(id);
}

static void split_rules(void **state)
{
	struct lp2p_tls_session *s = NULL;
	struct pair p;

	(void)state;
	pair_run(&p, &(struct pair_opts){0});
	/* (pair_run drained everything; make a fresh, unfinished one) */
	{
		struct lp2p_tls_config cc = {.initiator = true,
		                             .identity = p.cid};
		struct lp2p_tls_hs *fresh;

		assert_int_equal(lp2p_tls_hs_new(&cc, &fresh), 0);
		assert_int_equal(lp2p_tls_hs_split(fresh, &s), LP2P_EINVAL);
		lp2p_tls_hs_free(fresh);
	}
	assert_int_equal(lp2p_tls_hs_split(p.s, &s), 0);
	assert_int_equal(lp2p_tls_hs_split(p.s, &s), LP2P_EINVAL);
	lp2p_tls_session_free(s);
	pair_free(&p);
}

/* The client's last flight must be drained before split. */
static void split_needs_drained_output(void **state)
{
	struct lp2p_key *a = new_key(LP2P_KEY_ED25519);
	struct lp2p_key *b = new_key(LP2P_KEY_ED25519);
	struct lp2p_tls_config cc = {.initiator = true, .identity = a};
	struct lp2p_tls_config sc = {.identity = b};
	struct lp2p_tls_hs *c, *s;
	struct lp2p_tls_session *cs;
	struct inbox *tc = calloc(1, sizeof(*tc)), *ts = calloc(1, sizeof(*ts));
	const uint8_t *p;

	(void)state;
	assert_int_equal(lp2p_tls_hs_new(&cc, &c), 0);
	assert_int_equal(lp2p_tls_hs_new(&sc, &s), 0);
	hs_send(c, ts);
	assert_int_equal(hs_recv(s, ts, 0), 0);
	hs_send(s, tc);
	assert_int_equal(hs_recv(c, tc, 0), 0);
	assert_true(lp2p_tls_hs_done(c));
	assert_true(lp2p_tls_hs_output(c, &p) > 0);
	assert_int_equal(lp2p_tls_hs_split(c, &cs), LP2P_EINVAL);
	hs_send(c, ts);
	assert_int_equal(lp2p_tls_hs_split(c, &cs), 0);
	assert_int_equal(lp2p_tls_hs_output(c, &p), 0);
	lp2p_tls_session_free(cs);
	lp2p_tls_hs_free(c);
	lp2p_tls_hs_free(s);
	lp2p_key_free(a);
	lp2p_key_free(b);
	free(tc);
	free(ts);
}

/*
 * A TLS 1.3 client is done first and may send data at once: the server is
 * fed its last flight and the first records in one buffer, consumes only
 * the handshake and leaves the records for its session.
 */
static void client_data_with_finished(void **state)
{
	struct lp2p_key *a = new_key(LP2P_KEY_ED25519);
	struct lp2p_key *b = new_key(LP2P_KEY_ED25519);
	struct lp2p_tls_config cc = {.initiator = true,
	                             .identity = a,
	                             .muxers = yamux_mplex,
	                             .n_muxers = 2};
	struct lp2p_tls_config sc = {
	    .identity = b, .muxers = yamux_mplex, .n_muxers = 2};
	struct lp2p_tls_hs *c, *s;
	struct lp2p_tls_session *cs, *ss;
	struct inbox *tc = calloc(1, sizeof(*tc)), *ts = calloc(1, sizeof(*ts));
	size_t flight, ptlen = 0;
	ssize_t w, used;

	(void)state;
	assert_int_equal(lp2p_tls_hs_new(&cc, &c), 0);
	assert_int_equal(lp2p_tls_hs_new(&sc, &s), 0);
	hs_send(c, ts);
	assert_int_equal(hs_recv(s, ts, 0), 0);
	hs_send(s, tc);
	assert_int_equal(hs_recv(c, tc, 0), 0);
	assert_true(lp2p_tls_hs_done(c));
	assert_false(lp2p_tls_hs_done(s));
	hs_send(c, ts); /* Certificate, CertificateVerify, Finished */
	flight = ts->len;
	assert_int_equal(lp2p_tls_hs_split(c, &cs), 0);
	w = lp2p_tls_seal(cs, (const uint8_t *)"/multistream/1.0.0\n", 19,
	                  ts->buf + ts->len, sizeof(ts->buf) - ts->len);
	assert_true(w > 19);
	ts->len += (size_t)w;
	w = lp2p_tls_seal(cs, (const uint8_t *)"more", 4, ts->buf + ts->len,
	                  sizeof(ts->buf) - ts->len);
	ts->len += (size_t)w;
	used = lp2p_tls_hs_feed(s, ts->buf, ts->len);
	assert_int_equal(used, (ssize_t)flight);
	assert_true(lp2p_tls_hs_done(s));
	assert_string_equal(lp2p_tls_hs_selected_muxer(s), "/yamux/1.0.0");
	inbox_drop(ts, (size_t)used);
	assert_int_equal(lp2p_tls_hs_split(s, &ss), 0);
	used = lp2p_tls_open(ss, ts->buf, ts->len, &ptlen);
	assert_int_equal(used, (ssize_t)ts->len);
	assert_int_equal(ptlen, 23);
	assert_memory_equal(ts->buf, "/multistream/1.0.0\nmore", 23);
	lp2p_tls_session_free(cs);
	lp2p_tls_session_free(ss);
	lp2p_tls_hs_free(c);
	lp2p_tls_hs_free(s);
	lp2p_key_free(a);
	lp2p_key_free(b);
	free(tc);
	free(ts);
}

/* ---- data path ------------------------------------------------------- */

struct sessions {
	struct pair p;
	struct lp2p_tls_session *c, *s;
};

static void sessions_up(struct sessions *ss)
{
	pair_run(&ss->p, &(struct pair_opts){.cmux = yamux_mplex,
	                                     .ncmux = 2,
	                                     .smux = yamux_mplex,
	                                     .nsmux = 2});
	assert_int_equal(lp2p_tls_hs_split(ss->p.c, &ss->c), 0);
	assert_int_equal(lp2p_tls_hs_split(ss->p.s, &ss->s), 0);
	assert_int_equal(ss->p.to_c.len, 0);
	assert_int_equal(ss->p.to_s.len, 0);
}

static void sessions_down(struct sessions *ss)
{
	lp2p_tls_session_free(ss->c);
	lp2p_tls_session_free(ss->s);
	pair_free(&ss->p);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

/* Seal n pattern bytes from a to b, deliver in chunks, check. */
static void transfer(struct lp2p_tls_session *a, struct lp2p_tls_session *b,
                     size_t n, size_t chunk)
{
	uint8_t *pt = malloc(n ? n : 1);
	size_t cap = lp2p_tls_sealed_size(a, n);
	uint8_t *wire = malloc(cap);
	uint8_t *rx = malloc(cap);
	size_t got = 0, rx_len = 0, fed = 0;
	ssize_t w;

	assert_non_null(pt);
	assert_non_null(wire);
	assert_non_null(rx);
	for (size_t i = 0; i < n; i++)
		pt[i] = pattern(i);
	assert_int_equal(lp2p_tls_seal(a, pt, n, wire, cap - 1), LP2P_ERANGE);
	w = lp2p_tls_seal(a, pt, n, wire, cap);
	assert_true(w >= 0);
	{
		size_t records = (n + 16383) / 16384;

		assert_int_equal((size_t)w,
		                 n + records * LP2P_TLS_RECORD_OVERHEAD);
	}
	while (fed < (size_t)w || rx_len) {
		size_t more = (size_t)w - fed < chunk ? (size_t)w - fed : chunk;
		size_t ptlen = 0;
		ssize_t used;

		memcpy(rx + rx_len, wire + fed, more);
		rx_len += more;
		fed += more;
		used = lp2p_tls_open(b, rx, rx_len, &ptlen);
		assert_true(used >= 0);
		assert_true(ptlen <= (size_t)used);
		for (size_t i = 0; i < ptlen; i++)
			if (rx[i] != pattern(got + i))
				fail_msg("byte %zu differs", got + i);
		got += ptlen;
		memmove(rx, rx + used, rx_len - (size_t)used);
		rx_len -= (size_t)used;
		if (more == 0 && used == 0)
			break;
	}
	assert_int_equal(got, n);
	assert_int_equal(rx_len, 0);
	free(pt);
	free(wire);
	free(rx);
}

static void data_both_ways(void **state)
{
	struct sessions ss;
	static const size_t sizes[] = {0,     1,     100,   16383,
	                               16384, 16385, 65536, 1000000};

	(void)state;
	sessions_up(&ss);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		transfer(ss.c, ss.s, sizes[i], 1 << 20);
		transfer(ss.s, ss.c, sizes[i], 1 << 20);
	}
	/* partial records held back: byte-sized and odd deliveries */
	transfer(ss.c, ss.s, 40000, 1);
	transfer(ss.s, ss.c, 40000, 4999);
	transfer(ss.c, ss.s, 40000, 16406);
	assert_int_equal(lp2p_tls_session_error(ss.c), 0);
	assert_string_equal(lp2p_tls_session_error_reason(ss.c), "");
	sessions_down(&ss);
}

/* Several records in one buffer come out as one contiguous plaintext. */
static void open_many_records(void **state)
{
	struct sessions ss;
	uint8_t wire[4096], msg[3][8] = {"record0", "record1", "record2"};
	size_t off = 0, ptlen = 0;

	(void)state;
	sessions_up(&ss);
	for (int i = 0; i < 3; i++) {
		ssize_t w = lp2p_tls_seal(ss.c, msg[i], 7, wire + off,
		                          sizeof(wire) - off);
		assert_int_equal(w, 7 + LP2P_TLS_RECORD_OVERHEAD);
		off += (size_t)w;
	}
	/* plus half of a fourth record, left for later */
	{
		ssize_t w = lp2p_tls_seal(ss.c, msg[0], 7, wire + off,
		                          sizeof(wire) - off);
		assert_true(w > 0);
		assert_int_equal(lp2p_tls_open(ss.s, wire, off + 10, &ptlen),
		                 (ssize_t)off);
		assert_int_equal(ptlen, 21);
		assert_memory_equal(wire, "record0record1record2", 21);
	}
	sessions_down(&ss);
}

static void open_errors(void **state)
{
	struct sessions ss;
	uint8_t wire[256];
	size_t ptlen;
	ssize_t w;

	(void)state;
	/* a flipped ciphertext byte */
	sessions_up(&ss);
	w = lp2p_tls_seal(ss.c, (const uint8_t *)"hello", 5, wire,
	                  sizeof(wire));
	assert_true(w > 0);
	wire[8] ^= 1;
	assert_int_equal(lp2p_tls_open(ss.s, wire, (size_t)w, &ptlen),
	                 LP2P_ECRYPTO);
	assert_non_null(
	    strstr(lp2p_tls_session_error_reason(ss.s), "tls: receiving"));
	/* sticky, for open and seal */
	assert_int_equal(lp2p_tls_open(ss.s, wire, (size_t)w, &ptlen),
	                 LP2P_ECRYPTO);
	assert_int_equal(lp2p_tls_seal(ss.s, wire, 1, wire + 100, 150),
	                 LP2P_ECRYPTO);
	sessions_down(&ss);
	/* a record header over the limit */
	sessions_up(&ss);
	memcpy(wire, "\x17\x03\x03\x41\x01", 5);
	assert_int_equal(lp2p_tls_complete_records(wire, 5), LP2P_EPROTO);
	assert_int_equal(lp2p_tls_open(ss.s, wire, 5, &ptlen), LP2P_EPROTO);
	assert_non_null(
	    strstr(lp2p_tls_session_error_reason(ss.s), "record longer"));
	sessions_down(&ss);
	/* the largest legal header is only waited for */
	memcpy(wire, "\x17\x03\x03\x41\x00", 5);
	assert_int_equal(lp2p_tls_complete_records(wire, 5), 0);
	assert_int_equal(lp2p_tls_complete_records(wire, 4), 0);
}

/* ---- plain OpenSSL peers -------------------------------------------- */

struct raw {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out; /* in: what lp2p sends it; out: what it sends */
	EVP_PKEY *key;
};

static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

struct raw_opts {
	bool server;
	X509 *cert; /* owned by the peer afterwards; NULL: none */
	EVP_PKEY *key;
	X509 *extra; /* a second certificate in the chain */
	int max_version;
	const char *alpn; /* client: ALPN wire list */
};

static void raw_new(struct raw *r, const struct raw_opts *o)
{
	memset(r, 0, sizeof(*r));
	r->ctx = SSL_CTX_new(TLS_method());
	assert_non_null(r->ctx);
	if (o->max_version)
		assert_true(
		    SSL_CTX_set_max_proto_version(r->ctx, o->max_version));
	if (o->cert) {
		assert_true(SSL_CTX_use_certificate(r->ctx, o->cert));
		assert_true(SSL_CTX_use_PrivateKey(r->ctx, o->key));
		if (o->extra)
			assert_true(SSL_CTX_add1_chain_cert(r->ctx, o->extra));
		X509_free(o->cert);
		X509_free(o->extra);
		r->key = o->key;
	}
	SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, accept_any);
	r->ssl = SSL_new(r->ctx);
	r->in = BIO_new(BIO_s_mem());
	r->out = BIO_new(BIO_s_mem());
	SSL_set_bio(r->ssl, r->in, r->out);
	if (o->alpn)
		assert_int_equal(
		    SSL_set_alpn_protos(r->ssl, (const unsigned char *)o->alpn,
		                        (unsigned)strlen(o->alpn)),
		    0);
	if (o->server)
		SSL_set_accept_state(r->ssl);
	else
		SSL_set_connect_state(r->ssl);
}

static void raw_free(struct raw *r)
{
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	EVP_PKEY_free(r->key);
	ERR_clear_error();
}

/* Pump between hs and the raw peer until neither moves; returns the
 * hs error (0 if none). */
static int raw_pump(struct lp2p_tls_hs *hs, struct raw *r, struct inbox *in)
{
	uint8_t tmp[8192];

	for (int round = 0; round < 20; round++) {
		const uint8_t *p;
		size_t n = lp2p_tls_hs_output(hs, &p);
		int k;

		if (n) {
			assert_int_equal(BIO_write(r->in, p, (int)n), (int)n);
			lp2p_tls_hs_output_ack(hs, n);
		}
		(void)SSL_do_handshake(r->ssl);
		while ((k = BIO_read(r->out, tmp, sizeof(tmp))) > 0)
			inbox_put(in, tmp, (size_t)k);
		if (lp2p_tls_hs_error(hs))
			break;
		if (hs_recv(hs, in, 0))
			break;
		if (lp2p_tls_hs_done(hs) && SSL_is_init_finished(r->ssl) &&
		    !lp2p_tls_hs_output(hs, &p))
			break;
	}
	ERR_clear_error();
	return lp2p_tls_hs_error(hs);
}

static struct lp2p_tls_hs *our_hs(bool initiator, struct lp2p_key **id)
{
	struct lp2p_tls_config cfg = {
	    .initiator = initiator, .muxers = yamux_mplex, .n_muxers = 2};
	struct lp2p_tls_hs *hs;

	*id = new_key(LP2P_KEY_ED25519);
	cfg.identity = *id;
	assert_int_equal(lp2p_tls_hs_new(&cfg, &hs), 0);
	return hs;
}

/* A raw server presenting a crafted certificate to our client. */
static void refused_server_cert(const struct craft *o, bool two, int want_rc,
                                const char *want_why)
{
	struct lp2p_key *id, *rid = new_key(LP2P_KEY_ED25519);
	struct lp2p_tls_hs *hs = our_hs(true, &id);
	struct inbox *in = calloc(1, sizeof(*in));
	struct raw r;
	EVP_PKEY *key, *key2 = NULL;
	X509 *cert = craft_cert(o, rid, &key), *extra = NULL;
	int rc;

	if (two)
		extra =
		    craft_cert(&(struct craft){.ext = EXT_GOOD}, rid, &key2);
	raw_new(&r,
	        &(struct raw_opts){
	            .server = true, .cert = cert, .key = key, .extra = extra});
	rc = raw_pump(hs, &r, in);
	if (rc != want_rc)
		fail_msg("rc %d (%s), expected %d", rc,
		         lp2p_tls_error_reason(hs), want_rc);
	if (!strstr(lp2p_tls_error_reason(hs), want_why))
		fail_msg("'%s' does not say '%s'", lp2p_tls_error_reason(hs),
		         want_why);
	assert_false(lp2p_tls_hs_done(hs));
	/* the alert telling the server why is in the output */
	{
		const uint8_t *p;

		assert_true(lp2p_tls_hs_output(hs, &p) > 0);
		assert_int_equal(p[0], 21); /* alert record, in the clear */
	}
	raw_free(&r);
	EVP_PKEY_free(key2);
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
	lp2p_key_free(rid);
	free(in);
}

static void raw_server_refused(void **state)
{
	(void)state;
	refused_server_cert(&(struct craft){.ext = EXT_NONE}, false,
	                    LP2P_EPROTO,
	                    "tls: certificate lacks the libp2p public key "
	                    "extension");
	refused_server_cert(&(struct craft){.ext = EXT_BAD_SIG}, false,
	                    LP2P_ECRYPTO,
	                    "identity signature in the libp2p extension is "
	                    "invalid");
	refused_server_cert(&(struct craft){.ext = EXT_GOOD}, true, LP2P_EPROTO,
	                    "the remote sent 2 certificates (one expected)");
	refused_server_cert(&(struct craft){.ext = EXT_GOOD,
	                                    .not_before = -7200,
	                                    .not_after = -1},
	                    false, LP2P_EPROTO, "certificate has expired");
	refused_server_cert(
	    &(struct craft){.ext = EXT_GOOD, .unknown_critical = true}, false,
	    LP2P_EPROTO, "unknown critical extension");
}

/* A crafted but valid raw server is accepted: the checks are ours. */
static void raw_server_accepted(void **state)
{
	struct lp2p_key *id, *rid = new_key(LP2P_KEY_SECP256K1);
	struct lp2p_tls_hs *hs = our_hs(true, &id);
	struct inbox *in = calloc(1, sizeof(*in));
	struct lp2p_peer_id want;
	struct raw r;
	EVP_PKEY *key;
	X509 *cert = craft_cert(&(struct craft){.ext = EXT_GOOD,
	                                        .critical = true,
	                                        .keytype = "ED25519"},
	                        rid, &key);

	(void)state;
	raw_new(&r,
	        &(struct raw_opts){.server = true, .cert = cert, .key = key});
	assert_int_equal(raw_pump(hs, &r, in), 0);
	assert_true(lp2p_tls_hs_done(hs));
	assert_int_equal(lp2p_peer_id_from_key(rid, &want), 0);
	assert_true(lp2p_peer_id_equal(lp2p_tls_hs_remote_peer(hs), &want));
	/* a server without ALPN: multistream-select afterwards */
	assert_null(lp2p_tls_hs_selected_muxer(hs));
	raw_free(&r);
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
	lp2p_key_free(rid);
	free(in);
}

static void tls12_peers(void **state)
{
	struct lp2p_key *id, *rid = new_key(LP2P_KEY_ED25519);
	struct inbox *in = calloc(1, sizeof(*in));
	struct lp2p_tls_hs *hs;
	struct raw r;
	EVP_PKEY *key;
	X509 *cert;

	(void)state;
	/* our server, a TLS 1.2-only client */
	hs = our_hs(false, &id);
	cert = craft_cert(&(struct craft){.ext = EXT_GOOD}, rid, &key);
	raw_new(&r, &(struct raw_opts){.cert = cert,
	                               .key = key,
	                               .max_version = TLS1_2_VERSION});
	assert_int_equal(raw_pump(hs, &r, in), LP2P_ENOTSUP);
	assert_non_null(strstr(lp2p_tls_error_reason(hs), "tls: handshake: "));
	assert_non_null(strstr(lp2p_tls_error_reason(hs), "protocol"));
	raw_free(&r);
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
	in->len = 0;
	/* our client, a TLS 1.2-only server */
	hs = our_hs(true, &id);
	cert = craft_cert(&(struct craft){.ext = EXT_GOOD}, rid, &key);
	raw_new(&r, &(struct raw_opts){.server = true,
	                               .cert = cert,
	                               .key = key,
	                               .max_version = TLS1_2_VERSION});
	assert_int_equal(raw_pump(hs, &r, in), LP2P_ENOTSUP);
	assert_non_null(strstr(lp2p_tls_error_reason(hs), "protocol version"));
	raw_free(&r);
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
	lp2p_key_free(rid);
	free(in);
}

/* A client refused by our server: no certificate, bad ones, no ALPN
 * protocol in common. */
static void raw_client_refused(void **state)
{
	struct lp2p_key *id, *rid = new_key(LP2P_KEY_ED25519);
	struct inbox *in = calloc(1, sizeof(*in));
	struct lp2p_tls_hs *hs;
	struct raw r;
	EVP_PKEY *key;
	X509 *cert;

	(void)state;
	hs = our_hs(false, &id);
	raw_new(&r, &(struct raw_opts){0});
	assert_int_equal(raw_pump(hs, &r, in), LP2P_EPROTO);
	assert_non_null(strstr(lp2p_tls_error_reason(hs), "certificate"));
	raw_free(&r);
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
	in->len = 0;

	hs = our_hs(false, &id);
	cert = craft_cert(&(struct craft){.ext = EXT_NONE}, rid, &key);
	raw_new(&r, &(struct raw_opts){.cert = cert, .key = key});
	assert_int_equal(raw_pump(hs, &r, in), LP2P_EPROTO);
	assert_non_null(strstr(lp2p_tls_error_reason(hs), "lacks the libp2p"));
	raw_free(&r);
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
	in->len = 0;

	hs = our_hs(false, &id);
	cert = craft_cert(&(struct craft){.ext = EXT_GOOD}, rid, &key);
	raw_new(&r, &(struct raw_opts){
	                .cert = cert, .key = key, .alpn = "\x04/foo\x03/h2"});
	assert_int_equal(raw_pump(hs, &r, in), LP2P_ENEGOTIATE);
	assert_non_null(strstr(lp2p_tls_error_reason(hs), "ALPN"));
	raw_free(&r);
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
	in->len = 0;

	/* "libp2p" offered after an unknown muxer: chosen */
	hs = our_hs(false, &id);
	cert = craft_cert(&(struct craft){.ext = EXT_GOOD}, rid, &key);
	raw_new(&r, &(struct raw_opts){.cert = cert,
	                               .key = key,
	                               .alpn = "\x04/foo\x06libp2p"});
	assert_int_equal(raw_pump(hs, &r, in), 0);
	assert_true(lp2p_tls_hs_done(hs));
	assert_null(lp2p_tls_hs_selected_muxer(hs));
	{
		const unsigned char *sel;
		unsigned len;

		SSL_get0_alpn_selected(r.ssl, &sel, &len);
		assert_int_equal(len, 6);
		assert_memory_equal(sel, "libp2p", 6);
	}
	raw_free(&r);
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
	lp2p_key_free(rid);
	free(in);
}

/* Not TLS at all (a multistream header): refused at once. */
static void not_tls(void **state)
{
	struct lp2p_key *id;
	struct lp2p_tls_hs *hs = our_hs(false, &id);
	static const uint8_t mss[] = "\x13/multistream/1.0.0\n";

	(void)state;
	assert_true(lp2p_tls_hs_feed(hs, mss, sizeof(mss) - 1) < 0);
	assert_true(lp2p_tls_hs_error(hs) < 0);
	assert_string_not_equal(lp2p_tls_error_reason(hs), "");
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
}

/* Data with a plain OpenSSL client: close_notify, KeyUpdate. */
static void raw_session(void **state)
{
	struct lp2p_key *id, *rid = new_key(LP2P_KEY_ED25519);
	struct lp2p_tls_hs *hs = our_hs(false, &id);
	struct inbox *in = calloc(1, sizeof(*in));
	struct lp2p_tls_session *s;
	uint8_t wire[4096], back[64];
	size_t ptlen = 0, cap;
	ssize_t used, w;
	struct raw r;
	EVP_PKEY *key;
	X509 *cert = craft_cert(&(struct craft){.ext = EXT_GOOD}, rid, &key);
	int k;

	(void)state;
	raw_new(&r, &(struct raw_opts){.cert = cert,
	                               .key = key,
	                               .alpn = "\x0c/yamux/1.0.0\x06libp2p"});
	assert_int_equal(raw_pump(hs, &r, in), 0);
	assert_string_equal(lp2p_tls_hs_selected_muxer(hs), "/yamux/1.0.0");
	assert_int_equal(lp2p_tls_hs_split(hs, &s), 0);

	/* the client asks for a key update, then sends data */
	assert_int_equal(SSL_key_update(r.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
	assert_int_equal(SSL_write(r.ssl, "after update", 12), 12);
	while ((k = BIO_read(r.out, wire + in->len, 1024)) > 0)
		in->len += (size_t)k;
	memcpy(in->buf, wire, in->len);
	used = lp2p_tls_open(s, in->buf, in->len, &ptlen);
	assert_int_equal(used, (ssize_t)in->len);
	assert_int_equal(ptlen, 12);
	assert_memory_equal(in->buf, "after update", 12);
	/* OpenSSL sends our KeyUpdate reply before our next data: the
	 * slack in the sealed size is what makes room for it */
	cap = lp2p_tls_sealed_size(s, 5);
	w = lp2p_tls_seal(s, (const uint8_t *)"reply", 5, wire, cap);
	assert_true(w > 5 + LP2P_TLS_RECORD_OVERHEAD);
	assert_true((size_t)w <= cap);
	assert_int_equal(BIO_write(r.in, wire, (int)w), (int)w);
	assert_int_equal(SSL_read(r.ssl, back, sizeof(back)), 5);
	assert_memory_equal(back, "reply", 5);
	/* and nothing is held any more */
	assert_int_equal(lp2p_tls_sealed_size(s, 5),
	                 5 + LP2P_TLS_RECORD_OVERHEAD + LP2P_TLS_SEAL_SLACK);
	assert_int_equal(lp2p_tls_seal(s, NULL, 0, wire, sizeof(wire)), 0);

	/* data then close_notify in one read */
	assert_int_equal(SSL_write(r.ssl, "bye", 3), 3);
	assert_int_equal(SSL_shutdown(r.ssl), 0);
	in->len = 0;
	while ((k = BIO_read(r.out, in->buf + in->len, 1024)) > 0)
		in->len += (size_t)k;
	used = lp2p_tls_open(s, in->buf, in->len, &ptlen);
	assert_int_equal(used, (ssize_t)in->len);
	assert_int_equal(ptlen, 3);
	assert_memory_equal(in->buf, "bye", 3);
	assert_int_equal(lp2p_tls_open(s, in->buf, 0, &ptlen), LP2P_ECLOSED);
	assert_non_null(
	    strstr(lp2p_tls_session_error_reason(s), "close_notify"));

	lp2p_tls_session_free(s);
	raw_free(&r);
	lp2p_tls_hs_free(hs);
	lp2p_key_free(id);
	lp2p_key_free(rid);
	free(in);
}

/* ---- the secure channel table ----------------------------------------- */

static void secure_table(void **state)
{
	const struct lp2p_secure_ops *tls = lp2p_secure_by_name("tls");
	const struct lp2p_secure_ops *noise = lp2p_secure_by_name("noise");
	const struct lp2p_secure_ops *ops[2] = {noise, tls};

	(void)state;
	assert_ptr_equal(tls, &lp2p_secure_tls);
	assert_ptr_equal(noise, &lp2p_secure_noise);
	assert_null(lp2p_secure_by_name("plaintext"));
	assert_string_equal(tls->protocol_id, "/tls/1.0.0");
	assert_string_equal(noise->protocol_id, "/noise");
	for (int i = 0; i < 2; i++) {
		const struct lp2p_secure_ops *o = ops[i];
		struct lp2p_key *a = new_key(LP2P_KEY_ED25519);
		struct lp2p_key *b = new_key(LP2P_KEY_ED25519);
		void *actx = NULL, *bctx = NULL, *ha, *hb, *sa, *sb;
		struct inbox *ta = calloc(1, sizeof(*ta)),
		             *tb = calloc(1, sizeof(*tb));
		struct lp2p_peer_id pa, pb;
		struct lp2p_secure_span spans[4];
		uint8_t wire[256];
		size_t nspans = 0;
		ssize_t w, used;

		if (o->ctx_new) {
			assert_int_equal(o->ctx_new(a, yamux_mplex, 2, &actx),
			                 0);
			assert_int_equal(o->ctx_new(b, only_mplex, 1, &bctx),
			                 0);
		}
		assert_int_equal(
		    o->hs_new(
		        &(struct lp2p_secure_config){.initiator = true,
		                                     .identity = a,
		                                     .muxers = yamux_mplex,
		                                     .n_muxers = 2,
		                                     .ctx = actx},
		        &ha),
		    0);
		assert_int_equal(
		    o->hs_new(&(struct lp2p_secure_config){.identity = b,
		                                           .muxers = only_mplex,
		                                           .n_muxers = 1,
		                                           .ctx = bctx},
		              &hb),
		    0);
		for (int r = 0; r < 4; r++) {
			const uint8_t *p;
			size_t n;

			if ((n = o->hs_output(ha, &p))) {
				inbox_put(tb, p, n);
				o->hs_output_ack(ha, n);
			}
			if (!o->hs_done(hb) && tb->len) {
				used = o->hs_feed(hb, tb->buf, tb->len);
				assert_true(used >= 0);
				inbox_drop(tb, (size_t)used);
			}
			if ((n = o->hs_output(hb, &p))) {
				inbox_put(ta, p, n);
				o->hs_output_ack(hb, n);
			}
			if (!o->hs_done(ha) && ta->len) {
				used = o->hs_feed(ha, ta->buf, ta->len);
				assert_true(used >= 0);
				inbox_drop(ta, (size_t)used);
			}
		}
		assert_true(o->hs_done(ha) && o->hs_done(hb));
		assert_string_equal(o->hs_error_reason(ha), "");
		assert_int_equal(lp2p_peer_id_from_key(a, &pa), 0);
		assert_int_equal(lp2p_peer_id_from_key(b, &pb), 0);
		assert_true(lp2p_peer_id_equal(o->hs_remote_peer(ha), &pb));
		assert_true(lp2p_peer_id_equal(o->hs_remote_peer(hb), &pa));
		assert_string_equal(o->hs_selected_muxer(ha), "/mplex/6.7.0");
		assert_int_equal(o->hs_split(ha, &sa), 0);
		assert_int_equal(o->hs_split(hb, &sb), 0);
		w = o->seal(sa, (const uint8_t *)"ping", 4, wire,
		            o->sealed_size(sa, 4));
		assert_true(w > 4);
		used = o->open(sb, wire, (size_t)w, spans, 4, &nspans);
		assert_int_equal(used, w);
		assert_int_equal(nspans, 1);
		assert_int_equal(spans[0].len, 4);
		assert_memory_equal(spans[0].data, "ping", 4);
		wire[5] ^= 0x40;
		assert_true(o->open(sb, wire, (size_t)w, spans, 4, &nspans) <
		            0);
		assert_non_null(o->session_error_reason(sb));
		o->session_free(sa);
		o->session_free(sb);
		o->hs_free(ha);
		o->hs_free(hb);
		if (o->ctx_free) {
			o->ctx_free(actx);
			o->ctx_free(bctx);
		}
		lp2p_key_free(a);
		lp2p_key_free(b);
		free(ta);
		free(tb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(signed_key_roundtrip),
	    cmocka_unit_test(signed_key_bad),
	    cmocka_unit_test(spec_vectors),
	    cmocka_unit_test(crafted_good),
	    cmocka_unit_test(crafted_refused),
	    cmocka_unit_test(chain_length),
	    cmocka_unit_test(own_certificates),
	    cmocka_unit_test(handshake_ok),
	    cmocka_unit_test(alpn_choices),
	    cmocka_unit_test(expected_peer),
	    cmocka_unit_test(shared_context),
	    cmocka_unit_test(hs_new_errors),
	    cmocka_unit_test(split_rules),
	    cmocka_unit_test(split_needs_drained_output),
	    cmocka_unit_test(client_data_with_finished),
	    cmocka_unit_test(data_both_ways),
	    cmocka_unit_test(open_many_records),
	    cmocka_unit_test(open_errors),
	    cmocka_unit_test(raw_server_refused),
	    cmocka_unit_test(raw_server_accepted),
	    cmocka_unit_test(tls12_peers),
	    cmocka_unit_test(raw_client_refused),
	    cmocka_unit_test(not_tls),
	    cmocka_unit_test(raw_session),
	    cmocka_unit_test(secure_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
