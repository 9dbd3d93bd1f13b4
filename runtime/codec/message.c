/*
 * message.c - the reader of length-prefixed messages (lp2p/message.h).
 * No I/O, no clock.  A message is allocated only when it is split across
 * pieces of input, at exactly its length, after that length was checked.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/message.h>

struct lp2p_msg_reader {
	size_t max_len;
	uint8_t hdr[LP2P_VARINT_MAX_LEN]; /* a partial length */
	size_t hdr_len;
	bool in_body;  /* the length is known, the payload partly here */
	uint8_t *body; /* the collected payload of a split message */
	size_t want;   /* its length */
	size_t have;   /* bytes of it collected */
	int err;       /* sticky */
	int (*reserve)(void *arg, size_t n);
	void (*release)(void *arg, size_t n);
	void *charge_arg;
};

LP2P_API size_t lp2p_msg_prefix(size_t len, uint8_t out[LP2P_MSG_PREFIX_MAX])
{
	return (size_t)lp2p_varint_encode(len, out, LP2P_MSG_PREFIX_MAX);
}

LP2P_API int lp2p_msg_reader_new(size_t max_len, lp2p_msg_reader **out)
{
	/* a length must fit a varint of 63 bits */
	if (!out || max_len == 0 || max_len >= (size_t)1 << 62)
		return LP2P_EINVAL;
	lp2p_msg_reader *r = calloc(1, sizeof *r);
	if (!r)
		return LP2P_ENOMEM;
	r->max_len = max_len;
	*out = r;
	return 0;
}

static void drop_body(lp2p_msg_reader *r)
{
	if (r->body) {
		free(r->body);
		r->body = NULL;
		if (r->release)
			r->release(r->charge_arg, r->want);
	}
	r->in_body = false;
	r->want = r->have = 0;
}

LP2P_API void lp2p_msg_reader_free(lp2p_msg_reader *r)
{
	if (!r)
		return;
	drop_body(r);
	free(r);
}

LP2P_API void lp2p_msg_reader_set_max(lp2p_msg_reader *r, size_t max_len)
{
	if (max_len < (size_t)1 << 62)
		r->max_len = max_len;
}

LP2P_API void lp2p_msg_reader_charge(lp2p_msg_reader *r,
                                     int (*reserve)(void *arg, size_t n),
                                     void (*release)(void *arg, size_t n),
                                     void *arg)
{
	r->reserve = reserve;
	r->release = release;
	r->charge_arg = arg;
}

LP2P_API bool lp2p_msg_reader_partial(const lp2p_msg_reader *r)
{
	return r->in_body || r->hdr_len;
}

static ssize_t fail(lp2p_msg_reader *r, int err)
{
	drop_body(r);
	r->err = err;
	return err;
}

/* A message is complete: hand it over.  <0 error, 0 go on, 1 stop. */
static int hand_over(lp2p_msg_reader *r, const uint8_t *msg, size_t len,
                     lp2p_msg_cb cb, void *arg)
{
	int rc = cb(arg, msg, len);
	return rc < 0 ? rc : rc > 0;
}

LP2P_API ssize_t lp2p_msg_reader_feed(lp2p_msg_reader *r, const uint8_t *data,
                                      size_t len, lp2p_msg_cb cb, void *arg)
{
	if (r->err)
		return r->err;
	size_t off = 0;
	while (off < len) {
		if (r->in_body) {
			/* the rest of a split message */
			size_t take = len - off < r->want - r->have
			                  ? len - off
			                  : r->want - r->have;
			memcpy(r->body + r->have, data + off, take);
			r->have += take;
			off += take;
			if (r->have < r->want)
				break;
			int rc = hand_over(r, r->body, r->want, cb, arg);
			drop_body(r);
			if (rc < 0)
				return fail(r, rc);
			if (rc)
				return (ssize_t)off;
			continue;
		}
		/* the length, one byte at a time (at most 9) */
		r->hdr[r->hdr_len++] = data[off++];
		uint64_t n;
		int rc = lp2p_varint_decode(r->hdr, r->hdr_len, &n);
		if (rc == LP2P_ETRUNC) {
			if (r->hdr_len == sizeof r->hdr)
				return fail(r, LP2P_EPROTO);
			continue;
		}
		if (rc < 0)
			return fail(r, LP2P_EPROTO);
		r->hdr_len = 0;
		if (n > r->max_len)
			return fail(r, LP2P_ERANGE);
		size_t want = (size_t)n;
		if (len - off >= want) {
			/* whole in this piece: handed over where it lies */
			rc = hand_over(r, data + off, want, cb, arg);
			off += want;
			if (rc < 0)
				return fail(r, rc);
			if (rc)
				return (ssize_t)off;
			continue;
		}
		/* split: collect it, in room for exactly its length */
		if (r->reserve && (rc = r->reserve(r->charge_arg, want)) < 0)
			return fail(r, rc);
		r->body = malloc(want);
		if (!r->body) {
			if (r->release)
				r->release(r->charge_arg, want);
			return fail(r, LP2P_ENOMEM);
		}
		r->in_body = true;
		r->want = want;
		r->have = 0;
	}
	return (ssize_t)off;
}
