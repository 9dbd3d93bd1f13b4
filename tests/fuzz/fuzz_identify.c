/*
 * fuzz_identify.c - the identify plugin's parsers over arbitrary bytes.
 *
 * The first byte chooses how the rest is cut into pieces for the stream
 * reader (length-delimited messages, bounded, merged).  A merged message
 * that decodes is written back field by field and decoded again: both
 * must agree.  The same bytes also go through the message decoder
 * directly, the envelope and peer record decoders, and record_open()
 * (which must refuse anything it did not verify).
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/protobuf.h>

#include "identify/identify_reader.h"
#include "identify/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(struct identify_view a, struct identify_view b)
{
	return a.len == b.len &&
	       (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static void put_opt(struct lp2p_pb_writer *w, uint32_t field, bool has,
                    struct identify_view v)
{
	if (has)
		lp2p_pb_put_bytes(w, field, v.data, v.len);
}

/* Write m back as one message and decode that: the same fields. */
static void roundtrip(const struct identify_msg *m)
{
	size_t cap = 2 * IDENTIFY_MAX_MSG;
	uint8_t *buf = malloc(cap);
	struct identify_msg *again = malloc(sizeof *again);
	if (!buf || !again)
		abort();
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, cap);
	put_opt(&w, IDENTIFY_F_PUBLIC_KEY, m->has_public_key, m->public_key);
	for (size_t i = 0; i < m->n_listen_addrs; i++)
		put_opt(&w, IDENTIFY_F_LISTEN_ADDRS, true, m->listen_addrs[i]);
	for (size_t i = 0; i < m->n_protocols; i++)
		put_opt(&w, IDENTIFY_F_PROTOCOLS, true, m->protocols[i]);
	put_opt(&w, IDENTIFY_F_OBSERVED_ADDR, m->has_observed_addr,
	        m->observed_addr);
	put_opt(&w, IDENTIFY_F_PROTOCOL_VERSION, m->has_protocol_version,
	        m->protocol_version);
	put_opt(&w, IDENTIFY_F_AGENT_VERSION, m->has_agent_version,
	        m->agent_version);
	put_opt(&w, IDENTIFY_F_SIGNED_RECORD, m->has_signed_record,
	        m->signed_record);
	int n = lp2p_pb_writer_finish(&w);
	if (n < 0)
		abort();
	identify_msg_init(again);
	int rc = identify_msg_decode(buf, (size_t)n, again);
	/* a merge of several messages may exceed one message's bound */
	if (rc == LP2P_ERANGE && (size_t)n > IDENTIFY_MAX_MSG)
		goto out;
	if (rc != 0 || again->n_listen_addrs != m->n_listen_addrs ||
	    again->n_protocols != m->n_protocols ||
	    again->has_public_key != m->has_public_key ||
	    again->has_agent_version != m->has_agent_version ||
	    again->has_protocol_version != m->has_protocol_version ||
	    again->has_observed_addr != m->has_observed_addr ||
	    again->has_signed_record != m->has_signed_record ||
	    !same(again->public_key, m->public_key) ||
	    !same(again->agent_version, m->agent_version) ||
	    !same(again->protocol_version, m->protocol_version) ||
	    !same(again->observed_addr, m->observed_addr) ||
	    !same(again->signed_record, m->signed_record))
		abort();
	for (size_t i = 0; i < m->n_listen_addrs; i++)
		if (!same(again->listen_addrs[i], m->listen_addrs[i]))
			abort();
	for (size_t i = 0; i < m->n_protocols; i++)
		if (!same(again->protocols[i], m->protocols[i]))
			abort();
out:
	free(again);
	free(buf);
}

static void check_views_inside(const struct identify_msg *m, const uint8_t *lo,
                               const uint8_t *hi)
{
	const struct identify_view *v[] = {
	    &m->public_key, &m->agent_version, &m->protocol_version,
	    &m->observed_addr, &m->signed_record};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		if (v[i]->len &&
		    (v[i]->data < lo || v[i]->data + v[i]->len > hi))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;

	struct identify_msg *m = malloc(sizeof *m);
	if (!m)
		abort();

	/* the stream reader, in pieces */
	struct identify_reader r;
	identify_reader_init(&r);
	int rc = 0;
	for (size_t off = 0; off < size && rc == 0; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		rc = identify_reader_feed(&r, data + off, n);
	}
	if (r.len > IDENTIFY_MAX_MSG || r.nmsgs > IDENTIFY_MAX_MESSAGES)
		abort();
	if (rc == 0 && identify_reader_finish(&r, m) == 0) {
		check_views_inside(m, r.buf, r.buf + r.len);
		roundtrip(m);
	}
	identify_reader_free(&r);

	/* one message body */
	identify_msg_init(m);
	if (identify_msg_decode(data, size, m) == 0) {
		check_views_inside(m, data, data + size);
		if (m->n_listen_addrs > IDENTIFY_MAX_ADDRS ||
		    m->n_protocols > IDENTIFY_MAX_PROTOCOLS)
			abort();
		roundtrip(m);
	}
	free(m);

	/* records */
	struct record_envelope e;
	if (record_envelope_decode(data, size, &e) == 0 &&
	    (e.public_key.len == 0 || e.signature.len == 0))
		abort();
	struct peer_record pr;
	if (peer_record_decode(data, size, &pr) == 0) {
		if (pr.n_addrs > RECORD_MAX_ADDRS)
			abort();
		for (size_t i = 0; i < pr.n_addrs; i++)
			if (lp2p_multiaddr_validate(pr.addrs[i].data,
			                            pr.addrs[i].len) != 0)
				abort();
	}
	if (record_open(data, size, NULL, &pr) == 0 &&
	    record_envelope_decode(data, size, &e) != 0)
		abort();
	return 0;
}
