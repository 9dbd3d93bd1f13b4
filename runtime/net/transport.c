/* transport.c - the transports of this build, by name and by address */
#include <string.h>

#include "net/transport.h"

static const struct lp2p_transport_ops *const transports[] = {
	&lp2p_transport_tcp,
};

#define NTRANSPORTS (sizeof transports / sizeof *transports)

const struct lp2p_transport_ops *lp2p_transport_by_name(const char *name)
{
	for (size_t i = 0; i < NTRANSPORTS; i++)
		if (strcmp(transports[i]->name, name) == 0)
			return transports[i];
	return NULL;
}

const struct lp2p_transport_ops *
lp2p_transport_for_addr(const struct lp2p_multiaddr *ma)
{
	for (size_t i = 0; i < NTRANSPORTS; i++)
		if (transports[i]->handles(ma))
			return transports[i];
	return NULL;
}
