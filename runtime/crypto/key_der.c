/*
 * key_der.c - the DER forms shared by ECDSA and RSA keys:
 * SubjectPublicKeyInfo for public keys and the algorithm's own private key
 * structure (PKCS#1 RSAPrivateKey, SEC1 ECPrivateKey).
 */
#include <string.h>

#include "crypto/key.h"

#include <openssl/x509.h>

int lp2p_key_der_public_decode(const uint8_t *data, size_t len, const char *alg,
                               EVP_PKEY **out)
{
	uint8_t again[LP2P_KEY_PUBLIC_MAX];
	const unsigned char *p = data;
	unsigned char *q = again;

	if (len == 0 || len > sizeof(again))
		return LP2P_EPROTO;
	EVP_PKEY *pkey = d2i_PUBKEY_ex(NULL, &p, (long)len, NULL, NULL);
	if (!pkey) {
		lp2p_key_openssl_error();
		return LP2P_EPROTO;
	}
	/*
	 * The whole of Data, of the right algorithm, and canonical: it must
	 * re-encode to the same bytes, so that the bytes a peer id hashes are
	 * the only encoding of that key.
	 */
	if (p != data + len || !EVP_PKEY_is_a(pkey, alg) ||
	    i2d_PUBKEY(pkey, NULL) != (int)len ||
	    i2d_PUBKEY(pkey, &q) != (int)len || memcmp(again, data, len) != 0) {
		EVP_PKEY_free(pkey);
		lp2p_key_openssl_error();
		return LP2P_EPROTO;
	}
	*out = pkey;
	return 0;
}

int lp2p_key_der_public_encode(EVP_PKEY *pkey, uint8_t *buf, size_t cap)
{
	int n = i2d_PUBKEY(pkey, NULL);
	if (n <= 0)
		return lp2p_key_openssl_error();
	if ((size_t)n > cap)
		return LP2P_ERANGE;
	unsigned char *q = buf;
	if (i2d_PUBKEY(pkey, &q) != n)
		return lp2p_key_openssl_error();
	return n;
}

int lp2p_key_der_private_decode(const uint8_t *data, size_t len, int evp_type,
                                EVP_PKEY **out)
{
	const unsigned char *p = data;

	if (len == 0 || len > LP2P_KEY_PRIVATE_MAX)
		return LP2P_EPROTO;
	EVP_PKEY *pkey =
	    d2i_PrivateKey_ex(evp_type, NULL, &p, (long)len, NULL, NULL);
	if (!pkey) {
		lp2p_key_openssl_error();
		return LP2P_EPROTO;
	}
	if (p != data + len || EVP_PKEY_get_base_id(pkey) != evp_type) {
		EVP_PKEY_free(pkey);
		lp2p_key_openssl_error();
		return LP2P_EPROTO;
	}
	*out = pkey;
	return 0;
}

int lp2p_key_der_private_encode(EVP_PKEY *pkey, uint8_t *buf, size_t cap)
{
	int n = i2d_PrivateKey(pkey, NULL);
	if (n <= 0)
		return lp2p_key_openssl_error();
	if ((size_t)n > cap)
		return LP2P_ERANGE;
	unsigned char *q = buf;
	if (i2d_PrivateKey(pkey, &q) != n)
		return lp2p_key_openssl_error();
	return n;
}

int lp2p_key_pairwise_check(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = ctx && EVP_PKEY_pairwise_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		lp2p_key_openssl_error();
		return LP2P_EPROTO;
	}
	return 0;
}

int lp2p_key_public_check(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = ctx && EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		lp2p_key_openssl_error();
		return LP2P_EPROTO;
	}
	return 0;
}
