/*
 * record.h - signed peer records: a PeerRecord (RFC 0003) in a signed
 * Envelope (RFC 0002), as identify's signedPeerRecord carries them.
 *
 * The RFCs name a domain "libp2p-routing-state" and a payload type
 * "/libp2p/routing-state-record"; go- and js-libp2p use the domain
 * "libp2p-peer-record" and the multicodec libp2p-peer-record (0x0301, the
 * bytes 03 01) instead, and so do we.  rust-libp2p 0.57's identify signs
 * with the RFC values (its "legacy" form): such a record does not verify
 * here, and identify keeps the answer's listen addresses instead.
 *
 * No I/O, no clock; apart from OpenSSL's key objects in verification, no
 * allocation.  Decoded fields are views into the decoded buffer.
 */
#ifndef LP2P_IDENTIFY_RECORD_H
#define LP2P_IDENTIFY_RECORD_H

#include <lp2p/crypto.h>
#include <lp2p/multiaddr.h>
#include <lp2p/peer_id.h>

#include "identify/identify_msg.h"

#define RECORD_DOMAIN "libp2p-peer-record"
extern const uint8_t record_payload_type[2]; /* 03 01 */
/* Addresses kept from a record; more are refused. */
#define RECORD_MAX_ADDRS IDENTIFY_MAX_ADDRS
/* Bound of an envelope we accept or make. */
#define RECORD_MAX_ENVELOPE 8192

struct record_envelope {
	struct identify_view public_key; /* protobuf PublicKey */
	struct identify_view payload_type;
	struct identify_view payload;
	struct identify_view signature;
};

struct peer_record {
	struct lp2p_peer_id peer;
	uint64_t seq;
	struct identify_view addrs[RECORD_MAX_ADDRS]; /* binary multiaddrs */
	size_t n_addrs;
};

/*
 * The bytes an envelope's signature covers: varint(len(domain)) domain
 * varint(len(type)) type varint(len(payload)) payload, into buf[0..cap).
 * Returns the length; LP2P_ERANGE if it does not fit.
 */
int record_signing_data(const char *domain, const uint8_t *type,
                        size_t type_len, const uint8_t *payload,
                        size_t payload_len, uint8_t *buf, size_t cap);

/* Encode an Envelope into buf[0..cap).  Returns the length or LP2P_ERANGE. */
int record_envelope_encode(const struct record_envelope *e, uint8_t *buf,
                           size_t cap);

/*
 * Decode an Envelope (fields 1, 2, 3, 5; unknown fields skipped).  Errors:
 * LP2P_ERANGE (len > RECORD_MAX_ENVELOPE), LP2P_EPROTO (malformed, wrong
 * wire type, public key or signature missing).
 */
int record_envelope_decode(const uint8_t *buf, size_t len,
                           struct record_envelope *e);

/*
 * Decode buf[0..len) as an envelope, check that its payload type is
 * libp2p-peer-record and its signature (domain RECORD_DOMAIN) verifies
 * with its key, then decode the PeerRecord in it into *rec and check that
 * the record's peer id is the key's and, if expected is not NULL, equals
 * *expected.  Errors: decode errors, LP2P_ENOTSUP (other payload type),
 * LP2P_ECRYPTO (bad signature), LP2P_EPEERID (peer id mismatch), key
 * parsing errors (lp2p_key_unmarshal_public), LP2P_ENOMEM.
 */
int record_open(const uint8_t *buf, size_t len,
                const struct lp2p_peer_id *expected, struct peer_record *rec);

/*
 * Encode a PeerRecord {peer_id, seq, addresses} into buf[0..cap).
 * Returns the length or LP2P_ERANGE.
 */
int peer_record_encode(const struct lp2p_peer_id *peer, uint64_t seq,
                       const struct lp2p_multiaddr *addrs, size_t n,
                       uint8_t *buf, size_t cap);

/*
 * Decode a PeerRecord.  Errors: LP2P_EPROTO (malformed, missing or bad
 * peer id, an AddressInfo without a valid multiaddr), LP2P_ERANGE (more
 * than RECORD_MAX_ADDRS addresses).
 */
int peer_record_decode(const uint8_t *buf, size_t len, struct peer_record *r);

/*
 * Build a signed envelope for a record of ours: sign is called with the
 * bytes to sign (as lp2p_host_sign()).  Writes into buf[0..cap) and
 * returns the length.  Errors: LP2P_ERANGE, the signer's errors.
 */
typedef int (*record_sign_fn)(void *arg, const uint8_t *msg, size_t len,
                              uint8_t *sig, size_t cap);
int record_seal(const struct lp2p_peer_id *peer, uint64_t seq,
                const struct lp2p_multiaddr *addrs, size_t n,
                const uint8_t *public_key, size_t public_key_len,
                record_sign_fn sign, void *sign_arg, uint8_t *buf, size_t cap);

#endif
