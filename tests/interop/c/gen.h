/*
 * gen.h - the deterministic byte stream of the interop tests (README.md,
 * "Deterministic byte generator"): xorshift32 (shifts 13, 17, 5) from
 * 0x6c703270 ("lp2p"), each state word emitted least significant byte
 * first.  Shared by the C client and the test protocols plugin.
 */
#ifndef LP2P_INTEROP_GEN_H
#define LP2P_INTEROP_GEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_SEED 0x6c703270u

struct gen {
	uint32_t x;
	uint32_t word; /* bytes of the current word not yet emitted */
	unsigned left;
};

static inline void gen_init(struct gen *g, uint32_t seed)
{
	*g = (struct gen){.x = seed};
}

static inline uint32_t gen_step(uint32_t x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* The next n bytes of the stream into out. */
static inline void gen_fill(struct gen *g, uint8_t *out, size_t n)
{
	size_t i = 0;
	while (i < n && g->left) {
		out[i++] = (uint8_t)g->word;
		g->word >>= 8;
		g->left--;
	}
	uint32_t x = g->x;
	for (; n - i >= 4; i += 4) {
		x = gen_step(x);
		out[i] = (uint8_t)x;
		out[i + 1] = (uint8_t)(x >> 8);
		out[i + 2] = (uint8_t)(x >> 16);
		out[i + 3] = (uint8_t)(x >> 24);
	}
	if (i < n) {
		x = gen_step(x);
		g->word = x;
		g->left = 4;
		while (i < n) {
			out[i++] = (uint8_t)g->word;
			g->word >>= 8;
			g->left--;
		}
	}
	g->x = x;
}

#endif
