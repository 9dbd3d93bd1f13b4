/*
 * ecdsa.c - what the cross-check needs to compare ECDSA keys and
 * signatures across js-libp2p's encodings: the raw point, and P1363 to
 * DER signatures.
 */
#include "xcheck.h"

#include "crypto/key.h"

#include <openssl/core_names.h>
#include <string.h>

long xcheck_ecdsa_point(const struct lp2p_key *key, uint8_t *buf, size_t cap)
{
	size_t len = 0;

	if (lp2p_key_type(key) != LP2P_KEY_ECDSA)
		return -1;
	if (EVP_PKEY_get_octet_string_param(lp2p_key_evp(key),
	                                    OSSL_PKEY_PARAM_PUB_KEY, buf, cap,
	                                    &len) != 1)
		return -1;
	return (long)len;
}

size_t xcheck_ecdsa_field_len(const struct lp2p_key *key)
{
	int bits = EVP_PKEY_get_bits(lp2p_key_evp(key));
	return bits > 0 ? ((size_t)bits + 7) / 8 : 0;
}

/* DER INTEGER of the unsigned big-endian v[0..len) at out; its length. */
static size_t der_uint(const uint8_t *v, size_t len, uint8_t *out)
{
	size_t n = 0;

	while (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	out[n++] = 0x02;
	out[n++] = (uint8_t)(len + (v[0] & 0x80 ? 1 : 0));
	if (v[0] & 0x80)
		out[n++] = 0;
	memcpy(out + n, v, len);
	return n + len;
}

long xcheck_p1363_to_der(const uint8_t *raw, size_t len, uint8_t *der,
                         size_t cap)
{
	uint8_t body[2 * (3 + 66)];
	size_t half = len / 2, n, hdr;

	if (len == 0 || len % 2 || half > 66)
		return -1;
	n = der_uint(raw, half, body);
	n += der_uint(raw + half, half, body + n);
	hdr = n < 0x80 ? 2 : 3;
	if (hdr + n > cap)
		return -1;
	der[0] = 0x30;
	if (n < 0x80) {
		der[1] = (uint8_t)n;
	} else {
		der[1] = 0x81;
		der[2] = (uint8_t)n;
	}
	memcpy(der + hdr, body, n);
	return (long)(hdr + n);
}
