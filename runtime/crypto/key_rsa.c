/*
 * key_rsa.c - RSA Data: DER SubjectPublicKeyInfo (PKIX) for public keys,
 * DER PKCS#1 RSAPrivateKey for private keys; moduli of
 * LP2P_KEY_RSA_MIN_BITS..LP2P_KEY_RSA_MAX_BITS only.  Signatures are
 * RSASSA-PKCS1-v1_5 over SHA-256 (OpenSSL's default RSA padding).
 */
#include "crypto/key.h"

static int rsa_bits_ok(unsigned bits)
{
	return bits >= LP2P_KEY_RSA_MIN_BITS && bits <= LP2P_KEY_RSA_MAX_BITS;
}

static int rsa_generate(unsigned bits, EVP_PKEY **out)
{
	if (!rsa_bits_ok(bits))
		return LP2P_ERANGE;
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!pkey)
		return lp2p_key_openssl_error();
	*out = pkey;
	return 0;
}

/* Size first: the checks that follow cost time in the modulus size. */
static int rsa_check_size(EVP_PKEY *pkey)
{
	int bits = EVP_PKEY_get_bits(pkey);
	if (bits <= 0 || !rsa_bits_ok((unsigned)bits))
		return LP2P_ERANGE;
	return 0;
}

static int rsa_decode_public(const uint8_t *data, size_t len, EVP_PKEY **out)
{
	EVP_PKEY *pkey;
	int rc = lp2p_key_der_public_decode(data, len, "RSA", &pkey);
	if (rc < 0)
		return rc;
	rc = rsa_check_size(pkey);
	if (rc < 0) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	*out = pkey;
	return 0;
}

static int rsa_decode_private(const uint8_t *data, size_t len, EVP_PKEY **out)
{
	EVP_PKEY *pkey;
	int rc = lp2p_key_der_private_decode(data, len, EVP_PKEY_RSA, &pkey);
	if (rc < 0)
		return rc;
	rc = rsa_check_size(pkey);
	if (rc == 0)
		rc = lp2p_key_pairwise_check(pkey);
	if (rc < 0) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	*out = pkey;
	return 0;
}

const struct lp2p_key_codec lp2p_key_rsa_codec = {
    .generate = rsa_generate,
    .decode_public = rsa_decode_public,
    .decode_private = rsa_decode_private,
    .encode_public = lp2p_key_der_public_encode,
    .encode_private = lp2p_key_der_private_encode,
    .digest = "SHA256",
    .fix_signature = NULL,
};
