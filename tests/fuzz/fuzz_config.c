/* fuzz_config.c - the YAML configuration loader on arbitrary text: it must
 * accept or refuse with a message, never crash, leak or hang. */
#include <stdint.h>
#include <string.h>

#include <lp2p/config.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp2p_config *c = NULL;
	char err[512];
	int rc = lp2p_config_load_string((const char *)data, size, "fuzz.yaml",
	                                 &c, err, sizeof err);
	if (rc == 0) {
		/* walk the plugin subtrees like a plugin would */
		const lp2p_config_node *p =
			lp2p_config_get(lp2p_config_root(c), "plugins");
		for (size_t i = 0; i < lp2p_config_size(p); i++) {
			const char *s;
			uint64_t u;
			lp2p_config_get_string(lp2p_config_at(p, i), "x", &s,
			                       err, sizeof err);
			lp2p_config_get_duration_ms(lp2p_config_at(p, i), "d",
			                            &u, err, sizeof err);
		}
		lp2p_config_free(c);
	} else if (strlen(err) == 0) {
		__builtin_trap(); /* a refusal must say why */
	}
	return 0;
}
