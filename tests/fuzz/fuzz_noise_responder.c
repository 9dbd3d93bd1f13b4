/*
 * fuzz_noise_responder.c - a Noise responder fed arbitrary input.  The
 * first byte picks the mode:
 *   0: the rest is the raw byte stream from the network;
 *   1: a real initiator completes the handshake with the rest as its
 *      (encrypted) message 3 payload;
 *   2: as 1, with a validly signed payload followed by the rest (protobuf
 *      merges the fields: extensions, overrides, unknown fields).
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/crypto.h>

#include "security/noise.h"
#include "security/noise_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lp2p_key *identity;
static const char *const muxers[] = {"/yamux/1.0.0", "/mplex/6.7.0"};

static void drain(struct lp2p_noise_hs *hs)
{
	const uint8_t *d;
	size_t n = lp2p_noise_hs_output(hs, &d);
	lp2p_noise_hs_output_ack(hs, n);
}

static void raw_stream(struct lp2p_noise_hs *hs, const uint8_t *data,
                       size_t size)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = lp2p_noise_hs_feed(hs, data + off, size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
		drain(hs);
	}
}

/* Our payload for the initiator's static key, then extra bytes. */
static size_t signed_payload(uint8_t *out, size_t cap,
                             const uint8_t static_pub[32], const uint8_t *extra,
                             size_t extra_len)
{
	uint8_t tbs[24 + 32], sig[LP2P_KEY_SIG_MAX], key[LP2P_KEY_PUBLIC_MAX];
	int siglen, keylen, n;

	memcpy(tbs, "noise-libp2p-static-key:", 24);
	memcpy(tbs + 24, static_pub, 32);
	siglen = lp2p_key_sign(identity, tbs, sizeof(tbs), sig, sizeof(sig));
	keylen = lp2p_key_marshal_public(identity, key, sizeof(key));
	if (siglen < 0 || keylen < 0)
		abort();
	n = lp2p_noise_payload_write(out, cap, key, (size_t)keylen, sig,
	                             (size_t)siglen, NULL, 0);
	if (n < 0 || cap - (size_t)n < extra_len)
		abort();
	memcpy(out + n, extra, extra_len);
	return (size_t)n + extra_len;
}

static void with_initiator(struct lp2p_noise_hs *hs, const uint8_t *data,
                           size_t size, bool sign)
{
	static uint8_t frame[LP2P_NOISE_FRAME_MAX], pl[LP2P_NOISE_MAX_MSG];
	static uint8_t payload[LP2P_NOISE_MAX_MSG];
	struct lp2p_noise_xx xx;
	struct lp2p_noise_keypair s;
	struct lp2p_noise_session sess;
	uint8_t spub[32];
	const uint8_t *d;
	size_t n, plen;
	int m;

	if (size > LP2P_NOISE_MAX_MSG - 64 - 200)
		return;
	if (lp2p_noise_keypair_generate(&s) != 0)
		abort();
	memcpy(spub, s.pub, 32);
	if (lp2p_noise_xx_init(&xx, true, NULL, 0, &s, NULL) != 0)
		abort();
	m = lp2p_noise_xx_write(&xx, NULL, 0, frame + 2, sizeof(frame) - 2);
	frame[0] = 0;
	frame[1] = (uint8_t)m;
	if (lp2p_noise_hs_feed(hs, frame, (size_t)m + 2) != m + 2)
		abort();
	n = lp2p_noise_hs_output(hs, &d);
	if (n < 2 || lp2p_noise_xx_read(&xx, d + 2, n - 2, pl, sizeof(pl)) < 0)
		abort();
	lp2p_noise_hs_output_ack(hs, n);
	if (sign)
		plen =
		    signed_payload(payload, sizeof(payload), spub, data, size);
	else
		memcpy(payload, data, plen = size);
	m = lp2p_noise_xx_write(&xx, payload, plen, frame + 2,
	                        sizeof(frame) - 2);
	if (m < 0)
		abort();
	frame[0] = (uint8_t)(m >> 8);
	frame[1] = (uint8_t)m;
	ssize_t r = lp2p_noise_hs_feed(hs, frame, (size_t)m + 2);
	if (r == m + 2) {
		/* Accepted: the result must be coherent and usable. */
		const char *const *list;
		if (!lp2p_noise_hs_done(hs) || !lp2p_noise_hs_remote_peer(hs))
			abort();
		n = lp2p_noise_hs_remote_muxers(hs, &list);
		for (size_t i = 0; i < n; i++)
			if (strlen(list[i]) == 0)
				abort();
		if (lp2p_noise_hs_split(hs, &sess) != 0)
			abort();
		lp2p_noise_session_clear(&sess);
	} else if (r >= 0 || lp2p_noise_error_reason(hs)[0] == '\0') {
		abort();
	}
	lp2p_noise_xx_clear(&xx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lp2p_noise_config cfg = {
	    .initiator = false,
	    .muxers = muxers,
	    .n_muxers = 2,
	};
	struct lp2p_noise_hs *hs;

	if (!identity && lp2p_key_generate(LP2P_KEY_ED25519, 0, &identity))
		abort();
	if (size == 0)
		return 0;
	cfg.identity = identity;
	if (lp2p_noise_hs_new(&cfg, &hs) != 0)
		abort();
	switch (data[0] % 3) {
	case 0: raw_stream(hs, data + 1, size - 1); break;
	case 1: with_initiator(hs, data + 1, size - 1, false); break;
	case 2: with_initiator(hs, data + 1, size - 1, true); break;
	}
	lp2p_noise_hs_free(hs);
	return 0;
}
