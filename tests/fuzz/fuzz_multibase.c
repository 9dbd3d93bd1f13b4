/*
 * fuzz_multibase.c - multibase decode of arbitrary text; strict decoding
 * makes encodings unique, so a decoded string re-encodes to itself.  The
 * raw input also round-trips through every base.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/multibase.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_IN 1024

static uint8_t dec[MAX_IN + 1];
static char enc[2 * MAX_IN + 8];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum lp2p_base bases[] = {LP2P_BASE16, LP2P_BASE32,
					       LP2P_BASE58BTC, LP2P_BASE64,
					       LP2P_BASE64URL};
	enum lp2p_base base;
	int n, m;

	if (size > MAX_IN)
		return 0;
	n = lp2p_multibase_decode((const char *)data, size, dec, sizeof dec,
				  &base);
	if (n >= 0) {
		if ((size_t)n > lp2p_base_decoded_max(base, size - 1))
			abort();
		m = lp2p_multibase_encode(base, dec, (size_t)n, enc,
					  sizeof enc);
		if (m < 0 || (size_t)m != size || memcmp(enc, data, size) != 0)
			abort();
	}
	for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
		m = lp2p_base_encode(bases[b], data, size, enc, sizeof enc);
		if (m < 0 || (size_t)m > lp2p_base_encoded_max(bases[b], size))
			abort();
		n = lp2p_base_decode(bases[b], enc, (size_t)m, dec, sizeof dec);
		if (n < 0 || (size_t)n != size || memcmp(dec, data, size) != 0)
			abort();
	}
	return 0;
}
