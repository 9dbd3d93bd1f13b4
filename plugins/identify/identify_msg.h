/*
 * identify_msg.h - the Identify message of /ipfs/id/1.0.0 and
 * /ipfs/id/push/1.0.0 (identify spec; signedPeerRecord is field 8 as go-
 * and js-libp2p send it), and the length-delimited framing it travels in.
 *
 * Pure: no I/O, no clock, no allocation.  Decoded fields are views into
 * the decoded buffer, which must outlive the message struct.
 */
#ifndef LP2P_IDENTIFY_MSG_H
#define LP2P_IDENTIFY_MSG_H

#include <stdbool.h>

#include <lp2p/common.h>
#include <lp2p/multiaddr.h>

/*
 * Hard bound of one message (and of everything one stream may deliver):
 * go- and js-libp2p send at most 8 KiB, so this leaves room while a peer
 * still cannot make us hold more.  Checked on the length prefix, before
 * anything is allocated.
 */
#define IDENTIFY_MAX_MSG (64u * 1024)
/* Messages accepted on one stream (go- and js-libp2p stop after 10). */
#define IDENTIFY_MAX_MESSAGES 10
/* Entries kept from the repeated fields; more are counted and dropped. */
#define IDENTIFY_MAX_ADDRS 64
#define IDENTIFY_MAX_PROTOCOLS 256
/*
 * Above this size, the signed peer record goes in a message of its own
 * (older peers refused identify messages over 2 KiB).
 */
#define IDENTIFY_SPLIT_SIZE 2048

enum identify_field {
	IDENTIFY_F_PUBLIC_KEY = 1,
	IDENTIFY_F_LISTEN_ADDRS = 2,
	IDENTIFY_F_PROTOCOLS = 3,
	IDENTIFY_F_OBSERVED_ADDR = 4,
	IDENTIFY_F_PROTOCOL_VERSION = 5,
	IDENTIFY_F_AGENT_VERSION = 6,
	IDENTIFY_F_SIGNED_RECORD = 8,
};

struct identify_view {
	const uint8_t *data;
	size_t len;
};

/* A decoded message (or several merged): views into their buffers. */
struct identify_msg {
	bool has_protocol_version, has_agent_version, has_public_key;
	bool has_observed_addr, has_signed_record;
	struct identify_view protocol_version;
	struct identify_view agent_version;
	struct identify_view public_key;
	struct identify_view observed_addr;
	struct identify_view signed_record;
	struct identify_view listen_addrs[IDENTIFY_MAX_ADDRS];
	size_t n_listen_addrs;
	struct identify_view protocols[IDENTIFY_MAX_PROTOCOLS];
	size_t n_protocols;
	size_t dropped; /* repeated entries beyond the bounds above */
};

/* An empty message (no field present). */
void identify_msg_init(struct identify_msg *m);

/*
 * Decode the protobuf body buf[0..len) into m, merging with what m already
 * holds (as go- and js-libp2p merge the messages of one stream): a scalar
 * field present here replaces the earlier value, listen addresses are
 * appended, protocols are added unless already listed.  Unknown fields are
 * skipped.  Values are not interpreted here (addresses and keys are
 * checked by whoever uses them).  Errors: LP2P_ERANGE (len >
 * IDENTIFY_MAX_MSG), LP2P_EPROTO (malformed protobuf, or a known field
 * with the wrong wire type).  On error m may hold part of the message.
 */
int identify_msg_decode(const uint8_t *buf, size_t len, struct identify_msg *m);

/* What we say about ourselves; every pointer is borrowed for the call. */
struct identify_info {
	const char *protocol_version; /* NULL: field left out */
	const char *agent_version;    /* NULL: field left out */
	const uint8_t *public_key;    /* protobuf PublicKey; NULL: left out */
	size_t public_key_len;
	const struct lp2p_multiaddr *listen_addrs;
	size_t n_listen_addrs;
	const struct lp2p_multiaddr *observed_addr; /* NULL: left out */
	const char *const *protocols;
	size_t n_protocols;
	const uint8_t *signed_record; /* NULL: left out */
	size_t signed_record_len;
};

/*
 * Encode info as one protobuf body into buf[0..cap) (caller-owned).
 * Returns its length.  Errors: LP2P_ERANGE (does not fit, or longer than
 * IDENTIFY_MAX_MSG), LP2P_EINVAL.
 */
int identify_msg_encode(const struct identify_info *info, uint8_t *buf,
                        size_t cap);

/*
 * Encode info as the byte stream an identify responder writes: one
 * varint-length-prefixed message, or, when that would exceed
 * IDENTIFY_SPLIT_SIZE and a signed record is included, two: everything
 * but the record, then the record alone.  Returns the total length.
 * Errors as identify_msg_encode().
 */
int identify_msg_encode_stream(const struct identify_info *info, uint8_t *buf,
                               size_t cap);

#endif
