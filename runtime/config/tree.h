/* tree.h - the YAML document as a tree of lp2p_config_node (internal) */
#ifndef LP2P_CONFIG_TREE_H
#define LP2P_CONFIG_TREE_H

#include <lp2p/config.h>

struct lp2p_config_node {
	enum lp2p_config_type type;
	const char *file; /* owned by the tree's root holder */
	unsigned line, column; /* 1-based, where the value starts */
	unsigned key_line, key_column; /* where its key starts (mappings) */
	char *path;            /* key path, "" for the root */
	char *scalar;          /* LP2P_CONFIG_SCALAR */
	size_t n;              /* items (sequence) or pairs (mapping) */
	size_t cap;
	struct lp2p_config_node **items;
	char **keys; /* mapping keys, parallel to items */
};

/*
 * Parse YAML text into a tree.  file names the source in messages and is
 * borrowed (it must outlive the tree).  Rejects: syntax errors, more than one
 * document, aliases/anchors, non-scalar keys, duplicate keys, nesting deeper
 * than 64.  An empty document gives an empty mapping.
 */
int lp2p_config_tree_parse(const char *text, size_t len, const char *file,
                           struct lp2p_config_node **out, char *err,
                           size_t errlen);
void lp2p_config_tree_free(struct lp2p_config_node *n);

#endif
