/*
 * fuzz_mux.h - the body shared by the yamux and mplex fuzz targets: a
 * session fed arbitrary bytes, with callbacks that accept streams and,
 * driven by the input, write, consume, close or reset them, and a caller
 * that drains the output only some of the time.
 *
 * Input: byte 0 selects the role and small limits; then the rest is fed
 * in chunks whose sizes come from a generator seeded by byte 0.
 *
 * Whatever the input, the session's output must be well-formed frames:
 * a checker parses every byte the caller takes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mux/mux.h"

/* Streaming parser of the session's output; aborts on a bad frame. */
struct out_check {
	enum lp2p_mux_kind kind;
	uint32_t max_frame;
	uint8_t hdr[18];
	size_t hdr_len;
	uint64_t left;
};

static void check_yamux_header(struct out_check *c)
{
	const uint8_t *h = c->hdr;
	uint32_t id = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
	              (uint32_t)h[6] << 8 | h[7];
	uint32_t len = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 |
	               (uint32_t)h[10] << 8 | h[11];
	if (h[0] != 0 || h[1] > 3 || h[2] != 0 || (h[3] & 0xf0))
		abort();
	if ((h[1] >= 2) != (id == 0))
		abort();
	if (h[1] == 0) {
		if (len > c->max_frame)
			abort();
		c->left = len;
	}
}

/* 1: header complete (and checked), 0: more bytes needed. */
static int check_mplex_header(struct out_check *c)
{
	uint64_t v[2] = {0, 0};
	size_t at = 0;
	for (int k = 0; k < 2; k++) {
		for (int shift = 0;; shift += 7) {
			if (at == c->hdr_len)
				return 0;
			if (shift > 56)
				abort();
			uint8_t b = c->hdr[at++];
			v[k] |= (uint64_t)(b & 0x7f) << shift;
			if (!(b & 0x80))
				break;
		}
	}
	uint8_t flag = v[0] & 7;
	if (flag > 6 || v[1] > (flag == 0 ? LP2P_MPLEX_MAX_NAME : c->max_frame))
		abort();
	if (flag > 2 && v[1] != 0)
		abort();
	c->left = v[1];
	return 1;
}

static void check_output(struct out_check *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		if (c->left > 0) {
			size_t take = n < c->left ? n : (size_t)c->left;
			c->left -= take;
			p += take;
			n -= take;
			continue;
		}
		if (c->hdr_len == sizeof(c->hdr))
			abort();
		c->hdr[c->hdr_len++] = *p++;
		n--;
		if (c->kind == LP2P_MUX_YAMUX) {
			if (c->hdr_len == 12) {
				check_yamux_header(c);
				c->hdr_len = 0;
			}
		} else if (check_mplex_header(c)) {
			c->hdr_len = 0;
		}
	}
}

struct fuzz_state {
	struct lp2p_mux *m;
	struct out_check check;
	uint32_t rng;
	uint64_t ids[64];
	size_t nids;
};

static uint32_t next_rand(struct fuzz_state *f)
{
	f->rng = f->rng * 1103515245u + 12345u;
	return f->rng >> 16;
}

static void remember(struct fuzz_state *f, uint64_t id)
{
	f->ids[f->nids++ % 64] = id;
}

static int f_open(void *ud, uint64_t id, const char *name, size_t len,
                  void **sd)
{
	struct fuzz_state *f = ud;
	if (len > LP2P_MPLEX_MAX_NAME || (len && !name))
		abort();
	uint32_t r = next_rand(f);
	if (r % 8 == 0)
		return LP2P_ENOTSUP;
	*sd = f;
	remember(f, id);
	if (r % 8 == 1)
		(void)lp2p_mux_write(f->m, id, (const uint8_t *)"hello", 5);
	if (r % 8 == 2)
		(void)lp2p_mux_reset(f->m, id);
	return 0;
}

static void f_data(void *ud, uint64_t id, void *sd, const uint8_t *data,
                   size_t len)
{
	struct fuzz_state *f = ud;
	if (sd != f || len == 0)
		abort();
	ssize_t un = lp2p_mux_unconsumed(f->m, id);
	if (un < (ssize_t)len)
		abort();
	uint32_t r = next_rand(f);
	switch (r % 8) {
	case 0: (void)lp2p_mux_reset(f->m, id); break;
	case 1: (void)lp2p_mux_close(f->m, id); break;
	case 2:
	case 3: (void)lp2p_mux_write(f->m, id, data, len); break;
	default: break;
	}
	if (r & 0x100)
		(void)lp2p_mux_consumed(f->m, id, len);
}

static void f_fin(void *ud, uint64_t id, void *sd)
{
	struct fuzz_state *f = ud;
	if (sd != f)
		abort();
	if (next_rand(f) % 2)
		(void)lp2p_mux_close(f->m, id);
}

static void f_reset(void *ud, uint64_t id, void *sd, int err)
{
	struct fuzz_state *f = ud;
	if (sd != f || err >= 0)
		abort();
	if (lp2p_mux_write(f->m, id, (const uint8_t *)"x", 1) != LP2P_ENOTFOUND)
		abort();
}

static void f_writable(void *ud, uint64_t id, void *sd)
{
	struct fuzz_state *f = ud;
	if (sd != f)
		abort();
	static const uint8_t blob[4096];
	(void)lp2p_mux_write(f->m, id, blob, next_rand(f) % sizeof(blob));
}

static void f_goaway(void *ud, uint32_t code)
{
	(void)ud;
	(void)code;
}

static void f_ping_ack(void *ud, uint32_t opaque)
{
	(void)ud;
	(void)opaque;
}

static const struct lp2p_mux_callbacks fuzz_callbacks = {
    .on_stream_open = f_open,
    .on_stream_data = f_data,
    .on_stream_fin = f_fin,
    .on_stream_reset = f_reset,
    .on_stream_writable = f_writable,
    .on_goaway = f_goaway,
    .on_ping_ack = f_ping_ack,
};

static int fuzz_mux(enum lp2p_mux_kind kind, const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_state f = {.rng = data[0]};
	struct lp2p_mux_config cfg = {0};
	f.check.kind = kind;
	f.check.max_frame = 64 * 1024;
	if (data[0] & 1) {
		/* small limits, so that they are reached */
		cfg.max_inbound_streams = 3;
		cfg.max_outbound_streams = 3;
		cfg.max_ack_backlog = 2;
		cfg.max_frame = 100;
		f.check.max_frame = 100;
		cfg.out_hiwat = 1024;
		cfg.out_reserve = 1024;
		cfg.max_unconsumed = 300;
	}
	enum lp2p_mux_role role =
	    (data[0] & 2) ? LP2P_MUX_INITIATOR : LP2P_MUX_RESPONDER;
	if (lp2p_mux_new(&f.m, kind, role, &cfg, &fuzz_callbacks, &f) != 0)
		return 0;
	size_t pos = 1;
	int stalls = 0;
	while (pos < size && stalls < 4) {
		uint32_t r = next_rand(&f);
		size_t chunk = 1 + r % 97;
		if (chunk > size - pos)
			chunk = size - pos;
		ssize_t c = lp2p_mux_recv(f.m, data + pos, chunk);
		if (c < 0)
			break;
		if ((size_t)c > chunk)
			abort();
		pos += (size_t)c;
		stalls = c == 0 ? stalls + 1 : 0;
		/* Sometimes act as the caller: open, ping, write, drain. */
		uint64_t id;
		if (r % 5 == 0 && lp2p_mux_open(f.m, NULL, &f, &id) == 0)
			remember(&f, id);
		if (r % 7 == 0)
			(void)lp2p_mux_ping(f.m, r);
		size_t known = f.nids < 64 ? f.nids : 64;
		if (r % 11 == 0 && known)
			(void)lp2p_mux_write(f.m, f.ids[r % known], data, size);
		if (r % 13 == 0 && known)
			(void)lp2p_mux_consumed(f.m, f.ids[r % known], 1);
		if (r % 3 != 0 || c == 0) {
			uint8_t *out;
			size_t n = lp2p_mux_out_peek(f.m, &out);
			n -= n ? r % 2 : 0; /* sometimes a partial send */
			check_output(&f.check, out, n);
			if (n)
				memset(out, 0xa5, n); /* "encrypt in place" */
			lp2p_mux_out_ack(f.m, n);
		}
	}
	(void)lp2p_mux_goaway(f.m, 0);
	uint8_t *out;
	size_t n = lp2p_mux_out_peek(f.m, &out);
	check_output(&f.check, out, n);
	lp2p_mux_out_ack(f.m, n);
	lp2p_mux_free(f.m);
	return 0;
}
