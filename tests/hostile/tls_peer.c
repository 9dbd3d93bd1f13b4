/*
 * tls_peer.c - the hostile peer's TLS 1.3 clients.
 *
 * hp_tls_handshake drives the runtime's own handshake state machine
 * (security/tls.h: bytes in, bytes out) with a fresh identity, so it can
 * stop anywhere in its two flights.  hp_tls_cert_client speaks TLS through
 * OpenSSL directly, over the socket, presenting a certificate built here
 * that is wrong in one chosen way.
 */
#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 30000
#endif
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <lp2p/crypto.h>

#include "hostile.h"
#include "security/tls_ext.h"

#define IO_TIMEOUT_MS 5000

static int expect_line(struct hp_conn *c, const char *want)
{
	char line[1100];
	int rc = hp_mss_read(c, line, sizeof line, IO_TIMEOUT_MS);
	if (rc)
		return rc;
	return strcmp(line, want) == 0 ? 0 : -EPROTO;
}

int hp_tls_select(struct hp_conn *c)
{
	struct hp_buf b = {0};
	hp_mss_line(&b, "/multistream/1.0.0");
	hp_mss_line(&b, LP2P_TLS_PROTOCOL_ID);
	int rc = hp_send(c, b.p, b.len);
	hp_buf_free(&b);
	if (!rc)
		rc = expect_line(c, "/multistream/1.0.0");
	if (!rc)
		rc = expect_line(c, LP2P_TLS_PROTOCOL_ID);
	return rc;
}

/* Record boundaries of a flight: starts[i] for record i, starts[n] = end. */
static size_t split_records(const uint8_t *p, size_t len, size_t *starts,
                            size_t max)
{
	size_t n = 0, off = 0;
	while (off + LP2P_TLS_RECORD_HEADER <= len && n < max) {
		starts[n++] = off;
		off += LP2P_TLS_RECORD_HEADER +
		       ((size_t)p[off + 3] << 8 | p[off + 4]);
	}
	starts[n] = off < len ? off : len;
	return n;
}

/* Send p[0..n), or only its first `stop` bytes (then HP_STALLED). */
static int send_upto(struct hp_conn *c, const uint8_t *p, size_t n, size_t stop)
{
	int rc = hp_send(c, p, stop < n ? stop : n);
	if (rc)
		return rc;
	return stop < n ? HP_STALLED : 0;
}

int hp_tls_handshake(struct hp_conn *c, const struct hp_tls_opts *o,
                     struct hp_tls_flights *info)
{
	const char *muxer = o->muxer ? o->muxer : HP_YAMUX;
	struct lp2p_key *id = NULL;
	struct lp2p_tls_hs *hs = NULL;
	struct hp_buf out = {0};
	const uint8_t *p;
	size_t n;
	int rc;

	if (info)
		memset(info, 0, sizeof *info);
	/* a fresh identity per connection: the target caps connections per
	 * peer, and the hostile peer is many peers */
	if (lp2p_key_generate(LP2P_KEY_ED25519, 0, &id))
		return -EPROTO;
	const char *muxers[1] = {muxer};
	struct lp2p_tls_config cfg = {
	    .initiator = true,
	    .identity = id,
	    .muxers = muxers,
	    .n_muxers = o->early ? 1 : 0,
	};
	rc = lp2p_tls_hs_new(&cfg, &hs);
	lp2p_key_free(id);
	if (rc) {
		rc = -EPROTO;
		goto done;
	}
	/* flight 1: multistream-select of /tls/1.0.0 and the ClientHello,
	 * pipelined */
	hp_mss_line(&out, "/multistream/1.0.0");
	hp_mss_line(&out, LP2P_TLS_PROTOCOL_ID);
	n = lp2p_tls_hs_output(hs, &p);
	hp_buf_add(&out, p, n);
	lp2p_tls_hs_output_ack(hs, n);
	if (info)
		info->first = out.len;
	rc = send_upto(c, out.p, out.len,
	               o->stall_flight == 1 ? o->stall_at : SIZE_MAX);
	if (rc)
		goto done;
	if ((rc = expect_line(c, "/multistream/1.0.0")) ||
	    (rc = expect_line(c, LP2P_TLS_PROTOCOL_ID)))
		goto done;
	/* the server's flight, until our second one is ready */
	while (!lp2p_tls_hs_done(hs)) {
		ssize_t used =
		    c->wire.len ? lp2p_tls_hs_feed(hs, c->wire.p, c->wire.len)
		                : 0;
		if (used < 0) {
			rc = -EPROTO;
			goto done;
		}
		hp_buf_drop(&c->wire, (size_t)used);
		if (lp2p_tls_hs_done(hs))
			break;
		if (used > 0)
			continue;
		if (c->eof) {
			rc = -EPIPE;
			goto done;
		}
		rc = hp_fill(c, IO_TIMEOUT_MS);
		if (rc < 0)
			goto done;
	}
	/* flight 2: [ChangeCipherSpec,] Certificate, CertificateVerify,
	 * Finished */
	n = lp2p_tls_hs_output(hs, &p);
	size_t starts[HP_TLS_MAX_RECORDS + 1];
	size_t nrec = split_records(p, n, starts, HP_TLS_MAX_RECORDS);
	if (nrec == 0) {
		rc = -EPROTO;
		goto done;
	}
	if (info) {
		info->nrec = nrec;
		for (size_t i = 0; i < nrec; i++)
			info->rec_len[i] = starts[i + 1] - starts[i];
	}
	size_t stop = SIZE_MAX;
	if (o->stall_flight == 2) {
		size_t k = o->stall_record < nrec ? o->stall_record : nrec - 1;
		size_t len = starts[k + 1] - starts[k];
		stop = starts[k] + (o->stall_at < len ? o->stall_at : len - 1);
	}
	rc = send_upto(c, p, n, stop);
	if (rc)
		goto done;
	lp2p_tls_hs_output_ack(hs, n);
	if (lp2p_tls_hs_split(hs, &c->tls)) {
		rc = -EPROTO;
		goto done;
	}
	c->secure = true;
	if (hp_decrypt(c)) { /* what came after the handshake */
		rc = -EPROTO;
		goto done;
	}
	if (!o->early) {
		out.len = 0;
		hp_mss_line(&out, "/multistream/1.0.0");
		hp_mss_line(&out, muxer);
		if ((rc = hp_send_sealed(c, out.p, out.len)) ||
		    (rc = expect_line(c, "/multistream/1.0.0")) ||
		    (rc = expect_line(c, muxer)))
			goto done;
	}
	c->mux = strcmp(muxer, HP_MPLEX) == 0 ? HP_MUX_MPLEX : HP_MUX_YAMUX;
	c->next_id = c->mux == HP_MUX_YAMUX ? 1 : 0;
	rc = HP_DONE;
done:
	lp2p_tls_hs_free(hs);
	hp_buf_free(&out);
	return rc;
}

int hp_tls_open(struct hp_conn *c, uint16_t port, unsigned src, int rcvbuf,
                const char *muxer)
{
	int rc = hp_connect(c, port, src, rcvbuf);
	if (rc)
		return rc;
	struct hp_tls_opts o = {.muxer = muxer, .early = true};
	rc = hp_tls_handshake(c, &o, NULL);
	if (rc) {
		hp_close(c);
		return rc < 0 ? rc : -EPROTO;
	}
	return 0;
}

/* ---- certificates that are not valid libp2p certificates ---- */

/* The libp2p extension: identity's signature over spki_of's key. */
static int signed_key_ext(EVP_PKEY *spki_of, uint8_t *der, size_t cap)
{
	struct lp2p_key *id = NULL;
	uint8_t key[LP2P_KEY_PUBLIC_MAX], sig[LP2P_KEY_SIG_MAX];
	unsigned char *spki = NULL;
	struct hp_buf msg = {0};
	int rc = -EPROTO;

	int spki_len = i2d_PUBKEY(spki_of, &spki);
	if (spki_len <= 0 || lp2p_key_generate(LP2P_KEY_ED25519, 0, &id))
		goto out;
	hp_buf_add(&msg, LP2P_TLS_SIG_PREFIX, LP2P_TLS_SIG_PREFIX_LEN);
	hp_buf_add(&msg, spki, (size_t)spki_len);
	int siglen = lp2p_key_sign(id, msg.p, msg.len, sig, sizeof sig);
	int keylen = lp2p_key_marshal_public(id, key, sizeof key);
	if (siglen > 0 && keylen > 0)
		rc = lp2p_tls_signed_key_write(der, cap, key, (size_t)keylen,
		                               sig, (size_t)siglen);
out:
	OPENSSL_free(spki);
	hp_buf_free(&msg);
	lp2p_key_free(id);
	return rc < 0 ? -EPROTO : rc;
}

static int add_ext(X509 *x, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(LP2P_TLS_EXT_OID, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = 0;
	if (obj && os && ASN1_OCTET_STRING_set(os, der, (int)len))
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os);
	if (ext)
		ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return ok ? 0 : -EPROTO;
}

/* A certificate for key, wrong in the way kind says (HP_CERT_VALID: not
 * at all). */
static X509 *make_cert(EVP_PKEY *key, enum hp_cert kind)
{
	X509 *x = X509_new();
	EVP_PKEY *other = EVP_EC_gen("P-256");
	X509_NAME *name = X509_NAME_new();
	uint8_t der[LP2P_TLS_EXT_MAX], serial[8];
	int len = 0;
	bool ok = x && other && name;

	RAND_bytes(serial, sizeof serial);
	serial[0] = (serial[0] & 0x7f) | 1;
	BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
	ok = ok && bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	ok = ok && X509_set_version(x, 2) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                (const unsigned char *)"hostile", -1,
	                                -1, 0) &&
	     X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
	     X509_set_pubkey(x, key);
	/* validity: an hour ago for a day, or over since yesterday */
	long from = kind == HP_CERT_EXPIRED ? -2 * 86400 : -3600;
	long until = kind == HP_CERT_EXPIRED ? -86400 : 86400;
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), from) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), until);
	switch (kind) {
	case HP_CERT_NO_EXTENSION: break;
	case HP_CERT_EXT_GARBAGE:
		len = 48;
		RAND_bytes(der, len);
		break;
	case HP_CERT_EXT_OTHER_KEY:
		/* the identity signed another key than the certificate's */
		len = signed_key_ext(other, der, sizeof der);
		break;
	default: len = signed_key_ext(key, der, sizeof der); break;
	}
	if (len > 0)
		ok = ok && add_ext(x, der, (size_t)len) == 0;
	else if (kind != HP_CERT_NO_EXTENSION)
		ok = false;
	/* self-signed, except that this one is signed by another key */
	ok =
	    ok && X509_sign(x, kind == HP_CERT_BAD_SELF_SIGNATURE ? other : key,
	                    EVP_sha256()) > 0;
	X509_NAME_free(name);
	EVP_PKEY_free(other);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static void ssl_reason(char *why, size_t cap, const char *doing)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	snprintf(why, cap, "%s: %s", doing, r ? r : "connection closed");
	ERR_clear_error();
}

/* Read one yamux frame header (12 bytes) through ssl. */
static int ssl_read_full(SSL *ssl, uint8_t *p, size_t n)
{
	while (n) {
		int r = SSL_read(ssl, p, (int)n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int hp_tls_cert_client(struct hp_conn *c, enum hp_cert kind, char *why,
                       size_t whylen)
{
	static const unsigned char alpn[] = "\x0c/yamux/1.0.0\x06libp2p";
	SSL_CTX *sc = SSL_CTX_new(TLS_client_method());
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = key ? make_cert(key, kind) : NULL;
	SSL *ssl = NULL;
	int rc = -EPROTO;

	snprintf(why, whylen, "(local failure)");
	if (!sc || !cert ||
	    !SSL_CTX_set_min_proto_version(sc, TLS1_3_VERSION) ||
	    !SSL_CTX_use_certificate(sc, cert) ||
	    !SSL_CTX_use_PrivateKey(sc, key) ||
	    SSL_CTX_set_alpn_protos(sc, alpn, sizeof alpn - 1) != 0)
		goto out;
	/* the target's certificate is not what is tested here */
	SSL_CTX_set_verify(sc, SSL_VERIFY_NONE, NULL);
	if ((rc = hp_tls_select(c)))
		goto out;
	rc = -EPROTO;
	/* nothing may hang: OpenSSL reads and writes the blocking socket */
	struct timeval tv = {IO_TIMEOUT_MS / 1000, 0};
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	ssl = SSL_new(sc);
	if (!ssl || !SSL_set_fd(ssl, c->fd))
		goto out;
	ERR_clear_error();
	/* a TLS 1.3 client finishes before the server has checked it: a
	 * refusal comes as an alert after this */
	if (SSL_connect(ssl) != 1) {
		ssl_reason(why, whylen, "handshake");
		rc = -ECONNREFUSED;
		goto out;
	}
	/* a yamux ping on the early-negotiated muxer: answered only if the
	 * target accepted us */
	uint8_t ping[12];
	hp_y_header(ping, Y_PING, Y_SYN, 0, 0x7151);
	if (SSL_write(ssl, ping, sizeof ping) != (int)sizeof ping) {
		ssl_reason(why, whylen, "write");
		rc = -ECONNREFUSED;
		goto out;
	}
	for (;;) {
		uint8_t h[12];
		if (ssl_read_full(ssl, h, sizeof h)) {
			ssl_reason(why, whylen, "read");
			rc = -ECONNREFUSED;
			goto out;
		}
		uint32_t len = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 |
		               (uint32_t)h[10] << 8 | h[11];
		if (h[1] == Y_PING && (h[3] & Y_ACK) && len == 0x7151)
			break;
		uint8_t junk[256];
		while (h[1] == Y_DATA && len) { /* skip a data frame's body */
			size_t k = len < sizeof junk ? len : sizeof junk;
			if (ssl_read_full(ssl, junk, k))
				goto out;
			len -= (uint32_t)k;
		}
	}
	snprintf(why, whylen, "accepted");
	rc = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(sc);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}
