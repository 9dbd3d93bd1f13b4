/*
 * noise_cipher.c - the Noise CipherState over ChaCha20-Poly1305 (OpenSSL
 * EVP).  The context is keyed once per direction; each message then only
 * loads its nonce, so the data path neither allocates nor re-keys.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "security/noise_internal.h"

int lp2p_noise_cipher_init(struct lp2p_noise_cipher *c, const uint8_t *k)
{
	EVP_CIPHER_CTX *ctx = c->ctx;

	/* Keep the allocated context across re-keying (MixKey). */
	OPENSSL_cleanse(c->k, sizeof(c->k));
	c->n = 0;
	c->keyed = -1;
	c->has_key = k != NULL;
	if (k)
		memcpy(c->k, k, LP2P_NOISE_KEYLEN);
	if (ctx)
		EVP_CIPHER_CTX_reset(ctx);
	c->ctx = ctx;
	return 0;
}

void lp2p_noise_cipher_clear(struct lp2p_noise_cipher *c)
{
	EVP_CIPHER_CTX_free(c->ctx);
	OPENSSL_cleanse(c, sizeof(*c));
	c->keyed = -1;
}

static void make_nonce(uint64_t n, uint8_t nonce[LP2P_NOISE_NONCELEN])
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* Load the nonce (and the key when the direction changes) into the ctx. */
static int cipher_start(struct lp2p_noise_cipher *c, int enc)
{
	uint8_t nonce[LP2P_NOISE_NONCELEN];
	int ok;

	if (c->n == UINT64_MAX)
		return LP2P_ELIMIT;
	if (!c->ctx) {
		c->ctx = EVP_CIPHER_CTX_new();
		if (!c->ctx)
			return LP2P_ENOMEM;
		c->keyed = -1;
	}
	make_nonce(c->n, nonce);
	if (c->keyed != enc) {
		const EVP_CIPHER *aead = lp2p_noise_chachapoly();
		ok = aead ? EVP_CipherInit_ex(c->ctx, aead, NULL, c->k, nonce,
		                              enc)
		          : 0;
		c->keyed = ok == 1 ? enc : -1;
	} else {
		ok = EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, nonce, enc);
	}
	if (ok != 1) {
		ERR_clear_error();
		return LP2P_ECRYPTO;
	}
	return 0;
}

int lp2p_noise_cipher_encrypt(struct lp2p_noise_cipher *c, const uint8_t *ad,
                              size_t adlen, const uint8_t *in, size_t len,
                              uint8_t *out)
{
	int outl, err;

	if (len > LP2P_NOISE_MAX_MSG - (c->has_key ? LP2P_NOISE_TAGLEN : 0) ||
	    adlen > INT_MAX)
		return LP2P_EINVAL;
	if (!c->has_key) {
		if (out != in && len)
			memmove(out, in, len);
		return (int)len;
	}
	err = cipher_start(c, 1);
	if (err)
		return err;
	if (adlen && EVP_CipherUpdate(c->ctx, NULL, &outl, ad, (int)adlen) != 1)
		goto fail;
	if (len && EVP_CipherUpdate(c->ctx, out, &outl, in, (int)len) != 1)
		goto fail;
	if (EVP_CipherFinal_ex(c->ctx, out + len, &outl) != 1)
		goto fail;
	if (EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_GET_TAG,
	                        LP2P_NOISE_TAGLEN, out + len) != 1)
		goto fail;
	c->n++;
	return (int)(len + LP2P_NOISE_TAGLEN);
fail:
	c->keyed = -1; /* re-key from scratch next time */
	ERR_clear_error();
	return LP2P_ECRYPTO;
}

int lp2p_noise_cipher_decrypt(struct lp2p_noise_cipher *c, const uint8_t *ad,
                              size_t adlen, const uint8_t *in, size_t len,
                              uint8_t *out)
{
	uint8_t tag[LP2P_NOISE_TAGLEN];
	size_t ptlen;
	int outl, err;

	if (len > LP2P_NOISE_MAX_MSG || adlen > INT_MAX)
		return LP2P_EINVAL;
	if (!c->has_key) {
		if (out != in && len)
			memmove(out, in, len);
		return (int)len;
	}
	if (len < LP2P_NOISE_TAGLEN)
		return LP2P_EPROTO;
	ptlen = len - LP2P_NOISE_TAGLEN;
	/* Copy the tag first: an in-place decryption may not touch it, but a
	 * caller's out may overlap it when out != in. */
	memcpy(tag, in + ptlen, LP2P_NOISE_TAGLEN);
	err = cipher_start(c, 0);
	if (err)
		return err;
	if (EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG,
	                        LP2P_NOISE_TAGLEN, tag) != 1)
		goto fail;
	if (adlen && EVP_CipherUpdate(c->ctx, NULL, &outl, ad, (int)adlen) != 1)
		goto fail;
	if (ptlen && EVP_CipherUpdate(c->ctx, out, &outl, in, (int)ptlen) != 1)
		goto fail;
	if (EVP_CipherFinal_ex(c->ctx, out + ptlen, &outl) != 1)
		goto fail;
	c->n++;
	return (int)ptlen;
fail:
	/* Forged input is routine here: leave no stale OpenSSL errors. */
	c->keyed = -1;
	ERR_clear_error();
	return LP2P_ECRYPTO;
}
