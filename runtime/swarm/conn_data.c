/* conn_data.c - plugin data on a connection (lp2p_conn_set_data), freed
 * with the connection, after the callbacks of its streams */
#include <stdlib.h>

#include "swarm/swarm.h"

#define MAX_SLOTS 16

LP2P_API bool lp2p_conn_is_open(const lp2p_conn *c)
{
	return c && c->state != CONN_DEAD;
}

LP2P_API void *lp2p_conn_get_data(const lp2p_conn *c, const void *key)
{
	for (size_t i = 0; c && i < c->nslots; i++)
		if (c->slots[i].key == key)
			return c->slots[i].data;
	return NULL;
}

LP2P_API int lp2p_conn_set_data(lp2p_conn *c, const void *key, void *data,
                                void (*free_fn)(void *data))
{
	if (!c || !key)
		return LP2P_EINVAL;
	for (size_t i = 0; i < c->nslots; i++) {
		if (c->slots[i].key != key)
			continue;
		if (data) {
			c->slots[i].data = data;
			c->slots[i].free_fn = free_fn;
		} else {
			c->slots[i] = c->slots[--c->nslots];
		}
		return 0;
	}
	if (!data)
		return 0;
	if (c->state == CONN_DEAD)
		return LP2P_ECLOSED;
	if (c->nslots == MAX_SLOTS)
		return LP2P_ELIMIT;
	struct lp2p_conn_slot *s =
	    realloc(c->slots, (c->nslots + 1) * sizeof *s);
	if (!s)
		return LP2P_ENOMEM;
	c->slots = s;
	s[c->nslots++] = (struct lp2p_conn_slot){key, data, free_fn};
	return 0;
}

void lp2p_conn_data_free(struct lp2p_conn *c)
{
	/* a free_fn may look at the others: take them out first */
	struct lp2p_conn_slot *slots = c->slots;
	size_t n = c->nslots;
	c->slots = NULL;
	c->nslots = 0;
	for (size_t i = 0; i < n; i++)
		if (slots[i].free_fn)
			slots[i].free_fn(slots[i].data);
	free(slots);
}
