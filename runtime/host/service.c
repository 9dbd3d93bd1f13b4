/*
 * service.c - the bookkeeping of lp2p/service.h: echoing streams, a
 * peer's streams of a protocol, connection timers, the microsecond clock.
 * Built on the public stream and connection calls, except the stream
 * count, which walks the swarm's lists.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lp2p/resource.h>
#include <lp2p/service.h>

#include "host/host.h"
#include "swarm/swarm.h"

/* ---- echo ---- */

struct echo {
	size_t unit;
	size_t have; /* bytes of an incomplete unit in buf */
	uint8_t buf[];
};

/* Send back data[0..len), which holds whole units. */
static bool echo_send(lp2p_stream *s, const uint8_t *data, size_t len)
{
	int rc = len ? lp2p_stream_send(s, data, len) : 0;
	if (rc)
		lp2p_stream_reset(s, rc);
	return rc == 0;
}

static void echo_data(lp2p_stream *s, void *user, const uint8_t *data,
                      size_t len)
{
	struct echo *e = user;
	if (e->have) { /* complete the unit begun before */
		size_t n = e->unit - e->have < len ? e->unit - e->have : len;
		memcpy(e->buf + e->have, data, n);
		e->have += n;
		data += n;
		len -= n;
		if (e->have < e->unit)
			return;
		e->have = 0;
		if (!echo_send(s, e->buf, e->unit))
			return;
	}
	/* whole units straight from the input, the rest kept */
	size_t whole = len - len % e->unit;
	if (!echo_send(s, data, whole))
		return;
	if (len > whole)
		memcpy(e->buf, data + whole, len - whole);
	e->have = len - whole;
	/* a peer that sends without reading waits for us */
	if (lp2p_stream_send_queued(s) > LP2P_ECHO_HIWAT)
		lp2p_stream_pause(s);
}

static void echo_writable(lp2p_stream *s, void *user)
{
	(void)user;
	lp2p_stream_resume(s);
}

static void echo_remote_close(lp2p_stream *s, void *user)
{
	(void)user;
	lp2p_stream_close(s); /* after the echoes still queued */
}

static void echo_closed(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	(void)reason;
	free(user);
}

static const struct lp2p_stream_handler echo_handler = {
	.on_data = echo_data,
	.on_writable = echo_writable,
	.on_remote_close = echo_remote_close,
	.on_close = echo_closed,
};

LP2P_API int lp2p_stream_echo(lp2p_stream *s, size_t unit)
{
	if (!s || unit == 0 || unit > LP2P_ECHO_MAX_UNIT)
		return LP2P_EINVAL;
	/* the incomplete unit: at most unit - 1 bytes */
	int rc = unit > 1 ? lp2p_stream_reserve_memory(s, unit) : 0;
	if (rc)
		return rc;
	struct echo *e = malloc(sizeof *e + unit);
	if (!e) {
		if (unit > 1)
			lp2p_stream_release_memory(s, unit);
		return LP2P_ENOMEM;
	}
	e->unit = unit;
	e->have = 0;
	lp2p_stream_set_handler(s, &echo_handler, e);
	return 0;
}

/* ---- a peer's streams of a protocol ---- */

LP2P_API size_t lp2p_host_peer_streams(const lp2p_host *h,
                                       const struct lp2p_peer_id *peer,
                                       const char *protocol,
                                       enum lp2p_direction dir)
{
	if (!h || !peer || !protocol)
		return 0;
	return lp2p_swarm_peer_streams(&h->swarm, peer, protocol, dir);
}

/* ---- connection timers ---- */

struct conn_timer {
	lp2p_conn *conn;
	lp2p_timer *timer;
	void (*cb)(void *arg);
	void *arg;
};

static void conn_timer_fired(void *arg)
{
	struct conn_timer *ct = arg;
	if (lp2p_conn_is_open(ct->conn))
		ct->cb(ct->arg);
	else
		lp2p_timer_stop(ct->timer);
}

static void conn_timer_free(void *arg)
{
	struct conn_timer *ct = arg;
	lp2p_timer_free(ct->timer);
	free(ct);
}

LP2P_API int lp2p_conn_timer_new(lp2p_conn *conn, void (*cb)(void *arg),
                                 void *arg, lp2p_timer **out)
{
	if (!conn || !cb || !out)
		return LP2P_EINVAL;
	if (!lp2p_conn_is_open(conn))
		return LP2P_ECLOSED;
	struct conn_timer *ct = calloc(1, sizeof *ct);
	if (!ct)
		return LP2P_ENOMEM;
	ct->conn = conn;
	ct->cb = cb;
	ct->arg = arg;
	int rc = lp2p_timer_new(lp2p_host_of_conn(conn), conn_timer_fired, ct,
	                        &ct->timer);
	if (rc == 0)
		rc = lp2p_conn_set_data(conn, ct, ct, conn_timer_free);
	if (rc) {
		lp2p_timer_free(ct->timer);
		free(ct);
		return rc;
	}
	*out = ct->timer;
	return 0;
}

/* ---- the clock ---- */

LP2P_API uint64_t lp2p_clock_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
