/*
 * noise_symmetric.c - the Noise SymmetricState: the chaining key ck, the
 * handshake hash h, HKDF over HMAC-SHA256 and the handshake CipherState.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "security/noise_internal.h"

#define SHA256_BLOCKLEN 64

/*
 * HMAC-SHA256 (RFC 2104) for Noise's 32-byte keys: H((K ^ opad) ||
 * H((K ^ ipad) || data)), K zero-padded to a block.  Written on the
 * fetched digest rather than EVP_Q_mac(), which looks up HMAC and SHA256
 * by name on every call (twelve times a handshake).
 */
static int hmac_sha256(EVP_MD_CTX *md, const uint8_t key[LP2P_NOISE_HASHLEN],
                       const uint8_t *data, size_t len,
                       uint8_t out[LP2P_NOISE_HASHLEN])
{
	const EVP_MD *sha256 = lp2p_noise_sha256();
	uint8_t pad[SHA256_BLOCKLEN], inner[LP2P_NOISE_HASHLEN];
	int ok;

	if (!sha256)
		return LP2P_ECRYPTO;
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < LP2P_NOISE_HASHLEN; i++)
		pad[i] ^= key[i];
	ok = EVP_DigestInit_ex(md, sha256, NULL) == 1 &&
	     EVP_DigestUpdate(md, pad, sizeof(pad)) == 1 &&
	     (len == 0 || EVP_DigestUpdate(md, data, len) == 1) &&
	     EVP_DigestFinal_ex(md, inner, NULL) == 1;
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < LP2P_NOISE_HASHLEN; i++)
		pad[i] ^= key[i];
	ok = ok && EVP_DigestInit_ex(md, sha256, NULL) == 1 &&
	     EVP_DigestUpdate(md, pad, sizeof(pad)) == 1 &&
	     EVP_DigestUpdate(md, inner, sizeof(inner)) == 1 &&
	     EVP_DigestFinal_ex(md, out, NULL) == 1;
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	return ok ? 0 : LP2P_ECRYPTO;
}

int lp2p_noise_hkdf(const uint8_t ck[LP2P_NOISE_HASHLEN], const uint8_t *ikm,
                    size_t ikmlen, uint8_t out1[LP2P_NOISE_HASHLEN],
                    uint8_t out2[LP2P_NOISE_HASHLEN], uint8_t *out3)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t temp[LP2P_NOISE_HASHLEN];
	uint8_t buf[LP2P_NOISE_HASHLEN + 1];
	int err;

	if (!md)
		return LP2P_ENOMEM;
	/* temp_key = HMAC(ck, ikm); out_i = HMAC(temp_key, out_{i-1} || i) */
	err = hmac_sha256(md, ck, ikm, ikmlen, temp);
	if (!err) {
		buf[0] = 0x01;
		err = hmac_sha256(md, temp, buf, 1, out1);
	}
	if (!err) {
		memcpy(buf, out1, LP2P_NOISE_HASHLEN);
		buf[LP2P_NOISE_HASHLEN] = 0x02;
		err = hmac_sha256(md, temp, buf, sizeof(buf), out2);
	}
	if (!err && out3) {
		memcpy(buf, out2, LP2P_NOISE_HASHLEN);
		buf[LP2P_NOISE_HASHLEN] = 0x03;
		err = hmac_sha256(md, temp, buf, sizeof(buf), out3);
	}
	EVP_MD_CTX_free(md);
	OPENSSL_cleanse(temp, sizeof(temp));
	OPENSSL_cleanse(buf, sizeof(buf));
	return err;
}

int lp2p_noise_sym_init(struct lp2p_noise_symmetric *ss, const char *name)
{
	size_t len = strlen(name);

	memset(ss, 0, sizeof(*ss));
	ss->cs.keyed = -1;
	/* h = name padded with zeros if it fits HASHLEN, else HASH(name). */
	if (len <= LP2P_NOISE_HASHLEN) {
		memcpy(ss->h, name, len);
	} else if (!lp2p_noise_sha256() ||
	           EVP_Digest(name, len, ss->h, NULL, lp2p_noise_sha256(),
	                      NULL) != 1) {
		return LP2P_ECRYPTO;
	}
	memcpy(ss->ck, ss->h, LP2P_NOISE_HASHLEN);
	return lp2p_noise_cipher_init(&ss->cs, NULL);
}

void lp2p_noise_sym_clear(struct lp2p_noise_symmetric *ss)
{
	lp2p_noise_cipher_clear(&ss->cs);
	OPENSSL_cleanse(ss, sizeof(*ss));
	ss->cs.keyed = -1;
}

/* out = SHA256(h || data); out may be h. */
static int hash_with(const uint8_t h[LP2P_NOISE_HASHLEN], const uint8_t *data,
                     size_t len, uint8_t out[LP2P_NOISE_HASHLEN])
{
	const EVP_MD *sha256 = lp2p_noise_sha256();
	EVP_MD_CTX *md;
	int ok;

	if (!sha256)
		return LP2P_ECRYPTO;
	md = EVP_MD_CTX_new();
	if (!md)
		return LP2P_ENOMEM;
	ok = EVP_DigestInit_ex(md, sha256, NULL) == 1 &&
	     EVP_DigestUpdate(md, h, LP2P_NOISE_HASHLEN) == 1 &&
	     (len == 0 || EVP_DigestUpdate(md, data, len) == 1) &&
	     EVP_DigestFinal_ex(md, out, NULL) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : LP2P_ECRYPTO;
}

int lp2p_noise_mix_hash(struct lp2p_noise_symmetric *ss, const uint8_t *data,
                        size_t len)
{
	return hash_with(ss->h, data, len, ss->h);
}

int lp2p_noise_mix_key(struct lp2p_noise_symmetric *ss, const uint8_t *ikm,
                       size_t len)
{
	uint8_t temp_k[LP2P_NOISE_HASHLEN];
	int err;

	err = lp2p_noise_hkdf(ss->ck, ikm, len, ss->ck, temp_k, NULL);
	if (!err)
		err = lp2p_noise_cipher_init(&ss->cs, temp_k);
	OPENSSL_cleanse(temp_k, sizeof(temp_k));
	return err;
}

int lp2p_noise_encrypt_and_hash(struct lp2p_noise_symmetric *ss,
                                const uint8_t *in, size_t len, uint8_t *out)
{
	int n = lp2p_noise_cipher_encrypt(&ss->cs, ss->h, sizeof(ss->h), in,
	                                  len, out);
	if (n < 0)
		return n;
	int err = lp2p_noise_mix_hash(ss, out, (size_t)n);
	return err ? err : n;
}

int lp2p_noise_decrypt_and_hash(struct lp2p_noise_symmetric *ss,
                                const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t h_next[LP2P_NOISE_HASHLEN];
	int n, err;

	/* h is mixed with the ciphertext, which an in-place decryption
	 * overwrites: hash it first, commit only after authentication. */
	err = hash_with(ss->h, in, len, h_next);
	if (err)
		return err;
	n = lp2p_noise_cipher_decrypt(&ss->cs, ss->h, sizeof(ss->h), in, len,
	                              out);
	if (n < 0)
		return n;
	memcpy(ss->h, h_next, sizeof(ss->h));
	return n;
}

int lp2p_noise_split(struct lp2p_noise_symmetric *ss,
                     struct lp2p_noise_cipher *c1, struct lp2p_noise_cipher *c2)
{
	uint8_t k1[LP2P_NOISE_HASHLEN], k2[LP2P_NOISE_HASHLEN];
	int err;

	err = lp2p_noise_hkdf(ss->ck, NULL, 0, k1, k2, NULL);
	if (!err) {
		memset(c1, 0, sizeof(*c1));
		memset(c2, 0, sizeof(*c2));
		lp2p_noise_cipher_init(c1, k1);
		lp2p_noise_cipher_init(c2, k2);
	}
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	return err;
}
