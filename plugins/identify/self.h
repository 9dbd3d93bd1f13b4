/* self.h - this node's announced addresses and signed peer record */
#ifndef LP2P_IDENTIFY_SELF_H
#define LP2P_IDENTIFY_SELF_H

#include <lp2p/host.h>
#include <lp2p/multiaddr.h>

#include "identify/record.h"

struct identify_self {
	struct lp2p_multiaddr addrs[IDENTIFY_MAX_ADDRS]; /* as last signed */
	size_t naddrs;
	uint64_t seq;
	uint8_t record[RECORD_MAX_ENVELOPE]; /* signed envelope */
	size_t record_len;                   /* 0: none yet */
};

/*
 * The addresses to announce, up to max: the host's listen addresses, a
 * wildcard (0.0.0.0, ::) replaced by the matching addresses of every
 * interface (IPv6 link-local ones left out).  Returns the count.
 */
size_t identify_announce_addrs(lp2p_host *h, struct lp2p_multiaddr *out,
                               size_t max);

/*
 * Re-sign the record when the announced addresses changed (or none was
 * made yet).  Returns 1 when they changed, 0 when not, or a negative code
 * (then no record is sent until a later refresh succeeds).
 */
int identify_self_refresh(struct identify_self *s, lp2p_host *h);

#endif
