/*
 * hello.c - a minimal lp2p protocol plugin, the starting point for your own.
 *
 * Build it against an installed lp2p with `make` (uses pkg-config), install
 * with `make install`, and enable it in lp2pd.yaml:
 *
 *     plugins:
 *       hello:
 *         greeting: "hi there"
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/plugin.h>

struct hello {
	lp2p_host *host;
	char *greeting;
};

/* Refuse unknown keys before anything starts, naming file and line. */
static int hello_config_check(const lp2p_config_node *cfg, char *err,
                              size_t errlen)
{
	static const char *const keys[] = {"greeting", NULL};
	return lp2p_config_check_keys(cfg, keys, err, errlen);
}

static int hello_init(lp2p_host *host, const lp2p_config_node *cfg,
                      void **state, char *err, size_t errlen)
{
	const char *greeting = "hello";
	int rc = lp2p_config_get_string(cfg, "greeting", &greeting, err,
	                                errlen);
	if (rc && rc != LP2P_ENOTFOUND)
		return rc;
	struct hello *h = calloc(1, sizeof *h);
	if (!h || !(h->greeting = strdup(greeting))) {
		free(h);
		return LP2P_ENOMEM;
	}
	h->host = host;
	lp2p_log(LP2P_LOG_INFO, "hello: started, greeting '%s'", h->greeting);
	*state = h;
	return 0;
}

static void hello_fini(void *state)
{
	struct hello *h = state;
	lp2p_log(LP2P_LOG_INFO, "hello: stopped");
	free(h->greeting);
	free(h);
}

static const char *const hello_protocols[] = {"/hello/1.0.0", NULL};

LP2P_PLUGIN_EXPORT const struct lp2p_plugin_descriptor lp2p_plugin_descriptor = {
	LP2P_PLUGIN_HEADER,
	.name = "hello",
	.version = "1.0.0",
	.description = "a template plugin that says hello",
	.protocols = hello_protocols,
	.config_check = hello_config_check,
	.init = hello_init,
	.fini = hello_fini,
};
