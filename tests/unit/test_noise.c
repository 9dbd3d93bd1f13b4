/* test_noise.c - Noise XX primitives, the libp2p handshake, the transport */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "security/noise.h"

/* ---- helpers ---------------------------------------------------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* ---- known answers: the cacophony vector for
 * Noise_XX_25519_ChaChaPoly_SHA256 (prologue "John Galt"). ----------- */

static const char *const kat_msgs[6][2] = {
	{"4c756477696720766f6e204d69736573",
	 "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
	 "4c756477696720766f6e204d69736573"},
	{"4d757272617920526f746862617264",
	 "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
	 "81cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9"
	 "bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f"
	 "8814c7194e83f23dbd8d162c9326ad"},
	{"462e20412e20486179656b",
	 "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a8"
	 "0ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6"
	 "ae769a1d95941d49b25030"},
	{"4361726c204d656e676572",
	 "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"},
	{"4a65616e2d426170746973746520536179",
	 "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07"
	 "f5"},
	{"457567656e2042f6686d20766f6e2042617765726b",
	 "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3"
	 "a58502ae3f"},
};

static void kat_party(struct lp2p_noise_xx *xx, bool initiator,
		      const char *s_hex, const char *e_hex)
{
	uint8_t prologue[16], priv[32];
	struct lp2p_noise_keypair s, e;
	size_t plen = unhex("4a6f686e2047616c74", prologue, sizeof(prologue));

	unhex(s_hex, priv, sizeof(priv));
	assert_int_equal(lp2p_noise_keypair_from_private(&s, priv), 0);
	unhex(e_hex, priv, sizeof(priv));
	assert_int_equal(lp2p_noise_keypair_from_private(&e, priv), 0);
	assert_int_equal(
		lp2p_noise_xx_init(xx, initiator, prologue, plen, &s, &e), 0);
}

static void known_answer_xx(void **state)
{
	struct lp2p_noise_xx ini, res;
	struct lp2p_noise_cipher isend, irecv, rsend, rrecv;
	uint8_t hi[32], hr[32], want_h[32];
	uint8_t pt[256], want[256], msg[256], got[256];

	(void)state;
	kat_party(&ini, true,
		  "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
		  "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a");
	kat_party(&res, false,
		  "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
		  "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b");

	for (int i = 0; i < 3; i++) {
		struct lp2p_noise_xx *w = i % 2 == 0 ? &ini : &res;
		struct lp2p_noise_xx *r = i % 2 == 0 ? &res : &ini;
		size_t plen = unhex(kat_msgs[i][0], pt, sizeof(pt));
		size_t wlen = unhex(kat_msgs[i][1], want, sizeof(want));

		assert_true(lp2p_noise_xx_our_turn(w));
		assert_false(lp2p_noise_xx_our_turn(r));
		assert_int_equal(lp2p_noise_xx_msg_len(w, plen), wlen);
		int n = lp2p_noise_xx_write(w, pt, plen, msg, sizeof(msg));
		assert_int_equal(n, (int)wlen);
		assert_memory_equal(msg, want, wlen);
		n = lp2p_noise_xx_read(r, msg, wlen, got, sizeof(got));
		assert_int_equal(n, (int)plen);
		assert_memory_equal(got, pt, plen);
	}
	assert_int_equal(lp2p_noise_xx_split(&ini, &isend, &irecv, hi), 0);
	assert_int_equal(lp2p_noise_xx_split(&res, &rsend, &rrecv, hr), 0);
	unhex("c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e",
	      want_h, sizeof(want_h));
	assert_memory_equal(hi, want_h, 32);
	assert_memory_equal(hr, want_h, 32);

	/* Transport messages keep alternating: 3 and 5 from the responder. */
	for (int i = 3; i < 6; i++) {
		struct lp2p_noise_cipher *enc = i % 2 ? &rsend : &isend;
		struct lp2p_noise_cipher *dec = i % 2 ? &irecv : &rrecv;
		size_t plen = unhex(kat_msgs[i][0], pt, sizeof(pt));
		size_t wlen = unhex(kat_msgs[i][1], want, sizeof(want));

		int n = lp2p_noise_cipher_encrypt(enc, NULL, 0, pt, plen, msg);
		assert_int_equal(n, (int)wlen);
		assert_memory_equal(msg, want, wlen);
		n = lp2p_noise_cipher_decrypt(dec, NULL, 0, msg, wlen, msg);
		assert_int_equal(n, (int)plen);
		assert_memory_equal(msg, pt, plen);
	}
	lp2p_noise_cipher_clear(&isend);
	lp2p_noise_cipher_clear(&irecv);
	lp2p_noise_cipher_clear(&rsend);
	lp2p_noise_cipher_clear(&rrecv);
	lp2p_noise_xx_clear(&ini);
	lp2p_noise_xx_clear(&res);
}

/* ---- transport ------------------------------------------------------- */

/* Two sessions from an unauthenticated XX run (no libp2p payloads). */
static void session_pair(struct lp2p_noise_session *a,
			 struct lp2p_noise_session *b)
{
	struct lp2p_noise_xx ini, res;
	struct lp2p_noise_keypair s1, s2;
	uint8_t msg[256], pl[256];

	assert_int_equal(lp2p_noise_keypair_generate(&s1), 0);
	assert_int_equal(lp2p_noise_keypair_generate(&s2), 0);
	assert_int_equal(lp2p_noise_xx_init(&ini, true, NULL, 0, &s1, NULL), 0);
	assert_int_equal(lp2p_noise_xx_init(&res, false, NULL, 0, &s2, NULL),
			 0);
	for (int i = 0; i < 3; i++) {
		struct lp2p_noise_xx *w = i % 2 == 0 ? &ini : &res;
		struct lp2p_noise_xx *r = i % 2 == 0 ? &res : &ini;
		int n = lp2p_noise_xx_write(w, NULL, 0, msg, sizeof(msg));
		assert_true(n > 0);
		assert_int_equal(lp2p_noise_xx_read(r, msg, (size_t)n, pl,
						    sizeof(pl)),
				 0);
	}
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	assert_int_equal(lp2p_noise_xx_split(&ini, &a->send, &a->recv, NULL),
			 0);
	assert_int_equal(lp2p_noise_xx_split(&res, &b->send, &b->recv, NULL),
			 0);
	lp2p_noise_xx_clear(&ini);
	lp2p_noise_xx_clear(&res);
}

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed + (i >> 8));
	return p;
}

/* Open everything in buf[0..len) and append the plaintext to out. */
static size_t open_all(struct lp2p_noise_session *s, uint8_t *buf, size_t len,
		       uint8_t *out)
{
	struct lp2p_noise_span spans[4];
	size_t nspans, got = 0, off = 0;

	while (off < len) {
		ssize_t n = lp2p_noise_open(s, buf + off, len - off, spans, 4,
					    &nspans);
		assert_true(n > 0);
		for (size_t i = 0; i < nspans; i++) {
			memcpy(out + got, spans[i].data, spans[i].len);
			got += spans[i].len;
		}
		off += (size_t)n;
	}
	return got;
}

static void sealed_sizes(void **state)
{
	(void)state;
	assert_int_equal(lp2p_noise_sealed_size(0), 0);
	assert_int_equal(lp2p_noise_sealed_size(1), 19);
	assert_int_equal(lp2p_noise_sealed_size(65519), 65537);
	assert_int_equal(lp2p_noise_sealed_size(65520), 65537 + 19);
	assert_int_equal(lp2p_noise_sealed_size(3 * 65519), 3 * 65537);
	assert_int_equal(lp2p_noise_sealed_size(SIZE_MAX), SIZE_MAX);
	uint8_t hdr[2] = {0x01, 0x02};
	assert_int_equal(lp2p_noise_frame_size(hdr, 1), 0);
	assert_int_equal(lp2p_noise_frame_size(hdr, 2), 2 + 0x102);
}

static void transport_round_trip_large(void **state)
{
	struct lp2p_noise_session a, b;
	size_t n = 3 * 65519 + 1234; /* four frames, the last one short */
	uint8_t *pt = pattern(n, 7), *got = malloc(n);
	size_t cap = lp2p_noise_sealed_size(n);
	uint8_t *wire = malloc(cap);

	(void)state;
	session_pair(&a, &b);
	assert_int_equal(lp2p_noise_seal(&a, pt, n, wire, cap), (ssize_t)cap);
	/* Frame boundaries: full frames are 65535-byte messages. */
	assert_int_equal(lp2p_noise_frame_size(wire, cap), 65537);
	assert_int_equal(lp2p_noise_frame_size(wire + 3 * 65537, 19),
			 2 + 1234 + 16);
	assert_int_equal(a.send.n, 4);
	assert_int_equal(open_all(&b, wire, cap, got), n);
	assert_memory_equal(got, pt, n);
	assert_int_equal(b.recv.n, 4);

	/* And back, in place, from b to a. */
	memset(wire, 0, cap);
	memcpy(wire + 2, pt, n);
	assert_int_equal(lp2p_noise_seal_inplace(&b, wire, n, cap),
			 (ssize_t)cap);
	memset(got, 0, n);
	assert_int_equal(open_all(&a, wire, cap, got), n);
	assert_memory_equal(got, pt, n);

	/* A single in-place frame moves nothing. */
	memcpy(wire + 2, "hello", 5);
	assert_int_equal(lp2p_noise_seal_inplace(&a, wire, 5, 23), 23);
	assert_int_equal(open_all(&b, wire, 23, got), 5);
	assert_memory_equal(got, "hello", 5);

	/* Nothing to seal is nothing on the wire. */
	assert_int_equal(lp2p_noise_seal(&a, pt, 0, wire, 0), 0);
	free(pt);
	free(got);
	free(wire);
	lp2p_noise_session_clear(&a);
	lp2p_noise_session_clear(&b);
}

static void transport_byte_by_byte(void **state)
{
	struct lp2p_noise_session a, b;
	uint8_t pt[300], wire[2 * 318], acc[sizeof(wire)], got[300];
	struct lp2p_noise_span spans[2];
	size_t have = 0, used = 0, gotlen = 0, nspans;

	(void)state;
	session_pair(&a, &b);
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)i;
	/* Two frames: 100 and 200 bytes. */
	assert_int_equal(lp2p_noise_seal(&a, pt, 100, wire, sizeof(wire)),
			 118);
	assert_int_equal(
		lp2p_noise_seal(&a, pt + 100, 200, wire + 118, sizeof(wire) - 118),
		218);
	for (size_t i = 0; i < 336; i++) {
		acc[have++] = wire[i];
		ssize_t n = lp2p_noise_open(&b, acc + used, have - used, spans,
					    2, &nspans);
		assert_true(n >= 0);
		if (i != 117 && i != 335) {
			assert_int_equal(n, 0);
			assert_int_equal(nspans, 0);
			continue;
		}
		assert_int_equal(n, i == 117 ? 118 : 218);
		assert_int_equal(nspans, 1);
		memcpy(got + gotlen, spans[0].data, spans[0].len);
		gotlen += spans[0].len;
		used += (size_t)n;
	}
	assert_int_equal(gotlen, 300);
	assert_memory_equal(got, pt, 300);
	lp2p_noise_session_clear(&a);
	lp2p_noise_session_clear(&b);
}

static void transport_span_limit(void **state)
{
	struct lp2p_noise_session a, b;
	uint8_t wire[3 * 20], pt[2] = {1, 2};
	struct lp2p_noise_span spans[1];
	size_t nspans;

	(void)state;
	session_pair(&a, &b);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lp2p_noise_seal(&a, pt, 2, wire + 20 * i, 20),
				 20);
	/* One span at a time: one frame consumed per call. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lp2p_noise_open(&b, wire + 20 * i,
						 60 - 20 * (size_t)i, spans, 1,
						 &nspans),
				 20);
		assert_int_equal(nspans, 1);
		assert_int_equal(spans[0].len, 2);
		assert_memory_equal(spans[0].data, pt, 2);
	}
	lp2p_noise_session_clear(&a);
	lp2p_noise_session_clear(&b);
}

static void transport_tampered(void **state)
{
	struct lp2p_noise_session a, b;
	uint8_t wire[64], pt[10] = "0123456789";
	struct lp2p_noise_span spans[2];
	size_t nspans;

	(void)state;
	session_pair(&a, &b);
	assert_int_equal(lp2p_noise_seal(&a, pt, 10, wire, sizeof(wire)), 28);
	wire[5] ^= 0x40;
	assert_int_equal(lp2p_noise_open(&b, wire, 28, spans, 2, &nspans),
			 LP2P_ECRYPTO);
	assert_int_equal(nspans, 0);
	/* Sticky: even a good frame is refused afterwards. */
	assert_int_equal(lp2p_noise_seal(&a, pt, 10, wire, sizeof(wire)), 28);
	assert_int_equal(lp2p_noise_open(&b, wire, 28, spans, 2, &nspans),
			 LP2P_ECRYPTO);
	lp2p_noise_session_clear(&a);
	lp2p_noise_session_clear(&b);

	/* A tampered tag, a frame shorter than a tag, a replayed frame. */
	session_pair(&a, &b);
	assert_int_equal(lp2p_noise_seal(&a, pt, 10, wire, sizeof(wire)), 28);
	wire[27] ^= 1;
	assert_int_equal(lp2p_noise_open(&b, wire, 28, spans, 2, &nspans),
			 LP2P_ECRYPTO);
	lp2p_noise_session_clear(&b);
	lp2p_noise_session_clear(&a);

	session_pair(&a, &b);
	uint8_t short_frame[17] = {0, 15};
	assert_int_equal(lp2p_noise_open(&b, short_frame, 17, spans, 2,
					 &nspans),
			 LP2P_EPROTO);
	lp2p_noise_session_clear(&b);
	lp2p_noise_session_clear(&a);

	session_pair(&a, &b);
	assert_int_equal(lp2p_noise_seal(&a, pt, 10, wire, sizeof(wire)), 28);
	memcpy(wire + 28, wire, 28);
	assert_int_equal(lp2p_noise_open(&b, wire, 56, spans, 2, &nspans),
			 LP2P_ECRYPTO); /* the replay has a stale nonce */
	lp2p_noise_session_clear(&b);
	lp2p_noise_session_clear(&a);
}

static void transport_limits(void **state)
{
	struct lp2p_noise_session a, b;
	uint8_t wire[64], pt[4] = "abcd";
	struct lp2p_noise_span spans[2];
	size_t nspans;

	(void)state;
	session_pair(&a, &b);
	/* A buffer too small is not fatal. */
	assert_int_equal(lp2p_noise_seal(&a, pt, 4, wire, 21), LP2P_ERANGE);
	assert_int_equal(lp2p_noise_seal_inplace(&a, wire, 4, 21),
			 LP2P_ERANGE);
	assert_int_equal(a.send.n, 0);
	assert_int_equal(lp2p_noise_seal(&a, pt, 4, wire, 22), 22);
	assert_int_equal(lp2p_noise_open(&b, wire, 22, spans, 2, &nspans), 22);

	/* The last usable nonce is 2^64-2; then the session is over. */
	a.send.n = UINT64_MAX - 1;
	b.recv.n = UINT64_MAX - 1;
	assert_int_equal(lp2p_noise_seal(&a, pt, 4, wire, sizeof(wire)), 22);
	assert_int_equal(lp2p_noise_open(&b, wire, 22, spans, 2, &nspans), 22);
	assert_memory_equal(spans[0].data, "abcd", 4);
	assert_int_equal(lp2p_noise_seal(&a, pt, 4, wire, sizeof(wire)),
			 LP2P_ELIMIT);
	assert_int_equal(lp2p_noise_seal(&a, pt, 0, wire, 0), LP2P_ELIMIT);
	/* Two frames that would cross the limit are refused whole. */
	lp2p_noise_session_clear(&a);
	lp2p_noise_session_clear(&b);
	session_pair(&a, &b);
	a.send.n = UINT64_MAX - 1;
	uint8_t *big = pattern(65520, 1), *out = malloc(65537 + 19);
	assert_int_equal(lp2p_noise_seal(&a, big, 65520, out, 65537 + 19),
			 LP2P_ELIMIT);
	assert_int_equal(a.send.n, UINT64_MAX - 1);
	/* The receiver refuses the reserved nonce too. */
	b.recv.n = UINT64_MAX;
	wire[0] = 0;
	wire[1] = 16;
	assert_int_equal(lp2p_noise_open(&b, wire, 18, spans, 2, &nspans),
			 LP2P_ELIMIT);
	free(big);
	free(out);
	lp2p_noise_session_clear(&a);
	lp2p_noise_session_clear(&b);
}

static void transport_empty_frame(void **state)
{
	struct lp2p_noise_session a, b;
	uint8_t wire[64];
	struct lp2p_noise_span spans[2];
	size_t nspans;

	(void)state;
	session_pair(&a, &b);
	/* A peer may send an empty transport message: consumed, no span. */
	assert_int_equal(lp2p_noise_cipher_encrypt(&a.send, NULL, 0, NULL, 0,
						   wire + 2),
			 16);
	wire[0] = 0;
	wire[1] = 16;
	assert_int_equal(lp2p_noise_seal(&a, (const uint8_t *)"x", 1, wire + 18,
					 sizeof(wire) - 18),
			 19);
	assert_int_equal(lp2p_noise_open(&b, wire, 37, spans, 2, &nspans), 37);
	assert_int_equal(nspans, 1);
	assert_int_equal(spans[0].len, 1);
	assert_int_equal(spans[0].data[0], 'x');
	lp2p_noise_session_clear(&a);
	lp2p_noise_session_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answer_xx),
		cmocka_unit_test(sealed_sizes),
		cmocka_unit_test(transport_round_trip_large),
		cmocka_unit_test(transport_byte_by_byte),
		cmocka_unit_test(transport_span_limit),
		cmocka_unit_test(transport_tampered),
		cmocka_unit_test(transport_limits),
		cmocka_unit_test(transport_empty_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
