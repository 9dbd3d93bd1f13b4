/* resolve.h - host name resolution that does not block the loop (internal):
 * getaddrinfo(3) runs on a short-lived worker thread and the answer is
 * posted back to the loop thread. */
#ifndef LP2P_NET_RESOLVE_H
#define LP2P_NET_RESOLVE_H

#include <sys/socket.h>

#include "loop/loop.h"

#define LP2P_RESOLVE_MAX 8

struct lp2p_resolved {
	size_t n;
	struct sockaddr_storage addr[LP2P_RESOLVE_MAX];
	socklen_t len[LP2P_RESOLVE_MAX];
};

struct lp2p_resolve;

/* status 0 with at least one address (port filled in), or a negative code;
 * res is valid during the call. */
typedef void (*lp2p_resolve_fn)(void *arg, int status,
                                const struct lp2p_resolved *res);

/*
 * Resolve name for family (AF_INET, AF_INET6 or AF_UNSPEC) with port.
 * cb runs once on the loop thread unless canceled first.
 */
int lp2p_resolve_start(struct lp2p_loop *loop, const char *name, int family,
                       uint16_t port, lp2p_resolve_fn cb, void *arg,
                       struct lp2p_resolve **out);
/* Loop thread only, and only before cb ran: cb will not be called. */
void lp2p_resolve_cancel(struct lp2p_resolve *r);

#endif
