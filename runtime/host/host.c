/* host.c - create, start, run and stop a host */
#include <stdlib.h>
#include <string.h>

#include <lp2p/log.h>

#include "host/host.h"

/* Plugins the built-in default configuration loads when installed. */
static const char *const default_plugins[] = {"identify", "ping", "echo",
                                              NULL};

static void stop_plugins(struct lp2p_host *h)
{
	for (size_t i = h->nplugins; i-- > 0;)
		lp2p_plugin_stop(h->plugins[i]);
}

static void on_loop_stop(void *arg)
{
	struct lp2p_host *h = arg;
	if (h->stopped)
		return;
	h->stopped = true;
	stop_plugins(h);
}

static int load_plugin(struct lp2p_host *h, const char *name,
                       const lp2p_config_node *node, char *err, size_t errlen)
{
	struct lp2p_plugin *p;
	int rc = lp2p_plugin_load(name, node, &h->cfg->plugin_path, &p, err,
	                          errlen);
	if (rc)
		return rc;
	h->plugins[h->nplugins++] = p;
	return 0;
}

LP2P_API int lp2p_host_new(const lp2p_config *cfg, lp2p_host **out, char *err,
                           size_t errlen)
{
	struct lp2p_host *h = calloc(1, sizeof *h);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	h->cfg = cfg;
	int rc = lp2p_loop_init(&h->loop);
	if (rc) {
		snprintf(err, errlen, "cannot create the event loop");
		free(h);
		return rc;
	}
	h->loop.on_stop = on_loop_stop;
	h->loop.on_stop_arg = h;

	if (cfg->default_plugins) {
		for (size_t i = 0; default_plugins[i] && rc == 0; i++) {
			if (!lp2p_plugin_exists(default_plugins[i],
			                        &cfg->plugin_path)) {
				lp2p_log(LP2P_LOG_NOTICE,
				         "default plugin '%s' is not installed; "
				         "running without it",
				         default_plugins[i]);
				continue;
			}
			rc = load_plugin(h, default_plugins[i], NULL, err,
			                 errlen);
		}
	}
	for (size_t i = 0; i < cfg->nplugins && rc == 0; i++)
		rc = load_plugin(h, cfg->plugins[i].name, cfg->plugins[i].node,
		                 err, errlen);
	if (rc) {
		lp2p_host_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

LP2P_API int lp2p_host_start(lp2p_host *h, char *err, size_t errlen)
{
	if (h->started) {
		snprintf(err, errlen, "host already started");
		return LP2P_EINVAL;
	}
	for (size_t i = 0; i < h->nplugins; i++) {
		int rc = lp2p_plugin_start(h->plugins[i], h, err, errlen);
		if (rc) {
			stop_plugins(h);
			return rc;
		}
		lp2p_log(LP2P_LOG_INFO, "plugin %s %s started",
		         h->plugins[i]->name,
		         h->plugins[i]->desc->version
		                 ? h->plugins[i]->desc->version
		                 : "");
	}
	h->started = true;
	h->stopped = false;
	return 0;
}

LP2P_API int lp2p_host_run(lp2p_host *h, int catch_signals)
{
	if (!h->started)
		return LP2P_EINVAL;
	lp2p_loop_run(&h->loop, catch_signals != 0);
	on_loop_stop(h);
	return 0;
}

LP2P_API void lp2p_host_stop(lp2p_host *h)
{
	lp2p_loop_request_stop(&h->loop);
}

LP2P_API void lp2p_host_free(lp2p_host *h)
{
	if (!h)
		return;
	stop_plugins(h);
	/* Posted work still runs before plugins are unloaded. */
	lp2p_loop_fini(&h->loop);
	for (size_t i = h->nplugins; i-- > 0;)
		lp2p_plugin_unload(h->plugins[i]);
	free(h);
}

LP2P_API int lp2p_host_post(lp2p_host *h, void (*fn)(void *arg), void *arg)
{
	if (!h || !fn)
		return LP2P_EINVAL;
	return lp2p_loop_post(&h->loop, fn, arg);
}

LP2P_API uint64_t lp2p_host_now_ms(const lp2p_host *h)
{
	return lp2p_loop_now_ms(&h->loop);
}

static void print_list(FILE *out, const char *title,
                       const struct lp2p_string_list *l)
{
	fprintf(out, "%-12s", title);
	if (l->n == 0)
		fprintf(out, " (none)");
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s%s", i ? ", " : " ", l->v[i]);
	fputc('\n', out);
}

LP2P_API void lp2p_host_describe(const lp2p_host *h, FILE *out)
{
	const struct lp2p_config *c = h->cfg;
	fprintf(out, "config       %s\n", c->source);
	fprintf(out, "identity     %s\n",
	        c->key_file ? c->key_file : "ephemeral (no key_file)");
	print_list(out, "listen", &c->listen);
	print_list(out, "transports", &c->transports);
	print_list(out, "security", &c->security);
	print_list(out, "muxers", &c->muxers);
	print_list(out, "bootstrap", &c->bootstrap);
	fprintf(out, "plugins     %s\n", h->nplugins ? "" : " (none)");
	for (size_t i = 0; i < h->nplugins; i++) {
		const struct lp2p_plugin *p = h->plugins[i];
		fprintf(out, "  %s %s (%s)\n", p->name,
		        p->desc->version ? p->desc->version : "", p->path);
		for (size_t j = 0; p->desc->protocols && p->desc->protocols[j];
		     j++)
			fprintf(out, "    %s\n", p->desc->protocols[j]);
	}
}
