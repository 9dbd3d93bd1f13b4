/* buf.h - a growable byte buffer with a read offset (internal).  Memory is
 * released when the buffer drains, so idle connections hold none. */
#ifndef LP2P_CORE_BUF_H
#define LP2P_CORE_BUF_H

#include <stdlib.h>
#include <string.h>

#include <lp2p/common.h>

struct lp2p_buf {
	uint8_t *p;
	size_t off; /* first unread byte */
	size_t len; /* end of data */
	size_t cap;
};

static inline size_t lp2p_buf_avail(const struct lp2p_buf *b)
{
	return b->len - b->off;
}

static inline const uint8_t *lp2p_buf_data(const struct lp2p_buf *b)
{
	/* an empty buffer has no memory: no offset from NULL (UB) */
	return b->p ? b->p + b->off : NULL;
}

static inline void lp2p_buf_release(struct lp2p_buf *b)
{
	free(b->p);
	*b = (struct lp2p_buf){0};
}

/* Make room for n more bytes at the end; returns where they go. */
static inline uint8_t *lp2p_buf_reserve(struct lp2p_buf *b, size_t n)
{
	if (b->off && b->off == b->len)
		b->off = b->len = 0;
	if (b->cap - b->len >= n)
		return b->p + b->len;
	if (b->off) { /* compact first */
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= n)
			return b->p + b->len;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return NULL;
	b->p = p;
	b->cap = cap;
	return b->p + b->len;
}

static inline int lp2p_buf_append(struct lp2p_buf *b, const void *data,
                                  size_t n)
{
	uint8_t *dst = lp2p_buf_reserve(b, n);
	if (!dst)
		return LP2P_ENOMEM;
	memcpy(dst, data, n);
	b->len += n;
	return 0;
}

/* Drop n bytes from the front; frees the memory when empty. */
static inline void lp2p_buf_consume(struct lp2p_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		lp2p_buf_release(b);
}

#endif
