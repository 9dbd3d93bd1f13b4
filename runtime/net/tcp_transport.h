/* tcp_transport.h - the TCP transport's state (internal to runtime/net) */
#ifndef LP2P_NET_TCP_TRANSPORT_H
#define LP2P_NET_TCP_TRANSPORT_H

#include "net/transport.h"

struct lp2p_tcp_linger;

struct lp2p_tcp_transport {
	struct lp2p_loop *loop;
	struct lp2p_tcp_linger *lingering; /* sockets closing gracefully */
};

/* tcp_linger.c: close fd gracefully (pending sent, our side shut down,
 * input drained); returns the pending bytes kept meanwhile; gone runs
 * when it is closed. */
size_t lp2p_tcp_linger(struct lp2p_tcp_transport *t, int fd,
                     const uint8_t *pending, size_t len,
                     lp2p_pipe_gone_fn gone, void *gone_arg);
void lp2p_tcp_linger_close_all(struct lp2p_tcp_transport *t);

/* The socket of a TCP pipe, or -1 for another pipe (white-box tests). */
int lp2p_tcp_pipe_fd(const struct lp2p_pipe *p);

#endif
