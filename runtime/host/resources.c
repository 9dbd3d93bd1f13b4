/*
 * resources.c - the host's public calls on resource accounting
 * (lp2p/resource.h): usage by scope, memory reserved by plugins against a
 * peer or a protocol, the periodic report.
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>
#include <lp2p/resource.h>

#include "host/host.h"

LP2P_API int lp2p_host_resource_usage(const lp2p_host *h,
                                      enum lp2p_scope_kind kind,
                                      const void *key,
                                      struct lp2p_resource_usage *usage,
                                      struct lp2p_resource_limits *limits)
{
	if (!h)
		return LP2P_EINVAL;
	/* lookups only: the manager is not changed */
	struct lp2p_rcmgr *m = (struct lp2p_rcmgr *)&h->swarm.rc;
	const struct lp2p_rc_scope *s;
	switch (kind) {
	case LP2P_SCOPE_SYSTEM:
		s = &m->system;
		break;
	case LP2P_SCOPE_TRANSIENT:
		s = &m->transient;
		break;
	case LP2P_SCOPE_PROTOCOL:
		if (!key)
			return LP2P_EINVAL;
		s = lp2p_rcmgr_protocol(m, key, NULL, false);
		break;
	case LP2P_SCOPE_PLUGIN:
		if (!key)
			return LP2P_EINVAL;
		s = lp2p_rcmgr_plugin(m, key, false);
		break;
	case LP2P_SCOPE_PEER:
		if (!key)
			return LP2P_EINVAL;
		s = lp2p_rcmgr_peer(m, key, false);
		break;
	default:
		return LP2P_EINVAL;
	}
	if (s) {
		lp2p_rc_scope_report(s, usage, limits);
		return 0;
	}
	if (usage)
		memset(usage, 0, sizeof *usage);
	if (limits)
		lp2p_rcmgr_limits_for(m, kind,
		                      kind == LP2P_SCOPE_PEER ? NULL : key,
		                      limits);
	return LP2P_ENOTFOUND;
}

LP2P_API int lp2p_peer_reserve_memory(lp2p_host *h,
                                      const struct lp2p_peer_id *peer,
                                      size_t bytes)
{
	if (!h || !peer)
		return LP2P_EINVAL;
	struct lp2p_rc_scope *s = lp2p_rcmgr_peer(&h->swarm.rc, peer, true);
	if (!s)
		return LP2P_ENOMEM;
	lp2p_rc_amount a = {.memory = bytes};
	int rc = lp2p_rc_reserve(s, &a, NULL);
	if (rc)
		lp2p_rcmgr_peer_maybe_free(s); /* made for nothing */
	return rc;
}

LP2P_API void lp2p_peer_release_memory(lp2p_host *h,
                                       const struct lp2p_peer_id *peer,
                                       size_t bytes)
{
	if (!h || !peer)
		return;
	struct lp2p_rc_scope *s = lp2p_rcmgr_peer(&h->swarm.rc, peer, false);
	if (!s) {
		lp2p_log(LP2P_LOG_WARN, "peer memory released that was never "
		                        "reserved (plugin accounting bug)");
		return;
	}
	lp2p_rc_amount a = {.memory = bytes};
	lp2p_rc_release(s, &a);
	lp2p_rcmgr_peer_maybe_free(s);
}

/* The scope of protocol, made with its serving plugin (if any). */
static struct lp2p_rc_scope *protocol_scope(lp2p_host *h,
                                            const char *protocol)
{
	struct lp2p_route r = {0};
	const char *plugin = NULL;
	if (lp2p_host_route(h, protocol, &r) && r.plugin)
		plugin = r.plugin->name;
	return lp2p_rcmgr_protocol(&h->swarm.rc, protocol, plugin, true);
}

LP2P_API int lp2p_protocol_reserve_memory(lp2p_host *h, const char *protocol,
                                          size_t bytes)
{
	if (!h || !protocol || protocol[0] != '/')
		return LP2P_EINVAL;
	struct lp2p_rc_scope *s = protocol_scope(h, protocol);
	if (!s)
		return LP2P_ENOMEM;
	lp2p_rc_amount a = {.memory = bytes};
	return lp2p_rc_reserve(s, &a, NULL);
}

LP2P_API void lp2p_protocol_release_memory(lp2p_host *h,
                                           const char *protocol,
                                           size_t bytes)
{
	if (!h || !protocol)
		return;
	struct lp2p_rc_scope *s =
		lp2p_rcmgr_protocol(&h->swarm.rc, protocol, NULL, false);
	if (!s) {
		lp2p_log(LP2P_LOG_WARN, "protocol memory released that was "
		                        "never reserved (plugin accounting bug)");
		return;
	}
	lp2p_rc_amount a = {.memory = bytes};
	lp2p_rc_release(s, &a);
}

static void fmt_limit(char *buf, size_t cap, uint64_t v)
{
	if (v == LP2P_RESOURCE_UNLIMITED)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%llu", (unsigned long long)v);
}

static void log_scope(const char *name, const struct lp2p_rc_scope *s)
{
	const struct lp2p_resource_usage *u = &s->use;
	const struct lp2p_resource_limits *l = s->limit;
	char lc[24], ls[24], lf[24], lm[24];
	fmt_limit(lc, sizeof lc, l->connections);
	fmt_limit(ls, sizeof ls, l->streams);
	fmt_limit(lf, sizeof lf, l->fds);
	fmt_limit(lm, sizeof lm, l->memory);
	lp2p_log(LP2P_LOG_NOTICE,
	         "resources: %s: connections %u in / %u out (limit %s), "
	         "streams %u in / %u out (limit %s), fds %u (limit %s), "
	         "memory %llu (limit %s)",
	         name, u->inbound_connections, u->outbound_connections, lc,
	         u->inbound_streams, u->outbound_streams, ls, u->fds, lf,
	         (unsigned long long)u->memory, lm);
}

LP2P_API void lp2p_host_log_resources(const lp2p_host *h)
{
	const struct lp2p_rcmgr *m = &h->swarm.rc;
	log_scope("system", &m->system);
	log_scope("transient", &m->transient);
	char name[300];
	for (const struct lp2p_rc_named *n = m->protocols; n; n = n->next) {
		snprintf(name, sizeof name, "protocol %s", n->name);
		log_scope(name, &n->scope);
	}
	for (const struct lp2p_rc_named *n = m->plugins; n; n = n->next) {
		snprintf(name, sizeof name, "plugin %s", n->name);
		log_scope(name, &n->scope);
	}
	lp2p_log(LP2P_LOG_NOTICE, "resources: %zu peers with a scope",
	         m->npeers);
}
