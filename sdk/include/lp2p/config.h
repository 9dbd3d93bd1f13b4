/*
 * lp2p/config.h - the configuration: the YAML file parsed once into a
 * read-only tree of nodes, and the typed getters plugins use on their own
 * subtree.
 *
 * Every node remembers the file, line and column it came from and its key
 * path ("plugins.ping.interval"), so an error names all four:
 *     /etc/lp2pd/lp2pd.yaml:12:5: plugins.ping.interval: expected a duration
 *
 * Ownership: nodes belong to the lp2p_config they came from and live as long
 * as it does; a plugin may keep the node given to its init until its fini.
 * Strings returned by the getters point into the tree (do not free).
 */
#ifndef LP2P_CONFIG_H
#define LP2P_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <lp2p/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lp2p_config lp2p_config;
typedef struct lp2p_config_node lp2p_config_node;

enum lp2p_config_type {
	LP2P_CONFIG_NULL = 0, /* absent value, "~", "null" or empty */
	LP2P_CONFIG_SCALAR,
	LP2P_CONFIG_SEQUENCE,
	LP2P_CONFIG_MAPPING,
};

/* ---- loading (for lp2pd and programs embedding the runtime) ---- */

/*
 * Parse and validate a configuration file.  On failure returns
 * LP2P_ECONFIG (or LP2P_EIO for an unreadable file) and writes one line
 * naming the file, line, column and key into err (errlen bytes, always
 * NUL-terminated).  On success *out must be freed with lp2p_config_free().
 */
LP2P_API int lp2p_config_load_file(const char *path, lp2p_config **out,
                                   char *err, size_t errlen);

/* The same for YAML text held in memory; name is used in messages. */
LP2P_API int lp2p_config_load_string(const char *yaml, size_t len,
                                     const char *name, lp2p_config **out,
                                     char *err, size_t errlen);

/* The built-in default configuration (what lp2pd runs without -c). */
LP2P_API int lp2p_config_load_default(lp2p_config **out, char *err,
                                      size_t errlen);

LP2P_API void lp2p_config_free(lp2p_config *cfg);

/* The file name the configuration came from ("<built-in>" for default). */
LP2P_API const char *lp2p_config_source(const lp2p_config *cfg);

/* The root mapping. */
LP2P_API const lp2p_config_node *lp2p_config_root(const lp2p_config *cfg);

/* ---- walking nodes ---- */

LP2P_API enum lp2p_config_type lp2p_config_type(const lp2p_config_node *n);
/* Key path of the node, "" for the root. */
LP2P_API const char *lp2p_config_path(const lp2p_config_node *n);
LP2P_API unsigned lp2p_config_line(const lp2p_config_node *n);
LP2P_API unsigned lp2p_config_column(const lp2p_config_node *n);
LP2P_API const char *lp2p_config_file(const lp2p_config_node *n);

/* Mapping lookup; NULL when n is not a mapping or has no such key. */
LP2P_API const lp2p_config_node *lp2p_config_get(const lp2p_config_node *n,
                                                 const char *key);
/* Entries of a sequence or mapping (0 for scalars and null). */
LP2P_API size_t lp2p_config_size(const lp2p_config_node *n);
/* The i-th item of a sequence, or the i-th value of a mapping. */
LP2P_API const lp2p_config_node *lp2p_config_at(const lp2p_config_node *n,
                                                size_t i);
/* The i-th key of a mapping, NULL otherwise. */
LP2P_API const char *lp2p_config_key_at(const lp2p_config_node *n, size_t i);
/* The text of a scalar, NULL otherwise. */
LP2P_API const char *lp2p_config_scalar(const lp2p_config_node *n);

/* ---- typed getters: n is a mapping (or NULL), key a direct child ----
 * Each returns 0 and writes *out when the key is present and valid,
 * LP2P_ENOTFOUND (out untouched) when the key is absent or null, and
 * LP2P_ECONFIG with a message in err when it is present but invalid. */

LP2P_API int lp2p_config_get_string(const lp2p_config_node *n,
                                    const char *key, const char **out,
                                    char *err, size_t errlen);
LP2P_API int lp2p_config_get_int(const lp2p_config_node *n, const char *key,
                                 int64_t min, int64_t max, int64_t *out,
                                 char *err, size_t errlen);
/* true/false, yes/no, on/off. */
LP2P_API int lp2p_config_get_bool(const lp2p_config_node *n, const char *key,
                                  bool *out, char *err, size_t errlen);
/* A duration: "250ms", "15s", "2m", "1h", or a bare number of seconds;
 * stored in milliseconds. */
LP2P_API int lp2p_config_get_duration_ms(const lp2p_config_node *n,
                                         const char *key, uint64_t *out,
                                         char *err, size_t errlen);
/* A byte size: "512", "64KiB", "16MiB", "1GiB" (also kB/MB/GB = 1000^n). */
LP2P_API int lp2p_config_get_size(const lp2p_config_node *n, const char *key,
                                  uint64_t *out, char *err, size_t errlen);

/* ---- the same with a default and a range ----
 * Each returns 0 and writes *out: the value when the key is present and
 * valid, def when it is absent or null.  A value outside [min, max] (or
 * a string longer than max_len) is LP2P_ECONFIG with a message naming
 * file, line, column and key; *out is then untouched.  def itself is not
 * range-checked.  A plugin's config_check and init call the same reader,
 * so each default is written once. */

LP2P_API int lp2p_config_duration_or(const lp2p_config_node *n,
                                     const char *key, uint64_t def,
                                     uint64_t min, uint64_t max,
                                     uint64_t *out, char *err, size_t errlen);
LP2P_API int lp2p_config_size_or(const lp2p_config_node *n, const char *key,
                                 uint64_t def, uint64_t min, uint64_t max,
                                 uint64_t *out, char *err, size_t errlen);
LP2P_API int lp2p_config_int_or(const lp2p_config_node *n, const char *key,
                                int64_t def, int64_t min, int64_t max,
                                int64_t *out, char *err, size_t errlen);
LP2P_API int lp2p_config_bool_or(const lp2p_config_node *n, const char *key,
                                 bool def, bool *out, char *err,
                                 size_t errlen);
LP2P_API int lp2p_config_string_or(const lp2p_config_node *n, const char *key,
                                   const char *def, size_t max_len,
                                   const char **out, char *err,
                                   size_t errlen);

/* ---- a plugin's settings as a table ----
 *
 * One table names every key, its type, default and range, and where its
 * value goes in the plugin's own struct; lp2p_config_read() refuses
 * unknown keys and reads every field with the *_or getters above.  The
 * same call serves config_check (into a scratch struct) and init:
 *
 *     static const struct lp2p_config_field fields[] = {
 *         LP2P_CONFIG_DURATION(struct ping, interval_ms, "interval",
 *                              15000, 0, UINT64_MAX),
 *         LP2P_CONFIG_BOOL(struct ping, close_on_failure,
 *                          "close_on_failure", false),
 *         LP2P_CONFIG_END,
 *     };
 *     rc = lp2p_config_read(cfg, fields, pp, err, errlen);
 *
 * The table's struct is part of the plugin ABI (it grows only with it);
 * build its entries with the macros, which also check at compile time
 * that the member has the type the kind stores.
 */
enum lp2p_config_kind {
	LP2P_CONFIG_KIND_END = 0,
	LP2P_CONFIG_KIND_DURATION, /* uint64_t milliseconds */
	LP2P_CONFIG_KIND_SIZE,     /* uint64_t bytes */
	LP2P_CONFIG_KIND_INT,      /* int64_t */
	LP2P_CONFIG_KIND_BOOL,     /* bool */
	LP2P_CONFIG_KIND_STRING,   /* const char *, into the configuration */
};

struct lp2p_config_field {
	const char *key; /* NULL: the end of the table */
	enum lp2p_config_kind kind;
	size_t offset; /* of the value in the struct read into */
	uint64_t def, min, max; /* DURATION, SIZE; STRING: max is max_len */
	int64_t idef, imin, imax; /* INT */
	bool bdef;                /* BOOL */
	const char *sdef;         /* STRING */
};

/* offsetof(T, m), refused at compile time unless m has the size of V. */
#define LP2P_CONFIG_OFFSET_(T, m, V)                                         \
	(offsetof(T, m) +                                                    \
	 0 * sizeof(char[sizeof(((T *)0)->m) == sizeof(V) ? 1 : -1]))
#define LP2P_CONFIG_DURATION(T, m, key, d, lo, hi)                           \
	{(key), LP2P_CONFIG_KIND_DURATION, LP2P_CONFIG_OFFSET_(T, m, uint64_t), \
	 .def = (d), .min = (lo), .max = (hi)}
#define LP2P_CONFIG_SIZE(T, m, key, d, lo, hi)                               \
	{(key), LP2P_CONFIG_KIND_SIZE, LP2P_CONFIG_OFFSET_(T, m, uint64_t),  \
	 .def = (d), .min = (lo), .max = (hi)}
#define LP2P_CONFIG_INT(T, m, key, d, lo, hi)                                \
	{(key), LP2P_CONFIG_KIND_INT, LP2P_CONFIG_OFFSET_(T, m, int64_t),    \
	 .idef = (d), .imin = (lo), .imax = (hi)}
#define LP2P_CONFIG_BOOL(T, m, key, d)                                       \
	{(key), LP2P_CONFIG_KIND_BOOL, LP2P_CONFIG_OFFSET_(T, m, bool),      \
	 .bdef = (d)}
#define LP2P_CONFIG_STRING(T, m, key, d, max_len)                            \
	{(key), LP2P_CONFIG_KIND_STRING,                                     \
	 LP2P_CONFIG_OFFSET_(T, m, const char *), .sdef = (d),               \
	 .max = (max_len)}
#define LP2P_CONFIG_END {NULL, LP2P_CONFIG_KIND_END, 0, .def = 0}

/*
 * Read mapping n (or null: every default) into out by the table fields
 * (at most 64 entries before LP2P_CONFIG_END): a key not in the table is
 * refused like lp2p_config_check_keys(), each field as its *_or getter
 * does.  On failure (LP2P_ECONFIG with err written, LP2P_EINVAL for a bad
 * table) some fields of *out may have been written.
 */
LP2P_API int lp2p_config_read(const lp2p_config_node *n,
                              const struct lp2p_config_field *fields,
                              void *out, char *err, size_t errlen);

/*
 * Check that mapping n (or null) has only keys from the NULL-terminated list
 * allowed; otherwise LP2P_ECONFIG with "unknown key" naming the first
 * offender and its position.  A non-mapping n is an error too.
 */
LP2P_API int lp2p_config_check_keys(const lp2p_config_node *n,
                                    const char *const *allowed, char *err,
                                    size_t errlen);

/*
 * Format an error about node n into err: "FILE:LINE:COL: PATH: message".
 * Returns LP2P_ECONFIG, so a check can `return lp2p_config_error(...)`.
 */
LP2P_API int lp2p_config_error(const lp2p_config_node *n, char *err,
                               size_t errlen, const char *fmt, ...)
	LP2P_PRINTF(4, 5);

#ifdef __cplusplus
}
#endif
#endif
