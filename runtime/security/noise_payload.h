/*
 * noise_payload.h - the libp2p NoiseHandshakePayload protobuf:
 *
 *   message NoiseExtensions {
 *     repeated bytes webtransport_certhashes = 1;
 *     repeated string stream_muxers = 2;
 *   }
 *   message NoiseHandshakePayload {
 *     optional bytes identity_key = 1;
 *     optional bytes identity_sig = 2;
 *     optional NoiseExtensions extensions = 4;
 *   }
 *
 * Pure: the parser gives views into the caller's buffer.
 */
#ifndef LP2P_SECURITY_NOISE_PAYLOAD_H
#define LP2P_SECURITY_NOISE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <lp2p/common.h>

#include "security/noise.h"

struct lp2p_noise_view {
	const uint8_t *data;
	size_t len;
};

struct lp2p_noise_payload {
	struct lp2p_noise_view identity_key; /* len 0: absent */
	struct lp2p_noise_view identity_sig;
	size_t n_muxers;
	struct lp2p_noise_view muxers[LP2P_NOISE_MAX_MUXERS];
};

/*
 * Parse buf[0..len).  Unknown fields are skipped (the message may grow);
 * repeated occurrences of a singular field: the last wins, of extensions:
 * merged (protobuf rules).  Muxer names that are empty, longer than
 * LP2P_NOISE_MAX_MUXER_LEN or contain a NUL are dropped, as are names past
 * the first LP2P_NOISE_MAX_MUXERS: they cannot name a muxer we run.
 * Errors (with *why set to a static reason): LP2P_EPROTO for malformed
 * protobuf, a known field with the wrong wire type, or a missing
 * identity_key or identity_sig.
 */
int lp2p_noise_payload_parse(const uint8_t *buf, size_t len,
                             struct lp2p_noise_payload *out, const char **why);

/*
 * Write a payload into buf[0..cap): identity_key, identity_sig and, when
 * n_muxers > 0, extensions { stream_muxers }.  Returns its length, or
 * LP2P_ERANGE if it does not fit, LP2P_ENOMEM.
 */
int lp2p_noise_payload_write(uint8_t *buf, size_t cap, const uint8_t *key,
                             size_t key_len, const uint8_t *sig, size_t sig_len,
                             const char *const *muxers, size_t n_muxers);

/* The exact length lp2p_noise_payload_write() will produce. */
size_t lp2p_noise_payload_size(size_t key_len, size_t sig_len,
                               const char *const *muxers, size_t n_muxers);

#endif
