/* loader.h - load, validate, start and stop protocol plugins (internal) */
#ifndef LP2P_PLUGIN_LOADER_H
#define LP2P_PLUGIN_LOADER_H

#include <stdbool.h>
#include <lp2p/plugin.h>

#include "config/config.h"

typedef void (*lp2p_new_conn_fn)(void *, lp2p_conn *,
                                 const struct lp2p_peer_id *);
typedef void (*lp2p_event_fn)(void *, const char *, const void *, size_t);
typedef int (*lp2p_accept_fn)(void *, lp2p_stream *, const char *);
typedef void (*lp2p_packet_fn)(void *, lp2p_packet_handler *,
                               const uint8_t *, size_t);

struct lp2p_plugin {
	char *name;
	char *path;
	void *dl;
	const struct lp2p_plugin_descriptor *desc;
	const lp2p_config_node *cfg;
	/* handlers, NULL when the plugin does not define them */
	lp2p_new_conn_fn new_connection;
	lp2p_new_conn_fn closed_connection;
	lp2p_event_fn protocol_event;
	lp2p_accept_fn accept_inbound;
	lp2p_packet_fn packet;
	void *state;
	bool running; /* init succeeded and fini not yet called */
};

/*
 * Find NAME.so in the search path (LP2P_PLUGIN_PATH from the environment,
 * then the config's plugin_path, then the installed plugin directory) or
 * take NAME as a path when it contains '/'; dlopen it, check the
 * descriptor, look up the handlers and run config_check on cfg.
 */
int lp2p_plugin_load(const char *name, const lp2p_config_node *cfg,
                     const struct lp2p_string_list *plugin_path,
                     struct lp2p_plugin **out, char *err, size_t errlen);

/* Call init; on failure err names the plugin and the reason. */
int lp2p_plugin_start(struct lp2p_plugin *p, lp2p_host *host, char *err,
                      size_t errlen);
/* Call fini (once); handlers are not called afterwards. */
void lp2p_plugin_stop(struct lp2p_plugin *p);
/* dlclose (skipped when LP2P_NO_DLCLOSE is set, for ASan/Valgrind) and free. */
void lp2p_plugin_unload(struct lp2p_plugin *p);

/* Whether a plugin file with this name exists on the search path. */
bool lp2p_plugin_exists(const char *name,
                        const struct lp2p_string_list *plugin_path);

#endif
