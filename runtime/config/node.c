/* node.c - walking config nodes and the typed getters of lp2p/config.h */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/tree.h"

LP2P_API enum lp2p_config_type lp2p_config_type(const lp2p_config_node *n)
{
	return n ? n->type : LP2P_CONFIG_NULL;
}

LP2P_API const char *lp2p_config_path(const lp2p_config_node *n)
{
	return n ? n->path : "";
}

LP2P_API unsigned lp2p_config_line(const lp2p_config_node *n)
{
	return n ? n->line : 0;
}

LP2P_API unsigned lp2p_config_column(const lp2p_config_node *n)
{
	return n ? n->column : 0;
}

LP2P_API const char *lp2p_config_file(const lp2p_config_node *n)
{
	return n ? n->file : "";
}

LP2P_API const lp2p_config_node *lp2p_config_get(const lp2p_config_node *n,
                                                 const char *key)
{
	if (!n || n->type != LP2P_CONFIG_MAPPING)
		return NULL;
	for (size_t i = 0; i < n->n; i++)
		if (strcmp(n->keys[i], key) == 0)
			return n->items[i];
	return NULL;
}

LP2P_API size_t lp2p_config_size(const lp2p_config_node *n)
{
	if (!n || (n->type != LP2P_CONFIG_MAPPING &&
	           n->type != LP2P_CONFIG_SEQUENCE))
		return 0;
	return n->n;
}

LP2P_API const lp2p_config_node *lp2p_config_at(const lp2p_config_node *n,
                                                size_t i)
{
	if (i >= lp2p_config_size(n))
		return NULL;
	return n->items[i];
}

LP2P_API const char *lp2p_config_key_at(const lp2p_config_node *n, size_t i)
{
	if (!n || n->type != LP2P_CONFIG_MAPPING || i >= n->n)
		return NULL;
	return n->keys[i];
}

LP2P_API const char *lp2p_config_scalar(const lp2p_config_node *n)
{
	return n && n->type == LP2P_CONFIG_SCALAR ? n->scalar : NULL;
}

LP2P_API int lp2p_config_error(const lp2p_config_node *n, char *err,
                               size_t errlen, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!err || !errlen)
		return LP2P_ECONFIG;
	if (!n)
		snprintf(err, errlen, "%s", msg);
	else if (n->path[0])
		snprintf(err, errlen, "%s:%u:%u: %s: %s", n->file, n->line,
		         n->column, n->path, msg);
	else
		snprintf(err, errlen, "%s:%u:%u: %s", n->file, n->line,
		         n->column, msg);
	return LP2P_ECONFIG;
}

static const char *type_name(enum lp2p_config_type t)
{
	switch (t) {
	case LP2P_CONFIG_NULL: return "null";
	case LP2P_CONFIG_SCALAR: return "a scalar";
	case LP2P_CONFIG_SEQUENCE: return "a list";
	case LP2P_CONFIG_MAPPING: return "a mapping";
	}
	return "?";
}

/* The scalar child `key`, ENOTFOUND when absent/null, ECONFIG otherwise. */
static int scalar_child(const lp2p_config_node *n, const char *key,
                        const lp2p_config_node **child, char *err,
                        size_t errlen)
{
	const lp2p_config_node *c = lp2p_config_get(n, key);
	if (!c || c->type == LP2P_CONFIG_NULL)
		return LP2P_ENOTFOUND;
	if (c->type != LP2P_CONFIG_SCALAR)
		return lp2p_config_error(c, err, errlen,
		                         "expected a single value, got %s",
		                         type_name(c->type));
	*child = c;
	return 0;
}

LP2P_API int lp2p_config_get_string(const lp2p_config_node *n,
                                    const char *key, const char **out,
                                    char *err, size_t errlen)
{
	const lp2p_config_node *c = NULL;
	int rc = scalar_child(n, key, &c, err, errlen);
	if (rc)
		return rc;
	*out = c->scalar;
	return 0;
}

LP2P_API int lp2p_config_get_int(const lp2p_config_node *n, const char *key,
                                 int64_t min, int64_t max, int64_t *out,
                                 char *err, size_t errlen)
{
	const lp2p_config_node *c = NULL;
	int rc = scalar_child(n, key, &c, err, errlen);
	if (rc)
		return rc;
	char *end;
	errno = 0;
	long long v = strtoll(c->scalar, &end, 10);
	if (errno || end == c->scalar || *end != '\0')
		return lp2p_config_error(c, err, errlen,
		                         "expected an integer, got '%s'",
		                         c->scalar);
	if (v < min || v > max)
		return lp2p_config_error(
			c, err, errlen,
			"%lld is out of range (%" PRId64 "..%" PRId64 ")", v,
			min, max);
	*out = v;
	return 0;
}

LP2P_API int lp2p_config_get_bool(const lp2p_config_node *n, const char *key,
                                  bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	const lp2p_config_node *c = NULL;
	int rc = scalar_child(n, key, &c, err, errlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(c->scalar, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(c->scalar, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return lp2p_config_error(c, err, errlen,
	                         "expected true or false, got '%s'", c->scalar);
}

/* "<digits><unit>" with a unit table; returns 0 or -1. */
static int parse_scaled(const char *s, const char *const *units,
                        const uint64_t *scale, size_t nunits,
                        uint64_t bare_scale, uint64_t *out)
{
	if (!isdigit((unsigned char)s[0]))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	while (*end == ' ')
		end++;
	uint64_t mul = bare_scale;
	if (*end) {
		size_t i;
		for (i = 0; i < nunits; i++)
			if (strcmp(end, units[i]) == 0)
				break;
		if (i == nunits)
			return -1;
		mul = scale[i];
	}
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

LP2P_API int lp2p_config_get_duration_ms(const lp2p_config_node *n,
                                         const char *key, uint64_t *out,
                                         char *err, size_t errlen)
{
	static const char *const units[] = {"ms", "s", "m", "h"};
	static const uint64_t scale[] = {1, 1000, 60000, 3600000};
	const lp2p_config_node *c = NULL;
	int rc = scalar_child(n, key, &c, err, errlen);
	if (rc)
		return rc;
	if (parse_scaled(c->scalar, units, scale, 4, 1000, out))
		return lp2p_config_error(
			c, err, errlen,
			"expected a duration such as 500ms, 15s, 2m or 1h, got '%s'",
			c->scalar);
	return 0;
}

LP2P_API int lp2p_config_get_size(const lp2p_config_node *n, const char *key,
                                  uint64_t *out, char *err, size_t errlen)
{
	static const char *const units[] = {"B",   "KiB", "MiB", "GiB",
	                                    "kB",  "MB",  "GB"};
	static const uint64_t scale[] = {1,        1024,    1048576,
	                                 1073741824ULL, 1000, 1000000,
	                                 1000000000ULL};
	const lp2p_config_node *c = NULL;
	int rc = scalar_child(n, key, &c, err, errlen);
	if (rc)
		return rc;
	if (parse_scaled(c->scalar, units, scale, 7, 1, out))
		return lp2p_config_error(
			c, err, errlen,
			"expected a size such as 4096, 64KiB or 16MiB, got '%s'",
			c->scalar);
	return 0;
}

LP2P_API int lp2p_config_check_keys(const lp2p_config_node *n,
                                    const char *const *allowed, char *err,
                                    size_t errlen)
{
	if (!n || n->type == LP2P_CONFIG_NULL)
		return 0;
	if (n->type != LP2P_CONFIG_MAPPING)
		return lp2p_config_error(n, err, errlen,
		                         "expected a mapping, got %s",
		                         type_name(n->type));
	for (size_t i = 0; i < n->n; i++) {
		size_t j;
		for (j = 0; allowed[j]; j++)
			if (strcmp(n->keys[i], allowed[j]) == 0)
				break;
		if (!allowed[j]) {
			char list[256] = "";
			size_t used = 0;
			for (j = 0; allowed[j] && used < sizeof list; j++)
				used += (size_t)snprintf(
					list + used, sizeof list - used, "%s%s",
					j ? ", " : "", allowed[j]);
			const struct lp2p_config_node *c = n->items[i];
			snprintf(err, errlen, "%s:%u:%u: %s: unknown key (known: %s)",
			         c->file, c->key_line, c->key_column, c->path,
			         list);
			return LP2P_ECONFIG;
		}
	}
	return 0;
}
