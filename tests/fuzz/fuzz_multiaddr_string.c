/*
 * fuzz_multiaddr_string.c - text that parses prints in canonical form,
 * and the canonical form parses to the same bytes and prints identically.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/multiaddr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[LP2P_MULTIADDR_STR_MAX], again[LP2P_MULTIADDR_STR_MAX];
	struct lp2p_multiaddr ma, back;
	int n, m;

	if (lp2p_multiaddr_parse((const char *)data, size, &ma) != 0)
		return 0;
	if (ma.len == 0 || lp2p_multiaddr_validate(ma.bytes, ma.len) != 0)
		abort();
	n = lp2p_multiaddr_to_string(&ma, text, sizeof text);
	if (n <= 0)
		abort();
	if (lp2p_multiaddr_parse(text, (size_t)n, &back) != 0 ||
	    !lp2p_multiaddr_equal(&ma, &back))
		abort();
	m = lp2p_multiaddr_to_string(&back, again, sizeof again);
	if (m != n || memcmp(text, again, (size_t)n) != 0)
		abort();
	return 0;
}
