/*
 * write_meter.h - the throughput floor of a connection's output
 * (limits.min_write_rate), as a pure counter: the caller passes the time.
 *
 * write_timeout closes a connection whose peer takes none of our pending
 * output for that long; a peer that takes a little now and then beats it
 * and keeps the connection's buffers.  While output stays pending (the
 * socket never took all of it), the meter counts the bytes the socket
 * takes over windows of write_timeout; a window that ends with fewer than
 * rate * window bytes condemns the connection.  Once the output drains,
 * the next window starts when output is pending again.
 *
 * Windows are judged when the socket takes bytes (the write path already
 * runs then), so the meter needs no timer: a peer that takes nothing is
 * the stall timer's.
 */
#ifndef LP2P_SWARM_WRITE_METER_H
#define LP2P_SWARM_WRITE_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lp2p_write_meter {
	bool pending;      /* output pending since since_ms */
	uint64_t since_ms; /* the current window's start */
	uint64_t bytes;    /* taken by the socket since then */
};

/* Output is left over after a write: a window starts unless one runs. */
static inline void lp2p_write_meter_pending(struct lp2p_write_meter *m,
                                            uint64_t now_ms)
{
	if (m->pending)
		return;
	m->pending = true;
	m->since_ms = now_ms;
	m->bytes = 0;
}

/* The socket took all our output: no window until output waits again. */
static inline void lp2p_write_meter_drained(struct lp2p_write_meter *m)
{
	m->pending = false;
}

/*
 * The socket took n bytes at now_ms.  Returns false when a window of at
 * least window_ms has ended with fewer than rate bytes per second taken
 * (over the whole time since it started); otherwise the next window starts
 * once one has ended.  rate 0 or window_ms 0: no floor.
 */
static inline bool lp2p_write_meter_took(struct lp2p_write_meter *m,
                                         uint64_t now_ms, size_t n,
                                         uint64_t window_ms, uint64_t rate)
{
	if (!m->pending || !rate || !window_ms)
		return true;
	if (now_ms < m->since_ms) { /* the clock stepped back */
		m->since_ms = now_ms;
		m->bytes = 0;
	}
	m->bytes += n;
	uint64_t elapsed = now_ms - m->since_ms;
	if (elapsed < window_ms)
		return true;
	/* bytes < rate * elapsed / 1000, without overflow */
	uint64_t whole = elapsed / 1000, part = elapsed % 1000;
	uint64_t need =
	    rate > UINT64_MAX / (whole ? whole : 1) ? UINT64_MAX : rate * whole;
	uint64_t frac = rate / 1000 * part + rate % 1000 * part / 1000;
	need = need > UINT64_MAX - frac ? UINT64_MAX : need + frac;
	if (m->bytes < need)
		return false;
	m->since_ms = now_ms;
	m->bytes = 0;
	return true;
}

#endif
