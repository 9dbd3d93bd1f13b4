/*
 * security/secure.h - a secure channel as the connection code sees it:
 * one table of operations per security protocol (Noise, TLS), each a
 * bytes-in/bytes-out state machine.
 *
 * Life of a channel: hs_new; send hs_output, feed what arrives to hs_feed
 * until hs_done; take the remote peer and the early muxer; drain
 * hs_output; hs_split gives the session; then seal / open.  Handshake and
 * session errors are sticky; their reasons are in words.
 */
#ifndef LP2P_SECURITY_SECURE_H
#define LP2P_SECURITY_SECURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lp2p/common.h>

struct lp2p_key;
struct lp2p_peer_id;

/* Plaintext inside the caller's receive buffer. */
struct lp2p_secure_span {
	uint8_t *data;
	size_t len;
};

struct lp2p_secure_config {
	bool initiator;
	const struct lp2p_key *identity; /* private; used during hs_new */
	const struct lp2p_peer_id *expected_peer; /* optional; copied */
	/* Ours, in our order; copied.  The same as given to ctx_new for
	 * Noise to reuse its encoded payload. */
	const char *const *muxers;
	size_t n_muxers;
	void *ctx; /* from ctx_new (NULL if the protocol has none) */
};

struct lp2p_secure_ops {
	const char *name;        /* the configuration name: "noise", "tls" */
	const char *protocol_id; /* multistream-select id (static) */
	/* The largest wire unit (handshake message, sealed frame) that
	 * must be read whole: the read buffer holds at least one. */
	size_t max_unit;

	/* Optional per-host state (TLS: the certificate; Noise: the static
	 * key and the signed payload for this muxer list); NULL: none.
	 * Handshakes get it in lp2p_secure_config.ctx. */
	int (*ctx_new)(const struct lp2p_key *identity,
	               const char *const *muxers, size_t n_muxers, void **ctx);
	void (*ctx_free)(void *ctx);

	int (*hs_new)(const struct lp2p_secure_config *cfg, void **hs);
	void (*hs_free)(void *hs);
	/* Bytes consumed (whole wire units; 0: need more) or an error. */
	ssize_t (*hs_feed)(void *hs, const uint8_t *in, size_t len);
	size_t (*hs_output)(void *hs, const uint8_t **data);
	void (*hs_output_ack)(void *hs, size_t n);
	bool (*hs_done)(void *hs);
	const char *(*hs_error_reason)(void *hs);
	const struct lp2p_peer_id *(*hs_remote_peer)(void *hs);
	/* The early-negotiated muxer (owned by hs) or NULL. */
	const char *(*hs_selected_muxer)(void *hs);
	/* After done and with the output drained: the session. */
	int (*hs_split)(void *hs, void **session);

	void (*session_free)(void *session);
	/* Output room seal needs for n plaintext bytes (an upper bound). */
	size_t (*sealed_size)(void *session, size_t n);
	/* Returns the bytes written to out. */
	ssize_t (*seal)(void *session, const uint8_t *pt, size_t n,
	                uint8_t *out, size_t cap);
	/* Decrypt whole wire units at the start of buf in place; returns
	 * the bytes consumed, the plaintext in spans[0..*nspans). */
	ssize_t (*open)(void *session, uint8_t *buf, size_t len,
	                struct lp2p_secure_span *spans, size_t max_spans,
	                size_t *nspans);
	const char *(*session_error_reason)(void *session);
};

extern const struct lp2p_secure_ops lp2p_secure_noise;
extern const struct lp2p_secure_ops lp2p_secure_tls;

/* The protocol with this configuration name, or NULL. */
const struct lp2p_secure_ops *lp2p_secure_by_name(const char *name);

#endif
