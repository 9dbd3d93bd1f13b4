/*
 * noise_transport.c - the Noise transport phase: length-prefixed
 * ChaCha20-Poly1305 frames, sealed into the caller's buffer and opened in
 * place in the caller's receive buffer.  No allocation, no copies beyond
 * the cipher's own output (and one move per extra frame for in-place
 * sealing of buffers larger than a frame).
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>

#include "security/noise.h"

void lp2p_noise_session_clear(struct lp2p_noise_session *s)
{
	lp2p_noise_cipher_clear(&s->send);
	lp2p_noise_cipher_clear(&s->recv);
	s->err = LP2P_ECLOSED;
}

static size_t frame_count(size_t n)
{
	return n / LP2P_NOISE_MAX_PLAINTEXT +
	       (n % LP2P_NOISE_MAX_PLAINTEXT != 0);
}

size_t lp2p_noise_sealed_size(size_t n)
{
	size_t frames = frame_count(n);

	if (frames > (SIZE_MAX - n) / LP2P_NOISE_FRAME_OVERHEAD)
		return SIZE_MAX; /* no buffer is that large: seal fails */
	return n + frames * LP2P_NOISE_FRAME_OVERHEAD;
}

static int fail(struct lp2p_noise_session *s, int err)
{
	s->err = err;
	return err;
}

/* Checks common to both seal paths; 0 when the frames fit everything. */
static int seal_check(struct lp2p_noise_session *s, size_t n, size_t cap)
{
	size_t frames = frame_count(n);
	size_t total = lp2p_noise_sealed_size(n);

	if (s->err)
		return s->err;
	if (!s->send.has_key)
		return LP2P_EINVAL;
	if (total > cap || total > SSIZE_MAX)
		return LP2P_ERANGE;
	/* Nonces n .. n+frames-1 must all be below 2^64-1 (reserved). */
	if (frames > UINT64_MAX - s->send.n)
		return fail(s, LP2P_ELIMIT);
	return 0;
}

/* Seal one frame: plaintext at in (in == frame + 2, or elsewhere without
 * overlap), result at frame[0..2+len+16). */
static int seal_frame(struct lp2p_noise_session *s, const uint8_t *in,
                      size_t len, uint8_t *frame)
{
	size_t mlen = len + LP2P_NOISE_TAGLEN;
	int n;

	n = lp2p_noise_cipher_encrypt(&s->send, NULL, 0, in, len, frame + 2);
	if (n < 0)
		return fail(s, n);
	frame[0] = (uint8_t)(mlen >> 8);
	frame[1] = (uint8_t)mlen;
	return 0;
}

ssize_t lp2p_noise_seal(struct lp2p_noise_session *s, const uint8_t *pt,
                        size_t n, uint8_t *out, size_t cap)
{
	size_t off = 0, done = 0;
	int err = seal_check(s, n, cap);

	if (err)
		return err;
	while (done < n) {
		size_t chunk = n - done;
		if (chunk > LP2P_NOISE_MAX_PLAINTEXT)
			chunk = LP2P_NOISE_MAX_PLAINTEXT;
		err = seal_frame(s, pt + done, chunk, out + off);
		if (err)
			return err;
		done += chunk;
		off += chunk + LP2P_NOISE_FRAME_OVERHEAD;
	}
	return (ssize_t)off;
}

ssize_t lp2p_noise_seal_inplace(struct lp2p_noise_session *s, uint8_t *buf,
                                size_t n, size_t cap)
{
	size_t frames = frame_count(n);
	int err = seal_check(s, n, cap);

	if (err)
		return err;
	/* Move chunks 1..frames-1 to their frame positions, last first (each
	 * moves forward by 18 bytes per frame before it). */
	for (size_t i = frames; i-- > 1;) {
		size_t chunk = n - i * LP2P_NOISE_MAX_PLAINTEXT;
		if (chunk > LP2P_NOISE_MAX_PLAINTEXT)
			chunk = LP2P_NOISE_MAX_PLAINTEXT;
		memmove(buf + i * LP2P_NOISE_FRAME_MAX + 2,
		        buf + 2 + i * LP2P_NOISE_MAX_PLAINTEXT, chunk);
	}
	for (size_t i = 0; i < frames; i++) {
		size_t chunk = n - i * LP2P_NOISE_MAX_PLAINTEXT;
		uint8_t *frame = buf + i * LP2P_NOISE_FRAME_MAX;
		if (chunk > LP2P_NOISE_MAX_PLAINTEXT)
			chunk = LP2P_NOISE_MAX_PLAINTEXT;
		err = seal_frame(s, frame + 2, chunk, frame);
		if (err)
			return err;
	}
	return (ssize_t)lp2p_noise_sealed_size(n);
}

size_t lp2p_noise_frame_size(const uint8_t *buf, size_t len)
{
	if (len < LP2P_NOISE_LEN_PREFIX)
		return 0;
	return LP2P_NOISE_LEN_PREFIX + ((size_t)buf[0] << 8 | buf[1]);
}

ssize_t lp2p_noise_open(struct lp2p_noise_session *s, uint8_t *buf, size_t len,
                        struct lp2p_noise_span *spans, size_t max_spans,
                        size_t *nspans)
{
	size_t off = 0, used = 0;

	*nspans = 0;
	if (s->err)
		return s->err;
	if (!s->recv.has_key)
		return LP2P_EINVAL;
	while (used < max_spans && len - off >= LP2P_NOISE_LEN_PREFIX) {
		size_t fsize = lp2p_noise_frame_size(buf + off, len - off);
		if (fsize > len - off)
			break;
		size_t mlen = fsize - LP2P_NOISE_LEN_PREFIX;
		uint8_t *msg = buf + off + LP2P_NOISE_LEN_PREFIX;
		if (mlen < LP2P_NOISE_TAGLEN)
			return fail(s, LP2P_EPROTO);
		int n = lp2p_noise_cipher_decrypt(&s->recv, NULL, 0, msg, mlen,
		                                  msg);
		if (n < 0)
			return fail(s, n);
		if (n > 0) {
			spans[used].data = msg;
			spans[used].len = (size_t)n;
			used++;
		}
		off += fsize;
	}
	*nspans = used;
	return (ssize_t)off;
}
