/*
 * upgrade/upgrader.h - the upgrade of a byte pipe into a secure channel
 * with a chosen muxer, as a state machine without I/O or clock:
 *
 *   multistream-select(security) -> Noise or TLS handshake
 *       -> [multistream-select(muxer) over the secure channel, unless the
 *           handshake chose the muxer early] -> done
 *
 * The caller reads from its pipe and offers the bytes with
 * lp2p_upgrader_recv(), sends what lp2p_upgrader_output() shows, and once
 * lp2p_upgrader_status() is 0 takes the session and the muxer's name with
 * lp2p_upgrader_result().  The timeout (limits.handshake_timeout) is the
 * caller's.  The security protocols are seen only through their tables
 * (security/secure.h), so nothing here names Noise or TLS.
 *
 * Input: lp2p_upgrader_recv() consumes whole wire units (multistream
 * messages, handshake messages, sealed frames) and returns how many bytes
 * it used; a partial unit at the end is left for the caller to offer again
 * with more bytes behind it.  buf is writable: sealed frames are decrypted
 * in place.  Once the upgrade is done it consumes nothing more: the bytes
 * it left are wire bytes of the session (sealed frames the caller opens
 * with the session).  Plaintext that arrived in the same sealed frame as
 * the muxer's final multistream message belongs to the muxer: it is kept
 * by the upgrader and shown by lp2p_upgrader_early_data(), to be given to
 * the muxer before anything else.
 *
 * Output: bytes for the wire (multistream messages in the clear, handshake
 * messages, sealed multistream messages), in order.  All of it must be
 * sent before any byte the session seals; after a failure it may hold a
 * message telling the peer why (a TLS alert).
 */
#ifndef LP2P_UPGRADE_UPGRADER_H
#define LP2P_UPGRADE_UPGRADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lp2p/common.h>
#include <lp2p/peer_id.h>

#include "security/secure.h"

struct lp2p_key;

struct lp2p_upgrader_config {
	bool initiator; /* we dialled: we propose (multistream dialer) */
	const struct lp2p_key *identity;
	const struct lp2p_peer_id *expected_peer; /* optional; copied */
	/* The security protocols, in our order of preference, with the
	 * per-host state of each (secure_ops.ctx_new; NULL if none).
	 * Borrowed: they must outlive the upgrader. */
	const struct lp2p_secure_ops *const *security;
	void *const *security_ctx;
	size_t n_security;
	/* The muxers' protocol ids, in our order.  Borrowed, and the
	 * strings handed back in the result are these pointers. */
	const char *const *muxers;
	size_t n_muxers;
};

enum lp2p_upgrade_stage {
	LP2P_UPGRADE_SECURITY_NEGOTIATE, /* multistream-select, clear */
	LP2P_UPGRADE_HANDSHAKE,          /* the security handshake */
	LP2P_UPGRADE_MUXER_NEGOTIATE,    /* multistream-select, sealed */
	LP2P_UPGRADE_DONE,
	LP2P_UPGRADE_FAILED,
};

struct lp2p_upgrade_result {
	const struct lp2p_secure_ops *sec; /* the security protocol */
	void *session;     /* owned by the caller now: sec->session_free */
	const char *muxer; /* one of config.muxers */
	struct lp2p_peer_id peer; /* authenticated */
};

struct lp2p_upgrader;

/*
 * New upgrade; the first multistream messages (header, and the dialer's
 * first proposal) are ready in the output at once.  Errors: LP2P_EINVAL
 * (no security protocol or no muxer), LP2P_ENOMEM.
 */
int lp2p_upgrader_new(const struct lp2p_upgrader_config *cfg,
                      struct lp2p_upgrader **out);
/* Frees everything it still owns (a session not taken). */
void lp2p_upgrader_free(struct lp2p_upgrader *u);

/*
 * Offer received wire bytes buf[0..len).  Returns the bytes consumed (a
 * partial unit at the end, or everything after the upgrade finished, is
 * left) or a negative error, which is sticky (lp2p_upgrader_status()):
 * LP2P_ENEGOTIATE (no common security protocol or muxer, or the peer does
 * not speak multistream-select), LP2P_ENOTSUP, LP2P_EPROTO (malformed
 * input), LP2P_EPEERID (the peer is not the one expected), the handshake's own
 * errors, LP2P_ENOMEM.
 */
ssize_t lp2p_upgrader_recv(struct lp2p_upgrader *u, uint8_t *buf, size_t len);

/* Wire bytes to send (*data valid until the next call other than this
 * one); returns their count. */
size_t lp2p_upgrader_output(struct lp2p_upgrader *u, const uint8_t **data);
/* n bytes of the output were sent. */
void lp2p_upgrader_output_ack(struct lp2p_upgrader *u, size_t n);

/* LP2P_EAGAIN while upgrading, 0 once done, or the sticky error. */
int lp2p_upgrader_status(const struct lp2p_upgrader *u);
enum lp2p_upgrade_stage lp2p_upgrader_stage(const struct lp2p_upgrader *u);
/* The reason of a failure in words (the handshake's), or NULL. */
const char *lp2p_upgrader_error_reason(const struct lp2p_upgrader *u);
/* The security protocol's id once chosen (static), else NULL. */
const char *lp2p_upgrader_security(const struct lp2p_upgrader *u);

/*
 * Once done: plaintext for the muxer that came with the last sealed
 * negotiation frame (*data valid until the upgrader is freed); returns its
 * count (usually 0).
 */
size_t lp2p_upgrader_early_data(const struct lp2p_upgrader *u,
                                const uint8_t **data);

/*
 * Once done: the result.  The session moves to the caller (a second call
 * gives NULL).  The output must have been drained first.  Errors:
 * LP2P_EAGAIN (not done, or output left), or the sticky error.
 */
int lp2p_upgrader_result(struct lp2p_upgrader *u,
                         struct lp2p_upgrade_result *out);

#endif
