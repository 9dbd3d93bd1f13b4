/*
 * rcmgr.c - the resource manager: the system and transient scopes, and
 * the scopes of each protocol, plugin and peer, made when first needed.
 * Protocol and plugin scopes come from a bounded set (the protocols the
 * host serves or asks for, the loaded plugins) and are kept; peer scopes
 * go away once idle.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "config/config.h"
#include "resource/resource.h"

struct lp2p_rc_peer {
	struct lp2p_rc_peer *next;
	struct lp2p_peer_id id;
	struct lp2p_rc_scope scope;
};

/* Peer ids are chosen by the peers: the bucket hash is keyed. */
static uint64_t hash_seed;

static uint64_t peer_hash(const struct lp2p_peer_id *p)
{
	uint64_t h = hash_seed ^ 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < p->len; i++) {
		h ^= p->bytes[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	return h ^ (h >> 32);
}

int lp2p_rcmgr_init(struct lp2p_rcmgr *m, const struct lp2p_limits *limits,
                    uint64_t system_fds)
{
	memset(m, 0, sizeof *m);
	m->limits = limits;
	if (!hash_seed &&
	    getrandom(&hash_seed, sizeof hash_seed, 0) != sizeof hash_seed)
		hash_seed = (uint64_t)(uintptr_t)m;
	m->system_limit = limits->system;
	m->system_limit.fds = system_fds;
	lp2p_rc_scope_init(&m->system, m, LP2P_SCOPE_SYSTEM, &m->system_limit);
	lp2p_rc_scope_init(&m->transient, m, LP2P_SCOPE_TRANSIENT,
	                   &limits->transient);
	struct lp2p_rc_scope *up = &m->system;
	lp2p_rc_scope_link(&m->transient, &up, 1);
	m->npeer_buckets = 64;
	m->peers = calloc(m->npeer_buckets, sizeof *m->peers);
	return m->peers ? 0 : LP2P_ENOMEM;
}

static void free_named(struct lp2p_rc_named *n)
{
	while (n) {
		struct lp2p_rc_named *next = n->next;
		free(n);
		n = next;
	}
}

void lp2p_rcmgr_fini(struct lp2p_rcmgr *m)
{
	free_named(m->protocols);
	free_named(m->plugins);
	for (size_t i = 0; m->peers && i < m->npeer_buckets; i++) {
		struct lp2p_rc_peer *p = m->peers[i];
		while (p) {
			struct lp2p_rc_peer *next = p->next;
			free(p);
			p = next;
		}
	}
	free(m->peers);
	m->peers = NULL;
	m->protocols = m->plugins = NULL;
}

static const struct lp2p_scope_override *
find_override(const struct lp2p_scope_override *v, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

void lp2p_rcmgr_limits_for(const struct lp2p_rcmgr *m,
                           enum lp2p_scope_kind kind, const char *name,
                           struct lp2p_resource_limits *out)
{
	const struct lp2p_limits *l = m->limits;
	const struct lp2p_scope_override *o;
	switch (kind) {
	case LP2P_SCOPE_SYSTEM:
		*out = *m->system.limit;
		break;
	case LP2P_SCOPE_TRANSIENT:
		*out = l->transient;
		break;
	case LP2P_SCOPE_PROTOCOL:
		o = find_override(l->protocols, l->nprotocols, name);
		*out = o ? o->l : l->protocol;
		break;
	case LP2P_SCOPE_PLUGIN:
		o = find_override(l->plugins, l->nplugins, name);
		*out = o ? o->l : l->plugin;
		break;
	case LP2P_SCOPE_PEER:
		*out = l->peer;
		break;
	case LP2P_SCOPE_CONNECTION:
		*out = l->conn;
		break;
	default:
		*out = l->stream;
		break;
	}
}

static struct lp2p_rc_named *named_new(struct lp2p_rcmgr *m,
                                       enum lp2p_scope_kind kind,
                                       const char *name)
{
	size_t len = strlen(name);
	struct lp2p_rc_named *n = malloc(sizeof *n + len + 1);
	if (!n)
		return NULL;
	memcpy(n->name, name, len + 1);
	n->next = NULL;
	lp2p_rcmgr_limits_for(m, kind, name, &n->limit);
	n->stream_idle_ms = n->stream_total_ms = 0;
	if (kind == LP2P_SCOPE_PROTOCOL) {
		const struct lp2p_limits *l = m->limits;
		const struct lp2p_scope_override *o =
			find_override(l->protocols, l->nprotocols, name);
		uint64_t idle = l->stream_idle_timeout_ms;
		uint64_t total = l->stream_timeout_ms;
		if (o && o->stream_idle_timeout_ms != LP2P_DEADLINE_UNSET)
			idle = o->stream_idle_timeout_ms;
		if (o && o->stream_timeout_ms != LP2P_DEADLINE_UNSET)
			total = o->stream_timeout_ms;
		/* the configuration keeps them within LP2P_DEADLINE_MAX_MS */
		n->stream_idle_ms = (uint32_t)idle;
		n->stream_total_ms = (uint32_t)total;
	}
	lp2p_rc_scope_init(&n->scope, m, kind, &n->limit);
	return n;
}

static struct lp2p_rc_named *named_find(struct lp2p_rc_named *n,
                                        const char *name)
{
	for (; n; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

struct lp2p_rc_scope *lp2p_rcmgr_plugin(struct lp2p_rcmgr *m,
                                        const char *plugin, bool create)
{
	struct lp2p_rc_named *n = named_find(m->plugins, plugin);
	if (n || !create)
		return n ? &n->scope : NULL;
	if (!(n = named_new(m, LP2P_SCOPE_PLUGIN, plugin)))
		return NULL;
	struct lp2p_rc_scope *up = &m->system;
	lp2p_rc_scope_link(&n->scope, &up, 1);
	n->next = m->plugins;
	m->plugins = n;
	return &n->scope;
}

void lp2p_rcmgr_stream_deadlines(const struct lp2p_rc_scope *protocol,
                                 uint32_t *idle_ms, uint32_t *total_ms)
{
	const struct lp2p_rc_named *n = (const struct lp2p_rc_named *)(
		(const char *)protocol - offsetof(struct lp2p_rc_named, scope));
	*idle_ms = n->stream_idle_ms;
	*total_ms = n->stream_total_ms;
}

struct lp2p_rc_scope *lp2p_rcmgr_protocol(struct lp2p_rcmgr *m,
                                          const char *protocol,
                                          const char *plugin, bool create)
{
	struct lp2p_rc_named *n = named_find(m->protocols, protocol);
	if (n || !create)
		return n ? &n->scope : NULL;
	struct lp2p_rc_scope *up[2];
	size_t nup = 0;
	if (plugin && !(up[nup++] = lp2p_rcmgr_plugin(m, plugin, true)))
		return NULL;
	up[nup++] = &m->system;
	if (!(n = named_new(m, LP2P_SCOPE_PROTOCOL, protocol)))
		return NULL;
	lp2p_rc_scope_link(&n->scope, up, nup);
	n->next = m->protocols;
	m->protocols = n;
	return &n->scope;
}

static void peers_grow(struct lp2p_rcmgr *m)
{
	size_t nb = m->npeer_buckets * 2;
	struct lp2p_rc_peer **v = calloc(nb, sizeof *v);
	if (!v)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < m->npeer_buckets; i++) {
		struct lp2p_rc_peer *p = m->peers[i];
		while (p) {
			struct lp2p_rc_peer *next = p->next;
			size_t b = peer_hash(&p->id) & (nb - 1);
			p->next = v[b];
			v[b] = p;
			p = next;
		}
	}
	free(m->peers);
	m->peers = v;
	m->npeer_buckets = nb;
}

struct lp2p_rc_scope *lp2p_rcmgr_peer(struct lp2p_rcmgr *m,
                                      const struct lp2p_peer_id *peer,
                                      bool create)
{
	size_t b = peer_hash(peer) & (m->npeer_buckets - 1);
	for (struct lp2p_rc_peer *p = m->peers[b]; p; p = p->next)
		if (lp2p_peer_id_equal(&p->id, peer))
			return &p->scope;
	if (!create)
		return NULL;
	struct lp2p_rc_peer *p = malloc(sizeof *p);
	if (!p)
		return NULL;
	p->id = *peer;
	lp2p_rc_scope_init(&p->scope, m, LP2P_SCOPE_PEER, &m->limits->peer);
	struct lp2p_rc_scope *up = &m->system;
	lp2p_rc_scope_link(&p->scope, &up, 1);
	p->next = m->peers[b];
	m->peers[b] = p;
	if (++m->npeers > m->npeer_buckets * 2)
		peers_grow(m);
	return &p->scope;
}

void lp2p_rcmgr_peer_maybe_free(struct lp2p_rc_scope *s)
{
	if (s->kind != LP2P_SCOPE_PEER || s->refs || !lp2p_rc_scope_idle(s))
		return;
	struct lp2p_rcmgr *m = s->mgr;
	struct lp2p_rc_peer *peer =
		(struct lp2p_rc_peer *)((char *)s -
		                        offsetof(struct lp2p_rc_peer, scope));
	size_t b = peer_hash(&peer->id) & (m->npeer_buckets - 1);
	for (struct lp2p_rc_peer **pp = &m->peers[b]; *pp; pp = &(*pp)->next) {
		if (*pp == peer) {
			*pp = peer->next;
			m->npeers--;
			lp2p_rc_scope_close(&peer->scope);
			free(peer);
			return;
		}
	}
}
