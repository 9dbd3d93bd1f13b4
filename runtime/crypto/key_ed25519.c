/*
 * key_ed25519.c - Ed25519 Data: the 32-byte public key; the private key as
 * seed||public (64 bytes), or the old seed||public||public (96 bytes,
 * read only).
 */
#include <string.h>

#include "crypto/key.h"

#include <openssl/crypto.h>

#define ED25519_KEY_LEN 32

static int ed25519_generate(unsigned bits, EVP_PKEY **out)
{
	if (bits != 0)
		return LP2P_ERANGE;
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey)
		return lp2p_key_openssl_error();
	*out = pkey;
	return 0;
}

static int ed25519_decode_public(const uint8_t *data, size_t len,
                                 EVP_PKEY **out)
{
	if (len != ED25519_KEY_LEN)
		return LP2P_EPROTO;
	EVP_PKEY *pkey =
	    EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, data, len);
	if (!pkey)
		return lp2p_key_openssl_error();
	*out = pkey;
	return 0;
}

static int ed25519_encode_public(EVP_PKEY *pkey, uint8_t *buf, size_t cap)
{
	size_t len = cap;
	if (cap < ED25519_KEY_LEN)
		return LP2P_ERANGE;
	if (EVP_PKEY_get_raw_public_key(pkey, buf, &len) != 1 ||
	    len != ED25519_KEY_LEN)
		return lp2p_key_openssl_error();
	return ED25519_KEY_LEN;
}

static int ed25519_decode_private(const uint8_t *data, size_t len,
                                  EVP_PKEY **out)
{
	uint8_t pub[ED25519_KEY_LEN];
	size_t pub_len = sizeof(pub);

	if (len != 2 * ED25519_KEY_LEN && len != 3 * ED25519_KEY_LEN)
		return LP2P_EPROTO;
	/* The old form repeats the public key: both copies must agree. */
	if (len == 3 * ED25519_KEY_LEN &&
	    memcmp(data + ED25519_KEY_LEN, data + 2 * ED25519_KEY_LEN,
	           ED25519_KEY_LEN) != 0)
		return LP2P_EPROTO;

	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL,
	                                                 data, ED25519_KEY_LEN);
	if (!pkey)
		return lp2p_key_openssl_error();
	/* The stored public key must be the seed's. */
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len) != 1 ||
	    pub_len != ED25519_KEY_LEN) {
		EVP_PKEY_free(pkey);
		return lp2p_key_openssl_error();
	}
	if (CRYPTO_memcmp(pub, data + ED25519_KEY_LEN, ED25519_KEY_LEN) != 0) {
		EVP_PKEY_free(pkey);
		return LP2P_EPROTO;
	}
	*out = pkey;
	return 0;
}

static int ed25519_encode_private(EVP_PKEY *pkey, uint8_t *buf, size_t cap)
{
	size_t seed_len = ED25519_KEY_LEN;

	if (cap < 2 * ED25519_KEY_LEN)
		return LP2P_ERANGE;
	if (EVP_PKEY_get_raw_private_key(pkey, buf, &seed_len) != 1 ||
	    seed_len != ED25519_KEY_LEN) {
		OPENSSL_cleanse(buf, ED25519_KEY_LEN);
		return lp2p_key_openssl_error();
	}
	int n =
	    ed25519_encode_public(pkey, buf + ED25519_KEY_LEN, ED25519_KEY_LEN);
	if (n < 0) {
		OPENSSL_cleanse(buf, ED25519_KEY_LEN);
		return n;
	}
	return 2 * ED25519_KEY_LEN;
}

const struct lp2p_key_codec lp2p_key_ed25519_codec = {
    .generate = ed25519_generate,
    .decode_public = ed25519_decode_public,
    .decode_private = ed25519_decode_private,
    .encode_public = ed25519_encode_public,
    .encode_private = ed25519_encode_private,
    .digest = NULL, /* pure Ed25519 signs the message itself */
    .fix_signature = NULL,
};
