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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answer_xx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
