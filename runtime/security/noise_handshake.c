/*
 * noise_handshake.c - the libp2p Noise handshake: XX with an empty
 * prologue, a fresh X25519 static key per connection signed by the
 * identity key, payloads in messages 2 (responder) and 3 (initiator),
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

struct lp2p_noise_hs {
	struct lp2p_noise_xx xx;
	bool initiator;
	bool done;
	bool split;
	int err;
	char reason[256];

	bool has_expected;
	struct lp2p_peer_id expected;

	/* Our signed payload, made once at creation. */
	uint8_t *payload;
	size_t payload_len;

	/* Frames waiting to be sent: out[out_off..out_len). */
	uint8_t *out;
	size_t out_cap, out_len, out_off;

	struct muxer_list local_muxers;
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

/* The first of the initiator's muxers that the responder also lists. */
static const char *select_muxer(const struct lp2p_noise_hs *hs)
{
	const struct muxer_list *ini =
	    hs->initiator ? &hs->local_muxers : &hs->remote_muxers;
	const struct muxer_list *res =
	    hs->initiator ? &hs->remote_muxers : &hs->local_muxers;

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

/* Sign the static key and build our payload. */
static int make_payload(struct lp2p_noise_hs *hs,
                        const struct lp2p_key *identity)
{
	uint8_t tbs[STATIC_KEY_PREFIX_LEN + LP2P_NOISE_DHLEN];
	uint8_t sig[LP2P_KEY_SIG_MAX], key[LP2P_KEY_PUBLIC_MAX];
	int siglen, keylen, n;

	memcpy(tbs, STATIC_KEY_PREFIX, STATIC_KEY_PREFIX_LEN);
	memcpy(tbs + STATIC_KEY_PREFIX_LEN, hs->xx.s.pub, LP2P_NOISE_DHLEN);
	siglen = lp2p_key_sign(identity, tbs, sizeof(tbs), sig, sizeof(sig));
	if (siglen < 0)
		return siglen;
	keylen = lp2p_key_marshal_public(identity, key, sizeof(key));
	if (keylen < 0)
		return keylen;
	hs->payload_len =
	    lp2p_noise_payload_size((size_t)keylen, (size_t)siglen,
	                            hs->local_muxers.names, hs->local_muxers.n);
	hs->payload = malloc(hs->payload_len);
	if (!hs->payload)
		return LP2P_ENOMEM;
	n = lp2p_noise_payload_write(
	    hs->payload, hs->payload_len, key, (size_t)keylen, sig,
	    (size_t)siglen, hs->local_muxers.names, hs->local_muxers.n);
	return n < 0 ? n : 0;
}

static int copy_local_muxers(struct lp2p_noise_hs *hs,
                             const struct lp2p_noise_config *cfg)
{
	struct lp2p_noise_view v[LP2P_NOISE_MAX_MUXERS];

	if (cfg->n_muxers > LP2P_NOISE_MAX_MUXERS)
		return LP2P_ERANGE;
	if (cfg->n_muxers && !cfg->muxers)
		return LP2P_EINVAL;
	for (size_t i = 0; i < cfg->n_muxers; i++) {
		if (!cfg->muxers[i])
			return LP2P_EINVAL;
		v[i].data = (const uint8_t *)cfg->muxers[i];
		v[i].len = strlen(cfg->muxers[i]);
		if (v[i].len == 0 || v[i].len > LP2P_NOISE_MAX_MUXER_LEN)
			return LP2P_ERANGE;
	}
	return muxer_list_set(&hs->local_muxers, v, cfg->n_muxers);
}

static int hs_setup(struct lp2p_noise_hs *hs,
                    const struct lp2p_noise_config *cfg)
{
	struct lp2p_noise_keypair s;
	size_t overhead;
	int err;

	err = copy_local_muxers(hs, cfg);
	if (err)
		return err;
	/* libp2p peers may use a fresh static key per connection. */
	err = lp2p_noise_keypair_generate(&s);
	if (err)
		return err;
	err = lp2p_noise_xx_init(&hs->xx, cfg->initiator, NULL, 0, &s, NULL);
	if (err) {
		lp2p_noise_keypair_clear(&s);
		return err;
	}
	err = make_payload(hs, cfg->identity);
	if (err)
		return err;
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

	if (!cfg || !out || !cfg->identity ||
	    lp2p_key_is_private(cfg->identity) != 1)
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
	free(hs->payload);
	if (hs->out)
		OPENSSL_cleanse(hs->out, hs->out_cap);
	free(hs->out);
	muxer_list_free(&hs->local_muxers);
	muxer_list_free(&hs->remote_muxers);
	lp2p_key_free(hs->remote_key);
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
