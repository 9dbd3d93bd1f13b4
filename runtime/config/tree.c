/* tree.c - build a tree of lp2p_config_node from libyaml's event stream */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/tree.h"

#define MAX_DEPTH 64

struct builder {
	yaml_parser_t parser;
	const char *file;
	char *err;
	size_t errlen;
};

static int fail_at(struct builder *b, unsigned line, unsigned col,
                   const char *path, const char *fmt, ...) LP2P_PRINTF(5, 6);

static int fail_at(struct builder *b, unsigned line, unsigned col,
                   const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (path && *path)
		snprintf(b->err, b->errlen, "%s:%u:%u: %s: %s", b->file, line,
		         col, path, msg);
	else
		snprintf(b->err, b->errlen, "%s:%u:%u: %s", b->file, line, col,
		         msg);
	return LP2P_ECONFIG;
}

static struct lp2p_config_node *node_new(struct builder *b,
                                         enum lp2p_config_type type,
                                         const yaml_mark_t *mark,
                                         const char *path)
{
	struct lp2p_config_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->type = type;
	n->file = b->file;
	n->line = (unsigned)mark->line + 1;
	n->column = (unsigned)mark->column + 1;
	n->path = strdup(path);
	if (!n->path) {
		free(n);
		return NULL;
	}
	return n;
}

void lp2p_config_tree_free(struct lp2p_config_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		lp2p_config_tree_free(n->items[i]);
		if (n->keys)
			free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->scalar);
	free(n->path);
	free(n);
}

static int node_append(struct lp2p_config_node *parent, char *key,
                       struct lp2p_config_node *child)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct lp2p_config_node **items =
			realloc(parent->items, cap * sizeof *items);
		if (!items)
			return LP2P_ENOMEM;
		parent->items = items;
		if (parent->type == LP2P_CONFIG_MAPPING) {
			char **keys = realloc(parent->keys, cap * sizeof *keys);
			if (!keys)
				return LP2P_ENOMEM;
			parent->keys = keys;
		}
		parent->cap = cap;
	}
	parent->items[parent->n] = child;
	if (parent->type == LP2P_CONFIG_MAPPING)
		parent->keys[parent->n] = key;
	parent->n++;
	return 0;
}

static int is_null_scalar(const yaml_event_t *ev)
{
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *v = (const char *)ev->data.scalar.value;
	return ev->data.scalar.length == 0 || strcmp(v, "~") == 0 ||
	       strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		const yaml_mark_t *m = &b->parser.problem_mark;
		return fail_at(b, (unsigned)m->line + 1, (unsigned)m->column + 1,
		               NULL, "YAML syntax error: %s%s%s",
		               b->parser.problem ? b->parser.problem : "?",
		               b->parser.context ? " " : "",
		               b->parser.context ? b->parser.context : "");
	}
	return 0;
}

static char *join_path(const char *parent, const char *key)
{
	char *p = NULL;
	if (*parent == '\0')
		return strdup(key);
	if (asprintf(&p, "%s.%s", parent, key) < 0)
		return NULL;
	return p;
}

static char *index_path(const char *parent, size_t i)
{
	char *p = NULL;
	if (asprintf(&p, "%s[%zu]", parent, i) < 0)
		return NULL;
	return p;
}

static int parse_node(struct builder *b, yaml_event_t *ev, const char *path,
                      int depth, struct lp2p_config_node **out);

/* Parse the children of a just-started mapping or sequence. */
static int parse_children(struct builder *b, struct lp2p_config_node *n,
                          int depth)
{
	int is_map = n->type == LP2P_CONFIG_MAPPING;
	for (;;) {
		yaml_event_t ev;
		int rc = next_event(b, &ev);
		if (rc)
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT ||
		    ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		char *key = NULL, *child_path;
		unsigned key_line = ev.start_mark.line + 1;
		unsigned key_col = ev.start_mark.column + 1;
		if (is_map) {
			if (ev.type != YAML_SCALAR_EVENT) {
				rc = fail_at(b, ev.start_mark.line + 1,
				             ev.start_mark.column + 1, n->path,
				             "mapping keys must be plain scalars");
				yaml_event_delete(&ev);
				return rc;
			}
			key = strndup((const char *)ev.data.scalar.value,
			              ev.data.scalar.length);
			if (!key) {
				yaml_event_delete(&ev);
				return LP2P_ENOMEM;
			}
			for (size_t i = 0; i < n->n; i++) {
				if (strcmp(n->keys[i], key) == 0) {
					char *p = join_path(n->path, key);
					rc = fail_at(
						b, ev.start_mark.line + 1,
						ev.start_mark.column + 1,
						p ? p : key,
						"duplicate key (first set at line %u)",
						n->items[i]->line);
					free(p);
					free(key);
					yaml_event_delete(&ev);
					return rc;
				}
			}
			yaml_event_delete(&ev);
			child_path = join_path(n->path, key);
			rc = child_path ? next_event(b, &ev) : LP2P_ENOMEM;
			if (rc) {
				free(child_path);
				free(key);
				return rc;
			}
		} else {
			child_path = index_path(n->path, n->n);
			if (!child_path) {
				yaml_event_delete(&ev);
				return LP2P_ENOMEM;
			}
		}
		struct lp2p_config_node *child = NULL;
		rc = parse_node(b, &ev, child_path, depth + 1, &child);
		free(child_path);
		if (rc == 0) {
			child->key_line = key_line;
			child->key_column = key_col;
			rc = node_append(n, key, child);
		}
		if (rc) {
			lp2p_config_tree_free(child);
			free(key);
			return rc;
		}
	}
}

/* Consumes ev (and the events of its children). */
static int parse_node(struct builder *b, yaml_event_t *ev, const char *path,
                      int depth, struct lp2p_config_node **out)
{
	int rc = 0;
	struct lp2p_config_node *n = NULL;
	unsigned line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;

	if (depth > MAX_DEPTH) {
		rc = fail_at(b, line, col, path, "nesting deeper than %d",
		             MAX_DEPTH);
		goto out;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		rc = fail_at(b, line, col, path,
		             "YAML aliases are not supported");
		goto out;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			rc = fail_at(b, line, col, path,
			             "YAML anchors are not supported");
			goto out;
		}
		if (is_null_scalar(ev)) {
			n = node_new(b, LP2P_CONFIG_NULL, &ev->start_mark, path);
		} else {
			n = node_new(b, LP2P_CONFIG_SCALAR, &ev->start_mark,
			             path);
			if (n) {
				n->scalar = strndup(
					(const char *)ev->data.scalar.value,
					ev->data.scalar.length);
				if (!n->scalar) {
					lp2p_config_tree_free(n);
					n = NULL;
				}
			}
		}
		rc = n ? 0 : LP2P_ENOMEM;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int is_map = ev->type == YAML_MAPPING_START_EVENT;
		const yaml_char_t *anchor = is_map
			? ev->data.mapping_start.anchor
			: ev->data.sequence_start.anchor;
		if (anchor) {
			rc = fail_at(b, line, col, path,
			             "YAML anchors are not supported");
			goto out;
		}
		n = node_new(b, is_map ? LP2P_CONFIG_MAPPING
		                       : LP2P_CONFIG_SEQUENCE,
		             &ev->start_mark, path);
		if (!n) {
			rc = LP2P_ENOMEM;
			goto out;
		}
		rc = parse_children(b, n, depth);
		break;
	}
	default:
		rc = fail_at(b, line, col, path, "unexpected YAML event");
		break;
	}
out:
	yaml_event_delete(ev);
	if (rc) {
		lp2p_config_tree_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

int lp2p_config_tree_parse(const char *text, size_t len, const char *file,
                           struct lp2p_config_node **out, char *err,
                           size_t errlen)
{
	struct builder b = {.file = file, .err = err, .errlen = errlen};
	struct lp2p_config_node *root = NULL;
	yaml_event_t ev;
	int rc, docs = 0;

	if (errlen)
		err[0] = '\0';
	if (!yaml_parser_initialize(&b.parser))
		return LP2P_ENOMEM;
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text,
	                             len);
	for (;;) {
		rc = next_event(&b, &ev);
		if (rc)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (++docs > 1) {
				rc = fail_at(&b, ev.start_mark.line + 1,
				             ev.start_mark.column + 1, NULL,
				             "only one YAML document is allowed");
				yaml_event_delete(&ev);
				break;
			}
			yaml_event_delete(&ev);
			continue;
		}
		rc = parse_node(&b, &ev, "", 0, &root);
		if (rc)
			break;
	}
	yaml_parser_delete(&b.parser);
	if (rc == LP2P_ENOMEM && errlen)
		snprintf(err, errlen, "%s: out of memory", file);
	if (rc) {
		lp2p_config_tree_free(root);
		return rc;
	}
	if (!root || root->type == LP2P_CONFIG_NULL) {
		yaml_mark_t m = {0};
		lp2p_config_tree_free(root);
		root = node_new(&b, LP2P_CONFIG_MAPPING, &m, "");
		if (!root)
			return LP2P_ENOMEM;
	}
	if (root->type != LP2P_CONFIG_MAPPING) {
		rc = fail_at(&b, root->line, root->column, NULL,
		             "the configuration must be a mapping of keys");
		lp2p_config_tree_free(root);
		return rc;
	}
	*out = root;
	return 0;
}
