/*
 * mem_harness.c - swarm tests on the in-memory transport (see
 * mem_harness.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "mem_harness.h"
#include "net/memory_transport.h"

#define RAW_MAX 4

/* The raw listeners of the running test (cmocka runs one at a time). */
static struct raw_listener raws[RAW_MAX];
static size_t nraws;

static void add_memory(struct world *w, struct node *n)
{
	(void)w;
	int rc = lp2p_swarm_add_transport(&host_of(n)->swarm,
	                                  &lp2p_transport_memory);
	if (rc)
		fail_msg("lp2p_swarm_add_transport: %s", lp2p_strerror(rc));
	/* listen: in the configuration takes TCP addresses only */
	struct lp2p_multiaddr any;
	assert_int_equal(lp2p_multiaddr_parse("/memory/0", 9, &any), 0);
	char err[256];
	if ((rc = lp2p_host_listen(n->h, &any, err, sizeof err)))
		fail_msg("lp2p_host_listen: %s", err);
}

int mem_world_setup(void **state)
{
	int rc = world_setup(state);
	if (rc)
		return rc;
	struct world *w = *state;
	/* transports: [] is refused (at least one entry): TCP stays
	 * enabled, but nothing listens or dials on it */
	w->listen_yaml = "listen: []";
	w->node_init = add_memory;
	nraws = 0;
	return 0;
}

int mem_world_teardown(void **state)
{
	/* before the hosts whose loops they use */
	for (size_t i = 0; i < nraws; i++) {
		struct raw_listener *r = &raws[i];
		if (r->listener)
			lp2p_transport_memory.listener_close(r->listener);
		lp2p_transport_memory.free_transport(r->ctx);
	}
	nraws = 0;
	return world_teardown(state);
}

static int raw_accept(void *arg, struct lp2p_pipe *p,
                      const struct lp2p_multiaddr *remote)
{
	(void)remote;
	struct raw_listener *r = arg;
	if (r->accepts >= RAW_MAX_PIPES)
		fail_msg("too many pipes for a raw listener");
	r->pipes[r->accepts++] = p; /* held, never watched: silent */
	return 0;
}

struct raw_listener *raw_listen(struct node *on)
{
	if (nraws >= RAW_MAX)
		fail_msg("too many raw listeners");
	struct raw_listener *r = &raws[nraws];
	*r = (struct raw_listener){.on = on};
	int rc = lp2p_transport_memory.new_transport(&host_of(on)->loop,
	                                             &r->ctx);
	if (rc)
		fail_msg("new_transport: %s", lp2p_strerror(rc));
	nraws++;
	struct lp2p_multiaddr any;
	const char *text = "/memory/0";
	assert_int_equal(lp2p_multiaddr_parse(text, strlen(text), &any), 0);
	char err[128];
	rc = lp2p_transport_memory.listen(r->ctx, &any, raw_accept, r,
	                                  &r->listener, &r->addr, err,
	                                  sizeof err);
	if (rc)
		fail_msg("raw listen: %s", err);
	return r;
}

enum raw_state raw_poll(struct raw_listener *r, size_t i, uint8_t *head,
                        size_t cap, size_t *len)
{
	assert_true(i < r->accepts);
	struct lp2p_pipe *p = r->pipes[i];
	for (;;) {
		uint8_t buf[4096];
		ssize_t n = p->ops->read(p, buf, sizeof buf);
		if (n == LP2P_EAGAIN)
			return RAW_OPEN;
		if (n == 0)
			return RAW_EOF;
		if (n < 0)
			return RAW_RESET;
		size_t take = *len < cap ? cap - *len : 0;
		if (take > (size_t)n)
			take = (size_t)n;
		memcpy(head + *len, buf, take);
		*len += take;
	}
}

struct lp2p_multiaddr mem_unused_addr(void)
{
	/* listeners take small numbers, counting up from 1 */
	struct lp2p_multiaddr ma;
	const char *text = "/memory/18446744073709551000";
	assert_int_equal(lp2p_multiaddr_parse(text, strlen(text), &ma), 0);
	return ma;
}
