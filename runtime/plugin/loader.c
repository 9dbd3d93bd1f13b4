/* loader.c - dlopen a plugin, check its descriptor before trusting anything */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lp2p/log.h>

#include "plugin/loader.h"

#define MAX_PROTOCOLS 64
#define MAX_PROTOCOL_LEN 1024

/* Calls fn(dir) for each search directory until it returns nonzero. */
static int each_dir(const struct lp2p_string_list *plugin_path,
                    int (*fn)(const char *dir, void *arg), void *arg)
{
	const char *env = getenv("LP2P_PLUGIN_PATH");
	if (env && *env) {
		char *copy = strdup(env), *save = NULL;
		if (!copy)
			return 0;
		for (char *d = strtok_r(copy, ":", &save); d;
		     d = strtok_r(NULL, ":", &save)) {
			int rc = fn(d, arg);
			if (rc) {
				free(copy);
				return rc;
			}
		}
		free(copy);
	}
	for (size_t i = 0; plugin_path && i < plugin_path->n; i++) {
		int rc = fn(plugin_path->v[i], arg);
		if (rc)
			return rc;
	}
	return fn(LP2P_PLUGINDIR, arg);
}

struct find {
	const char *name;
	char path[4096];
	char looked[1024];
	size_t used;
};

static int try_dir(const char *dir, void *arg)
{
	struct find *f = arg;
	snprintf(f->path, sizeof f->path, "%s/%s.so", dir, f->name);
	if (access(f->path, F_OK) == 0)
		return 1;
	if (f->used < sizeof f->looked)
		f->used += (size_t)snprintf(f->looked + f->used,
		                            sizeof f->looked - f->used, "%s%s",
		                            f->used ? ", " : "", dir);
	return 0;
}

bool lp2p_plugin_exists(const char *name,
                        const struct lp2p_string_list *plugin_path)
{
	struct find f = {.name = name};
	return each_dir(plugin_path, try_dir, &f) != 0;
}

static int check_descriptor(const char *name, const char *path,
                            const struct lp2p_plugin_descriptor *d, char *err,
                            size_t errlen)
{
	if (d->abi_version != LP2P_PLUGIN_ABI) {
		snprintf(err, errlen,
		         "plugin '%s' (%s): built for plugin ABI %u, this "
		         "runtime has ABI %u (lp2p %s); rebuild the plugin "
		         "against this SDK",
		         name, path, d->abi_version, LP2P_PLUGIN_ABI,
		         LP2P_VERSION_STRING);
		return LP2P_EABI;
	}
	if (d->struct_size < sizeof(struct lp2p_plugin_descriptor)) {
		snprintf(err, errlen,
		         "plugin '%s' (%s): descriptor is %u bytes, expected %zu; "
		         "rebuild the plugin against this SDK",
		         name, path, d->struct_size,
		         sizeof(struct lp2p_plugin_descriptor));
		return LP2P_EABI;
	}
	if (!d->build_signature ||
	    strcmp(d->build_signature, LP2P_BUILD_SIGNATURE) != 0) {
		snprintf(err, errlen,
		         "plugin '%s' (%s): not binary compatible (built as "
		         "'%s', this runtime is '%s')",
		         name, path,
		         d->build_signature ? d->build_signature : "(none)",
		         LP2P_BUILD_SIGNATURE);
		return LP2P_EABI;
	}
	if (!d->name || strcmp(d->name, name) != 0) {
		snprintf(err, errlen,
		         "plugin '%s' (%s): the file says its name is '%s'", name,
		         path, d->name ? d->name : "(none)");
		return LP2P_EINVAL;
	}
	if (!d->init) {
		snprintf(err, errlen, "plugin '%s' (%s): descriptor has no init",
		         name, path);
		return LP2P_EINVAL;
	}
	for (size_t i = 0; d->protocols && d->protocols[i]; i++) {
		const char *proto = d->protocols[i];
		size_t len = strnlen(proto, MAX_PROTOCOL_LEN + 1);
		if (i >= MAX_PROTOCOLS || proto[0] != '/' ||
		    len > MAX_PROTOCOL_LEN || strchr(proto, '\n')) {
			snprintf(err, errlen,
			         "plugin '%s' (%s): invalid protocol id #%zu "
			         "(must start with '/', at most %d bytes, "
			         "at most %d ids)",
			         name, path, i, MAX_PROTOCOL_LEN, MAX_PROTOCOLS);
			return LP2P_EINVAL;
		}
	}
	return 0;
}

int lp2p_plugin_load(const char *name, const lp2p_config_node *cfg,
                     const struct lp2p_string_list *plugin_path,
                     struct lp2p_plugin **out, char *err, size_t errlen)
{
	struct find f = {.name = name};
	const char *path;
	if (strchr(name, '/')) {
		path = name;
	} else if (each_dir(plugin_path, try_dir, &f)) {
		path = f.path;
	} else {
		snprintf(err, errlen,
		         "plugin '%s': %s.so not found; looked in: %s", name,
		         name, f.looked);
		return LP2P_ENOTFOUND;
	}

	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		snprintf(err, errlen, "plugin '%s': cannot load %s: %s", name,
		         path, dlerror());
		return LP2P_EINVAL;
	}
	const struct lp2p_plugin_descriptor *d =
		dlsym(dl, LP2P_PLUGIN_DESCRIPTOR_SYMBOL);
	if (!d) {
		snprintf(err, errlen,
		         "plugin '%s' (%s): not an lp2p plugin (no %s symbol)",
		         name, path, LP2P_PLUGIN_DESCRIPTOR_SYMBOL);
		dlclose(dl);
		return LP2P_EINVAL;
	}
	int rc = check_descriptor(name, path, d, err, errlen);
	if (rc) {
		dlclose(dl);
		return rc;
	}

	struct lp2p_plugin *p = calloc(1, sizeof *p);
	if (!p || !(p->name = strdup(name)) || !(p->path = strdup(path))) {
		if (p)
			free(p->name);
		free(p);
		dlclose(dl);
		snprintf(err, errlen, "plugin '%s': out of memory", name);
		return LP2P_ENOMEM;
	}
	p->dl = dl;
	p->desc = d;
	p->cfg = cfg;
	/* Handlers are looked up only now that the ABI is known to match. */
	*(void **)&p->new_connection = dlsym(dl, "handle_new_connection");
	*(void **)&p->closed_connection = dlsym(dl, "handle_closed_connection");
	*(void **)&p->protocol_event = dlsym(dl, "handle_protocol_event");
	*(void **)&p->accept_inbound = dlsym(dl, "accept_inbound_stream");
	*(void **)&p->packet = dlsym(dl, "handle_packet");
	if (d->protocols && d->protocols[0] && !p->accept_inbound)
		lp2p_log(LP2P_LOG_WARN,
		         "plugin '%s' (%s) lists protocol %s but defines no "
		         "accept_inbound_stream: its inbound streams will be "
		         "refused",
		         name, path, d->protocols[0]);

	if (d->config_check) {
		char msg[512] = "";
		rc = d->config_check(cfg, msg, sizeof msg);
		if (rc) {
			snprintf(err, errlen, "plugin '%s': %s", name,
			         msg[0] ? msg : lp2p_strerror(rc));
			lp2p_plugin_unload(p);
			return LP2P_ECONFIG;
		}
	}
	lp2p_log(LP2P_LOG_DEBUG, "plugin '%s' %s loaded from %s", name,
	         d->version ? d->version : "", path);
	*out = p;
	return 0;
}

int lp2p_plugin_start(struct lp2p_plugin *p, lp2p_host *host, char *err,
                      size_t errlen)
{
	char msg[512] = "";
	int rc = p->desc->init(host, p->cfg, &p->state, msg, sizeof msg);
	if (rc) {
		snprintf(err, errlen, "plugin '%s': init failed: %s", p->name,
		         msg[0] ? msg : lp2p_strerror(rc));
		return rc < 0 ? rc : LP2P_EINVAL;
	}
	p->running = true;
	return 0;
}

void lp2p_plugin_stop(struct lp2p_plugin *p)
{
	if (!p->running)
		return;
	p->running = false;
	if (p->desc->fini)
		p->desc->fini(p->state);
	p->state = NULL;
}

void lp2p_plugin_unload(struct lp2p_plugin *p)
{
	if (!p)
		return;
	lp2p_plugin_stop(p);
	const char *keep = getenv("LP2P_NO_DLCLOSE");
	if (!(keep && *keep && strcmp(keep, "0") != 0))
		dlclose(p->dl);
	free(p->name);
	free(p->path);
	free(p);
}
