/*
 * fuzz_upgrader.c - a responder upgrader (Noise and TLS, yamux and mplex)
 * fed arbitrary input in chunks whose sizes come from the input:
 *
 *   byte 0:          k = byte % 8 chunk sizes follow; byte / 8 % 4 picks
 *                    the configuration (below); byte / 32 % 2: sealed
 *                    mode; byte / 64 % 2: its protocol (Noise, TLS)
 *   bytes 1..k:      chunk sizes, used in turn (0: all that is left)
 *   the rest:        the byte stream from the network, or in sealed mode
 *                    the plaintext of the muxer negotiation
 *
 * Like a connection, it keeps what the upgrader did not consume and offers
 * it again with the next chunk, takes the output (sometimes partly), and
 * at the end checks the result is coherent.  Configurations: 0 both
 * protocols and muxers; 1 TLS then Noise; 2 Noise only, mplex only; 3 as
 * 0 with an expected peer (never the sender).
 *
 * Sealed mode: a real initiator (its handshake announcing no muxer) runs
 * the security negotiation and the handshake with the upgrader, then
 * seals each chunk of the input as one frame (record): the muxer
 * negotiation and early data see arbitrary plaintext.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/crypto.h>
#include <lp2p/peer_id.h>

#include "security/secure.h"
#include "upgrade/upgrader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lp2p_key *identity;
static struct lp2p_peer_id other;
static void *noise_ctx, *tls_ctx;
/* the initiator of sealed mode */
static struct lp2p_key *peer_key;
static void *peer_ctx[2];
static const char *const muxers[] = {"/yamux/1.0.0", "/mplex/6.7.0"};

static void setup(void)
{
	struct lp2p_key *k;

	if (identity)
		return;
	if (lp2p_key_generate(LP2P_KEY_ED25519, 0, &identity) ||
	    lp2p_key_generate(LP2P_KEY_ED25519, 0, &k) ||
	    lp2p_peer_id_from_key(k, &other) ||
	    lp2p_secure_noise.ctx_new(identity, muxers, 2, &noise_ctx) ||
	    lp2p_secure_tls.ctx_new(identity, muxers, 2, &tls_ctx) ||
	    lp2p_key_generate(LP2P_KEY_ED25519, 0, &peer_key) ||
	    lp2p_secure_noise.ctx_new(peer_key, NULL, 0, &peer_ctx[0]) ||
	    lp2p_secure_tls.ctx_new(peer_key, NULL, 0, &peer_ctx[1]))
		abort();
	lp2p_key_free(k);
}

static void take_output(struct lp2p_upgrader *u, size_t turn)
{
	const uint8_t *d;
	size_t n = lp2p_upgrader_output(u, &d);

	if (n && !d)
		abort();
	/* every third turn leaves part of it, as a full socket would */
	lp2p_upgrader_output_ack(u, turn % 3 == 2 ? n / 2 : n);
}

struct bytes {
	uint8_t p[1 << 15];
	size_t len;
};

static void add(struct bytes *b, const void *d, size_t n)
{
	if (n > sizeof(b->p) - b->len)
		abort(); /* a handshake is far smaller */
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void drop(struct bytes *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static void line(struct bytes *b, const char *text)
{
	uint8_t n = (uint8_t)(strlen(text) + 1);
	add(b, &n, 1);
	add(b, text, n - 1U);
	add(b, "\n", 1);
}

/*
 * Sealed mode: negotiate sec and run its handshake with u; on success
 * *session is the initiator's and u negotiates the muxer.
 */
static bool handshake(struct lp2p_upgrader *u, int which, void **session)
{
	static struct bytes to_u, from_u;
	const struct lp2p_secure_ops *sec =
	    which ? &lp2p_secure_tls : &lp2p_secure_noise;
	struct lp2p_secure_config sc = {
	    .initiator = true,
	    .identity = peer_key,
	    .ctx = peer_ctx[which],
	};
	size_t clear;
	void *hs;
	bool ok = false;

	to_u.len = from_u.len = 0;
	line(&to_u, "/multistream/1.0.0");
	line(&to_u, sec->protocol_id);
	clear = to_u.len; /* the listener's header and echo */
	if (sec->hs_new(&sc, &hs))
		abort();
	for (int round = 0; round < 64; round++) {
		const uint8_t *d;
		size_t n;
		ssize_t r;
		if ((n = sec->hs_output(hs, &d))) {
			add(&to_u, d, n);
			sec->hs_output_ack(hs, n);
		}
		if ((r = lp2p_upgrader_recv(u, to_u.p, to_u.len)) < 0)
			break;
		drop(&to_u, (size_t)r);
		while ((n = lp2p_upgrader_output(u, &d))) {
			add(&from_u, d, n);
			lp2p_upgrader_output_ack(u, n);
		}
		if (clear) {
			if (from_u.len < clear)
				continue;
			drop(&from_u, clear);
			clear = 0;
		}
		if (!sec->hs_done(hs)) {
			if ((r = sec->hs_feed(hs, from_u.p, from_u.len)) < 0)
				break;
			drop(&from_u, (size_t)r);
		} else if (sec->hs_output(hs, &d) == 0 && to_u.len == 0 &&
		           lp2p_upgrader_stage(u) != LP2P_UPGRADE_HANDSHAKE) {
			ok = lp2p_upgrader_stage(u) ==
			         LP2P_UPGRADE_MUXER_NEGOTIATE &&
			     sec->hs_split(hs, session) == 0;
			break;
		}
	}
	sec->hs_free(hs);
	return ok;
}

/* Sealed mode: each chunk of the plaintext sealed as one frame. */
static void sealed(struct lp2p_upgrader *u, int which, const uint8_t *data,
                   size_t k, const uint8_t *pt, size_t len)
{
	const struct lp2p_secure_ops *sec =
	    which ? &lp2p_secure_tls : &lp2p_secure_noise;
	static struct bytes wire;
	void *session = NULL;
	size_t pos = 0, turn = 0;

	if (!handshake(u, which, &session))
		return;
	wire.len = 0;
	while (pos < len && lp2p_upgrader_status(u) == LP2P_EAGAIN) {
		size_t chunk = k ? data[1 + turn % k] : 0;
		if (chunk == 0 || chunk > len - pos)
			chunk = len - pos;
		size_t need = sec->sealed_size(session, chunk);
		if (need > sizeof(wire.p) - wire.len)
			break;
		ssize_t w = sec->seal(session, pt + pos, chunk,
		                      wire.p + wire.len, need);
		if (w < 0)
			abort();
		wire.len += (size_t)w;
		pos += chunk;
		ssize_t r = lp2p_upgrader_recv(u, wire.p, wire.len);
		take_output(u, turn++);
		if (r < 0)
			break;
		drop(&wire, (size_t)r);
	}
	if (lp2p_upgrader_status(u) == 0) {
		/* the plaintext after the final message is early data,
		 * and only plaintext we sealed */
		const uint8_t *d;
		size_t en = lp2p_upgrader_early_data(u, &d);
		if (en > len || (en && memmem(pt, len, d, en) == NULL))
			abort();
		struct lp2p_upgrade_result res;
		for (size_t i = 0; i < 4; i++)
			take_output(u, 0);
		if (lp2p_upgrader_result(u, &res) || !res.session)
			abort();
		res.sec->session_free(res.session);
	}
	sec->session_free(session);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct lp2p_secure_ops *both[] = {&lp2p_secure_noise,
	                                        &lp2p_secure_tls};
	const struct lp2p_secure_ops *tls_first[] = {&lp2p_secure_tls,
	                                             &lp2p_secure_noise};
	void *both_ctx[2], *tls_first_ctx[2];
	struct lp2p_upgrader_config cfg = {
	    .initiator = false,
	    .security = both,
	    .security_ctx = both_ctx,
	    .n_security = 2,
	    .muxers = muxers,
	    .n_muxers = 2,
	};
	struct lp2p_upgrader *u;
	size_t k, off, pos = 0, turn = 0;
	uint8_t *held;
	size_t held_len = 0;

	if (size == 0)
		return 0;
	setup();
	both_ctx[0] = tls_first_ctx[1] = noise_ctx;
	both_ctx[1] = tls_first_ctx[0] = tls_ctx;
	cfg.identity = identity;
	switch (data[0] / 8 % 4) {
	case 1:
		cfg.security = tls_first;
		cfg.security_ctx = tls_first_ctx;
		break;
	case 2:
		cfg.n_security = 1;
		cfg.muxers = muxers + 1;
		cfg.n_muxers = 1;
		break;
	case 3:
		cfg.expected_peer = &other;
		break;
	}
	k = data[0] % 8;
	if (size < 1 + k)
		return 0;
	off = 1 + k;
	if (lp2p_upgrader_new(&cfg, &u))
		abort();
	if (data[0] / 32 % 2) {
		sealed(u, data[0] / 64 % 2, data, k, data + off, size - off);
		lp2p_upgrader_free(u);
		return 0;
	}
	/* what is offered: the bytes kept from before, then the chunk */
	held = malloc(size - off + 1);
	if (!held)
		abort();
	while (pos < size - off) {
		size_t chunk = k ? data[1 + turn % k] : 0;
		size_t left = size - off - pos;
		if (chunk == 0 || chunk > left)
			chunk = left;
		memcpy(held + held_len, data + off + pos, chunk);
		held_len += chunk;
		pos += chunk;
		ssize_t r = lp2p_upgrader_recv(u, held, held_len);
		take_output(u, turn++);
		if (r < 0) {
			if (r != lp2p_upgrader_status(u) ||
			    lp2p_upgrader_stage(u) != LP2P_UPGRADE_FAILED ||
			    r == LP2P_EAGAIN)
				abort();
			(void)lp2p_upgrader_error_reason(u);
			break;
		}
		if ((size_t)r > held_len)
			abort();
		memmove(held, held + r, held_len - (size_t)r);
		held_len -= (size_t)r;
		if (lp2p_upgrader_status(u) == 0)
			break;
	}
	/* drain, then the result must be whole */
	for (size_t i = 0; i < 4; i++)
		take_output(u, 0);
	int st = lp2p_upgrader_status(u);
	struct lp2p_upgrade_result res;
	int rr = lp2p_upgrader_result(u, &res);
	if (st == 0) {
		const uint8_t *d;
		size_t en = lp2p_upgrader_early_data(u, &d);
		if (rr != 0 || !res.session || !res.sec || !res.muxer ||
		    (en && !d) || !lp2p_upgrader_security(u))
			abort();
		if (res.muxer != cfg.muxers[0] &&
		    (cfg.n_muxers < 2 || res.muxer != cfg.muxers[1]))
			abort();
		/* once done nothing more is consumed */
		if (held_len && lp2p_upgrader_recv(u, held, held_len) != 0)
			abort();
		res.sec->session_free(res.session);
	} else if (rr != st) {
		abort();
	}
	free(held);
	lp2p_upgrader_free(u);
	return 0;
}
