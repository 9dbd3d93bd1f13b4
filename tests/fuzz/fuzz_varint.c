/* fuzz_varint.c - decode, and a decoded value re-encodes to the same bytes */
#include <stdlib.h>
#include <string.h>

#include <lp2p/varint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v;
	uint8_t buf[LP2P_VARINT_MAX_LEN];
	int n = lp2p_varint_decode(data, size, &v);
	if (n < 0)
		return 0;
	/* Minimal encoding is enforced, so the encoding is unique. */
	if (lp2p_varint_encode(v, buf, sizeof buf) != n ||
	    memcmp(buf, data, (size_t)n) != 0 ||
	    lp2p_varint_len(v) != (size_t)n)
		abort();
	return 0;
}
