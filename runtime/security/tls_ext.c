/*
 * tls_ext.c - DER of the libp2p SignedKey (see tls_ext.h).  Written by
 * hand rather than with OpenSSL's ASN.1 templates: it is two OCTET
 * STRINGs, and a parser that checks every length before use and refuses
 * anything but DER is easy to fuzz.
 */
#include <string.h>

#include "security/tls_ext.h"

#define TAG_OCTET_STRING 0x04
#define TAG_SEQUENCE 0x30

/* Bytes a DER length field takes for n. */
static size_t der_len_size(size_t n)
{
	size_t k = 1;

	if (n < 0x80)
		return 1;
	while (n) {
		k++;
		n >>= 8;
	}
	return k;
}

static size_t der_put_len(uint8_t *p, size_t n)
{
	size_t k = der_len_size(n);

	if (k == 1) {
		p[0] = (uint8_t)n;
		return 1;
	}
	p[0] = (uint8_t)(0x80 | (k - 1));
	for (size_t i = k - 1; i > 0; i--) {
		p[i] = (uint8_t)n;
		n >>= 8;
	}
	return k;
}

/*
 * Read one DER element with tag at buf[*off..len): its contents are
 * buf[*clen_off .. + *clen).  Lengths: definite, minimal, at most 3 bytes
 * of long form (nothing here comes near 16 MiB).
 */
static int der_get(const uint8_t *buf, size_t len, size_t *off, uint8_t tag,
                   size_t *cstart, size_t *clen, const char **why)
{
	size_t p = *off, n;

	if (len - p < 2) {
		*why = "truncated element";
		return LP2P_EPROTO;
	}
	if (buf[p] != tag) {
		*why = tag == TAG_SEQUENCE ? "not a SEQUENCE"
		                           : "not an OCTET STRING";
		return LP2P_EPROTO;
	}
	p++;
	if (buf[p] < 0x80) {
		n = buf[p++];
	} else {
		size_t k = buf[p++] & 0x7fu;

		if (k == 0) {
			*why = "indefinite length (not DER)";
			return LP2P_EPROTO;
		}
		if (k > 3) {
			*why = "length field too long";
			return LP2P_EPROTO;
		}
		if (len - p < k) {
			*why = "truncated length";
			return LP2P_EPROTO;
		}
		if (buf[p] == 0) {
			*why = "non-minimal length (not DER)";
			return LP2P_EPROTO;
		}
		n = 0;
		for (size_t i = 0; i < k; i++)
			n = (n << 8) | buf[p++];
		if (n < 0x80) {
			*why = "non-minimal length (not DER)";
			return LP2P_EPROTO;
		}
	}
	if (len - p < n) {
		*why = "element longer than its container";
		return LP2P_EPROTO;
	}
	*cstart = p;
	*clen = n;
	*off = p + n;
	return 0;
}

int lp2p_tls_signed_key_parse(const uint8_t *der, size_t len,
                              struct lp2p_tls_signed_key *out, const char **why)
{
	size_t off = 0, seq, seq_len, k, k_len, s, s_len;
	int rc;

	if (!der || len == 0) {
		*why = "empty extension";
		return LP2P_EPROTO;
	}
	rc = der_get(der, len, &off, TAG_SEQUENCE, &seq, &seq_len, why);
	if (rc)
		return rc;
	if (off != len) {
		*why = "bytes after the SignedKey";
		return LP2P_EPROTO;
	}
	/* Inside the SEQUENCE: der[seq .. seq + seq_len). */
	len = seq + seq_len;
	off = seq;
	if ((rc = der_get(der, len, &off, TAG_OCTET_STRING, &k, &k_len, why)))
		return rc;
	if ((rc = der_get(der, len, &off, TAG_OCTET_STRING, &s, &s_len, why)))
		return rc;
	if (off != len) {
		*why = "more than two fields in the SignedKey";
		return LP2P_EPROTO;
	}
	if (k_len == 0 || s_len == 0) {
		*why = k_len == 0 ? "empty public key" : "empty signature";
		return LP2P_EPROTO;
	}
	if (k_len > LP2P_TLS_EXT_KEY_MAX || s_len > LP2P_TLS_EXT_SIG_MAX) {
		*why = k_len > LP2P_TLS_EXT_KEY_MAX ? "public key too long"
		                                    : "signature too long";
		return LP2P_ERANGE;
	}
	out->key = der + k;
	out->key_len = k_len;
	out->sig = der + s;
	out->sig_len = s_len;
	return 0;
}

static size_t inner_size(size_t key_len, size_t sig_len)
{
	return 1 + der_len_size(key_len) + key_len + 1 + der_len_size(sig_len) +
	       sig_len;
}

size_t lp2p_tls_signed_key_size(size_t key_len, size_t sig_len)
{
	size_t in = inner_size(key_len, sig_len);

	return 1 + der_len_size(in) + in;
}

int lp2p_tls_signed_key_write(uint8_t *buf, size_t cap, const uint8_t *key,
                              size_t key_len, const uint8_t *sig,
                              size_t sig_len)
{
	size_t p = 0, total;

	if (key_len == 0 || sig_len == 0 || key_len > LP2P_TLS_EXT_KEY_MAX ||
	    sig_len > LP2P_TLS_EXT_SIG_MAX)
		return LP2P_ERANGE;
	total = lp2p_tls_signed_key_size(key_len, sig_len);
	if (cap < total)
		return LP2P_ERANGE;
	buf[p++] = TAG_SEQUENCE;
	p += der_put_len(buf + p, inner_size(key_len, sig_len));
	buf[p++] = TAG_OCTET_STRING;
	p += der_put_len(buf + p, key_len);
	memcpy(buf + p, key, key_len);
	p += key_len;
	buf[p++] = TAG_OCTET_STRING;
	p += der_put_len(buf + p, sig_len);
	memcpy(buf + p, sig, sig_len);
	p += sig_len;
	return (int)p;
}
