/*
 * mem_harness.h - the swarm test harness (test_swarm_harness.h) on the
 * in-memory transport (net/memory_transport.h), no sockets: every host
 * has listen: [] (the configuration takes TCP addresses only), the
 * memory transport is added after lp2p_host_new and the host listens on
 * /memory/0 before lp2p_host_start.  TCP stays enabled (transports:
 * needs an entry) but nothing listens or dials on it.  Links libruntime
 * statically, so tests can look into h->swarm.
 *
 * Raw listeners: a memory listener that is no host, on a host's loop,
 * whose accepted pipes are held without a word (an address that never
 * answers the upgrade).  mem_world_teardown frees them before the hosts.
 */
#ifndef MEM_HARNESS_H
#define MEM_HARNESS_H

#include "test_swarm_harness.h"
#include "host/host.h"

#define RAW_MAX_PIPES 8

struct raw_listener {
	struct node *on; /* whose loop runs it */
	void *ctx;       /* its own memory transport instance */
	void *listener;
	struct lp2p_multiaddr addr;
	struct lp2p_pipe *pipes[RAW_MAX_PIPES]; /* accepted, held */
	size_t accepts;
};

/* cmocka setup/teardown: a world whose nodes use the memory transport. */
int mem_world_setup(void **state);
int mem_world_teardown(void **state);

/* The host behind a node. */
static inline struct lp2p_host *host_of(struct node *n)
{
	return n->h;
}

/* A raw listener on /memory/0, run by on's loop. */
struct raw_listener *raw_listen(struct node *on);

/* What a held pipe saw: bytes read so far go to head (up to cap). */
enum raw_state { RAW_OPEN, RAW_EOF, RAW_RESET };
enum raw_state raw_poll(struct raw_listener *r, size_t i, uint8_t *head,
                        size_t cap, size_t *len);

/* A /memory address nobody listens on. */
struct lp2p_multiaddr mem_unused_addr(void);

#endif
