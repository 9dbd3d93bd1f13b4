/* mux_harness.c - recording callbacks and an in-memory pump for mux tests */
#include <stdlib.h>
#include <string.h>

#include "mux_harness.h"

static struct h_stream *slot(struct h_peer *p, uint64_t id, bool inbound)
{
	if (p->nstreams == H_MAX_STREAMS)
		abort();
	struct h_stream *hs = &p->streams[p->nstreams++];
	memset(hs, 0, sizeof(*hs));
	hs->id = id;
	hs->inbound = inbound;
	return hs;
}

struct h_stream *h_find(struct h_peer *p, uint64_t id)
{
	for (size_t i = p->nstreams; i-- > 0;)
		if (p->streams[i].id == id)
			return &p->streams[i];
	return NULL;
}

static int cb_open(void *ud, uint64_t id, const char *name, size_t len,
                   void **sd)
{
	struct h_peer *p = ud;
	p->opens++;
	if (p->accept_rc < 0)
		return p->accept_rc;
	struct h_stream *hs = slot(p, id, true);
	memcpy(hs->name, name, len);
	hs->name_len = len;
	*sd = hs;
	if (p->on_open)
		p->on_open(p, hs);
	return 0;
}

static void cb_data(void *ud, uint64_t id, void *sd, const uint8_t *data,
                    size_t len)
{
	struct h_peer *p = ud;
	struct h_stream *hs = sd;
	if (!hs || hs->id != id)
		abort();
	p->datas++;
	if (hs->rx_len + len > hs->rx_cap) {
		size_t cap = hs->rx_cap ? hs->rx_cap : 1024;
		while (cap < hs->rx_len + len)
			cap *= 2;
		hs->rx = realloc(hs->rx, cap);
		if (!hs->rx)
			abort();
		hs->rx_cap = cap;
	}
	memcpy(hs->rx + hs->rx_len, data, len);
	hs->rx_len += len;
	if (p->auto_consume && lp2p_mux_consumed(p->m, id, len) != 0)
		abort();
	if (p->on_data)
		p->on_data(p, hs);
}

static void cb_fin(void *ud, uint64_t id, void *sd)
{
	struct h_peer *p = ud;
	struct h_stream *hs = sd;
	if (!hs || hs->id != id || hs->fin)
		abort();
	hs->fin = true;
	p->fins++;
}

static void cb_reset(void *ud, uint64_t id, void *sd, int err)
{
	struct h_peer *p = ud;
	struct h_stream *hs = sd;
	if (!hs || hs->id != id || hs->reset)
		abort();
	hs->reset = true;
	hs->reset_err = err;
	p->resets++;
}

static void cb_writable(void *ud, uint64_t id, void *sd)
{
	struct h_peer *p = ud;
	struct h_stream *hs = sd;
	if (!hs || hs->id != id)
		abort();
	hs->writable++;
	if (p->on_writable)
		p->on_writable(p, hs);
}

static void cb_goaway(void *ud, uint32_t code)
{
	struct h_peer *p = ud;
	p->goaways++;
	p->goaway_code = code;
}

static void cb_ping_ack(void *ud, uint32_t opaque)
{
	struct h_peer *p = ud;
	if (p->nping_acks < 16)
		p->ping_acks[p->nping_acks++] = opaque;
}

static void cb_open_room(void *ud)
{
	struct h_peer *p = ud;
	p->open_rooms++;
	if (p->on_open_room)
		p->on_open_room(p, NULL);
}

static const struct lp2p_mux_callbacks callbacks = {
    .on_stream_open = cb_open,
    .on_stream_data = cb_data,
    .on_stream_fin = cb_fin,
    .on_stream_reset = cb_reset,
    .on_stream_writable = cb_writable,
    .on_goaway = cb_goaway,
    .on_ping_ack = cb_ping_ack,
    .on_open_room = cb_open_room,
};

struct h_peer *h_peer_new(enum lp2p_mux_kind kind, enum lp2p_mux_role role,
                          const struct lp2p_mux_config *cfg)
{
	struct h_peer *p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->auto_consume = true;
	if (lp2p_mux_new(&p->m, kind, role, cfg, &callbacks, p) != 0)
		abort();
	return p;
}

void h_peer_free(struct h_peer *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nstreams; i++)
		free(p->streams[i].rx);
	lp2p_mux_free(p->m);
	free(p);
}

struct h_stream *h_open(struct h_peer *p, const char *name, int *rc)
{
	uint64_t id;
	struct h_stream *hs = slot(p, UINT64_MAX, false);
	int r = lp2p_mux_open(p->m, name, hs, &id);
	if (rc)
		*rc = r;
	if (r != 0) {
		p->nstreams--;
		return NULL;
	}
	hs->id = id;
	return hs;
}

long h_pump_one(struct h_peer *a, struct h_peer *b)
{
	uint8_t *buf;
	size_t n = lp2p_mux_out_peek(a->m, &buf);
	if (n == 0)
		return 0;
	if (a->chunk && n > a->chunk)
		n = a->chunk;
	ssize_t c = lp2p_mux_recv(b->m, buf, n);
	if (c > 0)
		lp2p_mux_out_ack(a->m, (size_t)c);
	return c;
}

int h_pump(struct h_peer *a, struct h_peer *b)
{
	for (;;) {
		long x = h_pump_one(a, b);
		if (x < 0)
			return (int)x;
		long y = h_pump_one(b, a);
		if (y < 0)
			return (int)y;
		if (x == 0 && y == 0)
			return 0;
	}
}

long h_feed(struct h_peer *p, const void *buf, size_t len)
{
	return lp2p_mux_recv(p->m, buf, len);
}

size_t h_take(struct h_peer *p, uint8_t *out, size_t cap)
{
	uint8_t *buf;
	size_t n = lp2p_mux_out_peek(p->m, &buf);
	if (out) {
		if (n > cap)
			n = cap;
		memcpy(out, buf, n);
	}
	lp2p_mux_out_ack(p->m, n);
	return n;
}

int h_write_all(struct h_peer *a, struct h_peer *b, uint64_t id,
                const uint8_t *data, size_t len)
{
	size_t done = 0;
	int stalls = 0;
	while (done < len) {
		ssize_t n = lp2p_mux_write(a->m, id, data + done, len - done);
		if (n == LP2P_EAGAIN) {
			n = 0;
		} else if (n < 0) {
			return (int)n;
		}
		done += (size_t)n;
		int rc = h_pump(a, b);
		if (rc < 0)
			return rc;
		if (n == 0 && ++stalls > 1000)
			return LP2P_EAGAIN; /* the receiver does not consume */
	}
	return 0;
}
