/*
 * test_write_meter.c - the throughput floor of a connection's output
 * (runtime/swarm/write_meter.h), driven with simulated time the way the
 * write path drives it: pending after a short write, took on every write
 * the socket (partly) accepted, drained when nothing is left.
 *
 * The real sockets are in tests/hostile (attack 10, "slow reader").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "swarm/write_meter.h"

#define WINDOW_MS 1000 /* limits.write_timeout */
#define RATE 4096      /* limits.min_write_rate */

/*
 * A peer that takes `bytes` every `every_ms` while our output stays
 * pending from time 0.  Returns when the meter condemned it (ms), or -1
 * if it was still fine at until_ms.
 */
static long run_reader(uint64_t bytes, uint64_t every_ms, uint64_t until_ms)
{
	struct lp2p_write_meter m = {0};
	lp2p_write_meter_pending(&m, 0);
	for (uint64_t t = every_ms; t <= until_ms; t += every_ms) {
		if (!lp2p_write_meter_took(&m, t, bytes, WINDOW_MS, RATE))
			return (long)t;
		lp2p_write_meter_pending(&m, t); /* still pending */
	}
	return -1;
}

/* One byte every 200 ms: condemned when the first window has ended. */
static void trickle_condemned(void **state)
{
	(void)state;
	long t = run_reader(1, 200, 10 * WINDOW_MS);
	assert_int_equal(t, WINDOW_MS);
}

/* Progress in big steps but below the floor overall (3000 bytes every
 * 900 ms, 3.3 KB/s): judged at the first step after a window, so within
 * two windows. */
static void chunky_slow_condemned(void **state)
{
	(void)state;
	long t = run_reader(3000, 900, 10 * WINDOW_MS);
	assert_int_equal(t, 1800);
	assert_true(t < 2 * WINDOW_MS);
}

/* Slow but above the floor, in small or big steps: never condemned. */
static void above_floor_kept(void **state)
{
	(void)state;
	assert_int_equal(run_reader(500, 100, 60 * WINDOW_MS), -1); /* 5000/s */
	assert_int_equal(run_reader(20000, 900, 60 * WINDOW_MS), -1);
	/* exactly the floor passes */
	assert_int_equal(run_reader(RATE / 4, 250, 60 * WINDOW_MS), -1);
	/* one byte less per window does not */
	assert_int_equal(run_reader(RATE / 4 - 1, 250, 60 * WINDOW_MS),
	                 WINDOW_MS);
}

/* Output that drains after each write is never judged, however little
 * flows. */
static void drained_never_condemned(void **state)
{
	(void)state;
	struct lp2p_write_meter m = {0};
	for (uint64_t t = 0; t < 60 * WINDOW_MS; t += 300) {
		lp2p_write_meter_pending(&m, t);
		assert_true(
		    lp2p_write_meter_took(&m, t + 10, 5, WINDOW_MS, RATE));
		lp2p_write_meter_drained(&m);
	}
	/* a write with nothing pending counts for nothing */
	assert_true(
	    lp2p_write_meter_took(&m, 120 * WINDOW_MS, 1, WINDOW_MS, RATE));
}

/* A drain ends the window: a slow stretch before it is forgotten. */
static void window_restarts_after_drain(void **state)
{
	(void)state;
	struct lp2p_write_meter m = {0};
	lp2p_write_meter_pending(&m, 0);
	assert_true(lp2p_write_meter_took(&m, 900, 10, WINDOW_MS, RATE));
	lp2p_write_meter_drained(&m);
	lp2p_write_meter_pending(&m, 950);
	/* 150 ms into the new window: not judged */
	assert_true(lp2p_write_meter_took(&m, 1100, 10, WINDOW_MS, RATE));
	/* the new window's own bytes count: RATE by its end passes */
	assert_true(lp2p_write_meter_took(&m, 1950, RATE, WINDOW_MS, RATE));
	/* a window that passed starts the next one */
	assert_true(lp2p_write_meter_took(&m, 2900, 10, WINDOW_MS, RATE));
	assert_false(lp2p_write_meter_took(&m, 2950, 10, WINDOW_MS, RATE));
}

/* pending while a window runs keeps its start. */
static void pending_keeps_window(void **state)
{
	(void)state;
	struct lp2p_write_meter m = {0};
	lp2p_write_meter_pending(&m, 0);
	lp2p_write_meter_pending(&m, 800);
	assert_false(lp2p_write_meter_took(&m, 1000, 1, WINDOW_MS, RATE));
}

static void disabled(void **state)
{
	(void)state;
	struct lp2p_write_meter m = {0};
	lp2p_write_meter_pending(&m, 0);
	assert_true(lp2p_write_meter_took(&m, 5000, 0, WINDOW_MS, 0));
	assert_true(lp2p_write_meter_took(&m, 5000, 0, 0, RATE));
}

/* Huge rates and windows do not overflow into a pass. */
static void no_overflow(void **state)
{
	(void)state;
	struct lp2p_write_meter m = {0};
	lp2p_write_meter_pending(&m, 0);
	assert_false(
	    lp2p_write_meter_took(&m, 1001, 1u << 30, WINDOW_MS, UINT64_MAX));
	m = (struct lp2p_write_meter){0};
	lp2p_write_meter_pending(&m, 0);
	assert_false(lp2p_write_meter_took(&m, UINT64_MAX / 2, 1u << 30,
	                                   WINDOW_MS, UINT64_MAX / 1000));
	/* a clock that steps back restarts the window, never judges it */
	m = (struct lp2p_write_meter){0};
	lp2p_write_meter_pending(&m, 5000);
	assert_true(lp2p_write_meter_took(&m, 100, 1, WINDOW_MS, RATE));
	assert_false(lp2p_write_meter_took(&m, 1100, 1, WINDOW_MS, RATE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(trickle_condemned),
	    cmocka_unit_test(chunky_slow_condemned),
	    cmocka_unit_test(above_floor_kept),
	    cmocka_unit_test(drained_never_condemned),
	    cmocka_unit_test(window_restarts_after_drain),
	    cmocka_unit_test(pending_keeps_window),
	    cmocka_unit_test(disabled),
	    cmocka_unit_test(no_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
