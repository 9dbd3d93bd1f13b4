/* secure.c - the secure channel protocols by name */
#include <string.h>

#include "security/secure.h"

const struct lp2p_secure_ops *lp2p_secure_by_name(const char *name)
{
	static const struct lp2p_secure_ops *const all[] = {
	    &lp2p_secure_noise,
	    &lp2p_secure_tls,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
