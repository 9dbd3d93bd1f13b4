/*
 * fuzz_tls_cert.c - the libp2p certificate checks over arbitrary DER
 * (what a remote sends in its Certificate message).  A certificate that
 * passes must name a peer whose id matches the key it carries.
 */
#include <stdlib.h>

#include <openssl/err.h>

#include "security/tls_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	struct lp2p_tls_remote remote;
	char why[LP2P_TLS_REASON_MAX];
	X509 *x;
	int rc, x509_err;

	x = d2i_X509(NULL, &p, (long)size);
	if (!x) {
		ERR_clear_error();
		return 0;
	}
	/* 2030-01-01: the seeds are valid then */
	why[0] = '\0';
	rc = lp2p_tls_cert_verify(&x, 1, 1893456000, NULL, &remote, why,
	                          sizeof(why), &x509_err);
	if (rc == 0) {
		if (x509_err != X509_V_OK ||
		    lp2p_peer_id_matches_key(&remote.peer, remote.key) != 1)
			abort();
		lp2p_key_free(remote.key);
	} else if (why[0] == '\0' || x509_err == X509_V_OK) {
		abort();
	}
	X509_free(x);
	ERR_clear_error();
	return 0;
}
