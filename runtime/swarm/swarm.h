/* swarm.h - connections, streams and the upgrade pipeline (internal) */
#ifndef LP2P_SWARM_INTERNAL_H
#define LP2P_SWARM_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include <lp2p/crypto.h>
#include <lp2p/swarm.h>

#include "config/config.h"
#include "loop/loop.h"
#include "multistream/mss.h"
#include "mux/session.h"
#include "net/resolve.h"
#include "net/transport.h"
#include "resource/resource.h"
#include "security/secure.h"
#include "upgrade/upgrader.h"
#include "core/buf.h"
#include "swarm/write_meter.h"
#include "swarm/packed_ma.h"

struct lp2p_plugin;
struct lp2p_dial;

/* Bytes read from a socket per read(2) call, into the swarm's scratch. */
#define LP2P_SWARM_READ_CHUNK (256u * 1024)
/* Stop pulling muxer output while this much is waiting for the socket.
 * The shared write buffer holds this plus one muxer output batch. */
#define LP2P_CONN_WBUF_HIWAT (1u << 20)
#define LP2P_CONN_MAX_PROTECT 16
/* Receive window per stream, for sessions with flow control. */
#define LP2P_CONN_STREAM_WINDOW (1u << 20)
/* Data held for paused streams of one connection before it stops reading. */
#define LP2P_CONN_HELD_MAX (1u << 20)
/* Under a private network, the longest wait for the peer's first bytes
 * to prove it shares our key (it answers at once if it does). */
#define LP2P_CONN_PNET_CHECK_MS 5000
/* Seconds between looks at a peer while reading is held. */
#define LP2P_CONN_HELD_TICK 0.5

enum lp2p_conn_state {
	CONN_UPGRADING, /* the upgrader runs: security, muxer choice */
	CONN_READY,     /* streams flow */
	CONN_DEAD,          /* closed; memory freed when the last ref goes */
};

struct lp2p_conn {
	struct lp2p_conn *prev, *next; /* swarm->conns */
	struct lp2p_conn *dirty_next;  /* swarm->dirty (pending output) */
	struct lp2p_swarm *sw;
	uint64_t id;
	int refs;
	int close_reason; /* why it died */
	uint8_t state;    /* enum lp2p_conn_state */
	uint8_t dir;      /* enum lp2p_direction */
	/* flags, together (an idle connection's size is the benchmark's
	 * memory per connection) */
	bool dirty;
	bool announced;   /* handle_new_connection delivered */
	bool watch_read, watch_write; /* what the pipe reports */
	bool reading_paused; /* session output full: stop reading */
	bool reading_held;   /* paused streams hold too much: stop reading */
	bool have_expected_peer;

	/* Until ready, the upgrade's deadline (handshake_timeout); once
	 * ready, the tick that watches the peer while reading is held.  The
	 * two never overlap, so they share a watcher. */
	ev_timer phase_timer;
	ev_timer stall_timer; /* output pending and the pipe takes none */
	struct lp2p_write_meter out_rate; /* limits.min_write_rate */
	struct lp2p_pipe *pipe; /* the transport's byte pipe; NULL once dead */
	uint64_t held_since_ms;
	size_t held_total;   /* bytes held for paused streams */
	size_t accounted;    /* buffer bytes charged to its scope */
	struct lp2p_rc_scope rc; /* up: transient or its peer; system */

	/* at their own length: a struct lp2p_multiaddr is 514 bytes */
	struct lp2p_packed_ma remote_addr, local_addr;
	/* The authenticated remote once secure; before that the peer a dial
	 * expects (if have_expected_peer), which the handshake checks. */
	struct lp2p_peer_id peer;
	uint8_t ip_key[17]; /* inbound: family + IPv4 address or IPv6 /56 */

	const char *security; /* static protocol id once ready */
	const char *muxer;
	struct lp2p_pnet *pnet;   /* a private network's cipher, or NULL */
	struct lp2p_upgrader *up; /* while upgrading */
	const struct lp2p_secure_ops *sec; /* once ready: the secure channel */
	void *session;
	const struct lp2p_session_ops *mx; /* the muxed session's table */
	void *mux;                         /* and the session */

	struct lp2p_buf rx_keep;    /* unconsumed wire bytes (partial frame) */
	struct lp2p_buf plain_keep; /* decrypted, not yet taken by the muxer */
	struct lp2p_buf wbuf;       /* wire bytes waiting for the pipe */

	struct lp2p_stream *streams; /* open streams (list) */
	size_t nstreams;             /* including those waiting to open */
	/* outbound opens the session could not take yet (ACK backlog,
	 * output full), oldest first; also on the streams list */
	struct lp2p_stream *open_wait_head, *open_wait_tail;
	uint64_t opened_ms;
	uint64_t last_active_ms;
	const char **protect; /* tags (kept, not copied); NULL when none */
	size_t nprotect;
	struct lp2p_conn_slot *slots; /* lp2p_conn_set_data(); NULL: none */
	size_t nslots;

	struct lp2p_dial *dial; /* the outbound attempt that made it */
};

enum lp2p_stream_state {
	STREAM_WAITING, /* outbound: queued until the muxer can open it */
	STREAM_NEGOTIATING,
	STREAM_OPEN,
	STREAM_DEAD,
};

struct lp2p_stream {
	struct lp2p_stream *prev, *next;           /* conn->streams */
	struct lp2p_stream *wait_prev, *wait_next; /* STREAM_WAITING */
	struct lp2p_conn *conn;
	uint64_t mux_id; /* not before STREAM_NEGOTIATING */
	int refs;
	enum lp2p_stream_state state;
	enum lp2p_direction dir;
	struct lp2p_mss *mss;
	/* Until the protocol is settled (an optimistic one confirmed):
	 * limits.negotiation_timeout.  Then the stream's deadlines, if it
	 * has any: one watcher, armed for the nearer of the two and
	 * re-armed when it fires early; activity only updates active_ms. */
	ev_timer timer;
	uint32_t idle_ms, total_ms; /* deadlines, 0: none */
	uint64_t start_ms;          /* loop time the stream began */
	uint64_t active_ms;         /* data last moved, either way */
	char *protocol; /* negotiated protocol id */
	struct lp2p_stream_handler handler;
	void *user;
	bool local_closed, remote_closed;
	bool remote_close_told; /* on_remote_close was delivered */
	bool paused;
	bool notify_close; /* on_close still to be delivered */
	bool failed_open;  /* the open callback gets the failure */
	/* Opened optimistically: handed over before the listener confirmed
	 * the protocol (s->mss still reads its answer). */
	bool optimistic;
	struct lp2p_stream *opened_next; /* sw->opened_streams */
	int close_reason;
	struct lp2p_rc_scope rc; /* up: connection, peer, transient or
	                          * protocol (+ plugin), system */
	struct lp2p_buf held; /* data received while paused */
	/* lp2p_stream_send(): bytes the muxer did not take yet, charged to
	 * the stream's scope; our FIN waits for them (fin_after_drain) */
	struct lp2p_buf sendq;
	bool fin_after_drain;
	struct lp2p_stream_msg *msg; /* lp2p_stream_set_msg_handler() */
	/* outbound, until negotiated */
	char **proposals;
	size_t nproposals;
	lp2p_stream_open_cb open_cb;
	void *open_arg;
};

struct lp2p_listener_entry {
	const struct lp2p_transport_ops *tp;
	void *listener;
	struct lp2p_multiaddr addr; /* with the bound port */
};

/* An enabled transport and its per-host state. */
struct lp2p_swarm_transport {
	const struct lp2p_transport_ops *ops;
	void *ctx;
};

#define LP2P_SWARM_MAX_TRANSPORTS 8

/* gater.c: which inbound connections are taken (see there). */
struct lp2p_gater {
	double tokens, stamp; /* limits.accept_rate's bucket */
	uint64_t refused_count;
	double refused_logged;
};

#define LP2P_SWARM_MAX_LISTENERS 16

/*
 * What the swarm tells the layer above it (the host), and asks it.  The
 * swarm never calls the host otherwise: it knows neither plugins nor the
 * peerstore.  Each runs on the swarm thread; arg is the callbacks' arg.
 */
struct lp2p_swarm_callbacks {
	/* c finished its upgrade (CONN_READY); it may be closed inside. */
	void (*conn_ready)(void *arg, struct lp2p_conn *c);
	/* an announced connection closed (c->close_reason says why) */
	void (*conn_closed)(void *arg, struct lp2p_conn *c);
	/* Whether protocol is served here; *plugin (may be NULL) is the
	 * name of the plugin serving it, for its resource scope. */
	bool (*route)(void *arg, const char *protocol, const char **plugin);
	/* Hand a negotiated inbound stream over; negative: refused. */
	int (*accept_stream)(void *arg, struct lp2p_stream *s,
	                     const char *protocol);
	/* Whether the peer is known to speak protocol (optimistic opens). */
	bool (*peer_supports)(void *arg, const struct lp2p_peer_id *peer,
	                      const char *protocol);
};

struct lp2p_swarm {
	const struct lp2p_swarm_callbacks *cb;
	void *cb_arg;
	struct lp2p_loop *loop;
	const struct lp2p_config *cfg;
	struct lp2p_key *identity;
	struct lp2p_peer_id self;

	struct lp2p_listener_entry listeners[LP2P_SWARM_MAX_LISTENERS];
	size_t nlisteners;

	struct lp2p_conn *conns; /* every connection, any state */
	size_t nconns_ready, nconns_pending;
	struct lp2p_rcmgr rc; /* resource scopes */
	uint64_t next_conn_id;

	struct lp2p_dial *dials; /* attempts in flight */
	struct lp2p_stream *closed_streams; /* on_close to deliver */
	struct lp2p_stream *opened_streams; /* optimistic opens to announce */

	ev_timer connmgr_timer;
	struct lp2p_conn *dirty; /* connections with output to flush */
	ev_prepare flush_watcher;

	struct lp2p_swarm_transport transports[LP2P_SWARM_MAX_TRANSPORTS];
	size_t ntransports;
	size_t closing_pipes; /* closed, still going down gracefully */
	uint64_t pnet_refused; /* peers outside our private network */
	double pnet_logged;
	bool listeners_paused;
	bool stopping; /* shut down: no new dials */
	struct lp2p_gater gater;
	uint64_t limited_count; /* refusals by a scope limit */
	double limited_logged;

	uint8_t *scratch; /* read buffer shared by all connections */
	size_t scratch_cap;
	uint8_t *wscratch; /* sealed output on its way to one socket */
	size_t wscratch_cap;

	/* the configured security protocols and muxers, in order */
	const char *security[LP2P_CONFIG_MAX_LIST]; /* protocol ids */
	const struct lp2p_secure_ops *security_ops[LP2P_CONFIG_MAX_LIST];
	void *security_ctx[LP2P_CONFIG_MAX_LIST]; /* per-host state */
	size_t nsecurity;
	const char *muxers[LP2P_CONFIG_MAX_LIST]; /* protocol ids */
	const struct lp2p_session_ops *muxer_ops[LP2P_CONFIG_MAX_LIST];
	size_t nmuxers;
};

/* swarm.c */
int lp2p_swarm_init(struct lp2p_swarm *sw, struct lp2p_loop *loop,
                    const struct lp2p_config *cfg, struct lp2p_key *identity,
                    const struct lp2p_swarm_callbacks *cb, void *cb_arg,
                    char *err, size_t errlen);
/* Listen on ma; *bound (optional) gets the address with its real port. */
int lp2p_swarm_listen(struct lp2p_swarm *sw, const struct lp2p_multiaddr *ma,
                      struct lp2p_multiaddr *bound, char *err, size_t errlen);
size_t lp2p_swarm_listen_addrs(const struct lp2p_swarm *sw,
                               struct lp2p_multiaddr *out, size_t max);
/* Open streams of protocol in direction dir on peer's ready
 * connections. */
size_t lp2p_swarm_peer_streams(const struct lp2p_swarm *sw,
                               const struct lp2p_peer_id *peer,
                               const char *protocol, enum lp2p_direction dir);
/* What the host reads of a connection beyond the public accessors. */
static inline bool lp2p_conn_is_ready(const struct lp2p_conn *c)
{
	return c->state == CONN_READY;
}
static inline int lp2p_conn_close_reason(const struct lp2p_conn *c)
{
	return c->close_reason;
}
static inline uint64_t lp2p_conn_opened_ms(const struct lp2p_conn *c)
{
	return c->opened_ms;
}
/* Ready connections (to peer, or all when peer is NULL): the count, the
 * first max of them in out. */
size_t lp2p_swarm_conns(const struct lp2p_swarm *sw,
                        const struct lp2p_peer_id *peer, lp2p_conn **out,
                        size_t max);
/* Close listeners and every connection (close callbacks run). */
void lp2p_swarm_shutdown(struct lp2p_swarm *sw);
void lp2p_swarm_fini(struct lp2p_swarm *sw);
void lp2p_swarm_mark_dirty(struct lp2p_conn *c);
/* The configured muxer with this protocol id, or NULL. */
const struct lp2p_session_ops *lp2p_swarm_muxer(const struct lp2p_swarm *sw,
                                                const char *protocol_id);
/* A connection went away: accepting may resume. */
void lp2p_swarm_conn_gone(struct lp2p_swarm *sw);

/* conn.c */
/* A connection over pipe (owned by the connection from here, even when
 * this fails). */
int lp2p_conn_start(struct lp2p_swarm *sw, struct lp2p_pipe *pipe,
                    enum lp2p_direction dir,
                    const struct lp2p_multiaddr *remote,
                    const struct lp2p_peer_id *expected,
                    struct lp2p_dial *dial, struct lp2p_conn **out);
void lp2p_conn_ref(struct lp2p_conn *c);
void lp2p_conn_unref(struct lp2p_conn *c);
/* Tear down now (reason < 0 is an error); the last unref frees. */
void lp2p_conn_kill(struct lp2p_conn *c, int reason, const char *why);
/* Move pending output to the socket. */
void lp2p_conn_flush(struct lp2p_conn *c);
void lp2p_conn_touch(struct lp2p_conn *c);
/* Update the host's buffered-bytes total; may close c over the limit. */
void lp2p_conn_account(struct lp2p_conn *c);
/* Stop (hold) or restart reading for held stream data. */
void lp2p_conn_hold_reading(struct lp2p_conn *c, bool hold);

/* stream.c */
extern const struct lp2p_mux_callbacks lp2p_stream_mux_callbacks;
/* Every stream of c ends with reason (connection going away). */
void lp2p_streams_abort(struct lp2p_conn *c, int reason);
/* Reset the paused stream holding the most data (LP2P_ELIMIT). */
void lp2p_streams_shed_largest(struct lp2p_conn *c);
/* Deliver queued open failures and on_close calls (from the loop). */
void lp2p_streams_deliver_closed(struct lp2p_swarm *sw);

/* conn_data.c: plugin data on a connection, freed with it */
struct lp2p_conn_slot {
	const void *key;
	void *data;
	void (*free_fn)(void *data);
};
void lp2p_conn_data_free(struct lp2p_conn *c);

/* stream_msg.c: message mode (lp2p/message.h) */
struct lp2p_stream_msg;
void lp2p_stream_msg_free(struct lp2p_stream_msg *m);
/* stream.c: set s's callbacks, keeping its message mode */
void lp2p_stream_install_handler(struct lp2p_stream *s,
                                 const struct lp2p_stream_handler *h,
                                 void *user);

/* gater.c: whether to take an inbound connection from remote: NULL, or
 * why not (for the log line).  *pause: stop accepting until a connection
 * closes (the connection cap).  key gets the remote's IP prefix. */
const char *lp2p_gater_inbound(struct lp2p_swarm *sw,
                               const struct lp2p_multiaddr *remote,
                               uint8_t key[17], bool *pause);
/* Log a refusal (at most once a second, with the count). */
void lp2p_gater_log_refusal(struct lp2p_swarm *sw,
                            const struct lp2p_multiaddr *remote,
                            const char *why);
/* One more inbound connection does not fit (transient or system). */
bool lp2p_gater_at_inbound_cap(const struct lp2p_swarm *sw);
/* IPv4 address or IPv6 /56 of remote, with its family: the unit of
 * limits.max_connections_per_ip (all zero for other addresses). */
void lp2p_gater_ip_key(const struct lp2p_multiaddr *remote, uint8_t key[17]);

/* swarm.c: enable a transport (the configured ones are at init); tests
 * add an in-memory one.  Errors: LP2P_ELIMIT, or the transport's. */
int lp2p_swarm_add_transport(struct lp2p_swarm *sw,
                             const struct lp2p_transport_ops *ops);
/* The enabled transport for ma (resolved), or NULL. */
struct lp2p_swarm_transport *
lp2p_swarm_transport_for(struct lp2p_swarm *sw, const struct lp2p_multiaddr *ma);

/* connmgr.c */
void lp2p_connmgr_start(struct lp2p_swarm *sw);
void lp2p_connmgr_stop(struct lp2p_swarm *sw);
/* Above high water: close the least valuable connections. */
void lp2p_connmgr_trim(struct lp2p_swarm *sw);

/* resource.c: log a refusal by a scope limit (rate-limited). */
void lp2p_swarm_log_limit(struct lp2p_swarm *sw, const char *what,
                          const struct lp2p_rc_scope *blocked);
/* The effective limits, as a table (lp2pd --check-config). */
void lp2p_swarm_describe_limits(const struct lp2p_swarm *sw, FILE *out);

/* dial.c */
/* An upgrade finished (status 0: c is READY) or failed. */
void lp2p_dial_conn_done(struct lp2p_dial *d, struct lp2p_conn *c,
                         int status);
void lp2p_dials_abort(struct lp2p_swarm *sw);
/* Dial ma (its /p2p id, if any, is checked); as lp2p_host_dial(). */
int lp2p_swarm_dial(struct lp2p_swarm *sw, const struct lp2p_multiaddr *ma,
                    bool force_new_conn, lp2p_dial_cb cb, void *arg);
/* Dial peer at addrs[0..n) (known addresses, without /p2p): an existing
 * connection or a dial in flight is used unless force_new_conn; no
 * address is LP2P_ENOTCONN through cb.  As lp2p_host_dial_peer(). */
int lp2p_swarm_dial_peer(struct lp2p_swarm *sw,
                         const struct lp2p_peer_id *peer,
                         const struct lp2p_multiaddr *addrs, size_t n,
                         bool force_new_conn, lp2p_dial_cb cb, void *arg);
/* Some enabled transport takes ma (without /p2p) once its name is
 * resolved. */
bool lp2p_swarm_can_dial(struct lp2p_swarm *sw,
                         const struct lp2p_multiaddr *ma);
/* Most addresses one dial tries. */
#define LP2P_DIAL_MAX_ADDRS 8

#endif
