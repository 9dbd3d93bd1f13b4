/* peerstore.h - the peerstore's internals (internal) */
#ifndef LP2P_HOST_PEERSTORE_H
#define LP2P_HOST_PEERSTORE_H

#include <lp2p/peerstore.h>

struct lp2p_peer_record;

struct lp2p_peerstore {
	struct lp2p_peer_record **buckets;
	size_t nbuckets;
	size_t npeers;
	uint64_t now_ms; /* the clock the last call saw */
};

void lp2p_peerstore_init(struct lp2p_peerstore *ps);
void lp2p_peerstore_fini(struct lp2p_peerstore *ps);

struct lp2p_peer_record *lp2p_peerstore_find(struct lp2p_peerstore *ps,
                                             const struct lp2p_peer_id *id);

int lp2p_peerstore_add(struct lp2p_peerstore *ps,
                       const struct lp2p_peer_id *peer,
                       const struct lp2p_multiaddr *ma, uint64_t ttl_ms,
                       uint64_t now_ms);

/* Unexpired addresses that usable(arg, ma) accepts (a transport can
 * dial them), freshest first. */
size_t lp2p_peerstore_dialable_addrs(
	struct lp2p_peerstore *ps, const struct lp2p_peer_id *peer,
	uint64_t now_ms,
	bool (*usable)(void *arg, const struct lp2p_multiaddr *ma), void *arg,
	struct lp2p_multiaddr *out, size_t max);

#endif
