/*
 * fuzz_tls_ext.c - the SignedKey parser of the libp2p TLS extension over
 * arbitrary bytes.  Whatever parses must be DER: writing the two fields
 * back gives exactly the input.
 */
#include <stdlib.h>
#include <string.h>

#include "security/tls_ext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lp2p_tls_signed_key sk;
	const char *why = NULL;
	uint8_t *buf;
	size_t cap;
	int n;

	if (lp2p_tls_signed_key_parse(data, size, &sk, &why) != 0) {
		if (!why)
			abort();
		return 0;
	}
	if (sk.key < data || sk.key + sk.key_len > data + size ||
	    sk.sig < data || sk.sig + sk.sig_len > data + size)
		abort();
	cap = lp2p_tls_signed_key_size(sk.key_len, sk.sig_len);
	if (cap != size)
		abort();
	buf = malloc(cap);
	if (!buf)
		abort();
	n = lp2p_tls_signed_key_write(buf, cap, sk.key, sk.key_len, sk.sig,
	                              sk.sig_len);
	if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
		abort();
	free(buf);
	return 0;
}
