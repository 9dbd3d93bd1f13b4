/*
 * pb-inhouse.c - the Kademlia message and the gossipsub RPC with lp2p's
 * own protobuf codec (lp2p/protobuf.h), written as a plugin writes its
 * messages (see plugins/identify/identify_msg.c): the decoded message is
 * a struct of views into the received buffer, repeated fields are kept up
 * to a fixed bound (more are counted and dropped) or walked again with
 * lp2p_pb_next_of() when used, every nested message is checked during the
 * decode, and nothing is allocated.  Encoders size nested messages with a
 * sizer, then write them in place.
 */
#include <string.h>

#include <lp2p/protobuf.h>

#include "protobuf-bench.h"

/* ---------------- Kademlia (proto/kad.proto) ---------------- */

enum { KAD_F_TYPE = 1, KAD_F_KEY = 2, KAD_F_RECORD = 3, KAD_F_CLOSER = 8,
       KAD_F_PROVIDER = 9, KAD_F_CLUSTER = 10 };
enum { KAD_REC_KEY = 1, KAD_REC_VALUE = 2, KAD_REC_TIME = 5 };
enum { KAD_PEER_ID = 1, KAD_PEER_ADDRS = 2, KAD_PEER_CONN = 3 };

/* k = 20 in the spec; a longer list is cut, not refused. */
#define KAD_MAX_PEERS 32

struct kad_peer {
	struct bview id;
	struct bview body; /* addresses: lp2p_pb_next_of(KAD_PEER_ADDRS) */
	uint32_t n_addrs;
	uint32_t connection;
};

struct kad_msg {
	uint32_t type;
	bool has_key, has_record;
	struct bview key;
	struct bview rec_key, rec_value, rec_time;
	struct kad_peer closer[KAD_MAX_PEERS], provider[KAD_MAX_PEERS];
	size_t n_closer, n_provider;
	size_t dropped;
};

size_t inh_kad_msg_size(void)
{
	return sizeof(struct kad_msg);
}

static struct bview view_of(const struct lp2p_pb_field *f)
{
	return (struct bview){f->data, f->len};
}

static int kad_peer_decode(const struct lp2p_pb_field *pf, struct kad_peer *p)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;

	memset(p, 0, sizeof *p);
	p->body = view_of(pf);
	lp2p_pb_reader_init(&r, pf->data, pf->len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		switch (f.number) {
		case KAD_PEER_ID:
			if (f.wire != LP2P_PB_LEN)
				return LP2P_EPROTO;
			p->id = view_of(&f);
			break;
		case KAD_PEER_ADDRS:
			if (f.wire != LP2P_PB_LEN)
				return LP2P_EPROTO;
			p->n_addrs++;
			break;
		case KAD_PEER_CONN:
			if (f.wire != LP2P_PB_VARINT)
				return LP2P_EPROTO;
			p->connection = (uint32_t)f.u64;
			break;
		default: break;
		}
	}
	return rc;
}

static int kad_record_decode(const struct lp2p_pb_field *rf, struct kad_msg *m)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;

	lp2p_pb_reader_init(&r, rf->data, rf->len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		struct bview *v;
		switch (f.number) {
		case KAD_REC_KEY: v = &m->rec_key; break;
		case KAD_REC_VALUE: v = &m->rec_value; break;
		case KAD_REC_TIME: v = &m->rec_time; break;
		default: continue;
		}
		if (f.wire != LP2P_PB_LEN)
			return LP2P_EPROTO;
		*v = view_of(&f);
	}
	return rc;
}

static int kad_msg_decode(const uint8_t *buf, size_t len, struct kad_msg *m)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;

	/* Only the counters and flags: the arrays are written before use. */
	memset(m, 0, offsetof(struct kad_msg, closer));
	m->n_closer = m->n_provider = m->dropped = 0;
	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		switch (f.number) {
		case KAD_F_TYPE:
		case KAD_F_CLUSTER:
			if (f.wire != LP2P_PB_VARINT)
				return LP2P_EPROTO;
			if (f.number == KAD_F_TYPE)
				m->type = (uint32_t)f.u64;
			break;
		case KAD_F_KEY:
			if (f.wire != LP2P_PB_LEN)
				return LP2P_EPROTO;
			m->key = view_of(&f);
			m->has_key = true;
			break;
		case KAD_F_RECORD:
			/* A repeated singular message merges: later fields win. */
			if (f.wire != LP2P_PB_LEN || kad_record_decode(&f, m) < 0)
				return LP2P_EPROTO;
			m->has_record = true;
			break;
		case KAD_F_CLOSER:
		case KAD_F_PROVIDER: {
			if (f.wire != LP2P_PB_LEN)
				return LP2P_EPROTO;
			bool closer = f.number == KAD_F_CLOSER;
			size_t *n = closer ? &m->n_closer : &m->n_provider;
			struct kad_peer tmp, *p = &tmp;
			if (*n < KAD_MAX_PEERS)
				p = closer ? &m->closer[*n] : &m->provider[*n];
			if (kad_peer_decode(&f, p) < 0)
				return LP2P_EPROTO;
			if (p == &tmp)
				m->dropped++;
			else
				(*n)++;
			break;
		}
		default: break;
		}
	}
	return rc < 0 ? LP2P_EPROTO : 0;
}

/* What a Kademlia handler reads of a decoded message. */
static uint64_t kad_visit(const struct kad_msg *m)
{
	uint64_t d = DIGEST_INIT;
	d = digest_add(d, m->type);
	d = digest_bytes(d, m->key.data, m->key.len);
	if (m->has_record) {
		d = digest_bytes(d, m->rec_key.data, m->rec_key.len);
		d = digest_bytes(d, m->rec_value.data, m->rec_value.len);
		d = digest_bytes(d, m->rec_time.data, m->rec_time.len);
	}
	for (size_t i = 0; i < m->n_closer; i++) {
		const struct kad_peer *p = &m->closer[i];
		struct lp2p_pb_reader r;
		struct lp2p_pb_field f;
		d = digest_bytes(d, p->id.data, p->id.len);
		d = digest_add(d, p->n_addrs);
		lp2p_pb_reader_init(&r, p->body.data, p->body.len);
		while (lp2p_pb_next_of(&r, KAD_PEER_ADDRS, LP2P_PB_LEN, &f) == 1)
			d = digest_bytes(d, f.data, f.len);
		d = digest_add(d, p->connection);
	}
	return digest_add(d, m->n_provider);
}

int inh_kad_decode(const uint8_t *buf, size_t len, uint64_t *digest)
{
	struct kad_msg m;
	int rc = kad_msg_decode(buf, len, &m);
	if (rc < 0)
		return rc;
	*digest = kad_visit(&m);
	return 0;
}

static void kad_put_peer(struct lp2p_pb_writer *w, const struct kad_peer_in *p)
{
	lp2p_pb_put_bytes(w, KAD_PEER_ID, p->id.data, p->id.len);
	for (size_t i = 0; i < p->n_addrs; i++)
		lp2p_pb_put_bytes(w, KAD_PEER_ADDRS, p->addrs[i].data,
		                  p->addrs[i].len);
	if (p->connection)
		lp2p_pb_put_varint(w, KAD_PEER_CONN, (uint64_t)p->connection);
}

static void kad_put_record(struct lp2p_pb_writer *w, const struct kad_in *in)
{
	lp2p_pb_put_bytes(w, KAD_REC_KEY, in->rec_key.data, in->rec_key.len);
	lp2p_pb_put_bytes(w, KAD_REC_VALUE, in->rec_value.data,
	                  in->rec_value.len);
	if (in->time_received)
		lp2p_pb_put_string(w, KAD_REC_TIME, in->time_received);
}

int inh_kad_encode(const struct kad_in *in, uint8_t *buf, size_t cap)
{
	struct lp2p_pb_writer w, s;
	lp2p_pb_writer_init(&w, buf, cap);
	/* Fields in number order, as protobuf-c and go write them. */
	lp2p_pb_put_varint(&w, KAD_F_TYPE, (uint64_t)in->type);
	if (in->key.len)
		lp2p_pb_put_bytes(&w, KAD_F_KEY, in->key.data, in->key.len);
	if (in->has_record) {
		lp2p_pb_sizer_init(&s);
		kad_put_record(&s, in);
		lp2p_pb_put_len_header(&w, KAD_F_RECORD, s.len);
		kad_put_record(&w, in);
	}
	for (size_t i = 0; i < in->n_closer; i++) {
		lp2p_pb_sizer_init(&s);
		kad_put_peer(&s, &in->closer[i]);
		lp2p_pb_put_len_header(&w, KAD_F_CLOSER, s.len);
		kad_put_peer(&w, &in->closer[i]);
	}
	return lp2p_pb_writer_finish(&w);
}

/* ---------------- gossipsub (proto/rpc.proto) ---------------- */

enum { RPC_F_SUBS = 1, RPC_F_PUBLISH = 2, RPC_F_CONTROL = 3 };
enum { SUB_F_SUBSCRIBE = 1, SUB_F_TOPIC = 2 };
enum { MSG_F_FROM = 1, MSG_F_DATA = 2, MSG_F_SEQNO = 3, MSG_F_TOPIC = 4,
       MSG_F_SIGNATURE = 5, MSG_F_KEY = 6 };
enum { CTL_F_IHAVE = 1, CTL_F_IWANT = 2, CTL_F_GRAFT = 3, CTL_F_PRUNE = 4,
       CTL_F_IDONTWANT = 5 };
/* IHAVE, GRAFT, PRUNE: topicID = 1; IHAVE messageIDs = 2; IWANT and
 * IDONTWANT messageIDs = 1; PRUNE peers = 2, backoff = 3. */
enum { CTL_TOPIC = 1, IHAVE_IDS = 2, IWANT_IDS = 1, PRUNE_PEERS = 2,
       PRUNE_BACKOFF = 3, PI_PEER_ID = 1, PI_RECORD = 2 };

#define GS_MAX_SUBS 128
#define GS_MAX_PUBLISH 64
/* ControlMessage has only repeated fields: repeated control fields merge
 * by concatenation, so each body is kept (go-libp2p sends one). */
#define GS_MAX_CONTROL 4

struct gs_sub {
	bool subscribe;
	struct bview topic;
};

struct gs_message {
	struct bview from, data, seqno, topic, signature, key;
};

struct gs_rpc {
	struct gs_sub subs[GS_MAX_SUBS];
	size_t n_subs;
	struct gs_message publish[GS_MAX_PUBLISH];
	size_t n_publish;
	struct bview control[GS_MAX_CONTROL]; /* walked when used */
	size_t n_control;
	size_t n_ihave, n_iwant, n_graft, n_prune, n_idontwant;
	size_t dropped;
};

size_t inh_gs_rpc_size(void)
{
	return sizeof(struct gs_rpc);
}

/* Check every field of a message body against its wire type; `len_mask`
 * has bit n set for LEN fields n, `varint_mask` for VARINT fields. */
static int check_fields(struct bview b, uint32_t len_mask, uint32_t varint_mask)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;

	lp2p_pb_reader_init(&r, b.data, b.len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		if (f.number >= 32)
			continue;
		uint32_t bit = UINT32_C(1) << f.number;
		if ((len_mask & bit) && f.wire != LP2P_PB_LEN)
			return LP2P_EPROTO;
		if ((varint_mask & bit) && f.wire != LP2P_PB_VARINT)
			return LP2P_EPROTO;
	}
	return rc;
}

static int gs_prune_check(struct bview b)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;

	if (check_fields(b, 1u << CTL_TOPIC | 1u << PRUNE_PEERS,
	                 1u << PRUNE_BACKOFF) < 0)
		return LP2P_EPROTO;
	lp2p_pb_reader_init(&r, b.data, b.len);
	while ((rc = lp2p_pb_next_of(&r, PRUNE_PEERS, LP2P_PB_LEN, &f)) == 1)
		if (check_fields(view_of(&f), 1u << PI_PEER_ID | 1u << PI_RECORD,
		                 0) < 0)
			return LP2P_EPROTO;
	return rc;
}

static int gs_control_check(struct gs_rpc *m, struct bview b)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;

	lp2p_pb_reader_init(&r, b.data, b.len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		if (f.number < CTL_F_IHAVE || f.number > CTL_F_IDONTWANT)
			continue;
		if (f.wire != LP2P_PB_LEN)
			return LP2P_EPROTO;
		struct bview v = view_of(&f);
		switch (f.number) {
		case CTL_F_IHAVE:
			rc = check_fields(v, 1u << CTL_TOPIC | 1u << IHAVE_IDS, 0);
			m->n_ihave++;
			break;
		case CTL_F_IWANT:
			rc = check_fields(v, 1u << IWANT_IDS, 0);
			m->n_iwant++;
			break;
		case CTL_F_GRAFT:
			rc = check_fields(v, 1u << CTL_TOPIC, 0);
			m->n_graft++;
			break;
		case CTL_F_PRUNE:
			rc = gs_prune_check(v);
			m->n_prune++;
			break;
		case CTL_F_IDONTWANT:
			rc = check_fields(v, 1u << IWANT_IDS, 0);
			m->n_idontwant++;
			break;
		}
		if (rc < 0)
			return LP2P_EPROTO;
	}
	return rc;
}

static int gs_message_decode(const struct lp2p_pb_field *mf,
                             struct gs_message *m)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	bool has_topic = false;
	int rc;

	memset(m, 0, sizeof *m);
	lp2p_pb_reader_init(&r, mf->data, mf->len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		struct bview *v;
		switch (f.number) {
		case MSG_F_FROM: v = &m->from; break;
		case MSG_F_DATA: v = &m->data; break;
		case MSG_F_SEQNO: v = &m->seqno; break;
		case MSG_F_TOPIC: v = &m->topic; has_topic = true; break;
		case MSG_F_SIGNATURE: v = &m->signature; break;
		case MSG_F_KEY: v = &m->key; break;
		default: continue;
		}
		if (f.wire != LP2P_PB_LEN)
			return LP2P_EPROTO;
		*v = view_of(&f);
	}
	if (rc < 0 || !has_topic) /* topic is required */
		return LP2P_EPROTO;
	return 0;
}

static int gs_rpc_decode(const uint8_t *buf, size_t len, struct gs_rpc *m)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	int rc;

	m->n_subs = m->n_publish = m->n_control = m->dropped = 0;
	m->n_ihave = m->n_iwant = m->n_graft = m->n_prune = 0;
	m->n_idontwant = 0;
	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		if (f.number < RPC_F_SUBS || f.number > RPC_F_CONTROL)
			continue;
		if (f.wire != LP2P_PB_LEN)
			return LP2P_EPROTO;
		switch (f.number) {
		case RPC_F_SUBS: {
			struct gs_sub s = {false, {NULL, 0}};
			struct lp2p_pb_reader sr;
			struct lp2p_pb_field sf;
			lp2p_pb_reader_init(&sr, f.data, f.len);
			while ((rc = lp2p_pb_next(&sr, &sf)) == 1) {
				if (sf.number == SUB_F_SUBSCRIBE) {
					if (sf.wire != LP2P_PB_VARINT)
						return LP2P_EPROTO;
					s.subscribe = sf.u64 != 0;
				} else if (sf.number == SUB_F_TOPIC) {
					if (sf.wire != LP2P_PB_LEN)
						return LP2P_EPROTO;
					s.topic = view_of(&sf);
				}
			}
			if (rc < 0)
				return LP2P_EPROTO;
			if (m->n_subs < GS_MAX_SUBS)
				m->subs[m->n_subs++] = s;
			else
				m->dropped++;
			break;
		}
		case RPC_F_PUBLISH: {
			struct gs_message tmp, *p = &tmp;
			if (m->n_publish < GS_MAX_PUBLISH)
				p = &m->publish[m->n_publish];
			if (gs_message_decode(&f, p) < 0)
				return LP2P_EPROTO;
			if (p == &tmp)
				m->dropped++;
			else
				m->n_publish++;
			break;
		}
		case RPC_F_CONTROL:
			if (gs_control_check(m, view_of(&f)) < 0)
				return LP2P_EPROTO;
			if (m->n_control < GS_MAX_CONTROL)
				m->control[m->n_control++] = view_of(&f);
			else
				m->dropped++;
			break;
		}
	}
	return rc < 0 ? LP2P_EPROTO : 0;
}

/*
 * A control entry (kind: CTL_F_*) in one pass, fields in the order they
 * came: the topic, the message ids, PRUNE's peers, then PRUNE's backoff.
 * Every implementation writes an entry in field order with its topic,
 * which is the order protobuf-c's struct is read in.
 */
static uint64_t visit_entry(uint64_t d, struct bview b, uint32_t kind)
{
	uint32_t ids = kind == CTL_F_IHAVE ? IHAVE_IDS
	               : kind == CTL_F_IWANT || kind == CTL_F_IDONTWANT
	                   ? IWANT_IDS
	                   : 0;
	bool has_topic = ids != IWANT_IDS;
	uint64_t backoff = 0;
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;

	lp2p_pb_reader_init(&r, b.data, b.len);
	while (lp2p_pb_next(&r, &f) == 1) {
		if (f.number == ids) {
			d = digest_bytes(d, f.data, f.len);
		} else if (has_topic && f.number == CTL_TOPIC) {
			d = digest_bytes(d, f.data, f.len);
		} else if (kind == CTL_F_PRUNE && f.number == PRUNE_PEERS) {
			struct lp2p_pb_reader pr;
			struct lp2p_pb_field pf;
			struct bview id = {NULL, 0}, rec = {NULL, 0};
			lp2p_pb_reader_init(&pr, f.data, f.len);
			while (lp2p_pb_next(&pr, &pf) == 1) {
				if (pf.number == PI_PEER_ID)
					id = view_of(&pf);
				else if (pf.number == PI_RECORD)
					rec = view_of(&pf);
			}
			d = digest_bytes(d, id.data, id.len);
			d = digest_bytes(d, rec.data, rec.len);
		} else if (kind == CTL_F_PRUNE && f.number == PRUNE_BACKOFF) {
			backoff = f.u64;
		}
	}
	return kind == CTL_F_PRUNE ? digest_add(d, backoff) : d;
}

/* What a gossipsub router reads of a decoded RPC. */
static uint64_t gs_visit(const struct gs_rpc *m)
{
	uint64_t d = DIGEST_INIT;
	for (size_t i = 0; i < m->n_subs; i++) {
		d = digest_add(d, m->subs[i].subscribe);
		d = digest_bytes(d, m->subs[i].topic.data, m->subs[i].topic.len);
	}
	for (size_t i = 0; i < m->n_publish; i++) {
		const struct gs_message *p = &m->publish[i];
		d = digest_bytes(d, p->from.data, p->from.len);
		d = digest_bytes(d, p->data.data, p->data.len);
		d = digest_bytes(d, p->seqno.data, p->seqno.len);
		d = digest_bytes(d, p->topic.data, p->topic.len);
		d = digest_bytes(d, p->signature.data, p->signature.len);
		d = digest_bytes(d, p->key.data, p->key.len);
	}
	/* Control entries in the order they came (protobuf-c's arrays hold
	 * them kind by kind: the same order for an RPC written in field
	 * order, as every implementation writes it). */
	for (size_t c = 0; c < m->n_control; c++) {
		struct lp2p_pb_reader r;
		struct lp2p_pb_field f;
		lp2p_pb_reader_init(&r, m->control[c].data, m->control[c].len);
		while (lp2p_pb_next(&r, &f) == 1)
			if (f.number >= CTL_F_IHAVE && f.number <= CTL_F_IDONTWANT)
				d = visit_entry(d, view_of(&f), f.number);
	}
	return d;
}

int inh_gs_decode(const uint8_t *buf, size_t len, uint64_t *digest)
{
	/* Static: 9 KiB is more than a decode should put on the stack; a
	 * plugin keeps one per host (the swarm thread is the only user). */
	static struct gs_rpc m;
	int rc = gs_rpc_decode(buf, len, &m);
	if (rc < 0)
		return rc;
	*digest = gs_visit(&m);
	return 0;
}

static void gs_put_message(struct lp2p_pb_writer *w, const struct gs_msg_in *m)
{
	if (m->from.len)
		lp2p_pb_put_bytes(w, MSG_F_FROM, m->from.data, m->from.len);
	lp2p_pb_put_bytes(w, MSG_F_DATA, m->data.data, m->data.len);
	if (m->seqno.len)
		lp2p_pb_put_bytes(w, MSG_F_SEQNO, m->seqno.data, m->seqno.len);
	lp2p_pb_put_string(w, MSG_F_TOPIC, m->topic);
	if (m->signature.len)
		lp2p_pb_put_bytes(w, MSG_F_SIGNATURE, m->signature.data,
		                  m->signature.len);
	if (m->key.len)
		lp2p_pb_put_bytes(w, MSG_F_KEY, m->key.data, m->key.len);
}

static void gs_put_ihave(struct lp2p_pb_writer *w, const struct gs_in *in)
{
	lp2p_pb_put_string(w, CTL_TOPIC, in->ihave_topic);
	for (size_t i = 0; i < in->n_ihave_ids; i++)
		lp2p_pb_put_bytes(w, IHAVE_IDS, in->ihave_ids[i].data,
		                  in->ihave_ids[i].len);
}

static void gs_put_peer_info(struct lp2p_pb_writer *w, struct bview id,
                             struct bview rec)
{
	lp2p_pb_put_bytes(w, PI_PEER_ID, id.data, id.len);
	if (rec.len)
		lp2p_pb_put_bytes(w, PI_RECORD, rec.data, rec.len);
}

static void gs_put_prune(struct lp2p_pb_writer *w, const struct gs_in *in)
{
	struct lp2p_pb_writer s;
	lp2p_pb_put_string(w, CTL_TOPIC, in->prune_topic);
	for (size_t i = 0; i < in->n_prune_peers; i++) {
		lp2p_pb_sizer_init(&s);
		gs_put_peer_info(&s, in->prune_peers[i], in->prune_records[i]);
		lp2p_pb_put_len_header(w, PRUNE_PEERS, s.len);
		gs_put_peer_info(w, in->prune_peers[i], in->prune_records[i]);
	}
	lp2p_pb_put_varint(w, PRUNE_BACKOFF, in->prune_backoff);
}

static void gs_put_control(struct lp2p_pb_writer *w, const struct gs_in *in)
{
	struct lp2p_pb_writer s;
	if (in->ihave_topic) {
		lp2p_pb_sizer_init(&s);
		gs_put_ihave(&s, in);
		lp2p_pb_put_len_header(w, CTL_F_IHAVE, s.len);
		gs_put_ihave(w, in);
	}
	if (in->graft_topic)
		lp2p_pb_put_len_header(w, CTL_F_GRAFT,
		                       lp2p_pb_bytes_field_len(
		                           CTL_TOPIC, strlen(in->graft_topic)));
	if (in->graft_topic)
		lp2p_pb_put_string(w, CTL_TOPIC, in->graft_topic);
	if (in->prune_topic) {
		lp2p_pb_sizer_init(&s);
		gs_put_prune(&s, in);
		lp2p_pb_put_len_header(w, CTL_F_PRUNE, s.len);
		gs_put_prune(w, in);
	}
}

int inh_gs_encode(const struct gs_in *in, uint8_t *buf, size_t cap)
{
	struct lp2p_pb_writer w, s;
	lp2p_pb_writer_init(&w, buf, cap);
	if (in->sub_topic) {
		size_t t = lp2p_pb_bytes_field_len(SUB_F_TOPIC,
		                                   strlen(in->sub_topic));
		lp2p_pb_put_len_header(&w, RPC_F_SUBS, 2 + t);
		lp2p_pb_put_varint(&w, SUB_F_SUBSCRIBE, 1);
		lp2p_pb_put_string(&w, SUB_F_TOPIC, in->sub_topic);
	}
	for (size_t i = 0; i < in->n_msgs; i++) {
		lp2p_pb_sizer_init(&s);
		gs_put_message(&s, &in->msgs[i]);
		lp2p_pb_put_len_header(&w, RPC_F_PUBLISH, s.len);
		gs_put_message(&w, &in->msgs[i]);
	}
	lp2p_pb_sizer_init(&s);
	gs_put_control(&s, in);
	if (s.len) {
		lp2p_pb_put_len_header(&w, RPC_F_CONTROL, s.len);
		gs_put_control(&w, in);
	}
	return lp2p_pb_writer_finish(&w);
}
