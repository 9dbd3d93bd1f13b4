/*
 * noise_xx.c - the Noise HandshakeState for the one pattern libp2p uses:
 *
 *   XX:
 *     -> e
 *     <- e, ee, s, es
 *     -> s, se
 *
 * The token sequence is written out per message rather than interpreted
 * from a pattern table: three messages are easier to check against the
 * specification this way.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "security/noise_internal.h"

#define XX_BROKEN (-1)
#define XX_DONE 3

int lp2p_noise_xx_init(struct lp2p_noise_xx *xx, bool initiator,
                       const uint8_t *prologue, size_t prologue_len,
                       struct lp2p_noise_keypair *s,
                       struct lp2p_noise_keypair *e)
{
	int err;

	memset(xx, 0, sizeof(*xx));
	xx->initiator = initiator;
	xx->msg = XX_BROKEN;
	if (!s || !s->pkey)
		return LP2P_EINVAL;
	err = lp2p_noise_sym_init(&xx->ss, LP2P_NOISE_PROTOCOL_NAME);
	if (!err)
		err = lp2p_noise_mix_hash(&xx->ss, prologue, prologue_len);
	if (err)
		return err;
	xx->s = *s;
	memset(s, 0, sizeof(*s));
	if (e) {
		xx->e = *e;
		memset(e, 0, sizeof(*e));
	}
	xx->msg = 0;
	return 0;
}

void lp2p_noise_xx_clear(struct lp2p_noise_xx *xx)
{
	lp2p_noise_sym_clear(&xx->ss);
	lp2p_noise_keypair_clear(&xx->s);
	lp2p_noise_keypair_clear(&xx->e);
	EVP_PKEY_free(xx->re_key);
	EVP_PKEY_free(xx->rs_key);
	OPENSSL_cleanse(xx, sizeof(*xx));
	xx->msg = XX_BROKEN;
}

bool lp2p_noise_xx_our_turn(const struct lp2p_noise_xx *xx)
{
	if (xx->msg < 0 || xx->msg >= XX_DONE)
		return false;
	/* Messages 0 and 2 are the initiator's, message 1 the responder's. */
	return (xx->msg % 2 == 0) == xx->initiator;
}

size_t lp2p_noise_xx_msg_len(const struct lp2p_noise_xx *xx, size_t len)
{
	switch (xx->msg) {
	case 0: return LP2P_NOISE_DHLEN + len;
	case 1: return 2 * LP2P_NOISE_DHLEN + 2 * LP2P_NOISE_TAGLEN + len;
	case 2: return LP2P_NOISE_DHLEN + 2 * LP2P_NOISE_TAGLEN + len;
	}
	return 0;
}

/* MixKey(DH(kp, the peer's re or rs)). */
static int mix_dh(struct lp2p_noise_xx *xx, struct lp2p_noise_keypair *kp,
                  bool remote_ephemeral)
{
	uint8_t shared[LP2P_NOISE_DHLEN];
	int err = lp2p_noise_dh(kp, remote_ephemeral ? xx->re : xx->rs,
	                        remote_ephemeral ? &xx->re_key : &xx->rs_key,
	                        xx->x25519, shared);

	if (!err)
		err = lp2p_noise_mix_key(&xx->ss, shared, sizeof(shared));
	OPENSSL_cleanse(shared, sizeof(shared));
	return err;
}

/* Token "e" on the writing side: generate (unless fixed) and send. */
static int write_e(struct lp2p_noise_xx *xx, uint8_t *out)
{
	int err = 0;

	if (!xx->e.pkey)
		err = lp2p_noise_x25519_generate(xx->x25519, &xx->e);
	if (err)
		return err;
	memcpy(out, xx->e.pub, LP2P_NOISE_DHLEN);
	return lp2p_noise_mix_hash(&xx->ss, xx->e.pub, LP2P_NOISE_DHLEN);
}

static int write_msg(struct lp2p_noise_xx *xx, const uint8_t *payload,
                     size_t len, uint8_t *out)
{
	size_t off = 0;
	int n, err = 0;

	switch (xx->msg) {
	case 0: /* -> e */
		err = write_e(xx, out);
		off = LP2P_NOISE_DHLEN;
		break;
	case 1: /* <- e, ee, s, es */
		err = write_e(xx, out);
		off = LP2P_NOISE_DHLEN;
		if (!err)
			err = mix_dh(xx, &xx->e, true);
		if (err)
			break;
		n = lp2p_noise_encrypt_and_hash(&xx->ss, xx->s.pub,
		                                LP2P_NOISE_DHLEN, out + off);
		if (n < 0)
			return n;
		off += (size_t)n;
		err = mix_dh(xx, &xx->s, true);
		break;
	case 2: /* -> s, se */
		n = lp2p_noise_encrypt_and_hash(&xx->ss, xx->s.pub,
		                                LP2P_NOISE_DHLEN, out);
		if (n < 0)
			return n;
		off = (size_t)n;
		err = mix_dh(xx, &xx->s, true);
		break;
	}
	if (err)
		return err;
	n = lp2p_noise_encrypt_and_hash(&xx->ss, payload, len, out + off);
	if (n < 0)
		return n;
	return (int)(off + (size_t)n);
}

int lp2p_noise_xx_write(struct lp2p_noise_xx *xx, const uint8_t *payload,
                        size_t len, uint8_t *out, size_t cap)
{
	size_t need;
	int n;

	if (!lp2p_noise_xx_our_turn(xx))
		return LP2P_EINVAL;
	need = lp2p_noise_xx_msg_len(xx, len);
	if (len > LP2P_NOISE_MAX_MSG || need > LP2P_NOISE_MAX_MSG || need > cap)
		return LP2P_ERANGE;
	n = write_msg(xx, payload, len, out);
	if (n < 0) {
		xx->msg = XX_BROKEN;
		return n;
	}
	xx->msg++;
	return n;
}

/* Token "s" on the reading side: the peer's static key, encrypted once a
 * key is set (always, in XX). */
static int read_s(struct lp2p_noise_xx *xx, const uint8_t *msg, size_t len,
                  size_t *off)
{
	size_t slen = LP2P_NOISE_DHLEN + LP2P_NOISE_TAGLEN;
	int n;

	if (len - *off < slen)
		return LP2P_EPROTO;
	n = lp2p_noise_decrypt_and_hash(&xx->ss, msg + *off, slen, xx->rs);
	if (n < 0)
		return n;
	*off += slen;
	return 0;
}

static int read_e(struct lp2p_noise_xx *xx, const uint8_t *msg, size_t len,
                  size_t *off)
{
	if (len - *off < LP2P_NOISE_DHLEN)
		return LP2P_EPROTO;
	memcpy(xx->re, msg + *off, LP2P_NOISE_DHLEN);
	*off += LP2P_NOISE_DHLEN;
	return lp2p_noise_mix_hash(&xx->ss, xx->re, LP2P_NOISE_DHLEN);
}

static int read_msg(struct lp2p_noise_xx *xx, const uint8_t *msg, size_t len,
                    uint8_t *payload, size_t cap)
{
	size_t off = 0, plen;
	int err = 0;

	switch (xx->msg) {
	case 0: /* -> e */ err = read_e(xx, msg, len, &off); break;
	case 1: /* <- e, ee, s, es */
		err = read_e(xx, msg, len, &off);
		if (!err)
			err = mix_dh(xx, &xx->e, true);
		if (!err)
			err = read_s(xx, msg, len, &off);
		if (!err)
			err = mix_dh(xx, &xx->e, false);
		break;
	case 2: /* -> s, se */
		err = read_s(xx, msg, len, &off);
		if (!err)
			err = mix_dh(xx, &xx->e, false);
		break;
	}
	if (err)
		return err;
	plen = len - off;
	if (xx->ss.cs.has_key) {
		if (plen < LP2P_NOISE_TAGLEN)
			return LP2P_EPROTO;
		plen -= LP2P_NOISE_TAGLEN;
	}
	if (plen > cap)
		return LP2P_ERANGE;
	return lp2p_noise_decrypt_and_hash(&xx->ss, msg + off, len - off,
	                                   payload);
}

int lp2p_noise_xx_read(struct lp2p_noise_xx *xx, const uint8_t *msg, size_t len,
                       uint8_t *payload, size_t cap)
{
	int n;

	if (xx->msg < 0 || xx->msg >= XX_DONE || lp2p_noise_xx_our_turn(xx))
		return LP2P_EINVAL;
	if (len > LP2P_NOISE_MAX_MSG) {
		xx->msg = XX_BROKEN;
		return LP2P_EPROTO;
	}
	n = read_msg(xx, msg, len, payload, cap);
	if (n < 0) {
		xx->msg = XX_BROKEN;
		return n;
	}
	xx->msg++;
	return n;
}

int lp2p_noise_xx_split(struct lp2p_noise_xx *xx,
                        struct lp2p_noise_cipher *send,
                        struct lp2p_noise_cipher *recv,
                        uint8_t hash[LP2P_NOISE_HASHLEN])
{
	struct lp2p_noise_cipher c1, c2;
	int err;

	if (xx->msg != XX_DONE)
		return LP2P_EINVAL;
	err = lp2p_noise_split(&xx->ss, &c1, &c2);
	if (err)
		return err;
	if (hash)
		memcpy(hash, xx->ss.h, LP2P_NOISE_HASHLEN);
	*send = xx->initiator ? c1 : c2;
	*recv = xx->initiator ? c2 : c1;
	lp2p_noise_sym_clear(&xx->ss);
	xx->msg = XX_BROKEN;
	return 0;
}
