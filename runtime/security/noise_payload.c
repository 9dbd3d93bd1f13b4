/*
 * noise_payload.c - encode and decode the libp2p NoiseHandshakePayload.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/protobuf.h>

#include "security/noise_payload.h"

enum {
	PAYLOAD_IDENTITY_KEY = 1,
	PAYLOAD_IDENTITY_SIG = 2,
	PAYLOAD_EXTENSIONS = 4,
	EXT_WEBTRANSPORT_CERTHASHES = 1,
	EXT_STREAM_MUXERS = 2,
};

static void add_muxer(struct lp2p_noise_payload *out, const uint8_t *data,
                      size_t len)
{
	if (out->n_muxers == LP2P_NOISE_MAX_MUXERS || len == 0 ||
	    len > LP2P_NOISE_MAX_MUXER_LEN || memchr(data, 0, len))
		return;
	out->muxers[out->n_muxers].data = data;
	out->muxers[out->n_muxers].len = len;
	out->n_muxers++;
}

static int parse_extensions(const uint8_t *buf, size_t len,
                            struct lp2p_noise_payload *out, const char **why)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;

	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		if (f.number != EXT_WEBTRANSPORT_CERTHASHES &&
		    f.number != EXT_STREAM_MUXERS)
			continue;
		if (f.wire != LP2P_PB_LEN) {
			*why = "noise extensions: field with wrong wire type";
			return LP2P_EPROTO;
		}
		/* Certificate hashes matter to WebTransport only. */
		if (f.number == EXT_STREAM_MUXERS)
			add_muxer(out, f.data, f.len);
	}
	if (rc < 0) {
		*why = "noise extensions: malformed protobuf";
		return LP2P_EPROTO;
	}
	return 0;
}

int lp2p_noise_payload_parse(const uint8_t *buf, size_t len,
                             struct lp2p_noise_payload *out, const char **why)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	bool has_key = false, has_sig = false;
	int rc;

	memset(out, 0, sizeof(*out));
	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		if (f.number != PAYLOAD_IDENTITY_KEY &&
		    f.number != PAYLOAD_IDENTITY_SIG &&
		    f.number != PAYLOAD_EXTENSIONS)
			continue;
		if (f.wire != LP2P_PB_LEN) {
			*why = "noise payload: field with wrong wire type";
			return LP2P_EPROTO;
		}
		switch (f.number) {
		case PAYLOAD_IDENTITY_KEY:
			out->identity_key.data = f.data;
			out->identity_key.len = f.len;
			has_key = true;
			break;
		case PAYLOAD_IDENTITY_SIG:
			out->identity_sig.data = f.data;
			out->identity_sig.len = f.len;
			has_sig = true;
			break;
		case PAYLOAD_EXTENSIONS:
			rc = parse_extensions(f.data, f.len, out, why);
			if (rc < 0)
				return rc;
			break;
		}
	}
	if (rc < 0) {
		*why = "noise payload: malformed protobuf";
		return LP2P_EPROTO;
	}
	if (!has_key || out->identity_key.len == 0) {
		*why = "noise payload: no identity key";
		return LP2P_EPROTO;
	}
	if (!has_sig || out->identity_sig.len == 0) {
		*why = "noise payload: no identity signature";
		return LP2P_EPROTO;
	}
	return 0;
}

static size_t extensions_size(const char *const *muxers, size_t n_muxers)
{
	size_t len = 0;

	for (size_t i = 0; i < n_muxers; i++)
		len += lp2p_pb_bytes_field_len(EXT_STREAM_MUXERS,
		                               strlen(muxers[i]));
	return len;
}

size_t lp2p_noise_payload_size(size_t key_len, size_t sig_len,
                               const char *const *muxers, size_t n_muxers)
{
	size_t len = lp2p_pb_bytes_field_len(PAYLOAD_IDENTITY_KEY, key_len) +
	             lp2p_pb_bytes_field_len(PAYLOAD_IDENTITY_SIG, sig_len);

	if (n_muxers)
		len += lp2p_pb_bytes_field_len(
		    PAYLOAD_EXTENSIONS, extensions_size(muxers, n_muxers));
	return len;
}

int lp2p_noise_payload_write(uint8_t *buf, size_t cap, const uint8_t *key,
                             size_t key_len, const uint8_t *sig, size_t sig_len,
                             const char *const *muxers, size_t n_muxers)
{
	struct lp2p_pb_writer w, ext;
	size_t ext_len = extensions_size(muxers, n_muxers);
	uint8_t *ext_buf = NULL;
	int n;

	lp2p_pb_writer_init(&w, buf, cap);
	lp2p_pb_put_bytes(&w, PAYLOAD_IDENTITY_KEY, key, key_len);
	lp2p_pb_put_bytes(&w, PAYLOAD_IDENTITY_SIG, sig, sig_len);
	if (n_muxers) {
		/* The writer has no nested-message call: encode the
		 * extensions apart, then add them as one LEN field. */
		ext_buf = malloc(ext_len);
		if (!ext_buf)
			return LP2P_ENOMEM;
		lp2p_pb_writer_init(&ext, ext_buf, ext_len);
		for (size_t i = 0; i < n_muxers; i++)
			lp2p_pb_put_string(&ext, EXT_STREAM_MUXERS, muxers[i]);
		n = lp2p_pb_writer_finish(&ext);
		if (n >= 0)
			lp2p_pb_put_bytes(&w, PAYLOAD_EXTENSIONS, ext_buf,
			                  (size_t)n);
		free(ext_buf);
		if (n < 0)
			return n;
	}
	return lp2p_pb_writer_finish(&w);
}
