/*
 * crypto/xsalsa20.h - the Salsa20/20 stream cipher with XSalsa20's 192-bit
 * nonce (D. J. Bernstein, "Salsa20 specification" and "Extending the
 * Salsa20 nonce"), for private networks (runtime/pnet).  Pure: no I/O, no
 * allocation.  OpenSSL 3 has no XSalsa20, hence this file.
 *
 * A stream state is 56 bytes: the HSalsa20 subkey, the last 8 nonce
 * bytes, the 64-bit block counter and the offset into the current block.
 * No keystream is buffered; a call that starts inside a block computes
 * that block again, so an idle connection costs nothing but the state.
 */
#ifndef LP2P_CRYPTO_XSALSA20_H
#define LP2P_CRYPTO_XSALSA20_H

#include <stddef.h>
#include <stdint.h>

#define LP2P_XSALSA20_KEY_LEN 32
#define LP2P_XSALSA20_NONCE_LEN 24
#define LP2P_SALSA20_BLOCK_LEN 64

struct lp2p_xsalsa20 {
	uint32_t subkey[8]; /* HSalsa20(key, nonce[0..16)) as words */
	uint32_t nonce[2];  /* nonce[16..24) as words */
	uint64_t block;     /* the block the next byte comes from */
	uint8_t offset;     /* bytes of that block already used (0..63) */
};

/*
 * The Salsa20/20 hash of one 64-byte block (spec section 8: the double
 * rounds and the final addition): out = Salsa20(in).  out may be in.
 */
void lp2p_salsa20_core(uint8_t out[64], const uint8_t in[64]);

/*
 * Salsa20_k(n): the 64-byte keystream block for a 32-byte key and the
 * 16 bytes n (8 nonce bytes, then the block counter, little-endian).
 */
void lp2p_salsa20_expand32(uint8_t out[64], const uint8_t key[32],
                           const uint8_t n[16]);

/* HSalsa20: a 32-byte subkey from a 32-byte key and 16 nonce bytes. */
void lp2p_hsalsa20(uint8_t out[32], const uint8_t key[32],
                   const uint8_t nonce[16]);

/* Start the XSalsa20 stream for key and a 24-byte nonce, at byte 0. */
void lp2p_xsalsa20_init(struct lp2p_xsalsa20 *s,
                        const uint8_t key[LP2P_XSALSA20_KEY_LEN],
                        const uint8_t nonce[LP2P_XSALSA20_NONCE_LEN]);

/*
 * XOR len bytes of the stream into buf (in place) and advance; calls
 * continue where the last one stopped, whatever their sizes.
 */
void lp2p_xsalsa20_xor(struct lp2p_xsalsa20 *s, uint8_t *buf, size_t len);

/* Clear the state (the subkey is key material). */
void lp2p_xsalsa20_wipe(struct lp2p_xsalsa20 *s);

#endif
