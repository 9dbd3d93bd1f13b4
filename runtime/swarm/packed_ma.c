/* packed_ma.c - multiaddrs stored at their own length */
#include <stdlib.h>
#include <string.h>

#include "swarm/packed_ma.h"

const uint8_t *lp2p_packed_ma_bytes(const struct lp2p_packed_ma *p)
{
	return p->len > LP2P_PACKED_MA_INLINE ? p->u.heap : p->u.inline_bytes;
}

void lp2p_packed_ma_release(struct lp2p_packed_ma *p)
{
	if (p->len > LP2P_PACKED_MA_INLINE)
		free(p->u.heap);
	*p = (struct lp2p_packed_ma){0};
}

int lp2p_packed_ma_set(struct lp2p_packed_ma *p,
                       const struct lp2p_multiaddr *ma)
{
	struct lp2p_packed_ma next = {.len = ma->len};
	if (ma->len > LP2P_PACKED_MA_INLINE) {
		next.u.heap = malloc(ma->len);
		if (!next.u.heap)
			return LP2P_ENOMEM;
		memcpy(next.u.heap, ma->bytes, ma->len);
	} else if (ma->len) {
		memcpy(next.u.inline_bytes, ma->bytes, ma->len);
	}
	lp2p_packed_ma_release(p);
	*p = next;
	return 0;
}

void lp2p_packed_ma_get(const struct lp2p_packed_ma *p,
                        struct lp2p_multiaddr *out)
{
	out->len = p->len;
	if (p->len)
		memcpy(out->bytes, lp2p_packed_ma_bytes(p), p->len);
}

bool lp2p_packed_ma_equal(const struct lp2p_packed_ma *p,
                          const struct lp2p_multiaddr *ma)
{
	return p->len == ma->len &&
	       (p->len == 0 ||
	        memcmp(lp2p_packed_ma_bytes(p), ma->bytes, p->len) == 0);
}
