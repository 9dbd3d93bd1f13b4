/* protocols.c - which protocol ids the host accepts, and who takes them */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/events.h>
#include <lp2p/log.h>

#include "host/host.h"

#define MAX_PROTOCOL_LEN 1024
#define MAX_DYNAMIC_PROTOCOLS 256

bool lp2p_host_route(struct lp2p_host *h, const char *protocol,
                     struct lp2p_route *out)
{
	for (size_t i = 0; i < h->nplugins; i++) {
		const struct lp2p_plugin *p = h->plugins[i];
		if (!p->running || !p->accept_inbound || !p->desc->protocols)
			continue;
		for (size_t j = 0; p->desc->protocols[j]; j++) {
			if (strcmp(p->desc->protocols[j], protocol) == 0) {
				*out = (struct lp2p_route){.plugin = p};
				return true;
			}
		}
	}
	for (size_t i = 0; i < h->nprotos; i++) {
		if (strcmp(h->protos[i].protocol, protocol) == 0) {
			*out = (struct lp2p_route){
				.accept = h->protos[i].accept,
				.arg = h->protos[i].arg,
			};
			return true;
		}
	}
	return false;
}

bool lp2p_host_accepts(struct lp2p_host *h, const char *protocol)
{
	struct lp2p_route r;
	return lp2p_host_route(h, protocol, &r);
}

_Static_assert(MAX_PROTOCOL_LEN <= LP2P_EVENT_PROTOCOL_MAX,
               "a protocol id fits the host.protocols event");

static void protocols_changed(struct lp2p_host *h, const char *protocol,
                              bool added)
{
	free(h->proto_list);
	h->proto_list = NULL;
	h->proto_list_n = 0;
	struct lp2p_event_protocols ev = {
		.size = sizeof ev,
		.count = (uint32_t)lp2p_host_protocols(h, NULL, 0),
		.added = added,
	};
	snprintf(ev.protocol, sizeof ev.protocol, "%s", protocol);
	lp2p_host_publish(h, LP2P_EVENT_HOST_PROTOCOLS, &ev, sizeof ev);
}

LP2P_API int lp2p_host_add_protocol(lp2p_host *h, const char *protocol,
                                    lp2p_accept_cb accept, void *arg)
{
	if (!h || !protocol || !accept || protocol[0] != '/' ||
	    strnlen(protocol, MAX_PROTOCOL_LEN + 1) > MAX_PROTOCOL_LEN ||
	    strchr(protocol, '\n'))
		return LP2P_EINVAL;
	if (lp2p_host_accepts(h, protocol))
		return LP2P_EEXIST;
	if (h->nprotos >= MAX_DYNAMIC_PROTOCOLS)
		return LP2P_ELIMIT;
	if (h->nprotos == h->protos_cap) {
		size_t cap = h->protos_cap ? h->protos_cap * 2 : 8;
		struct lp2p_proto_entry *p =
			realloc(h->protos, cap * sizeof *p);
		if (!p)
			return LP2P_ENOMEM;
		h->protos = p;
		h->protos_cap = cap;
	}
	char *copy = strdup(protocol);
	if (!copy)
		return LP2P_ENOMEM;
	h->protos[h->nprotos++] = (struct lp2p_proto_entry){copy, accept, arg};
	protocols_changed(h, protocol, true);
	return 0;
}

LP2P_API int lp2p_host_remove_protocol(lp2p_host *h, const char *protocol)
{
	for (size_t i = 0; i < h->nprotos; i++) {
		if (strcmp(h->protos[i].protocol, protocol) == 0) {
			char *gone = h->protos[i].protocol;
			h->protos[i] = h->protos[--h->nprotos];
			protocols_changed(h, gone, false);
			free(gone);
			return 0;
		}
	}
	return LP2P_ENOTFOUND;
}

LP2P_API size_t lp2p_host_protocols(const lp2p_host *hc, const char **out,
                                    size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < hc->nplugins; i++) {
		const struct lp2p_plugin *p = hc->plugins[i];
		if (!p->running || !p->accept_inbound || !p->desc->protocols)
			continue;
		for (size_t j = 0; p->desc->protocols[j]; j++, n++)
			if (n < max)
				out[n] = p->desc->protocols[j];
	}
	for (size_t i = 0; i < hc->nprotos; i++, n++)
		if (n < max)
			out[n] = hc->protos[i].protocol;
	return n;
}

void lp2p_host_protocols_fini(struct lp2p_host *h)
{
	for (size_t i = 0; i < h->nprotos; i++)
		free(h->protos[i].protocol);
	free(h->protos);
	free(h->proto_list);
	h->protos = NULL;
	h->nprotos = h->protos_cap = 0;
}
