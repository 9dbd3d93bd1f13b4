/*
 * mux/mux_impl.h - what yamux.c and mplex.c share with mux.c: the session
 * and stream structures, the output buffer, the stream table and the
 * stream lifecycle.  Only the mux directory includes this.
 */
#ifndef LP2P_MUX_MUX_IMPL_H
#define LP2P_MUX_MUX_IMPL_H

#include "mux/mux.h"

/* Room kept free for control frames before a new input frame is parsed. */
#define MUX_RECV_RESERVE 64

#define YAMUX_HEADER_LEN 12
#define YAMUX_INITIAL_WINDOW (256u * 1024)
#define YAMUX_MAX_WINDOW (16u * 1024 * 1024)
#define MPLEX_MAX_MESSAGE (1u << 20)
/* header varint (9) + length varint (9) */
#define MPLEX_MAX_HEADER 18

struct mux_link {
	struct mux_link *prev, *next;
};

struct mux_stream {
	uint64_t id;
	void *data;
	struct mux_stream *hnext; /* stream table chain */
	struct mux_link pending;  /* on m->pending: control frames wait */
	struct mux_link blocked;  /* on m->blocked: a write was short */
	bool in_table;            /* false once forgotten */
	bool outbound;
	bool local_closed, remote_closed;
	/* control frames not yet written */
	bool need_ack, need_fin, need_rst;
	bool need_wnd; /* yamux: announce delta even below the threshold */
	bool acked;    /* yamux outbound: the peer ACKed */
	uint32_t send_window; /* yamux */
	uint32_t recv_avail;  /* yamux: bytes the peer may still send */
	uint32_t delta;       /* yamux: consumed, not yet announced */
	uint64_t unconsumed;  /* delivered, not yet consumed */
};

struct lp2p_mux;

struct mux_ops {
	/* Parse input (m->err is 0); same contract as lp2p_mux_recv(). */
	ssize_t (*recv)(struct lp2p_mux *m, const uint8_t *buf, size_t len);
	/*
	 * Add an outbound stream (next id) and write its opening frame.
	 * LP2P_EAGAIN: no room; LP2P_ELIMIT: ids exhausted.
	 */
	int (*open)(struct lp2p_mux *m, const char *name,
	            struct mux_stream **out);
	/* Frame data for s; same contract as lp2p_mux_write(). */
	ssize_t (*write)(struct lp2p_mux *m, struct mux_stream *s,
	                 const uint8_t *data, size_t len);
	/* Write s's pending control frames; false if out of room. */
	bool (*flush_stream)(struct lp2p_mux *m, struct mux_stream *s);
	/* The caller consumed n more bytes of s (unconsumed already cut). */
	void (*consumed)(struct lp2p_mux *m, struct mux_stream *s, size_t n);
	/* Whether s could take data if the output had room. */
	bool (*can_send)(const struct lp2p_mux *m, const struct mux_stream *s);
	/* Whether an open that failed with LP2P_EAGAIN may succeed now. */
	bool (*can_open)(const struct lp2p_mux *m);
	/* Write pending session frames (ping, pong, GoAway). */
	void (*flush_session)(struct lp2p_mux *m);
	int (*ping)(struct lp2p_mux *m, uint32_t opaque);
	/* Local GoAway (m->goaway_sent already set). */
	void (*goaway)(struct lp2p_mux *m, uint32_t code);
	/* A fatal error was just recorded in m->err. */
	void (*fatal)(struct lp2p_mux *m);
};

struct yamux_rx {
	uint8_t hdr[YAMUX_HEADER_LEN];
	size_t hdr_len;
	uint32_t left;  /* payload bytes of the current frame still due */
	uint16_t flags; /* of the current data frame, applied at its end */
	bool pong_pending, ping_pending, goaway_pending;
	uint32_t pong_opaque, ping_opaque, goaway_code;
};

struct mplex_rx {
	uint8_t hdr[MPLEX_MAX_HEADER];
	size_t hdr_len;
	bool have_header;
	uint8_t flag;
	uint64_t key;
	uint32_t left;
	size_t name_len;
	/* a NewStream's name while its frame arrives (only then allocated:
	 * an idle session does not keep LP2P_MPLEX_MAX_NAME bytes) */
	char *name;
};

struct lp2p_mux {
	const struct mux_ops *ops;
	enum lp2p_mux_kind kind;
	enum lp2p_mux_role role;
	struct lp2p_mux_config cfg;
	const struct lp2p_mux_callbacks *cb; /* the caller's, kept */
	void *user_data;
	int err;
	bool goaway_sent, goaway_recv;
	bool in_recv;
	bool open_waiting; /* an open failed with LP2P_EAGAIN: on_open_room */

	/* output: bytes [out_head, out_len) of out (out_alloc bytes) */
	uint8_t *out;
	size_t out_head, out_len, out_alloc;

	/* stream table; no buckets while there are no streams */
	struct mux_stream **buckets;
	size_t nbuckets, nstreams;
	uint32_t ninbound, noutbound, backlog;
	uint64_t next_id; /* next outbound id (mplex: before the shift) */

	struct mux_link pending, blocked;
	/* the stream the payload being received belongs to; NULL: skip */
	struct mux_stream *rx_stream;

	union {
		struct yamux_rx y;
		struct mplex_rx p;
	} rx;
};

extern const struct mux_ops lp2p_yamux_ops;
extern const struct mux_ops lp2p_mplex_ops;

/* Output bytes waiting. */
static inline size_t mux_out_used(const struct lp2p_mux *m)
{
	return m->out_len - m->out_head;
}

/* Payload room for data frames (below out_hiwat). */
static inline size_t mux_data_room(const struct lp2p_mux *m)
{
	size_t used = mux_out_used(m);
	return used < m->cfg.out_hiwat ? m->cfg.out_hiwat - used : 0;
}

/* Room for control frames (below out_hiwat + out_reserve). */
static inline size_t mux_ctl_room(const struct lp2p_mux *m)
{
	size_t cap = (size_t)m->cfg.out_hiwat + m->cfg.out_reserve;
	size_t used = mux_out_used(m);
	return used < cap ? cap - used : 0;
}

/*
 * n bytes appended to the output, or NULL if they do not fit (below
 * out_hiwat for data, out_hiwat + out_reserve for control) or memory ran
 * out.  The caller fills them.
 */
uint8_t *mux_out_append(struct lp2p_mux *m, size_t n, bool data);

struct mux_stream *mux_stream_find(const struct lp2p_mux *m, uint64_t id);

/* A new stream in the table (counted inbound or outbound), or NULL. */
struct mux_stream *mux_stream_add(struct lp2p_mux *m, uint64_t id,
                                  bool outbound);

/*
 * Remove s from the table (its id goes stale) and free it, or keep it
 * until its pending control frames (a RST) are written.
 */
void mux_stream_forget(struct lp2p_mux *m, struct mux_stream *s);

/*
 * Write s's pending control frames now, or queue s to write them after
 * the next out_ack; then forget s if both directions are closed.
 */
void mux_stream_ctl(struct lp2p_mux *m, struct mux_stream *s);

/* Queue a RST for s and forget it (the session resets the stream). */
void mux_stream_reset(struct lp2p_mux *m, struct mux_stream *s);

/* Refuse an inbound stream the session never tracked: send its RST. */
void mux_refuse(struct lp2p_mux *m, uint64_t id);

/* Deliver payload to s's on_stream_data (counts it unconsumed). */
void mux_deliver(struct lp2p_mux *m, struct mux_stream *s, const uint8_t *data,
                 size_t len);

/* The peer closed its direction of s: on_stream_fin, maybe forget. */
void mux_remote_fin(struct lp2p_mux *m, struct mux_stream *s);

/*
 * s is dead (err): forget it (sending a RST first if s->need_rst), then
 * call on_stream_reset.
 */
void mux_stream_dead(struct lp2p_mux *m, struct mux_stream *s, int err);

/* s may take data again: on_stream_writable if it was blocked. */
void mux_notify_writable(struct lp2p_mux *m, struct mux_stream *s);

/* Record a fatal error, let the protocol react; returns err. */
int mux_fail(struct lp2p_mux *m, int err);

/* Big-endian helpers for yamux headers. */
static inline void mux_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t mux_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

#endif
