/* record.c - signed peer records (PeerRecord in a signed Envelope) */
#include <string.h>

#include <lp2p/protobuf.h>
#include <lp2p/varint.h>

#include "identify/record.h"

const uint8_t record_payload_type[2] = {0x03, 0x01};

enum {
	ENV_F_PUBLIC_KEY = 1,
	ENV_F_PAYLOAD_TYPE = 2,
	ENV_F_PAYLOAD = 3,
	ENV_F_SIGNATURE = 5,
	REC_F_PEER_ID = 1,
	REC_F_SEQ = 2,
	REC_F_ADDRESSES = 3,
	ADDRINFO_F_MULTIADDR = 1,
};

static int put_prefixed(uint8_t *buf, size_t cap, size_t *off, const void *data,
                        size_t len)
{
	int n = lp2p_varint_encode(len, buf + *off, cap - *off);
	if (n < 0)
		return LP2P_ERANGE;
	*off += (size_t)n;
	if (cap - *off < len)
		return LP2P_ERANGE;
	if (len)
		memcpy(buf + *off, data, len);
	*off += len;
	return 0;
}

int record_signing_data(const char *domain, const uint8_t *type,
                        size_t type_len, const uint8_t *payload,
                        size_t payload_len, uint8_t *buf, size_t cap)
{
	size_t off = 0;
	int rc;
	if ((rc = put_prefixed(buf, cap, &off, domain, strlen(domain))) ||
	    (rc = put_prefixed(buf, cap, &off, type, type_len)) ||
	    (rc = put_prefixed(buf, cap, &off, payload, payload_len)))
		return rc;
	return off > INT32_MAX ? LP2P_ERANGE : (int)off;
}

int record_envelope_encode(const struct record_envelope *e, uint8_t *buf,
                           size_t cap)
{
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, cap);
	lp2p_pb_put_bytes(&w, ENV_F_PUBLIC_KEY, e->public_key.data,
	                  e->public_key.len);
	lp2p_pb_put_bytes(&w, ENV_F_PAYLOAD_TYPE, e->payload_type.data,
	                  e->payload_type.len);
	lp2p_pb_put_bytes(&w, ENV_F_PAYLOAD, e->payload.data, e->payload.len);
	lp2p_pb_put_bytes(&w, ENV_F_SIGNATURE, e->signature.data,
	                  e->signature.len);
	return lp2p_pb_writer_finish(&w);
}

int record_envelope_decode(const uint8_t *buf, size_t len,
                           struct record_envelope *e)
{
	if (len > RECORD_MAX_ENVELOPE)
		return LP2P_ERANGE;
	struct record_envelope out = {0};
	bool have_key = false, have_sig = false;
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;
	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		struct identify_view v = {f.data, f.len};
		if (f.number != ENV_F_PUBLIC_KEY &&
		    f.number != ENV_F_PAYLOAD_TYPE &&
		    f.number != ENV_F_PAYLOAD && f.number != ENV_F_SIGNATURE)
			continue;
		if (f.wire != LP2P_PB_LEN)
			return LP2P_EPROTO;
		switch (f.number) {
		case ENV_F_PUBLIC_KEY:
			out.public_key = v;
			have_key = true;
			break;
		case ENV_F_PAYLOAD_TYPE: out.payload_type = v; break;
		case ENV_F_PAYLOAD: out.payload = v; break;
		case ENV_F_SIGNATURE:
			out.signature = v;
			have_sig = true;
			break;
		}
	}
	if (rc < 0 || !have_key || !have_sig || out.public_key.len == 0 ||
	    out.signature.len == 0)
		return LP2P_EPROTO;
	*e = out;
	return 0;
}

int peer_record_encode(const struct lp2p_peer_id *peer, uint64_t seq,
                       const struct lp2p_multiaddr *addrs, size_t n,
                       uint8_t *buf, size_t cap)
{
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, cap);
	lp2p_pb_put_bytes(&w, REC_F_PEER_ID, peer->bytes, peer->len);
	if (seq)
		lp2p_pb_put_varint(&w, REC_F_SEQ, seq);
	for (size_t i = 0; i < n; i++) {
		/* AddressInfo { bytes multiaddr = 1 }, nested */
		size_t inner =
		    lp2p_pb_bytes_field_len(ADDRINFO_F_MULTIADDR, addrs[i].len);
		uint8_t tmp[LP2P_MULTIADDR_MAX_LEN + 8];
		struct lp2p_pb_writer iw;
		lp2p_pb_writer_init(&iw, tmp, sizeof tmp);
		lp2p_pb_put_bytes(&iw, ADDRINFO_F_MULTIADDR, addrs[i].bytes,
		                  addrs[i].len);
		if (lp2p_pb_writer_finish(&iw) != (int)inner)
			return LP2P_ERANGE;
		lp2p_pb_put_bytes(&w, REC_F_ADDRESSES, tmp, inner);
	}
	return lp2p_pb_writer_finish(&w);
}

/* AddressInfo: the multiaddr field, which must be a valid multiaddr. */
static int decode_addrinfo(const uint8_t *buf, size_t len,
                           struct identify_view *out)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;
	bool found = false;
	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		if (f.number != ADDRINFO_F_MULTIADDR)
			continue;
		if (f.wire != LP2P_PB_LEN ||
		    lp2p_multiaddr_validate(f.data, f.len) != 0)
			return LP2P_EPROTO;
		*out = (struct identify_view){f.data, f.len};
		found = true;
	}
	return rc < 0 || !found ? LP2P_EPROTO : 0;
}

int peer_record_decode(const uint8_t *buf, size_t len, struct peer_record *rec)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;
	bool have_id = false;
	rec->n_addrs = 0;
	rec->seq = 0;
	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		switch (f.number) {
		case REC_F_PEER_ID:
			if (f.wire != LP2P_PB_LEN ||
			    lp2p_peer_id_from_bytes(f.data, f.len, &rec->peer))
				return LP2P_EPROTO;
			have_id = true;
			break;
		case REC_F_SEQ:
			if (f.wire != LP2P_PB_VARINT)
				return LP2P_EPROTO;
			rec->seq = f.u64;
			break;
		case REC_F_ADDRESSES:
			if (f.wire != LP2P_PB_LEN)
				return LP2P_EPROTO;
			if (rec->n_addrs == RECORD_MAX_ADDRS)
				return LP2P_ERANGE;
			if (decode_addrinfo(f.data, f.len,
			                    &rec->addrs[rec->n_addrs]))
				return LP2P_EPROTO;
			rec->n_addrs++;
			break;
		default: break;
		}
	}
	return rc < 0 || !have_id ? LP2P_EPROTO : 0;
}

int record_open(const uint8_t *buf, size_t len,
                const struct lp2p_peer_id *expected, struct peer_record *rec)
{
	struct record_envelope e;
	int rc = record_envelope_decode(buf, len, &e);
	if (rc)
		return rc;
	if (e.payload_type.len != sizeof record_payload_type ||
	    memcmp(e.payload_type.data, record_payload_type,
	           sizeof record_payload_type) != 0)
		return LP2P_ENOTSUP;
	struct lp2p_key *key;
	rc = lp2p_key_unmarshal_public(e.public_key.data, e.public_key.len,
	                               &key);
	if (rc)
		return rc;
	/* The signed bytes are bounded by the envelope's own bound. */
	uint8_t data[RECORD_MAX_ENVELOPE + 64];
	int n = record_signing_data(RECORD_DOMAIN, e.payload_type.data,
	                            e.payload_type.len, e.payload.data,
	                            e.payload.len, data, sizeof data);
	if (n < 0) {
		lp2p_key_free(key);
		return n;
	}
	rc = lp2p_key_verify(key, data, (size_t)n, e.signature.data,
	                     e.signature.len);
	if (rc) {
		lp2p_key_free(key);
		return LP2P_ECRYPTO;
	}
	struct peer_record pr;
	rc = peer_record_decode(e.payload.data, e.payload.len, &pr);
	if (rc == 0 && lp2p_peer_id_matches_key(&pr.peer, key) != 1)
		rc = LP2P_EPEERID;
	if (rc == 0 && expected && !lp2p_peer_id_equal(&pr.peer, expected))
		rc = LP2P_EPEERID;
	lp2p_key_free(key);
	if (rc == 0)
		*rec = pr;
	return rc;
}

int record_seal(const struct lp2p_peer_id *peer, uint64_t seq,
                const struct lp2p_multiaddr *addrs, size_t n,
                const uint8_t *public_key, size_t public_key_len,
                record_sign_fn sign, void *sign_arg, uint8_t *buf, size_t cap)
{
	uint8_t payload[RECORD_MAX_ENVELOPE];
	int plen =
	    peer_record_encode(peer, seq, addrs, n, payload, sizeof payload);
	if (plen < 0)
		return plen;
	uint8_t data[RECORD_MAX_ENVELOPE + 64];
	int dlen = record_signing_data(RECORD_DOMAIN, record_payload_type,
	                               sizeof record_payload_type, payload,
	                               (size_t)plen, data, sizeof data);
	if (dlen < 0)
		return dlen;
	uint8_t sig[LP2P_KEY_SIG_MAX];
	int slen = sign(sign_arg, data, (size_t)dlen, sig, sizeof sig);
	if (slen < 0)
		return slen;
	struct record_envelope e = {
	    .public_key = {public_key, public_key_len},
	    .payload_type = {record_payload_type, sizeof record_payload_type},
	    .payload = {payload, (size_t)plen},
	    .signature = {sig, (size_t)slen},
	};
	int elen = record_envelope_encode(&e, buf, cap);
	if (elen >= 0 && (size_t)elen > RECORD_MAX_ENVELOPE)
		return LP2P_ERANGE;
	return elen;
}
