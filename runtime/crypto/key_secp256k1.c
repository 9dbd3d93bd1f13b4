/*
 * key_secp256k1.c - Secp256k1 Data in the Bitcoin encodings: the public key
 * as a 33-byte compressed point (65-byte uncompressed accepted on input),
 * the private key as a 32-byte big-endian scalar.  Signatures are DER
 * ECDSA over SHA-256 with a low S, as Bitcoin (BIP 62) and js-libp2p's
 * verifier require.
 */
#include <string.h>

#include "crypto/key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#define SECP_SCALAR_LEN 32
#define SECP_COMPRESSED_LEN (1 + SECP_SCALAR_LEN)
#define SECP_UNCOMPRESSED_LEN (1 + 2 * SECP_SCALAR_LEN)
#define SECP_SIG_MAX 72 /* DER SEQUENCE of two 33-byte INTEGERs */

static const char secp_group[] = "secp256k1";

static int secp_generate(unsigned bits, EVP_PKEY **out)
{
	if (bits != 0)
		return LP2P_ERANGE;
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", secp_group);
	if (!pkey)
		return lp2p_key_openssl_error();
	*out = pkey;
	return 0;
}

/* An EVP_PKEY from OSSL_PARAMs (selection: public only or key pair). */
static int secp_fromdata(OSSL_PARAM *params, int selection, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;
	int ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	         EVP_PKEY_fromdata(ctx, &pkey, selection, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		EVP_PKEY_free(pkey);
		lp2p_key_openssl_error();
		return LP2P_EPROTO;
	}
	*out = pkey;
	return 0;
}

static int secp_decode_public(const uint8_t *data, size_t len, EVP_PKEY **out)
{
	if (!((len == SECP_COMPRESSED_LEN && (data[0] == 2 || data[0] == 3)) ||
	      (len == SECP_UNCOMPRESSED_LEN && data[0] == 4)))
		return LP2P_EPROTO;

	/* fromdata decodes the point and refuses one off the curve. */
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                     (char *)secp_group, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                      (void *)data, len),
	    OSSL_PARAM_construct_end(),
	};
	return secp_fromdata(params, EVP_PKEY_PUBLIC_KEY, out);
}

static int secp_encode_public(EVP_PKEY *pkey, uint8_t *buf, size_t cap)
{
	uint8_t point[SECP_UNCOMPRESSED_LEN];
	size_t len = 0;

	if (cap < SECP_COMPRESSED_LEN)
		return LP2P_ERANGE;
	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
	                                    point, sizeof(point), &len) != 1)
		return lp2p_key_openssl_error();
	if (len == SECP_COMPRESSED_LEN && (point[0] == 2 || point[0] == 3)) {
		memcpy(buf, point, len);
	} else if (len == SECP_UNCOMPRESSED_LEN && point[0] == 4) {
		/* Compress: the parity of y picks the prefix, then x. */
		buf[0] = 2 | (point[SECP_UNCOMPRESSED_LEN - 1] & 1);
		memcpy(buf + 1, point + 1, SECP_SCALAR_LEN);
	} else {
		return LP2P_ECRYPTO;
	}
	return SECP_COMPRESSED_LEN;
}

/* The curve order n, or NULL (OpenSSL error). */
static EC_GROUP *secp_group_new(void)
{
	return EC_GROUP_new_by_curve_name_ex(NULL, NULL, NID_secp256k1);
}

/*
 * Build a key pair from the scalar d: refuse d outside 1..n-1, compute the
 * public point d*G (OpenSSL's EC import does not derive it).
 */
static int secp_decode_private(const uint8_t *data, size_t len, EVP_PKEY **out)
{
	uint8_t pub[SECP_COMPRESSED_LEN];
	EC_GROUP *group = NULL;
	EC_POINT *point = NULL;
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	int rc = LP2P_ECRYPTO;

	if (len != SECP_SCALAR_LEN)
		return LP2P_EPROTO;
	group = secp_group_new();
	d = BN_secure_new();
	if (!group || !d || !BN_bin2bn(data, (int)len, d))
		goto out;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0) {
		rc = LP2P_EPROTO;
		goto out;
	}
	point = EC_POINT_new(group);
	if (!point || EC_POINT_mul(group, point, d, NULL, NULL, NULL) != 1 ||
	    EC_POINT_point2oct(group, point, POINT_CONVERSION_COMPRESSED, pub,
	                       sizeof(pub), NULL) != sizeof(pub))
		goto out;

	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	                                    secp_group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
	                                     sizeof(pub)) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto out;
	rc = secp_fromdata(params, EVP_PKEY_KEYPAIR, out);
out:
	if (rc == LP2P_ECRYPTO)
		lp2p_key_openssl_error();
	OSSL_PARAM_free(params); /* d's copy is in secure memory too */
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(point);
	BN_clear_free(d);
	EC_GROUP_free(group);
	return rc;
}

static int secp_encode_private(EVP_PKEY *pkey, uint8_t *buf, size_t cap)
{
	BIGNUM *d = NULL;

	if (cap < SECP_SCALAR_LEN)
		return LP2P_ERANGE;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1)
		return lp2p_key_openssl_error();
	int n = BN_bn2binpad(d, buf, SECP_SCALAR_LEN);
	BN_clear_free(d);
	if (n != SECP_SCALAR_LEN)
		return lp2p_key_openssl_error();
	return SECP_SCALAR_LEN;
}

/* Replace s by n - s when s > n/2 (both signatures are valid). */
static int secp_low_s(uint8_t *sig, size_t *len, size_t cap)
{
	const unsigned char *p = sig;
	unsigned char *q = sig;
	EC_GROUP *group = secp_group_new();
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)*len);
	BIGNUM *half = BN_new(), *low = BN_new();
	int rc = LP2P_ECRYPTO;

	if (!group || !es || !half || !low)
		goto out;
	const BIGNUM *order = EC_GROUP_get0_order(group);
	const BIGNUM *r = ECDSA_SIG_get0_r(es), *s = ECDSA_SIG_get0_s(es);
	if (!BN_rshift1(half, order))
		goto out;
	if (BN_cmp(s, half) <= 0) {
		rc = 0;
		goto out;
	}
	BIGNUM *r2 = BN_dup(r);
	if (!r2 || !BN_sub(low, order, s) || ECDSA_SIG_set0(es, r2, low) != 1) {
		BN_free(r2);
		goto out;
	}
	low = NULL; /* es owns it now */
	int n = i2d_ECDSA_SIG(es, NULL);
	if (n <= 0 || (size_t)n > cap || (size_t)n > SECP_SIG_MAX)
		goto out;
	if (i2d_ECDSA_SIG(es, &q) != n)
		goto out;
	*len = (size_t)n;
	rc = 0;
out:
	if (rc < 0)
		lp2p_key_openssl_error();
	BN_free(low);
	BN_free(half);
	ECDSA_SIG_free(es);
	EC_GROUP_free(group);
	return rc;
}

const struct lp2p_key_codec lp2p_key_secp256k1_codec = {
    .generate = secp_generate,
    .decode_public = secp_decode_public,
    .decode_private = secp_decode_private,
    .encode_public = secp_encode_public,
    .encode_private = secp_encode_private,
    .digest = "SHA256",
    .fix_signature = secp_low_s,
};
