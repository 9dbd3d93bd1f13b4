/* identify_reader.c - length-delimited Identify messages from a stream */
#include <stdlib.h>
#include <string.h>

#include "identify/identify_reader.h"

void identify_reader_init(struct identify_reader *r)
{
	memset(r, 0, sizeof *r);
}

void identify_reader_free(struct identify_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof *r);
}

static int fail(struct identify_reader *r, int err)
{
	r->err = err;
	return err;
}

/* A length is complete: check it, then make room for exactly that body. */
static int start_body(struct identify_reader *r, uint64_t n)
{
	if (r->nmsgs >= IDENTIFY_MAX_MESSAGES)
		return fail(r, LP2P_ELIMIT);
	if (n > IDENTIFY_MAX_MSG || n > IDENTIFY_MAX_MSG - r->len)
		return fail(r, LP2P_ERANGE);
	if (n) {
		uint8_t *p = realloc(r->buf, r->len + (size_t)n);
		if (!p)
			return fail(r, LP2P_ENOMEM);
		r->buf = p;
	}
	r->starts[r->nmsgs] = r->len;
	r->want = (size_t)n;
	r->in_body = true;
	return 0;
}

static void end_body(struct identify_reader *r)
{
	r->nmsgs++;
	r->starts[r->nmsgs] = r->len;
	r->in_body = false;
	r->hdr_len = 0;
}

int identify_reader_feed(struct identify_reader *r, const uint8_t *data,
                         size_t len)
{
	if (r->err)
		return r->err;
	while (len) {
		if (r->in_body) {
			size_t take = len < r->want ? len : r->want;
			memcpy(r->buf + r->len, data, take);
			r->len += take;
			r->want -= take;
			data += take;
			len -= take;
			if (r->want == 0)
				end_body(r);
			continue;
		}
		/* One byte at a time into the length: it is at most 9. */
		if (r->hdr_len == sizeof r->hdr)
			return fail(r, LP2P_EPROTO);
		r->hdr[r->hdr_len++] = *data++;
		len--;
		uint64_t n;
		int rc = lp2p_varint_decode(r->hdr, r->hdr_len, &n);
		if (rc == LP2P_ETRUNC)
			continue;
		if (rc < 0)
			return fail(r, LP2P_EPROTO);
		if ((rc = start_body(r, n)))
			return rc;
		if (r->want == 0)
			end_body(r);
	}
	return 0;
}

int identify_reader_finish(struct identify_reader *r, struct identify_msg *m)
{
	if (r->err)
		return r->err;
	if (r->in_body || r->hdr_len)
		return LP2P_ETRUNC;
	if (r->nmsgs == 0)
		return LP2P_ENOTFOUND;
	identify_msg_init(m);
	for (size_t i = 0; i < r->nmsgs; i++) {
		size_t start = r->starts[i];
		int rc = identify_msg_decode(r->buf ? r->buf + start : NULL,
		                             r->starts[i + 1] - start, m);
		if (rc)
			return rc;
	}
	return 0;
}
