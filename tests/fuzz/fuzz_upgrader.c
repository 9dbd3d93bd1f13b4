/*
 * fuzz_upgrader.c - a responder upgrader (Noise and TLS, yamux and mplex)
 * fed arbitrary input in chunks whose sizes come from the input:
 *
 *   byte 0:          k = byte % 8 chunk sizes follow; byte / 8 % 4 picks
 *                    the configuration (below)
 *   bytes 1..k:      chunk sizes, used in turn (0: all that is left)
 *   the rest:        the byte stream from the network
 *
 * Like a connection, it keeps what the upgrader did not consume and offers
 * it again with the next chunk, takes the output (sometimes partly), and
 * at the end checks the result is coherent.  Configurations: 0 both
 * protocols and muxers; 1 TLS then Noise; 2 Noise only, mplex only; 3 as
 * 0 with an expected peer (never the sender).
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
	    lp2p_secure_tls.ctx_new(identity, muxers, 2, &tls_ctx))
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
