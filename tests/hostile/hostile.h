/*
 * hostile.h - a scripted hostile libp2p peer and the lp2p host it attacks.
 *
 * peer.c speaks the wire protocols by hand, badly on purpose when asked:
 * multistream-select lines, a Noise XX initiator whose handshake payload
 * the caller may replace, sealed transport frames, raw yamux and mplex
 * frames.  Sockets are blocking with poll()-based timeouts; everything
 * runs on the calling thread.
 *
 * target.c runs the attacked host in this process (on its own thread,
 * lp2p_host_run) with an /echo/1.0.0 protocol, reads its counters on its
 * own thread (lp2p_host_post), and runs a well-behaved lp2p peer (a
 * second host on a second thread) that keeps doing echo round trips so
 * each attack can check that other peers are still served.
 */
#ifndef LP2P_TESTS_HOSTILE_H
#define LP2P_TESTS_HOSTILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/peer_id.h>
#include <lp2p/swarm.h>
#include <lp2p/resource.h>

#include "security/noise.h"
#include "security/tls.h"

#define HP_ECHO "/echo/1.0.0"
#define HP_YAMUX "/yamux/1.0.0"
#define HP_MPLEX "/mplex/6.7.0"

/* ---- small helpers (peer.c) ---- */

uint64_t hp_now_ms(void);
void hp_sleep_ms(unsigned ms);
/* Deterministic pseudo-random bytes (xorshift; seed with hp_seed). */
void hp_seed(uint64_t seed);
uint64_t hp_rand(void);
void hp_random_bytes(uint8_t *p, size_t n);
/* Heap bytes in use by the whole process (malloc or the ASan allocator). */
size_t hp_heap_in_use(void);
/* Resident set size (VmRSS) in KiB, or 0. */
size_t hp_rss_kib(void);

struct hp_buf {
	uint8_t *p;
	size_t len, cap;
};

void hp_buf_add(struct hp_buf *b, const void *data, size_t n);
/* Room for n more bytes at b->p + b->len (len unchanged). */
uint8_t *hp_buf_room(struct hp_buf *b, size_t n);
void hp_buf_drop(struct hp_buf *b, size_t n); /* from the front */
void hp_buf_free(struct hp_buf *b);

/* varint (multiformats / protobuf, up to 10 bytes for the abusive ones) */
size_t hp_varint(uint8_t *out, uint64_t v);

/* ---- one connection to the target ---- */

enum hp_mux { HP_MUX_NONE, HP_MUX_YAMUX, HP_MUX_MPLEX };

struct hp_conn {
	int fd;
	bool secure; /* Noise transport keys in ns, or a TLS session */
	struct lp2p_noise_session ns;
	struct lp2p_tls_session *tls; /* secured by TLS (not Noise) */
	struct hp_buf wire;  /* received, not yet decrypted or parsed */
	struct hp_buf plain; /* decrypted, not yet parsed */
	enum hp_mux mux;
	uint32_t next_id; /* yamux: next odd id; mplex: next id */
	uint8_t *frame;   /* the last frame's payload (hp_*_read) */
	size_t frame_cap;
	bool eof;
	size_t sent; /* wire bytes sent */
};

/*
 * Connect to 127.0.0.1:port from 127.0.a.b where src = a * 256 + b
 * (src 0: the kernel's choice, i.e. 127.0.0.1).  rcvbuf > 0 shrinks the
 * socket's receive buffer first (for peers that stop reading).  Returns 0
 * or -errno.
 */
int hp_connect(struct hp_conn *c, uint16_t port, unsigned src, int rcvbuf);
void hp_close(struct hp_conn *c);
/* Close every socket hp_connect() opened and nobody closed (after a
 * failed attack); returns their count.  Their buffers leak. */
size_t hp_close_leftovers(void);
/* Close with a RST (SO_LINGER 0), as a crashing peer would. */
void hp_abort(struct hp_conn *c);

/* Write all of data (blocking).  0 or -errno (EPIPE, ECONNRESET). */
int hp_send(struct hp_conn *c, const void *data, size_t n);
/* Write what the socket takes; give up after stall_ms without progress.
 * Returns the bytes written (fewer than n: the peer stopped reading), or
 * -errno. */
ssize_t hp_send_some(struct hp_conn *c, const void *data, size_t n,
                     int stall_ms);
/* Seal plaintext into Noise frames or TLS records, appended to out. */
int hp_seal(struct hp_conn *c, const void *pt, size_t n, struct hp_buf *out);
/* Seal plaintext and send it. */
int hp_send_sealed(struct hp_conn *c, const void *pt, size_t n);

/*
 * Read what arrives within timeout_ms into wire (and, once secure,
 * decrypt whole frames into plain).  Returns the bytes read, 0 at EOF (or
 * a reset: c->eof), -ETIMEDOUT, or -EPROTO when a frame does not decrypt.
 */
int hp_fill(struct hp_conn *c, int timeout_ms);

/* Decrypt the whole frames (or records) in wire into plain: 0, -EPROTO. */
int hp_decrypt(struct hp_conn *c);

/*
 * Wait until the target closes the connection, discarding what arrives.
 * Returns the milliseconds waited, or -1 if still open after timeout_ms.
 */
int hp_wait_closed(struct hp_conn *c, int timeout_ms);
/* Whether the target has closed it (non-blocking check). */
bool hp_is_closed(struct hp_conn *c);

/* ---- multistream-select ---- */

/* Append "<varint len><text>\n". */
void hp_mss_line(struct hp_buf *b, const char *text);
/* Read one line (from plain once secure, else wire) into out (NUL-ended,
 * without the '\n').  0, -ETIMEDOUT, -EPROTO, or -EPIPE at EOF. */
int hp_mss_read(struct hp_conn *c, char *out, size_t cap, int timeout_ms);

/* ---- the Noise handshake (initiator), scripted ---- */

struct hp_hs_opts {
	/* Wire bytes to send before stalling (SIZE_MAX: all). */
	size_t budget;
	/* Replace the msg 3 payload (NULL: a valid signed one). */
	const uint8_t *payload;
	size_t payload_len;
	/* The muxer to ask for (HP_YAMUX default). */
	const char *muxer;
	/* Offer it in the Noise payload (early negotiation) instead of a
	 * multistream-select round after the handshake. */
	bool early;
	/* Bytes sent instead of msg 3 (after a real msg 1 and 2). */
	const uint8_t *msg3_garbage;
	size_t msg3_garbage_len;
};

enum { HP_DONE = 0, HP_STALLED = 1 };

/*
 * Run multistream-select for /noise, the XX handshake and (unless early)
 * the muxer negotiation.  Returns HP_DONE (c->secure, c->mux set),
 * HP_STALLED (the budget ran out: the rest was not sent), or a negative
 * error (-EPIPE: the target closed the connection).
 */
int hp_handshake(struct hp_conn *c, const struct hp_hs_opts *o);
/* A well-behaved connection: connect + handshake.  0 or negative. */
int hp_open(struct hp_conn *c, uint16_t port, unsigned src, const char *muxer);

/* A valid signed handshake payload for the static key of this handshake
 * (used by hp_handshake; exposed so attacks can start from it). */
int hp_valid_payload(const uint8_t static_pub[32], const char *muxer,
                     uint8_t *out, size_t cap);

/* ---- TLS 1.3 (tls_peer.c) ---- */

#define HP_TLS_MAX_RECORDS 16

struct hp_tls_opts {
	/* Stall (send no more) in flight 1 (multistream-select of
	 * /tls/1.0.0 and the ClientHello) after stall_at bytes, or in
	 * flight 2 ([ChangeCipherSpec,] Certificate, CertificateVerify,
	 * Finished) after the records before stall_record and stall_at
	 * bytes of that one (clamped to leave it incomplete).  0: no stall. */
	int stall_flight;
	size_t stall_record;
	size_t stall_at;
	const char *muxer; /* HP_YAMUX default */
	/* Ask for the muxer by ALPN instead of multistream-select after. */
	bool early;
};

/* What a handshake sent: flight 1's length, flight 2's records. */
struct hp_tls_flights {
	size_t first;
	size_t nrec;
	size_t rec_len[HP_TLS_MAX_RECORDS];
};

/*
 * A TLS 1.3 client with a fresh identity and a valid libp2p certificate
 * (the runtime's own state machine).  Returns HP_DONE (c->tls, c->mux
 * set), HP_STALLED, or a negative error (-EPIPE: the target closed).
 * info (optional) says what the flights were.
 */
int hp_tls_handshake(struct hp_conn *c, const struct hp_tls_opts *o,
                     struct hp_tls_flights *info);
/* Connect (rcvbuf as hp_connect) and complete a handshake with the muxer
 * chosen by ALPN.  0 or negative. */
int hp_tls_open(struct hp_conn *c, uint16_t port, unsigned src, int rcvbuf,
                const char *muxer);
/* multistream-select of /tls/1.0.0 alone (not pipelined).  0 or negative. */
int hp_tls_select(struct hp_conn *c);

/* Client certificates that are not valid libp2p certificates. */
enum hp_cert {
	HP_CERT_VALID,              /* control: accepted */
	HP_CERT_NO_EXTENSION,       /* self-signed, no libp2p extension */
	HP_CERT_EXT_GARBAGE,        /* the extension is not a SignedKey */
	HP_CERT_EXT_OTHER_KEY,      /* the identity signed another key */
	HP_CERT_BAD_SELF_SIGNATURE, /* signed by another key than its own */
	HP_CERT_EXPIRED,            /* valid until yesterday */
};

/*
 * On a fresh connection: multistream-select of /tls/1.0.0, then a TLS 1.3
 * handshake by OpenSSL itself presenting a certificate of that kind,
 * offering yamux by ALPN, then a yamux ping.  0: the ping was answered
 * (accepted); -ECONNREFUSED: an alert or a close came instead (why says
 * OpenSSL's reason); other negative errors are local failures.
 */
int hp_tls_cert_client(struct hp_conn *c, enum hp_cert kind, char *why,
                       size_t whylen);

/* ---- yamux ---- */

enum { Y_DATA = 0, Y_WINDOW = 1, Y_PING = 2, Y_GOAWAY = 3 };
enum { Y_SYN = 1, Y_ACK = 2, Y_FIN = 4, Y_RST = 8 };

struct hp_yframe {
	uint8_t version, type;
	uint16_t flags;
	uint32_t id, length;
	const uint8_t *data; /* Data payload (length bytes), until next read */
};

void hp_y_header(uint8_t out[12], uint8_t type, uint16_t flags, uint32_t id,
                 uint32_t length);
/* Send one frame (header + payload), sealed. */
int hp_y_send(struct hp_conn *c, uint8_t type, uint16_t flags, uint32_t id,
              uint32_t length, const void *payload, size_t n);
/* Read the next frame.  0, -ETIMEDOUT, -EPIPE (closed), -EPROTO. */
int hp_y_read(struct hp_conn *c, struct hp_yframe *f, int timeout_ms);

/* ---- mplex ---- */

struct hp_mframe {
	uint64_t id;
	uint8_t flag;
	size_t length;
	const uint8_t *data;
};

int hp_m_send(struct hp_conn *c, uint64_t id, uint8_t flag, const void *data,
              size_t n);
int hp_m_read(struct hp_conn *c, struct hp_mframe *f, int timeout_ms);

/* ---- streams, either muxer ---- */

/*
 * Open a stream, negotiate /echo/1.0.0 and check that len bytes come back
 * (a well-behaved client: window updates, FIN at the end, the FIN back).
 * Returns 0 or a negative error (-ECONNRESET: the stream was reset).
 */
int hp_echo(struct hp_conn *c, const void *data, size_t len, int timeout_ms);

/* ---- the target and the good peer (target.c) ---- */

struct target_snap {
	size_t conns;           /* every connection in the swarm's list */
	size_t ready, pending;  /* by state */
	size_t hostile_conns;   /* inbound, not from 127.0.0.1 */
	size_t hostile_streams; /* streams on those */
	size_t good_conns;      /* from 127.0.0.1 */
	size_t good_streams;
	size_t max_streams;   /* most streams on one connection */
	size_t closed_queued; /* streams waiting for on_close delivery */
	size_t held_bytes;    /* data held for paused streams */
	size_t sw_pending, sw_ready; /* the swarm's own counters */
	size_t streams;              /* on every connection */
	/* resource scopes (lp2p_host_resource_usage) */
	struct lp2p_resource_usage sys, transient, echo;
	size_t peer_scopes; /* peer scopes alive */
	size_t lingering;   /* sockets closing gracefully */
	/* the same through the public API: lp2p_host_conns() and the sum
	 * of lp2p_conn_stream_count() over those */
	size_t api_conns, api_streams;
	bool listeners_paused;
};

struct target {
	lp2p_config *cfg;
	lp2p_host *host;
	pthread_t thread;
	bool running;
	uint16_t port;
	struct lp2p_peer_id id;
	char id_str[128];
	atomic_ulong echo_streams; /* accepted by the echo protocol */
	/* echo streams that ended with their connection closed by a limit
	 * (LP2P_ELIMIT) or a timeout (LP2P_ETIMEDOUT) */
	atomic_ulong echo_closed_limit, echo_closed_timeout;
};

/* Start a target from YAML (listen on 127.0.0.1) with /echo/1.0.0. */
int target_start(struct target *t, const char *yaml);
void target_stop(struct target *t);
/* Counters, read on the target's thread.  0, or -ETIMEDOUT if the target
 * did not answer within timeout_ms (its loop is stuck). */
int target_snapshot(struct target *t, struct target_snap *s, int timeout_ms);
/*
 * Pin the socket send buffer (SO_SNDBUF, as net.ipv4.tcp_wmem would) of
 * the target's inbound connections from 127.0.a.b (src = a * 256 + b).
 * Autotuned, it grows to MiBs, and the kernel reports it writable only
 * when a third of it is free again: a slow reader then shows up as rare
 * huge steps.  Returns how many connections were pinned, or -errno.
 */
int target_pin_sndbuf(struct target *t, unsigned src, int bytes);

struct good_peer {
	lp2p_config *cfg;
	lp2p_host *host;
	pthread_t thread;
	struct target *t;
	atomic_ulong rounds;   /* echo round trips completed */
	atomic_ulong failures; /* streams or connections lost, bad echoes */
	atomic_ulong max_ms;   /* slowest round trip since the last reset */
	atomic_ulong redials;
	atomic_bool quiet; /* stop starting rounds */
	void *priv;
};

int good_start(struct good_peer *g, struct target *t);
/* Stop starting new rounds and wait (up to timeout_ms) for the open ones
 * to finish. */
void good_quiesce(struct good_peer *g, int timeout_ms);
void good_stop(struct good_peer *g);

#endif
