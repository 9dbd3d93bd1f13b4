/*
 * fuzz_message.c - the length-prefixed message reader: the input is fed
 * in pieces whose sizes come from its first byte; every message handed
 * over is at most the maximum, and feeding the same input whole gives
 * the same messages (or the same error).
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/message.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG 4096

struct sum {
	size_t n, bytes;
	uint32_t hash;
};

static int take(void *arg, const uint8_t *msg, size_t len)
{
	struct sum *s = arg;
	if (len > MAX_MSG)
		abort();
	s->n++;
	s->bytes += len;
	for (size_t i = 0; i < len; i++)
		s->hash = s->hash * 31 + msg[i];
	s->hash = s->hash * 31 + (uint32_t)len;
	return 0;
}

static ssize_t run(const uint8_t *data, size_t size, size_t piece,
                   struct sum *s)
{
	lp2p_msg_reader *r;
	if (lp2p_msg_reader_new(MAX_MSG, &r))
		abort();
	ssize_t rc = 0;
	for (size_t off = 0; off < size && rc >= 0;) {
		size_t n = size - off < piece ? size - off : piece;
		rc = lp2p_msg_reader_feed(r, data + off, n, take, s);
		if (rc >= 0 && (size_t)rc != n)
			abort();
		off += n;
	}
	lp2p_msg_reader_free(r);
	return rc < 0 ? rc : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t piece = (size_t)data[0] % 17 + 1;
	struct sum a = {0}, b = {0};
	ssize_t ra = run(data + 1, size - 1, piece, &a);
	ssize_t rb = run(data + 1, size - 1, size, &b);
	if (ra != rb || a.n != b.n || a.bytes != b.bytes || a.hash != b.hash)
		abort();
	return 0;
}
