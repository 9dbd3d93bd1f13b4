/* host.h - the host object (internal): config, loop, plugins */
#ifndef LP2P_HOST_INTERNAL_H
#define LP2P_HOST_INTERNAL_H

#include <lp2p/host.h>

#include "config/config.h"
#include "loop/loop.h"
#include "plugin/loader.h"

struct lp2p_host {
	const struct lp2p_config *cfg;
	struct lp2p_loop loop;
	size_t nplugins;
	struct lp2p_plugin *plugins[LP2P_CONFIG_MAX_LIST];
	bool started;
	bool stopped;
};

#endif
