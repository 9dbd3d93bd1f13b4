/* host.h - the host object (internal): config, loop, plugins */
#ifndef LP2P_HOST_INTERNAL_H
#define LP2P_HOST_INTERNAL_H

#include <lp2p/host.h>

#include "config/config.h"
#include "loop/loop.h"
#include "plugin/loader.h"
#include "host/peerstore.h"
#include "swarm/swarm.h"

struct lp2p_proto_entry {
	char *protocol;
	lp2p_accept_cb accept;
	void *arg;
};

struct lp2p_subscriber {
	struct lp2p_subscriber *next;
	char *type;
	lp2p_event_cb cb;
	void *arg;
};

struct lp2p_event;
struct lp2p_bootstrap_peer;
struct req;

struct lp2p_host {
	const struct lp2p_config *cfg;
	struct lp2p_loop loop;
	struct lp2p_key *identity;
	bool ephemeral_identity;
	struct lp2p_swarm swarm;
	struct lp2p_peerstore peerstore;
	size_t nplugins;
	struct lp2p_plugin *plugins[LP2P_CONFIG_MAX_LIST];
	bool started;
	bool stopped;

	struct lp2p_proto_entry *protos; /* added at run time */
	size_t nprotos, protos_cap;
	const char **proto_list; /* lp2p_host_protocols() snapshot */
	size_t proto_list_n;

	struct lp2p_bootstrap_peer *bootstrap;
	size_t nbootstrap;

	struct req *requests; /* in flight (swarm/request.c) */

	struct lp2p_subscriber *subscribers;
	struct lp2p_event *events_head, *events_tail;
	size_t events_queued;
	/* events are delivered after every poll (check); while some wait,
	 * the idle watcher keeps the poll from blocking */
	ev_check event_watcher;
	ev_idle event_wake;
};

/* The host a connection belongs to (the swarm's callbacks' arg). */
static inline struct lp2p_host *lp2p_host_of_conn(const struct lp2p_conn *c)
{
	return c->sw->cb_arg;
}

/* protocols.c: who takes an inbound stream for protocol */
struct lp2p_route {
	const struct lp2p_plugin *plugin; /* or: */
	lp2p_accept_cb accept;
	void *arg;
};
bool lp2p_host_route(struct lp2p_host *h, const char *protocol,
                     struct lp2p_route *out);
bool lp2p_host_accepts(struct lp2p_host *h, const char *protocol);
void lp2p_host_protocols_fini(struct lp2p_host *h);

/* bootstrap.c */
int lp2p_bootstrap_start(struct lp2p_host *h, char *err, size_t errlen);
void lp2p_bootstrap_conn_closed(struct lp2p_host *h, struct lp2p_conn *c);
void lp2p_bootstrap_stop(struct lp2p_host *h);

/* host.c: what the swarm tells the host (swarm.h) */
extern const struct lp2p_swarm_callbacks lp2p_host_swarm_callbacks;

/* events.c */
void lp2p_host_events_init(struct lp2p_host *h);
void lp2p_host_events_fini(struct lp2p_host *h);

#endif
