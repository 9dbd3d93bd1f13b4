/*
 * protobuf-bench - lp2p's protobuf codec beside protobuf-c on the messages
 * the next protocols need: a gossipsub RPC and two Kademlia messages.
 *
 *     make bench-protobuf            (from the build directory)
 *     bench/protobuf-bench [-q]      (-q: a short run, as in make check)
 *
 * For each message: both encoders must write the same bytes and both
 * decoders must deliver the same fields (a digest of them); then ns per
 * decode (decode, read every field, and for protobuf-c free_unpacked), ns
 * per encode, and the allocations and peak heap of one decode.  Then
 * hostile inputs: what each codec does, allocates and costs.  Code sizes
 * are printed by `make bench-protobuf` (size(1) on the objects).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protobuf-bench.h"

static int quick;

/* ---------------- the corpus ---------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (uint8_t)rng_state;
	}
}

/* An Ed25519 peer id: identity multihash of the protobuf public key. */
static void peer_id(uint8_t id[38])
{
	static const uint8_t head[6] = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20};
	memcpy(id, head, 6);
	fill(id + 6, 32);
}

#define N_PEERS 20
static uint8_t peer_ids[N_PEERS][38];
static uint8_t addr_bytes[N_PEERS][4][40];
static struct kad_peer_in kad_peers[N_PEERS];
static uint8_t kad_key[38], ipns_key[44], ipns_value[350];

static uint8_t gs_from[38], gs_data[1024], gs_seqno[8], gs_sig[64];
static uint8_t gs_pubkey[36], ids[50][20], px_ids[2][38], px_rec[180];
static struct bview ihave_ids[50], px_peers[2], px_records[2];

static const char *const TOPIC = "/eth2/4a26c58b/beacon_block/ssz_snappy";

/* Multiaddrs in their binary form: ip4/tcp, ip4/udp/quic-v1, ip6/tcp,
 * dns4/tcp. */
static size_t make_addr(uint8_t *a, int kind)
{
	size_t n = 0;
	switch (kind) {
	case 0:
		a[n++] = 0x04;
		fill(a + n, 4), n += 4;
		a[n++] = 0x06, a[n++] = 0x0f, a[n++] = 0xa1;
		break;
	case 1:
		a[n++] = 0x04;
		fill(a + n, 4), n += 4;
		a[n++] = 0x91, a[n++] = 0x02, a[n++] = 0x0f, a[n++] = 0xa1;
		a[n++] = 0xcc, a[n++] = 0x03;
		break;
	case 2:
		a[n++] = 0x29;
		fill(a + n, 16), n += 16;
		a[n++] = 0x06, a[n++] = 0x0f, a[n++] = 0xa1;
		break;
	default: {
		static const char host[] = "node-17.bootstrap.libp2p.io";
		a[n++] = 0x36, a[n++] = (uint8_t)(sizeof host - 1);
		memcpy(a + n, host, sizeof host - 1), n += sizeof host - 1;
		a[n++] = 0x06, a[n++] = 0x0f, a[n++] = 0xa1;
	}
	}
	return n;
}

static struct kad_in kad_find_node, kad_put_value;
static struct gs_msg_in gs_msg;
static struct gs_in gs_rpc;

static void make_corpus(void)
{
	for (size_t i = 0; i < N_PEERS; i++) {
		struct kad_peer_in *p = &kad_peers[i];
		peer_id(peer_ids[i]);
		p->id = (struct bview){peer_ids[i], 38};
		p->n_addrs = 2 + i % 3;
		for (size_t j = 0; j < p->n_addrs; j++)
			p->addrs[j] = (struct bview){
			    addr_bytes[i][j],
			    make_addr(addr_bytes[i][j], (int)((i + j) % 4))};
		p->connection = (int)(i % 3);
	}
	peer_id(kad_key);
	kad_find_node = (struct kad_in){.type = 4,
	                                .key = {kad_key, 38},
	                                .closer = kad_peers,
	                                .n_closer = N_PEERS};

	memcpy(ipns_key, "/ipns/", 6);
	peer_id(ipns_key + 6);
	fill(ipns_value, sizeof ipns_value);
	kad_put_value = (struct kad_in){
	    .type = 0,
	    .key = {ipns_key, sizeof ipns_key},
	    .has_record = true,
	    .rec_key = {ipns_key, sizeof ipns_key},
	    .rec_value = {ipns_value, sizeof ipns_value},
	    .time_received = "2026-12-07T22:00:00.000Z"};

	peer_id(gs_from);
	fill(gs_data, sizeof gs_data);
	fill(gs_seqno, sizeof gs_seqno);
	fill(gs_sig, sizeof gs_sig);
	memcpy(gs_pubkey, gs_from + 2, 36);
	gs_msg = (struct gs_msg_in){.from = {gs_from, 38},
	                            .data = {gs_data, sizeof gs_data},
	                            .seqno = {gs_seqno, 8},
	                            .signature = {gs_sig, 64},
	                            .key = {gs_pubkey, 36},
	                            .topic = TOPIC};
	for (size_t i = 0; i < 50; i++) {
		fill(ids[i], 20);
		ihave_ids[i] = (struct bview){ids[i], 20};
	}
	for (size_t i = 0; i < 2; i++) {
		peer_id(px_ids[i]);
		px_peers[i] = (struct bview){px_ids[i], 38};
	}
	fill(px_rec, sizeof px_rec);
	px_records[0] = (struct bview){px_rec, sizeof px_rec};
	px_records[1] = (struct bview){NULL, 0};
	gs_rpc = (struct gs_in){.sub_topic = TOPIC,
	                        .msgs = &gs_msg,
	                        .n_msgs = 1,
	                        .ihave_topic = TOPIC,
	                        .ihave_ids = ihave_ids,
	                        .n_ihave_ids = 50,
	                        .graft_topic = TOPIC,
	                        .prune_topic = TOPIC,
	                        .prune_peers = px_peers,
	                        .prune_records = px_records,
	                        .n_prune_peers = 2,
	                        .prune_backoff = 60};
}

/* ---------------- timing ---------------- */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

enum op { OP_INH_DECODE, OP_PBC_DECODE, OP_INH_ENCODE, OP_PBC_ENCODE };

struct subject {
	const char *name;
	int which; /* 0 kad, 1 gossipsub */
	const struct kad_in *kad;
	const struct gs_in *gs;
	uint8_t wire[4096];
	size_t len;
};

static volatile uint64_t sink;

static int run_op(struct subject *s, enum op op, uint8_t *out, size_t cap)
{
	uint64_t d = 0;
	struct count_alloc a;
	int rc;
	switch (op) {
	case OP_INH_DECODE:
		rc = s->which ? inh_gs_decode(s->wire, s->len, &d)
		              : inh_kad_decode(s->wire, s->len, &d);
		break;
	case OP_PBC_DECODE:
		pbc_alloc_reset(&a, SIZE_MAX);
		rc = s->which ? pbc_gs_decode(s->wire, s->len, &a, &d)
		              : pbc_kad_decode(s->wire, s->len, &a, &d);
		break;
	case OP_INH_ENCODE:
		rc = s->which ? inh_gs_encode(s->gs, out, cap)
		              : inh_kad_encode(s->kad, out, cap);
		d = out[0];
		break;
	default:
		rc = s->which ? pbc_gs_encode(s->gs, out, cap)
		              : pbc_kad_encode(s->kad, out, cap);
		d = out[0];
		break;
	}
	sink += d;
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median over 7 rounds of ns per call. */
static double measure(struct subject *s, enum op op)
{
	static uint8_t out[4096];
	double rounds[7];
	size_t iters = 1000;

	/* Rounds of at least 50 ms (5 ms with -q). */
	double target = quick ? 5e6 : 5e7;
	for (;;) {
		double t0 = now_ns();
		for (size_t i = 0; i < iters; i++)
			run_op(s, op, out, sizeof out);
		double t = now_ns() - t0;
		if (t >= target)
			break;
		iters *= 2;
	}
	for (int r = 0; r < 7; r++) {
		double t0 = now_ns();
		for (size_t i = 0; i < iters; i++)
			run_op(s, op, out, sizeof out);
		rounds[r] = (now_ns() - t0) / (double)iters;
	}
	qsort(rounds, 7, sizeof rounds[0], cmp_double);
	return rounds[3];
}

static int bench_subject(struct subject *s)
{
	uint8_t other[4096];
	int n = s->which ? inh_gs_encode(s->gs, s->wire, sizeof s->wire)
	                 : inh_kad_encode(s->kad, s->wire, sizeof s->wire);
	int m = s->which ? pbc_gs_encode(s->gs, other, sizeof other)
	                 : pbc_kad_encode(s->kad, other, sizeof other);
	if (n < 0 || m != n || memcmp(s->wire, other, (size_t)n) != 0) {
		fprintf(stderr, "%s: the encoders disagree (%d, %d bytes)\n",
		        s->name, n, m);
		return -1;
	}
	s->len = (size_t)n;

	uint64_t d1 = 0, d2 = 0;
	struct count_alloc a;
	pbc_alloc_reset(&a, SIZE_MAX);
	int r1 = s->which ? inh_gs_decode(s->wire, s->len, &d1)
	                  : inh_kad_decode(s->wire, s->len, &d1);
	int r2 = s->which ? pbc_gs_decode(s->wire, s->len, &a, &d2)
	                  : pbc_kad_decode(s->wire, s->len, &a, &d2);
	if (r1 != 0 || r2 != 0 || d1 != d2 || a.cur != 0) {
		fprintf(stderr, "%s: the decoders disagree\n", s->name);
		return -1;
	}
	double inh_dec = measure(s, OP_INH_DECODE);
	double pbc_dec = measure(s, OP_PBC_DECODE);
	double inh_enc = measure(s, OP_INH_ENCODE);
	double pbc_enc = measure(s, OP_PBC_ENCODE);
	size_t held = s->which ? inh_gs_rpc_size() : inh_kad_msg_size();
	printf("| %s | %zu | %.0f | %.0f | %.1fx | %.0f | %.0f "
	       "| 0 (%zu B struct) | %llu (peak %zu B) |\n",
	       s->name, s->len, inh_dec, pbc_dec, pbc_dec / inh_dec, inh_enc,
	       pbc_enc, held, (unsigned long long)a.allocs, a.peak);
	return 0;
}

/* ---------------- hostile inputs ---------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_varint(struct buf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;
	while (v >= 0x80)
		t[n++] = (uint8_t)(v | 0x80), v >>= 7;
	t[n++] = (uint8_t)v;
	put(b, t, n);
}

static void put_header(struct buf *b, uint32_t number, uint64_t len)
{
	put_varint(b, (uint64_t)number << 3 | 2);
	put_varint(b, len);
}

/* n copies of the 2-byte empty LEN field `number`. */
static void put_empties(struct buf *b, uint32_t number, size_t n)
{
	uint8_t f[2] = {(uint8_t)(number << 3 | 2), 0};
	for (size_t i = 0; i < n; i++)
		put(b, f, 2);
}

static void hostile_row(const char *name, int which, const struct buf *in)
{
	uint64_t d = 0;
	double t0 = now_ns();
	int ri = which ? inh_gs_decode(in->p, in->len, &d)
	               : inh_kad_decode(in->p, in->len, &d);
	double ti = now_ns() - t0;

	struct count_alloc a;
	pbc_alloc_reset(&a, SIZE_MAX);
	t0 = now_ns();
	int rp = which ? pbc_gs_decode(in->p, in->len, &a, &d)
	               : pbc_kad_decode(in->p, in->len, &a, &d);
	double tp = now_ns() - t0;

	/* The stream scope's default limit (lp2pd.yaml: stream memory 8MiB). */
	size_t peak, left;
	t0 = now_ns();
	int rc = pbc_decode_charged(which, in->p, in->len, 8u << 20, &peak,
	                            &left);
	double tc = now_ns() - t0;
	printf("| %s | %zu | %s, 0 allocs, %.2f ms | %s, %llu allocs, "
	       "peak %.1f MiB (%.0fx input), %.2f ms | %s, %.2f ms, left %zu |\n",
	       name, in->len, ri == 0 ? "ok" : "refused", ti / 1e6,
	       rp == 0 ? "ok" : "refused", (unsigned long long)a.allocs,
	       (double)a.peak / (1 << 20),
	       in->len ? (double)a.peak / (double)in->len : 0.0, tp / 1e6,
	       rc == 0 ? "ok" : "refused", tc / 1e6, left);
}

static void hostile(void)
{
	const size_t million = quick ? 10000 : 1000000;
	struct buf b = {0};

	printf("\n| hostile input | bytes | lp2p codec | protobuf-c | "
	       "protobuf-c charged to an 8 MiB scope |\n"
	       "| --- | ---: | --- | --- | --- |\n");

	/* A publish whose length claims 2^31 bytes, 16 bytes present. */
	b.len = 0;
	put_header(&b, 2, UINT64_C(1) << 31);
	put(&b, "0123456789abcdef", 16);
	hostile_row("RPC.publish length 2^31", 1, &b);

	b.len = 0;
	put_header(&b, 8, (UINT64_C(1) << 31) - 1);
	put(&b, "0123456789abcdef", 16);
	hostile_row("kad closerPeers length 2^31-1", 0, &b);

	/* 10^6 empty message ids in one IHAVE. */
	char name[80];
	const char *many = quick ? "10^4" : "10^6";
	b.len = 0;
	{
		uint64_t ihave = 2 * (uint64_t)million;
		struct buf t = {0};
		put_header(&t, 1, ihave);
		put_header(&b, 3, t.len + ihave);
		put(&b, t.p, t.len);
		put_empties(&b, 2, million);
		free(t.p);
	}
	snprintf(name, sizeof name, "%s empty IHAVE messageIDs", many);
	hostile_row(name, 1, &b);

	b.len = 0;
	put_empties(&b, 8, million);
	snprintf(name, sizeof name, "%s empty kad closerPeers", many);
	hostile_row(name, 0, &b);

	b.len = 0;
	put_empties(&b, 1, million);
	snprintf(name, sizeof name, "%s empty RPC subscriptions", many);
	hostile_row(name, 1, &b);

	b.len = 0;
	put_empties(&b, 15, million);
	snprintf(name, sizeof name, "%s unknown fields (RPC)", many);
	hostile_row(name, 1, &b);

	/*
	 * The deepest the schema goes (RPC > control > prune > peers), and
	 * below it an unknown field nested 10^5 levels deep (no decoder
	 * parses an unknown field's contents: depth is bounded by the
	 * schema in both).
	 */
	{
		struct buf in = {0}, out = {0};
		size_t levels = quick ? 1000 : 100000;
		/* lens[k]: the contents of the field k levels above the
		 * innermost; written outermost first. */
		size_t *lens = malloc((levels + 1) * sizeof *lens);
		if (!lens)
			abort();
		lens[0] = 0;
		for (size_t k = 0; k < levels; k++) {
			struct buf t = {0};
			put_header(&t, 3, lens[k]);
			lens[k + 1] = lens[k] + t.len;
			free(t.p);
		}
		for (size_t k = levels; k-- > 0;)
			put_header(&in, 3, lens[k]);
		free(lens);
		static const uint32_t path[] = {2, 4, 3}; /* peers, prune, control */
		for (size_t i = 0; i < 3; i++) {
			out.len = 0;
			put_header(&out, path[i], in.len);
			put(&out, in.p, in.len);
			struct buf t = in;
			in = out;
			out = t;
		}
		snprintf(name, sizeof name, "nesting %zu deep under PeerInfo",
		         levels);
		hostile_row(name, 1, &in);
		free(in.p);
		free(out.p);
	}

	/*
	 * The singular `control` field repeated: protobuf merges repeated
	 * occurrences of a message field, and protobuf-c concatenates the
	 * repeated fields at each merge (a new array and a copy each time).
	 */
	/* 262144 x 4 bytes: 1 MiB, gossipsub's usual largest RPC. */
	static const size_t merges[] = {1000, 10000, 30000, 60000, 100000,
	                                130000, 262144};
	for (size_t k = 0; k < sizeof merges / sizeof merges[0]; k++) {
		if (quick && merges[k] > 1000)
			break;
		static const uint8_t ctl_graft[4] = {0x1a, 0x02, 0x1a, 0x00};
		b.len = 0;
		for (size_t i = 0; i < merges[k]; i++)
			put(&b, ctl_graft, sizeof ctl_graft);
		snprintf(name, sizeof name, "RPC.control repeated %zu times",
		         merges[k]);
		hostile_row(name, 1, &b);
	}
	free(b.p);
}

int main(int argc, char **argv)
{
	quick = argc > 1 && strcmp(argv[1], "-q") == 0;
	make_corpus();

	static struct subject subjects[] = {
	    {.name = "gossipsub RPC", .which = 1, .gs = &gs_rpc},
	    {.name = "kad FIND_NODE response", .which = 0,
	     .kad = &kad_find_node},
	    {.name = "kad PUT_VALUE", .which = 0, .kad = &kad_put_value},
	};
	printf("| message | bytes | lp2p decode ns | protobuf-c decode ns | "
	       "ratio | lp2p encode ns | protobuf-c encode ns | "
	       "lp2p allocs/decode | protobuf-c allocs/decode |\n"
	       "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n");
	for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++)
		if (bench_subject(&subjects[i]) != 0)
			return 1;
	hostile();
	return 0;
}
