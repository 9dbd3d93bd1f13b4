/*
 * noise_algs.c - the hash and the cipher of Noise_XX_25519_ChaChaPoly_SHA256,
 * fetched from OpenSSL once per process (see noise_internal.h).
 */
#include <pthread.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "security/noise_internal.h"

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256;
static EVP_CIPHER *chachapoly;

/* Fetched objects are reference-counted and immutable: every thread may
 * use them.  They are never released; the process's exit does. */
static void fetch_algorithms(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	chachapoly = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (!sha256 || !chachapoly)
		ERR_clear_error(); /* reported as LP2P_ECRYPTO at each use */
}

const EVP_MD *lp2p_noise_sha256(void)
{
	pthread_once(&fetch_once, fetch_algorithms);
	return sha256;
}

const EVP_CIPHER *lp2p_noise_chachapoly(void)
{
	pthread_once(&fetch_once, fetch_algorithms);
	return chachapoly;
}
