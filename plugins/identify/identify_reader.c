/* identify_reader.c - length-delimited Identify messages from a stream,
 * framed by the SDK's message reader, kept for one merged decode */
#include <stdlib.h>
#include <string.h>

#include "identify/identify_reader.h"

void identify_reader_init(struct identify_reader *r)
{
	memset(r, 0, sizeof *r);
}

void identify_reader_free(struct identify_reader *r)
{
	lp2p_msg_reader_free(r->mr);
	free(r->buf);
	memset(r, 0, sizeof *r);
}

/* A whole body: append it, within the bounds of the stream. */
static int keep(void *arg, const uint8_t *msg, size_t n)
{
	struct identify_reader *r = arg;
	if (r->nmsgs >= IDENTIFY_MAX_MESSAGES)
		return LP2P_ELIMIT;
	if (n > IDENTIFY_MAX_MSG - r->len)
		return LP2P_ERANGE;
	if (n) {
		uint8_t *p = realloc(r->buf, r->len + n);
		if (!p)
			return LP2P_ENOMEM;
		r->buf = p;
		memcpy(r->buf + r->len, msg, n);
	}
	r->starts[r->nmsgs++] = r->len;
	r->len += n;
	r->starts[r->nmsgs] = r->len;
	/* the next length is checked against what is left */
	lp2p_msg_reader_set_max(r->mr, IDENTIFY_MAX_MSG - r->len);
	return 0;
}

int identify_reader_feed(struct identify_reader *r, const uint8_t *data,
                         size_t len)
{
	if (r->err)
		return r->err;
	if (!r->mr) {
		int rc = lp2p_msg_reader_new(IDENTIFY_MAX_MSG, &r->mr);
		if (rc)
			return r->err = rc;
	}
	ssize_t rc = lp2p_msg_reader_feed(r->mr, data, len, keep, r);
	if (rc < 0)
		return r->err = (int)rc;
	return 0;
}

int identify_reader_finish(struct identify_reader *r, struct identify_msg *m)
{
	if (r->err)
		return r->err;
	if (r->mr && lp2p_msg_reader_partial(r->mr))
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
