/*
 * protobuf-bench.h - what bench/protobuf-bench measures: the Kademlia
 * message (proto/kad.proto) and the gossipsub RPC (proto/rpc.proto), each
 * encoded and decoded by lp2p's own codec (pb-inhouse.c, written as a
 * plugin would write it) and by protobuf-c (pb-protobufc.c, on code that
 * protoc-c generates at build time).
 *
 * Both sides take the same message contents for encoding (the *_in
 * structs) and, when decoding, visit every field a protocol would use and
 * fold it into a digest, so that their results can be compared.
 */
#ifndef LP2P_PROTOBUF_BENCH_H
#define LP2P_PROTOBUF_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bview {
	const uint8_t *data;
	size_t len;
};

/* ---- contents to encode ---- */

struct kad_peer_in {
	struct bview id;
	struct bview addrs[4];
	size_t n_addrs;
	int connection;
};

struct kad_in {
	int type; /* 0 PUT_VALUE ... 4 FIND_NODE */
	struct bview key;
	bool has_record;
	struct bview rec_key, rec_value;
	const char *time_received;
	const struct kad_peer_in *closer;
	size_t n_closer;
};

struct gs_msg_in {
	struct bview from, data, seqno, signature, key;
	const char *topic;
};

struct gs_in {
	const char *sub_topic; /* one subscription (subscribe = true) */
	const struct gs_msg_in *msgs;
	size_t n_msgs;
	const char *ihave_topic;
	const struct bview *ihave_ids;
	size_t n_ihave_ids;
	const char *graft_topic;
	const char *prune_topic;
	const struct bview *prune_peers; /* PeerInfo.peerID */
	const struct bview *prune_records; /* PeerInfo.signedPeerRecord */
	size_t n_prune_peers;
	uint64_t prune_backoff;
};

/*
 * A digest of what a decoder delivered: every bytes and string field
 * (length and first byte) and every scalar, in message order.
 */
static inline uint64_t digest_add(uint64_t d, uint64_t v)
{
	return (d ^ v) * UINT64_C(0x100000001b3);
}

static inline uint64_t digest_bytes(uint64_t d, const uint8_t *p, size_t len)
{
	d = digest_add(d, len);
	return digest_add(d, len ? p[0] : 0x100);
}

#define DIGEST_INIT UINT64_C(0xcbf29ce484222325)

/* ---- lp2p's codec (pb-inhouse.c) ---- */

/* Encoders: the length written into buf[0..cap), or a negative error. */
int inh_kad_encode(const struct kad_in *in, uint8_t *buf, size_t cap);
int inh_gs_encode(const struct gs_in *in, uint8_t *buf, size_t cap);
/*
 * Decode buf[0..len) and visit every field: 0 and *digest, or a negative
 * error.  Allocates nothing.
 */
int inh_kad_decode(const uint8_t *buf, size_t len, uint64_t *digest);
int inh_gs_decode(const uint8_t *buf, size_t len, uint64_t *digest);
/* The size of the decoded message structs (what a decode needs to hold). */
size_t inh_kad_msg_size(void);
size_t inh_gs_rpc_size(void);

/* ---- protobuf-c (pb-protobufc.c) ---- */

/* Counts what goes through the allocator protobuf-c is given. */
struct count_alloc {
	uint64_t allocs, frees;
	size_t cur, peak;
	size_t limit; /* refuse allocations beyond this many bytes held */
	uint64_t refused;
};

void pbc_alloc_reset(struct count_alloc *a, size_t limit);
int pbc_kad_encode(const struct kad_in *in, uint8_t *buf, size_t cap);
int pbc_gs_encode(const struct gs_in *in, uint8_t *buf, size_t cap);
/* Unpack, visit, free_unpacked, every allocation through *a. */
int pbc_kad_decode(const uint8_t *buf, size_t len, struct count_alloc *a,
                   uint64_t *digest);
int pbc_gs_decode(const uint8_t *buf, size_t len, struct count_alloc *a,
                  uint64_t *digest);

/*
 * Decode with the allocator a plugin would give protobuf-c so that what
 * a decode holds is charged to the stream's resource scope (lp2p_stream_
 * reserve_memory / lp2p_stream_release_memory), shown with a stand-in
 * scope of `limit` bytes.  which: 0 the Kademlia message, 1 the RPC.
 * Returns 0 or -1 (the decode failed, or the scope refused); *peak is the
 * most the scope held, *left what it holds after free_unpacked (or after
 * the failure).
 */
int pbc_decode_charged(int which, const uint8_t *buf, size_t len,
                       size_t limit, size_t *peak, size_t *left);

#endif
