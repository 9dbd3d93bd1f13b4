/*
 * fuzz_protobuf.c - the protobuf reader over arbitrary bytes.  Every field
 * read is written back with the writer (minimal encoding, so it fits in
 * the input's size) and read again: both reads must agree.  A sizer fed
 * the same fields must count what the writer wrote, and lp2p_pb_count /
 * lp2p_pb_next_of must find as many fields of the first field's number as
 * the plain walk did.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/protobuf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_field(struct lp2p_pb_writer *w, const struct lp2p_pb_field *f)
{
	switch (f->wire) {
	case LP2P_PB_VARINT: lp2p_pb_put_varint(w, f->number, f->u64); break;
	case LP2P_PB_I64: lp2p_pb_put_fixed64(w, f->number, f->u64); break;
	case LP2P_PB_I32:
		lp2p_pb_put_fixed32(w, f->number, (uint32_t)f->u64);
		break;
	case LP2P_PB_LEN:
		lp2p_pb_put_bytes(w, f->number, f->data, f->len);
		break;
	}
}

static int same_field(const struct lp2p_pb_field *a,
                      const struct lp2p_pb_field *b)
{
	if (a->number != b->number || a->wire != b->wire)
		return 0;
	if (a->wire == LP2P_PB_LEN)
		return a->len == b->len &&
		       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
	return a->u64 == b->u64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = malloc(size ? size : 1);
	if (!out)
		return 0;

	struct lp2p_pb_reader r;
	struct lp2p_pb_writer w, sizer;
	struct lp2p_pb_field f, first = {0};
	size_t fields = 0, same = 0;
	int mixed = 0; /* a field of the first's number, another wire type */
	int rc;

	lp2p_pb_reader_init(&r, data, size);
	lp2p_pb_writer_init(&w, out, size);
	lp2p_pb_sizer_init(&sizer);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		if (r.p > data + size || r.p < data)
			abort();
		put_field(&w, &f);
		put_field(&sizer, &f);
		if (fields == 0)
			first = f;
		if (f.number == first.number) {
			same++;
			mixed |= f.wire != first.wire;
		}
		fields++;
	}
	if (rc != 0 && rc != LP2P_EPROTO)
		abort();
	int n = lp2p_pb_writer_finish(&w);
	if (n < 0 || (size_t)n > size)
		abort();
	if (lp2p_pb_writer_finish(&sizer) != n)
		abort();

	size_t count = 0;
	int crc = fields ? lp2p_pb_count(data, size, first.number, first.wire,
	                                 &count)
	                 : 0;
	if (rc == 0 && fields) {
		/* Well formed: counted, unless a field of that number has
		 * another wire type. */
		if (mixed ? crc != LP2P_EPROTO : crc != 0 || count != same)
			abort();
	} else if (rc != 0 && fields && crc != LP2P_EPROTO) {
		abort();
	}

	/* Read the re-encoding back: the same fields, then the end. */
	struct lp2p_pb_reader again;
	struct lp2p_pb_field g;
	lp2p_pb_reader_init(&r, data, size);
	lp2p_pb_reader_init(&again, out, (size_t)n);
	for (size_t i = 0; i < fields; i++) {
		if (lp2p_pb_next(&r, &f) != 1 || lp2p_pb_next(&again, &g) != 1)
			abort();
		if (!same_field(&f, &g))
			abort();
	}
	if (lp2p_pb_next(&again, &g) != 0)
		abort();
	free(out);
	return 0;
}
