/* test_noise.c - Noise XX primitives, the libp2p handshake, the transport */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include <lp2p/crypto.h>
#include <lp2p/peer_id.h>

#include "security/noise.h"
#include "security/noise_payload.h"

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
	kat_party(
	    &ini, true,
	    "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
	    "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a");
	kat_party(
	    &res, false,
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
	unhex(
	    "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e",
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
		assert_int_equal(
		    lp2p_noise_xx_read(r, msg, (size_t)n, pl, sizeof(pl)), 0);
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
		ssize_t n =
		    lp2p_noise_open(s, buf + off, len - off, spans, 4, &nspans);
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
	assert_int_equal(lp2p_noise_seal(&a, pt, 100, wire, sizeof(wire)), 118);
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
	assert_int_equal(
	    lp2p_noise_open(&b, short_frame, 17, spans, 2, &nspans),
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
	assert_int_equal(lp2p_noise_seal_inplace(&a, wire, 4, 21), LP2P_ERANGE);
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
	/* The cipher refuses a message over the limit. */
	assert_int_equal(
	    lp2p_noise_cipher_encrypt(&b.send, NULL, 0, big, 65520, out),
	    LP2P_EINVAL);
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
	assert_int_equal(
	    lp2p_noise_cipher_encrypt(&a.send, NULL, 0, NULL, 0, wire + 2), 16);
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

/* ---- payload codec ---------------------------------------------------- */

static size_t pb_len_field(uint8_t *out, unsigned number, const void *data,
                           size_t len)
{
	/* Test data stays below 128 bytes per field: one-byte varints. */
	assert_true(len < 128 && number < 16);
	out[0] = (uint8_t)(number << 3 | 2);
	out[1] = (uint8_t)len;
	memcpy(out + 2, data, len);
	return 2 + len;
}

static void payload_round_trip(void **state)
{
	const char *muxers[] = {"/yamux/1.0.0", "/mplex/6.7.0"};
	uint8_t key[36] = {8, 1, 18, 32}, sig[64], buf[256];
	struct lp2p_noise_payload p;
	const char *why = NULL;

	(void)state;
	memset(sig, 0xab, sizeof(sig));
	size_t want = lp2p_noise_payload_size(36, 64, muxers, 2);
	int n = lp2p_noise_payload_write(buf, sizeof(buf), key, 36, sig, 64,
	                                 muxers, 2);
	assert_int_equal(n, (int)want);
	/* The exact bytes: key, sig, then extensions{2: yamux, 2: mplex}. */
	assert_int_equal(buf[0], 0x0a);
	assert_int_equal(buf[1], 36);
	assert_int_equal(buf[38], 0x12);
	assert_int_equal(buf[39], 64);
	assert_int_equal(buf[104], 0x22);
	assert_int_equal(buf[105], 28);
	assert_int_equal(buf[106], 0x12);
	assert_int_equal(buf[107], 12);
	assert_memory_equal(buf + 108, "/yamux/1.0.0", 12);
	assert_int_equal(n, 106 + 28);

	assert_int_equal(lp2p_noise_payload_parse(buf, (size_t)n, &p, &why), 0);
	assert_int_equal(p.identity_key.len, 36);
	assert_memory_equal(p.identity_key.data, key, 36);
	assert_int_equal(p.identity_sig.len, 64);
	assert_int_equal(p.n_muxers, 2);
	assert_int_equal(p.muxers[1].len, 12);
	assert_memory_equal(p.muxers[1].data, "/mplex/6.7.0", 12);

	/* Without muxers there is no extensions field at all. */
	n = lp2p_noise_payload_write(buf, sizeof(buf), key, 36, sig, 64, NULL,
	                             0);
	assert_int_equal(n, 104);
	assert_int_equal(lp2p_noise_payload_size(36, 64, NULL, 0), 104);
	/* Too small a buffer. */
	assert_int_equal(
	    lp2p_noise_payload_write(buf, 103, key, 36, sig, 64, NULL, 0),
	    LP2P_ERANGE);
	assert_int_equal(
	    lp2p_noise_payload_write(buf, 110, key, 36, sig, 64, muxers, 2),
	    LP2P_ERANGE);
}

static void payload_parse_rules(void **state)
{
	uint8_t buf[512], ext[400];
	size_t n, e;
	struct lp2p_noise_payload p;
	const char *why;

	(void)state;
	/* Unknown fields of every wire type are skipped; certhashes too;
	 * extensions merge; the last identity_key wins. */
	n = pb_len_field(buf, 1, "old", 3);
	n += pb_len_field(buf + n, 1, "key", 3);
	n += pb_len_field(buf + n, 2, "sig", 3);
	buf[n++] = 0x18; /* 3: varint */
	buf[n++] = 0x7f;
	buf[n++] = 0x2d; /* 5: fixed32 */
	memset(buf + n, 1, 4);
	n += 4;
	e = pb_len_field(ext, 1, "hash", 4);
	e += pb_len_field(ext + e, 2, "/a", 2);
	e += pb_len_field(ext + e, 2, "", 0);     /* dropped: empty */
	e += pb_len_field(ext + e, 2, "x\0y", 3); /* dropped: NUL */
	ext[e++] = 0x18;                          /* 3: unknown varint */
	ext[e++] = 1;
	n += pb_len_field(buf + n, 4, ext, e);
	n += pb_len_field(buf + n, 4, "\x12\x02/b", 4);
	why = NULL;
	assert_int_equal(lp2p_noise_payload_parse(buf, n, &p, &why), 0);
	assert_int_equal(p.identity_key.len, 3);
	assert_memory_equal(p.identity_key.data, "key", 3);
	assert_int_equal(p.n_muxers, 2);
	assert_memory_equal(p.muxers[0].data, "/a", 2);
	assert_memory_equal(p.muxers[1].data, "/b", 2);

	/* Missing pieces. */
	n = pb_len_field(buf, 2, "sig", 3);
	assert_int_equal(lp2p_noise_payload_parse(buf, n, &p, &why),
	                 LP2P_EPROTO);
	assert_string_equal(why, "noise payload: no identity key");
	n = pb_len_field(buf, 1, "key", 3);
	assert_int_equal(lp2p_noise_payload_parse(buf, n, &p, &why),
	                 LP2P_EPROTO);
	assert_string_equal(why, "noise payload: no identity signature");
	n += pb_len_field(buf + n, 2, "", 0);
	assert_int_equal(lp2p_noise_payload_parse(buf, n, &p, &why),
	                 LP2P_EPROTO);
	assert_int_equal(lp2p_noise_payload_parse(buf, 0, &p, &why),
	                 LP2P_EPROTO);

	/* Wrong wire types and malformed protobuf. */
	n = pb_len_field(buf, 1, "key", 3);
	n += pb_len_field(buf + n, 2, "sig", 3);
	buf[n] = 0x20; /* 4 as a varint */
	buf[n + 1] = 0;
	assert_int_equal(lp2p_noise_payload_parse(buf, n + 2, &p, &why),
	                 LP2P_EPROTO);
	assert_string_equal(why, "noise payload: field with wrong wire type");
	e = pb_len_field(buf + n, 4, "\x10\x01", 2); /* muxers as varint */
	assert_int_equal(lp2p_noise_payload_parse(buf, n + e, &p, &why),
	                 LP2P_EPROTO);
	assert_string_equal(why,
	                    "noise extensions: field with wrong wire type");
	e = pb_len_field(buf + n, 4, "\x12\x05/a", 4); /* inner overrun */
	assert_int_equal(lp2p_noise_payload_parse(buf, n + e, &p, &why),
	                 LP2P_EPROTO);
	assert_string_equal(why, "noise extensions: malformed protobuf");
	assert_int_equal(lp2p_noise_payload_parse(buf, n - 1, &p, &why),
	                 LP2P_EPROTO);
	assert_string_equal(why, "noise payload: malformed protobuf");

	/* More than LP2P_NOISE_MAX_MUXERS names: the rest are dropped; a
	 * name longer than LP2P_NOISE_MAX_MUXER_LEN too. */
	n = pb_len_field(buf, 1, "key", 3);
	n += pb_len_field(buf + n, 2, "sig", 3);
	e = 0;
	for (int i = 0; i < LP2P_NOISE_MAX_MUXERS + 5; i++) {
		char name[8];
		snprintf(name, sizeof(name), "/m%d", i);
		e += pb_len_field(ext + e, 2, name, strlen(name));
	}
	buf[n++] = 0x22;
	buf[n++] = (uint8_t)(0x80 | (e & 0x7f));
	buf[n++] = (uint8_t)(e >> 7);
	memcpy(buf + n, ext, e);
	n += e;
	assert_int_equal(lp2p_noise_payload_parse(buf, n, &p, &why), 0);
	assert_int_equal(p.n_muxers, LP2P_NOISE_MAX_MUXERS);
	assert_memory_equal(p.muxers[31].data, "/m31", 4);

	uint8_t *big = malloc(600);
	n = pb_len_field(big, 1, "key", 3);
	n += pb_len_field(big + n, 2, "sig", 3);
	big[n++] = 0x22;
	big[n++] = 0x84; /* 260 = 3 + 257 */
	big[n++] = 0x02;
	big[n++] = 0x12;
	big[n++] = 0x81; /* 257 > LP2P_NOISE_MAX_MUXER_LEN */
	big[n++] = 0x02;
	memset(big + n, 'a', 257);
	n += 257;
	assert_int_equal(lp2p_noise_payload_parse(big, n, &p, &why), 0);
	assert_int_equal(p.n_muxers, 0);
	free(big);
}

/* ---- handshake -------------------------------------------------------- */

static const char *const two_muxers[] = {"/yamux/1.0.0", "/mplex/6.7.0"};
static const char *const two_muxers_rev[] = {"/mplex/6.7.0", "/yamux/1.0.0"};

static struct lp2p_key *new_key(enum lp2p_key_type type, unsigned bits)
{
	struct lp2p_key *k = NULL;
	assert_int_equal(lp2p_key_generate(type, bits, &k), 0);
	return k;
}

static struct lp2p_noise_hs *new_hs(bool initiator, const struct lp2p_key *id,
                                    const struct lp2p_peer_id *expected,
                                    const char *const *muxers, size_t n)
{
	struct lp2p_noise_config cfg = {
	    .initiator = initiator,
	    .identity = id,
	    .expected_peer = expected,
	    .muxers = muxers,
	    .n_muxers = n,
	};
	struct lp2p_noise_hs *hs = NULL;
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), 0);
	assert_non_null(hs);
	return hs;
}

/* A one-way pipe: bytes sent and not yet consumed by the reader. */
struct pipe {
	uint8_t buf[2 * LP2P_NOISE_FRAME_MAX];
	size_t len;
};

/* Move a's output into p, `step` bytes at most (0: all). */
static void pump_out(struct lp2p_noise_hs *a, struct pipe *p, size_t step)
{
	const uint8_t *data;
	size_t n = lp2p_noise_hs_output(a, &data);

	if (step && n > step)
		n = step;
	assert_true(p->len + n <= sizeof(p->buf));
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	lp2p_noise_hs_output_ack(a, n);
}

static ssize_t pump_in(struct lp2p_noise_hs *b, struct pipe *p)
{
	ssize_t n = lp2p_noise_hs_feed(b, p->buf, p->len);
	if (n > 0) {
		memmove(p->buf, p->buf + n, p->len - (size_t)n);
		p->len -= (size_t)n;
	}
	return n;
}

/*
 * Run the handshake, delivering step bytes at a time (0: whole output).
 * Returns 0 when both are done, else the first error seen.
 */
static int run_hs(struct lp2p_noise_hs *ini, struct lp2p_noise_hs *res,
                  size_t step)
{
	struct pipe *to_res = calloc(1, sizeof(*to_res));
	struct pipe *to_ini = calloc(1, sizeof(*to_ini));
	const uint8_t *d;
	int err = 0;

	for (int round = 0; round < 200000; round++) {
		pump_out(ini, to_res, step);
		ssize_t n = pump_in(res, to_res);
		if (n < 0) {
			err = (int)n;
			break;
		}
		pump_out(res, to_ini, step);
		n = pump_in(ini, to_ini);
		if (n < 0) {
			err = (int)n;
			break;
		}
		if (lp2p_noise_hs_done(ini) && lp2p_noise_hs_done(res) &&
		    lp2p_noise_hs_output(ini, &d) == 0 &&
		    lp2p_noise_hs_output(res, &d) == 0 && to_res->len == 0 &&
		    to_ini->len == 0)
			break;
	}
	free(to_res);
	free(to_ini);
	return err;
}

/* Both sessions carry data both ways. */
static void check_sessions(struct lp2p_noise_hs *ini, struct lp2p_noise_hs *res)
{
	struct lp2p_noise_session a, b;
	struct lp2p_noise_span spans[2];
	uint8_t wire[64];
	size_t nspans;

	assert_int_equal(lp2p_noise_hs_split(ini, &a), 0);
	assert_int_equal(lp2p_noise_hs_split(res, &b), 0);
	assert_int_equal(lp2p_noise_hs_split(res, &b), LP2P_EINVAL);
	assert_int_equal(
	    lp2p_noise_seal(&a, (const uint8_t *)"ping", 4, wire, sizeof(wire)),
	    22);
	assert_int_equal(lp2p_noise_open(&b, wire, 22, spans, 2, &nspans), 22);
	assert_int_equal(nspans, 1);
	assert_memory_equal(spans[0].data, "ping", 4);
	assert_int_equal(
	    lp2p_noise_seal(&b, (const uint8_t *)"pong", 4, wire, sizeof(wire)),
	    22);
	assert_int_equal(lp2p_noise_open(&a, wire, 22, spans, 2, &nspans), 22);
	assert_memory_equal(spans[0].data, "pong", 4);
	lp2p_noise_session_clear(&a);
	lp2p_noise_session_clear(&b);
}

static void check_identity(struct lp2p_noise_hs *hs, const struct lp2p_key *k)
{
	struct lp2p_peer_id want;

	assert_int_equal(lp2p_peer_id_from_key(k, &want), 0);
	assert_non_null(lp2p_noise_hs_remote_peer(hs));
	assert_true(lp2p_peer_id_equal(lp2p_noise_hs_remote_peer(hs), &want));
	assert_int_equal(lp2p_key_equal_public(lp2p_noise_hs_remote_key(hs), k),
	                 1);
	assert_string_equal(lp2p_noise_error_reason(hs), "");
	assert_int_equal(lp2p_noise_hs_error(hs), 0);
}

static void handshake_pair(struct lp2p_key *ki, struct lp2p_key *kr)
{
	struct lp2p_peer_id expected;
	const char *const *list;

	assert_int_equal(lp2p_peer_id_from_key(kr, &expected), 0);
	struct lp2p_noise_hs *ini = new_hs(true, ki, &expected, two_muxers, 2);
	struct lp2p_noise_hs *res = new_hs(false, kr, NULL, two_muxers_rev, 2);
	assert_false(lp2p_noise_hs_done(ini));
	assert_null(lp2p_noise_hs_remote_peer(ini));
	assert_null(lp2p_noise_hs_selected_muxer(ini));
	assert_int_equal(run_hs(ini, res, 0), 0);
	assert_true(lp2p_noise_hs_done(ini));
	assert_true(lp2p_noise_hs_done(res));
	check_identity(ini, kr);
	check_identity(res, ki);
	/* Each sees the other's list in the other's order; the initiator's
	 * preference decides. */
	assert_int_equal(lp2p_noise_hs_remote_muxers(ini, &list), 2);
	assert_string_equal(list[0], "/mplex/6.7.0");
	assert_int_equal(lp2p_noise_hs_remote_muxers(res, &list), 2);
	assert_string_equal(list[0], "/yamux/1.0.0");
	assert_string_equal(lp2p_noise_hs_selected_muxer(ini), "/yamux/1.0.0");
	assert_string_equal(lp2p_noise_hs_selected_muxer(res), "/yamux/1.0.0");
	check_sessions(ini, res);
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(res);
}

static void handshake_key_types(void **state)
{
	struct lp2p_key *keys[] = {
	    new_key(LP2P_KEY_ED25519, 0),
	    new_key(LP2P_KEY_SECP256K1, 0),
	    new_key(LP2P_KEY_ECDSA, 256),
	    new_key(LP2P_KEY_RSA, 2048),
	};
	size_t n = sizeof(keys) / sizeof(keys[0]);

	(void)state;
	for (size_t i = 0; i < n; i++)
		handshake_pair(keys[i], keys[(i + 1) % n]);
	handshake_pair(keys[0], keys[0]); /* same identity both ends */
	for (size_t i = 0; i < n; i++)
		lp2p_key_free(keys[i]);
}

static void handshake_muxer_choices(void **state)
{
	struct lp2p_key *k = new_key(LP2P_KEY_ED25519, 0);
	const char *const yamux[] = {"/yamux/1.0.0"};
	const char *const mplex[] = {"/mplex/6.7.0"};
	const char *const *list;
	struct {
		const char *const *ini;
		size_t nini;
		const char *const *res;
		size_t nres;
		const char *want;
	} cases[] = {
	    {two_muxers_rev, 2, two_muxers, 2, "/mplex/6.7.0"},
	    {yamux, 1, two_muxers_rev, 2, "/yamux/1.0.0"},
	    {two_muxers, 2, mplex, 1, "/mplex/6.7.0"},
	    {yamux, 1, mplex, 1, NULL},
	    {NULL, 0, two_muxers, 2, NULL},
	    {two_muxers, 2, NULL, 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lp2p_noise_hs *ini =
		    new_hs(true, k, NULL, cases[i].ini, cases[i].nini);
		struct lp2p_noise_hs *res =
		    new_hs(false, k, NULL, cases[i].res, cases[i].nres);
		assert_int_equal(run_hs(ini, res, 0), 0);
		const char *a = lp2p_noise_hs_selected_muxer(ini);
		const char *b = lp2p_noise_hs_selected_muxer(res);
		if (cases[i].want) {
			assert_string_equal(a, cases[i].want);
			assert_string_equal(b, cases[i].want);
		} else {
			assert_null(a);
			assert_null(b);
		}
		assert_int_equal(lp2p_noise_hs_remote_muxers(res, &list),
		                 cases[i].nini);
		assert_int_equal(lp2p_noise_hs_remote_muxers(ini, &list),
		                 cases[i].nres);
		lp2p_noise_hs_free(ini);
		lp2p_noise_hs_free(res);
	}
	lp2p_key_free(k);
}

static void handshake_byte_by_byte(void **state)
{
	struct lp2p_key *k1 = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *k2 = new_key(LP2P_KEY_SECP256K1, 0);
	struct lp2p_noise_hs *ini = new_hs(true, k1, NULL, two_muxers, 2);
	struct lp2p_noise_hs *res = new_hs(false, k2, NULL, two_muxers, 2);

	(void)state;
	assert_int_equal(run_hs(ini, res, 1), 0);
	assert_true(lp2p_noise_hs_done(ini));
	assert_true(lp2p_noise_hs_done(res));
	check_identity(ini, k2);
	check_identity(res, k1);
	check_sessions(ini, res);
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(res);
	lp2p_key_free(k1);
	lp2p_key_free(k2);
}

/* The responder gets message 3 and the first transport frame at once. */
static void handshake_then_data_in_one_read(void **state)
{
	struct lp2p_key *k = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_noise_hs *ini = new_hs(true, k, NULL, NULL, 0);
	struct lp2p_noise_hs *res = new_hs(false, k, NULL, NULL, 0);
	struct lp2p_noise_session a, b;
	struct lp2p_noise_span spans[1];
	uint8_t buf[1024];
	const uint8_t *d;
	size_t n, nspans;

	(void)state;
	n = lp2p_noise_hs_output(ini, &d);
	assert_int_equal(n, 2 + 32); /* -> e, empty payload */
	assert_int_equal(d[0], 0);
	assert_int_equal(d[1], 32);
	assert_int_equal(lp2p_noise_hs_feed(res, d, n), (ssize_t)n);
	lp2p_noise_hs_output_ack(ini, n);
	assert_int_equal(lp2p_noise_hs_output(ini, &d), 0);
	n = lp2p_noise_hs_output(res, &d);
	assert_true(n > 2 + 96);
	assert_int_equal(lp2p_noise_hs_feed(ini, d, n), (ssize_t)n);
	lp2p_noise_hs_output_ack(res, n);
	assert_true(lp2p_noise_hs_done(ini));
	assert_false(lp2p_noise_hs_done(res));

	n = lp2p_noise_hs_output(ini, &d);
	memcpy(buf, d, n);
	lp2p_noise_hs_output_ack(ini, n);
	assert_int_equal(lp2p_noise_hs_split(ini, &a), 0);
	assert_int_equal(lp2p_noise_seal(&a, (const uint8_t *)"early", 5,
	                                 buf + n, sizeof(buf) - n),
	                 23);
	/* Only message 3 is consumed; the transport frame stays. */
	assert_int_equal(lp2p_noise_hs_feed(res, buf, n + 23), (ssize_t)n);
	assert_true(lp2p_noise_hs_done(res));
	assert_int_equal(lp2p_noise_hs_feed(res, buf + n, 23), 0);
	assert_int_equal(lp2p_noise_hs_split(res, &b), 0);
	assert_int_equal(lp2p_noise_open(&b, buf + n, 23, spans, 1, &nspans),
	                 23);
	assert_memory_equal(spans[0].data, "early", 5);
	lp2p_noise_session_clear(&a);
	lp2p_noise_session_clear(&b);
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(res);
	lp2p_key_free(k);
}

static void handshake_expected_peer_mismatch(void **state)
{
	struct lp2p_key *k1 = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *k2 = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *k3 = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_peer_id other;
	const uint8_t *d;

	(void)state;
	assert_int_equal(lp2p_peer_id_from_key(k3, &other), 0);
	struct lp2p_noise_hs *ini = new_hs(true, k1, &other, NULL, 0);
	struct lp2p_noise_hs *res = new_hs(false, k2, NULL, NULL, 0);
	assert_int_equal(run_hs(ini, res, 0), LP2P_EPEERID);
	assert_int_equal(lp2p_noise_hs_error(ini), LP2P_EPEERID);
	assert_false(lp2p_noise_hs_done(ini));
	assert_non_null(
	    strstr(lp2p_noise_error_reason(ini), "peer id mismatch"));
	/* Message 3 (our identity) was never produced. */
	assert_int_equal(lp2p_noise_hs_output(ini, &d), 0);
	assert_null(lp2p_noise_hs_remote_peer(ini));
	/* Sticky. */
	assert_int_equal(lp2p_noise_hs_feed(ini, (const uint8_t *)"", 0),
	                 LP2P_EPEERID);
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(res);

	/* A responder expecting someone else refuses message 3; one
	 * expecting the right peer accepts. */
	ini = new_hs(true, k1, NULL, NULL, 0);
	res = new_hs(false, k2, &other, NULL, 0);
	assert_int_equal(run_hs(ini, res, 0), LP2P_EPEERID);
	assert_int_equal(lp2p_noise_hs_error(res), LP2P_EPEERID);
	assert_true(lp2p_noise_hs_done(ini));
	assert_false(lp2p_noise_hs_done(res));
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(res);
	assert_int_equal(lp2p_peer_id_from_key(k1, &other), 0);
	ini = new_hs(true, k1, NULL, NULL, 0);
	res = new_hs(false, k2, &other, NULL, 0);
	assert_int_equal(run_hs(ini, res, 0), 0);
	check_identity(res, k1);
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(res);
	lp2p_key_free(k1);
	lp2p_key_free(k2);
	lp2p_key_free(k3);
}

/* Run until `target` has output message `msgno` (1..3), corrupt one byte
 * at `pos` of that frame, deliver it and return the receiver's result. */
static int tamper_run(int msgno, size_t pos, struct lp2p_noise_hs **ini_out,
                      struct lp2p_noise_hs **res_out)
{
	static struct lp2p_key *k;
	struct lp2p_noise_hs *ini, *res, *from, *to;
	uint8_t buf[1024];
	const uint8_t *d;
	size_t n = 0;
	ssize_t r = 0;

	if (!k)
		k = new_key(LP2P_KEY_ED25519, 0);
	ini = new_hs(true, k, NULL, two_muxers, 2);
	res = new_hs(false, k, NULL, two_muxers, 2);
	for (int i = 1; i <= msgno; i++) {
		from = i % 2 ? ini : res;
		to = i % 2 ? res : ini;
		n = lp2p_noise_hs_output(from, &d);
		assert_true(n > 0 && n <= sizeof(buf));
		memcpy(buf, d, n);
		lp2p_noise_hs_output_ack(from, n);
		if (i == msgno)
			buf[pos] ^= 0x01;
		r = lp2p_noise_hs_feed(to, buf, n);
		if (i < msgno)
			assert_int_equal(r, (ssize_t)n);
	}
	*ini_out = ini;
	*res_out = res;
	return (int)r;
}

static void handshake_tampered(void **state)
{
	struct lp2p_noise_hs *ini, *res;

	(void)state;
	/* Message 2, in the ephemeral key, the static key, the payload. */
	for (size_t pos = 2; pos < 200; pos += 40) {
		int r = tamper_run(2, pos, &ini, &res);
		assert_true(r == LP2P_ECRYPTO);
		assert_int_equal(lp2p_noise_hs_error(ini), r);
		assert_non_null(
		    strstr(lp2p_noise_error_reason(ini), "message 2"));
		lp2p_noise_hs_free(ini);
		lp2p_noise_hs_free(res);
	}
	/* Message 3. */
	for (size_t pos = 2; pos < 150; pos += 30) {
		assert_int_equal(tamper_run(3, pos, &ini, &res), LP2P_ECRYPTO);
		assert_false(lp2p_noise_hs_done(res));
		assert_null(lp2p_noise_hs_remote_peer(res));
		lp2p_noise_hs_free(ini);
		lp2p_noise_hs_free(res);
	}
	/* Message 1: the responder cannot tell, the initiator then fails
	 * (the handshake hashes differ). */
	assert_true(tamper_run(1, 10, &ini, &res) > 0);
	const uint8_t *d;
	size_t n = lp2p_noise_hs_output(res, &d);
	assert_int_equal(lp2p_noise_hs_feed(ini, d, n), LP2P_ECRYPTO);
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(res);
	/* A changed length prefix: message 1 too short. */
	struct lp2p_noise_hs *r2;
	tamper_run(0, 0, &ini, &r2);
	uint8_t short_msg[2 + 31] = {0, 31};
	assert_int_equal(lp2p_noise_hs_feed(r2, short_msg, sizeof(short_msg)),
	                 LP2P_EPROTO);
	assert_non_null(strstr(lp2p_noise_error_reason(r2), "malformed"));
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(r2);
}

/*
 * A hand-made responder (the XX layer directly) answering the initiator
 * with a chosen payload in message 2.
 */
static int evil_responder(const uint8_t *payload, size_t plen,
                          struct lp2p_noise_hs **ini_out,
                          struct lp2p_noise_xx *xx,
                          const struct lp2p_peer_id *expected)
{
	static struct lp2p_key *k;
	struct lp2p_noise_keypair s;
	uint8_t msg[4096], pl[64];
	const uint8_t *d;
	size_t n;

	if (!k)
		k = new_key(LP2P_KEY_ED25519, 0);
	*ini_out = new_hs(true, k, expected, NULL, 0);
	assert_int_equal(lp2p_noise_keypair_generate(&s), 0);
	assert_int_equal(lp2p_noise_xx_init(xx, false, NULL, 0, &s, NULL), 0);
	n = lp2p_noise_hs_output(*ini_out, &d);
	assert_int_equal(lp2p_noise_xx_read(xx, d + 2, n - 2, pl, sizeof(pl)),
	                 0);
	lp2p_noise_hs_output_ack(*ini_out, n);
	int m =
	    lp2p_noise_xx_write(xx, payload, plen, msg + 2, sizeof(msg) - 2);
	assert_true(m > 0);
	msg[0] = (uint8_t)(m >> 8);
	msg[1] = (uint8_t)m;
	return (int)lp2p_noise_hs_feed(*ini_out, msg, (size_t)m + 2);
}

/* Payload for the evil responder: key `id` signs `signed_static`. */
static size_t signed_payload(uint8_t *out, size_t cap, struct lp2p_key *id,
                             struct lp2p_key *signer,
                             const uint8_t static_pub[32])
{
	uint8_t tbs[24 + 32], sig[LP2P_KEY_SIG_MAX], key[LP2P_KEY_PUBLIC_MAX];

	memcpy(tbs, "noise-libp2p-static-key:", 24);
	memcpy(tbs + 24, static_pub, 32);
	int siglen = lp2p_key_sign(signer, tbs, sizeof(tbs), sig, sizeof(sig));
	int keylen = lp2p_key_marshal_public(id, key, sizeof(key));
	assert_true(siglen > 0 && keylen > 0);
	int n = lp2p_noise_payload_write(out, cap, key, (size_t)keylen, sig,
	                                 (size_t)siglen, NULL, 0);
	assert_true(n > 0);
	return (size_t)n;
}

static void handshake_bad_identity(void **state)
{
	struct lp2p_key *id = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *other = new_key(LP2P_KEY_ECDSA, 256);
	struct lp2p_noise_hs *ini;
	struct lp2p_noise_xx xx;
	struct lp2p_noise_keypair probe;
	uint8_t payload[2048];
	size_t n;

	(void)state;
	/* The static key the evil responder will use is only known after
	 * xx_init; sign a different one: the signature must not verify. */
	assert_int_equal(lp2p_noise_keypair_generate(&probe), 0);
	n = signed_payload(payload, sizeof(payload), id, id, probe.pub);
	assert_int_equal(evil_responder(payload, n, &ini, &xx, NULL),
	                 LP2P_ECRYPTO);
	assert_non_null(strstr(lp2p_noise_error_reason(ini), "signature"));
	lp2p_noise_hs_free(ini);
	lp2p_noise_xx_clear(&xx);

	/* Signed by another key than the one presented. */
	struct lp2p_noise_keypair s;
	uint8_t msg[4096], pl[64];
	const uint8_t *d;
	struct lp2p_key *k = new_key(LP2P_KEY_ED25519, 0);
	ini = new_hs(true, k, NULL, NULL, 0);
	assert_int_equal(lp2p_noise_keypair_generate(&s), 0);
	uint8_t spub[32];
	memcpy(spub, s.pub, 32);
	assert_int_equal(lp2p_noise_xx_init(&xx, false, NULL, 0, &s, NULL), 0);
	n = lp2p_noise_hs_output(ini, &d);
	assert_int_equal(lp2p_noise_xx_read(&xx, d + 2, n - 2, pl, sizeof(pl)),
	                 0);
	lp2p_noise_hs_output_ack(ini, n);
	n = signed_payload(payload, sizeof(payload), id, other, spub);
	int m = lp2p_noise_xx_write(&xx, payload, n, msg + 2, sizeof(msg) - 2);
	msg[0] = (uint8_t)(m >> 8);
	msg[1] = (uint8_t)m;
	assert_int_equal(lp2p_noise_hs_feed(ini, msg, (size_t)m + 2),
	                 LP2P_ECRYPTO);
	lp2p_noise_hs_free(ini);
	lp2p_noise_xx_clear(&xx);

	/* A correct signature by the right key is accepted (the control),
	 * and then an expected peer id that differs is refused. */
	ini = new_hs(true, k, NULL, NULL, 0);
	assert_int_equal(lp2p_noise_keypair_generate(&s), 0);
	memcpy(spub, s.pub, 32);
	assert_int_equal(lp2p_noise_xx_init(&xx, false, NULL, 0, &s, NULL), 0);
	n = lp2p_noise_hs_output(ini, &d);
	assert_int_equal(lp2p_noise_xx_read(&xx, d + 2, n - 2, pl, sizeof(pl)),
	                 0);
	lp2p_noise_hs_output_ack(ini, n);
	n = signed_payload(payload, sizeof(payload), id, id, spub);
	m = lp2p_noise_xx_write(&xx, payload, n, msg + 2, sizeof(msg) - 2);
	msg[0] = (uint8_t)(m >> 8);
	msg[1] = (uint8_t)m;
	assert_int_equal(lp2p_noise_hs_feed(ini, msg, (size_t)m + 2),
	                 (ssize_t)m + 2);
	assert_true(lp2p_noise_hs_done(ini));
	check_identity(ini, id);
	lp2p_noise_hs_free(ini);
	lp2p_noise_xx_clear(&xx);

	/* Garbage instead of a key; no payload at all; an unknown type. */
	uint8_t junk[64];
	size_t jn = pb_len_field(junk, 1,
	                         "\x08\x01\x12\x03"
	                         "abc",
	                         7);
	jn += pb_len_field(junk + jn, 2, "sig", 3);
	assert_int_equal(evil_responder(junk, jn, &ini, &xx, NULL),
	                 LP2P_EPROTO);
	assert_non_null(strstr(lp2p_noise_error_reason(ini), "identity key"));
	lp2p_noise_hs_free(ini);
	lp2p_noise_xx_clear(&xx);
	assert_int_equal(evil_responder(NULL, 0, &ini, &xx, NULL), LP2P_EPROTO);
	assert_non_null(strstr(lp2p_noise_error_reason(ini), "no identity"));
	lp2p_noise_hs_free(ini);
	lp2p_noise_xx_clear(&xx);
	jn = pb_len_field(junk, 1,
	                  "\x08\x09\x12\x03"
	                  "abc",
	                  7);
	jn += pb_len_field(junk + jn, 2, "sig", 3);
	assert_int_equal(evil_responder(junk, jn, &ini, &xx, NULL),
	                 LP2P_ENOTSUP);
	lp2p_noise_hs_free(ini);
	lp2p_noise_xx_clear(&xx);

	lp2p_noise_keypair_clear(&probe);
	lp2p_key_free(id);
	lp2p_key_free(other);
	lp2p_key_free(k);
}

/* ---- per-host context: one static key, one signed payload ------------- */

static struct lp2p_noise_ctx *new_ctx(const struct lp2p_key *id,
                                      const char *const *muxers, size_t n)
{
	struct lp2p_noise_ctx_config cc = {
	    .identity = id,
	    .muxers = muxers,
	    .n_muxers = n,
	};
	struct lp2p_noise_ctx *ctx = NULL;
	assert_int_equal(lp2p_noise_ctx_new(&cc, &ctx), 0);
	assert_non_null(ctx);
	return ctx;
}

static struct lp2p_noise_hs *ctx_hs(bool initiator, struct lp2p_noise_ctx *ctx,
                                    const struct lp2p_peer_id *expected,
                                    const char *const *muxers, size_t n)
{
	struct lp2p_noise_config cfg = {
	    .initiator = initiator,
	    .ctx = ctx,
	    .expected_peer = expected,
	    .muxers = muxers,
	    .n_muxers = n,
	};
	struct lp2p_noise_hs *hs = NULL;
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), 0);
	assert_non_null(hs);
	return hs;
}

/* What any initiator learns from a responder's message 2: its static and
 * ephemeral public keys and its payload (the XX layer plays the peer). */
struct responder_view {
	uint8_t s[LP2P_NOISE_DHLEN], e[LP2P_NOISE_DHLEN];
	uint8_t payload[2048];
	size_t payload_len;
	struct lp2p_noise_payload p; /* views into payload */
};

static void read_responder(struct lp2p_noise_hs *res, struct responder_view *v)
{
	struct lp2p_noise_xx xx;
	struct lp2p_noise_keypair s;
	uint8_t msg[256];
	const uint8_t *d;
	const char *why = NULL;
	size_t n;

	assert_int_equal(lp2p_noise_keypair_generate(&s), 0);
	assert_int_equal(lp2p_noise_xx_init(&xx, true, NULL, 0, &s, NULL), 0);
	int m = lp2p_noise_xx_write(&xx, NULL, 0, msg + 2, sizeof(msg) - 2);
	assert_int_equal(m, LP2P_NOISE_DHLEN);
	msg[0] = 0;
	msg[1] = (uint8_t)m;
	assert_int_equal(lp2p_noise_hs_feed(res, msg, (size_t)m + 2), m + 2);
	n = lp2p_noise_hs_output(res, &d);
	assert_true(n > 2);
	m = lp2p_noise_xx_read(&xx, d + 2, n - 2, v->payload,
	                       sizeof(v->payload));
	assert_true(m > 0);
	lp2p_noise_hs_output_ack(res, n);
	v->payload_len = (size_t)m;
	memcpy(v->s, xx.rs, LP2P_NOISE_DHLEN);
	memcpy(v->e, xx.re, LP2P_NOISE_DHLEN);
	assert_int_equal(
	    lp2p_noise_payload_parse(v->payload, v->payload_len, &v->p, &why),
	    0);
	lp2p_noise_xx_clear(&xx);
}

static void ctx_one_static_key(void **state)
{
	struct lp2p_key *k = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_noise_ctx *ctx = new_ctx(k, two_muxers, 2);
	struct responder_view *v1 = calloc(1, sizeof(*v1));
	struct responder_view *v2 = calloc(1, sizeof(*v2));
	uint8_t tbs[24 + LP2P_NOISE_DHLEN];
	const uint8_t *d1, *d2;

	(void)state;
	/* Two connections of one host as responder: the same static key and
	 * the same signature bytes (the whole payload, in fact), but fresh
	 * ephemeral keys. */
	struct lp2p_noise_hs *r1 = ctx_hs(false, ctx, NULL, two_muxers, 2);
	struct lp2p_noise_hs *r2 = ctx_hs(false, ctx, NULL, two_muxers, 2);
	read_responder(r1, v1);
	read_responder(r2, v2);
	assert_memory_equal(v1->s, lp2p_noise_ctx_static_public(ctx),
	                    LP2P_NOISE_DHLEN);
	assert_memory_equal(v1->s, v2->s, LP2P_NOISE_DHLEN);
	assert_int_equal(v1->p.identity_sig.len, v2->p.identity_sig.len);
	assert_memory_equal(v1->p.identity_sig.data, v2->p.identity_sig.data,
	                    v1->p.identity_sig.len);
	assert_int_equal(v1->payload_len, v2->payload_len);
	assert_memory_equal(v1->payload, v2->payload, v1->payload_len);
	assert_memory_not_equal(v1->e, v2->e, LP2P_NOISE_DHLEN);
	assert_memory_not_equal(v1->e, v1->s, LP2P_NOISE_DHLEN);
	/* ... and the signature is the identity key's over that static key. */
	memcpy(tbs, "noise-libp2p-static-key:", 24);
	memcpy(tbs + 24, v1->s, LP2P_NOISE_DHLEN);
	assert_int_equal(lp2p_key_verify(k, tbs, sizeof(tbs),
	                                 v1->p.identity_sig.data,
	                                 v1->p.identity_sig.len),
	                 0);
	lp2p_noise_hs_free(r1);
	lp2p_noise_hs_free(r2);

	/* As initiator: message 1 is a fresh ephemeral key each time. */
	struct lp2p_noise_hs *i1 = ctx_hs(true, ctx, NULL, two_muxers, 2);
	struct lp2p_noise_hs *i2 = ctx_hs(true, ctx, NULL, two_muxers, 2);
	assert_int_equal(lp2p_noise_hs_output(i1, &d1), 2 + LP2P_NOISE_DHLEN);
	assert_int_equal(lp2p_noise_hs_output(i2, &d2), 2 + LP2P_NOISE_DHLEN);
	assert_memory_not_equal(d1 + 2, d2 + 2, LP2P_NOISE_DHLEN);
	assert_memory_not_equal(d1 + 2, lp2p_noise_ctx_static_public(ctx),
	                        LP2P_NOISE_DHLEN);
	lp2p_noise_hs_free(i1);
	lp2p_noise_hs_free(i2);

	/* Another host (or a handshake without a context) has its own. */
	struct lp2p_noise_ctx *other = new_ctx(k, two_muxers, 2);
	assert_memory_not_equal(lp2p_noise_ctx_static_public(ctx),
	                        lp2p_noise_ctx_static_public(other),
	                        LP2P_NOISE_DHLEN);
	struct lp2p_noise_hs *lone = new_hs(false, k, NULL, two_muxers, 2);
	read_responder(lone, v2);
	assert_memory_not_equal(v2->s, v1->s, LP2P_NOISE_DHLEN);
	lp2p_noise_hs_free(lone);
	lp2p_noise_ctx_free(other);
	free(v1);
	free(v2);
	lp2p_noise_ctx_free(ctx);
	lp2p_key_free(k);
}

/* Sessions of two connections between the same hosts do not share keys. */
static void ctx_sessions_differ(void **state)
{
	struct lp2p_key *ka = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *kb = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_noise_ctx *a = new_ctx(ka, two_muxers, 2);
	struct lp2p_noise_ctx *b = new_ctx(kb, two_muxers, 2);
	struct lp2p_noise_session s[2][2];
	struct lp2p_noise_span spans[1];
	uint8_t wire[64];
	size_t nspans;

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct lp2p_noise_hs *ini =
		    ctx_hs(true, a, NULL, two_muxers, 2);
		struct lp2p_noise_hs *res =
		    ctx_hs(false, b, NULL, two_muxers, 2);
		assert_int_equal(run_hs(ini, res, 0), 0);
		assert_int_equal(lp2p_noise_hs_split(ini, &s[i][0]), 0);
		assert_int_equal(lp2p_noise_hs_split(res, &s[i][1]), 0);
		lp2p_noise_hs_free(ini);
		lp2p_noise_hs_free(res);
	}
	assert_int_equal(
	    lp2p_noise_seal(&s[0][0], (const uint8_t *)"x", 1, wire, 64), 19);
	assert_int_equal(lp2p_noise_open(&s[1][1], wire, 19, spans, 1, &nspans),
	                 LP2P_ECRYPTO);
	for (int i = 0; i < 2; i++) {
		lp2p_noise_session_clear(&s[i][0]);
		lp2p_noise_session_clear(&s[i][1]);
	}
	lp2p_noise_ctx_free(a);
	lp2p_noise_ctx_free(b);
	lp2p_key_free(ka);
	lp2p_key_free(kb);
}

/* One host, two connections at once: each authenticates its own peer. */
static void ctx_each_connection_verifies(void **state)
{
	struct lp2p_key *ka = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *kb = new_key(LP2P_KEY_SECP256K1, 0);
	struct lp2p_key *kc = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_noise_ctx *a = new_ctx(ka, two_muxers, 2);
	struct lp2p_noise_ctx *b = new_ctx(kb, two_muxers, 2);
	struct lp2p_noise_ctx *c = new_ctx(kc, two_muxers, 2);
	struct lp2p_peer_id pb;
	struct pipe *p1 = calloc(1, sizeof(*p1)), *p2 = calloc(1, sizeof(*p2));

	(void)state;
	/* As responder, interleaved: B and C dial A. */
	struct lp2p_noise_hs *ab = ctx_hs(false, a, NULL, two_muxers, 2);
	struct lp2p_noise_hs *ac = ctx_hs(false, a, NULL, two_muxers, 2);
	struct lp2p_noise_hs *b1 = ctx_hs(true, b, NULL, two_muxers, 2);
	struct lp2p_noise_hs *c1 = ctx_hs(true, c, NULL, two_muxers, 2);
	for (int msg = 0; msg < 3; msg++) {
		struct lp2p_noise_hs *from[2] = {msg == 1 ? ab : b1,
		                                 msg == 1 ? ac : c1};
		struct lp2p_noise_hs *to[2] = {msg == 1 ? b1 : ab,
		                               msg == 1 ? c1 : ac};
		pump_out(from[0], p1, 0);
		pump_out(from[1], p2, 0);
		assert_true(pump_in(to[1], p2) > 0);
		assert_true(pump_in(to[0], p1) > 0);
	}
	check_identity(ab, kb);
	check_identity(ac, kc);
	check_identity(b1, ka);
	check_identity(c1, ka);
	check_sessions(b1, ab);
	check_sessions(c1, ac);
	lp2p_noise_hs_free(ab);
	lp2p_noise_hs_free(ac);
	lp2p_noise_hs_free(b1);
	lp2p_noise_hs_free(c1);

	/* As initiator expecting B: B passes, C (a valid signature, but
	 * another peer) is refused on the other connection. */
	assert_int_equal(lp2p_peer_id_from_key(kb, &pb), 0);
	struct lp2p_noise_hs *to_b = ctx_hs(true, a, &pb, two_muxers, 2);
	struct lp2p_noise_hs *to_c = ctx_hs(true, a, &pb, two_muxers, 2);
	struct lp2p_noise_hs *rb = ctx_hs(false, b, NULL, two_muxers, 2);
	struct lp2p_noise_hs *rc = ctx_hs(false, c, NULL, two_muxers, 2);
	assert_int_equal(run_hs(to_c, rc, 0), LP2P_EPEERID);
	assert_int_equal(run_hs(to_b, rb, 0), 0);
	check_identity(to_b, kb);
	check_identity(rb, ka);
	lp2p_noise_hs_free(to_b);
	lp2p_noise_hs_free(to_c);
	lp2p_noise_hs_free(rb);
	lp2p_noise_hs_free(rc);
	free(p1);
	free(p2);
	lp2p_noise_ctx_free(a);
	lp2p_noise_ctx_free(b);
	lp2p_noise_ctx_free(c);
	lp2p_key_free(ka);
	lp2p_key_free(kb);
	lp2p_key_free(kc);
}

/*
 * A host's signed payload is now the same on every connection, so any
 * peer it talked to holds a copy.  Replayed with another static key, the
 * signature no longer matches and the copy is worthless; signed by the
 * wrong key it is refused too.
 */
static void ctx_replayed_payload_refused(void **state)
{
	struct lp2p_key *victim = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *kd = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_noise_ctx *vctx = new_ctx(victim, NULL, 0);
	struct lp2p_noise_ctx *dctx = new_ctx(kd, NULL, 0);
	struct responder_view *v = calloc(1, sizeof(*v));
	struct lp2p_noise_keypair s;
	struct lp2p_noise_xx xx;
	struct lp2p_peer_id want;
	uint8_t msg[4096], pl[64];
	const uint8_t *d;
	size_t n;

	(void)state;
	struct lp2p_noise_hs *r = ctx_hs(false, vctx, NULL, NULL, 0);
	read_responder(r, v);
	lp2p_noise_hs_free(r);

	for (int variant = 0; variant < 2; variant++) {
		/* 0: the victim's payload replayed as is with the attacker's
		 * static key; 1: the victim's static key and identity, but
		 * a signature by another key over it. */
		assert_int_equal(lp2p_peer_id_from_key(victim, &want), 0);
		struct lp2p_noise_hs *ini = ctx_hs(true, dctx, &want, NULL, 0);
		assert_int_equal(lp2p_noise_keypair_generate(&s), 0);
		assert_int_equal(
		    lp2p_noise_xx_init(&xx, false, NULL, 0, &s, NULL), 0);
		n = lp2p_noise_hs_output(ini, &d);
		assert_int_equal(
		    lp2p_noise_xx_read(&xx, d + 2, n - 2, pl, sizeof(pl)), 0);
		lp2p_noise_hs_output_ack(ini, n);
		uint8_t forged[2048];
		const uint8_t *payload = v->payload;
		size_t plen = v->payload_len;
		if (variant == 1) {
			plen = signed_payload(forged, sizeof(forged), victim,
			                      kd, xx.s.pub);
			payload = forged;
		}
		int m = lp2p_noise_xx_write(&xx, payload, plen, msg + 2,
		                            sizeof(msg) - 2);
		assert_true(m > 0);
		msg[0] = (uint8_t)(m >> 8);
		msg[1] = (uint8_t)m;
		assert_int_equal(lp2p_noise_hs_feed(ini, msg, (size_t)m + 2),
		                 LP2P_ECRYPTO);
		assert_non_null(
		    strstr(lp2p_noise_error_reason(ini), "signature"));
		assert_null(lp2p_noise_hs_remote_peer(ini));
		lp2p_noise_hs_free(ini);
		lp2p_noise_xx_clear(&xx);
	}
	free(v);
	lp2p_noise_ctx_free(vctx);
	lp2p_noise_ctx_free(dctx);
	lp2p_key_free(victim);
	lp2p_key_free(kd);
}

static void ctx_lifetime_and_config(void **state)
{
	struct lp2p_key *k = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *k2 = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *pub = NULL;
	struct lp2p_noise_ctx *ctx = NULL;
	struct lp2p_noise_ctx_config cc = {.identity = k};
	const char *const bad[] = {"/yamux/1.0.0", NULL};
	const char *const yamux[] = {"/yamux/1.0.0"};
	const char *const *list;
	uint8_t priv[32];
	struct lp2p_noise_keypair kp;

	(void)state;
	assert_int_equal(lp2p_key_public(k, &pub), 0);
	assert_int_equal(lp2p_noise_ctx_new(NULL, &ctx), LP2P_EINVAL);
	assert_int_equal(lp2p_noise_ctx_new(&cc, NULL), LP2P_EINVAL);
	cc.identity = NULL;
	assert_int_equal(lp2p_noise_ctx_new(&cc, &ctx), LP2P_EINVAL);
	cc.identity = pub;
	assert_int_equal(lp2p_noise_ctx_new(&cc, &ctx), LP2P_EINVAL);
	cc.identity = k;
	cc.muxers = bad;
	cc.n_muxers = 2;
	assert_int_equal(lp2p_noise_ctx_new(&cc, &ctx), LP2P_EINVAL);
	cc.n_muxers = LP2P_NOISE_MAX_MUXERS + 1;
	assert_int_equal(lp2p_noise_ctx_new(&cc, &ctx), LP2P_ERANGE);
	assert_null(ctx);
	lp2p_noise_ctx_free(NULL);

	/* A given static key (known-answer tests) is used as is. */
	memset(priv, 0x42, sizeof(priv));
	assert_int_equal(lp2p_noise_keypair_from_private(&kp, priv), 0);
	cc.muxers = two_muxers;
	cc.n_muxers = 2;
	cc.static_private = priv;
	assert_int_equal(lp2p_noise_ctx_new(&cc, &ctx), 0);
	assert_memory_equal(lp2p_noise_ctx_static_public(ctx), kp.pub, 32);
	lp2p_noise_keypair_clear(&kp);

	/* Handshakes hold the context: the host may let go of it first. A
	 * handshake with a context needs no identity of its own, and may
	 * announce another muxer list than the context's. */
	struct lp2p_noise_hs *ini = ctx_hs(true, ctx, NULL, yamux, 1);
	struct lp2p_noise_hs *res = new_hs(false, k2, NULL, two_muxers_rev, 2);
	lp2p_noise_ctx_free(ctx);
	assert_int_equal(run_hs(ini, res, 0), 0);
	check_identity(res, k);
	assert_int_equal(lp2p_noise_hs_remote_muxers(res, &list), 1);
	assert_string_equal(list[0], "/yamux/1.0.0");
	assert_string_equal(lp2p_noise_hs_selected_muxer(ini), "/yamux/1.0.0");
	check_sessions(ini, res);
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(res);
	lp2p_key_free(pub);
	lp2p_key_free(k);
	lp2p_key_free(k2);
}

/* Hosts on their own threads: each with its context, all sharing the
 * process-wide algorithm objects. */
struct host_thread {
	pthread_t tid;
	struct lp2p_key *k;
	int failures;
};

/* Deliver a's pending output to b; no cmocka asserts off the main
 * thread (their longjmp belongs to it). */
static int thread_deliver(struct lp2p_noise_hs *a, struct lp2p_noise_hs *b)
{
	const uint8_t *d;
	size_t n = lp2p_noise_hs_output(a, &d);

	if (n && lp2p_noise_hs_feed(b, d, n) != (ssize_t)n)
		return -1;
	lp2p_noise_hs_output_ack(a, n);
	return 0;
}

static void *host_thread_main(void *arg)
{
	struct host_thread *t = arg;
	struct lp2p_noise_ctx_config cc = {.identity = t->k};
	struct lp2p_noise_ctx *a = NULL, *b = NULL;

	if (lp2p_noise_ctx_new(&cc, &a) || lp2p_noise_ctx_new(&cc, &b)) {
		t->failures++;
		goto out;
	}
	for (int i = 0; i < 20; i++) {
		struct lp2p_noise_config ci = {.initiator = true, .ctx = a};
		struct lp2p_noise_config cr = {.ctx = b};
		struct lp2p_noise_hs *ini = NULL, *res = NULL;
		if (lp2p_noise_hs_new(&ci, &ini) ||
		    lp2p_noise_hs_new(&cr, &res) || thread_deliver(ini, res) ||
		    thread_deliver(res, ini) || thread_deliver(ini, res) ||
		    !lp2p_noise_hs_done(ini) || !lp2p_noise_hs_done(res))
			t->failures++;
		lp2p_noise_hs_free(ini);
		lp2p_noise_hs_free(res);
	}
out:
	lp2p_noise_ctx_free(a);
	lp2p_noise_ctx_free(b);
	return NULL;
}

static void ctx_hosts_on_threads(void **state)
{
	struct host_thread t[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		t[i].k = new_key(LP2P_KEY_ED25519, 0);
		t[i].failures = 0;
		assert_int_equal(
		    pthread_create(&t[i].tid, NULL, host_thread_main, &t[i]),
		    0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i].tid, NULL), 0);
		assert_int_equal(t[i].failures, 0);
		lp2p_key_free(t[i].k);
	}
}

/* HKDF (over our HMAC-SHA256) against OpenSSL's own HMAC. */
static void hkdf_matches_openssl_hmac(void **state)
{
	uint8_t ck[32], ikm[100], temp[32], want[3][32], got[3][32];
	uint8_t buf[33];
	size_t outlen;

	(void)state;
	for (size_t ikmlen = 0; ikmlen <= sizeof(ikm); ikmlen += 25) {
		for (size_t i = 0; i < sizeof(ck); i++)
			ck[i] = (uint8_t)(i * 7 + ikmlen);
		for (size_t i = 0; i < ikmlen; i++)
			ikm[i] = (uint8_t)(i ^ 0x5a);
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
		                          ck, 32, ikm, ikmlen, temp, 32,
		                          &outlen));
		for (int k = 0; k < 3; k++) {
			size_t n = 0;
			if (k > 0) {
				memcpy(buf, want[k - 1], 32);
				n = 32;
			}
			buf[n++] = (uint8_t)(k + 1);
			assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256",
			                          NULL, temp, 32, buf, n,
			                          want[k], 32, &outlen));
		}
		assert_int_equal(
		    lp2p_noise_hkdf(ck, ikm, ikmlen, got[0], got[1], got[2]),
		    0);
		assert_memory_equal(got, want, sizeof(want));
		memset(got, 0, sizeof(got));
		assert_int_equal(
		    lp2p_noise_hkdf(ck, ikm, ikmlen, got[0], got[1], NULL), 0);
		assert_memory_equal(got, want, 64);
	}
}

/* A low-order ephemeral key from the peer makes the DH all zeros:
 * refused, and the host's shared X25519 contexts keep working. */
static void dh_low_order_refused(void **state)
{
	struct lp2p_key *k = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_noise_ctx *ctx = new_ctx(k, NULL, 0);
	uint8_t msg[2 + LP2P_NOISE_DHLEN];

	(void)state;
	for (int point = 0; point < 2; point++) {
		/* u = 0 and u = 1: both give a zero shared secret. */
		memset(msg, 0, sizeof(msg));
		msg[1] = LP2P_NOISE_DHLEN;
		msg[2] = (uint8_t)point;
		struct lp2p_noise_hs *res = ctx_hs(false, ctx, NULL, NULL, 0);
		assert_int_equal(lp2p_noise_hs_feed(res, msg, sizeof(msg)),
		                 LP2P_ECRYPTO);
		assert_false(lp2p_noise_hs_done(res));
		lp2p_noise_hs_free(res);
	}
	struct lp2p_noise_hs *ini = new_hs(true, k, NULL, NULL, 0);
	struct lp2p_noise_hs *res = ctx_hs(false, ctx, NULL, NULL, 0);
	assert_int_equal(run_hs(ini, res, 0), 0);
	check_identity(res, k);
	lp2p_noise_hs_free(ini);
	lp2p_noise_hs_free(res);
	lp2p_noise_ctx_free(ctx);
	lp2p_key_free(k);
}

static void handshake_bad_config(void **state)
{
	struct lp2p_key *k = new_key(LP2P_KEY_ED25519, 0);
	struct lp2p_key *pub = NULL;
	struct lp2p_noise_hs *hs = NULL;
	char long_name[LP2P_NOISE_MAX_MUXER_LEN + 2];
	const char *many[LP2P_NOISE_MAX_MUXERS + 1];
	const char *bad[2] = {"/yamux/1.0.0", NULL};
	struct lp2p_noise_config cfg = {.initiator = true, .identity = k};

	(void)state;
	assert_int_equal(lp2p_key_public(k, &pub), 0);
	assert_int_equal(lp2p_noise_hs_new(NULL, &hs), LP2P_EINVAL);
	assert_int_equal(lp2p_noise_hs_new(&cfg, NULL), LP2P_EINVAL);
	cfg.identity = NULL;
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), LP2P_EINVAL);
	cfg.identity = pub; /* a public key cannot sign */
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), LP2P_EINVAL);
	cfg.identity = k;
	cfg.initiator = false;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	many[0] = long_name;
	cfg.muxers = many;
	cfg.n_muxers = 1;
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), LP2P_ERANGE);
	many[0] = "";
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), LP2P_ERANGE);
	for (int i = 0; i <= LP2P_NOISE_MAX_MUXERS; i++)
		many[i] = "/yamux/1.0.0";
	cfg.n_muxers = LP2P_NOISE_MAX_MUXERS + 1;
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), LP2P_ERANGE);
	cfg.muxers = bad;
	cfg.n_muxers = 2;
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), LP2P_EINVAL);
	cfg.muxers = NULL;
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), LP2P_EINVAL);
	assert_null(hs);
	/* A responder has nothing to say first; nothing works before done. */
	cfg.n_muxers = 0;
	assert_int_equal(lp2p_noise_hs_new(&cfg, &hs), 0);
	const uint8_t *d;
	const char *const *list;
	struct lp2p_noise_session s;
	assert_int_equal(lp2p_noise_hs_output(hs, &d), 0);
	assert_int_equal(lp2p_noise_hs_feed(hs, (const uint8_t *)"\0", 1), 0);
	assert_int_equal(lp2p_noise_hs_split(hs, &s), LP2P_EINVAL);
	assert_int_equal(lp2p_noise_hs_remote_muxers(hs, &list), 0);
	assert_null(lp2p_noise_hs_remote_key(hs));
	lp2p_noise_hs_free(hs);
	lp2p_noise_hs_free(NULL);
	lp2p_key_free(pub);
	lp2p_key_free(k);
}

/* The initiator's payload (message 3) may carry a big RSA key. */
static void handshake_rsa_8192_size(void **state)
{
	(void)state;
	/* 8192-bit generation is slow; sizes are what matter here: the
	 * largest payload fits a message with room to spare. */
	size_t p = lp2p_noise_payload_size(LP2P_KEY_PUBLIC_MAX,
	                                   LP2P_KEY_SIG_MAX, two_muxers, 2);
	assert_true(p + 96 < LP2P_NOISE_MAX_MSG);
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
	    cmocka_unit_test(payload_round_trip),
	    cmocka_unit_test(payload_parse_rules),
	    cmocka_unit_test(handshake_key_types),
	    cmocka_unit_test(handshake_muxer_choices),
	    cmocka_unit_test(handshake_byte_by_byte),
	    cmocka_unit_test(handshake_then_data_in_one_read),
	    cmocka_unit_test(handshake_expected_peer_mismatch),
	    cmocka_unit_test(handshake_tampered),
	    cmocka_unit_test(handshake_bad_identity),
	    cmocka_unit_test(ctx_one_static_key),
	    cmocka_unit_test(ctx_sessions_differ),
	    cmocka_unit_test(ctx_each_connection_verifies),
	    cmocka_unit_test(ctx_replayed_payload_refused),
	    cmocka_unit_test(ctx_lifetime_and_config),
	    cmocka_unit_test(ctx_hosts_on_threads),
	    cmocka_unit_test(hkdf_matches_openssl_hmac),
	    cmocka_unit_test(dh_low_order_refused),
	    cmocka_unit_test(handshake_bad_config),
	    cmocka_unit_test(handshake_rsa_8192_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
