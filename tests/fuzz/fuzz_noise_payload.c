/*
 * fuzz_noise_payload.c - the Noise handshake payload parser over arbitrary
 * bytes.  A payload that parses is written back (key, signature, kept
 * muxers) and parsed again: both parses must agree.
 */
#include <stdlib.h>
#include <string.h>

#include "security/noise_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lp2p_noise_payload p, q;
	char *names[LP2P_NOISE_MAX_MUXERS];
	const char *why = NULL;
	uint8_t *buf;
	size_t cap;
	int n;

	if (lp2p_noise_payload_parse(data, size, &p, &why) != 0) {
		if (!why)
			abort();
		return 0;
	}
	for (size_t i = 0; i < p.n_muxers; i++) {
		names[i] =
		    strndup((const char *)p.muxers[i].data, p.muxers[i].len);
		if (!names[i] || strlen(names[i]) != p.muxers[i].len)
			abort();
	}
	cap = lp2p_noise_payload_size(p.identity_key.len, p.identity_sig.len,
	                              (const char *const *)names, p.n_muxers);
	buf = malloc(cap);
	if (!buf)
		abort();
	n = lp2p_noise_payload_write(buf, cap, p.identity_key.data,
	                             p.identity_key.len, p.identity_sig.data,
	                             p.identity_sig.len,
	                             (const char *const *)names, p.n_muxers);
	if (n != (int)cap || lp2p_noise_payload_parse(buf, cap, &q, &why) != 0)
		abort();
	if (q.identity_key.len != p.identity_key.len ||
	    memcmp(q.identity_key.data, p.identity_key.data,
	           p.identity_key.len) ||
	    q.identity_sig.len != p.identity_sig.len ||
	    memcmp(q.identity_sig.data, p.identity_sig.data,
	           p.identity_sig.len) ||
	    q.n_muxers != p.n_muxers)
		abort();
	for (size_t i = 0; i < p.n_muxers; i++) {
		if (q.muxers[i].len != p.muxers[i].len ||
		    memcmp(q.muxers[i].data, p.muxers[i].data, p.muxers[i].len))
			abort();
		free(names[i]);
	}
	free(buf);
	return 0;
}
