/*
 * lp2p/plugin.h - what a protocol plugin is.
 *
 * A plugin is a shared object that exports one descriptor,
 *
 *     LP2P_PLUGIN_EXPORT const struct lp2p_plugin_descriptor
 *             lp2p_plugin_descriptor = { LP2P_PLUGIN_HEADER, ... };
 *
 * and, optionally, any of the handlers declared below, by exactly these
 * names.  The runtime loads it with dlopen(RTLD_NOW | RTLD_LOCAL), checks the
 * descriptor (ABI version, struct size, build signature, name, protocol ids)
 * and only then looks the handlers up with dlsym; a handler that is not
 * defined is never called.
 *
 * Lifecycle (fixed): dlopen -> descriptor checked -> config_check(subtree)
 * -> init(host, subtree) -> handlers ... -> fini(state) -> dlclose at exit.
 * No handler runs after fini.  Plugins are initialised in the order of the
 * configuration and finalised in reverse.
 *
 * Threading: every handler is called on the swarm thread.  A handler may
 * start work that finishes later (on another thread too); it comes back to
 * the swarm thread with lp2p_host_post() (see lp2p/host.h).
 */
#ifndef LP2P_PLUGIN_H
#define LP2P_PLUGIN_H

#include <lp2p/common.h>
#include <lp2p/config.h>
#include <lp2p/version.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lp2p_host lp2p_host;
typedef struct lp2p_conn lp2p_conn;
typedef struct lp2p_stream lp2p_stream;
typedef struct lp2p_packet_handler lp2p_packet_handler;
struct lp2p_peer_id;

/* Symbols a plugin exports must be visible even under -fvisibility=hidden. */
#define LP2P_PLUGIN_EXPORT __attribute__((visibility("default")))

/* The name of the descriptor symbol. */
#define LP2P_PLUGIN_DESCRIPTOR_SYMBOL "lp2p_plugin_descriptor"

/*
 * A string that changes when the compiled type sizes the ABI depends on
 * change (like nginx's module signature): a plugin built with different
 * sizes is refused as not binary compatible.
 */
#define LP2P_STR2_(x) #x
#define LP2P_STR_(x) LP2P_STR2_(x)
#define LP2P_BUILD_SIGNATURE                                                 \
	"lp2p-abi-" LP2P_STR_(LP2P_PLUGIN_ABI) "-ptr" LP2P_STR_(              \
		__SIZEOF_POINTER__) "-long" LP2P_STR_(__SIZEOF_LONG__) "-sz"   \
		LP2P_STR_(__SIZEOF_SIZE_T__)

struct lp2p_plugin_descriptor {
	/* LP2P_PLUGIN_HEADER fills these three. */
	uint32_t abi_version;        /* LP2P_PLUGIN_ABI */
	uint32_t struct_size;        /* sizeof(struct lp2p_plugin_descriptor) */
	const char *build_signature; /* LP2P_BUILD_SIGNATURE */

	const char *name;        /* must equal the name used in the config */
	const char *version;     /* the plugin's own version, free form */
	const char *description; /* one line, for --check-config */

	/* NULL-terminated protocol ids this plugin accepts inbound streams
	 * for (e.g. "/ipfs/ping/1.0.0"); may be NULL or empty. */
	const char *const *protocols;

	/*
	 * Validate the plugin's config subtree (cfg may be a null node) before
	 * anything starts; return 0 or LP2P_ECONFIG with a message written by
	 * lp2p_config_error() into err.  Optional (NULL: any subtree is
	 * accepted).  Must not keep cfg or start anything.
	 */
	int (*config_check)(const lp2p_config_node *cfg, char *err,
	                    size_t errlen);

	/*
	 * Start the plugin.  cfg is the plugin's read-only subtree, valid until
	 * fini.  Store private state in *state (passed to every handler and to
	 * fini).  On failure return a negative code and say why in err; the
	 * node then does not start.  Required.
	 */
	int (*init)(lp2p_host *host, const lp2p_config_node *cfg, void **state,
	            char *err, size_t errlen);

	/* Stop: free everything; no handler is called afterwards.  Optional. */
	void (*fini)(void *state);

	/* NULL-terminated event types delivered to handle_protocol_event
	 * ("*" for all); may be NULL.  See lp2p/events.h. */
	const char *const *events;
};

#define LP2P_PLUGIN_HEADER                                                   \
	.abi_version = LP2P_PLUGIN_ABI,                                        \
	.struct_size = sizeof(struct lp2p_plugin_descriptor),                  \
	.build_signature = LP2P_BUILD_SIGNATURE

/* ---- the handler set (each optional; defined with these exact names) ---- */

/* A connection to peer is up: secured, multiplexed, peer id verified. */
LP2P_PLUGIN_EXPORT void handle_new_connection(void *state, lp2p_conn *conn,
                                              const struct lp2p_peer_id *peer);

/* A connection closed; conn is valid only during the call. */
LP2P_PLUGIN_EXPORT void
handle_closed_connection(void *state, lp2p_conn *conn,
                         const struct lp2p_peer_id *peer);

/* An event another part published (see lp2p_host_publish()); type is a
 * string such as "identify.peer" (LP2P_EVENT_IDENTIFY_PEER), data/len its
 * struct (lp2p/events.h), valid during the call. */
LP2P_PLUGIN_EXPORT void handle_protocol_event(void *state, const char *type,
                                              const void *data, size_t len);

/*
 * A peer opened a stream for one of the plugin's protocol ids (protocol).
 * Return 0 to take it (install callbacks with lp2p_stream_set_handler()),
 * or a negative code to refuse it (the stream is reset; a handler
 * installed before refusing gets on_close with that code, like any end).
 */
LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *stream,
                                             const char *protocol);

/* (Extension) a datagram arrived on a packet transport; data/len are valid
 * during the call.  No transport of this version delivers packets yet. */
LP2P_PLUGIN_EXPORT void handle_packet(void *state, lp2p_packet_handler *ph,
                                      const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
