/*
 * test_upgrader.c - the upgrade state machine (upgrade/upgrader.h): two
 * upgraders, each with its own identity, joined in memory by moving each
 * one's output to the other's recv in chunks of 1, 7 and everything;
 * Noise and TLS, yamux and mplex, the muxer chosen in the handshake or
 * negotiated afterwards; the failures (no common protocol, wrong peer,
 * not multistream); early data after the final negotiation message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/crypto.h>
#include <lp2p/peer_id.h>

#include "security/secure.h"
#include "upgrade/upgrader.h"

#define YAMUX "/yamux/1.0.0"
#define MPLEX "/mplex/6.7.0"
#define WHOLE ((size_t)-1)

static const size_t chunks[] = {1, 7, WHOLE};

/* ---- the same protocols without early muxer negotiation ------------- */

/*
 * A handshake that announces no muxer (as a peer without the Noise
 * extensions or the TLS muxer ALPN ids): the muxer is then negotiated
 * with multistream-select.
 */
static int noise_hs_new_plain(const struct lp2p_secure_config *cfg, void **hs)
{
	struct lp2p_secure_config c = *cfg;
	c.muxers = NULL;
	c.n_muxers = 0;
	return lp2p_secure_noise.hs_new(&c, hs);
}

static int tls_hs_new_plain(const struct lp2p_secure_config *cfg, void **hs)
{
	struct lp2p_secure_config c = *cfg;
	c.muxers = NULL;
	c.n_muxers = 0;
	return lp2p_secure_tls.hs_new(&c, hs);
}

/* A handshake that claims to have chosen a muxer nobody offered. */
static const char *bogus_selected_muxer(void *hs)
{
	(void)hs;
	return "/bogus/1.0.0";
}

static struct lp2p_secure_ops noise_plain, tls_plain, noise_bogus;

static const struct lp2p_secure_ops *plain_of(const struct lp2p_secure_ops *o)
{
	return o == &lp2p_secure_noise ? &noise_plain : &tls_plain;
}

static int group_setup(void **state)
{
	(void)state;
	noise_plain = lp2p_secure_noise;
	noise_plain.hs_new = noise_hs_new_plain;
	tls_plain = lp2p_secure_tls;
	tls_plain.hs_new = tls_hs_new_plain;
	noise_bogus = lp2p_secure_noise;
	noise_bogus.hs_selected_muxer = bogus_selected_muxer;
	return 0;
}

/* ---- bytes ---------------------------------------------------------- */

struct bytes {
	uint8_t *p;
	size_t len, cap;
};

static void bytes_add(struct bytes *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		assert_non_null(b->p);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void bytes_drop(struct bytes *b, size_t n)
{
	assert_true(n <= b->len);
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static void bytes_free(struct bytes *b)
{
	free(b->p);
	*b = (struct bytes){0};
}

/* A multistream message: varint length (< 128 here), text, '\n'. */
static void mss_line(struct bytes *b, const char *text)
{
	uint8_t n = (uint8_t)(strlen(text) + 1);
	assert_true(n < 128);
	bytes_add(b, &n, 1);
	bytes_add(b, text, strlen(text));
	bytes_add(b, "\n", 1);
}

/* ---- one side ------------------------------------------------------- */

struct side {
	bool initiator;
	struct lp2p_key *key;
	struct lp2p_peer_id id;
	const struct lp2p_secure_ops *sec[2];
	void *ctx[2];
	size_t nsec;
	const char *mux[2];
	size_t nmux;
	const struct lp2p_peer_id *expected;
	struct lp2p_upgrader *u;
	struct bytes pipe; /* sent by the other side, not offered yet */
	struct bytes in;   /* offered, not consumed */
	struct bytes sent; /* everything this side output */
};

static void side_init(struct side *s, bool initiator)
{
	memset(s, 0, sizeof(*s));
	s->initiator = initiator;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &s->key), 0);
	assert_int_equal(lp2p_peer_id_from_key(s->key, &s->id), 0);
}

static void side_security(struct side *s, const struct lp2p_secure_ops *a,
                          const struct lp2p_secure_ops *b)
{
	s->sec[0] = a;
	s->sec[1] = b;
	s->nsec = b ? 2 : 1;
}

static void side_muxers(struct side *s, const char *a, const char *b)
{
	s->mux[0] = a;
	s->mux[1] = b;
	s->nmux = b ? 2 : 1;
}

/* Per-host contexts made with the side's muxer list, then the upgrader. */
static void side_start(struct side *s)
{
	for (size_t i = 0; i < s->nsec; i++) {
		s->ctx[i] = NULL;
		if (s->sec[i]->ctx_new)
			assert_int_equal(s->sec[i]->ctx_new(s->key, s->mux,
			                                    s->nmux, &s->ctx[i]),
			                 0);
	}
	struct lp2p_upgrader_config cfg = {
	    .initiator = s->initiator,
	    .identity = s->key,
	    .expected_peer = s->expected,
	    .security = s->sec,
	    .security_ctx = s->ctx,
	    .n_security = s->nsec,
	    .muxers = s->mux,
	    .n_muxers = s->nmux,
	};
	assert_int_equal(lp2p_upgrader_new(&cfg, &s->u), 0);
	assert_int_equal(lp2p_upgrader_status(s->u), LP2P_EAGAIN);
	assert_int_equal(lp2p_upgrader_stage(s->u),
	                 LP2P_UPGRADE_SECURITY_NEGOTIATE);
	assert_null(lp2p_upgrader_security(s->u));
	/* the first multistream messages are ready at once */
	const uint8_t *d;
	assert_true(lp2p_upgrader_output(s->u, &d) > 0);
}

static void side_free(struct side *s)
{
	lp2p_upgrader_free(s->u);
	for (size_t i = 0; i < s->nsec; i++)
		if (s->ctx[i])
			s->sec[i]->ctx_free(s->ctx[i]);
	lp2p_key_free(s->key);
	bytes_free(&s->pipe);
	bytes_free(&s->in);
	bytes_free(&s->sent);
}

/* Everything from's upgrader outputs goes into to's pipe (in two acks, to
 * exercise partial acknowledgements). */
static bool move_output(struct side *from, struct side *to)
{
	bool moved = false;
	const uint8_t *d;
	size_t n;

	while ((n = lp2p_upgrader_output(from->u, &d)) > 0) {
		size_t k = n > 1 ? n / 2 : n;
		bytes_add(&to->pipe, d, k);
		bytes_add(&from->sent, d, k);
		lp2p_upgrader_output_ack(from->u, k);
		moved = true;
	}
	return moved;
}

/* Offer s at most chunk more bytes from its pipe. */
static bool deliver(struct side *s, size_t chunk)
{
	if (s->pipe.len == 0 || lp2p_upgrader_status(s->u) != LP2P_EAGAIN)
		return false;
	size_t k = chunk < s->pipe.len ? chunk : s->pipe.len;
	bytes_add(&s->in, s->pipe.p, k);
	bytes_drop(&s->pipe, k);
	ssize_t r = lp2p_upgrader_recv(s->u, s->in.p, s->in.len);
	if (r >= 0) {
		assert_true((size_t)r <= s->in.len);
		bytes_drop(&s->in, (size_t)r);
	}
	return true;
}

static void pump(struct side *a, struct side *b, size_t chunk)
{
	for (int round = 0; round < 1000000; round++) {
		bool progress = move_output(a, b);
		progress |= move_output(b, a);
		progress |= deliver(a, chunk);
		progress |= deliver(b, chunk);
		if (!progress)
			return;
	}
	fail_msg("no end to the exchange");
}

/* What s received and its upgrader left: the session's wire bytes. */
static void leftover(struct side *s, struct bytes *out)
{
	bytes_add(out, s->in.p, s->in.len);
	bytes_add(out, s->pipe.p, s->pipe.len);
}

/* Open wire with the session of r; the plaintext is appended to pt. */
static void open_all(const struct lp2p_upgrade_result *r, struct bytes *wire,
                     struct bytes *pt)
{
	while (wire->len) {
		struct lp2p_secure_span spans[4];
		size_t nspans = 0;
		ssize_t used = r->sec->open(r->session, wire->p, wire->len,
		                            spans, 4, &nspans);
		assert_true(used > 0);
		for (size_t i = 0; i < nspans; i++)
			bytes_add(pt, spans[i].data, spans[i].len);
		/* spans point into wire: copied above, drop after */
		bytes_drop(wire, (size_t)used);
	}
}

/* from's session seals, to's opens (after what its upgrader left). */
static void check_direction(struct side *from,
                            const struct lp2p_upgrade_result *rf,
                            struct side *to,
                            const struct lp2p_upgrade_result *rt)
{
	char msg[64];
	struct bytes wire = {0}, pt = {0};
	int n = snprintf(msg, sizeof msg, "from the %s",
	                 from->initiator ? "initiator" : "responder");

	leftover(to, &wire);
	size_t need = rf->sec->sealed_size(rf->session, (size_t)n);
	uint8_t *sealed = malloc(need);
	assert_non_null(sealed);
	ssize_t w = rf->sec->seal(rf->session, (const uint8_t *)msg,
	                          (size_t)n, sealed, need);
	assert_true(w > 0);
	bytes_add(&wire, sealed, (size_t)w);
	free(sealed);
	open_all(rt, &wire, &pt);
	assert_int_equal(pt.len, (size_t)n);
	assert_memory_equal(pt.p, msg, (size_t)n);
	bytes_free(&wire);
	bytes_free(&pt);
}

/* Both done: same protocols, the right peers, working sessions. */
static void check_success(struct side *a, struct side *b, const char *sec_id,
                          const char *muxer)
{
	struct lp2p_upgrade_result ra, rb;
	const uint8_t *d;

	assert_int_equal(lp2p_upgrader_status(a->u), 0);
	assert_int_equal(lp2p_upgrader_status(b->u), 0);
	assert_int_equal(lp2p_upgrader_stage(a->u), LP2P_UPGRADE_DONE);
	assert_int_equal(lp2p_upgrader_stage(b->u), LP2P_UPGRADE_DONE);
	assert_null(lp2p_upgrader_error_reason(a->u));
	assert_string_equal(lp2p_upgrader_security(a->u), sec_id);
	assert_string_equal(lp2p_upgrader_security(b->u), sec_id);
	assert_int_equal(lp2p_upgrader_early_data(a->u, &d), 0);
	assert_int_equal(lp2p_upgrader_early_data(b->u, &d), 0);

	/* nothing more is consumed once done */
	uint8_t junk[16] = {0x00, 0x05, 1, 2, 3};
	assert_int_equal(lp2p_upgrader_recv(a->u, junk, sizeof junk), 0);
	assert_int_equal(lp2p_upgrader_recv(b->u, junk, sizeof junk), 0);

	assert_int_equal(lp2p_upgrader_result(a->u, &ra), 0);
	assert_int_equal(lp2p_upgrader_result(b->u, &rb), 0);
	assert_non_null(ra.session);
	assert_non_null(rb.session);
	assert_string_equal(ra.sec->protocol_id, sec_id);
	assert_string_equal(rb.sec->protocol_id, sec_id);
	assert_string_equal(ra.muxer, muxer);
	assert_string_equal(rb.muxer, muxer);
	/* the muxer is one of the configured pointers */
	assert_true(ra.muxer == a->mux[0] || ra.muxer == a->mux[1]);
	assert_true(rb.muxer == b->mux[0] || rb.muxer == b->mux[1]);
	assert_true(lp2p_peer_id_equal(&ra.peer, &b->id));
	assert_true(lp2p_peer_id_equal(&rb.peer, &a->id));

	check_direction(a, &ra, b, &rb);
	check_direction(b, &rb, a, &ra);

	/* the session moved: a second call has none */
	struct lp2p_upgrade_result again;
	assert_int_equal(lp2p_upgrader_result(a->u, &again), 0);
	assert_null(again.session);

	ra.sec->session_free(ra.session);
	rb.sec->session_free(rb.session);
}

/* ---- the matrix ----------------------------------------------------- */

static void run_pair(const struct lp2p_secure_ops *sec, const char *muxer,
                     bool early, size_t chunk)
{
	struct side a, b;
	const char *other = strcmp(muxer, YAMUX) == 0 ? MPLEX : YAMUX;

	side_init(&a, true);
	side_init(&b, false);
	side_security(&a, sec, NULL);
	/* the responder's handshake announces no muxer: negotiated late */
	side_security(&b, early ? sec : plain_of(sec), NULL);
	/* the dialer's order decides, early and late */
	side_muxers(&a, muxer, other);
	side_muxers(&b, YAMUX, MPLEX);
	a.expected = &b.id;
	side_start(&a);
	side_start(&b);
	pump(&a, &b, chunk);
	check_success(&a, &b, sec->protocol_id, muxer);
	/* the sealed muxer negotiation ran only without an early choice:
	 * the dialer's output then holds more than the handshake */
	side_free(&a);
	side_free(&b);
}

static void matrix(const struct lp2p_secure_ops *sec, const char *muxer,
                   bool early)
{
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++)
		run_pair(sec, muxer, early, chunks[i]);
}

/* One test per security protocol x muxer x early or late choice. */
#define MATRIX_TEST(name, sec, muxer, early)                               \
	static void name(void **state)                                     \
	{                                                                  \
		(void)state;                                               \
		matrix(sec, muxer, early);                                 \
	}
MATRIX_TEST(noise_yamux_early, &lp2p_secure_noise, YAMUX, true)
MATRIX_TEST(noise_mplex_early, &lp2p_secure_noise, MPLEX, true)
MATRIX_TEST(noise_yamux_late, &lp2p_secure_noise, YAMUX, false)
MATRIX_TEST(noise_mplex_late, &lp2p_secure_noise, MPLEX, false)
MATRIX_TEST(tls_yamux_early, &lp2p_secure_tls, YAMUX, true)
MATRIX_TEST(tls_mplex_early, &lp2p_secure_tls, MPLEX, true)
MATRIX_TEST(tls_yamux_late, &lp2p_secure_tls, YAMUX, false)
MATRIX_TEST(tls_mplex_late, &lp2p_secure_tls, MPLEX, false)

/* The stage a side went through: a late choice shows MUXER_NEGOTIATE on
 * the way.  Watch one upgrade step by step. */
static void stages_seen(const struct lp2p_secure_ops *a_sec,
                        const struct lp2p_secure_ops *b_sec, bool *saw_mux)
{
	struct side a, b;

	side_init(&a, true);
	side_init(&b, false);
	side_security(&a, a_sec, NULL);
	side_security(&b, b_sec, NULL);
	side_muxers(&a, YAMUX, NULL);
	side_muxers(&b, YAMUX, NULL);
	side_start(&a);
	side_start(&b);
	*saw_mux = false;
	for (int i = 0; i < 100000; i++) {
		bool p = move_output(&a, &b);
		p |= move_output(&b, &a);
		p |= deliver(&a, 1);
		p |= deliver(&b, 1);
		if (lp2p_upgrader_stage(a.u) == LP2P_UPGRADE_MUXER_NEGOTIATE)
			*saw_mux = true;
		if (!p)
			break;
	}
	check_success(&a, &b, a_sec->protocol_id, YAMUX);
	side_free(&a);
	side_free(&b);
}

static void early_and_late_stages(void **state)
{
	bool saw;
	(void)state;
	stages_seen(&lp2p_secure_noise, &lp2p_secure_noise, &saw);
	assert_false(saw);
	stages_seen(&lp2p_secure_noise, &noise_plain, &saw);
	assert_true(saw);
	stages_seen(&lp2p_secure_tls, &lp2p_secure_tls, &saw);
	assert_false(saw);
	stages_seen(&tls_plain, &lp2p_secure_tls, &saw);
	assert_true(saw);
}

/* Done with the last handshake message still in the output: the result
 * waits for it to be taken. */
static void result_waits_for_output(void **state)
{
	(void)state;
	const struct lp2p_secure_ops *secs[] = {&lp2p_secure_noise,
	                                        &lp2p_secure_tls};
	for (size_t s = 0; s < 2; s++) {
		struct side a, b;
		struct lp2p_upgrade_result r;
		const uint8_t *d;
		side_init(&a, true);
		side_init(&b, false);
		side_security(&a, secs[s], NULL);
		side_security(&b, secs[s], NULL);
		side_muxers(&a, YAMUX, NULL);
		side_muxers(&b, YAMUX, NULL);
		side_start(&a);
		side_start(&b);
		for (int i = 0; i < 1000; i++) {
			if (lp2p_upgrader_stage(a.u) == LP2P_UPGRADE_DONE)
				break;
			move_output(&a, &b);
			move_output(&b, &a);
			deliver(&a, WHOLE);
			deliver(&b, WHOLE);
		}
		assert_int_equal(lp2p_upgrader_status(a.u), 0);
		assert_true(lp2p_upgrader_output(a.u, &d) > 0);
		assert_int_equal(lp2p_upgrader_result(a.u, &r), LP2P_EAGAIN);
		assert_int_equal(lp2p_upgrader_status(a.u), 0);
		pump(&a, &b, WHOLE);
		check_success(&a, &b, secs[s]->protocol_id, YAMUX);
		side_free(&a);
		side_free(&b);
	}
}

/* ---- security choice ------------------------------------------------ */

static void security_preference(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct side a, b;
		/* the dialer prefers TLS, the listener has only Noise */
		side_init(&a, true);
		side_init(&b, false);
		side_security(&a, &lp2p_secure_tls, &lp2p_secure_noise);
		side_security(&b, &lp2p_secure_noise, NULL);
		side_muxers(&a, YAMUX, MPLEX);
		side_muxers(&b, YAMUX, MPLEX);
		side_start(&a);
		side_start(&b);
		pump(&a, &b, chunks[c]);
		check_success(&a, &b, "/noise", YAMUX);
		side_free(&a);
		side_free(&b);

		/* both have both: the dialer's order wins */
		side_init(&a, true);
		side_init(&b, false);
		side_security(&a, &lp2p_secure_tls, &lp2p_secure_noise);
		side_security(&b, &lp2p_secure_noise, &lp2p_secure_tls);
		side_muxers(&a, MPLEX, YAMUX);
		side_muxers(&b, YAMUX, MPLEX);
		side_start(&a);
		side_start(&b);
		pump(&a, &b, chunks[c]);
		check_success(&a, &b, "/tls/1.0.0", MPLEX);
		side_free(&a);
		side_free(&b);
	}
}

static void no_common_security(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct side a, b;
		side_init(&a, true);
		side_init(&b, false);
		side_security(&a, &lp2p_secure_tls, NULL);
		side_security(&b, &lp2p_secure_noise, NULL);
		side_muxers(&a, YAMUX, NULL);
		side_muxers(&b, YAMUX, NULL);
		side_start(&a);
		side_start(&b);
		pump(&a, &b, chunks[c]);
		assert_int_equal(lp2p_upgrader_status(a.u), LP2P_ENEGOTIATE);
		assert_int_equal(lp2p_upgrader_stage(a.u),
		                 LP2P_UPGRADE_FAILED);
		assert_null(lp2p_upgrader_security(a.u));
		assert_null(lp2p_upgrader_error_reason(a.u));
		/* sticky */
		uint8_t x = 0;
		assert_int_equal(lp2p_upgrader_recv(a.u, &x, 1),
		                 LP2P_ENEGOTIATE);
		struct lp2p_upgrade_result r;
		assert_int_equal(lp2p_upgrader_result(a.u, &r),
		                 LP2P_ENEGOTIATE);
		/* The listener answered "na" and waits for another proposal:
		 * it learns of the failure only when the dialer closes (the
		 * caller's end of file). */
		assert_int_equal(lp2p_upgrader_status(b.u), LP2P_EAGAIN);
		assert_int_equal(lp2p_upgrader_stage(b.u),
		                 LP2P_UPGRADE_SECURITY_NEGOTIATE);
		side_free(&a);
		side_free(&b);
	}
}

static void no_common_muxer(void **state)
{
	(void)state;
	const struct lp2p_secure_ops *secs[] = {&lp2p_secure_noise,
	                                        &lp2p_secure_tls};
	for (size_t s = 0; s < 2; s++) {
		for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
			struct side a, b;
			side_init(&a, true);
			side_init(&b, false);
			side_security(&a, secs[s], NULL);
			side_security(&b, secs[s], NULL);
			side_muxers(&a, MPLEX, NULL);
			side_muxers(&b, YAMUX, NULL);
			side_start(&a);
			side_start(&b);
			pump(&a, &b, chunks[c]);
			/* the early choice found none: multistream-select
			 * ran, sealed, and the dialer ran out of proposals */
			assert_int_equal(lp2p_upgrader_status(a.u),
			                 LP2P_ENEGOTIATE);
			assert_string_equal(lp2p_upgrader_security(a.u),
			                    secs[s]->protocol_id);
			assert_null(lp2p_upgrader_error_reason(a.u));
			assert_int_equal(lp2p_upgrader_status(b.u),
			                 LP2P_EAGAIN);
			assert_int_equal(lp2p_upgrader_stage(b.u),
			                 LP2P_UPGRADE_MUXER_NEGOTIATE);
			side_free(&a);
			side_free(&b);
		}
	}
}

/* A handshake that names a muxer we do not have. */
static void early_muxer_not_ours(void **state)
{
	(void)state;
	struct side a, b;
	side_init(&a, true);
	side_init(&b, false);
	side_security(&a, &lp2p_secure_noise, NULL);
	side_security(&b, &noise_bogus, NULL);
	side_muxers(&a, YAMUX, NULL);
	side_muxers(&b, YAMUX, NULL);
	side_start(&a);
	side_start(&b);
	pump(&a, &b, WHOLE);
	assert_int_equal(lp2p_upgrader_status(a.u), 0);
	assert_int_equal(lp2p_upgrader_status(b.u), LP2P_ENEGOTIATE);
	assert_int_equal(lp2p_upgrader_stage(b.u), LP2P_UPGRADE_FAILED);
	side_free(&a);
	side_free(&b);
}

/* ---- the wrong peer ------------------------------------------------- */

static void wrong_peer(void **state)
{
	(void)state;
	const struct lp2p_secure_ops *secs[] = {&lp2p_secure_noise,
	                                        &lp2p_secure_tls};
	for (size_t s = 0; s < 2; s++) {
		for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
			struct side a, b;
			struct lp2p_key *k;
			struct lp2p_peer_id someone;
			assert_int_equal(
			    lp2p_key_generate(LP2P_KEY_ED25519, 0, &k), 0);
			assert_int_equal(lp2p_peer_id_from_key(k, &someone),
			                 0);
			lp2p_key_free(k);

			side_init(&a, true);
			side_init(&b, false);
			side_security(&a, secs[s], NULL);
			side_security(&b, secs[s], NULL);
			side_muxers(&a, YAMUX, NULL);
			side_muxers(&b, YAMUX, NULL);
			a.expected = &someone;
			side_start(&a);
			side_start(&b);
			pump(&a, &b, chunks[c]);
			assert_int_equal(lp2p_upgrader_status(a.u),
			                 LP2P_EPEERID);
			assert_int_equal(lp2p_upgrader_stage(a.u),
			                 LP2P_UPGRADE_FAILED);
			assert_non_null(lp2p_upgrader_error_reason(a.u));
			if (secs[s] == &lp2p_secure_tls) {
				/* the alert went out and failed the server */
				int st = lp2p_upgrader_status(b.u);
				assert_true(st < 0 && st != LP2P_EAGAIN);
				assert_non_null(
				    lp2p_upgrader_error_reason(b.u));
			} else {
				/* Noise has no alert: the responder waits */
				assert_int_equal(lp2p_upgrader_status(b.u),
				                 LP2P_EAGAIN);
				assert_int_equal(lp2p_upgrader_stage(b.u),
				                 LP2P_UPGRADE_HANDSHAKE);
			}
			side_free(&a);
			side_free(&b);
		}
	}
}

/* ---- not multistream ------------------------------------------------ */

static void garbage_header(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t len;
		int want;
	} cases[] = {
	    {"\x13/multistream/2.0.0\n", 20, LP2P_ENEGOTIATE},
	    {"\x07/noise\n", 8, LP2P_ENEGOTIATE},
	    {"\x00\x01\x02\x03", 4, LP2P_EPROTO},
	    {"\x03" "abc", 4, LP2P_EPROTO},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int initiator = 0; initiator < 2; initiator++) {
			struct side s;
			side_init(&s, initiator);
			side_security(&s, &lp2p_secure_noise,
			              &lp2p_secure_tls);
			side_muxers(&s, YAMUX, NULL);
			side_start(&s);
			uint8_t buf[32];
			memcpy(buf, cases[i].bytes, cases[i].len);
			assert_int_equal(
			    lp2p_upgrader_recv(s.u, buf, cases[i].len),
			    cases[i].want);
			assert_int_equal(lp2p_upgrader_status(s.u),
			                 cases[i].want);
			assert_int_equal(lp2p_upgrader_stage(s.u),
			                 LP2P_UPGRADE_FAILED);
			assert_null(lp2p_upgrader_error_reason(s.u));
			assert_int_equal(lp2p_upgrader_recv(s.u, buf, 1),
			                 cases[i].want);
			side_free(&s);
		}
	}
}

/* ---- a listener's output order, held output ------------------------- */

/*
 * The dialer's bytes arrive before the listener sent anything: the
 * listener's header and echo come out first, then (TLS server) the
 * handshake, and nothing is lost when its output is not taken for a
 * while.
 */
static void output_order(void **state)
{
	(void)state;
	const struct lp2p_secure_ops *secs[] = {&lp2p_secure_noise,
	                                        &lp2p_secure_tls};
	for (size_t s = 0; s < 2; s++) {
		struct side a, b;
		side_init(&a, true);
		side_init(&b, false);
		side_security(&a, secs[s], NULL);
		side_security(&b, secs[s], NULL);
		side_muxers(&a, YAMUX, NULL);
		side_muxers(&b, YAMUX, NULL);
		side_start(&a);
		side_start(&b);
		/* the dialer's header and proposal */
		move_output(&a, &b);
		while (deliver(&b, WHOLE))
			;
		const uint8_t *d;
		size_t n = lp2p_upgrader_output(b.u, &d);
		struct bytes want = {0};
		mss_line(&want, "/multistream/1.0.0");
		mss_line(&want, secs[s]->protocol_id);
		assert_int_equal(n, want.len);
		assert_memory_equal(d, want.p, want.len);
		assert_int_equal(lp2p_upgrader_stage(b.u),
		                 LP2P_UPGRADE_HANDSHAKE);
		assert_string_equal(lp2p_upgrader_security(b.u),
		                    secs[s]->protocol_id);
		bytes_free(&want);
		pump(&a, &b, 7);
		check_success(&a, &b, secs[s]->protocol_id, YAMUX);
		side_free(&a);
		side_free(&b);
	}
}

/* Many answers in one recv come out whole and in order. */
static void many_rejections(void **state)
{
	(void)state;
	struct side b;
	struct bytes in = {0}, want = {0};
	side_init(&b, false);
	side_security(&b, &lp2p_secure_noise, NULL);
	side_muxers(&b, YAMUX, NULL);
	side_start(&b);
	mss_line(&in, "/multistream/1.0.0");
	mss_line(&want, "/multistream/1.0.0");
	for (int i = 0; i < 20; i++) {
		mss_line(&in, "/unknown/1.0.0");
		mss_line(&want, "na");
	}
	mss_line(&in, "/noise");
	mss_line(&want, "/noise");
	ssize_t r = lp2p_upgrader_recv(b.u, in.p, in.len);
	assert_int_equal(r, (ssize_t)in.len);
	assert_int_equal(lp2p_upgrader_stage(b.u), LP2P_UPGRADE_HANDSHAKE);
	struct bytes got = {0};
	const uint8_t *d;
	size_t n;
	while ((n = lp2p_upgrader_output(b.u, &d)) > 0) {
		bytes_add(&got, d, n);
		lp2p_upgrader_output_ack(b.u, n);
	}
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.p, want.p, want.len);
	bytes_free(&in);
	bytes_free(&want);
	bytes_free(&got);
	side_free(&b);
}

/*
 * The dialer's proposals are long and its output is not taken: the
 * negotiation's own output fills (it stops consuming), is moved to the
 * upgrader's and the rest of the input is taken, all in one recv.
 */
static char long_id1[700], long_id2[700];
static struct lp2p_secure_ops long1, long2;

static void dialer_output_full(void **state)
{
	(void)state;
	struct side a;
	struct bytes in = {0}, want = {0}, got = {0};

	memset(long_id1, 'x', sizeof long_id1 - 1);
	memset(long_id2, 'y', sizeof long_id2 - 1);
	long_id1[0] = long_id2[0] = '/';
	long1 = lp2p_secure_noise;
	long1.protocol_id = long_id1;
	long2 = lp2p_secure_noise;
	long2.protocol_id = long_id2;

	side_init(&a, true);
	a.sec[0] = &long1;
	a.sec[1] = &long2;
	a.nsec = 2;
	side_muxers(&a, YAMUX, NULL);
	/* three protocols: the side holds two; make the third by hand */
	const struct lp2p_secure_ops *three[] = {&long1, &long2,
	                                         &lp2p_secure_noise};
	struct lp2p_upgrader_config cfg = {
	    .initiator = true,
	    .identity = a.key,
	    .security = three,
	    .n_security = 3,
	    .muxers = a.mux,
	    .n_muxers = 1,
	};
	assert_int_equal(lp2p_upgrader_new(&cfg, &a.u), 0);
	a.nsec = 0; /* no contexts to free */

	mss_line(&in, "/multistream/1.0.0");
	mss_line(&in, "na");
	mss_line(&in, "na");
	mss_line(&in, "/noise");
	ssize_t r = lp2p_upgrader_recv(a.u, in.p, in.len);
	assert_int_equal(r, (ssize_t)in.len);
	assert_int_equal(lp2p_upgrader_stage(a.u), LP2P_UPGRADE_HANDSHAKE);
	assert_string_equal(lp2p_upgrader_security(a.u), "/noise");

	/* header, the three proposals (two-byte lengths), then msg 1 */
	mss_line(&want, "/multistream/1.0.0");
	const char *ids[] = {long_id1, long_id2};
	for (int i = 0; i < 2; i++) {
		size_t n = strlen(ids[i]) + 1;
		uint8_t len[2] = {(uint8_t)(0x80 | (n & 0x7f)),
		                  (uint8_t)(n >> 7)};
		bytes_add(&want, len, 2);
		bytes_add(&want, ids[i], n - 1);
		bytes_add(&want, "\n", 1);
	}
	mss_line(&want, "/noise");
	const uint8_t *d;
	size_t n;
	while ((n = lp2p_upgrader_output(a.u, &d)) > 0) {
		bytes_add(&got, d, n);
		lp2p_upgrader_output_ack(a.u, n);
	}
	/* Noise message 1: a 2-byte length then the 32-byte ephemeral */
	assert_int_equal(got.len, want.len + 2 + 32);
	assert_memory_equal(got.p, want.p, want.len);
	bytes_free(&in);
	bytes_free(&want);
	bytes_free(&got);
	side_free(&a);
}

/* ---- early data ----------------------------------------------------- */

/*
 * A hand-made dialer (as go-libp2p's lazy multistream): after the
 * handshake it seals the muxer negotiation's header, its proposal and the
 * muxer's first bytes into ONE frame, then sends another frame.  The
 * listener keeps what followed the proposal in that frame as early data
 * and leaves the next frame to the session.
 */
static void early_data_case(const struct lp2p_secure_ops *sec, size_t chunk)
{
	static const char extra[] = "first muxer frame";
	static const char more[] = "and the next";
	const struct lp2p_secure_ops *plain = plain_of(sec);
	struct side a, b;
	struct bytes clear = {0};
	void *hs = NULL, *session = NULL;

	side_init(&a, true); /* only its key is used */
	side_init(&b, false);
	side_security(&b, sec, NULL);
	side_muxers(&b, YAMUX, MPLEX);
	side_start(&b);

	/* security negotiation in the clear, then the handshake */
	mss_line(&b.pipe, "/multistream/1.0.0");
	mss_line(&b.pipe, sec->protocol_id);
	struct lp2p_secure_config sc = {
	    .initiator = true,
	    .identity = a.key,
	    .expected_peer = &b.id,
	};
	assert_int_equal(plain->hs_new(&sc, &hs), 0);
	mss_line(&clear, "/multistream/1.0.0");
	mss_line(&clear, sec->protocol_id);
	struct bytes from_b = {0};
	for (int round = 0; round < 100000; round++) {
		const uint8_t *d;
		size_t n;
		bool progress = false;
		/* our handshake output to b */
		if ((n = sec->hs_output(hs, &d)) > 0) {
			bytes_add(&b.pipe, d, n);
			sec->hs_output_ack(hs, n);
			progress = true;
		}
		progress |= deliver(&b, chunk);
		while ((n = lp2p_upgrader_output(b.u, &d)) > 0) {
			bytes_add(&from_b, d, n);
			lp2p_upgrader_output_ack(b.u, n);
			progress = true;
		}
		/* b's clear multistream answers first */
		if (clear.len) {
			if (from_b.len < clear.len)
				continue;
			assert_memory_equal(from_b.p, clear.p, clear.len);
			bytes_drop(&from_b, clear.len);
			bytes_free(&clear);
		}
		if (!sec->hs_done(hs) && from_b.len) {
			ssize_t used = sec->hs_feed(hs, from_b.p, from_b.len);
			assert_true(used >= 0);
			bytes_drop(&from_b, (size_t)used);
			progress |= used > 0;
		}
		if (sec->hs_done(hs) && sec->hs_output(hs, &d) == 0 &&
		    lp2p_upgrader_stage(b.u) == LP2P_UPGRADE_MUXER_NEGOTIATE &&
		    b.pipe.len == 0)
			break;
		assert_true(progress);
	}
	assert_true(sec->hs_done(hs));
	assert_int_equal(sec->hs_split(hs, &session), 0);
	sec->hs_free(hs);

	/* one frame: header, proposal, muxer bytes; then another */
	struct bytes pt = {0};
	mss_line(&pt, "/multistream/1.0.0");
	mss_line(&pt, MPLEX);
	bytes_add(&pt, extra, sizeof extra - 1);
	uint8_t frame[512];
	ssize_t w = sec->seal(session, pt.p, pt.len, frame, sizeof frame);
	assert_true(w > 0);
	bytes_add(&b.pipe, frame, (size_t)w);
	w = sec->seal(session, (const uint8_t *)more, sizeof more - 1, frame,
	              sizeof frame);
	assert_true(w > 0);
	bytes_add(&b.pipe, frame, (size_t)w);
	while (lp2p_upgrader_status(b.u) == LP2P_EAGAIN && deliver(&b, chunk))
		;
	assert_int_equal(lp2p_upgrader_status(b.u), 0);

	/* b's echo, sealed: header and proposal */
	const uint8_t *d;
	size_t n;
	while ((n = lp2p_upgrader_output(b.u, &d)) > 0) {
		bytes_add(&from_b, d, n);
		lp2p_upgrader_output_ack(b.u, n);
	}
	struct lp2p_upgrade_result rb;
	assert_int_equal(lp2p_upgrader_result(b.u, &rb), 0);
	assert_string_equal(rb.muxer, MPLEX);
	assert_true(lp2p_peer_id_equal(&rb.peer, &a.id));
	struct lp2p_upgrade_result ra = {.sec = sec, .session = session};
	struct bytes echo = {0}, want = {0};
	open_all(&ra, &from_b, &echo);
	mss_line(&want, "/multistream/1.0.0");
	mss_line(&want, MPLEX);
	assert_int_equal(echo.len, want.len);
	assert_memory_equal(echo.p, want.p, want.len);

	/* early data, then what the session opens, is all the muxer's */
	size_t en = lp2p_upgrader_early_data(b.u, &d);
	struct bytes muxer_bytes = {0}, rest = {0};
	bytes_add(&muxer_bytes, d, en);
	leftover(&b, &rest);
	if (sec == &lp2p_secure_noise) {
		/* one frame at a time: exactly the rest of that frame */
		assert_int_equal(en, sizeof extra - 1);
		assert_true(rest.len > 0);
	}
	open_all(&rb, &rest, &muxer_bytes);
	bytes_free(&want);
	bytes_add(&want, extra, sizeof extra - 1);
	bytes_add(&want, more, sizeof more - 1);
	assert_int_equal(muxer_bytes.len, want.len);
	assert_memory_equal(muxer_bytes.p, want.p, want.len);

	sec->session_free(session);
	rb.sec->session_free(rb.session);
	bytes_free(&echo);
	bytes_free(&want);
	bytes_free(&muxer_bytes);
	bytes_free(&rest);
	bytes_free(&from_b);
	bytes_free(&pt);
	bytes_free(&clear);
	side_free(&a);
	side_free(&b);
}

static void early_data(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		early_data_case(&lp2p_secure_noise, chunks[c]);
		early_data_case(&lp2p_secure_tls, chunks[c]);
	}
}

/* ---- arguments ------------------------------------------------------ */

static void bad_config(void **state)
{
	(void)state;
	struct lp2p_key *k;
	struct lp2p_upgrader *u = NULL;
	const struct lp2p_secure_ops *sec[] = {&lp2p_secure_noise};
	const char *mux[] = {YAMUX};
	const char *bad_mux[] = {"with\nnewline"};
	const char *empty_mux[] = {""};
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &k), 0);
	struct lp2p_upgrader_config cfg = {
	    .identity = k,
	    .security = sec,
	    .n_security = 1,
	    .muxers = mux,
	    .n_muxers = 1,
	};
	struct lp2p_upgrader_config c = cfg;
	c.n_security = 0;
	assert_int_equal(lp2p_upgrader_new(&c, &u), LP2P_EINVAL);
	c = cfg;
	c.n_muxers = 0;
	assert_int_equal(lp2p_upgrader_new(&c, &u), LP2P_EINVAL);
	c = cfg;
	c.muxers = bad_mux;
	assert_int_equal(lp2p_upgrader_new(&c, &u), LP2P_EINVAL);
	c = cfg;
	c.muxers = empty_mux;
	assert_int_equal(lp2p_upgrader_new(&c, &u), LP2P_EINVAL);
	assert_int_equal(lp2p_upgrader_new(NULL, &u), LP2P_EINVAL);
	assert_null(u);
	/* no ctx at all: each handshake makes its own state */
	c = cfg;
	c.security_ctx = NULL;
	assert_int_equal(lp2p_upgrader_new(&c, &u), 0);
	struct lp2p_upgrade_result r;
	assert_int_equal(lp2p_upgrader_result(u, &r), LP2P_EAGAIN);
	const uint8_t *d;
	assert_int_equal(lp2p_upgrader_early_data(u, &d), 0);
	lp2p_upgrader_free(u);
	lp2p_upgrader_free(NULL);
	lp2p_key_free(k);
}

/* Handshakes made without per-host contexts work the same. */
static void without_ctx(void **state)
{
	(void)state;
	const struct lp2p_secure_ops *secs[] = {&lp2p_secure_noise,
	                                        &lp2p_secure_tls};
	for (size_t s = 0; s < 2; s++) {
		struct side a, b;
		side_init(&a, true);
		side_init(&b, false);
		side_security(&a, secs[s], NULL);
		side_security(&b, secs[s], NULL);
		side_muxers(&a, YAMUX, NULL);
		side_muxers(&b, YAMUX, NULL);
		struct lp2p_upgrader_config cfg = {
		    .initiator = true,
		    .identity = a.key,
		    .security = a.sec,
		    .n_security = 1,
		    .muxers = a.mux,
		    .n_muxers = 1,
		};
		assert_int_equal(lp2p_upgrader_new(&cfg, &a.u), 0);
		cfg.initiator = false;
		cfg.identity = b.key;
		assert_int_equal(lp2p_upgrader_new(&cfg, &b.u), 0);
		pump(&a, &b, 7);
		check_success(&a, &b, secs[s]->protocol_id, YAMUX);
		side_free(&a);
		side_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(noise_yamux_early),
	    cmocka_unit_test(noise_mplex_early),
	    cmocka_unit_test(noise_yamux_late),
	    cmocka_unit_test(noise_mplex_late),
	    cmocka_unit_test(tls_yamux_early),
	    cmocka_unit_test(tls_mplex_early),
	    cmocka_unit_test(tls_yamux_late),
	    cmocka_unit_test(tls_mplex_late),
	    cmocka_unit_test(early_and_late_stages),
	    cmocka_unit_test(result_waits_for_output),
	    cmocka_unit_test(security_preference),
	    cmocka_unit_test(no_common_security),
	    cmocka_unit_test(no_common_muxer),
	    cmocka_unit_test(early_muxer_not_ours),
	    cmocka_unit_test(wrong_peer),
	    cmocka_unit_test(garbage_header),
	    cmocka_unit_test(output_order),
	    cmocka_unit_test(many_rejections),
	    cmocka_unit_test(dialer_output_full),
	    cmocka_unit_test(early_data),
	    cmocka_unit_test(bad_config),
	    cmocka_unit_test(without_ctx),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
