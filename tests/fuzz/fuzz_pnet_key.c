/*
 * fuzz_pnet_key.c - lp2p_pnet_key_parse() over arbitrary bytes.  A failure
 * leaves the key untouched and writes one terminated line; a key that
 * parses is written again in each encoding (base16, base64, bin) and must
 * parse back to the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pnet/pnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reparse(const char *enc, const uint8_t *body, size_t blen,
                    const uint8_t key[32])
{
	uint8_t text[256], again[32];
	char err[256];
	int n = snprintf((char *)text, sizeof text,
	                 "/key/swarm/psk/1.0.0/\n%s\n", enc);
	memcpy(text + n, body, blen);
	text[n + blen] = '\n';
	if (lp2p_pnet_key_parse(text, (size_t)n + blen + 1, again, err,
	                        sizeof err) != 0 ||
	    memcmp(again, key, 32) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t key[32], body[64];
	char err[128];

	memset(key, 0xa5, sizeof key);
	memset(err, 'x', sizeof err);
	if (lp2p_pnet_key_parse(data, size, key, err, sizeof err) != 0) {
		if (!memchr(err, '\0', sizeof err) || strchr(err, '\n'))
			abort();
		for (size_t i = 0; i < sizeof key; i++)
			if (key[i] != 0xa5)
				abort(); /* out written on failure */
		return 0;
	}
	for (size_t i = 0; i < 32; i++) {
		body[2 * i] = (uint8_t)"0123456789ABCDEF"[key[i] >> 4];
		body[2 * i + 1] = (uint8_t)"0123456789ABCDEF"[key[i] & 15];
	}
	reparse("/base16/", body, 64, key);
	size_t o = 0;
	for (size_t i = 0; i < 33; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16;
		if (i + 1 < 32)
			v |= (uint32_t)key[i + 1] << 8;
		if (i + 2 < 32)
			v |= key[i + 2];
		body[o++] = (uint8_t)b64[v >> 18 & 63];
		body[o++] = (uint8_t)b64[v >> 12 & 63];
		body[o++] = (uint8_t)b64[v >> 6 & 63];
		body[o++] = i + 2 < 32 ? (uint8_t)b64[v & 63] : '=';
	}
	reparse("/base64/", body, o, key);
	reparse("/bin/", key, 32, key);
	return 0;
}
