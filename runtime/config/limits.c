/*
 * limits.c - the limits: mapping: resource scopes (system, transient,
 * protocol, plugin, peer, connection, stream), the per-protocol and
 * per-plugin overrides, the flat shorthand keys, timeouts (and the
 * per-stream deadlines, per protocol) and the per-IP caps; defaults
 * that agree with each other, and a refusal of settings that contradict
 * each other.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

#define UNL LP2P_RESOURCE_UNLIMITED
#define NFIELDS 8

enum { F_CONNS, F_CONNS_IN, F_CONNS_OUT, F_STREAMS, F_STREAMS_IN,
       F_STREAMS_OUT, F_FDS, F_MEMORY };

static const struct {
	const char *key;
	size_t off;
} fields[NFIELDS] = {
	{"connections", offsetof(struct lp2p_resource_limits, connections)},
	{"inbound_connections",
	 offsetof(struct lp2p_resource_limits, inbound_connections)},
	{"outbound_connections",
	 offsetof(struct lp2p_resource_limits, outbound_connections)},
	{"streams", offsetof(struct lp2p_resource_limits, streams)},
	{"inbound_streams",
	 offsetof(struct lp2p_resource_limits, inbound_streams)},
	{"outbound_streams",
	 offsetof(struct lp2p_resource_limits, outbound_streams)},
	{"fds", offsetof(struct lp2p_resource_limits, fds)},
	{"memory", offsetof(struct lp2p_resource_limits, memory)},
};

#define ALL_FIELDS 0xffu
#define STREAM_FIELDS                                                        \
	((1u << F_STREAMS) | (1u << F_STREAMS_IN) | (1u << F_STREAMS_OUT) |  \
	 (1u << F_MEMORY))

static uint64_t *field(struct lp2p_resource_limits *l, int i)
{
	return (uint64_t *)((char *)l + fields[i].off);
}

/* One scope being read: which fields the file set, and under what name
 * (errors name a limit the way the user wrote it). */
struct scope {
	const char *key; /* "system", ... */
	unsigned allowed;
	struct lp2p_resource_limits *l;
	unsigned set;
	unsigned raised; /* not set, but raised to a set limit below it */
	const lp2p_config_node *node[NFIELDS];
	char name[NFIELDS][112];
};

/* The flat keys kept from the first releases, each the same limit as a
 * scope's field. */
static const struct {
	const char *key;
	int scope; /* index into the scope table of check_scopes() */
	int field;
} shorthands[] = {
	{"max_connections", 0, F_CONNS},
	{"max_inbound_connections", 0, F_CONNS_IN},
	{"max_outbound_connections", 0, F_CONNS_OUT},
	{"max_buffer_memory", 0, F_MEMORY},
	{"max_pending_handshakes", 1, F_CONNS_IN},
	{"max_connections_per_peer", 4, F_CONNS},
	{"max_streams_per_connection", 5, F_STREAMS},
	{"max_streams_per_protocol", 2, F_STREAMS_IN},
};

void lp2p_config_limits_default(struct lp2p_limits *l)
{
	*l = (struct lp2p_limits){
		.system = {1024, 768, 768, 16384, 8192, 8192, UNL, 256u << 20},
		.system_fds_auto = true,
		.transient = {256, 128, 128, 1024, 1024, 1024, UNL, 32u << 20},
		.protocol = {UNL, UNL, UNL, 8192, 4096, 4096, UNL, 64u << 20},
		.plugin = {UNL, UNL, UNL, 16384, 8192, 8192, UNL, 128u << 20},
		/* directions follow the total (max_connections_per_peer) */
		.peer = {8, UNL, UNL, 2048, UNL, UNL, UNL, 32u << 20},
		.conn = {UNL, UNL, UNL, 1024, UNL, UNL, UNL, 16u << 20},
		.stream = {UNL, UNL, UNL, UNL, UNL, UNL, UNL, 8u << 20},
		.max_connections_per_ip = 64,
		.accept_rate = 256,
		.exempt_loopback = true,
		.handshake_timeout_ms = 15000,
		.negotiation_timeout_ms = 10000,
		.dial_timeout_ms = 10000,
		.write_timeout_ms = 30000,
		.min_write_rate = 1024,
	};
}

/* A count, a size (memory) or "unlimited". */
static int get_limit(const lp2p_config_node *n, const char *key, int f,
                     uint64_t *out, char *err, size_t errlen)
{
	const lp2p_config_node *v = lp2p_config_get(n, key);
	const char *s = v ? lp2p_config_scalar(v) : NULL;
	if (s && strcmp(s, "unlimited") == 0) {
		*out = UNL;
		return 0;
	}
	if (f == F_MEMORY) {
		int rc = lp2p_config_get_size(n, key, out, err, errlen);
		if (rc == 0 && *out == 0)
			*out = UNL; /* 0: no limit, as max_buffer_memory had it */
		return rc;
	}
	int64_t i;
	int rc = lp2p_config_get_int(n, key, f == F_CONNS ? 1 : 0, INT64_MAX,
	                             &i, err, errlen);
	if (!rc)
		*out = (uint64_t)i;
	return rc;
}

static void mark_set(struct scope *sc, int f, const lp2p_config_node *node,
                     const char *name)
{
	sc->set |= 1u << f;
	sc->node[f] = node;
	snprintf(sc->name[f], sizeof sc->name[f], "%s", name);
}

/* One limit, key in mapping n (whose path is prefix), into field f of sc;
 * a key without a value (null) keeps the default. */
static int read_limit(const lp2p_config_node *n, const char *key,
                      const char *prefix, struct scope *sc, int f, char *err,
                      size_t errlen)
{
	const lp2p_config_node *v = lp2p_config_get(n, key);
	if (!v)
		return 0;
	int rc = get_limit(n, key, f, field(sc->l, f), err, errlen);
	if (rc == LP2P_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	char name[96];
	snprintf(name, sizeof name, "%s.%s", prefix, key);
	mark_set(sc, f, v, name);
	return 0;
}

/* The per-stream deadline keys (limits and limits.protocols.<id>). */
static const char *const deadline_keys[] = {"stream_idle_timeout",
                                            "stream_timeout", NULL};

/* The scope's own mapping (limits.<key>, or an override's); extra: more
 * keys it may hold (NULL-terminated, read by the caller), or NULL. */
static int read_scope(const lp2p_config_node *n, const char *path,
                      struct scope *sc, const char *const *extra, char *err,
                      size_t errlen)
{
	const char *keys[NFIELDS + 3];
	size_t nk = 0;
	for (int f = 0; f < NFIELDS; f++)
		if (sc->allowed & (1u << f))
			keys[nk++] = fields[f].key;
	for (size_t i = 0; extra && extra[i]; i++)
		keys[nk++] = extra[i];
	keys[nk] = NULL;
	int rc = lp2p_config_check_keys(n, keys, err, errlen);
	if (rc || !n)
		return rc;
	for (int f = 0; f < NFIELDS; f++)
		if ((rc = read_limit(n, fields[f].key, path, sc, f, err,
		                     errlen)))
			return rc;
	return 0;
}

static void set_names(struct scope *sc, const char *path)
{
	for (int f = 0; f < NFIELDS; f++)
		if (!(sc->set & (1u << f)))
			snprintf(sc->name[f], sizeof sc->name[f], "%s.%s", path,
			         fields[f].key);
}

static int above(const struct scope *sc, int f, const char *what,
                 uint64_t limit, char *err, size_t errlen)
{
	return lp2p_config_error(sc->node[f], err, errlen,
	                         "is above %s (%llu)", what,
	                         (unsigned long long)limit);
}

/* Within one scope: an unset direction follows the total down; a set
 * one above an unset total raises it, above a set total is an error. */
static int check_directions(struct scope *sc, char *err, size_t errlen)
{
	static const int groups[2][3] = {
		{F_CONNS, F_CONNS_IN, F_CONNS_OUT},
		{F_STREAMS, F_STREAMS_IN, F_STREAMS_OUT},
	};
	for (int g = 0; g < 2; g++) {
		uint64_t total = *field(sc->l, groups[g][0]);
		for (int d = 1; d < 3; d++) {
			int f = groups[g][d];
			if (*field(sc->l, f) <= total)
				continue;
			if (!(sc->set & (1u << f)))
				*field(sc->l, f) = total;
			else if (!(sc->set & (1u << groups[g][0])))
				*field(sc->l, groups[g][0]) = total =
					*field(sc->l, f);
			else
				return above(sc, f, sc->name[groups[g][0]],
				             total, err, errlen);
		}
	}
	return 0;
}

/* A child scope's limit above its parent's: an unset one follows the
 * parent down, a set one is an error. */
static int check_parent(struct scope *child, const struct scope *parent,
                        char *err, size_t errlen)
{
	for (int f = 0; f < NFIELDS; f++) {
		if (!(child->allowed & parent->allowed & (1u << f)))
			continue;
		uint64_t *c = field(child->l, f);
		uint64_t p = *field(parent->l, f);
		if (*c <= p)
			continue;
		if (!(child->set & (1u << f)))
			*c = p;
		else
			return above(child, f, parent->name[f], p, err, errlen);
	}
	return 0;
}

/* A limit set for a stream or a connection above a default of the scope
 * above raises that default (a connection allowed 4096 streams lets its
 * peer have as many); only limits set in both can contradict. */
static void raise_parent(const struct scope *child, struct scope *parent)
{
	for (int f = 0; f < NFIELDS; f++) {
		unsigned bit = 1u << f;
		if (!(child->allowed & parent->allowed & bit) ||
		    !((child->set | child->raised) & bit) ||
		    (parent->set & bit))
			continue;
		uint64_t v = *field(child->l, f);
		if (v > *field(parent->l, f)) {
			*field(parent->l, f) = v;
			parent->raised |= bit;
		}
	}
}

/*
 * A stream deadline, key in mapping n: a duration, or 0 or "none" for
 * none; LP2P_ENOTFOUND when absent (or null).
 */
static int get_deadline(const lp2p_config_node *n, const char *key,
                        uint64_t *out, char *err, size_t errlen)
{
	const lp2p_config_node *v = lp2p_config_get(n, key);
	const char *s = v ? lp2p_config_scalar(v) : NULL;
	if (s && strcmp(s, "none") == 0) {
		*out = 0;
		return 0;
	}
	int rc = lp2p_config_get_duration_ms(n, key, out, err, errlen);
	if (rc == 0 && *out > LP2P_DEADLINE_MAX_MS)
		return lp2p_config_error(v, err, errlen,
		                         "is too long (at most %lluh)",
		                         LP2P_DEADLINE_MAX_MS / 3600000ull);
	return rc;
}

/* limits.protocols / limits.plugins: name -> a scope mapping;
 * deadlines: the mapping may set its streams' deadlines too. */
static int read_overrides(const lp2p_config_node *n, const char *path,
                          const struct lp2p_resource_limits *base,
                          const struct scope *system, bool deadlines,
                          struct lp2p_scope_override *out, size_t *nout,
                          char *err, size_t errlen)
{
	if (!n || lp2p_config_type(n) == LP2P_CONFIG_NULL)
		return 0;
	if (lp2p_config_type(n) != LP2P_CONFIG_MAPPING)
		return lp2p_config_error(n, err, errlen,
		                         "expected a mapping of names to limits");
	size_t count = lp2p_config_size(n);
	if (count > LP2P_CONFIG_MAX_LIST)
		return lp2p_config_error(n, err, errlen,
		                         "at most %d entries are allowed",
		                         LP2P_CONFIG_MAX_LIST);
	for (size_t i = 0; i < count; i++) {
		const char *name = lp2p_config_key_at(n, i);
		const lp2p_config_node *sub = lp2p_config_at(n, i);
		struct lp2p_scope_override *o = &out[*nout];
		o->name = name;
		o->l = *base;
		o->stream_idle_timeout_ms = LP2P_DEADLINE_UNSET;
		o->stream_timeout_ms = LP2P_DEADLINE_UNSET;
		struct scope sc = {.key = name, .allowed = STREAM_FIELDS,
		                   .l = &o->l};
		char p[96];
		snprintf(p, sizeof p, "%s.%s", path, name);
		int rc = read_scope(sub, p, &sc,
		                    deadlines ? deadline_keys : NULL, err,
		                    errlen);
		if (!rc && lp2p_config_type(sub) != LP2P_CONFIG_MAPPING)
			rc = lp2p_config_error(sub, err, errlen,
			                       "expected a mapping of limits");
		uint64_t *dl[2] = {&o->stream_idle_timeout_ms,
		                   &o->stream_timeout_ms};
		for (int k = 0; deadlines && k < 2 && !rc; k++) {
			rc = get_deadline(sub, deadline_keys[k], dl[k], err,
			                  errlen);
			if (rc == LP2P_ENOTFOUND)
				rc = 0;
		}
		set_names(&sc, p);
		if (!rc) rc = check_directions(&sc, err, errlen);
		if (!rc) rc = check_parent(&sc, system, err, errlen);
		if (rc)
			return rc;
		(*nout)++;
	}
	return 0;
}

static int check_scopes(struct lp2p_config *c, const lp2p_config_node *n,
                        char *err, size_t errlen)
{
	struct lp2p_limits *l = &c->limits;
	struct scope sc[7] = {
		{.key = "system", .allowed = ALL_FIELDS, .l = &l->system},
		{.key = "transient", .allowed = ALL_FIELDS, .l = &l->transient},
		{.key = "protocol", .allowed = STREAM_FIELDS, .l = &l->protocol},
		{.key = "plugin", .allowed = STREAM_FIELDS, .l = &l->plugin},
		{.key = "peer", .allowed = ALL_FIELDS, .l = &l->peer},
		{.key = "connection", .allowed = STREAM_FIELDS, .l = &l->conn},
		{.key = "stream", .allowed = 1u << F_MEMORY, .l = &l->stream},
	};
	int rc;
	for (size_t i = 0; i < sizeof shorthands / sizeof *shorthands; i++) {
		if ((rc = read_limit(n, shorthands[i].key, "limits",
		                     &sc[shorthands[i].scope],
		                     shorthands[i].field, err, errlen)))
			return rc;
	}
	for (size_t i = 0; i < 7; i++) {
		char path[32];
		snprintf(path, sizeof path, "limits.%s", sc[i].key);
		const lp2p_config_node *sub = lp2p_config_get(n, sc[i].key);
		unsigned before = sc[i].set;
		struct scope check = sc[i];
		check.set = 0;
		if ((rc = read_scope(sub, path, &check, NULL, err, errlen)))
			return rc;
		if (check.set & before) {
			int f = __builtin_ctz(check.set & before);
			return lp2p_config_error(
				check.node[f], err, errlen,
				"sets the same limit as %s: keep one",
				sc[i].name[f]);
		}
		for (int f = 0; f < NFIELDS; f++)
			if (check.set & (1u << f))
				mark_set(&sc[i], f, check.node[f],
				         check.name[f]);
		set_names(&sc[i], path);
	}
	if (sc[0].set & (1u << F_FDS))
		l->system_fds_auto = false;
	/* parents: everything under the system; a connection under its
	 * peer; a stream under its connection */
	static const int parent[7] = {-1, 0, 0, 0, 0, 4, 5};
	/* the system's direction limits are three quarters of its total
	 * unless set (so that raising max_connections raises them too) */
	for (int f = F_CONNS_IN; f <= F_CONNS_OUT; f++)
		if ((sc[0].set & (1u << F_CONNS)) && !(sc[0].set & (1u << f)) &&
		    l->system.connections != UNL)
			*field(&l->system, f) = l->system.connections -
			                        l->system.connections / 4;
	/* the system's limits are the safety net: never raised */
	raise_parent(&sc[6], &sc[5]);
	raise_parent(&sc[5], &sc[4]);
	for (size_t i = 0; i < 7; i++)
		if ((rc = check_directions(&sc[i], err, errlen)))
			return rc;
	for (size_t i = 1; i < 7; i++) {
		if (parent[i] != 0 &&
		    (rc = check_parent(&sc[i], &sc[0], err, errlen)))
			return rc;
		if ((rc = check_parent(&sc[i], &sc[parent[i]], err, errlen)))
			return rc;
	}
	if ((rc = read_overrides(lp2p_config_get(n, "protocols"),
	                         "limits.protocols", &l->protocol, &sc[0],
	                         true, l->protocols, &l->nprotocols, err,
	                         errlen)) ||
	    (rc = read_overrides(lp2p_config_get(n, "plugins"),
	                         "limits.plugins", &l->plugin, &sc[0], false,
	                         l->plugins, &l->nplugins, err, errlen)))
		return rc;
	return 0;
}

int lp2p_config_check_limits(struct lp2p_config *c, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"max_connections", "max_inbound_connections",
		"max_outbound_connections", "max_connections_per_peer",
		"max_connections_per_ip", "accept_rate",
		"max_pending_handshakes", "max_streams_per_connection",
		"max_streams_per_protocol",
		"handshake_timeout", "negotiation_timeout", "dial_timeout",
		"write_timeout", "stream_idle_timeout", "stream_timeout",
		"min_write_rate", "max_buffer_memory",
		"exempt_loopback",
		"system", "transient", "protocol", "plugin", "peer",
		"connection", "stream", "protocols", "plugins",
		NULL,
	};
	const lp2p_config_node *n = lp2p_config_get(c->root, "limits");
	struct lp2p_limits *l = &c->limits;
	int rc = lp2p_config_check_keys(n, keys, err, errlen);
	int64_t v;
	if (rc)
		return rc;
	rc = lp2p_config_get_int(n, "max_connections_per_ip", 1, UINT32_MAX,
	                         &v, err, errlen);
	if (rc == 0)
		l->max_connections_per_ip = (uint32_t)v;
	else if (rc != LP2P_ENOTFOUND)
		return rc;
	rc = lp2p_config_get_int(n, "accept_rate", 0, UINT32_MAX, &v, err,
	                         errlen);
	if (rc == 0)
		l->accept_rate = (uint32_t)v;
	else if (rc != LP2P_ENOTFOUND)
		return rc;
	const struct {
		const char *key;
		uint64_t *out;
	} ms[] = {
		{"handshake_timeout", &l->handshake_timeout_ms},
		{"negotiation_timeout", &l->negotiation_timeout_ms},
		{"dial_timeout", &l->dial_timeout_ms},
		{"write_timeout", &l->write_timeout_ms},
	};
	for (size_t i = 0; i < sizeof ms / sizeof *ms; i++) {
		rc = lp2p_config_get_duration_ms(n, ms[i].key, ms[i].out, err,
		                                 errlen);
		if (rc && rc != LP2P_ENOTFOUND)
			return rc;
	}
	uint64_t *dl[2] = {&l->stream_idle_timeout_ms, &l->stream_timeout_ms};
	for (int k = 0; k < 2; k++) {
		rc = get_deadline(n, deadline_keys[k], dl[k], err, errlen);
		if (rc && rc != LP2P_ENOTFOUND)
			return rc;
	}
	rc = lp2p_config_get_bool(n, "exempt_loopback", &l->exempt_loopback,
	                          err, errlen);
	if (rc && rc != LP2P_ENOTFOUND)
		return rc;
	rc = lp2p_config_get_size(n, "min_write_rate", &l->min_write_rate, err,
	                          errlen);
	if (rc && rc != LP2P_ENOTFOUND)
		return rc;
	return check_scopes(c, n, err, errlen);
}
