/*
 * defaults.c - typed getters with a default and a range (lp2p/config.h):
 * an absent key gives the default, a value out of range is refused with
 * the usual "FILE:LINE:COL: PATH: message", so a plugin writes each
 * default once, in the call that reads the key.
 */
#include <inttypes.h>
#include <string.h>

#include <lp2p/config.h>

static int range(const lp2p_config_node *n, const char *key, uint64_t v,
                 uint64_t min, uint64_t max, const char *unit, char *err,
                 size_t errlen)
{
	if (v >= min && v <= max)
		return 0;
	const lp2p_config_node *c = lp2p_config_get(n, key);
	if (max == UINT64_MAX)
		return lp2p_config_error(c, err, errlen,
		                         "must be at least %" PRIu64 "%s", min,
		                         unit);
	return lp2p_config_error(c, err, errlen,
	                         "must be between %" PRIu64 "%s and %" PRIu64
	                         "%s",
	                         min, unit, max, unit);
}

LP2P_API int lp2p_config_duration_or(const lp2p_config_node *n,
                                     const char *key, uint64_t def,
                                     uint64_t min, uint64_t max,
                                     uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = def;
	int rc = lp2p_config_get_duration_ms(n, key, &v, err, errlen);
	if (rc == LP2P_ENOTFOUND)
		rc = 0;
	if (!rc && v != def)
		rc = range(n, key, v, min, max, "ms", err, errlen);
	if (!rc)
		*out = v;
	return rc;
}

LP2P_API int lp2p_config_size_or(const lp2p_config_node *n, const char *key,
                                 uint64_t def, uint64_t min, uint64_t max,
                                 uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = def;
	int rc = lp2p_config_get_size(n, key, &v, err, errlen);
	if (rc == LP2P_ENOTFOUND)
		rc = 0;
	if (!rc && v != def)
		rc = range(n, key, v, min, max, " bytes", err, errlen);
	if (!rc)
		*out = v;
	return rc;
}

LP2P_API int lp2p_config_int_or(const lp2p_config_node *n, const char *key,
                                int64_t def, int64_t min, int64_t max,
                                int64_t *out, char *err, size_t errlen)
{
	int64_t v = def;
	int rc = lp2p_config_get_int(n, key, min, max, &v, err, errlen);
	if (rc == LP2P_ENOTFOUND)
		rc = 0;
	if (!rc)
		*out = v;
	return rc;
}

LP2P_API int lp2p_config_bool_or(const lp2p_config_node *n, const char *key,
                                 bool def, bool *out, char *err,
                                 size_t errlen)
{
	bool v = def;
	int rc = lp2p_config_get_bool(n, key, &v, err, errlen);
	if (rc == LP2P_ENOTFOUND)
		rc = 0;
	if (!rc)
		*out = v;
	return rc;
}

LP2P_API int lp2p_config_string_or(const lp2p_config_node *n, const char *key,
                                   const char *def, size_t max_len,
                                   const char **out, char *err,
                                   size_t errlen)
{
	const char *v = def;
	int rc = lp2p_config_get_string(n, key, &v, err, errlen);
	if (rc == LP2P_ENOTFOUND)
		rc = 0;
	if (!rc && v != def && strlen(v) > max_len)
		rc = lp2p_config_error(lp2p_config_get(n, key), err, errlen,
		                       "at most %zu bytes are allowed", max_len);
	if (!rc)
		*out = v;
	return rc;
}

/* ---- a table of fields ---- */

#define MAX_FIELDS 64

LP2P_API int lp2p_config_read(const lp2p_config_node *n,
                              const struct lp2p_config_field *fields,
                              void *out, char *err, size_t errlen)
{
	const char *keys[MAX_FIELDS + 1];
	size_t nf = 0;
	if (!fields || !out)
		return LP2P_EINVAL;
	for (; fields[nf].key; nf++)
		if (nf == MAX_FIELDS)
			return LP2P_EINVAL;
		else
			keys[nf] = fields[nf].key;
	keys[nf] = NULL;
	int rc = lp2p_config_check_keys(n, keys, err, errlen);
	for (size_t i = 0; i < nf && !rc; i++) {
		const struct lp2p_config_field *f = &fields[i];
		void *v = (char *)out + f->offset;
		switch (f->kind) {
		case LP2P_CONFIG_KIND_DURATION:
			rc = lp2p_config_duration_or(n, f->key, f->def, f->min,
			                             f->max, v, err, errlen);
			break;
		case LP2P_CONFIG_KIND_SIZE:
			rc = lp2p_config_size_or(n, f->key, f->def, f->min,
			                         f->max, v, err, errlen);
			break;
		case LP2P_CONFIG_KIND_INT:
			rc = lp2p_config_int_or(n, f->key, f->idef, f->imin,
			                        f->imax, v, err, errlen);
			break;
		case LP2P_CONFIG_KIND_BOOL:
			rc = lp2p_config_bool_or(n, f->key, f->bdef, v, err,
			                         errlen);
			break;
		case LP2P_CONFIG_KIND_STRING:
			rc = lp2p_config_string_or(n, f->key, f->sdef,
			                           (size_t)f->max, v, err,
			                           errlen);
			break;
		default:
			rc = LP2P_EINVAL;
		}
	}
	return rc;
}
