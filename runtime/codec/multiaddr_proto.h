/*
 * multiaddr_proto.h - the multiaddr protocol table and the conversion of
 * one component value between its binary and text forms (internal).
 */
#ifndef LP2P_CODEC_MULTIADDR_PROTO_H
#define LP2P_CODEC_MULTIADDR_PROTO_H

#include <lp2p/multiaddr.h>

/* How a protocol's value is encoded. */
enum lp2p_ma_kind {
	LP2P_MA_KIND_NONE,     /* no value */
	LP2P_MA_KIND_IP4,      /* 4 bytes */
	LP2P_MA_KIND_IP6,      /* 16 bytes */
	LP2P_MA_KIND_PORT,     /* 2 bytes big endian, decimal text */
	LP2P_MA_KIND_U8,       /* 1 byte, decimal text */
	LP2P_MA_KIND_U64,      /* 8 bytes big endian, decimal text */
	LP2P_MA_KIND_NAME,     /* text of 1..255 bytes without '/' */
	LP2P_MA_KIND_PATH,     /* text starting with '/': rest of the address */
	LP2P_MA_KIND_PEER_ID,  /* multihash; base58btc (or CIDv1) text */
	LP2P_MA_KIND_MULTIHASH, /* multihash; multibase text */
};

struct lp2p_ma_proto {
	uint64_t code;
	const char *name;
	int size; /* value length in bytes, or -1 for varint-prefixed */
	enum lp2p_ma_kind kind;
};

/* The protocol with this code or name (len bytes, not NUL-terminated). */
const struct lp2p_ma_proto *lp2p_ma_proto_by_code(uint64_t code);
const struct lp2p_ma_proto *lp2p_ma_proto_by_name(const char *name,
						  size_t len);

/* 0 if v[0..len) is a valid value for p, else LP2P_EPROTO. */
int lp2p_ma_value_check(const struct lp2p_ma_proto *p, const uint8_t *v,
			size_t len);

/* Text of a valid value into out (NUL-terminated): length or error. */
int lp2p_ma_value_to_text(const struct lp2p_ma_proto *p, const uint8_t *v,
			  size_t len, char *out, size_t cap);

/*
 * Binary value of the text s[0..slen) into out (capacity cap): its length,
 * LP2P_EPROTO for a bad value, LP2P_ERANGE if it does not fit.
 */
int lp2p_ma_value_from_text(const struct lp2p_ma_proto *p, const char *s,
			    size_t slen, uint8_t *out, size_t cap);

#endif
