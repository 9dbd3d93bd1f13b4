/*
 * upgrader.c - multistream-select(security) -> handshake ->
 * [multistream-select(muxer), sealed] as one state machine (upgrader.h).
 *
 * The output is one ordered stream made of three parts:
 *
 *   out (our buffer)  ++  the security negotiation's own output
 *                     ++  the handshake's own output
 *
 * The two last are shown where they are, without a copy, while nothing
 * older waits in out: a connection that sends promptly never makes out
 * allocate unless the muxer is negotiated after the handshake.  Bytes move
 * into out (keeping the order) only when the negotiation's small output is
 * full, when the handshake ends before a sealed negotiation (its last
 * message must precede the sealed frames), and for every sealed
 * multistream message.  Each part only grows at its end and out only takes
 * the oldest bytes of the others, so the order holds.  When the handshake
 * chose the muxer, the handshake is split only in lp2p_upgrader_result(),
 * once its last message was taken from where it is.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "multistream/mss.h"
#include "upgrade/upgrader.h"

struct lp2p_upgrader {
	enum lp2p_upgrade_stage stage;
	int err; /* LP2P_EAGAIN, 0 once done, or the sticky error */
	bool initiator;
	bool have_expected;
	struct lp2p_peer_id expected;
	const struct lp2p_key *identity;
	const struct lp2p_secure_ops *const *security;
	void *const *security_ctx;
	size_t n_security;
	const char *const *muxers;
	size_t n_muxers;

	/* The security negotiation (in the clear): alive until it is done
	 * and its output is out of it. */
	struct lp2p_mss *sec_mss;
	/* The chosen protocol, its handshake (kept after a failure: it may
	 * hold an alert; kept when done with an early muxer choice until
	 * the result is taken), then its session. */
	const struct lp2p_secure_ops *sec;
	void *hs;
	void *session;
	struct lp2p_peer_id peer;
	/* The muxer negotiation: its output is sealed into out at once. */
	struct lp2p_mss *mux_mss;
	const char *muxer; /* one of muxers[] */

	struct lp2p_buf out;
	uint8_t *early;
	size_t early_len;

	/* The security protocol ids, for the dialer's proposals. */
	const char *ids[];
};

/* ---- output ---- */

/* Move the security negotiation's pending output into out. */
static int spill_sec_mss(struct lp2p_upgrader *u)
{
	const uint8_t *p;
	size_t n;
	int rc;

	if (!u->sec_mss || !(n = lp2p_mss_out_peek(u->sec_mss, &p)))
		return 0;
	if ((rc = lp2p_buf_append(&u->out, p, n)))
		return rc;
	lp2p_mss_out_ack(u->sec_mss, n);
	return 0;
}

/* Move the handshake's pending output into out (after the negotiation's,
 * which is older). */
static int spill_hs(struct lp2p_upgrader *u)
{
	const uint8_t *p;
	size_t n;
	int rc;

	if ((rc = spill_sec_mss(u)))
		return rc;
	if (!u->hs || !(n = u->sec->hs_output(u->hs, &p)))
		return 0;
	if ((rc = lp2p_buf_append(&u->out, p, n)))
		return rc;
	u->sec->hs_output_ack(u->hs, n);
	return 0;
}

/* Seal what the muxer negotiation produced into out. */
static int seal_mux_mss(struct lp2p_upgrader *u)
{
	const uint8_t *p;
	size_t n = lp2p_mss_out_peek(u->mux_mss, &p);

	if (n == 0)
		return 0;
	size_t need = u->sec->sealed_size(u->session, n);
	uint8_t *dst = lp2p_buf_reserve(&u->out, need);
	if (!dst)
		return LP2P_ENOMEM;
	ssize_t w = u->sec->seal(u->session, p, n, dst, need);
	if (w < 0)
		return (int)w;
	u->out.len += (size_t)w;
	lp2p_mss_out_ack(u->mux_mss, n);
	return 0;
}

static bool output_pending(struct lp2p_upgrader *u)
{
	const uint8_t *p;
	return lp2p_upgrader_output(u, &p) != 0;
}

size_t lp2p_upgrader_output(struct lp2p_upgrader *u, const uint8_t **data)
{
	size_t n = lp2p_buf_avail(&u->out);

	if (n) {
		*data = lp2p_buf_data(&u->out);
		return n;
	}
	if (u->sec_mss && (n = lp2p_mss_out_peek(u->sec_mss, data)))
		return n;
	if (u->hs && (n = u->sec->hs_output(u->hs, data)))
		return n;
	*data = NULL;
	return 0;
}

void lp2p_upgrader_output_ack(struct lp2p_upgrader *u, size_t n)
{
	const uint8_t *p;
	size_t k = lp2p_buf_avail(&u->out);

	if (k > n)
		k = n;
	lp2p_buf_consume(&u->out, k);
	n -= k;
	if (u->sec_mss) {
		k = lp2p_mss_out_peek(u->sec_mss, &p);
		if (k > n)
			k = n;
		lp2p_mss_out_ack(u->sec_mss, k);
		n -= k;
		/* a finished negotiation is kept for its output only */
		if (u->stage != LP2P_UPGRADE_SECURITY_NEGOTIATE &&
		    lp2p_mss_result(u->sec_mss, NULL, NULL) == 0 &&
		    lp2p_mss_out_peek(u->sec_mss, &p) == 0) {
			lp2p_mss_free(u->sec_mss);
			u->sec_mss = NULL;
		}
	}
	if (n && u->hs) {
		k = u->sec->hs_output(u->hs, &p);
		u->sec->hs_output_ack(u->hs, k < n ? k : n);
	}
}

/* ---- life ---- */

static bool valid_id(const char *id)
{
	size_t len;

	if (!id)
		return false;
	len = strlen(id);
	return len > 0 && len < LP2P_MSS_MAX_LINE && !memchr(id, '\n', len);
}

static bool accept_security(void *user, const char *proto, size_t len)
{
	const struct lp2p_upgrader *u = user;

	(void)len;
	for (size_t i = 0; i < u->n_security; i++)
		if (strcmp(u->ids[i], proto) == 0)
			return true;
	return false;
}

static bool accept_muxer(void *user, const char *proto, size_t len)
{
	const struct lp2p_upgrader *u = user;

	(void)len;
	for (size_t i = 0; i < u->n_muxers; i++)
		if (strcmp(u->muxers[i], proto) == 0)
			return true;
	return false;
}

/* Our pointer for a muxer name, or NULL. */
static const char *our_muxer(const struct lp2p_upgrader *u, const char *name)
{
	for (size_t i = 0; i < u->n_muxers; i++)
		if (strcmp(u->muxers[i], name) == 0)
			return u->muxers[i];
	return NULL;
}

int lp2p_upgrader_new(const struct lp2p_upgrader_config *cfg,
                      struct lp2p_upgrader **out)
{
	struct lp2p_upgrader *u;
	int rc;

	if (!cfg || !out || !cfg->security || cfg->n_security == 0 ||
	    !cfg->muxers || cfg->n_muxers == 0)
		return LP2P_EINVAL;
	for (size_t i = 0; i < cfg->n_security; i++)
		if (!cfg->security[i] || !valid_id(cfg->security[i]->protocol_id))
			return LP2P_EINVAL;
	for (size_t i = 0; i < cfg->n_muxers; i++)
		if (!valid_id(cfg->muxers[i]))
			return LP2P_EINVAL;
	u = calloc(1, sizeof(*u) + cfg->n_security * sizeof(u->ids[0]));
	if (!u)
		return LP2P_ENOMEM;
	u->stage = LP2P_UPGRADE_SECURITY_NEGOTIATE;
	u->err = LP2P_EAGAIN;
	u->initiator = cfg->initiator;
	if (cfg->expected_peer) {
		u->have_expected = true;
		u->expected = *cfg->expected_peer;
	}
	u->identity = cfg->identity;
	u->security = cfg->security;
	u->security_ctx = cfg->security_ctx;
	u->n_security = cfg->n_security;
	u->muxers = cfg->muxers;
	u->n_muxers = cfg->n_muxers;
	for (size_t i = 0; i < cfg->n_security; i++)
		u->ids[i] = cfg->security[i]->protocol_id;
	rc = u->initiator
	         ? lp2p_mss_dialer_new(&u->sec_mss, u->ids, u->n_security)
	         : lp2p_mss_listener_new(&u->sec_mss, accept_security, u, 0);
	if (rc) {
		free(u);
		return rc;
	}
	*out = u;
	return 0;
}

void lp2p_upgrader_free(struct lp2p_upgrader *u)
{
	if (!u)
		return;
	lp2p_mss_free(u->sec_mss);
	lp2p_mss_free(u->mux_mss);
	if (u->sec) {
		if (u->hs)
			u->sec->hs_free(u->hs);
		if (u->session)
			u->sec->session_free(u->session);
	}
	lp2p_buf_release(&u->out);
	free(u->early);
	free(u);
}

/* ---- the steps ---- */

static int fail(struct lp2p_upgrader *u, int rc)
{
	u->stage = LP2P_UPGRADE_FAILED;
	u->err = rc;
	return rc;
}

static int start_handshake(struct lp2p_upgrader *u, size_t which)
{
	struct lp2p_secure_config sc = {
	    .initiator = u->initiator,
	    .identity = u->identity,
	    .expected_peer = u->have_expected ? &u->expected : NULL,
	    .muxers = u->muxers,
	    .n_muxers = u->n_muxers,
	    .ctx = u->security_ctx ? u->security_ctx[which] : NULL,
	};
	void *hs = NULL;
	int rc;

	u->sec = u->security[which];
	u->stage = LP2P_UPGRADE_HANDSHAKE;
	if ((rc = u->sec->hs_new(&sc, &hs)))
		return rc;
	u->hs = hs;
	return 0;
}

/* The security negotiation ended: start the chosen handshake. */
static int security_chosen(struct lp2p_upgrader *u)
{
	const char *proto;
	size_t which;
	int rc;

	if ((rc = lp2p_mss_result(u->sec_mss, &proto, &which)))
		return rc;
	/* proto belongs to the negotiation: use it before freeing that */
	if (!u->initiator) {
		which = 0;
		while (which < u->n_security &&
		       strcmp(proto, u->ids[which]) != 0)
			which++;
		if (which == u->n_security)
			return LP2P_ENOTSUP; /* cannot happen: we accepted it */
	}
	/* Its output (the listener's echo) goes out in front of the
	 * handshake's: the negotiation lives until that is sent. */
	const uint8_t *p;
	if (lp2p_mss_out_peek(u->sec_mss, &p) == 0) {
		lp2p_mss_free(u->sec_mss);
		u->sec_mss = NULL;
	}
	return start_handshake(u, which);
}

/* The handshake is complete: check it, take the muxer it chose or split
 * and start the muxer negotiation. */
static int handshake_done(struct lp2p_upgrader *u)
{
	const struct lp2p_peer_id *peer = u->sec->hs_remote_peer(u->hs);
	const char *early = u->sec->hs_selected_muxer(u->hs);
	const char *muxer = NULL;
	void *session = NULL;
	int rc;

	if (!peer)
		return LP2P_EPROTO;
	u->peer = *peer;
	/* a name the handshake chose must be one of ours */
	if (early && !(muxer = our_muxer(u, early)))
		return LP2P_ENEGOTIATE;
	if (muxer) {
		/* done; the split waits for the output to be taken */
		u->muxer = muxer;
		u->stage = LP2P_UPGRADE_DONE;
		u->err = 0;
		return 0;
	}
	/* the last handshake message leaves before any sealed frame */
	if ((rc = spill_hs(u)))
		return rc;
	lp2p_mss_free(u->sec_mss);
	u->sec_mss = NULL;
	if ((rc = u->sec->hs_split(u->hs, &session)))
		return rc;
	u->sec->hs_free(u->hs);
	u->hs = NULL;
	u->session = session;
	u->stage = LP2P_UPGRADE_MUXER_NEGOTIATE;
	rc = u->initiator
	         ? lp2p_mss_dialer_new(&u->mux_mss, u->muxers, u->n_muxers)
	         : lp2p_mss_listener_new(&u->mux_mss, accept_muxer, u, 0);
	if (rc)
		return rc;
	return seal_mux_mss(u);
}

/*
 * Feed the security negotiation.  It stops consuming when its small
 * output is full: move that output into out and retry.
 */
static ssize_t sec_mss_feed(struct lp2p_upgrader *u, const uint8_t *p,
                            size_t n)
{
	ssize_t used = lp2p_mss_recv(u->sec_mss, p, n);

	if (used == 0 && n &&
	    lp2p_mss_result(u->sec_mss, NULL, NULL) == LP2P_EAGAIN) {
		int rc = spill_sec_mss(u);
		if (rc)
			return rc;
		used = lp2p_mss_recv(u->sec_mss, p, n);
	}
	return used;
}

/* Plaintext of the secure channel during the muxer negotiation. */
static int muxer_plain(struct lp2p_upgrader *u, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t used = lp2p_mss_recv(u->mux_mss, p, n);
		const char *proto;
		size_t index;
		int rc;

		if (used < 0)
			return (int)used;
		/* answers are sealed at once: the negotiation always has
		 * room for the next one */
		if ((rc = seal_mux_mss(u)))
			return rc;
		p += used;
		n -= (size_t)used;
		rc = lp2p_mss_result(u->mux_mss, &proto, &index);
		if (rc == LP2P_EAGAIN) {
			if (used == 0)
				return LP2P_EPROTO; /* stuck: cannot happen */
			continue;
		}
		if (rc < 0)
			return rc;
		const char *muxer = u->initiator ? u->muxers[index]
		                                 : our_muxer(u, proto);
		if (!muxer)
			return LP2P_ENEGOTIATE; /* cannot happen */
		lp2p_mss_free(u->mux_mss);
		u->mux_mss = NULL;
		/* The rest of this plaintext is the muxer's. */
		if (n) {
			if (!(u->early = malloc(n)))
				return LP2P_ENOMEM;
			memcpy(u->early, p, n);
			u->early_len = n;
		}
		u->muxer = muxer;
		u->stage = LP2P_UPGRADE_DONE;
		u->err = 0;
		return 0;
	}
	return 0;
}

static ssize_t step(struct lp2p_upgrader *u, uint8_t *p, size_t n)
{
	ssize_t used;
	int rc;

	switch (u->stage) {
	case LP2P_UPGRADE_SECURITY_NEGOTIATE:
		if ((used = sec_mss_feed(u, p, n)) < 0)
			return used;
		rc = lp2p_mss_result(u->sec_mss, NULL, NULL);
		if (rc == LP2P_EAGAIN)
			return used;
		if (rc < 0)
			return rc;
		if ((rc = security_chosen(u)))
			return rc;
		return used;
	case LP2P_UPGRADE_HANDSHAKE:
		if ((used = u->sec->hs_feed(u->hs, p, n)) < 0)
			return used;
		if (u->sec->hs_done(u->hs) && (rc = handshake_done(u)))
			return rc;
		return used;
	case LP2P_UPGRADE_MUXER_NEGOTIATE: {
		/*
		 * One span at a time (Noise: one frame), so that what is
		 * decrypted with the final message and becomes early data
		 * is as little as the protocol allows.  TLS decrypts every
		 * complete record in one call: their plaintext all belongs
		 * to the muxer then.
		 */
		struct lp2p_secure_span span;
		size_t nspans = 0;
		used = u->sec->open(u->session, p, n, &span, 1, &nspans);
		if (used < 0)
			return used;
		if (nspans && (rc = muxer_plain(u, span.data, span.len)))
			return rc;
		return used;
	}
	case LP2P_UPGRADE_DONE:
	case LP2P_UPGRADE_FAILED:
		break;
	}
	return 0;
}

ssize_t lp2p_upgrader_recv(struct lp2p_upgrader *u, uint8_t *buf, size_t len)
{
	size_t done = 0;

	if (u->stage == LP2P_UPGRADE_FAILED)
		return u->err;
	while (done < len && u->stage != LP2P_UPGRADE_DONE) {
		enum lp2p_upgrade_stage was = u->stage;
		ssize_t used = step(u, buf + done, len - done);
		if (used < 0)
			return fail(u, (int)used);
		done += (size_t)used;
		/* nothing taken and still in the same stage: a partial unit */
		if (used == 0 && u->stage == was)
			break;
	}
	return (ssize_t)done;
}

/* ---- state ---- */

int lp2p_upgrader_status(const struct lp2p_upgrader *u)
{
	return u->err;
}

enum lp2p_upgrade_stage lp2p_upgrader_stage(const struct lp2p_upgrader *u)
{
	return u->stage;
}

const char *lp2p_upgrader_error_reason(const struct lp2p_upgrader *u)
{
	const char *why = NULL;

	if (u->stage != LP2P_UPGRADE_FAILED)
		return NULL;
	if (u->hs)
		why = u->sec->hs_error_reason(u->hs);
	else if (u->session)
		why = u->sec->session_error_reason(u->session);
	return why && *why ? why : NULL;
}

const char *lp2p_upgrader_security(const struct lp2p_upgrader *u)
{
	return u->sec ? u->sec->protocol_id : NULL;
}

size_t lp2p_upgrader_early_data(const struct lp2p_upgrader *u,
                                const uint8_t **data)
{
	if (u->stage != LP2P_UPGRADE_DONE || !u->early_len) {
		*data = NULL;
		return 0;
	}
	*data = u->early;
	return u->early_len;
}

int lp2p_upgrader_result(struct lp2p_upgrader *u,
                         struct lp2p_upgrade_result *out)
{
	if (u->stage == LP2P_UPGRADE_FAILED)
		return u->err;
	if (u->stage != LP2P_UPGRADE_DONE || output_pending(u))
		return LP2P_EAGAIN;
	if (u->hs) { /* the muxer was chosen in the handshake */
		void *session = NULL;
		int rc = u->sec->hs_split(u->hs, &session);
		if (rc)
			return fail(u, rc);
		u->sec->hs_free(u->hs);
		u->hs = NULL;
		u->session = session;
	}
	out->sec = u->sec;
	out->session = u->session;
	out->muxer = u->muxer;
	out->peer = u->peer;
	u->session = NULL;
	return 0;
}
