/*
 * memory_transport.h - an in-memory transport for tests: /memory/<u64>
 * addresses, byte pipes joined inside the process (internal).
 *
 * Not in the configuration's table (net/transport.c): a test enables it
 * with lp2p_swarm_add_transport(&host->swarm, &lp2p_transport_memory),
 * after lp2p_host_new and before listening on /memory/0.
 *
 * Listeners live in one registry for the whole process, without a lock:
 * every host using this transport must run on the same thread (tests
 * step the hosts' loops in turn).  Each transport instance belongs to one
 * loop and delivers the events of its pipe ends, its dials' results and
 * its listeners' accepts from that loop (an ev_check after every poll, an
 * ev_idle keeping the poll from blocking while some wait), never inside
 * the call that caused them.
 *
 * Pipes: what one end writes goes into the other end's inbound buffer,
 * at most LP2P_MEMORY_PIPE_CAP bytes (a write takes what fits: 0 when
 * full; the writer hears WRITABLE once the reader made room).  Events are
 * level-triggered, as ev_io's.  close() still delivers its pending bytes
 * (as the reader makes room), then the reader sees the end of input; what
 * is written to a closed end is discarded (as a lingering TCP socket
 * drains it).  abort() makes the other end's read and write fail
 * (LP2P_EIO, why "reset"), its unread input dropped.  A dial of a number
 * nobody listens on fails with LP2P_ENOTCONN (as TCP's refused connect).
 * A listener's accepts wait while it is paused.
 */
#ifndef LP2P_NET_MEMORY_TRANSPORT_H
#define LP2P_NET_MEMORY_TRANSPORT_H

#include "net/transport.h"

/* The inbound buffer of a pipe end. */
#define LP2P_MEMORY_PIPE_CAP (256u * 1024)

extern const struct lp2p_transport_ops lp2p_transport_memory;

/* The number of a /memory/<n> address; LP2P_ENOTSUP if ma is not one. */
int lp2p_memory_addr_number(const struct lp2p_multiaddr *ma, uint64_t *n);

#endif
