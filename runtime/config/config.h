/* config.h - the runtime's own configuration, validated and typed (internal) */
#ifndef LP2P_RUNTIME_CONFIG_H
#define LP2P_RUNTIME_CONFIG_H

#include <stdbool.h>
#include <lp2p/config.h>
#include <lp2p/resource.h>

#include "config/tree.h"

#define LP2P_CONFIG_MAX_LIST 64

struct lp2p_string_list {
	size_t n;
	const char *v[LP2P_CONFIG_MAX_LIST]; /* point into the tree */
	const lp2p_config_node *node[LP2P_CONFIG_MAX_LIST];
};

struct lp2p_plugin_entry {
	const char *name;             /* the mapping key */
	const lp2p_config_node *node; /* its subtree (may be NULL type) */
};

/* A deadline not set in an override: the default applies. */
#define LP2P_DEADLINE_UNSET UINT64_MAX
/* The longest stream deadline (a stream keeps them in 32 bits). */
#define LP2P_DEADLINE_MAX_MS UINT32_MAX

/* limits.protocols / limits.plugins: one scope's own limits. */
struct lp2p_scope_override {
	const char *name; /* protocol id or plugin name (points into the tree) */
	struct lp2p_resource_limits l;
	/* limits.protocols.<id>.stream_idle_timeout / .stream_timeout: the
	 * protocol's stream deadlines (ms, 0: none), or LP2P_DEADLINE_UNSET */
	uint64_t stream_idle_timeout_ms, stream_timeout_ms;
};

struct lp2p_limits {
	/* Resource scopes (lp2p/resource.h): protocol, plugin and peer are
	 * the limits of each such scope. */
	struct lp2p_resource_limits system, transient, protocol, plugin, peer,
		conn, stream;
	bool system_fds_auto; /* system.fds unset: from RLIMIT_NOFILE */
	size_t nprotocols, nplugins;
	struct lp2p_scope_override protocols[LP2P_CONFIG_MAX_LIST];
	struct lp2p_scope_override plugins[LP2P_CONFIG_MAX_LIST];

	uint32_t max_connections_per_ip; /* inbound, per IPv4 / IPv6 /56 */
	uint32_t accept_rate;            /* new inbound per second, 0: off */
	bool exempt_loopback; /* loopback peers skip the per-IP and rate caps */
	uint64_t handshake_timeout_ms;
	uint64_t negotiation_timeout_ms;
	uint64_t dial_timeout_ms;
	uint64_t write_timeout_ms; /* no write progress with output pending */
	/* Per-stream deadlines, the default of every protocol (ms, 0: none):
	 * no data either way for this long, and the stream's whole life. */
	uint64_t stream_idle_timeout_ms;
	uint64_t stream_timeout_ms;
	/* Bytes per second a peer must take while output stays pending,
	 * measured over write_timeout windows; 0: no floor. */
	uint64_t min_write_rate;
};

struct lp2p_connmgr_config {
	uint32_t low_water;
	uint32_t high_water;
	uint64_t grace_period_ms;
	uint64_t idle_timeout_ms;
};

struct lp2p_config {
	char *source; /* file name, or "<built-in>" */
	char *text;   /* the YAML text (kept for re-reads by tooling) */
	struct lp2p_config_node *root;

	const char *key_file; /* NULL: ephemeral identity */
	const char *key_type; /* for a key created on first start */
	/* pnet.key_file: a private network (PSK v1, runtime/pnet); the key
	 * is read at load time and wiped by lp2p_config_free(). */
	bool pnet_enabled;
	const char *pnet_key_file; /* NULL: the public network */
	uint8_t pnet_key[32];      /* LP2P_PNET_KEY_LEN */
	struct lp2p_string_list listen;
	struct lp2p_string_list transports;
	struct lp2p_string_list security;
	struct lp2p_string_list muxers;
	struct lp2p_string_list plugin_path;
	struct lp2p_string_list bootstrap;
	/* The built-in default: load the standard plugins that are installed,
	 * skipping those that are not. */
	bool default_plugins;
	size_t nplugins;
	struct lp2p_plugin_entry plugins[LP2P_CONFIG_MAX_LIST];
	struct lp2p_limits limits;
	struct lp2p_connmgr_config connmgr;
	int log_level;
	bool log_syslog;
	const char *log_ident;
};

/* limits.c: the limits: mapping (defaults, scopes, consistency). */
void lp2p_config_limits_default(struct lp2p_limits *l);
int lp2p_config_check_limits(struct lp2p_config *c, char *err, size_t errlen);

/* The built-in default configuration text (also shipped as documentation). */
extern const char lp2p_default_config_yaml[];

#endif
