/* tls_secure.c - TLS behind the secure channel table (secure.h) */
#include "security/noise.h"
#include "security/secure.h"
#include "security/tls.h"

/* The swarm's read buffer keeps room for one partial Noise frame after a
 * full read; a partial TLS record must fit there too. */
_Static_assert(LP2P_TLS_MAX_RECORD <= LP2P_NOISE_FRAME_MAX,
               "a TLS record is larger than a Noise frame");

static int ctx_new(const struct lp2p_key *identity, const char *const *muxers,
                   size_t n_muxers, void **ctx)
{
	(void)muxers; /* ALPN is set per handshake */
	(void)n_muxers;
	return lp2p_tls_ctx_new(identity, (struct lp2p_tls_ctx **)ctx);
}

static void ctx_free(void *ctx)
{
	lp2p_tls_ctx_free(ctx);
}

static int hs_new(const struct lp2p_secure_config *cfg, void **hs)
{
	struct lp2p_tls_config tc = {
	    .initiator = cfg->initiator,
	    .ctx = cfg->ctx,
	    .identity = cfg->identity,
	    .expected_peer = cfg->expected_peer,
	    .muxers = cfg->muxers,
	    .n_muxers = cfg->n_muxers,
	    .now = 0,
	};

	return lp2p_tls_hs_new(&tc, (struct lp2p_tls_hs **)hs);
}

static void hs_free(void *hs)
{
	lp2p_tls_hs_free(hs);
}

static ssize_t hs_feed(void *hs, const uint8_t *in, size_t len)
{
	return lp2p_tls_hs_feed(hs, in, len);
}

static size_t hs_output(void *hs, const uint8_t **data)
{
	return lp2p_tls_hs_output(hs, data);
}

static void hs_output_ack(void *hs, size_t n)
{
	lp2p_tls_hs_output_ack(hs, n);
}

static bool hs_done(void *hs)
{
	return lp2p_tls_hs_done(hs);
}

static const char *hs_error_reason(void *hs)
{
	return lp2p_tls_error_reason(hs);
}

static const struct lp2p_peer_id *hs_remote_peer(void *hs)
{
	return lp2p_tls_hs_remote_peer(hs);
}

static const char *hs_selected_muxer(void *hs)
{
	return lp2p_tls_hs_selected_muxer(hs);
}

static int hs_split(void *hs, void **session)
{
	return lp2p_tls_hs_split(hs, (struct lp2p_tls_session **)session);
}

static void session_free(void *session)
{
	lp2p_tls_session_free(session);
}

static size_t sealed_size(void *session, size_t n)
{
	return lp2p_tls_sealed_size(session, n);
}

static ssize_t seal(void *session, const uint8_t *pt, size_t n, uint8_t *out,
                    size_t cap)
{
	return lp2p_tls_seal(session, pt, n, out, cap);
}

/* All plaintext is contiguous at the start of buf: one span at most. */
static ssize_t open_(void *session, uint8_t *buf, size_t len,
                     struct lp2p_secure_span *spans, size_t max_spans,
                     size_t *nspans)
{
	size_t ptlen = 0;
	ssize_t used;

	if (max_spans == 0)
		return 0;
	used = lp2p_tls_open(session, buf, len, &ptlen);
	if (used < 0)
		return used;
	*nspans = 0;
	if (ptlen) {
		spans[0].data = buf;
		spans[0].len = ptlen;
		*nspans = 1;
	}
	return used;
}

static const char *session_error_reason(void *session)
{
	return lp2p_tls_session_error_reason(session);
}

const struct lp2p_secure_ops lp2p_secure_tls = {
    .name = "tls",
    .protocol_id = LP2P_TLS_PROTOCOL_ID,
    .max_unit = LP2P_TLS_MAX_RECORD,
    .ctx_new = ctx_new,
    .ctx_free = ctx_free,
    .hs_new = hs_new,
    .hs_free = hs_free,
    .hs_feed = hs_feed,
    .hs_output = hs_output,
    .hs_output_ack = hs_output_ack,
    .hs_done = hs_done,
    .hs_error_reason = hs_error_reason,
    .hs_remote_peer = hs_remote_peer,
    .hs_selected_muxer = hs_selected_muxer,
    .hs_split = hs_split,
    .session_free = session_free,
    .sealed_size = sealed_size,
    .seal = seal,
    .open = open_,
    .session_error_reason = session_error_reason,
};
