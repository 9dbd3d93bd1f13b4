/*
 * noise_handshake.c - the libp2p Noise handshake: XX with an empty
 * prologue, one X25519 static key per host (lp2p_noise_ctx) signed once by
 * the identity key, payloads in messages 2 (responder) and 3 (initiator),
 * 2-byte big-endian frame lengths.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <lp2p/crypto.h>
#include <lp2p/peer_id.h>

#include "security/noise.h"
#include "security/noise_payload.h"

/* What the identity key signs, before the Noise static public key. */
#define STATIC_KEY_PREFIX "noise-libp2p-static-key:"
#define STATIC_KEY_PREFIX_LEN (sizeof(STATIC_KEY_PREFIX) - 1)

struct muxer_list {
	const char *names[LP2P_NOISE_MAX_MUXERS];
	size_t n;
	char *storage; /* the strings, NUL-terminated, one allocation */
};

struct lp2p_noise_ctx {
	unsigned refs; /* the host's and one per live handshake */
	struct lp2p_noise_keypair static_key;
	/* Ephemeral keys and the peers' keys of all handshakes come from
	 * these contexts. */
	struct lp2p_noise_x25519 x25519;
	/* The marshalled identity public key and its signature over
	 * STATIC_KEY_PREFIX || static public key: constant for the ctx. */
	uint8_t identity_pub[LP2P_KEY_PUBLIC_MAX];
	size_t identity_pub_len;
	uint8_t sig[LP2P_KEY_SIG_MAX];
	size_t sig_len;
	struct muxer_list muxers;
	/* The encoded payload for `muxers`, sent by every handshake. */
	uint8_t *payload;
	size_t payload_len;
};

struct lp2p_noise_hs {
	struct lp2p_noise_xx xx;
	struct lp2p_noise_ctx *ctx; /* a reference */
	bool initiator;
	bool done;
	bool split;
	int err;
	char reason[256];

	bool has_expected;
	struct lp2p_peer_id expected;

	/* Our payload: the ctx's, or own_payload when our muxer list is not
	 * the ctx's. */
	const uint8_t *payload;
	size_t payload_len;
	uint8_t *own_payload;

	/* Frames waiting to be sent: out[out_off..out_len). */
	uint8_t *out;
	size_t out_cap, out_len, out_off;

	/* Ours: the ctx's list, or own_muxers. */
	const struct muxer_list *local_muxers;
	struct muxer_list own_muxers;
	struct muxer_list remote_muxers;
	const char *selected_muxer;

	struct lp2p_key *remote_key;
	struct lp2p_peer_id remote_peer;
};

static int fail(struct lp2p_noise_hs *hs, int err, const char *fmt, ...)
    LP2P_PRINTF(3, 4);

static int fail(struct lp2p_noise_hs *hs, int err, const char *fmt, ...)
{
	va_list ap;

	if (hs->err)
		return hs->err;
	hs->err = err;
	va_start(ap, fmt);
	vsnprintf(hs->reason, sizeof(hs->reason), fmt, ap);
	va_end(ap);
	return err;
}

static void muxer_list_free(struct muxer_list *l)
{
	free(l->storage);
	memset(l, 0, sizeof(*l));
}

/* Copy n strings (views: data/len) into one allocation. */
static int muxer_list_set(struct muxer_list *l, const struct lp2p_noise_view *v,
                          size_t n)
{
	size_t total = 0, off = 0;

	for (size_t i = 0; i < n; i++)
		total += v[i].len + 1;
	l->storage = malloc(total ? total : 1);
	if (!l->storage)
		return LP2P_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		memcpy(l->storage + off, v[i].data, v[i].len);
		l->storage[off + v[i].len] = '\0';
		l->names[i] = l->storage + off;
		off += v[i].len + 1;
	}
	l->n = n;
	return 0;
}

static bool muxer_list_has(const struct muxer_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

/* Whether l holds exactly these names, in this order. */
static bool muxer_list_equal(const struct muxer_list *l,
                             const struct lp2p_noise_view *v, size_t n)
{
	if (l->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strlen(l->names[i]) != v[i].len ||
		    memcmp(l->names[i], v[i].data, v[i].len) != 0)
			return false;
	return true;
}

/* Views of a caller's muxer names, checked against our limits. */
static int muxer_views(const char *const *muxers, size_t n,
                       struct lp2p_noise_view v[LP2P_NOISE_MAX_MUXERS])
{
	if (n > LP2P_NOISE_MAX_MUXERS)
		return LP2P_ERANGE;
	if (n && !muxers)
		return LP2P_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!muxers[i])
			return LP2P_EINVAL;
		v[i].data = (const uint8_t *)muxers[i];
		v[i].len = strlen(muxers[i]);
		if (v[i].len == 0 || v[i].len > LP2P_NOISE_MAX_MUXER_LEN)
			return LP2P_ERANGE;
	}
	return 0;
}

/* The first of the initiator's muxers that the responder also lists. */
static const char *select_muxer(const struct lp2p_noise_hs *hs)
{
	const struct muxer_list *ini =
	    hs->initiator ? hs->local_muxers : &hs->remote_muxers;
	const struct muxer_list *res =
	    hs->initiator ? &hs->remote_muxers : hs->local_muxers;

	for (size_t i = 0; i < ini->n; i++)
		if (muxer_list_has(res, ini->names[i]))
			return ini->names[i];
	return NULL;
}

/* Append a frame holding the next XX message with payload. */
static int write_frame(struct lp2p_noise_hs *hs, const uint8_t *payload,
                       size_t len)
{
	size_t mlen = lp2p_noise_xx_msg_len(&hs->xx, len);
	uint8_t *frame;
	int n;

	if (hs->out_off == hs->out_len)
		hs->out_off = hs->out_len = 0;
	if (hs->out_cap - hs->out_len < LP2P_NOISE_LEN_PREFIX + mlen)
		return fail(hs, LP2P_ERANGE, "noise: output buffer too small");
	frame = hs->out + hs->out_len;
	n = lp2p_noise_xx_write(
	    &hs->xx, payload, len, frame + LP2P_NOISE_LEN_PREFIX,
	    hs->out_cap - hs->out_len - LP2P_NOISE_LEN_PREFIX);
	if (n < 0)
		return fail(hs, n, "noise: cannot write handshake message: %s",
		            lp2p_strerror(n));
	frame[0] = (uint8_t)((unsigned)n >> 8);
	frame[1] = (uint8_t)n;
	hs->out_len += LP2P_NOISE_LEN_PREFIX + (size_t)n;
	return 0;
}

/* Encode a payload with the ctx's identity key and signature. */
static int encode_payload(const struct lp2p_noise_ctx *ctx,
                          const struct muxer_list *muxers, uint8_t **out,
                          size_t *out_len)
{
	size_t len = lp2p_noise_payload_size(
	    ctx->identity_pub_len, ctx->sig_len, muxers->names, muxers->n);
	uint8_t *buf = malloc(len);
	int n;

	if (!buf)
		return LP2P_ENOMEM;
	n = lp2p_noise_payload_write(buf, len, ctx->identity_pub,
	                             ctx->identity_pub_len, ctx->sig,
	                             ctx->sig_len, muxers->names, muxers->n);
	if (n < 0) {
		free(buf);
		return n;
	}
	*out = buf;
	*out_len = (size_t)n;
	return 0;
}

/* Sign the static key once: every handshake of the ctx sends it. */
static int sign_static_key(struct lp2p_noise_ctx *ctx,
                           const struct lp2p_key *identity)
{
	uint8_t tbs[STATIC_KEY_PREFIX_LEN + LP2P_NOISE_DHLEN];
	int siglen, keylen;

	memcpy(tbs, STATIC_KEY_PREFIX, STATIC_KEY_PREFIX_LEN);
	memcpy(tbs + STATIC_KEY_PREFIX_LEN, ctx->static_key.pub,
	       LP2P_NOISE_DHLEN);
	siglen = lp2p_key_sign(identity, tbs, sizeof(tbs), ctx->sig,
	                       sizeof(ctx->sig));
	if (siglen < 0)
		return siglen;
	keylen = lp2p_key_marshal_public(identity, ctx->identity_pub,
	                                 sizeof(ctx->identity_pub));
	if (keylen < 0)
		return keylen;
	ctx->sig_len = (size_t)siglen;
	ctx->identity_pub_len = (size_t)keylen;
	return 0;
}

static int ctx_setup(struct lp2p_noise_ctx *ctx,
                     const struct lp2p_noise_ctx_config *cfg)
{
	struct lp2p_noise_view v[LP2P_NOISE_MAX_MUXERS];
	int err;

	err = muxer_views(cfg->muxers, cfg->n_muxers, v);
	if (!err)
		err = muxer_list_set(&ctx->muxers, v, cfg->n_muxers);
	if (err)
		return err;
	err = lp2p_noise_x25519_init(&ctx->x25519);
	if (err)
		return err;
	err = cfg->static_private
	          ? lp2p_noise_keypair_from_private(&ctx->static_key,
	                                            cfg->static_private)
	          : lp2p_noise_x25519_generate(&ctx->x25519, &ctx->static_key);
	if (!err)
		err = sign_static_key(ctx, cfg->identity);
	if (!err)
		err = encode_payload(ctx, &ctx->muxers, &ctx->payload,
		                     &ctx->payload_len);
	return err;
}

int lp2p_noise_ctx_new(const struct lp2p_noise_ctx_config *cfg,
                       struct lp2p_noise_ctx **out)
{
	struct lp2p_noise_ctx *ctx;
	int err;

	if (!cfg || !out || !cfg->identity ||
	    lp2p_key_is_private(cfg->identity) != 1)
		return LP2P_EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return LP2P_ENOMEM;
	ctx->refs = 1;
	err = ctx_setup(ctx, cfg);
	if (err) {
		lp2p_noise_ctx_free(ctx);
		return err;
	}
	*out = ctx;
	return 0;
}

void lp2p_noise_ctx_free(struct lp2p_noise_ctx *ctx)
{
	if (!ctx || --ctx->refs > 0)
		return;
	lp2p_noise_keypair_clear(&ctx->static_key);
	lp2p_noise_x25519_clear(&ctx->x25519);
	muxer_list_free(&ctx->muxers);
	free(ctx->payload);
	free(ctx);
}

const uint8_t *lp2p_noise_ctx_static_public(const struct lp2p_noise_ctx *ctx)
{
	return ctx->static_key.pub;
}

/* Our muxer list and payload: the ctx's when the lists agree (the host's
 * case), else our own list and a payload encoded for it. */
static int local_payload(struct lp2p_noise_hs *hs,
                         const struct lp2p_noise_config *cfg)
{
	struct lp2p_noise_view v[LP2P_NOISE_MAX_MUXERS];
	int err = muxer_views(cfg->muxers, cfg->n_muxers, v);

	if (err)
		return err;
	if (muxer_list_equal(&hs->ctx->muxers, v, cfg->n_muxers)) {
		hs->local_muxers = &hs->ctx->muxers;
		hs->payload = hs->ctx->payload;
		hs->payload_len = hs->ctx->payload_len;
		return 0;
	}
	err = muxer_list_set(&hs->own_muxers, v, cfg->n_muxers);
	if (!err)
		err = encode_payload(hs->ctx, &hs->own_muxers, &hs->own_payload,
		                     &hs->payload_len);
	if (err)
		return err;
	hs->local_muxers = &hs->own_muxers;
	hs->payload = hs->own_payload;
	return 0;
}

static int hs_setup(struct lp2p_noise_hs *hs,
                    const struct lp2p_noise_config *cfg)
{
	struct lp2p_noise_keypair s;
	size_t overhead;
	int err;

	if (cfg->ctx) {
		hs->ctx = cfg->ctx;
		hs->ctx->refs++;
	} else {
		/* One connection on its own: a context for it alone. */
		struct lp2p_noise_ctx_config cc = {
		    .identity = cfg->identity,
		    .muxers = cfg->muxers,
		    .n_muxers = cfg->n_muxers,
		};
		err = lp2p_noise_ctx_new(&cc, &hs->ctx);
		if (err)
			return err;
	}
	err = local_payload(hs, cfg);
	if (err)
		return err;
	err = lp2p_noise_keypair_share(&s, &hs->ctx->static_key);
	if (err)
		return err;
	err = lp2p_noise_xx_init(&hs->xx, cfg->initiator, NULL, 0, &s, NULL);
	if (err) {
		lp2p_noise_keypair_clear(&s);
		return err;
	}
	hs->xx.x25519 = &hs->ctx->x25519;
	/* Our payload goes in message 2 (96 bytes around it) or 3 (64). */
	overhead = cfg->initiator
	               ? LP2P_NOISE_DHLEN + 2 * LP2P_NOISE_TAGLEN
	               : 2 * LP2P_NOISE_DHLEN + 2 * LP2P_NOISE_TAGLEN;
	if (hs->payload_len > LP2P_NOISE_MAX_MSG - overhead)
		return LP2P_ERANGE;
	hs->out_cap = LP2P_NOISE_LEN_PREFIX + overhead + hs->payload_len;
	if (cfg->initiator)
		hs->out_cap += LP2P_NOISE_LEN_PREFIX + LP2P_NOISE_DHLEN;
	hs->out = malloc(hs->out_cap);
	if (!hs->out)
		return LP2P_ENOMEM;
	/* -> e, with an empty payload (no early data before secrecy). */
	return cfg->initiator ? write_frame(hs, NULL, 0) : 0;
}

int lp2p_noise_hs_new(const struct lp2p_noise_config *cfg,
                      struct lp2p_noise_hs **out)
{
	struct lp2p_noise_hs *hs;
	int err;

	if (!cfg || !out ||
	    (!cfg->ctx &&
	     (!cfg->identity || lp2p_key_is_private(cfg->identity) != 1)))
		return LP2P_EINVAL;
	hs = calloc(1, sizeof(*hs));
	if (!hs)
		return LP2P_ENOMEM;
	hs->initiator = cfg->initiator;
	if (cfg->expected_peer) {
		hs->has_expected = true;
		hs->expected = *cfg->expected_peer;
	}
	err = hs_setup(hs, cfg);
	if (err) {
		lp2p_noise_hs_free(hs);
		return err;
	}
	*out = hs;
	return 0;
}

void lp2p_noise_hs_free(struct lp2p_noise_hs *hs)
{
	if (!hs)
		return;
	lp2p_noise_xx_clear(&hs->xx);
	free(hs->own_payload);
	if (hs->out)
		OPENSSL_cleanse(hs->out, hs->out_cap);
	free(hs->out);
	muxer_list_free(&hs->own_muxers);
	muxer_list_free(&hs->remote_muxers);
	lp2p_key_free(hs->remote_key);
	lp2p_noise_ctx_free(hs->ctx);
	free(hs);
}

/* Map a key-decoding error to ours: bad bytes from the peer are a
 * protocol violation; an unknown key type is unsupported. */
static int key_error(int err)
{
	return err == LP2P_ENOTSUP || err == LP2P_ENOMEM ? err : LP2P_EPROTO;
}

/* Authenticate the peer from its payload and the static key rs. */
static int verify_remote(struct lp2p_noise_hs *hs, const uint8_t *buf,
                         size_t len)
{
	uint8_t tbs[STATIC_KEY_PREFIX_LEN + LP2P_NOISE_DHLEN];
	struct lp2p_noise_payload p;
	const char *why = NULL;
	int err;

	err = lp2p_noise_payload_parse(buf, len, &p, &why);
	if (err)
		return fail(hs, err, "%s", why);
	err = lp2p_key_unmarshal_public(p.identity_key.data, p.identity_key.len,
	                                &hs->remote_key);
	if (err)
		return fail(hs, key_error(err),
		            "noise: cannot decode the remote identity key: %s",
		            lp2p_strerror(err));
	memcpy(tbs, STATIC_KEY_PREFIX, STATIC_KEY_PREFIX_LEN);
	memcpy(tbs + STATIC_KEY_PREFIX_LEN, hs->xx.rs, LP2P_NOISE_DHLEN);
	err = lp2p_key_verify(hs->remote_key, tbs, sizeof(tbs),
	                      p.identity_sig.data, p.identity_sig.len);
	if (err)
		return fail(hs, LP2P_ECRYPTO,
		            "noise: the remote identity signature over the "
		            "static key is invalid");
	err = lp2p_peer_id_from_key(hs->remote_key, &hs->remote_peer);
	if (err)
		return fail(hs, err, "noise: cannot derive the remote peer id");
	if (hs->has_expected &&
	    !lp2p_peer_id_equal(&hs->expected, &hs->remote_peer)) {
		char want[LP2P_PEER_ID_STR_MAX], got[LP2P_PEER_ID_STR_MAX];
		if (lp2p_peer_id_to_string(&hs->expected, want, sizeof(want)) <
		    0)
			strcpy(want, "?");
		if (lp2p_peer_id_to_string(&hs->remote_peer, got, sizeof(got)) <
		    0)
			strcpy(got, "?");
		return fail(hs, LP2P_EPEERID,
		            "noise: peer id mismatch: dialled %s, the remote "
		            "is %s",
		            want, got);
	}
	/* Early data is released only now that it is authenticated. */
	err = muxer_list_set(&hs->remote_muxers, p.muxers, p.n_muxers);
	if (err)
		return fail(hs, err, "noise: out of memory");
	hs->selected_muxer = select_muxer(hs);
	return 0;
}

/* Process one complete handshake message and answer it. */
static int on_message(struct lp2p_noise_hs *hs, const uint8_t *msg, size_t len)
{
	int msgno = hs->xx.msg; /* 0, 1 or 2 */
	uint8_t *payload = malloc(len ? len : 1);
	int n, err = 0;

	if (!payload)
		return fail(hs, LP2P_ENOMEM, "noise: out of memory");
	n = lp2p_noise_xx_read(&hs->xx, msg, len, payload, len);
	if (n < 0) {
		err = fail(hs, n,
		           n == LP2P_ECRYPTO
		               ? "noise: handshake message %d failed to "
		                 "decrypt"
		               : "noise: handshake message %d is malformed",
		           msgno + 1);
		goto out;
	}
	switch (msgno) {
	case 0: /* -> e: its payload, if any, is not authenticated: ignored */
		err = write_frame(hs, hs->payload, hs->payload_len);
		break;
	case 1: /* <- e, ee, s, es + the responder's payload */
		err = verify_remote(hs, payload, (size_t)n);
		if (!err)
			err = write_frame(hs, hs->payload, hs->payload_len);
		if (!err)
			hs->done = true;
		break;
	case 2: /* -> s, se + the initiator's payload */
		err = verify_remote(hs, payload, (size_t)n);
		if (!err)
			hs->done = true;
		break;
	}
out:
	OPENSSL_cleanse(payload, len ? len : 1);
	free(payload);
	return err ? hs->err : 0;
}

ssize_t lp2p_noise_hs_feed(struct lp2p_noise_hs *hs, const uint8_t *in,
                           size_t len)
{
	size_t off = 0;

	if (hs->err)
		return hs->err;
	while (!hs->done && !lp2p_noise_xx_our_turn(&hs->xx) &&
	       len - off >= LP2P_NOISE_LEN_PREFIX) {
		size_t fsize = lp2p_noise_frame_size(in + off, len - off);
		if (fsize > len - off)
			break;
		int err = on_message(hs, in + off + LP2P_NOISE_LEN_PREFIX,
		                     fsize - LP2P_NOISE_LEN_PREFIX);
		if (err)
			return err;
		off += fsize;
	}
	return (ssize_t)off;
}

size_t lp2p_noise_hs_output(const struct lp2p_noise_hs *hs,
                            const uint8_t **data)
{
	if (hs->err) {
		*data = NULL;
		return 0;
	}
	*data = hs->out + hs->out_off;
	return hs->out_len - hs->out_off;
}

void lp2p_noise_hs_output_ack(struct lp2p_noise_hs *hs, size_t n)
{
	size_t pending = hs->out_len - hs->out_off;

	hs->out_off += n < pending ? n : pending;
}

bool lp2p_noise_hs_done(const struct lp2p_noise_hs *hs)
{
	return hs->done && !hs->err;
}

int lp2p_noise_hs_error(const struct lp2p_noise_hs *hs)
{
	return hs->err;
}

const char *lp2p_noise_error_reason(const struct lp2p_noise_hs *hs)
{
	return hs->reason;
}

const struct lp2p_peer_id *
lp2p_noise_hs_remote_peer(const struct lp2p_noise_hs *hs)
{
	return lp2p_noise_hs_done(hs) ? &hs->remote_peer : NULL;
}

const struct lp2p_key *lp2p_noise_hs_remote_key(const struct lp2p_noise_hs *hs)
{
	return lp2p_noise_hs_done(hs) ? hs->remote_key : NULL;
}

size_t lp2p_noise_hs_remote_muxers(const struct lp2p_noise_hs *hs,
                                   const char *const **list)
{
	if (!lp2p_noise_hs_done(hs)) {
		*list = NULL;
		return 0;
	}
	*list = hs->remote_muxers.names;
	return hs->remote_muxers.n;
}

const char *lp2p_noise_hs_selected_muxer(const struct lp2p_noise_hs *hs)
{
	return lp2p_noise_hs_done(hs) ? hs->selected_muxer : NULL;
}

int lp2p_noise_hs_split(struct lp2p_noise_hs *hs, struct lp2p_noise_session *s)
{
	if (!lp2p_noise_hs_done(hs) || hs->split)
		return LP2P_EINVAL;
	memset(s, 0, sizeof(*s));
	int err = lp2p_noise_xx_split(&hs->xx, &s->send, &s->recv, NULL);
	if (err)
		return err;
	hs->split = true;
	return 0;
}
