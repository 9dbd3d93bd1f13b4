/*
 * pb-protobufc.c - the Kademlia message and the gossipsub RPC with
 * protobuf-c, on the code protoc-c generates from proto/kad.proto and
 * proto/rpc.proto at build time.  Every allocation goes through a
 * ProtobufCAllocator that counts it (and can refuse it past a limit), and
 * one that charges a resource scope the way a plugin would charge its
 * stream's (lp2p_stream_reserve_memory).
 */
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "kad.pb-c.h"
#include "rpc.pb-c.h"
#include "protobuf-bench.h"

/* ---------------- allocators ---------------- */

/* Each block carries its size in front, so that frees can be counted. */
#define HDR 16

void pbc_alloc_reset(struct count_alloc *a, size_t limit)
{
	memset(a, 0, sizeof *a);
	a->limit = limit;
}

static void *count_alloc_fn(void *data, size_t size)
{
	struct count_alloc *a = data;
	if (size > a->limit || a->cur > a->limit - size) {
		a->refused++;
		return NULL;
	}
	unsigned char *p = malloc(HDR + size);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof size);
	a->allocs++;
	a->cur += size;
	if (a->cur > a->peak)
		a->peak = a->cur;
	return p + HDR;
}

static void count_free_fn(void *data, void *ptr)
{
	struct count_alloc *a = data;
	if (!ptr)
		return;
	unsigned char *p = (unsigned char *)ptr - HDR;
	size_t size;
	memcpy(&size, p, sizeof size);
	a->frees++;
	a->cur -= size;
	free(p);
}

/*
 * A plugin's allocator: each block is reserved against the stream's
 * scope before malloc and released after free, so a message that would
 * take more than the stream, connection, peer, protocol, plugin or system
 * may hold fails to decode (protobuf-c then frees what it had built).  In
 * a plugin, scope_reserve / scope_release are
 *     lp2p_stream_reserve_memory(stream, n) / lp2p_stream_release_memory
 * with the stream as allocator_data; here a stand-in scope with one
 * memory limit lets the bench run without a host.
 */
struct scope {
	size_t limit, used, peak;
};

static int scope_reserve(struct scope *s, size_t n)
{
	if (n > s->limit - s->used)
		return -1; /* LP2P_ELIMIT */
	s->used += n;
	if (s->used > s->peak)
		s->peak = s->used;
	return 0;
}

static void scope_release(struct scope *s, size_t n)
{
	s->used -= n;
}

static void *scope_alloc_fn(void *data, size_t size)
{
	struct scope *s = data;
	/* malloc's own header counts too: charge what the block costs. */
	if (size > SIZE_MAX - HDR || scope_reserve(s, HDR + size) != 0)
		return NULL;
	unsigned char *p = malloc(HDR + size);
	if (!p) {
		scope_release(s, HDR + size);
		return NULL;
	}
	memcpy(p, &size, sizeof size);
	return p + HDR;
}

static void scope_free_fn(void *data, void *ptr)
{
	if (!ptr)
		return;
	unsigned char *p = (unsigned char *)ptr - HDR;
	size_t size;
	memcpy(&size, p, sizeof size);
	free(p);
	scope_release(data, HDR + size);
}

/* ---------------- Kademlia ---------------- */

static ProtobufCBinaryData bin(struct bview v)
{
	return (ProtobufCBinaryData){v.len, (uint8_t *)(uintptr_t)v.data};
}

int pbc_kad_encode(const struct kad_in *in, uint8_t *buf, size_t cap)
{
	Lp2p__Kad__Message m = LP2P__KAD__MESSAGE__INIT;
	Lp2p__Kad__Record rec = LP2P__KAD__RECORD__INIT;
	Lp2p__Kad__Message__Peer peers[32], *pp[32];
	ProtobufCBinaryData addrs[32][4];

	if (in->n_closer > 32)
		return -1;
	m.has_type = 1;
	m.type = (Lp2p__Kad__Message__MessageType)in->type;
	if (in->key.len) {
		m.has_key = 1;
		m.key = bin(in->key);
	}
	if (in->has_record) {
		rec.has_key = rec.has_value = 1;
		rec.key = bin(in->rec_key);
		rec.value = bin(in->rec_value);
		rec.timereceived = (char *)(uintptr_t)in->time_received;
		m.record = &rec;
	}
	for (size_t i = 0; i < in->n_closer; i++) {
		const struct kad_peer_in *p = &in->closer[i];
		lp2p__kad__message__peer__init(&peers[i]);
		peers[i].has_id = 1;
		peers[i].id = bin(p->id);
		for (size_t j = 0; j < p->n_addrs; j++)
			addrs[i][j] = bin(p->addrs[j]);
		peers[i].n_addrs = p->n_addrs;
		peers[i].addrs = addrs[i];
		if (p->connection) {
			peers[i].has_connection = 1;
			peers[i].connection =
			    (Lp2p__Kad__Message__ConnectionType)p->connection;
		}
		pp[i] = &peers[i];
	}
	m.n_closerpeers = in->n_closer;
	m.closerpeers = pp;
	size_t n = lp2p__kad__message__get_packed_size(&m);
	if (n > cap)
		return -1;
	return (int)lp2p__kad__message__pack(&m, buf);
}

static uint64_t pbc_bytes(uint64_t d, ProtobufCBinaryData b)
{
	return digest_bytes(d, b.data, b.len);
}

static uint64_t pbc_str(uint64_t d, const char *s)
{
	return digest_bytes(d, (const uint8_t *)s, s ? strlen(s) : 0);
}

int pbc_kad_decode(const uint8_t *buf, size_t len, struct count_alloc *a,
                   uint64_t *digest)
{
	ProtobufCAllocator al = {count_alloc_fn, count_free_fn, a};
	Lp2p__Kad__Message *m = lp2p__kad__message__unpack(&al, len, buf);
	if (!m)
		return -1;
	uint64_t d = DIGEST_INIT;
	d = digest_add(d, (uint64_t)m->type);
	d = pbc_bytes(d, m->key);
	if (m->record) {
		d = pbc_bytes(d, m->record->key);
		d = pbc_bytes(d, m->record->value);
		d = pbc_str(d, m->record->timereceived);
	}
	for (size_t i = 0; i < m->n_closerpeers; i++) {
		const Lp2p__Kad__Message__Peer *p = m->closerpeers[i];
		d = pbc_bytes(d, p->id);
		d = digest_add(d, p->n_addrs);
		for (size_t j = 0; j < p->n_addrs; j++)
			d = pbc_bytes(d, p->addrs[j]);
		d = digest_add(d, (uint64_t)p->connection);
	}
	*digest = digest_add(d, m->n_providerpeers);
	lp2p__kad__message__free_unpacked(m, &al);
	return 0;
}

/* ---------------- gossipsub ---------------- */

int pbc_gs_encode(const struct gs_in *in, uint8_t *buf, size_t cap)
{
	Lp2p__Pubsub__RPC rpc = LP2P__PUBSUB__RPC__INIT;
	Lp2p__Pubsub__RPC__SubOpts sub = LP2P__PUBSUB__RPC__SUB_OPTS__INIT;
	Lp2p__Pubsub__RPC__SubOpts *subs[1] = {&sub};
	Lp2p__Pubsub__Message msgs[8], *pm[8];
	Lp2p__Pubsub__ControlMessage ctl = LP2P__PUBSUB__CONTROL_MESSAGE__INIT;
	Lp2p__Pubsub__ControlIHave ihave = LP2P__PUBSUB__CONTROL_IHAVE__INIT;
	Lp2p__Pubsub__ControlIHave *pih[1] = {&ihave};
	Lp2p__Pubsub__ControlGraft graft = LP2P__PUBSUB__CONTROL_GRAFT__INIT;
	Lp2p__Pubsub__ControlGraft *pg[1] = {&graft};
	Lp2p__Pubsub__ControlPrune prune = LP2P__PUBSUB__CONTROL_PRUNE__INIT;
	Lp2p__Pubsub__ControlPrune *ppr[1] = {&prune};
	Lp2p__Pubsub__PeerInfo pinfo[8], *ppi[8];
	ProtobufCBinaryData ids[256];

	if (in->n_msgs > 8 || in->n_ihave_ids > 256 || in->n_prune_peers > 8)
		return -1;
	if (in->sub_topic) {
		sub.has_subscribe = 1;
		sub.subscribe = 1;
		sub.topicid = (char *)(uintptr_t)in->sub_topic;
		rpc.n_subscriptions = 1;
		rpc.subscriptions = subs;
	}
	for (size_t i = 0; i < in->n_msgs; i++) {
		const struct gs_msg_in *g = &in->msgs[i];
		Lp2p__Pubsub__Message *p = &msgs[i];
		lp2p__pubsub__message__init(p);
		p->has_from = g->from.len != 0;
		p->from = bin(g->from);
		p->has_data = 1;
		p->data = bin(g->data);
		p->has_seqno = g->seqno.len != 0;
		p->seqno = bin(g->seqno);
		p->topic = (char *)(uintptr_t)g->topic;
		p->has_signature = g->signature.len != 0;
		p->signature = bin(g->signature);
		p->has_key = g->key.len != 0;
		p->key = bin(g->key);
		pm[i] = p;
	}
	rpc.n_publish = in->n_msgs;
	rpc.publish = pm;
	if (in->ihave_topic) {
		ihave.topicid = (char *)(uintptr_t)in->ihave_topic;
		for (size_t i = 0; i < in->n_ihave_ids; i++)
			ids[i] = bin(in->ihave_ids[i]);
		ihave.n_messageids = in->n_ihave_ids;
		ihave.messageids = ids;
		ctl.n_ihave = 1;
		ctl.ihave = pih;
	}
	if (in->graft_topic) {
		graft.topicid = (char *)(uintptr_t)in->graft_topic;
		ctl.n_graft = 1;
		ctl.graft = pg;
	}
	if (in->prune_topic) {
		prune.topicid = (char *)(uintptr_t)in->prune_topic;
		for (size_t i = 0; i < in->n_prune_peers; i++) {
			lp2p__pubsub__peer_info__init(&pinfo[i]);
			pinfo[i].has_peerid = 1;
			pinfo[i].peerid = bin(in->prune_peers[i]);
			pinfo[i].has_signedpeerrecord =
			    in->prune_records[i].len != 0;
			pinfo[i].signedpeerrecord = bin(in->prune_records[i]);
			ppi[i] = &pinfo[i];
		}
		prune.n_peers = in->n_prune_peers;
		prune.peers = ppi;
		prune.has_backoff = 1;
		prune.backoff = in->prune_backoff;
		ctl.n_prune = 1;
		ctl.prune = ppr;
	}
	if (ctl.n_ihave || ctl.n_graft || ctl.n_prune)
		rpc.control = &ctl;
	size_t n = lp2p__pubsub__rpc__get_packed_size(&rpc);
	if (n > cap)
		return -1;
	return (int)lp2p__pubsub__rpc__pack(&rpc, buf);
}

static uint64_t visit_ids(uint64_t d, size_t n, const ProtobufCBinaryData *ids)
{
	for (size_t i = 0; i < n; i++)
		d = pbc_bytes(d, ids[i]);
	return d;
}

static uint64_t gs_visit(const Lp2p__Pubsub__RPC *m)
{
	uint64_t d = DIGEST_INIT;
	for (size_t i = 0; i < m->n_subscriptions; i++) {
		d = digest_add(d, (uint64_t)m->subscriptions[i]->subscribe);
		d = pbc_str(d, m->subscriptions[i]->topicid);
	}
	for (size_t i = 0; i < m->n_publish; i++) {
		const Lp2p__Pubsub__Message *p = m->publish[i];
		d = pbc_bytes(d, p->from);
		d = pbc_bytes(d, p->data);
		d = pbc_bytes(d, p->seqno);
		d = pbc_str(d, p->topic);
		d = pbc_bytes(d, p->signature);
		d = pbc_bytes(d, p->key);
	}
	const Lp2p__Pubsub__ControlMessage *c = m->control;
	if (!c)
		return d;
	for (size_t i = 0; i < c->n_ihave; i++) {
		d = pbc_str(d, c->ihave[i]->topicid);
		d = visit_ids(d, c->ihave[i]->n_messageids,
		              c->ihave[i]->messageids);
	}
	for (size_t i = 0; i < c->n_iwant; i++)
		d = visit_ids(d, c->iwant[i]->n_messageids,
		              c->iwant[i]->messageids);
	for (size_t i = 0; i < c->n_graft; i++)
		d = pbc_str(d, c->graft[i]->topicid);
	for (size_t i = 0; i < c->n_prune; i++) {
		const Lp2p__Pubsub__ControlPrune *p = c->prune[i];
		d = pbc_str(d, p->topicid);
		for (size_t j = 0; j < p->n_peers; j++) {
			d = pbc_bytes(d, p->peers[j]->peerid);
			d = pbc_bytes(d, p->peers[j]->signedpeerrecord);
		}
		d = digest_add(d, p->backoff);
	}
	for (size_t i = 0; i < c->n_idontwant; i++)
		d = visit_ids(d, c->idontwant[i]->n_messageids,
		              c->idontwant[i]->messageids);
	return d;
}

int pbc_gs_decode(const uint8_t *buf, size_t len, struct count_alloc *a,
                  uint64_t *digest)
{
	ProtobufCAllocator al = {count_alloc_fn, count_free_fn, a};
	Lp2p__Pubsub__RPC *m = lp2p__pubsub__rpc__unpack(&al, len, buf);
	if (!m)
		return -1;
	*digest = gs_visit(m);
	lp2p__pubsub__rpc__free_unpacked(m, &al);
	return 0;
}

int pbc_decode_charged(int which, const uint8_t *buf, size_t len,
                       size_t limit, size_t *peak, size_t *left)
{
	const ProtobufCMessageDescriptor *desc =
	    which ? &lp2p__pubsub__rpc__descriptor
	          : &lp2p__kad__message__descriptor;
	struct scope s = {limit, 0, 0};
	ProtobufCAllocator al = {scope_alloc_fn, scope_free_fn, &s};
	ProtobufCMessage *m = protobuf_c_message_unpack(desc, &al, len, buf);
	int rc = m ? 0 : -1;
	if (m)
		protobuf_c_message_free_unpacked(m, &al);
	*peak = s.peak;
	*left = s.used;
	return rc;
}
