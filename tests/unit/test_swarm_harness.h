/*
 * test_swarm_harness.h - several hosts in one process over loopback TCP
 * (or another transport: world.listen_yaml, world.node_init), driven
 * without threads: every host's loop runs one non-blocking
 * iteration in turn until a condition holds or a deadline passes.
 *
 * A test owns a world (made by world_setup, freed by world_teardown, so a
 * failed test frees its hosts too): up to WORLD_MAX_NODES hosts and a pool
 * of stream endpoints (struct ep) whose handler records what happened and
 * can send a byte pattern, echo, pause, and close.
 */
#ifndef TEST_SWARM_HARNESS_H
#define TEST_SWARM_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/peerstore.h>
#include <lp2p/swarm.h>

#define WORLD_MAX_NODES 6
/* enough for 600 streams with both ends (test_swarm_stream's opens
 * waiting for the muxer) */
#define WORLD_MAX_EPS 1300
#define WORLD_MAX_DIALS 16
/* How long WAIT_FOR waits before failing the test. */
#define WAIT_MS 8000u

struct node {
	bool live;
	lp2p_config *cfg;
	lp2p_host *h;
	struct lp2p_peer_id id;
	struct lp2p_multiaddr addr; /* the listen address (bound port) */
	struct lp2p_multiaddr p2p;  /* addr/p2p/<id> */
};

struct world;

/* What an endpoint does from inside on_data, once act_after bytes came. */
/* ACT_RESET: lp2p_stream_reset(LP2P_EPROTO). */
enum ep_act { ACT_NONE, ACT_RESET, ACT_CLOSE_CONN };

/* Where an endpoint resets its stream (LP2P_EPROTO), once: in the open
 * callback or accept (right after installing the handler), in
 * on_writable, in on_remote_close.  (From on_data: ACT_RESET.) */
enum ep_reset_at {
	RESET_AT_NONE,
	RESET_AT_OPEN,
	RESET_AT_WRITABLE,
	RESET_AT_REMOTE_CLOSE,
};

/* One stream end.  The handler's user pointer. */
struct ep {
	struct world *w;
	lp2p_stream *s; /* NULL once on_close ran */
	char proto[64];
	/* outbound open */
	int opens;         /* open callbacks (must stay <= 1) */
	int open_status;   /* its status */
	size_t open_order; /* open callbacks of the world before this one's */
	/* behaviour */
	bool echo;             /* write received bytes back */
	bool pause_on_open;    /* paused as soon as it is handed over */
	bool check_pattern;    /* received bytes must be the pattern */
	bool close_on_fin;     /* close our side once the remote closed it */
	size_t to_send;        /* pattern bytes to send */
	bool close_after_send; /* close our side once all is sent */
	size_t pause_every;    /* slow reader: pause after each this much */
	enum ep_act act;       /* done once from on_data */
	size_t act_after;
	enum ep_reset_at reset_at;
	bool reset_in_close; /* lp2p_stream_reset from inside on_close */
	/* sending */
	size_t sent;
	int n_eagain, n_short, write_err;
	bool write_closed;
	uint8_t *pend; /* echo bytes not yet taken by the stream */
	size_t pend_len, pend_cap;
	bool pending_fin; /* close our side once pend drains */
	bool echo_paused; /* paused by the echo until pend drains */
	/* receiving */
	size_t rx;
	size_t next_pause; /* pause_every: the next mark */
	bool paused_by_handler;
	bool rx_mismatch;
	size_t rx_mismatch_at;
	uint8_t head[256]; /* the first bytes received */
	size_t head_len;
	int data_calls;
	int remote_closes;
	int resets; /* lp2p_stream_reset calls made through ep_reset */
	int late_calls; /* callbacks other than on_close after a reset */
	int writables;  /* on_writable calls */
	size_t rx_at_fin; /* rx when on_remote_close came */
	/* the end */
	int closes;
	int close_reason;
	bool close_inside_call; /* on_close ran inside one of our calls */
	bool in_call;
};

/* An inbound protocol whose accepted streams become eps built from tmpl. */
struct service {
	struct world *w;
	const char *proto;
	int accept_rc;  /* < 0: refuse every stream with it */
	struct ep tmpl; /* behaviour copied into each accepted ep */
	int accepted;
	struct ep *eps[WORLD_MAX_EPS];
	char last_protocol[64]; /* as given to accept */
};

struct dial_res {
	int calls;
	int status;
	lp2p_conn *conn;
	bool inside_call; /* the callback ran inside lp2p_host_dial* */
	bool in_call;
};

struct world {
	struct node nodes[WORLD_MAX_NODES];
	struct ep eps[WORLD_MAX_EPS];
	size_t neps;
	size_t open_cbs; /* open callbacks so far, of any ep */
	/* dial results live here: a dial still pending when a test fails
	 * is answered while the world's hosts are freed */
	struct dial_res dials[WORLD_MAX_DIALS];
	size_t ndials;
	/* How world_node makes a host; zero: listening on 127.0.0.1 over
	 * TCP.  listen_yaml replaces that "listen: [...]" line (and may add
	 * "transports: ..."); node_init runs after lp2p_host_new, before
	 * lp2p_host_start (e.g. to enable a transport for it). */
	const char *listen_yaml;
	void (*node_init)(struct world *w, struct node *n);
};

/* A zeroed dial result from the world's pool. */
struct dial_res *world_dial(struct world *w);

/* cmocka setup/teardown: *state becomes a fresh world. */
int world_setup(void **state);
int world_teardown(void **state);

/* A started host listening on 127.0.0.1 (or as w->listen_yaml says);
 * extra_yaml is appended to the configuration (muxers, limits,
 * connection_manager ...). */
struct node *world_node(struct world *w, const char *extra_yaml);
/* lp2p_host_free and lp2p_config_free now. */
void world_node_free(struct world *w, struct node *n);

uint64_t mono_ms(void);

/*
 * Run lp2p_host_run_once(h, 0) over hosts[0..n) until pred(arg) holds
 * (true) or timeout_ms pass (false).  pred NULL: run for timeout_ms.
 */
bool pump(lp2p_host *const *hosts, size_t n, bool (*pred)(void *arg),
          void *arg, unsigned timeout_ms);
/* One iteration of every live host of the world. */
void world_pump_once(struct world *w);
/* Run every live host for ms milliseconds. */
void world_run_for(struct world *w, unsigned ms);

#define WAIT_FOR_MS(w, cond, ms)                                           \
	do {                                                               \
		uint64_t end_ = mono_ms() + (ms);                          \
		while (!(cond)) {                                          \
			if (mono_ms() > end_)                              \
				fail_msg("%s:%d: timed out waiting for %s", \
				         __FILE__, __LINE__, #cond);       \
			world_pump_once(w);                                \
		}                                                          \
	} while (0)
#define WAIT_FOR(w, cond) WAIT_FOR_MS(w, cond, WAIT_MS)

/* ---- a test once per muxer ---- */

enum { YAMUX, MPLEX };

/* f(struct world *, int mux) as two cmocka tests, f_yamux and f_mplex,
 * listed with EACH_MUXER(f) in the test array. */
#define BOTH(f)                                                            \
	static void f##_yamux(void **state) { f(*state, YAMUX); }          \
	static void f##_mplex(void **state) { f(*state, MPLEX); }
#define EACH_MUXER(f)                                                      \
	cmocka_unit_test_setup_teardown(f##_yamux, WORLD_SETUP,             \
	                                WORLD_TEARDOWN),                   \
	    cmocka_unit_test_setup_teardown(f##_mplex, WORLD_SETUP,         \
	                                    WORLD_TEARDOWN)

/* The world a test file's EACH_MUXER tests run in: loopback TCP, unless
 * the file is built with -DWORLD_SETUP=mem_world_setup
 * -DWORLD_TEARDOWN=mem_world_teardown (the in-memory transport,
 * mem_harness.c). */
#ifndef WORLD_SETUP
#define WORLD_SETUP world_setup
#define WORLD_TEARDOWN world_teardown
#else
int WORLD_SETUP(void **state);
int WORLD_TEARDOWN(void **state);
#endif

/* The test pattern: byte i of a stream. */
static inline uint8_t pattern_byte(size_t i)
{
	return (uint8_t)(i ^ (i >> 8) * 7 ^ (i >> 16) * 13);
}

/* ---- endpoints ---- */

/* A zeroed endpoint from the world's pool. */
struct ep *world_ep(struct world *w);
extern const struct lp2p_stream_handler ep_handler;
/* Send as much of the pattern as the stream takes now. */
void ep_send(struct ep *e);
void ep_pause(struct ep *e);
void ep_resume(struct ep *e);
/* Close our side (lp2p_stream_close_write), recording the call. */
int ep_close_write(struct ep *e);
/* lp2p_stream_reset(reason), recording the call: on_close follows from
 * the loop (reason, or LP2P_ECANCELED for 0). */
void ep_reset(struct ep *e, int reason);
/* An lp2p_stream_open_cb for arg = struct ep. */
void ep_open_cb(void *arg, int status, lp2p_stream *s);
/* Open a stream on c for protocols; the ep gets the stream and handler
 * when the open callback succeeds.  Fails the test if the call fails. */
struct ep *ep_open(struct world *w, lp2p_conn *c, const char *const *protos,
                   size_t n);
/* No mismatch, on_close at most once and never inside a call, and no
 * callback but on_close after our reset. */
void ep_check(const struct ep *e);

/* ---- services ---- */

void service_init(struct service *sv, struct world *w, const char *proto);
/* lp2p_host_add_protocol for sv on n (fails the test on error). */
void service_add(struct service *sv, struct node *n);

/* ---- dialing ---- */

void dial_cb(void *arg, int status, lp2p_conn *c);
/* addr/p2p/<id>: a dial that expects id there (another node's id: a
 * lie the handshake catches). */
struct lp2p_multiaddr addr_with_id(const struct lp2p_multiaddr *addr,
                                   const struct lp2p_peer_id *id);
/* lp2p_host_dial, recording whether the callback ran inside the call. */
int dial_ma(struct node *from, const struct lp2p_multiaddr *ma, bool force,
            struct dial_res *r);
int dial_peer(struct node *from, const struct lp2p_peer_id *peer, bool force,
              struct dial_res *r);
/* Dial to's /p2p address and wait until both sides have a connection;
 * returns from's. */
lp2p_conn *connect_nodes(struct world *w, struct node *from, struct node *to);
/* The ready connections of n to peer of m. */
size_t conns_between(struct node *n, struct node *m);

#endif
