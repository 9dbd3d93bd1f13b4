/* host.h - the host object (internal): config, loop, plugins */
#ifndef LP2P_HOST_INTERNAL_H
#define LP2P_HOST_INTERNAL_H

#include <lp2p/host.h>

#include "config/config.h"
#include "loop/loop.h"
#include "plugin/loader.h"
#include "swarm/peerstore.h"
#include "swarm/swarm.h"

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
};

#endif
