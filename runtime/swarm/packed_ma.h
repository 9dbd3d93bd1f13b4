/*
 * packed_ma.h - a multiaddr kept at its own length (internal).
 *
 * struct lp2p_multiaddr reserves LP2P_MULTIADDR_MAX_LEN (512) bytes, but
 * the addresses a connection or the peerstore holds are mostly 8 (ip4 and
 * a port) to 20 (ip6 and a port) bytes.  Up to LP2P_PACKED_MA_INLINE bytes live inside the
 * holder; a longer one (a dns name, an ip6zone) gets one heap allocation of
 * its exact length.
 */
#ifndef LP2P_SWARM_PACKED_MA_H
#define LP2P_SWARM_PACKED_MA_H

#include <stdbool.h>

#include <lp2p/multiaddr.h>

/* ip6 and a port with a zone of up to 10 characters, dns4 and a port with
 * a name of 27 */
#define LP2P_PACKED_MA_INLINE 32

struct lp2p_packed_ma {
	uint16_t len; /* the binary form's length; 0: empty */
	union {
		uint8_t inline_bytes[LP2P_PACKED_MA_INLINE]; /* len <= INLINE */
		uint8_t *heap;                               /* len > INLINE */
	} u;
};

/* An empty one needs no call: zero-initialised is empty. */

/* Store a copy of ma (replacing what p held).  LP2P_ENOMEM: p unchanged. */
int lp2p_packed_ma_set(struct lp2p_packed_ma *p,
                       const struct lp2p_multiaddr *ma);

/* Copy the stored multiaddr out (len 0 when empty). */
void lp2p_packed_ma_get(const struct lp2p_packed_ma *p,
                        struct lp2p_multiaddr *out);

/* The binary form (p->len bytes). */
const uint8_t *lp2p_packed_ma_bytes(const struct lp2p_packed_ma *p);

bool lp2p_packed_ma_equal(const struct lp2p_packed_ma *p,
                          const struct lp2p_multiaddr *ma);

/* Free a heap copy; p becomes empty. */
void lp2p_packed_ma_release(struct lp2p_packed_ma *p);

#endif
