/* tcp.h - non-blocking TCP listen and dial on the swarm loop (internal) */
#ifndef LP2P_NET_TCP_H
#define LP2P_NET_TCP_H

#include <stdbool.h>
#include <sys/socket.h>

#include "loop/loop.h"

struct lp2p_tcp_listener;

/* A new connection; fd is non-blocking, TCP_NODELAY, owned by the callee.
 * Returning nonzero asks the listener to pause accepting (e.g. at a
 * connection cap) until lp2p_tcp_listener_resume(). */
typedef int (*lp2p_tcp_accept_fn)(void *arg, int fd,
                                  const struct sockaddr_storage *remote,
                                  socklen_t remote_len);

/*
 * Listen on sa (SO_REUSEADDR; IPV6_V6ONLY for IPv6 so ip4 and ip6 can both
 * be configured on one port).  On failure err says why (e.g. address in
 * use).  EMFILE/ENFILE on accept pause accepting for a short back-off
 * instead of spinning.
 */
int lp2p_tcp_listen(struct lp2p_loop *loop, const struct sockaddr *sa,
                    socklen_t salen, lp2p_tcp_accept_fn cb, void *arg,
                    struct lp2p_tcp_listener **out, char *err, size_t errlen);
/* The bound address (the real port when 0 was asked). */
int lp2p_tcp_listener_addr(const struct lp2p_tcp_listener *l,
                           struct sockaddr_storage *ss, socklen_t *len);
void lp2p_tcp_listener_pause(struct lp2p_tcp_listener *l);
void lp2p_tcp_listener_resume(struct lp2p_tcp_listener *l);
void lp2p_tcp_listener_close(struct lp2p_tcp_listener *l);

struct lp2p_tcp_dial;

/* status 0 with a connected non-blocking fd, or a negative code (fd -1). */
typedef void (*lp2p_tcp_dial_fn)(void *arg, int status, int fd);

/*
 * Connect to sa without blocking; cb runs later on the loop exactly once,
 * unless the dial is canceled first.  timeout_ms 0 means no timeout.
 */
int lp2p_tcp_dial(struct lp2p_loop *loop, const struct sockaddr *sa,
                  socklen_t salen, uint64_t timeout_ms, lp2p_tcp_dial_fn cb,
                  void *arg, struct lp2p_tcp_dial **out);
/* Cancel a pending dial: cb is not called; the socket is closed. */
void lp2p_tcp_dial_cancel(struct lp2p_tcp_dial *d);

/* Apply the options every connected socket gets (non-blocking, nodelay). */
int lp2p_tcp_setup_socket(int fd);

#endif
