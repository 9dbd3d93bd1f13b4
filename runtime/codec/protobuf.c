/*
 * protobuf.c - the protobuf wire format: a field reader over a borrowed
 * buffer and a writer into a caller-provided buffer.  No allocation.
 */
#include <limits.h>
#include <string.h>

#include <lp2p/protobuf.h>

/* Field numbers are 29 bits wide (the tag keeps 3 bits for the wire type). */
#define PB_FIELD_MAX ((UINT32_C(1) << 29) - 1)
#define PB_VARINT_MAX_LEN 10

LP2P_API void lp2p_pb_reader_init(struct lp2p_pb_reader *r, const uint8_t *buf,
                                  size_t len)
{
	r->p = buf;
	r->end = buf ? buf + len : buf;
}

/*
 * Read a protobuf varint (up to 10 bytes, non-minimal forms allowed) from
 * [*pp, end).  Advances *pp only on success.
 */
static int pb_read_varint_long(const uint8_t **pp, const uint8_t *end,
                               uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;

	for (unsigned i = 0; i < PB_VARINT_MAX_LEN; i++) {
		if (p == end)
			return LP2P_EPROTO;
		uint8_t b = *p++;
		/* The 10th byte holds only bit 63: anything more overflows. */
		if (i == PB_VARINT_MAX_LEN - 1 && b > 1)
			return LP2P_EPROTO;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return LP2P_EPROTO;
}

/* Tags of fields 1..15 and most lengths are one byte: read those inline. */
static inline int pb_read_varint(const uint8_t **pp, const uint8_t *end,
                                 uint64_t *out)
{
	const uint8_t *p = *pp;
	if (p != end && *p < 0x80) {
		*out = *p;
		*pp = p + 1;
		return 0;
	}
	return pb_read_varint_long(pp, end, out);
}

static uint64_t pb_load_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

LP2P_API int lp2p_pb_next(struct lp2p_pb_reader *r, struct lp2p_pb_field *f)
{
	const uint8_t *p = r->p;
	const uint8_t *end = r->end;
	struct lp2p_pb_field field;
	uint64_t tag, v;

	if (p == end)
		return 0;
	if (pb_read_varint(&p, end, &tag) != 0)
		return LP2P_EPROTO;
	if ((tag >> 3) == 0 || (tag >> 3) > PB_FIELD_MAX)
		return LP2P_EPROTO;

	field.number = (uint32_t)(tag >> 3);
	field.data = NULL;
	field.len = 0;
	field.u64 = 0;
	switch (tag & 7) {
	case LP2P_PB_VARINT:
		if (pb_read_varint(&p, end, &v) != 0)
			return LP2P_EPROTO;
		field.wire = LP2P_PB_VARINT;
		field.u64 = v;
		break;
	case LP2P_PB_I64:
		if ((size_t)(end - p) < 8)
			return LP2P_EPROTO;
		field.wire = LP2P_PB_I64;
		field.u64 = pb_load_le(p, 8);
		p += 8;
		break;
	case LP2P_PB_I32:
		if ((size_t)(end - p) < 4)
			return LP2P_EPROTO;
		field.wire = LP2P_PB_I32;
		field.u64 = pb_load_le(p, 4);
		p += 4;
		break;
	case LP2P_PB_LEN:
		if (pb_read_varint(&p, end, &v) != 0)
			return LP2P_EPROTO;
		if (v > (uint64_t)(end - p))
			return LP2P_EPROTO;
		field.wire = LP2P_PB_LEN;
		field.data = p;
		field.len = (size_t)v;
		p += v;
		break;
	default: /* 3 and 4 are the deprecated groups, 6 and 7 do not exist */
		return LP2P_EPROTO;
	}
	r->p = p;
	*f = field;
	return 1;
}

LP2P_API int lp2p_pb_next_of(struct lp2p_pb_reader *r, uint32_t number,
                             enum lp2p_pb_wire wire, struct lp2p_pb_field *f)
{
	struct lp2p_pb_field field;
	int rc;

	while ((rc = lp2p_pb_next(r, &field)) == 1) {
		if (field.number != number)
			continue;
		if (field.wire != wire)
			return LP2P_EPROTO;
		*f = field;
		return 1;
	}
	return rc;
}

LP2P_API int lp2p_pb_count(const uint8_t *buf, size_t len, uint32_t number,
                           enum lp2p_pb_wire wire, size_t *count)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	size_t n = 0;
	int rc;

	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next_of(&r, number, wire, &f)) == 1)
		n++;
	if (rc < 0)
		return rc;
	*count = n;
	return 0;
}

LP2P_API void lp2p_pb_writer_init(struct lp2p_pb_writer *w, uint8_t *buf,
                                  size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->err = 0;
}

/* A sizer is a writer without a buffer and with unlimited room. */
LP2P_API void lp2p_pb_sizer_init(struct lp2p_pb_writer *w)
{
	w->buf = NULL;
	w->cap = SIZE_MAX;
	w->len = 0;
	w->err = 0;
}

static size_t pb_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Appends without checking room: callers reserve first, and count
 * instead when the writer is a sizer (no buffer). */
static void pb_emit_varint(struct lp2p_pb_writer *w, uint64_t v)
{
	while (v >= 0x80) {
		w->buf[w->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	w->buf[w->len++] = (uint8_t)v;
}

/*
 * Check that a field number is valid and that need more bytes fit;
 * otherwise set the sticky error.  Returns 1 when the write may proceed.
 */
static int pb_reserve(struct lp2p_pb_writer *w, uint32_t number, size_t need)
{
	if (w->err)
		return 0;
	if (number == 0 || number > PB_FIELD_MAX) {
		w->err = LP2P_EINVAL;
		return 0;
	}
	if (need > w->cap - w->len) {
		w->err = LP2P_ERANGE;
		return 0;
	}
	return 1;
}

static uint64_t pb_tag(uint32_t number, enum lp2p_pb_wire wire)
{
	return ((uint64_t)number << 3) | (uint64_t)wire;
}

LP2P_API void lp2p_pb_put_varint(struct lp2p_pb_writer *w, uint32_t number,
                                 uint64_t v)
{
	uint64_t tag = pb_tag(number, LP2P_PB_VARINT);
	size_t need = pb_varint_len(tag) + pb_varint_len(v);
	if (!pb_reserve(w, number, need))
		return;
	if (!w->buf) { /* a sizer */
		w->len += need;
		return;
	}
	pb_emit_varint(w, tag);
	pb_emit_varint(w, v);
}

static void pb_put_fixed(struct lp2p_pb_writer *w, uint32_t number,
                         enum lp2p_pb_wire wire, uint64_t v, unsigned n)
{
	uint64_t tag = pb_tag(number, wire);
	size_t need = pb_varint_len(tag) + n;
	if (!pb_reserve(w, number, need))
		return;
	if (!w->buf) {
		w->len += need;
		return;
	}
	pb_emit_varint(w, tag);
	for (unsigned i = 0; i < n; i++)
		w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

LP2P_API void lp2p_pb_put_fixed64(struct lp2p_pb_writer *w, uint32_t number,
                                  uint64_t v)
{
	pb_put_fixed(w, number, LP2P_PB_I64, v, 8);
}

LP2P_API void lp2p_pb_put_fixed32(struct lp2p_pb_writer *w, uint32_t number,
                                  uint32_t v)
{
	pb_put_fixed(w, number, LP2P_PB_I32, v, 4);
}

LP2P_API size_t lp2p_pb_bytes_field_len(uint32_t number, size_t len)
{
	return pb_varint_len(pb_tag(number, LP2P_PB_LEN)) + pb_varint_len(len) +
	       len;
}

LP2P_API void lp2p_pb_put_bytes(struct lp2p_pb_writer *w, uint32_t number,
                                const void *data, size_t len)
{
	uint64_t tag = pb_tag(number, LP2P_PB_LEN);
	size_t head = pb_varint_len(tag) + pb_varint_len(len);

	/* len alone may be near SIZE_MAX: compare without overflowing. */
	if (!pb_reserve(w, number, head) || len > w->cap - w->len - head) {
		if (!w->err)
			w->err = LP2P_ERANGE;
		return;
	}
	if (!w->buf) {
		w->len += head + len;
		return;
	}
	pb_emit_varint(w, tag);
	pb_emit_varint(w, len);
	if (len)
		memcpy(w->buf + w->len, data, len);
	w->len += len;
}

LP2P_API void lp2p_pb_put_len_header(struct lp2p_pb_writer *w,
                                     uint32_t number, size_t len)
{
	uint64_t tag = pb_tag(number, LP2P_PB_LEN);
	size_t head = pb_varint_len(tag) + pb_varint_len(len);

	if (!pb_reserve(w, number, head) || len > w->cap - w->len - head) {
		if (!w->err)
			w->err = LP2P_ERANGE;
		return;
	}
	if (!w->buf) {
		w->len += head;
		return;
	}
	pb_emit_varint(w, tag);
	pb_emit_varint(w, len);
}

LP2P_API void lp2p_pb_put_string(struct lp2p_pb_writer *w, uint32_t number,
                                 const char *s)
{
	lp2p_pb_put_bytes(w, number, s, s ? strlen(s) : 0);
}

LP2P_API int lp2p_pb_writer_finish(const struct lp2p_pb_writer *w)
{
	if (w->err)
		return w->err;
	if (w->len > INT_MAX)
		return LP2P_ERANGE;
	return (int)w->len;
}
