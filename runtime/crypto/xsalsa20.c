/*
 * xsalsa20.c - Salsa20/20, HSalsa20 and the XSalsa20 stream, written from
 * D. J. Bernstein's "Salsa20 specification" (2005) and "Extending the
 * Salsa20 nonce" (2008).  Words are little-endian; the 32-byte-key
 * constants spell "expand 32-byte k".
 */
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/xsalsa20.h"

/* sigma: "expa", "nd 3", "2-by", "te k" as little-endian words */
#define SIGMA0 0x61707865u
#define SIGMA1 0x3320646eu
#define SIGMA2 0x79622d32u
#define SIGMA3 0x6b206574u

static inline uint32_t rotl(uint32_t v, unsigned c)
{
	return (v << c) | (v >> (32 - c));
}

static inline uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The spec's quarterround on (a, b, c, d). */
#define QR(a, b, c, d)                                                        \
	do {                                                                  \
		b ^= rotl(a + d, 7);                                          \
		c ^= rotl(b + a, 9);                                          \
		d ^= rotl(c + b, 13);                                         \
		a ^= rotl(d + c, 18);                                         \
	} while (0)

/* Ten double rounds (a column round, then a row round) on x, in place. */
static void salsa20_rounds(uint32_t x[16])
{
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[5], x[9], x[13], x[1]);
		QR(x[10], x[14], x[2], x[6]);
		QR(x[15], x[3], x[7], x[11]);
		QR(x[0], x[1], x[2], x[3]);
		QR(x[5], x[6], x[7], x[4]);
		QR(x[10], x[11], x[8], x[9]);
		QR(x[15], x[12], x[13], x[14]);
	}
}

void lp2p_salsa20_core(uint8_t out[64], const uint8_t in[64])
{
	uint32_t j[16], x[16];

	for (int i = 0; i < 16; i++)
		j[i] = x[i] = load32(in + 4 * i);
	salsa20_rounds(x);
	for (int i = 0; i < 16; i++)
		store32(out + 4 * i, x[i] + j[i]);
}

/* The expansion's input words: sigma, key words k, the 16 bytes as n. */
static void expand_input(uint32_t j[16], const uint32_t k[8],
                         const uint32_t n[4])
{
	j[0] = SIGMA0;
	j[1] = k[0];
	j[2] = k[1];
	j[3] = k[2];
	j[4] = k[3];
	j[5] = SIGMA1;
	j[6] = n[0];
	j[7] = n[1];
	j[8] = n[2];
	j[9] = n[3];
	j[10] = SIGMA2;
	j[11] = k[4];
	j[12] = k[5];
	j[13] = k[6];
	j[14] = k[7];
	j[15] = SIGMA3;
}

static void load_words(uint32_t *w, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w[i] = load32(p + 4 * i);
}

void lp2p_salsa20_expand32(uint8_t out[64], const uint8_t key[32],
                           const uint8_t n[16])
{
	uint32_t k[8], nw[4], j[16], x[16];

	load_words(k, key, 8);
	load_words(nw, n, 4);
	expand_input(j, k, nw);
	memcpy(x, j, sizeof x);
	salsa20_rounds(x);
	for (int i = 0; i < 16; i++)
		store32(out + 4 * i, x[i] + j[i]);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(x, sizeof x);
	OPENSSL_cleanse(j, sizeof j);
}

/* HSalsa20 into words: the rounds without the final addition, keeping
 * the words at the diagonal and the nonce positions. */
static void hsalsa20_words(uint32_t out[8], const uint8_t key[32],
                           const uint8_t nonce[16])
{
	uint32_t k[8], nw[4], x[16];

	load_words(k, key, 8);
	load_words(nw, nonce, 4);
	expand_input(x, k, nw);
	salsa20_rounds(x);
	out[0] = x[0];
	out[1] = x[5];
	out[2] = x[10];
	out[3] = x[15];
	out[4] = x[6];
	out[5] = x[7];
	out[6] = x[8];
	out[7] = x[9];
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(x, sizeof x);
}

void lp2p_hsalsa20(uint8_t out[32], const uint8_t key[32],
                   const uint8_t nonce[16])
{
	uint32_t w[8];

	hsalsa20_words(w, key, nonce);
	for (int i = 0; i < 8; i++)
		store32(out + 4 * i, w[i]);
	OPENSSL_cleanse(w, sizeof w);
}

void lp2p_xsalsa20_init(struct lp2p_xsalsa20 *s,
                        const uint8_t key[LP2P_XSALSA20_KEY_LEN],
                        const uint8_t nonce[LP2P_XSALSA20_NONCE_LEN])
{
	hsalsa20_words(s->subkey, key, nonce);
	s->nonce[0] = load32(nonce + 16);
	s->nonce[1] = load32(nonce + 20);
	s->block = 0;
	s->offset = 0;
}

/* The keystream block number s->block, as bytes. */
static void stream_block(const struct lp2p_xsalsa20 *s, uint8_t out[64])
{
	uint32_t n[4] = {s->nonce[0], s->nonce[1], (uint32_t)s->block,
	                 (uint32_t)(s->block >> 32)};
	uint32_t j[16], x[16];

	expand_input(j, s->subkey, n);
	memcpy(x, j, sizeof x);
	salsa20_rounds(x);
	for (int i = 0; i < 16; i++)
		store32(out + 4 * i, x[i] + j[i]);
}

void lp2p_xsalsa20_xor(struct lp2p_xsalsa20 *s, uint8_t *buf, size_t len)
{
	uint8_t ks[64];

	if (!len)
		return;
	/* Inside a block: compute it again and use its remaining bytes. */
	if (s->offset) {
		size_t take = 64u - s->offset;
		if (take > len)
			take = len;
		stream_block(s, ks);
		for (size_t i = 0; i < take; i++)
			buf[i] ^= ks[s->offset + i];
		buf += take;
		len -= take;
		s->offset = (uint8_t)(s->offset + take);
		if (s->offset < 64) {
			OPENSSL_cleanse(ks, sizeof ks);
			return;
		}
		s->offset = 0;
		s->block++;
	}
	while (len >= 64) {
		stream_block(s, ks);
		for (size_t i = 0; i < 64; i++)
			buf[i] ^= ks[i];
		buf += 64;
		len -= 64;
		s->block++;
	}
	if (len) {
		stream_block(s, ks);
		for (size_t i = 0; i < len; i++)
			buf[i] ^= ks[i];
		s->offset = (uint8_t)len;
	}
	OPENSSL_cleanse(ks, sizeof ks);
}

void lp2p_xsalsa20_wipe(struct lp2p_xsalsa20 *s)
{
	OPENSSL_cleanse(s, sizeof *s);
}
