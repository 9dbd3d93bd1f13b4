/*
 * fuzz_multiaddr_bytes.c - a binary multiaddr that validates prints, and
 * the printed text parses back to the same bytes.  The accessors must
 * not misbehave on it either.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/multiaddr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[LP2P_MULTIADDR_STR_MAX];
	struct lp2p_multiaddr ma, back;
	struct lp2p_multiaddr_hostport hp;
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component c;
	struct lp2p_peer_id id;
	int n, rc;

	rc = lp2p_multiaddr_from_bytes(data, size, &ma);
	/* The iterator agrees with validation. */
	lp2p_multiaddr_iter_init(&it, data, size);
	while ((n = lp2p_multiaddr_iter_next(&it, &c)) > 0) {
		char v[LP2P_MULTIADDR_STR_MAX];
		if (lp2p_multiaddr_value_to_string(&c, v, sizeof v) < 0)
			abort();
	}
	if (size > 0 && size <= LP2P_MULTIADDR_MAX_LEN && (n == 0) != (rc == 0))
		abort();
	if (rc < 0)
		return 0;
	n = lp2p_multiaddr_to_string(&ma, text, sizeof text);
	if (n <= 0 || strlen(text) != (size_t)n)
		abort();
	if (lp2p_multiaddr_parse(text, (size_t)n, &back) != 0 ||
	    !lp2p_multiaddr_equal(&ma, &back))
		abort();
	if (lp2p_multiaddr_host_port(&ma, &hp) == 0 && hp.consumed > ma.len)
		abort();
	(void)lp2p_multiaddr_is_tcp(&ma);
	back = ma;
	if (lp2p_multiaddr_peer_id(&back, &id, true) == 0 &&
	    back.len >= ma.len)
		abort();
	back = ma;
	if (lp2p_multiaddr_decapsulate(&back, data[0]) == 0 &&
	    (back.len >= ma.len ||
	     (back.len > 0 && lp2p_multiaddr_validate(back.bytes, back.len))))
		abort();
	return 0;
}
