/*
 * tls_bio.c - the BIO under every lp2p TLS connection.  OpenSSL reads the
 * records the caller offered straight from the caller's buffer and writes
 * sealed records straight into the caller's output buffer, so a memory
 * BIO's extra copy on each side is saved.  Nothing here blocks: an empty
 * source is a retry, which OpenSSL reports as SSL_ERROR_WANT_READ.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "security/tls_internal.h"

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

size_t lp2p_tls_io_pending(const struct lp2p_tls_io *io)
{
	return io->pend_len - io->pend_off;
}

void lp2p_tls_io_clear(struct lp2p_tls_io *io)
{
	free(io->pend);
	memset(io, 0, sizeof(*io));
}

static int pend_append(struct lp2p_tls_io *io, const uint8_t *p, size_t n)
{
	if (io->pend_off == io->pend_len)
		io->pend_off = io->pend_len = 0;
	if (io->pend_cap - io->pend_len < n) {
		size_t cap = io->pend_cap ? io->pend_cap : 4096;
		uint8_t *np;

		if (io->pend_off) { /* compact first */
			memmove(io->pend, io->pend + io->pend_off,
			        io->pend_len - io->pend_off);
			io->pend_len -= io->pend_off;
			io->pend_off = 0;
		}
		while (cap - io->pend_len < n)
			cap *= 2;
		if (cap != io->pend_cap) {
			np = realloc(io->pend, cap);
			if (!np)
				return -1;
			io->pend = np;
			io->pend_cap = cap;
		}
	}
	memcpy(io->pend + io->pend_len, p, n);
	io->pend_len += n;
	return 0;
}

static int bio_write(BIO *b, const char *data, int len)
{
	struct lp2p_tls_io *io = BIO_get_data(b);
	size_t n = len > 0 ? (size_t)len : 0;

	BIO_clear_retry_flags(b);
	if (n == 0)
		return 0;
	if (io->sink) {
		/* lp2p_tls_sealed_size() was too small: never expected;
		 * the session fails rather than lose or reorder bytes. */
		if (io->sink_cap - io->sink_len < n) {
			io->sink_overflow = true;
			return -1;
		}
		memcpy(io->sink + io->sink_len, data, n);
		io->sink_len += n;
		return len;
	}
	if (pend_append(io, (const uint8_t *)data, n))
		return -1;
	return len;
}

static int bio_read(BIO *b, char *data, int len)
{
	struct lp2p_tls_io *io = BIO_get_data(b);
	size_t n = len > 0 ? (size_t)len : 0;
	size_t avail = io->in ? io->in_len - io->in_off : 0;

	BIO_clear_retry_flags(b);
	if (avail == 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	if (n > avail)
		n = avail;
	memcpy(data, io->in + io->in_off, n);
	io->in_off += n;
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct lp2p_tls_io *io = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH: return 1;
	case BIO_CTRL_PENDING:
		return io->in ? (long)(io->in_len - io->in_off) : 0;
	case BIO_CTRL_WPENDING: return (long)lp2p_tls_io_pending(io);
	default: return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int bio_destroy(BIO *b)
{
	BIO_set_data(b, NULL);
	return 1;
}

static void bio_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	                             "lp2p tls");

	if (!m)
		return;
	if (!BIO_meth_set_write(m, bio_write) ||
	    !BIO_meth_set_read(m, bio_read) ||
	    !BIO_meth_set_ctrl(m, bio_ctrl) ||
	    !BIO_meth_set_create(m, bio_create) ||
	    !BIO_meth_set_destroy(m, bio_destroy)) {
		BIO_meth_free(m);
		return;
	}
	bio_method = m; /* kept for the life of the process */
}

BIO *lp2p_tls_bio_new(struct lp2p_tls_io *io)
{
	BIO *b;

	pthread_once(&bio_once, bio_method_init);
	if (!bio_method)
		return NULL;
	b = BIO_new(bio_method);
	if (b)
		BIO_set_data(b, io);
	return b;
}
