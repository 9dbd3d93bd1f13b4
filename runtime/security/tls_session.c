/*
 * tls_session.c - the TLS data path: seal (plaintext -> records straight
 * into the caller's buffer) and open (whole records -> plaintext in place).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "security/tls_internal.h"

int lp2p_tls_session_fail(struct lp2p_tls_session *s, int err, const char *fmt,
                          ...)
{
	va_list ap;

	if (s->err)
		return s->err;
	s->err = err;
	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
	return err;
}

int lp2p_tls_openssl_failure(int ssl_err, const char *doing, char *why,
                             size_t whylen)
{
	unsigned long e = ERR_peek_last_error();
	const char *what = e ? ERR_reason_error_string(e) : NULL;
	bool ssl_lib = e && ERR_GET_LIB(e) == ERR_LIB_SSL;
	int reason = e ? ERR_GET_REASON(e) : 0;
	/* reasons from this offset on are alerts the remote sent */
	bool alert = ssl_lib && reason >= SSL_AD_REASON_OFFSET;
	int rc = alert ? LP2P_ECRYPTO : LP2P_EPROTO;

	if (ssl_lib) {
		switch (reason) {
		case SSL_R_UNSUPPORTED_PROTOCOL:
		case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		case SSL_R_NO_PROTOCOLS_AVAILABLE: rc = LP2P_ENOTSUP; break;
		case SSL_R_NO_APPLICATION_PROTOCOL:
		case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
			rc = LP2P_ENEGOTIATE;
			break;
		case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
		case SSL_R_BAD_SIGNATURE: rc = LP2P_ECRYPTO; break;
		default: break;
		}
	}
	if (!what)
		what = ssl_err == SSL_ERROR_SYSCALL ? "BIO failure"
		                                    : "unknown OpenSSL error";
	snprintf(why, whylen, "%s: %s%s%s", doing,
	         alert ? "the remote sent " : "", what,
	         rc == LP2P_ENOTSUP ? " (libp2p TLS needs TLS 1.3)" : "");
	ERR_clear_error();
	return rc;
}

ssize_t lp2p_tls_complete_records(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (len - off >= LP2P_TLS_RECORD_HEADER) {
		size_t body = (size_t)buf[off + 3] << 8 | buf[off + 4];

		if (body > LP2P_TLS_MAX_RECORD_BODY)
			return LP2P_EPROTO;
		if (len - off - LP2P_TLS_RECORD_HEADER < body)
			break;
		off += LP2P_TLS_RECORD_HEADER + body;
	}
	return (ssize_t)off;
}

void lp2p_tls_session_free(struct lp2p_tls_session *s)
{
	if (!s)
		return;
	SSL_free(s->ssl); /* frees the BIO; not the io it points to */
	lp2p_tls_io_clear(&s->io);
	free(s);
}

int lp2p_tls_session_error(const struct lp2p_tls_session *s)
{
	return s->err;
}

const char *lp2p_tls_session_error_reason(const struct lp2p_tls_session *s)
{
	return s->reason;
}

size_t lp2p_tls_sealed_size(const struct lp2p_tls_session *s, size_t n)
{
	size_t records =
	    (n + LP2P_TLS_MAX_PLAINTEXT - 1) / LP2P_TLS_MAX_PLAINTEXT;

	return lp2p_tls_io_pending(&s->io) + n +
	       records * LP2P_TLS_RECORD_OVERHEAD + LP2P_TLS_SEAL_SLACK;
}

ssize_t lp2p_tls_seal(struct lp2p_tls_session *s, const uint8_t *pt, size_t n,
                      uint8_t *out, size_t cap)
{
	struct lp2p_tls_io *io = &s->io;
	size_t held = lp2p_tls_io_pending(io), written = 0;
	int r;

	if (s->err)
		return s->err;
	if (cap < lp2p_tls_sealed_size(s, n))
		return LP2P_ERANGE;
	if (held) {
		memcpy(out, io->pend + io->pend_off, held);
		free(io->pend);
		io->pend = NULL;
		io->pend_off = io->pend_len = io->pend_cap = 0;
	}
	if (n == 0)
		return (ssize_t)held;
	io->sink = out;
	io->sink_len = held;
	io->sink_cap = cap;
	io->sink_overflow = false;
	ERR_clear_error();
	r = SSL_write_ex(s->ssl, pt, n, &written);
	io->sink = NULL;
	if (io->sink_overflow)
		return lp2p_tls_session_fail(
		    s, LP2P_EPROTO,
		    "tls: records larger than lp2p_tls_sealed_size()");
	if (r != 1 || written != n) {
		char why[LP2P_TLS_REASON_MAX];
		int rc = lp2p_tls_openssl_failure(
		    SSL_get_error(s->ssl, r), "tls: sending", why, sizeof(why));
		return lp2p_tls_session_fail(s, rc, "%s", why);
	}
	return (ssize_t)io->sink_len;
}

ssize_t lp2p_tls_open(struct lp2p_tls_session *s, uint8_t *buf, size_t len,
                      size_t *ptlen)
{
	struct lp2p_tls_io *io = &s->io;
	ssize_t complete;
	size_t out = 0, consumed;

	if (s->err)
		return s->err;
	if (s->closed)
		return lp2p_tls_session_fail(s, LP2P_ECLOSED,
		                             "tls: the remote closed the "
		                             "session (close_notify)");
	complete = lp2p_tls_complete_records(buf, len);
	if (complete < 0)
		return lp2p_tls_session_fail(s, LP2P_EPROTO,
		                             "tls: record longer than 16640 "
		                             "bytes");
	if (complete == 0) {
		*ptlen = 0;
		return 0;
	}
	io->in = buf;
	io->in_len = (size_t)complete;
	io->in_off = 0;
	for (;;) {
		size_t got = 0;
		int r, e;

		ERR_clear_error();
		/* The plaintext so far is shorter than the records read, so
		 * writing at buf + out never touches unread input. */
		r = SSL_read_ex(s->ssl, buf + out, (size_t)complete - out,
		                &got);
		if (r == 1) {
			out += got;
			if (out > io->in_off) {
				io->in = NULL;
				return lp2p_tls_session_fail(
				    s, LP2P_EPROTO,
				    "tls: plaintext overtook its records");
			}
			if (out == (size_t)complete)
				break;
			continue;
		}
		e = SSL_get_error(s->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			break;
		if (e == SSL_ERROR_ZERO_RETURN) {
			s->closed = true;
			ERR_clear_error();
			break;
		}
		io->in = NULL;
		char why[LP2P_TLS_REASON_MAX];
		int rc = lp2p_tls_openssl_failure(e, "tls: receiving", why,
		                                  sizeof(why));
		return lp2p_tls_session_fail(s, rc, "%s", why);
	}
	consumed = io->in_off;
	io->in = NULL;
	*ptlen = out;
	return (ssize_t)consumed;
}
