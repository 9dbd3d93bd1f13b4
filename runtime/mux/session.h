/*
 * mux/session.h - a muxed session as the swarm sees it: one table of
 * operations per stream multiplexer, looked up by configuration name or
 * protocol id, as security/secure.h does for secure channels.  Nothing
 * above this header names yamux or mplex.
 *
 * The operations have the meaning of the lp2p_mux_* calls in mux/mux.h
 * (the byte-pipe muxers implement them); a transport with security and
 * multiplexing of its own (QUIC) will provide a table of its own.
 */
#ifndef LP2P_MUX_SESSION_H
#define LP2P_MUX_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mux/mux.h"

/* What a session can do, beyond the operations every one has. */
enum lp2p_session_caps {
	/* Per-stream receive windows: a paused stream stops its sender
	 * by itself.  Without them, the connection stops reading when its
	 * paused streams hold too much (the only backpressure there is). */
	LP2P_SESSION_FLOW_CONTROL = 1u << 0,
	/* Round-trip pings in the session (lp2p_mux_ping). */
	LP2P_SESSION_PING = 1u << 1,
};

struct lp2p_session_ops {
	const char *name;        /* configuration name: "yamux" */
	const char *protocol_id; /* multistream-select id (static) */
	unsigned caps;           /* enum lp2p_session_caps */
	int (*new_session)(void **session, bool initiator,
	                   const struct lp2p_mux_config *cfg,
	                   const struct lp2p_mux_callbacks *cbs,
	                   void *user_data);
	void (*free_session)(void *session);
	ssize_t (*recv)(void *session, const uint8_t *buf, size_t len);
	size_t (*out_peek)(void *session, uint8_t **buf);
	void (*out_ack)(void *session, size_t n);
	int (*open)(void *session, void *stream_data, uint64_t *id);
	ssize_t (*write)(void *session, uint64_t id, const uint8_t *data,
	                 size_t len);
	int (*close)(void *session, uint64_t id);
	int (*reset)(void *session, uint64_t id);
	int (*consumed)(void *session, uint64_t id, size_t n);
	/* No new streams either way; tells the peer where the protocol
	 * can (a normal GoAway). */
	int (*goaway)(void *session);
	/* Give back idle buffers. */
	void (*trim)(void *session);
};

extern const struct lp2p_session_ops lp2p_session_yamux;
extern const struct lp2p_session_ops lp2p_session_mplex;

/* The session with this configuration name / protocol id, or NULL. */
const struct lp2p_session_ops *lp2p_session_by_name(const char *name);
const struct lp2p_session_ops *lp2p_session_by_protocol(const char *id);

#endif
