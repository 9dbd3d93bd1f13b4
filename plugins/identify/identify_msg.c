/* identify_msg.c - the Identify protobuf message: decode (merging) and encode
 */
#include <string.h>

#include <lp2p/protobuf.h>
#include <lp2p/varint.h>

#include "identify/identify_msg.h"

void identify_msg_init(struct identify_msg *m)
{
	memset(m, 0, sizeof *m);
}

static bool same_view(struct identify_view a, struct identify_view b)
{
	return a.len == b.len &&
	       (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static void add_protocol(struct identify_msg *m, struct identify_view v)
{
	for (size_t i = 0; i < m->n_protocols; i++)
		if (same_view(m->protocols[i], v))
			return;
	if (m->n_protocols < IDENTIFY_MAX_PROTOCOLS)
		m->protocols[m->n_protocols++] = v;
	else
		m->dropped++;
}

static void add_addr(struct identify_msg *m, struct identify_view v)
{
	if (m->n_listen_addrs < IDENTIFY_MAX_ADDRS)
		m->listen_addrs[m->n_listen_addrs++] = v;
	else
		m->dropped++;
}

int identify_msg_decode(const uint8_t *buf, size_t len, struct identify_msg *m)
{
	if (len > IDENTIFY_MAX_MSG)
		return LP2P_ERANGE;
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;
	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		struct identify_view v = {f.data, f.len};
		switch (f.number) {
		case IDENTIFY_F_PUBLIC_KEY:
		case IDENTIFY_F_LISTEN_ADDRS:
		case IDENTIFY_F_PROTOCOLS:
		case IDENTIFY_F_OBSERVED_ADDR:
		case IDENTIFY_F_PROTOCOL_VERSION:
		case IDENTIFY_F_AGENT_VERSION:
		case IDENTIFY_F_SIGNED_RECORD:
			if (f.wire != LP2P_PB_LEN)
				return LP2P_EPROTO;
			break;
		default: continue; /* unknown: skipped */
		}
		switch (f.number) {
		case IDENTIFY_F_PUBLIC_KEY:
			m->public_key = v;
			m->has_public_key = true;
			break;
		case IDENTIFY_F_LISTEN_ADDRS: add_addr(m, v); break;
		case IDENTIFY_F_PROTOCOLS: add_protocol(m, v); break;
		case IDENTIFY_F_OBSERVED_ADDR:
			m->observed_addr = v;
			m->has_observed_addr = true;
			break;
		case IDENTIFY_F_PROTOCOL_VERSION:
			m->protocol_version = v;
			m->has_protocol_version = true;
			break;
		case IDENTIFY_F_AGENT_VERSION:
			m->agent_version = v;
			m->has_agent_version = true;
			break;
		case IDENTIFY_F_SIGNED_RECORD:
			m->signed_record = v;
			m->has_signed_record = true;
			break;
		}
	}
	return rc < 0 ? LP2P_EPROTO : 0;
}

/* Fields in the order go-libp2p writes them (by field number). */
static void put_fields(struct lp2p_pb_writer *w, const struct identify_info *in,
                       bool with_record)
{
	if (in->public_key)
		lp2p_pb_put_bytes(w, IDENTIFY_F_PUBLIC_KEY, in->public_key,
		                  in->public_key_len);
	for (size_t i = 0; i < in->n_listen_addrs; i++)
		lp2p_pb_put_bytes(w, IDENTIFY_F_LISTEN_ADDRS,
		                  in->listen_addrs[i].bytes,
		                  in->listen_addrs[i].len);
	for (size_t i = 0; i < in->n_protocols; i++)
		lp2p_pb_put_string(w, IDENTIFY_F_PROTOCOLS, in->protocols[i]);
	if (in->observed_addr)
		lp2p_pb_put_bytes(w, IDENTIFY_F_OBSERVED_ADDR,
		                  in->observed_addr->bytes,
		                  in->observed_addr->len);
	if (in->protocol_version)
		lp2p_pb_put_string(w, IDENTIFY_F_PROTOCOL_VERSION,
		                   in->protocol_version);
	if (in->agent_version)
		lp2p_pb_put_string(w, IDENTIFY_F_AGENT_VERSION,
		                   in->agent_version);
	if (with_record && in->signed_record)
		lp2p_pb_put_bytes(w, IDENTIFY_F_SIGNED_RECORD,
		                  in->signed_record, in->signed_record_len);
}

static bool info_valid(const struct identify_info *in)
{
	return in && (in->n_listen_addrs == 0 || in->listen_addrs) &&
	       (in->n_protocols == 0 || in->protocols) &&
	       (in->public_key || in->public_key_len == 0) &&
	       (in->signed_record || in->signed_record_len == 0);
}

static int encode_body(const struct identify_info *in, bool with_record,
                       uint8_t *buf, size_t cap)
{
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, cap);
	put_fields(&w, in, with_record);
	int n = lp2p_pb_writer_finish(&w);
	if (n >= 0 && (size_t)n > IDENTIFY_MAX_MSG)
		return LP2P_ERANGE;
	return n;
}

int identify_msg_encode(const struct identify_info *in, uint8_t *buf,
                        size_t cap)
{
	if (!info_valid(in) || (!buf && cap))
		return LP2P_EINVAL;
	return encode_body(in, true, buf, cap);
}

/*
 * One length-prefixed message at buf[0..cap): the body is written after
 * room for the longest prefix, then moved next to its real prefix.
 */
static int put_framed(const struct identify_info *in, bool with_record,
                      bool only_record, uint8_t *buf, size_t cap)
{
	const size_t room = 3; /* a varint of IDENTIFY_MAX_MSG */
	if (cap < room)
		return LP2P_ERANGE;
	int n;
	if (only_record) {
		struct lp2p_pb_writer w;
		lp2p_pb_writer_init(&w, buf + room, cap - room);
		lp2p_pb_put_bytes(&w, IDENTIFY_F_SIGNED_RECORD,
		                  in->signed_record, in->signed_record_len);
		n = lp2p_pb_writer_finish(&w);
		if (n >= 0 && (size_t)n > IDENTIFY_MAX_MSG)
			n = LP2P_ERANGE;
	} else {
		n = encode_body(in, with_record, buf + room, cap - room);
	}
	if (n < 0)
		return n;
	int plen = lp2p_varint_encode((uint64_t)n, buf, room);
	if (plen < 0)
		return plen;
	memmove(buf + plen, buf + room, (size_t)n);
	return plen + n;
}

int identify_msg_encode_stream(const struct identify_info *in, uint8_t *buf,
                               size_t cap)
{
	if (!info_valid(in) || (!buf && cap))
		return LP2P_EINVAL;
	int n = put_framed(in, true, false, buf, cap);
	if (n < 0 || !in->signed_record || (size_t)n <= IDENTIFY_SPLIT_SIZE)
		return n;
	n = put_framed(in, false, false, buf, cap);
	if (n < 0)
		return n;
	int m = put_framed(in, false, true, buf + n, cap - (size_t)n);
	if (m < 0)
		return m;
	return n + m;
}
