/*
 * tls_handshake.c - the libp2p TLS handshake on OpenSSL: the host context
 * (certificate, TLS 1.3 only, client certificates required, our own
 * certificate check, ALPN) and the per-connection handshake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "security/tls_internal.h"

struct lp2p_tls_hs {
	struct lp2p_tls_session *s; /* NULL once split */
	bool initiator;
	bool done;
	int err;
	char reason[LP2P_TLS_REASON_MAX];
	int64_t now;

	bool has_expected;
	struct lp2p_peer_id expected;

	const char *muxers[LP2P_TLS_MAX_MUXERS];
	size_t n_muxers;
	char *muxer_storage;
	const char *selected_muxer;

	bool verified; /* the certificate check ran and passed */
	struct lp2p_key *remote_key;
	struct lp2p_peer_id remote_peer;
};

static int fail(struct lp2p_tls_hs *hs, int err, const char *fmt, ...)
    LP2P_PRINTF(3, 4);

static int fail(struct lp2p_tls_hs *hs, int err, const char *fmt, ...)
{
	va_list ap;

	if (hs->err)
		return hs->err;
	hs->err = err;
	va_start(ap, fmt);
	vsnprintf(hs->reason, sizeof(hs->reason), fmt, ap);
	va_end(ap);
	return err;
}

/* ---- OpenSSL callbacks ---- */

static struct lp2p_tls_hs *hs_of(SSL *ssl)
{
	return SSL_get_app_data(ssl);
}

/*
 * Replaces OpenSSL's chain verification: the libp2p checks, once per
 * handshake, on the chain as the remote sent it.
 */
static int verify_cert(X509_STORE_CTX *sctx, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
	    sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct lp2p_tls_hs *hs = ssl ? hs_of(ssl) : NULL;
	STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(sctx);
	X509 *leaf = X509_STORE_CTX_get0_cert(sctx);
	X509 *chain[2] = {leaf, NULL};
	struct lp2p_tls_remote remote;
	char why[LP2P_TLS_REASON_MAX];
	int x509_err, rc;
	size_t n;

	(void)arg;
	if (!hs) {
		X509_STORE_CTX_set_error(sctx, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	/* OpenSSL passes the whole chain it received, leaf first. */
	n = sent ? (size_t)sk_X509_num(sent) : (leaf ? 1 : 0);
	rc = lp2p_tls_cert_verify(chain, n, hs->now,
	                          hs->has_expected ? &hs->expected : NULL,
	                          &remote, why, sizeof(why), &x509_err);
	if (rc) {
		fail(hs, rc, "tls: %s", why);
		X509_STORE_CTX_set_error(sctx, x509_err);
		return 0;
	}
	lp2p_key_free(hs->remote_key);
	hs->remote_key = remote.key;
	hs->remote_peer = remote.peer;
	hs->verified = true;
	X509_STORE_CTX_set_error(sctx, X509_V_OK);
	return 1;
}

static bool is_local_muxer(const struct lp2p_tls_hs *hs, const uint8_t *p,
                           size_t n, const char **name)
{
	for (size_t i = 0; i < hs->n_muxers; i++) {
		if (strlen(hs->muxers[i]) == n &&
		    memcmp(hs->muxers[i], p, n) == 0) {
			if (name)
				*name = hs->muxers[i];
			return true;
		}
	}
	return false;
}

/* Server: the first of the client's protocols we support. */
static int alpn_select(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
	struct lp2p_tls_hs *hs = hs_of(ssl);
	static const char libp2p[] = LP2P_TLS_ALPN_LIBP2P;
	size_t off = 0;

	(void)arg;
	if (!hs)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	while (off < inlen) {
		size_t n = in[off++];

		if (n == 0 || inlen - off < n)
			break; /* OpenSSL checked the list already */
		if (is_local_muxer(hs, in + off, n, NULL) ||
		    (n == sizeof(libp2p) - 1 &&
		     memcmp(in + off, libp2p, n) == 0)) {
			*out = in + off;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		off += n;
	}
	fail(hs, LP2P_ENEGOTIATE,
	     "tls: the remote offered no ALPN protocol we support (neither a "
	     "muxer of ours nor \"libp2p\")");
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* ---- host context ---- */

int lp2p_tls_ctx_new(const struct lp2p_key *identity, struct lp2p_tls_ctx **out)
{
	struct lp2p_tls_ctx *ctx;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	SSL_CTX *sc;
	int rc;

	if (!identity || !out || !lp2p_key_is_private(identity))
		return LP2P_EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return LP2P_ENOMEM;
	rc = lp2p_tls_cert_make(identity, 0, &cert, &pkey);
	if (rc) {
		free(ctx);
		return rc;
	}
	sc = SSL_CTX_new(TLS_method());
	if (!sc || !SSL_CTX_set_min_proto_version(sc, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(sc, 0) ||
	    /* only suites with a 16-byte tag: see LP2P_TLS_RECORD_OVERHEAD */
	    !SSL_CTX_set_ciphersuites(sc, "TLS_AES_128_GCM_SHA256:"
	                                  "TLS_CHACHA20_POLY1305_SHA256:"
	                                  "TLS_AES_256_GCM_SHA384") ||
	    !SSL_CTX_use_certificate(sc, cert) ||
	    !SSL_CTX_use_PrivateKey(sc, pkey) ||
	    !SSL_CTX_check_private_key(sc) || !SSL_CTX_set_num_tickets(sc, 0)) {
		SSL_CTX_free(sc);
		X509_free(cert);
		EVP_PKEY_free(pkey);
		free(ctx);
		ERR_clear_error();
		return LP2P_ECRYPTO;
	}
	X509_free(cert); /* the SSL_CTX holds references */
	EVP_PKEY_free(pkey);
	SSL_CTX_set_verify(
	    sc, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(sc, verify_cert, NULL);
	SSL_CTX_set_alpn_select_cb(sc, alpn_select, NULL);
	SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
	/* Idle connections keep no record buffers. */
	SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS);
	ctx->ssl_ctx = sc;
	*out = ctx;
	return 0;
}

void lp2p_tls_ctx_free(struct lp2p_tls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/* ---- handshake ---- */

static int copy_muxers(struct lp2p_tls_hs *hs,
                       const struct lp2p_tls_config *cfg)
{
	size_t total = 0, off = 0;

	if (cfg->n_muxers > LP2P_TLS_MAX_MUXERS)
		return LP2P_ERANGE;
	if (cfg->n_muxers && !cfg->muxers)
		return LP2P_EINVAL;
	for (size_t i = 0; i < cfg->n_muxers; i++) {
		size_t n;

		if (!cfg->muxers[i])
			return LP2P_EINVAL;
		n = strlen(cfg->muxers[i]);
		if (n == 0 || n > LP2P_TLS_MAX_MUXER_LEN)
			return LP2P_ERANGE;
		total += n + 1;
	}
	hs->muxer_storage = malloc(total ? total : 1);
	if (!hs->muxer_storage)
		return LP2P_ENOMEM;
	for (size_t i = 0; i < cfg->n_muxers; i++) {
		size_t n = strlen(cfg->muxers[i]) + 1;

		memcpy(hs->muxer_storage + off, cfg->muxers[i], n);
		hs->muxers[i] = hs->muxer_storage + off;
		off += n;
	}
	hs->n_muxers = cfg->n_muxers;
	return 0;
}

/* Client: offer our muxers in our order, then "libp2p". */
static int set_alpn(struct lp2p_tls_hs *hs)
{
	unsigned char list[LP2P_TLS_MAX_MUXERS * (1 + LP2P_TLS_MAX_MUXER_LEN) +
	                   sizeof(LP2P_TLS_ALPN_LIBP2P)];
	size_t off = 0, n;

	for (size_t i = 0; i < hs->n_muxers; i++) {
		n = strlen(hs->muxers[i]);
		list[off++] = (unsigned char)n;
		memcpy(list + off, hs->muxers[i], n);
		off += n;
	}
	n = sizeof(LP2P_TLS_ALPN_LIBP2P) - 1;
	list[off++] = (unsigned char)n;
	memcpy(list + off, LP2P_TLS_ALPN_LIBP2P, n);
	off += n;
	/* returns 0 on success, unlike most of OpenSSL */
	return SSL_set_alpn_protos(hs->s->ssl, list, (unsigned int)off) == 0
	           ? 0
	           : LP2P_ECRYPTO;
}

static int session_new(struct lp2p_tls_hs *hs, SSL_CTX *sc)
{
	struct lp2p_tls_session *s = calloc(1, sizeof(*s));
	BIO *bio;

	if (!s)
		return LP2P_ENOMEM;
	hs->s = s;
	s->ssl = SSL_new(sc);
	if (!s->ssl)
		return LP2P_ENOMEM;
	bio = lp2p_tls_bio_new(&s->io);
	if (!bio)
		return LP2P_ENOMEM;
	SSL_set_bio(s->ssl, bio, bio); /* one reference for both */
	SSL_set_app_data(s->ssl, hs);
	if (hs->initiator)
		SSL_set_connect_state(s->ssl);
	else
		SSL_set_accept_state(s->ssl);
	return 0;
}

/* Run the handshake on what the BIO holds. */
static int step(struct lp2p_tls_hs *hs)
{
	SSL *ssl = hs->s->ssl;
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	char why[LP2P_TLS_REASON_MAX];
	int r, e, rc;

	ERR_clear_error();
	r = SSL_do_handshake(ssl);
	if (r != 1) {
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ) {
			ERR_clear_error();
			return 0;
		}
		rc = lp2p_tls_openssl_failure(e, "tls: handshake", why,
		                              sizeof(why));
		if (e == SSL_ERROR_SSL || e == SSL_ERROR_SYSCALL)
			return fail(hs, rc, "%s", why); /* keeps our reason */
		return fail(hs, LP2P_EPROTO, "%s (state %d)", why, e);
	}
	if (!hs->verified) /* cannot happen: the peer's certificate is
	                    * required on both sides */
		return fail(hs, LP2P_EPROTO,
		            "tls: handshake done without a peer certificate");
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	hs->selected_muxer = NULL;
	if (alpn_len)
		is_local_muxer(hs, alpn, alpn_len, &hs->selected_muxer);
	hs->done = true;
	return 0;
}

int lp2p_tls_hs_new(const struct lp2p_tls_config *cfg, struct lp2p_tls_hs **out)
{
	struct lp2p_tls_ctx *own = NULL, *ctx;
	struct lp2p_tls_hs *hs;
	int rc;

	if (!cfg || !out)
		return LP2P_EINVAL;
	ctx = cfg->ctx;
	if (!ctx) {
		if ((rc = lp2p_tls_ctx_new(cfg->identity, &own)))
			return rc;
		ctx = own;
	}
	hs = calloc(1, sizeof(*hs));
	if (!hs) {
		lp2p_tls_ctx_free(own);
		return LP2P_ENOMEM;
	}
	hs->initiator = cfg->initiator;
	hs->now = cfg->now;
	if (cfg->expected_peer) {
		hs->has_expected = true;
		hs->expected = *cfg->expected_peer;
	}
	rc = copy_muxers(hs, cfg);
	if (!rc)
		rc = session_new(hs, ctx->ssl_ctx);
	lp2p_tls_ctx_free(own); /* the SSL holds its own reference */
	if (!rc && hs->initiator && !(rc = set_alpn(hs)))
		rc = step(hs); /* the ClientHello */
	if (rc) {
		lp2p_tls_hs_free(hs);
		ERR_clear_error();
		return rc;
	}
	*out = hs;
	return 0;
}

void lp2p_tls_hs_free(struct lp2p_tls_hs *hs)
{
	if (!hs)
		return;
	lp2p_tls_session_free(hs->s);
	lp2p_key_free(hs->remote_key);
	free(hs->muxer_storage);
	free(hs);
}

ssize_t lp2p_tls_hs_feed(struct lp2p_tls_hs *hs, const uint8_t *in, size_t len)
{
	struct lp2p_tls_io *io;
	ssize_t complete;
	size_t used;
	int rc;

	if (hs->err)
		return hs->err;
	if (hs->done || !hs->s || len == 0)
		return 0;
	complete = lp2p_tls_complete_records(in, len);
	if (complete < 0)
		return fail(hs, LP2P_EPROTO,
		            "tls: record longer than 16640 bytes (not TLS?)");
	if (complete == 0)
		return 0;
	io = &hs->s->io;
	io->in = in;
	io->in_len = (size_t)complete;
	io->in_off = 0;
	rc = step(hs);
	used = io->in_off;
	io->in = NULL;
	if (rc)
		return rc;
	return (ssize_t)used;
}

size_t lp2p_tls_hs_output(const struct lp2p_tls_hs *hs, const uint8_t **data)
{
	const struct lp2p_tls_io *io;

	if (!hs->s) {
		*data = NULL;
		return 0;
	}
	io = &hs->s->io;
	*data = io->pend ? io->pend + io->pend_off : NULL;
	return lp2p_tls_io_pending(io);
}

void lp2p_tls_hs_output_ack(struct lp2p_tls_hs *hs, size_t n)
{
	struct lp2p_tls_io *io;

	if (!hs->s)
		return;
	io = &hs->s->io;
	if (n > lp2p_tls_io_pending(io))
		n = lp2p_tls_io_pending(io);
	io->pend_off += n;
	if (io->pend_off == io->pend_len) {
		/* release: an idle connection holds no buffers */
		free(io->pend);
		io->pend = NULL;
		io->pend_off = io->pend_len = io->pend_cap = 0;
	}
}

bool lp2p_tls_hs_done(const struct lp2p_tls_hs *hs)
{
	return hs->done && !hs->err;
}

int lp2p_tls_hs_error(const struct lp2p_tls_hs *hs)
{
	return hs->err;
}

const char *lp2p_tls_error_reason(const struct lp2p_tls_hs *hs)
{
	return hs->reason;
}

const struct lp2p_peer_id *lp2p_tls_hs_remote_peer(const struct lp2p_tls_hs *hs)
{
	return &hs->remote_peer;
}

const struct lp2p_key *lp2p_tls_hs_remote_key(const struct lp2p_tls_hs *hs)
{
	return hs->done ? hs->remote_key : NULL;
}

const char *lp2p_tls_hs_selected_muxer(const struct lp2p_tls_hs *hs)
{
	return hs->done ? hs->selected_muxer : NULL;
}

int lp2p_tls_hs_split(struct lp2p_tls_hs *hs, struct lp2p_tls_session **out)
{
	if (!hs->done || hs->err || !hs->s || lp2p_tls_io_pending(&hs->s->io))
		return LP2P_EINVAL;
	SSL_set_app_data(hs->s->ssl, NULL);
	*out = hs->s;
	hs->s = NULL;
	return 0;
}
