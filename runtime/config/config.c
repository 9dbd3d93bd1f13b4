/* config.c - load the YAML file and validate the runtime's own keys */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lp2p/log.h>
#include <lp2p/multiaddr.h>

#include <openssl/crypto.h>

#include "config/config.h"
#include "pnet/pnet.h"

/* Upper bound on a config file: anything bigger is a mistake. */
#define MAX_CONFIG_BYTES (4u << 20)

static const char *const root_keys[] = {
	"identity", "listen",    "transports", "security",
	"muxers",   "plugin_path", "plugins",  "bootstrap",
	"limits",   "connection_manager", "log", "pnet", NULL,
};

static int check_list(const lp2p_config_node *root, const char *key,
                      struct lp2p_string_list *out,
                      const char *const *choices, char *err, size_t errlen)
{
	const lp2p_config_node *n = lp2p_config_get(root, key);
	if (!n || lp2p_config_type(n) == LP2P_CONFIG_NULL)
		return 0; /* keep the default */
	if (lp2p_config_type(n) != LP2P_CONFIG_SEQUENCE)
		return lp2p_config_error(n, err, errlen, "expected a list");
	size_t count = lp2p_config_size(n);
	if (count > LP2P_CONFIG_MAX_LIST)
		return lp2p_config_error(n, err, errlen,
		                         "at most %d entries are allowed",
		                         LP2P_CONFIG_MAX_LIST);
	out->n = 0;
	for (size_t i = 0; i < count; i++) {
		const lp2p_config_node *item = lp2p_config_at(n, i);
		const char *v = lp2p_config_scalar(item);
		if (!v)
			return lp2p_config_error(item, err, errlen,
			                         "expected a string");
		if (choices) {
			size_t j;
			for (j = 0; choices[j]; j++)
				if (strcmp(v, choices[j]) == 0)
					break;
			if (!choices[j]) {
				char list[128] = "";
				size_t used = 0;
				for (j = 0; choices[j]; j++)
					used += (size_t)snprintf(
						list + used, sizeof list - used,
						"%s%s", j ? ", " : "",
						choices[j]);
				return lp2p_config_error(
					item, err, errlen,
					"unknown value '%s' (supported: %s)", v,
					list);
			}
		}
		for (size_t k = 0; k < out->n; k++)
			if (strcmp(out->v[k], v) == 0)
				return lp2p_config_error(
					item, err, errlen,
					"'%s' is listed twice", v);
		out->v[out->n] = v;
		out->node[out->n] = item;
		out->n++;
	}
	return 0;
}

static int get_u32(const lp2p_config_node *n, const char *key, uint32_t *out,
                   int64_t min, char *err, size_t errlen)
{
	int64_t v;
	int rc = lp2p_config_get_int(n, key, min, UINT32_MAX, &v, err, errlen);
	if (rc == LP2P_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	*out = (uint32_t)v;
	return 0;
}

static int get_ms(const lp2p_config_node *n, const char *key, uint64_t *out,
                  char *err, size_t errlen)
{
	int rc = lp2p_config_get_duration_ms(n, key, out, err, errlen);
	return rc == LP2P_ENOTFOUND ? 0 : rc;
}

static int check_identity(struct lp2p_config *c, char *err, size_t errlen)
{
	static const char *const keys[] = {"key_file", "key_type", NULL};
	static const char *const types[] = {"ed25519", "secp256k1", "ecdsa",
	                                    "rsa", NULL};
	const lp2p_config_node *n = lp2p_config_get(c->root, "identity");
	int rc = lp2p_config_check_keys(n, keys, err, errlen);
	if (rc)
		return rc;
	rc = lp2p_config_get_string(n, "key_file", &c->key_file, err, errlen);
	if (rc && rc != LP2P_ENOTFOUND)
		return rc;
	rc = lp2p_config_get_string(n, "key_type", &c->key_type, err, errlen);
	if (rc == LP2P_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	for (size_t i = 0; types[i]; i++)
		if (strcmp(types[i], c->key_type) == 0)
			return 0;
	return lp2p_config_error(
		lp2p_config_get(n, "key_type"), err, errlen,
		"unknown key type '%s' (supported: ed25519, secp256k1, ecdsa, rsa)",
		c->key_type);
}

/* pnet: a private network's pre-shared key, read and checked now so that
 * --check-config reports a bad key file. */
static int check_pnet(struct lp2p_config *c, char *err, size_t errlen)
{
	static const char *const keys[] = {"key_file", NULL};
	const lp2p_config_node *n = lp2p_config_get(c->root, "pnet");
	char why[512];
	int rc = lp2p_config_check_keys(n, keys, err, errlen);
	if (rc)
		return rc;
	if (n && lp2p_config_type(n) == LP2P_CONFIG_MAPPING) {
		rc = lp2p_config_get_string(n, "key_file", &c->pnet_key_file,
		                            err, errlen);
		if (rc == LP2P_ENOTFOUND)
			return lp2p_config_error(
				n, err, errlen,
				"needs key_file (the private network's key)");
		if (rc)
			return rc;
		rc = lp2p_pnet_key_load(c->pnet_key_file, c->pnet_key, why,
		                        sizeof why);
		if (rc)
			return lp2p_config_error(lp2p_config_get(n, "key_file"),
			                         err, errlen, "%s", why);
		c->pnet_enabled = true;
		return 0;
	}
	/* As go-libp2p: this environment forbids leaving the private
	 * network by mistake. */
	const char *force = getenv("LIBP2P_FORCE_PNET");
	if (force && strcmp(force, "1") == 0)
		return lp2p_config_error(
			NULL, err, errlen,
			"%s: LIBP2P_FORCE_PNET=1 is set but there is no "
			"pnet.key_file: the node would join the public network",
			c->source);
	return 0;
}

static int check_plugins(struct lp2p_config *c, char *err, size_t errlen)
{
	const lp2p_config_node *n = lp2p_config_get(c->root, "plugins");
	if (!n || lp2p_config_type(n) == LP2P_CONFIG_NULL)
		return 0;
	if (lp2p_config_type(n) != LP2P_CONFIG_MAPPING)
		return lp2p_config_error(
			n, err, errlen,
			"expected a mapping of plugin names to their settings");
	size_t count = lp2p_config_size(n);
	if (count > LP2P_CONFIG_MAX_LIST)
		return lp2p_config_error(n, err, errlen,
		                         "at most %d plugins are allowed",
		                         LP2P_CONFIG_MAX_LIST);
	for (size_t i = 0; i < count; i++) {
		const char *name = lp2p_config_key_at(n, i);
		const lp2p_config_node *sub = lp2p_config_at(n, i);
		if (!name[0] || strchr(name, '/') || strchr(name, ' ')) {
			return lp2p_config_error(
				sub, err, errlen,
				"plugin names are plain words ('%s' is not)",
				name);
		}
		enum lp2p_config_type t = lp2p_config_type(sub);
		if (t != LP2P_CONFIG_MAPPING && t != LP2P_CONFIG_NULL)
			return lp2p_config_error(
				sub, err, errlen,
				"expected the plugin's settings as a mapping (or {})");
		c->plugins[c->nplugins].name = name;
		c->plugins[c->nplugins].node = sub;
		c->nplugins++;
	}
	return 0;
}

static int check_connmgr(struct lp2p_config *c, char *err, size_t errlen)
{
	static const char *const keys[] = {"low_water", "high_water",
	                                   "grace_period", "idle_timeout",
	                                   NULL};
	const lp2p_config_node *n =
		lp2p_config_get(c->root, "connection_manager");
	struct lp2p_connmgr_config *m = &c->connmgr;
	int rc = lp2p_config_check_keys(n, keys, err, errlen);
	if (!rc) rc = get_u32(n, "low_water", &m->low_water, 0, err, errlen);
	if (!rc) rc = get_u32(n, "high_water", &m->high_water, 1, err, errlen);
	if (!rc) rc = get_ms(n, "grace_period", &m->grace_period_ms, err, errlen);
	if (!rc) rc = get_ms(n, "idle_timeout", &m->idle_timeout_ms, err, errlen);
	if (rc)
		return rc;
	/* Unset water marks follow a smaller connection limit down. */
	uint64_t max_conns = c->limits.system.connections;
	if (!lp2p_config_get(n, "high_water") && m->high_water > max_conns)
		m->high_water = (uint32_t)max_conns;
	if (!lp2p_config_get(n, "low_water") && m->low_water > m->high_water)
		m->low_water = m->high_water - m->high_water / 6;
	if (m->low_water > m->high_water)
		return lp2p_config_error(
			lp2p_config_get(n, "low_water"), err, errlen,
			"is above connection_manager.high_water (%u)",
			m->high_water);
	if (m->high_water > max_conns)
		return lp2p_config_error(
			lp2p_config_get(n, "high_water"), err, errlen,
			"is above limits.max_connections (%llu)",
			(unsigned long long)max_conns);
	return 0;
}

static int check_log(struct lp2p_config *c, char *err, size_t errlen)
{
	static const char *const keys[] = {"level", "target", "syslog_ident",
	                                   NULL};
	const lp2p_config_node *n = lp2p_config_get(c->root, "log");
	const char *s;
	int rc = lp2p_config_check_keys(n, keys, err, errlen);
	if (rc)
		return rc;
	rc = lp2p_config_get_string(n, "level", &s, err, errlen);
	if (rc == 0) {
		c->log_level = lp2p_log_level_from_name(s);
		if (c->log_level < 0)
			return lp2p_config_error(
				lp2p_config_get(n, "level"), err, errlen,
				"unknown level '%s' (error, warn, notice, info, debug, trace)",
				s);
	} else if (rc != LP2P_ENOTFOUND) {
		return rc;
	}
	rc = lp2p_config_get_string(n, "target", &s, err, errlen);
	if (rc == 0) {
		if (strcmp(s, "syslog") == 0)
			c->log_syslog = true;
		else if (strcmp(s, "stderr") != 0)
			return lp2p_config_error(
				lp2p_config_get(n, "target"), err, errlen,
				"unknown target '%s' (stderr or syslog)", s);
	} else if (rc != LP2P_ENOTFOUND) {
		return rc;
	}
	rc = lp2p_config_get_string(n, "syslog_ident", &c->log_ident, err,
	                            errlen);
	return rc == LP2P_ENOTFOUND ? 0 : rc;
}

/* Every entry must be a multiaddr a TCP transport can use; bootstrap
 * entries must also name the peer (/p2p/<id>). */
static int check_addrs(const struct lp2p_string_list *l, bool need_peer,
                       char *err, size_t errlen)
{
	for (size_t i = 0; i < l->n; i++) {
		struct lp2p_multiaddr ma;
		int rc = lp2p_multiaddr_parse(l->v[i], strlen(l->v[i]), &ma);
		if (rc)
			return lp2p_config_error(l->node[i], err, errlen,
			                         "'%s' is not a valid multiaddr (%s)",
			                         l->v[i], lp2p_strerror(rc));
		if (!lp2p_multiaddr_is_tcp(&ma))
			return lp2p_config_error(
				l->node[i], err, errlen,
				"'%s' is not a TCP address "
				"(/ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT)",
				l->v[i]);
		bool has_peer = lp2p_multiaddr_peer_id(&ma, NULL, false) == 0;
		if (need_peer && !has_peer)
			return lp2p_config_error(
				l->node[i], err, errlen,
				"'%s' must end with /p2p/<peer id>", l->v[i]);
		if (!need_peer && has_peer)
			return lp2p_config_error(
				l->node[i], err, errlen,
				"a listen address has no /p2p/ part ('%s')",
				l->v[i]);
	}
	return 0;
}

static void set_defaults(struct lp2p_config *c)
{
	static const char *const def_security[] = {"noise"};
	static const char *const def_muxers[] = {"yamux", "mplex"};
	c->transports.n = 1;
	c->transports.v[0] = "tcp";
	c->security.n = 1;
	c->security.v[0] = def_security[0];
	c->muxers.n = 2;
	c->muxers.v[0] = def_muxers[0];
	c->muxers.v[1] = def_muxers[1];
	c->key_type = "ed25519";
	lp2p_config_limits_default(&c->limits);
	c->connmgr = (struct lp2p_connmgr_config){
		.low_water = 160,
		.high_water = 192,
		.grace_period_ms = 20000,
		.idle_timeout_ms = 120000,
	};
	c->log_level = LP2P_LOG_INFO;
	c->log_ident = "lp2pd";
}

static int validate(struct lp2p_config *c, char *err, size_t errlen)
{
	static const char *const transports[] = {"tcp", NULL};
	static const char *const security[] = {"noise", "tls", NULL};
	static const char *const muxers[] = {"yamux", "mplex", NULL};
	int rc;

	set_defaults(c);
	if ((rc = lp2p_config_check_keys(c->root, root_keys, err, errlen)) ||
	    (rc = check_identity(c, err, errlen)) ||
	    (rc = check_pnet(c, err, errlen)) ||
	    (rc = check_list(c->root, "listen", &c->listen, NULL, err,
	                     errlen)) ||
	    (rc = check_list(c->root, "transports", &c->transports,
	                     transports, err, errlen)) ||
	    (rc = check_list(c->root, "security", &c->security, security,
	                     err, errlen)) ||
	    (rc = check_list(c->root, "muxers", &c->muxers, muxers, err,
	                     errlen)) ||
	    (rc = check_list(c->root, "plugin_path", &c->plugin_path, NULL,
	                     err, errlen)) ||
	    (rc = check_list(c->root, "bootstrap", &c->bootstrap, NULL, err,
	                     errlen)) ||
	    (rc = check_plugins(c, err, errlen)) ||
	    (rc = lp2p_config_check_limits(c, err, errlen)) ||
	    (rc = check_connmgr(c, err, errlen)) ||
	    (rc = check_log(c, err, errlen)))
		return rc;
	if ((rc = check_addrs(&c->listen, false, err, errlen)) ||
	    (rc = check_addrs(&c->bootstrap, true, err, errlen)))
		return rc;
	const struct {
		const char *key;
		const struct lp2p_string_list *l;
	} nonempty[] = {
		{"transports", &c->transports},
		{"security", &c->security},
		{"muxers", &c->muxers},
	};
	for (size_t i = 0; i < 3; i++)
		if (nonempty[i].l->n == 0)
			return lp2p_config_error(
				lp2p_config_get(c->root, nonempty[i].key), err,
				errlen, "needs at least one entry");
	return 0;
}

LP2P_API int lp2p_config_load_string(const char *yaml, size_t len,
                                     const char *name, lp2p_config **out,
                                     char *err, size_t errlen)
{
	struct lp2p_config *c = calloc(1, sizeof *c);
	if (!c)
		return LP2P_ENOMEM;
	c->source = strdup(name);
	c->text = malloc(len + 1);
	if (!c->source || !c->text) {
		lp2p_config_free(c);
		return LP2P_ENOMEM;
	}
	memcpy(c->text, yaml, len);
	c->text[len] = '\0';
	int rc = lp2p_config_tree_parse(c->text, len, c->source, &c->root, err,
	                                errlen);
	if (rc == 0)
		rc = validate(c, err, errlen);
	if (rc) {
		lp2p_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

LP2P_API int lp2p_config_load_file(const char *path, lp2p_config **out,
                                   char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		         strerror(errno));
		return LP2P_EIO;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		fclose(f);
		return LP2P_EIO;
	}
	if ((uint64_t)st.st_size > MAX_CONFIG_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes", path,
		         MAX_CONFIG_BYTES);
		fclose(f);
		return LP2P_ECONFIG;
	}
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len + 1);
	if (!buf) {
		fclose(f);
		return LP2P_ENOMEM;
	}
	size_t got = fread(buf, 1, len, f);
	int rerr = ferror(f);
	fclose(f);
	if (rerr || got != len) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		return LP2P_EIO;
	}
	int rc = lp2p_config_load_string(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}

LP2P_API int lp2p_config_load_default(lp2p_config **out, char *err,
                                      size_t errlen)
{
	int rc = lp2p_config_load_string(lp2p_default_config_yaml,
	                                 strlen(lp2p_default_config_yaml),
	                                 "<built-in>", out, err, errlen);
	if (rc == 0)
		(*out)->default_plugins = true;
	return rc;
}

LP2P_API void lp2p_config_free(lp2p_config *c)
{
	if (!c)
		return;
	lp2p_config_tree_free(c->root);
	OPENSSL_cleanse(c->pnet_key, sizeof c->pnet_key);
	free(c->text);
	free(c->source);
	free(c);
}

LP2P_API const char *lp2p_config_source(const lp2p_config *c)
{
	return c->source;
}

LP2P_API const lp2p_config_node *lp2p_config_root(const lp2p_config *c)
{
	return c->root;
}
