/*
 * mux_harness.h - test peers for the muxer sessions: callbacks that record
 * what happened per stream, and a pump that wires two sessions back to
 * back in memory.
 */
#ifndef LP2P_TEST_MUX_HARNESS_H
#define LP2P_TEST_MUX_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mux/mux.h"

#define H_MAX_STREAMS 2100

struct h_stream {
	uint64_t id;
	bool inbound;
	uint8_t *rx; /* every byte received */
	size_t rx_len, rx_cap;
	bool fin;
	bool reset;
	int reset_err;
	int writable;
	char name[LP2P_MPLEX_MAX_NAME + 1];
	size_t name_len;
};

struct h_peer;
typedef void (*h_hook)(struct h_peer *p, struct h_stream *hs);

struct h_peer {
	struct lp2p_mux *m;
	struct h_stream streams[H_MAX_STREAMS];
	size_t nstreams;
	int accept_rc;     /* on_stream_open's answer */
	bool auto_consume; /* report data consumed at once */
	size_t chunk;      /* h_pump_one moves at most this much (0: all) */
	int goaways;
	uint32_t goaway_code;
	uint32_t ping_acks[16];
	size_t nping_acks;
	int fins, resets, opens, datas;
	int open_rooms;      /* on_open_room calls */
	h_hook on_open;      /* optional, inside on_stream_open */
	h_hook on_writable;  /* optional, inside on_stream_writable */
	h_hook on_data;      /* optional, inside on_stream_data */
	h_hook on_open_room; /* optional, inside on_open_room (hs NULL) */
};

/* A new peer with a session of kind/role (cfg may be NULL). */
struct h_peer *h_peer_new(enum lp2p_mux_kind kind, enum lp2p_mux_role role,
                          const struct lp2p_mux_config *cfg);
void h_peer_free(struct h_peer *p);

/* Open an outbound stream tracked by the peer; NULL on error (*rc). */
struct h_stream *h_open(struct h_peer *p, const char *name, int *rc);

/* The tracked stream with this id (newest first), or NULL. */
struct h_stream *h_find(struct h_peer *p, uint64_t id);

/* Move output both ways until nothing moves; a negative recv result. */
int h_pump(struct h_peer *a, struct h_peer *b);

/* Move a's output into b once; returns b's recv result. */
long h_pump_one(struct h_peer *a, struct h_peer *b);

/* Feed raw bytes to the peer's session. */
long h_feed(struct h_peer *p, const void *buf, size_t len);

/* Drain (discard) the peer's output into out (if not NULL, cap bytes). */
size_t h_take(struct h_peer *p, uint8_t *out, size_t cap);

/* Write all of data, pumping while the stream is blocked. */
int h_write_all(struct h_peer *a, struct h_peer *b, uint64_t id,
                const uint8_t *data, size_t len);

#endif
