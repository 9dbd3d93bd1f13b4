/*
 * noise_dh.c - the Noise 25519 DH functions: X25519 key pairs and DH()
 * through OpenSSL's EVP_PKEY.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "security/noise_internal.h"

static int keypair_fill_public(struct lp2p_noise_keypair *kp)
{
	size_t len = sizeof(kp->pub);

	if (EVP_PKEY_get_raw_public_key(kp->pkey, kp->pub, &len) != 1 ||
	    len != sizeof(kp->pub)) {
		lp2p_noise_keypair_clear(kp);
		return LP2P_ECRYPTO;
	}
	return 0;
}

int lp2p_noise_keypair_generate(struct lp2p_noise_keypair *kp)
{
	memset(kp, 0, sizeof(*kp));
	kp->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (!kp->pkey)
		return LP2P_ECRYPTO;
	return keypair_fill_public(kp);
}

int lp2p_noise_keypair_from_private(struct lp2p_noise_keypair *kp,
                                    const uint8_t priv[LP2P_NOISE_DHLEN])
{
	memset(kp, 0, sizeof(*kp));
	kp->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv,
	                                           LP2P_NOISE_DHLEN);
	if (!kp->pkey)
		return LP2P_ECRYPTO;
	return keypair_fill_public(kp);
}

int lp2p_noise_keypair_share(struct lp2p_noise_keypair *dst,
                             const struct lp2p_noise_keypair *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->pkey)
		return LP2P_EINVAL;
	if (EVP_PKEY_up_ref(src->pkey) != 1)
		return LP2P_ECRYPTO;
	dst->pkey = src->pkey;
	memcpy(dst->pub, src->pub, sizeof(dst->pub));
	return 0;
}

void lp2p_noise_keypair_clear(struct lp2p_noise_keypair *kp)
{
	EVP_PKEY_free(kp->pkey);
	memset(kp, 0, sizeof(*kp));
}

int lp2p_noise_dh(const struct lp2p_noise_keypair *kp,
                  const uint8_t pub[LP2P_NOISE_DHLEN],
                  uint8_t out[LP2P_NOISE_DHLEN])
{
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = LP2P_NOISE_DHLEN;
	uint8_t acc = 0;
	int err = LP2P_ECRYPTO;

	if (!kp->pkey)
		return LP2P_EINVAL;
	peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, pub,
	                                      LP2P_NOISE_DHLEN);
	if (!peer)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, kp->pkey, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, out, &len) != 1 || len != LP2P_NOISE_DHLEN)
		goto out;
	/* OpenSSL already refuses an all-zero result (a low-order public
	 * key); check anyway, it is what makes the peer's key contribute. */
	for (size_t i = 0; i < LP2P_NOISE_DHLEN; i++)
		acc |= out[i];
	err = acc ? 0 : LP2P_ECRYPTO;
out:
	if (err) {
		/* A peer's bad public key is its fault, not an internal
		 * error: keep OpenSSL's error queue clean. */
		ERR_clear_error();
		OPENSSL_cleanse(out, LP2P_NOISE_DHLEN);
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return err;
}
