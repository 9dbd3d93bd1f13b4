/*
 * tls_cert.c - the libp2p certificate: made for our host key (a P-256
 * key, never the identity key) and checked by hand on the remote's side,
 * in place of OpenSSL's chain verification (a libp2p certificate is
 * self-signed; what matters is the identity signature in its extension).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "security/tls_ext.h"
#include "security/tls_internal.h"

/* go-libp2p and js-libp2p use the same window. */
#define CERT_NOT_BEFORE_SLACK_S 3600
#define CERT_LIFETIME_DAYS (100 * 365)

static time_t clock_or(int64_t now)
{
	return now ? (time_t)now : time(NULL);
}

static int openssl_failed(void)
{
	ERR_clear_error();
	return LP2P_ECRYPTO;
}

static ASN1_OBJECT *ext_oid(void)
{
	return OBJ_txt2obj(LP2P_TLS_EXT_OID, 1);
}

/* "libp2p-tls-handshake:" || DER SPKI of pkey, in a new buffer. */
static int signed_message(X509_PUBKEY *xpk, EVP_PKEY *pkey, uint8_t **msg,
                          size_t *len)
{
	unsigned char *spki = NULL;
	int n = xpk ? i2d_X509_PUBKEY(xpk, &spki) : i2d_PUBKEY(pkey, &spki);

	if (n <= 0)
		return openssl_failed();
	*msg = malloc(LP2P_TLS_SIG_PREFIX_LEN + (size_t)n);
	if (!*msg) {
		OPENSSL_free(spki);
		return LP2P_ENOMEM;
	}
	memcpy(*msg, LP2P_TLS_SIG_PREFIX, LP2P_TLS_SIG_PREFIX_LEN);
	memcpy(*msg + LP2P_TLS_SIG_PREFIX_LEN, spki, (size_t)n);
	*len = LP2P_TLS_SIG_PREFIX_LEN + (size_t)n;
	OPENSSL_free(spki);
	return 0;
}

/* The extension's DER value for identity over pkey. */
static int make_ext_value(const struct lp2p_key *identity, EVP_PKEY *pkey,
                          uint8_t *der, size_t cap)
{
	uint8_t key[LP2P_KEY_PUBLIC_MAX], sig[LP2P_KEY_SIG_MAX];
	uint8_t *msg = NULL;
	size_t msg_len = 0;
	int keylen, siglen, rc;

	if ((rc = signed_message(NULL, pkey, &msg, &msg_len)))
		return rc;
	siglen = lp2p_key_sign(identity, msg, msg_len, sig, sizeof(sig));
	free(msg);
	if (siglen < 0)
		return siglen;
	keylen = lp2p_key_marshal_public(identity, key, sizeof(key));
	if (keylen < 0)
		return keylen;
	return lp2p_tls_signed_key_write(der, cap, key, (size_t)keylen, sig,
	                                 (size_t)siglen);
}

static int add_ext(X509 *x, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *obj = ext_oid();
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	if (obj && os && ASN1_OCTET_STRING_set(os, der, (int)len))
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os);
	/* Critical, as js-libp2p marks it: the spec allows either. */
	if (ext)
		ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return ok ? 0 : LP2P_ECRYPTO;
}

/* A random positive 63-bit serial number. */
static int set_serial(X509 *x)
{
	uint8_t rnd[8];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return LP2P_ECRYPTO;
	rnd[0] &= 0x7f;
	rnd[0] |= 0x01; /* never zero */
	bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : LP2P_ECRYPTO;
}

int lp2p_tls_cert_make(const struct lp2p_key *identity, int64_t now,
                       X509 **cert_out, EVP_PKEY **key_out)
{
	uint8_t der[LP2P_TLS_EXT_MAX];
	time_t t = clock_or(now);
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	int rc, n;

	if (!identity || !lp2p_key_is_private(identity))
		return LP2P_EINVAL;
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!pkey)
		return openssl_failed();
	n = make_ext_value(identity, pkey, der, sizeof(der));
	if (n < 0) {
		rc = n;
		goto fail;
	}
	rc = LP2P_ECRYPTO;
	x = X509_new();
	if (!x || !X509_set_version(x, X509_VERSION_3) || set_serial(x))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	                                (const unsigned char *)"lp2p", -1, -1,
	                                0) ||
	    !X509_set_issuer_name(x, name))
		goto fail;
	if (!X509_time_adj_ex(X509_getm_notBefore(x), 0,
	                      -CERT_NOT_BEFORE_SLACK_S, &t) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), CERT_LIFETIME_DAYS, 0, &t))
		goto fail;
	if (!X509_set_pubkey(x, pkey) || add_ext(x, der, (size_t)n))
		goto fail;
	if (X509_sign(x, pkey, EVP_sha256()) <= 0)
		goto fail;
	*cert_out = x;
	*key_out = pkey;
	return 0;
fail:
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

/* ---- verification ---- */

static int say(char *why, size_t whylen, int rc, const char *fmt, ...)
    LP2P_PRINTF(4, 5);

static int say(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return rc;
}

static bool signature_supported(int nid)
{
	switch (nid) {
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
	case NID_ecdsa_with_SHA512:
	case NID_ED25519:
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
	case NID_rsassaPss: return true;
	default: return false;
	}
}

/* The one libp2p extension; no critical extension we do not know. */
static int find_ext(X509 *x, const ASN1_OCTET_STRING **value, char *why,
                    size_t whylen)
{
	ASN1_OBJECT *oid = ext_oid();
	int count = 0, n = X509_get_ext_count(x);

	if (!oid)
		return say(why, whylen, LP2P_ENOMEM, "out of memory");
	*value = NULL;
	for (int i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);
		ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);

		if (OBJ_cmp(obj, oid) == 0) {
			count++;
			*value = X509_EXTENSION_get_data(ext);
			continue;
		}
		if (X509_EXTENSION_get_critical(ext) &&
		    !X509_supported_extension(ext)) {
			char txt[80];

			OBJ_obj2txt(txt, sizeof(txt), obj, 1);
			ASN1_OBJECT_free(oid);
			return say(why, whylen, LP2P_EPROTO,
			           "certificate has an unknown critical "
			           "extension %s",
			           txt);
		}
	}
	ASN1_OBJECT_free(oid);
	if (count == 0)
		return say(why, whylen, LP2P_EPROTO,
		           "certificate lacks the libp2p public key extension");
	if (count > 1)
		return say(why, whylen, LP2P_EPROTO,
		           "certificate has the libp2p public key extension "
		           "%d times",
		           count);
	return 0;
}

/* The identity key in the extension, with its signature checked. */
static int check_ext(X509 *x, const ASN1_OCTET_STRING *value,
                     struct lp2p_key **key_out, char *why, size_t whylen)
{
	struct lp2p_tls_signed_key sk;
	struct lp2p_key *key = NULL;
	const char *perr = NULL;
	uint8_t *msg = NULL;
	size_t msg_len = 0;
	int rc;

	rc = lp2p_tls_signed_key_parse(ASN1_STRING_get0_data(value),
	                               (size_t)ASN1_STRING_length(value), &sk,
	                               &perr);
	if (rc)
		return say(why, whylen, rc,
		           "malformed libp2p public key extension: %s", perr);
	rc = lp2p_key_unmarshal_public(sk.key, sk.key_len, &key);
	if (rc)
		return say(why, whylen, rc,
		           "unusable identity key in the libp2p extension: %s",
		           lp2p_strerror(rc));
	rc = signed_message(X509_get_X509_PUBKEY(x), NULL, &msg, &msg_len);
	if (rc) {
		lp2p_key_free(key);
		return say(why, whylen, rc,
		           "cannot encode the certificate key");
	}
	rc = lp2p_key_verify(key, msg, msg_len, sk.sig, sk.sig_len);
	free(msg);
	if (rc) {
		lp2p_key_free(key);
		return say(why, whylen, LP2P_ECRYPTO,
		           "the identity signature in the libp2p extension "
		           "is invalid");
	}
	*key_out = key;
	return 0;
}

static int check_cert(X509 *x, int64_t now, char *why, size_t whylen,
                      int *x509_err)
{
	const ASN1_BIT_STRING *iuid = NULL, *suid = NULL;
	time_t t = clock_or(now);
	EVP_PKEY *pk;
	int nid;

	if (X509_cmp_time(X509_get0_notBefore(x), &t) >= 0) {
		*x509_err = X509_V_ERR_CERT_NOT_YET_VALID;
		return say(why, whylen, LP2P_EPROTO,
		           "certificate is not valid yet (or bad notBefore)");
	}
	if (X509_cmp_time(X509_get0_notAfter(x), &t) <= 0) {
		*x509_err = X509_V_ERR_CERT_HAS_EXPIRED;
		return say(why, whylen, LP2P_EPROTO,
		           "certificate has expired (or bad notAfter)");
	}
	nid = X509_get_signature_nid(x);
	if (!signature_supported(nid)) {
		*x509_err = X509_V_ERR_CERT_SIGNATURE_FAILURE;
		return say(why, whylen, LP2P_EPROTO,
		           "certificate signature algorithm %s is not "
		           "supported",
		           nid == NID_undef ? "(unknown)" : OBJ_nid2sn(nid));
	}
	pk = X509_get0_pubkey(x);
	if (!pk) {
		*x509_err = X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY;
		return say(why, whylen, LP2P_EPROTO,
		           "certificate public key is unreadable");
	}
	if (X509_verify(x, pk) != 1) {
		*x509_err = X509_V_ERR_CERT_SIGNATURE_FAILURE;
		return say(why, whylen, LP2P_ECRYPTO,
		           "certificate self-signature is invalid");
	}
	X509_get0_uids(x, &iuid, &suid);
	if (iuid || suid) {
		*x509_err = X509_V_ERR_CERT_REJECTED;
		return say(why, whylen, LP2P_EPROTO,
		           "certificate has issuer or subject unique ids");
	}
	return 0;
}

int lp2p_tls_cert_verify(X509 *const *chain, size_t n, int64_t now,
                         const struct lp2p_peer_id *expected,
                         struct lp2p_tls_remote *out, char *why, size_t whylen,
                         int *x509_err)
{
	const ASN1_OCTET_STRING *value = NULL;
	struct lp2p_key *key = NULL;
	struct lp2p_peer_id peer;
	int dummy, rc;

	if (!x509_err)
		x509_err = &dummy;
	*x509_err = X509_V_ERR_CERT_REJECTED;
	if (n != 1 || !chain || !chain[0])
		return say(why, whylen, LP2P_EPROTO,
		           "the remote sent %zu certificates (one expected)",
		           chain ? n : 0);
	if ((rc = check_cert(chain[0], now, why, whylen, x509_err)))
		return rc;
	if ((rc = find_ext(chain[0], &value, why, whylen)))
		return rc;
	if ((rc = check_ext(chain[0], value, &key, why, whylen)))
		return rc;
	if ((rc = lp2p_peer_id_from_key(key, &peer))) {
		lp2p_key_free(key);
		return say(why, whylen, rc, "cannot derive the peer id: %s",
		           lp2p_strerror(rc));
	}
	if (expected && !lp2p_peer_id_equal(expected, &peer)) {
		char want[LP2P_PEER_ID_STR_MAX] = "?",
		     got[LP2P_PEER_ID_STR_MAX] = "?";

		lp2p_peer_id_to_string(expected, want, sizeof(want));
		lp2p_peer_id_to_string(&peer, got, sizeof(got));
		lp2p_key_free(key);
		return say(why, whylen, LP2P_EPEERID,
		           "peer id mismatch: expected %s, the remote is %s",
		           want, got);
	}
	out->key = key;
	out->peer = peer;
	*x509_err = X509_V_OK;
	return 0;
}
