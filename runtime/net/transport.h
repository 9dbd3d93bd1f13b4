/*
 * net/transport.h - transports as the swarm sees them: each listens and
 * dials, and what it produces is a byte pipe (ordered, reliable,
 * non-blocking: a TCP socket; later a WebSocket after its HTTP upgrade, a
 * relayed stream).  The swarm runs the upgrade over the pipe.  One table
 * of operations per transport, looked up by configuration name, so
 * nothing in the swarm names TCP.  Internal.
 *
 * Everything runs on the swarm's loop.  Callbacks never run inside the
 * call that caused them (a dial's result, an accept, pipe events all come
 * from the loop).
 */
#ifndef LP2P_NET_TRANSPORT_H
#define LP2P_NET_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lp2p/multiaddr.h>

#include "loop/loop.h"

struct lp2p_pipe;

enum lp2p_pipe_events {
	LP2P_PIPE_READABLE = 1,
	LP2P_PIPE_WRITABLE = 2,
};

/* The pipe can be read or written again (events: enum lp2p_pipe_events). */
typedef void (*lp2p_pipe_event_fn)(void *arg, struct lp2p_pipe *p,
                                   int events);
/* A closed pipe is gone for good: held bytes of its last output (charged
 * to the system scope by the caller of close) are released. */
typedef void (*lp2p_pipe_gone_fn)(void *arg, size_t held);

struct lp2p_pipe_ops {
	/* Read up to cap bytes: the count, 0 when the peer ended its
	 * side, LP2P_EAGAIN when nothing is there, or an error (LP2P_EIO;
	 * p->why says what happened). */
	ssize_t (*read)(struct lp2p_pipe *p, uint8_t *buf, size_t cap);
	/* Write: the bytes taken (possibly 0), or an error as read. */
	ssize_t (*write)(struct lp2p_pipe *p, const uint8_t *buf, size_t len);
	/* Which events the owner wants to hear of. */
	void (*watch)(struct lp2p_pipe *p, bool read, bool write);
	/* Whether the peer ended its side, asked while we do not read
	 * (its end waits behind unread data).  false when unknown. */
	bool (*remote_closed)(struct lp2p_pipe *p);
	/* Our end of it (empty if the pipe has none). */
	void (*local_addr)(struct lp2p_pipe *p, struct lp2p_multiaddr *out);
	/*
	 * Close: pending[0..len) (the last frames, a GoAway) still goes out
	 * if it can, and the pipe goes down gracefully (TCP: our side shut,
	 * the peer's input drained for a short while, so its orderly close
	 * does not become a reset).  The pipe is the transport's from here.
	 * Returns the count of pending bytes it keeps meanwhile; gone runs
	 * with that count once it is closed for good (until then its
	 * descriptor, if it holds one, is still in use): from the loop, or
	 * inside the call when the pipe could not linger (out of memory).
	 */
	size_t (*close)(struct lp2p_pipe *p, const uint8_t *pending,
	                size_t len, lp2p_pipe_gone_fn gone, void *gone_arg);
	/* Close at once, nothing more sent (a refused connection). */
	void (*abort)(struct lp2p_pipe *p);
};

/* The part of every pipe the owner sees. */
struct lp2p_pipe {
	const struct lp2p_pipe_ops *ops;
	lp2p_pipe_event_fn on_event; /* set by the owner */
	void *arg;
	bool holds_fd;   /* a descriptor: counted in the resource scopes */
	const char *why; /* the last error in words (static or the pipe's) */
};

/* An inbound pipe; the callee owns it (refusing: close it).  Returning
 * nonzero pauses the listener (a connection cap) until resumed. */
typedef int (*lp2p_pipe_accept_fn)(void *arg, struct lp2p_pipe *p,
                              const struct lp2p_multiaddr *remote);
/* A dial's result: status 0 with a connected pipe, or an error. */
typedef void (*lp2p_dial_done_fn)(void *arg, int status, struct lp2p_pipe *p);

struct lp2p_transport_ops {
	const char *name; /* configuration name: "tcp" */
	/* Whether ma (resolved: no dns, no /p2p) is this transport's. */
	bool (*handles)(const struct lp2p_multiaddr *ma);
	/* Per-host state (lingering sockets...); freed with free. */
	int (*new_transport)(struct lp2p_loop *loop, void **ctx);
	void (*free_transport)(void *ctx);
	/* Listen on ma; *bound gets the address with its real port.  err
	 * says why not (one line, without the address). */
	int (*listen)(void *ctx, const struct lp2p_multiaddr *ma,
	              lp2p_pipe_accept_fn cb, void *arg, void **listener,
	              struct lp2p_multiaddr *bound, char *err, size_t errlen);
	void (*listener_pause)(void *listener, bool pause);
	void (*listener_close)(void *listener);
	/* Dial ma; cb runs once, from the loop, unless cancelled.
	 * timeout_ms 0: none. */
	int (*dial)(void *ctx, const struct lp2p_multiaddr *ma,
	            uint64_t timeout_ms, lp2p_dial_done_fn cb, void *arg,
	            void **dial);
	void (*dial_cancel)(void *dial);
};

extern const struct lp2p_transport_ops lp2p_transport_tcp;

/* The transport with this configuration name, or NULL. */
const struct lp2p_transport_ops *lp2p_transport_by_name(const char *name);
/* The transport of this build that handles ma, or NULL. */
const struct lp2p_transport_ops *
lp2p_transport_for_addr(const struct lp2p_multiaddr *ma);

#endif
