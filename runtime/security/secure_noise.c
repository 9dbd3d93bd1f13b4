/* secure_noise.c - Noise behind the secure channel table (secure.h) */
#include <stdlib.h>

#include "security/noise.h"
#include "security/secure.h"

static int ctx_new(const struct lp2p_key *identity, const char *const *muxers,
                   size_t n_muxers, void **ctx)
{
	struct lp2p_noise_ctx_config cc = {
	    .identity = identity,
	    .muxers = muxers,
	    .n_muxers = n_muxers,
	};

	return lp2p_noise_ctx_new(&cc, (struct lp2p_noise_ctx **)ctx);
}

static void ctx_free(void *ctx)
{
	lp2p_noise_ctx_free(ctx);
}

static int hs_new(const struct lp2p_secure_config *cfg, void **hs)
{
	struct lp2p_noise_config nc = {
	    .initiator = cfg->initiator,
	    .ctx = cfg->ctx,
	    .identity = cfg->identity,
	    .expected_peer = cfg->expected_peer,
	    .muxers = cfg->muxers,
	    .n_muxers = cfg->n_muxers,
	};

	return lp2p_noise_hs_new(&nc, (struct lp2p_noise_hs **)hs);
}

static void hs_free(void *hs)
{
	lp2p_noise_hs_free(hs);
}

static ssize_t hs_feed(void *hs, const uint8_t *in, size_t len)
{
	return lp2p_noise_hs_feed(hs, in, len);
}

static size_t hs_output(void *hs, const uint8_t **data)
{
	return lp2p_noise_hs_output(hs, data);
}

static void hs_output_ack(void *hs, size_t n)
{
	lp2p_noise_hs_output_ack(hs, n);
}

static bool hs_done(void *hs)
{
	return lp2p_noise_hs_done(hs);
}

static const char *hs_error_reason(void *hs)
{
	return lp2p_noise_error_reason(hs);
}

static const struct lp2p_peer_id *hs_remote_peer(void *hs)
{
	return lp2p_noise_hs_remote_peer(hs);
}

static const char *hs_selected_muxer(void *hs)
{
	return lp2p_noise_hs_selected_muxer(hs);
}

static int hs_split(void *hs, void **session)
{
	struct lp2p_noise_session *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return LP2P_ENOMEM;
	rc = lp2p_noise_hs_split(hs, s);
	if (rc) {
		free(s);
		return rc;
	}
	*session = s;
	return 0;
}

static void session_free(void *session)
{
	if (!session)
		return;
	lp2p_noise_session_clear(session);
	free(session);
}

static size_t sealed_size(void *session, size_t n)
{
	(void)session;
	return lp2p_noise_sealed_size(n);
}

static ssize_t seal(void *session, const uint8_t *pt, size_t n, uint8_t *out,
                    size_t cap)
{
	return lp2p_noise_seal(session, pt, n, out, cap);
}

static ssize_t open_(void *session, uint8_t *buf, size_t len,
                     struct lp2p_secure_span *spans, size_t max_spans,
                     size_t *nspans)
{
	struct lp2p_noise_span ns[16];
	size_t n = 0;
	ssize_t used;

	if (max_spans > 16)
		max_spans = 16;
	used = lp2p_noise_open(session, buf, len, ns, max_spans, &n);
	if (used < 0)
		return used;
	for (size_t i = 0; i < n; i++) {
		spans[i].data = ns[i].data;
		spans[i].len = ns[i].len;
	}
	*nspans = n;
	return used;
}

static const char *session_error_reason(void *session)
{
	(void)session;
	return ""; /* lp2p_strerror() of the code says it all */
}

const struct lp2p_secure_ops lp2p_secure_noise = {
    .name = "noise",
    .protocol_id = LP2P_NOISE_PROTOCOL_ID,
    .max_unit = LP2P_NOISE_FRAME_MAX,
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
