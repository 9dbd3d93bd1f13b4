/*
 * lp2p/protobuf.h - the protobuf wire format, small enough to read whole:
 * a reader that walks fields of a buffer without allocating (length-
 * delimited fields are views into that buffer) and a writer that appends
 * to a caller-provided buffer.  Used by the runtime (keys, Noise payloads)
 * and by plugins (identify, kad-dht, ...).  Pure: no allocation, no I/O.
 */
#ifndef LP2P_PROTOBUF_H
#define LP2P_PROTOBUF_H

#include <lp2p/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum lp2p_pb_wire {
	LP2P_PB_VARINT = 0,
	LP2P_PB_I64 = 1,
	LP2P_PB_LEN = 2,
	LP2P_PB_I32 = 5,
};

struct lp2p_pb_reader {
	const uint8_t *p;   /* next byte */
	const uint8_t *end; /* one past the last byte */
};

struct lp2p_pb_field {
	uint32_t number;
	enum lp2p_pb_wire wire;
	uint64_t u64;          /* VARINT, I64 and I32 values */
	const uint8_t *data;   /* LEN: points into the reader's buffer */
	size_t len;            /* LEN: byte count */
};

/* Start reading buf[0..len); buf must outlive the reader. */
LP2P_API void lp2p_pb_reader_init(struct lp2p_pb_reader *r,
                                  const uint8_t *buf, size_t len);

/*
 * Read the next field.  Returns 1 when a field was read into *f, 0 at the
 * end of the buffer, LP2P_EPROTO for a malformed field (bad tag, field
 * number 0, group wire types, length past the end, truncated varint or
 * fixed value).  Protobuf varints here may be up to 10 bytes (they need not
 * be minimal).  *f is written only when 1 is returned; after an error the
 * reader stays where it was.
 */
LP2P_API int lp2p_pb_next(struct lp2p_pb_reader *r, struct lp2p_pb_field *f);

/*
 * The next field numbered `number`, skipping the others: the iterator of a
 * repeated field.  Returns 1 when one was read into *f, 0 at the end,
 * LP2P_EPROTO for a malformed field (as lp2p_pb_next) or when the field
 * has another wire type than `wire`.
 */
LP2P_API int lp2p_pb_next_of(struct lp2p_pb_reader *r, uint32_t number,
                             enum lp2p_pb_wire wire, struct lp2p_pb_field *f);

/*
 * Walk all of buf[0..len) and count the fields numbered `number` into
 * *count, so that an array can be checked against a bound and sized
 * before it is allocated.  Returns 0, or LP2P_EPROTO when the buffer is
 * malformed or such a field has another wire type than `wire` (*count is
 * then left alone).
 */
LP2P_API int lp2p_pb_count(const uint8_t *buf, size_t len, uint32_t number,
                           enum lp2p_pb_wire wire, size_t *count);

/*
 * The writer appends fields to buf[0..cap), which the caller owns.  Errors
 * are sticky: once a write fails, later writes do nothing and
 * lp2p_pb_writer_finish() reports the first error.  A failed write leaves
 * len unchanged (no partial field is written).
 */
struct lp2p_pb_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err; /* sticky: LP2P_ERANGE once a write did not fit, LP2P_EINVAL
	          * for a field number outside 1..2^29-1 */
};

LP2P_API void lp2p_pb_writer_init(struct lp2p_pb_writer *w, uint8_t *buf,
                                  size_t cap);
/*
 * A writer that stores nothing and only counts: the same put calls, then
 * lp2p_pb_writer_finish() gives the length they would write.  Used to
 * size a buffer, or a nested message before its header.
 */
LP2P_API void lp2p_pb_sizer_init(struct lp2p_pb_writer *w);
/*
 * The tag and length of a LEN field whose len bytes of payload the caller
 * writes next with further put calls (a nested message, sized first with
 * a sizer).  Room for the whole field is checked here, so the payload's
 * writes cannot fail for want of room.
 */
LP2P_API void lp2p_pb_put_len_header(struct lp2p_pb_writer *w,
                                     uint32_t number, size_t len);
LP2P_API void lp2p_pb_put_varint(struct lp2p_pb_writer *w, uint32_t number,
                                 uint64_t v);
LP2P_API void lp2p_pb_put_bytes(struct lp2p_pb_writer *w, uint32_t number,
                                const void *data, size_t len);
/* A NUL-terminated string as a LEN field (NULL writes an empty one). */
LP2P_API void lp2p_pb_put_string(struct lp2p_pb_writer *w, uint32_t number,
                                 const char *s);
/* fixed64 / fixed32 (little-endian I64 / I32 fields). */
LP2P_API void lp2p_pb_put_fixed64(struct lp2p_pb_writer *w, uint32_t number,
                                  uint64_t v);
LP2P_API void lp2p_pb_put_fixed32(struct lp2p_pb_writer *w, uint32_t number,
                                  uint32_t v);
/* Length of field `number` holding len bytes of LEN payload (tag+len+data). */
LP2P_API size_t lp2p_pb_bytes_field_len(uint32_t number, size_t len);
/* Returns the byte count written, or the sticky error (LP2P_ERANGE also
 * when the count exceeds INT_MAX). */
LP2P_API int lp2p_pb_writer_finish(const struct lp2p_pb_writer *w);

#ifdef __cplusplus
}
#endif
#endif
