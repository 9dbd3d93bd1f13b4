/*
 * key_ecdsa.c - ECDSA Data (NIST curves P-256, P-384, P-521): DER
 * SubjectPublicKeyInfo with an uncompressed point for public keys, DER
 * ECPrivateKey (SEC1/RFC 5915, with the curve and the public key, as Go's
 * x509.MarshalECPrivateKey writes it) for private keys.  Signatures are
 * DER ECDSA over SHA-256 whatever the curve, as go-libp2p does.
 */
#include <string.h>

#include "crypto/key.h"

#include <openssl/core_names.h>

/* Curves by their OpenSSL group names, and the generate() bits picking them. */
static const struct {
	unsigned bits;
	const char *group;
	const char *alias; /* another name OpenSSL may report */
} ecdsa_curves[] = {
    {256, "prime256v1", "P-256"},
    {384, "secp384r1", "P-384"},
    {521, "secp521r1", "P-521"},
};

#define ECDSA_CURVE_COUNT (sizeof(ecdsa_curves) / sizeof(ecdsa_curves[0]))

static int ecdsa_generate(unsigned bits, EVP_PKEY **out)
{
	if (bits == 0)
		bits = 256;
	for (size_t i = 0; i < ECDSA_CURVE_COUNT; i++) {
		if (ecdsa_curves[i].bits != bits)
			continue;
		EVP_PKEY *pkey =
		    EVP_PKEY_Q_keygen(NULL, NULL, "EC", ecdsa_curves[i].group);
		if (!pkey)
			return lp2p_key_openssl_error();
		*out = pkey;
		return 0;
	}
	return LP2P_ERANGE;
}

/* LP2P_ENOTSUP unless pkey is on one of ecdsa_curves (named, not explicit). */
static int ecdsa_check_curve(EVP_PKEY *pkey)
{
	char group[64];

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	                                   group, sizeof(group), NULL) != 1) {
		lp2p_key_openssl_error();
		return LP2P_ENOTSUP;
	}
	for (size_t i = 0; i < ECDSA_CURVE_COUNT; i++)
		if (strcmp(group, ecdsa_curves[i].group) == 0 ||
		    strcmp(group, ecdsa_curves[i].alias) == 0)
			return 0;
	return LP2P_ENOTSUP;
}

/* Go's x509 reads only uncompressed points; so do we. */
static int ecdsa_check_uncompressed(EVP_PKEY *pkey)
{
	uint8_t point[1 + 2 * 66];
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
	                                    point, sizeof(point), &len) != 1) {
		lp2p_key_openssl_error();
		return LP2P_EPROTO;
	}
	return len > 0 && point[0] == 0x04 ? 0 : LP2P_EPROTO;
}

static int ecdsa_decode_public(const uint8_t *data, size_t len, EVP_PKEY **out)
{
	EVP_PKEY *pkey;
	int rc = lp2p_key_der_public_decode(data, len, "EC", &pkey);
	if (rc < 0)
		return rc;
	rc = ecdsa_check_curve(pkey);
	if (rc == 0)
		rc = ecdsa_check_uncompressed(pkey);
	if (rc == 0)
		rc = lp2p_key_public_check(pkey);
	if (rc < 0) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	*out = pkey;
	return 0;
}

static int ecdsa_decode_private(const uint8_t *data, size_t len, EVP_PKEY **out)
{
	EVP_PKEY *pkey;
	int rc = lp2p_key_der_private_decode(data, len, EVP_PKEY_EC, &pkey);
	if (rc < 0)
		return rc;
	rc = ecdsa_check_curve(pkey);
	/* Marshal the public key uncompressed even if the file had it not. */
	if (rc == 0 &&
	    EVP_PKEY_set_utf8_string_param(
	        pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	        OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 1)
		rc = lp2p_key_openssl_error();
	if (rc == 0)
		rc = lp2p_key_pairwise_check(pkey);
	if (rc < 0) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	*out = pkey;
	return 0;
}

const struct lp2p_key_codec lp2p_key_ecdsa_codec = {
    .generate = ecdsa_generate,
    .decode_public = ecdsa_decode_public,
    .decode_private = ecdsa_decode_private,
    .encode_public = lp2p_key_der_public_encode,
    .encode_private = lp2p_key_der_private_encode,
    .digest = "SHA256",
    .fix_signature = NULL,
};
