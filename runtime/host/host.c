/* host.c - create, start, run and stop a host */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/crypto.h>
#include <lp2p/events.h>
#include <lp2p/log.h>
#include <lp2p/peerstore.h>
#include <lp2p/resource.h>

#include "host/host.h"

/* Plugins the built-in default configuration loads when installed. */
static const char *const default_plugins[] = {"identify", "ping", "echo",
                                              NULL};

static void stop_plugins(struct lp2p_host *h)
{
	for (size_t i = h->nplugins; i-- > 0;)
		lp2p_plugin_stop(h->plugins[i]);
}

/* Connections close first (plugins see them go), then plugins stop.
 * The bootstrap state goes after the swarm: its dials still under way are
 * answered (cancelled) by the swarm's shutdown. */
static void stop_everything(struct lp2p_host *h)
{
	if (h->stopped)
		return;
	h->stopped = true;
	lp2p_swarm_shutdown(&h->swarm);
	lp2p_bootstrap_stop(h);
	stop_plugins(h);
}

static void report_resources(void *arg)
{
	lp2p_host_log_resources(arg);
}

static void on_loop_stop(void *arg)
{
	stop_everything(arg);
}

/*
 * The node's identity: the configured key file (created on first start),
 * or an ephemeral key.
 */
static int load_identity(struct lp2p_host *h, char *err, size_t errlen)
{
	const struct lp2p_config *c = h->cfg;
	int type = lp2p_key_type_from_name(c->key_type);
	if (type < 0) {
		snprintf(err, errlen, "unknown key type '%s'", c->key_type);
		return LP2P_ECONFIG;
	}
	if (!c->key_file) {
		h->ephemeral_identity = true;
		int rc = lp2p_key_generate((enum lp2p_key_type)type,
		                       type == LP2P_KEY_RSA ? 2048 : 0,
		                           &h->identity);
		if (rc)
			snprintf(err, errlen, "cannot generate a key: %s",
			         lp2p_strerror(rc));
		return rc;
	}
	char why[512] = "";
	int rc = lp2p_key_file_load(c->key_file, &h->identity, why, sizeof why);
	if (rc == LP2P_ENOTFOUND) {
		rc = lp2p_key_generate((enum lp2p_key_type)type,
		                       type == LP2P_KEY_RSA ? 2048 : 0,
		                       &h->identity);
		if (rc == 0)
			rc = lp2p_key_file_save(c->key_file, h->identity, 0,
			                        why, sizeof why);
		if (rc == 0) {
			lp2p_log(LP2P_LOG_NOTICE,
			         "created a new %s identity key in %s",
			         c->key_type, c->key_file);
			return 0;
		}
	}
	if (rc)
		snprintf(err, errlen, "identity key %s: %s", c->key_file,
		         why[0] ? why : lp2p_strerror(rc));
	return rc;
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
	h->loop.on_report = report_resources;
	h->loop.on_report_arg = h;
	lp2p_peerstore_init(&h->peerstore);
	lp2p_host_events_init(h);
	rc = load_identity(h, err, errlen);
	if (rc == 0)
		rc = lp2p_swarm_init(&h->swarm, &h->loop, cfg, h->identity,
		                     &lp2p_host_swarm_callbacks, h, err,
		                     errlen);
	if (rc) {
		lp2p_host_free(h);
		return rc;
	}

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

/*
 * A wildcard listener (0.0.0.0, ::) is announced as one address per
 * interface of its family, which is what another node can dial.  Returns
 * false when hp is not a wildcard.
 */
static bool announce_interfaces(const struct lp2p_multiaddr_hostport *hp,
                                const char *id)
{
	int family = hp->addr.ss_family;
	bool wildcard =
		family == AF_INET
			? ((const struct sockaddr_in *)&hp->addr)->sin_addr.s_addr ==
			          htonl(INADDR_ANY)
			: IN6_IS_ADDR_UNSPECIFIED(
				  &((const struct sockaddr_in6 *)&hp->addr)
					   ->sin6_addr);
	struct ifaddrs *ifs;
	if (!wildcard || getifaddrs(&ifs) != 0)
		return false;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family)
			continue;
		struct sockaddr_storage ss = {0};
		socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in)
		                                  : sizeof(struct sockaddr_in6);
		memcpy(&ss, i->ifa_addr, len);
		if (family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons(hp->port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(hp->port);
		struct lp2p_multiaddr ma;
		char a[LP2P_MULTIADDR_STR_MAX];
		if (lp2p_multiaddr_from_sockaddr((struct sockaddr *)&ss, len,
		                                 LP2P_MA_TCP, &ma) == 0 &&
		    lp2p_multiaddr_to_string(&ma, a, sizeof a) > 0)
			lp2p_log(LP2P_LOG_NOTICE, "listening on %s/p2p/%s", a,
			         id);
	}
	freeifaddrs(ifs);
	return true;
}

/* Say who we are and where to reach us, so another node can dial. */
static void announce(struct lp2p_host *h)
{
	char id[LP2P_PEER_ID_STR_MAX];
	lp2p_peer_id_to_string(&h->swarm.self, id, sizeof id);
	lp2p_log(LP2P_LOG_NOTICE, "peer id %s%s", id,
	         h->ephemeral_identity ? " (ephemeral identity)" : "");
	for (size_t i = 0; i < h->swarm.nlisteners; i++) {
		const struct lp2p_multiaddr *ma = &h->swarm.listeners[i].addr;
		struct lp2p_multiaddr_hostport hp;
		if (lp2p_multiaddr_host_port(ma, &hp) == 0 && hp.addr_len &&
		    announce_interfaces(&hp, id))
			continue;
		char a[LP2P_MULTIADDR_STR_MAX];
		if (lp2p_multiaddr_to_string(ma, a, sizeof a) > 0)
			lp2p_log(LP2P_LOG_NOTICE, "listening on %s/p2p/%s", a,
			         id);
	}
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
			lp2p_swarm_shutdown(&h->swarm);
			stop_plugins(h);
			return rc;
		}
		lp2p_log(LP2P_LOG_INFO, "plugin %s %s started",
		         h->plugins[i]->name,
		         h->plugins[i]->desc->version
		                 ? h->plugins[i]->desc->version
		                 : "");
	}
	for (size_t i = 0; i < h->cfg->listen.n; i++) {
		const char *text = h->cfg->listen.v[i];
		struct lp2p_multiaddr ma;
		int rc = lp2p_multiaddr_parse(text, strlen(text), &ma);
		if (rc == 0)
			rc = lp2p_host_listen(h, &ma, err, errlen);
		else
			snprintf(err, errlen, "listen address '%s': %s", text,
			         lp2p_strerror(rc));
		if (rc) {
			lp2p_swarm_shutdown(&h->swarm);
			stop_plugins(h);
			return rc;
		}
	}
	h->started = true;
	h->stopped = false;
	announce(h);
	int rc = lp2p_bootstrap_start(h, err, errlen);
	if (rc) {
		stop_everything(h);
		return rc;
	}
	return 0;
}

LP2P_API int lp2p_host_run(lp2p_host *h, int catch_signals)
{
	if (!h->started)
		return LP2P_EINVAL;
	lp2p_loop_run(&h->loop, catch_signals != 0);
	stop_everything(h);
	return 0;
}

LP2P_API int lp2p_host_run_once(lp2p_host *h, int wait)
{
	ev_run(h->loop.ev, wait ? EVRUN_ONCE : EVRUN_NOWAIT);
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
	if (h->started)
		stop_everything(h);
	lp2p_swarm_fini(&h->swarm);
	stop_plugins(h);
	/* Posted work still runs before plugins are unloaded. */
	lp2p_loop_fini(&h->loop);
	for (size_t i = h->nplugins; i-- > 0;)
		lp2p_plugin_unload(h->plugins[i]);
	lp2p_peerstore_fini(&h->peerstore);
	lp2p_host_protocols_fini(h);
	lp2p_host_events_fini(h);
	lp2p_key_free(h->identity);
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
	lp2p_swarm_describe_limits(&h->swarm, out);
}

/* ---- what the swarm tells the plugins ---- */

/* "conn.opened" / "conn.closed" (lp2p/events.h), before the handlers. */
static void publish_conn(struct lp2p_host *h, struct lp2p_conn *c,
                         const char *type)
{
	struct lp2p_event_conn ev = {
		.size = sizeof ev,
		.direction = lp2p_conn_direction(c),
		.conn_id = lp2p_conn_id(c),
		.peer = *lp2p_conn_peer(c),
		.security = lp2p_conn_security(c),
		.muxer = lp2p_conn_muxer(c),
	};
	if (strcmp(type, LP2P_EVENT_CONN_CLOSED) == 0) {
		ev.reason = lp2p_conn_close_reason(c);
		ev.duration_ms = lp2p_host_now_ms(h) - lp2p_conn_opened_ms(c);
	}
	lp2p_conn_remote_addr(c, &ev.remote_addr);
	lp2p_conn_local_addr(c, &ev.local_addr);
	int rc = lp2p_host_publish(h, type, &ev, sizeof ev);
	if (rc)
		lp2p_log(LP2P_LOG_DEBUG, "event %s of connection %llu lost: %s",
		         type, (unsigned long long)ev.conn_id,
		         lp2p_strerror(rc));
}

static void conn_ready(void *arg, struct lp2p_conn *c)
{
	struct lp2p_host *h = arg;
	publish_conn(h, c, LP2P_EVENT_CONN_OPENED);
	lp2p_conn_ref(c);
	for (size_t i = 0; i < h->nplugins && lp2p_conn_is_ready(c); i++) {
		struct lp2p_plugin *p = h->plugins[i];
		if (p->running && p->new_connection)
			p->new_connection(p->state, c, lp2p_conn_peer(c));
	}
	lp2p_conn_unref(c);
}

static void conn_closed(void *arg, struct lp2p_conn *c)
{
	struct lp2p_host *h = arg;
	lp2p_bootstrap_conn_closed(h, c);
	publish_conn(h, c, LP2P_EVENT_CONN_CLOSED);
	for (size_t i = 0; i < h->nplugins; i++) {
		struct lp2p_plugin *p = h->plugins[i];
		if (p->running && p->closed_connection)
			p->closed_connection(p->state, c, lp2p_conn_peer(c));
	}
}

static int accept_stream(void *arg, struct lp2p_stream *s,
                         const char *protocol)
{
	struct lp2p_host *h = arg;
	struct lp2p_route r;
	if (!lp2p_host_route(h, protocol, &r))
		return LP2P_ENOTSUP;
	if (r.plugin)
		return r.plugin->accept_inbound(r.plugin->state, s, protocol);
	return r.accept(r.arg, s, protocol);
}

static bool route(void *arg, const char *protocol, const char **plugin)
{
	struct lp2p_route r;
	if (!lp2p_host_route(arg, protocol, &r))
		return false;
	*plugin = r.plugin ? r.plugin->name : NULL;
	return true;
}

static bool peer_supports(void *arg, const struct lp2p_peer_id *peer,
                          const char *protocol)
{
	const lp2p_peer_metadata *md = lp2p_host_metadata_for_peer(arg, peer);
	return md && lp2p_peer_metadata_supports(md, protocol);
}

const struct lp2p_swarm_callbacks lp2p_host_swarm_callbacks = {
	.conn_ready = conn_ready,
	.conn_closed = conn_closed,
	.route = route,
	.accept_stream = accept_stream,
	.peer_supports = peer_supports,
};
