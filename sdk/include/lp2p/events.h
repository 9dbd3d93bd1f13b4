/*
 * lp2p/events.h - the events the runtime and the shipped plugins publish
 * (see lp2p_host_publish() in lp2p/host.h): one type string and one struct
 * each.
 *
 * The payload contract, for these types and for any a plugin defines:
 *
 *  - The payload is a struct whose first member is `uint32_t size`, set
 *    by the publisher to sizeof the struct as it was compiled; the
 *    publisher passes the struct and that size:
 *
 *        struct lp2p_event_ping_rtt ev = {.size = sizeof ev, ...};
 *        lp2p_host_publish(h, LP2P_EVENT_PING_RTT, &ev, sizeof ev);
 *
 *    The runtime refuses (LP2P_EINVAL) a publish of a type named here
 *    whose payload is not its struct: len shorter than the struct's first
 *    version, or different from the size member.
 *  - The payload is copied and delivered later, suitably aligned for the
 *    struct, and is valid only during the handler call (or subscriber
 *    callback).  So the structs hold values (peer ids, multiaddrs, fixed
 *    arrays), not pointers, except where a pointer is documented as
 *    static.
 *  - Structs are append-only: a new field goes at the end, and the type
 *    string never changes.  A subscriber built against a newer header may
 *    get an older, shorter struct: it reads a field added after the first
 *    version only when LP2P_EVENT_HAS(ev, field).  One built against an
 *    older header reads the prefix it knows.  For the types named here a
 *    subscriber may cast data to the struct at once: the runtime
 *    delivers at least the first version.
 *
 * Event types are stable interface: these strings and the fields of each
 * struct's first version do not change within a plugin ABI.
 */
#ifndef LP2P_EVENTS_H
#define LP2P_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <lp2p/common.h>
#include <lp2p/multiaddr.h>
#include <lp2p/peer_id.h>
#include <lp2p/swarm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether the event struct *ev (with its size member) holds field. */
#define LP2P_EVENT_HAS(ev, field)                                            \
	((size_t)((const char *)&(ev)->field - (const char *)(ev)) +         \
	         sizeof((ev)->field) <=                                      \
	 (size_t)(ev)->size)

/* ---- the host ---- */

/*
 * "conn.opened": a connection is ready (secured, multiplexed, peer id
 * verified), published just before the plugins' handle_new_connection.
 * "conn.closed": a connection that was announced as opened closed,
 * published just before the plugins' handle_closed_connection.  Every
 * "conn.opened" is followed by one "conn.closed" with the same conn_id
 * (unless the host is freed with the events still queued).
 *
 * The handlers see the connection itself; these events are for what
 * does not hold it: embedders, and plugins that keep statistics or
 * react to peers coming and going without touching the connection.  By
 * the time an event is delivered the connection may be gone: conn_id
 * identifies it (lp2p_conn_id()), it is not a handle.
 */
#define LP2P_EVENT_CONN_OPENED "conn.opened"
#define LP2P_EVENT_CONN_CLOSED "conn.closed"
struct lp2p_event_conn {
	uint32_t size;
	enum lp2p_direction direction;
	uint64_t conn_id; /* lp2p_conn_id() */
	struct lp2p_peer_id peer;
	/* "/noise", "/yamux/1.0.0", ...: static strings of liblp2p */
	const char *security;
	const char *muxer;
	/* closed: 0 when this side closed it (lp2p_conn_close, the
	 * connection manager), else why (LP2P_ECLOSED: the peer closed it;
	 * LP2P_ETIMEDOUT, LP2P_ELIMIT, LP2P_EIO, ...); opened: 0 */
	int32_t reason;
	/* closed: milliseconds since the connection began (its socket);
	 * opened: 0 */
	uint64_t duration_ms;
	struct lp2p_multiaddr remote_addr; /* lp2p_conn_remote_addr() */
	struct lp2p_multiaddr local_addr;  /* lp2p_conn_local_addr() */
};

/*
 * "host.listen_addrs": the host began listening on addr (the bound
 * address, port 0 resolved); count is how many addresses it listens on
 * now (lp2p_host_listen_addrs()).  Published once per address.
 */
#define LP2P_EVENT_HOST_LISTEN_ADDRS "host.listen_addrs"
struct lp2p_event_listen_addrs {
	uint32_t size;
	uint32_t count;
	struct lp2p_multiaddr addr;
};

/*
 * "host.protocols": the protocols the host accepts changed: protocol was
 * added (lp2p_host_add_protocol(), added true) or removed
 * (lp2p_host_remove_protocol(), added false).  count is how many the host
 * accepts now (lp2p_host_protocols()).
 */
#define LP2P_EVENT_HOST_PROTOCOLS "host.protocols"
#define LP2P_EVENT_PROTOCOL_MAX 1024 /* the longest protocol id */
struct lp2p_event_protocols {
	uint32_t size;
	uint32_t count;
	bool added;
	char protocol[LP2P_EVENT_PROTOCOL_MAX + 1]; /* NUL-terminated */
};

/* ---- identify (plugins/identify) ---- */

/*
 * "identify.peer": peer's identify answer (push false) or push (push
 * true) was taken into the peerstore; read it with
 * lp2p_host_metadata_for_peer().
 */
#define LP2P_EVENT_IDENTIFY_PEER "identify.peer"
struct lp2p_event_identify_peer {
	uint32_t size;
	bool push;
	struct lp2p_peer_id peer;
};

/*
 * "identify.observed_addr": peer says it sees us at addr (the
 * observedAddr of its identify answer).  Not checked: one peer's word.
 */
#define LP2P_EVENT_IDENTIFY_OBSERVED_ADDR "identify.observed_addr"
struct lp2p_event_observed_addr {
	uint32_t size;
	struct lp2p_peer_id peer;
	struct lp2p_multiaddr addr;
};

/* ---- ping (plugins/ping) ---- */

/*
 * "ping.rtt": a ping to peer on connection conn_id came back after
 * rtt_us microseconds (also stored in the peerstore as "ping.rtt_us",
 * a native uint64_t).
 */
#define LP2P_EVENT_PING_RTT "ping.rtt"
struct lp2p_event_ping_rtt {
	uint32_t size;
	struct lp2p_peer_id peer;
	uint64_t rtt_us;
	uint64_t conn_id;
};

#ifdef __cplusplus
}
#endif
#endif
