/* key_cmd.c - identity key management from the command line */
#include <stdio.h>
#include <string.h>

#include <lp2p/config.h>
#include <lp2p/crypto.h>
#include <lp2p/peer_id.h>

#include "lp2pd/key_cmd.h"

static int print_peer_id(const struct lp2p_key *key)
{
	struct lp2p_peer_id id;
	char text[LP2P_PEER_ID_STR_MAX];
	if (lp2p_peer_id_from_key(key, &id) != 0 ||
	    lp2p_peer_id_to_string(&id, text, sizeof text) < 0) {
		fprintf(stderr, "lp2pd: cannot derive the peer id\n");
		return 1;
	}
	printf("%s\n", text);
	return 0;
}

int lp2pd_gen_key(const char *path, const char *type)
{
	int t = lp2p_key_type_from_name(type ? type : "ed25519");
	if (t < 0) {
		fprintf(stderr,
		        "lp2pd: unknown key type '%s' (ed25519, secp256k1, "
		        "ecdsa, rsa)\n",
		        type);
		return 2;
	}
	struct lp2p_key *key;
	int rc = lp2p_key_generate((enum lp2p_key_type)t,
	                           t == LP2P_KEY_RSA ? 2048 : 0, &key);
	if (rc) {
		fprintf(stderr, "lp2pd: cannot generate a key: %s\n",
		        lp2p_strerror(rc));
		return 1;
	}
	char why[512] = "";
	rc = lp2p_key_file_save(path, key, 0, why, sizeof why);
	if (rc) {
		fprintf(stderr, "lp2pd: %s\n", why[0] ? why : lp2p_strerror(rc));
		lp2p_key_free(key);
		return 1;
	}
	rc = print_peer_id(key);
	lp2p_key_free(key);
	return rc;
}

int lp2pd_print_id(const char *cfg_path)
{
	char err[1024];
	lp2p_config *cfg;
	int rc = cfg_path ? lp2p_config_load_file(cfg_path, &cfg, err, sizeof err)
	                  : lp2p_config_load_default(&cfg, err, sizeof err);
	if (rc) {
		fprintf(stderr, "lp2pd: %s\n", err);
		return 1;
	}
	const char *path = NULL;
	lp2p_config_get_string(lp2p_config_get(lp2p_config_root(cfg),
	                                       "identity"),
	                       "key_file", &path, err, sizeof err);
	if (!path) {
		fprintf(stderr,
		        "lp2pd: %s has no identity.key_file: the node uses a "
		        "new ephemeral identity at every start\n",
		        lp2p_config_source(cfg));
		lp2p_config_free(cfg);
		return 1;
	}
	struct lp2p_key *key;
	char why[512] = "";
	rc = lp2p_key_file_load(path, &key, why, sizeof why);
	if (rc) {
		fprintf(stderr, "lp2pd: %s\n", why[0] ? why : lp2p_strerror(rc));
		lp2p_config_free(cfg);
		return 1;
	}
	rc = print_peer_id(key);
	lp2p_key_free(key);
	lp2p_config_free(cfg);
	return rc;
}
