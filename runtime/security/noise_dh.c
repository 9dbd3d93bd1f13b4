/*
 * noise_dh.c - the Noise 25519 DH functions: X25519 key pairs and DH()
 * through OpenSSL's EVP_PKEY.
 *
 * OpenSSL 3.0 pays for every EVP_PKEY_CTX it makes (a name lookup and a
 * walk of its name map), so the contexts are kept where they are reused:
 * key generation and public keys from bytes in struct lp2p_noise_x25519
 * (one per host), derivation in the key pair (an ephemeral key does two
 * DH).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "security/noise_internal.h"

int lp2p_noise_x25519_init(struct lp2p_noise_x25519 *x)
{
	memset(x, 0, sizeof(*x));
	x->keygen = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
	x->fromdata = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
	if (!x->keygen || !x->fromdata ||
	    EVP_PKEY_keygen_init(x->keygen) != 1 ||
	    EVP_PKEY_fromdata_init(x->fromdata) != 1) {
		lp2p_noise_x25519_clear(x);
		ERR_clear_error();
		return LP2P_ECRYPTO;
	}
	return 0;
}

void lp2p_noise_x25519_clear(struct lp2p_noise_x25519 *x)
{
	EVP_PKEY_CTX_free(x->keygen);
	EVP_PKEY_CTX_free(x->fromdata);
	memset(x, 0, sizeof(*x));
}

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

int lp2p_noise_x25519_generate(struct lp2p_noise_x25519 *x,
                               struct lp2p_noise_keypair *kp)
{
	memset(kp, 0, sizeof(*kp));
	if (!x)
		kp->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	else if (EVP_PKEY_generate(x->keygen, &kp->pkey) != 1)
		kp->pkey = NULL;
	if (!kp->pkey) {
		ERR_clear_error();
		return LP2P_ECRYPTO;
	}
	return keypair_fill_public(kp);
}

int lp2p_noise_keypair_generate(struct lp2p_noise_keypair *kp)
{
	return lp2p_noise_x25519_generate(NULL, kp);
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
	EVP_PKEY_CTX_free(kp->derive);
	EVP_PKEY_free(kp->pkey);
	memset(kp, 0, sizeof(*kp));
}

/* OpenSSL's key for a peer's public key bytes. */
static EVP_PKEY *public_key(struct lp2p_noise_x25519 *x,
                            const uint8_t pub[LP2P_NOISE_DHLEN])
{
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[2];

	if (!x)
		return EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, pub,
		                                      LP2P_NOISE_DHLEN);
	/* fromdata only reads the octet string. */
	params[0] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, LP2P_NOISE_DHLEN);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata(x->fromdata, &pkey, EVP_PKEY_PUBLIC_KEY,
	                      params) != 1)
		return NULL;
	return pkey;
}

int lp2p_noise_dh(struct lp2p_noise_keypair *kp,
                  const uint8_t pub[LP2P_NOISE_DHLEN], EVP_PKEY **peer,
                  struct lp2p_noise_x25519 *x, uint8_t out[LP2P_NOISE_DHLEN])
{
	EVP_PKEY *own_peer = NULL, *key;
	size_t len = LP2P_NOISE_DHLEN;
	uint8_t acc = 0;
	int err = LP2P_ECRYPTO;

	if (!kp->pkey)
		return LP2P_EINVAL;
	key = peer ? *peer : NULL;
	if (!key) {
		key = public_key(x, pub);
		if (!key)
			goto out;
		if (peer)
			*peer = key;
		else
			own_peer = key;
	}
	if (!kp->derive) {
		kp->derive = EVP_PKEY_CTX_new_from_pkey(NULL, kp->pkey, NULL);
		if (!kp->derive || EVP_PKEY_derive_init(kp->derive) != 1)
			goto out;
	}
	/* No separate validation of the peer's key (OpenSSL would make yet
	 * another context for it): every 32 bytes are an X25519 public key,
	 * and the all-zero check below is what excludes low-order points. */
	if (EVP_PKEY_derive_set_peer_ex(kp->derive, key, 0) != 1 ||
	    EVP_PKEY_derive(kp->derive, out, &len) != 1 ||
	    len != LP2P_NOISE_DHLEN)
		goto out;
	/* OpenSSL already refuses an all-zero result (a low-order public
	 * key); check anyway, it is what makes the peer's key contribute. */
	for (size_t i = 0; i < LP2P_NOISE_DHLEN; i++)
		acc |= out[i];
	err = acc ? 0 : LP2P_ECRYPTO;
out:
	if (err) {
		/* A peer's bad public key is its fault, not an internal
		 * error: keep OpenSSL's error queue clean.  The derivation
		 * context starts afresh next time. */
		ERR_clear_error();
		OPENSSL_cleanse(out, LP2P_NOISE_DHLEN);
		EVP_PKEY_CTX_free(kp->derive);
		kp->derive = NULL;
	}
	EVP_PKEY_free(own_peer);
	return err;
}
