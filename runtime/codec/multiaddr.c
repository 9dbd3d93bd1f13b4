/*
 * multiaddr.c - binary multiaddrs: validation, iteration, text form,
 * encapsulation.  Every function keeps the invariant that a struct
 * lp2p_multiaddr holds a valid multiaddr (or is empty).
 */
#include "codec/multiaddr_proto.h"

#include <lp2p/varint.h>

#include <string.h>

LP2P_API void lp2p_multiaddr_iter_init(struct lp2p_multiaddr_iter *it,
				       const uint8_t *buf, size_t len)
{
	it->buf = buf;
	it->len = buf ? len : 0;
	it->pos = 0;
}

LP2P_API int lp2p_multiaddr_iter_next(struct lp2p_multiaddr_iter *it,
				      struct lp2p_multiaddr_component *c)
{
	size_t left = it->len - it->pos, off = 0;
	uint64_t code, vlen;
	int n;

	if (left == 0)
		return 0;
	const uint8_t *p = it->buf + it->pos;
	n = lp2p_varint_decode(p, left, &code);
	if (n < 0)
		return n;
	off = (size_t)n;
	const struct lp2p_ma_proto *proto = lp2p_ma_proto_by_code(code);
	if (!proto)
		return LP2P_ENOTSUP;
	if (proto->size >= 0) {
		vlen = (uint64_t)proto->size;
	} else {
		n = lp2p_varint_decode(p + off, left - off, &vlen);
		if (n < 0)
			return n;
		off += (size_t)n;
	}
	if (vlen > left - off)
		return LP2P_ETRUNC;
	const uint8_t *value = p + off;
	n = lp2p_ma_value_check(proto, value, (size_t)vlen);
	if (n < 0)
		return n;
	/* A path swallows the rest of the text form: it must come last. */
	if (proto->kind == LP2P_MA_KIND_PATH && off + vlen != left)
		return LP2P_EPROTO;
	c->code = code;
	c->name = proto->name;
	c->value = vlen ? value : NULL;
	c->value_len = (size_t)vlen;
	c->offset = it->pos;
	c->len = off + (size_t)vlen;
	it->pos += c->len;
	return 1;
}

/* Validation that also accepts the empty multiaddr. */
static int check_all(const uint8_t *buf, size_t len)
{
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component c;
	int rc;

	if (len > LP2P_MULTIADDR_MAX_LEN)
		return LP2P_ERANGE;
	lp2p_multiaddr_iter_init(&it, buf, len);
	while ((rc = lp2p_multiaddr_iter_next(&it, &c)) > 0)
		;
	return rc;
}

LP2P_API int lp2p_multiaddr_validate(const uint8_t *buf, size_t len)
{
	if (!buf || len == 0)
		return LP2P_EPROTO;
	return check_all(buf, len);
}

LP2P_API int lp2p_multiaddr_from_bytes(const uint8_t *buf, size_t len,
				       struct lp2p_multiaddr *out)
{
	int rc = lp2p_multiaddr_validate(buf, len);
	if (rc < 0)
		return rc;
	memcpy(out->bytes, buf, len);
	out->len = (uint16_t)len;
	return 0;
}

/* Append one component (code, value) to buf[*len..cap). */
static int put_component(const struct lp2p_ma_proto *p, const uint8_t *value,
			 size_t vlen, uint8_t *buf, size_t *len, size_t cap)
{
	size_t need = lp2p_varint_len(p->code) + vlen;
	if (p->size < 0)
		need += lp2p_varint_len(vlen);
	if (need > cap - *len)
		return LP2P_ERANGE;
	*len += (size_t)lp2p_varint_encode(p->code, buf + *len, cap - *len);
	if (p->size < 0)
		*len += (size_t)lp2p_varint_encode(vlen, buf + *len,
						   cap - *len);
	if (vlen)
		memmove(buf + *len, value, vlen);
	*len += vlen;
	return 0;
}

LP2P_API int lp2p_multiaddr_parse(const char *str, size_t slen,
				  struct lp2p_multiaddr *out)
{
	uint8_t buf[LP2P_MULTIADDR_MAX_LEN];
	uint8_t value[LP2P_MULTIADDR_MAX_LEN];
	size_t len = 0, pos = 1;

	if (!str || slen == 0 || str[0] != '/' || memchr(str, '\0', slen))
		return LP2P_EPROTO;
	while (slen > 1 && str[slen - 1] == '/')
		slen--;
	if (slen == 1)
		return LP2P_EPROTO; /* no component */
	while (pos < slen) {
		const char *name = str + pos;
		const char *end = memchr(name, '/', slen - pos);
		size_t nlen = end ? (size_t)(end - name) : slen - pos;
		const struct lp2p_ma_proto *p;
		const char *v;
		size_t vlen;
		int n;

		if (nlen == 0)
			return LP2P_EPROTO; /* "//" */
		p = lp2p_ma_proto_by_name(name, nlen);
		if (!p)
			return LP2P_ENOTSUP;
		pos += nlen + 1; /* past the name and its '/' */
		if (p->kind == LP2P_MA_KIND_NONE) {
			v = NULL;
			vlen = 0;
		} else if (pos > slen) {
			return LP2P_EPROTO; /* value missing */
		} else if (p->kind == LP2P_MA_KIND_PATH) {
			v = str + pos - 1; /* with its leading '/' */
			vlen = slen - pos + 1;
			pos = slen;
		} else {
			v = str + pos;
			end = memchr(v, '/', slen - pos);
			vlen = end ? (size_t)(end - v) : slen - pos;
			pos += vlen + 1;
		}
		n = vlen ? lp2p_ma_value_from_text(p, v, vlen, value,
						   sizeof value)
			 : (p->kind == LP2P_MA_KIND_NONE ? 0 : LP2P_EPROTO);
		if (n < 0)
			return n;
		n = put_component(p, value, (size_t)n, buf, &len, sizeof buf);
		if (n < 0)
			return n;
	}
	/* The value codecs only produce valid values; check the whole. */
	int rc = check_all(buf, len);
	if (rc < 0)
		return rc;
	memcpy(out->bytes, buf, len);
	out->len = (uint16_t)len;
	return 0;
}

LP2P_API int lp2p_multiaddr_value_to_string(
	const struct lp2p_multiaddr_component *c, char *out, size_t cap)
{
	const struct lp2p_ma_proto *p = lp2p_ma_proto_by_code(c->code);
	if (!p)
		return LP2P_ENOTSUP;
	return lp2p_ma_value_to_text(p, c->value, c->value_len, out, cap);
}

LP2P_API int lp2p_multiaddr_to_string(const struct lp2p_multiaddr *ma,
				      char *out, size_t cap)
{
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component c;
	size_t pos = 0;
	int rc;

	if (!out || cap == 0)
		return LP2P_ERANGE;
	if (ma->len > LP2P_MULTIADDR_MAX_LEN)
		return LP2P_EPROTO;
	rc = check_all(ma->bytes, ma->len);
	if (rc < 0)
		return LP2P_EPROTO;
	out[0] = '\0';
	lp2p_multiaddr_iter_init(&it, ma->bytes, ma->len);
	while ((rc = lp2p_multiaddr_iter_next(&it, &c)) > 0) {
		const struct lp2p_ma_proto *p = lp2p_ma_proto_by_code(c.code);
		size_t nlen = strlen(p->name);
		if (cap - pos <= nlen + 1)
			return LP2P_ERANGE;
		out[pos++] = '/';
		memcpy(out + pos, p->name, nlen);
		pos += nlen;
		if (p->kind == LP2P_MA_KIND_NONE)
			continue;
		/* A path value brings its own leading '/'. */
		if (p->kind != LP2P_MA_KIND_PATH) {
			if (cap - pos <= 1)
				return LP2P_ERANGE;
			out[pos++] = '/';
		}
		rc = lp2p_ma_value_to_text(p, c.value, c.value_len, out + pos,
					   cap - pos);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
	}
	if (rc < 0)
		return LP2P_EPROTO;
	out[pos] = '\0';
	return (int)pos;
}

LP2P_API bool lp2p_multiaddr_equal(const struct lp2p_multiaddr *a,
				   const struct lp2p_multiaddr *b)
{
	return a->len == b->len && a->len <= LP2P_MULTIADDR_MAX_LEN &&
	       memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* The last component of a valid multiaddr, or 0 if empty. */
static int last_component(const struct lp2p_multiaddr *ma,
			  struct lp2p_multiaddr_component *last)
{
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component c;
	int rc, found = 0;

	lp2p_multiaddr_iter_init(&it, ma->bytes, ma->len);
	while ((rc = lp2p_multiaddr_iter_next(&it, &c)) > 0) {
		*last = c;
		found = 1;
	}
	return rc < 0 ? rc : found;
}

LP2P_API int lp2p_multiaddr_encapsulate(struct lp2p_multiaddr *ma,
					const struct lp2p_multiaddr *tail)
{
	struct lp2p_multiaddr_component last;
	int rc;

	if (ma->len > LP2P_MULTIADDR_MAX_LEN ||
	    tail->len > LP2P_MULTIADDR_MAX_LEN)
		return LP2P_EPROTO;
	rc = check_all(tail->bytes, tail->len);
	if (rc < 0)
		return rc;
	rc = last_component(ma, &last);
	if (rc < 0)
		return rc;
	if (rc > 0 && tail->len > 0 && last.code == LP2P_MA_UNIX)
		return LP2P_EPROTO;
	if (tail->len > LP2P_MULTIADDR_MAX_LEN - ma->len)
		return LP2P_ERANGE;
	memmove(ma->bytes + ma->len, tail->bytes, tail->len);
	ma->len = (uint16_t)(ma->len + tail->len);
	return 0;
}

LP2P_API int lp2p_multiaddr_push(struct lp2p_multiaddr *ma, uint64_t code,
				 const uint8_t *value, size_t value_len)
{
	struct lp2p_multiaddr_component last;
	const struct lp2p_ma_proto *p = lp2p_ma_proto_by_code(code);
	size_t len;
	int rc;

	if (!p)
		return LP2P_ENOTSUP;
	if ((!value && value_len) || ma->len > LP2P_MULTIADDR_MAX_LEN)
		return LP2P_EINVAL;
	rc = lp2p_ma_value_check(p, value, value_len);
	if (rc < 0)
		return rc;
	rc = last_component(ma, &last);
	if (rc < 0)
		return rc;
	if (rc > 0 && last.code == LP2P_MA_UNIX)
		return LP2P_EPROTO;
	len = ma->len;
	rc = put_component(p, value, value_len, ma->bytes, &len,
			   LP2P_MULTIADDR_MAX_LEN);
	if (rc < 0)
		return rc;
	ma->len = (uint16_t)len;
	return 0;
}

LP2P_API int lp2p_multiaddr_decapsulate(struct lp2p_multiaddr *ma,
					uint64_t code)
{
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component c;
	size_t cut = 0;
	int rc, found = 0;

	if (ma->len > LP2P_MULTIADDR_MAX_LEN)
		return LP2P_EPROTO;
	lp2p_multiaddr_iter_init(&it, ma->bytes, ma->len);
	while ((rc = lp2p_multiaddr_iter_next(&it, &c)) > 0) {
		if (c.code == code) {
			cut = c.offset;
			found = 1;
		}
	}
	if (rc < 0)
		return rc;
	if (!found)
		return LP2P_ENOTFOUND;
	ma->len = (uint16_t)cut;
	return 0;
}

LP2P_API int lp2p_multiaddr_peer_id(struct lp2p_multiaddr *ma,
				    struct lp2p_peer_id *id, bool remove)
{
	struct lp2p_multiaddr_component last;
	struct lp2p_peer_id tmp;
	int rc;

	if (ma->len > LP2P_MULTIADDR_MAX_LEN)
		return LP2P_EPROTO;
	rc = last_component(ma, &last);
	if (rc < 0)
		return rc;
	if (rc == 0 || last.code != LP2P_MA_P2P)
		return LP2P_ENOTFOUND;
	rc = lp2p_peer_id_from_bytes(last.value, last.value_len, &tmp);
	if (rc < 0)
		return LP2P_EPROTO;
	if (id)
		*id = tmp;
	if (remove)
		ma->len = (uint16_t)last.offset;
	return 0;
}
