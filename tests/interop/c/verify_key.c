/*
 * verify_key.c - check one JS-made key record: the keys unmarshal and
 * marshal back to the same bytes, the private key gives the public key,
 * the signature verifies (and a tampered one does not), and lp2p derives
 * the same peer id strings.
 */
#include "jsonl.h"
#include "xcheck.h"

#include <lp2p/peer_id.h>

#include <stdlib.h>
#include <string.h>

/* The record's fields, decoded. */
struct key_rec {
	const char *type_name;
	int type;
	uint8_t pub[LP2P_KEY_PRIVATE_MAX]; /* JS ECDSA public keys vary */
	long publen;
	uint8_t priv[LP2P_KEY_PRIVATE_MAX];
	long privlen;
	uint8_t *msg;
	long msglen;
	uint8_t sig[LP2P_KEY_SIG_MAX];
	long siglen;
	uint8_t point[200];
	long pointlen; /* -1 when absent */
	const char *id, *cid;
};

static long hex_field(struct xcheck_verify *v, const struct jsonl_record *rec,
                      const char *name, uint8_t *buf, size_t cap)
{
	const char *s = jsonl_get(rec, name);
	long n;

	if (!s) {
		xcheck_fail(v, "key record without \"%s\"", name);
		return -1;
	}
	if ((n = hex_decode(s, buf, cap)) < 0)
		xcheck_fail(v, "\"%s\" is not hex of at most %zu bytes", name,
		            cap);
	return n;
}

static int read_record(struct xcheck_verify *v, const struct jsonl_record *rec,
                       struct key_rec *k)
{
	const char *msg = jsonl_get(rec, "msg"), *point;

	k->type_name = jsonl_get(rec, "type");
	if (!k->type_name ||
	    (k->type = lp2p_key_type_from_name(k->type_name)) < 0) {
		xcheck_fail(v, "unknown key type \"%s\"",
		            k->type_name ? k->type_name : "");
		return -1;
	}
	k->publen = hex_field(v, rec, "pub", k->pub, sizeof k->pub);
	k->privlen = hex_field(v, rec, "priv", k->priv, sizeof k->priv);
	k->siglen = hex_field(v, rec, "sig", k->sig, sizeof k->sig);
	k->msg = malloc(msg ? strlen(msg) / 2 + 1 : 1);
	if (!k->msg) {
		xcheck_fail(v, "out of memory");
		return -1;
	}
	k->msglen = hex_field(v, rec, "msg", k->msg, msg ? strlen(msg) / 2 : 0);
	k->pointlen = -1;
	if ((point = jsonl_get(rec, "point")) &&
	    (k->pointlen = hex_decode(point, k->point, sizeof k->point)) < 0)
		xcheck_fail(v, "\"point\" is not hex");
	k->id = jsonl_get(rec, "id");
	k->cid = jsonl_get(rec, "cid");
	if (k->id && !*k->id)
		k->id = NULL;
	if (k->cid && !*k->cid)
		k->cid = NULL;
	if (k->publen < 0 || k->privlen < 0 || k->siglen < 0 || k->msglen < 0 ||
	    (point && k->pointlen < 0))
		return -1;
	return 0;
}

/* The private key: it unmarshals and marshals back to the same bytes. */
static struct lp2p_key *check_private(struct xcheck_verify *v,
                                      const struct key_rec *k)
{
	static uint8_t again[LP2P_KEY_PRIVATE_MAX];
	struct lp2p_key *key;
	int rc, n;

	rc = lp2p_key_unmarshal_private(k->priv, (size_t)k->privlen, &key);
	if (rc < 0) {
		xcheck_fail(v, "%s private key does not unmarshal: %s",
		            k->type_name, lp2p_strerror(rc));
		return NULL;
	}
	if ((int)lp2p_key_type(key) != k->type)
		xcheck_fail(v, "%s private key unmarshals as type %d",
		            k->type_name, lp2p_key_type(key));
	n = lp2p_key_marshal_private(key, again, sizeof again);
	if (n != k->privlen || memcmp(again, k->priv, (size_t)n) != 0)
		xcheck_fail(v,
		            "%s private key marshals back differently "
		            "(%d bytes, JS %ld)",
		            k->type_name, n, k->privlen);
	memset(again, 0, sizeof again);
	return key;
}

/*
 * The public key: it unmarshals to the private key's public half and
 * marshals back to the same bytes.  js-libp2p writes ECDSA public keys in
 * its own DER layout (an ECPrivateKey without the private key), not the
 * spec's SubjectPublicKeyInfo: lp2p refuses those, and the ECDSA checks
 * compare the point instead.  Returns the key to verify with.
 */
static struct lp2p_key *check_public(struct xcheck_verify *v,
                                     const struct key_rec *k,
                                     const struct lp2p_key *priv)
{
	uint8_t again[LP2P_KEY_PUBLIC_MAX], point[200];
	struct lp2p_key *key;
	int rc, n;

	rc = lp2p_key_unmarshal_public(k->pub, (size_t)k->publen, &key);
	if (rc < 0 && k->type == LP2P_KEY_ECDSA && v->js_quirks) {
		v->quirk_ecdsa_pub++;
		key = NULL;
	} else if (rc < 0) {
		xcheck_fail(v, "%s public key does not unmarshal: %s",
		            k->type_name, lp2p_strerror(rc));
		key = NULL;
	} else {
		n = lp2p_key_marshal_public(key, again, sizeof again);
		if (n != k->publen || memcmp(again, k->pub, (size_t)n) != 0)
			xcheck_fail(v,
			            "%s public key marshals back "
			            "differently",
			            k->type_name);
		if (priv && !lp2p_key_equal_public(key, priv))
			xcheck_fail(v,
			            "%s private key gives another public "
			            "key",
			            k->type_name);
	}
	if (priv && k->type == LP2P_KEY_ECDSA &&
	    (v->js_quirks || k->pointlen >= 0)) {
		long plen = xcheck_ecdsa_point(priv, point, sizeof point);
		if (k->pointlen < 0)
			xcheck_fail(v, "ECDSA record without \"point\"");
		else if (plen != k->pointlen ||
		         memcmp(point, k->point, (size_t)plen) != 0)
			xcheck_fail(v, "ECDSA private key gives another point "
			               "than the record's");
	}
	if (!key && priv && lp2p_key_public(priv, &key) < 0)
		key = NULL;
	return key;
}

static void check_signature(struct xcheck_verify *v, const struct key_rec *k,
                            const struct lp2p_key *key)
{
	uint8_t sig[LP2P_KEY_SIG_MAX + 8];
	size_t siglen = (size_t)k->siglen;
	uint8_t *msg;
	int rc;

	memcpy(sig, k->sig, siglen);
	/*
	 * js-libp2p signs ECDSA with WebCrypto, whose signatures are IEEE
	 * P1363 r||s, not the DER the spec asks for: lp2p must refuse that
	 * form, and must accept it once re-encoded as DER.
	 */
	if (v->js_quirks && k->type == LP2P_KEY_ECDSA &&
	    siglen == 2 * xcheck_ecdsa_field_len(key)) {
		long n;
		v->quirk_ecdsa_sig++;
		if (lp2p_key_verify(key, k->msg, (size_t)k->msglen, sig,
		                    siglen) == 0)
			xcheck_fail(v, "ECDSA: lp2p accepts a P1363 signature");
		n = xcheck_p1363_to_der(k->sig, siglen, sig, sizeof sig);
		if (n < 0) {
			xcheck_fail(v, "ECDSA: bad P1363 signature");
			return;
		}
		siglen = (size_t)n;
	}
	rc = lp2p_key_verify(key, k->msg, (size_t)k->msglen, sig, siglen);
	if (rc != 0) {
		xcheck_fail(v, "%s signature does not verify: %s", k->type_name,
		            lp2p_strerror(rc));
		return;
	}
	/* A flipped bit in the signature, then in the message. */
	sig[siglen / 2] ^= 0x10;
	if (lp2p_key_verify(key, k->msg, (size_t)k->msglen, sig, siglen) == 0)
		xcheck_fail(v, "%s: a tampered signature verifies",
		            k->type_name);
	sig[siglen / 2] ^= 0x10;
	msg = malloc((size_t)k->msglen + 1);
	if (!msg)
		return;
	memcpy(msg, k->msg, (size_t)k->msglen);
	if (k->msglen > 0) {
		msg[k->msglen / 2] ^= 0x01;
		rc = lp2p_key_verify(key, msg, (size_t)k->msglen, sig, siglen);
	} else {
		msg[0] = 0;
		rc = lp2p_key_verify(key, msg, 1, sig, siglen);
	}
	if (rc == 0)
		xcheck_fail(v, "%s: the signature verifies a changed message",
		            k->type_name);
	free(msg);
}

/*
 * lp2p signs with the JS private key: the signature verifies, and for the
 * deterministic schemes (Ed25519, RSA PKCS#1 v1.5) it is JS's very bytes.
 */
static void check_signing(struct xcheck_verify *v, const struct key_rec *k,
                          const struct lp2p_key *priv,
                          const struct lp2p_key *pub)
{
	uint8_t sig[LP2P_KEY_SIG_MAX];
	int n;

	n = lp2p_key_sign(priv, k->msg, (size_t)k->msglen, sig, sizeof sig);
	if (n < 0) {
		xcheck_fail(v, "%s: lp2p cannot sign with the JS key: %s",
		            k->type_name, lp2p_strerror(n));
		return;
	}
	if (lp2p_key_verify(pub, k->msg, (size_t)k->msglen, sig, (size_t)n))
		xcheck_fail(v,
		            "%s: lp2p's signature with the JS key does not "
		            "verify",
		            k->type_name);
	if ((k->type == LP2P_KEY_ED25519 || k->type == LP2P_KEY_RSA) &&
	    (n != k->siglen || memcmp(sig, k->sig, (size_t)n) != 0))
		xcheck_fail(v,
		            "%s: lp2p signs the message with other bytes "
		            "than JS",
		            k->type_name);
}

static void check_peer_id(struct xcheck_verify *v, const struct key_rec *k,
                          const struct lp2p_key *key)
{
	char id[LP2P_PEER_ID_STR_MAX], cid[LP2P_PEER_ID_STR_MAX];
	struct lp2p_peer_id pid, parsed;
	struct lp2p_key *inlined;
	int rc;

	if (!k->id && !k->cid) {
		if (k->type != LP2P_KEY_ECDSA) /* JS makes none for ECDSA */
			xcheck_fail(v, "%s record without a peer id",
			            k->type_name);
		return;
	}
	if ((rc = lp2p_peer_id_from_key(key, &pid)) < 0 ||
	    lp2p_peer_id_to_string(&pid, id, sizeof id) < 0 ||
	    lp2p_peer_id_to_cid_string(&pid, cid, sizeof cid) < 0) {
		xcheck_fail(v, "%s: no peer id from the key", k->type_name);
		return;
	}
	if (k->id && strcmp(id, k->id) != 0)
		xcheck_fail(v, "%s peer id %s, JS %s", k->type_name, id, k->id);
	if (k->cid && strcmp(cid, k->cid) != 0)
		xcheck_fail(v, "%s CID peer id %s, JS %s", k->type_name, cid,
		            k->cid);
	if (k->id && (lp2p_peer_id_parse(k->id, strlen(k->id), &parsed) < 0 ||
	              !lp2p_peer_id_equal(&parsed, &pid)))
		xcheck_fail(v, "JS peer id %s parses to another id", k->id);
	if (k->cid &&
	    (lp2p_peer_id_parse(k->cid, strlen(k->cid), &parsed) < 0 ||
	     !lp2p_peer_id_equal(&parsed, &pid)))
		xcheck_fail(v, "JS CID %s parses to another id", k->cid);
	if (lp2p_peer_id_matches_key(&pid, key) != 1)
		xcheck_fail(v, "%s: the peer id does not match its key",
		            k->type_name);
	/* Ed25519 and secp256k1 ids inline the key. */
	rc = lp2p_peer_id_extract_key(&pid, &inlined);
	if (rc == 0) {
		if (!lp2p_key_equal_public(inlined, key))
			xcheck_fail(v,
			            "%s: the key inlined in the peer id "
			            "differs",
			            k->type_name);
		lp2p_key_free(inlined);
	} else if (rc != LP2P_ENOTFOUND || k->type == LP2P_KEY_ED25519 ||
	           k->type == LP2P_KEY_SECP256K1) {
		xcheck_fail(v, "%s: no key from the peer id: %s", k->type_name,
		            lp2p_strerror(rc));
	}
}

void xcheck_verify_key(struct xcheck_verify *v, const struct jsonl_record *rec)
{
	struct lp2p_key *priv, *pub;
	struct key_rec *k = calloc(1, sizeof *k);

	v->keys++;
	if (!k) {
		xcheck_fail(v, "out of memory");
		return;
	}
	if (read_record(v, rec, k) == 0) {
		priv = check_private(v, k);
		pub = check_public(v, k, priv);
		if (pub) {
			check_signature(v, k, pub);
			if (priv)
				check_signing(v, k, priv, pub);
			check_peer_id(v, k, pub);
		}
		lp2p_key_free(pub);
		lp2p_key_free(priv);
	}
	memset(k->priv, 0, sizeof k->priv);
	free(k->msg);
	free(k);
}
