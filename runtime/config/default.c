/* default.c - the configuration lp2pd runs without -c */
#include "config/config.h"

/* Listens on all interfaces on the libp2p default port and loads the
 * standard plugins; no key file, so the identity is ephemeral. */
const char lp2p_default_config_yaml[] =
	"listen:\n"
	"  - /ip4/0.0.0.0/tcp/4001\n"
	"  - /ip6/::/tcp/4001\n"
	"transports: [tcp]\n"
	"security: [noise]\n"
	"muxers: [yamux, mplex]\n"
	"plugins: {}\n";
