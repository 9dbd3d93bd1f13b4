/*
 * events.c - typed events between plugins: published events are copied
 * into a queue and delivered in order from the loop (an ev_check watcher,
 * which runs after every poll however busy the loop is: an ev_idle one
 * starved under constant I/O), never from inside lp2p_host_publish().  The payloads of the types in
 * lp2p/events.h are checked against their structs here, once, so that
 * subscribers may cast them.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/events.h>

#include "host/host.h"

/* A queue that a misbehaving publisher cannot grow without bound. */
#define MAX_QUEUED_EVENTS 4096
#define MAX_EVENT_LEN (1u << 20)

struct lp2p_event {
	struct lp2p_event *next;
	char *type;
	size_t len;
	alignas(max_align_t) uint8_t data[]; /* a struct: aligned for any */
};

/* The size of a struct's first version: up to the end of its last field. */
#define V1_SIZE(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))

static const struct {
	const char *type;
	size_t v1_size;
} known_types[] = {
	{LP2P_EVENT_CONN_OPENED, V1_SIZE(struct lp2p_event_conn, local_addr)},
	{LP2P_EVENT_CONN_CLOSED, V1_SIZE(struct lp2p_event_conn, local_addr)},
	{LP2P_EVENT_HOST_LISTEN_ADDRS,
	 V1_SIZE(struct lp2p_event_listen_addrs, addr)},
	{LP2P_EVENT_HOST_PROTOCOLS,
	 V1_SIZE(struct lp2p_event_protocols, protocol)},
	{LP2P_EVENT_IDENTIFY_PEER,
	 V1_SIZE(struct lp2p_event_identify_peer, peer)},
	{LP2P_EVENT_IDENTIFY_OBSERVED_ADDR,
	 V1_SIZE(struct lp2p_event_observed_addr, addr)},
	{LP2P_EVENT_PING_RTT, V1_SIZE(struct lp2p_event_ping_rtt, conn_id)},
};

/* A payload of a known type must be its struct (lp2p/events.h). */
static bool payload_ok(const char *type, const void *data, size_t len)
{
	for (size_t i = 0; i < sizeof known_types / sizeof *known_types; i++) {
		if (strcmp(type, known_types[i].type) != 0)
			continue;
		uint32_t size;
		if (len < known_types[i].v1_size)
			return false;
		memcpy(&size, data, sizeof size);
		return size == len;
	}
	return true;
}

static bool matches(const char *pattern, const char *type)
{
	return strcmp(pattern, "*") == 0 || strcmp(pattern, type) == 0;
}

/* Whether p lists type (running or not: one starting now gets it). */
static bool plugin_lists(const struct lp2p_plugin *p, const char *type)
{
	if (!p->protocol_event || !p->desc->events)
		return false;
	for (size_t j = 0; p->desc->events[j]; j++)
		if (matches(p->desc->events[j], type))
			return true;
	return false;
}

static bool plugin_wants(const struct lp2p_plugin *p, const char *type)
{
	return p->running && plugin_lists(p, type);
}

/* Whether anyone listens to type (else publishing it is free). */
static bool wanted(const struct lp2p_host *h, const char *type)
{
	for (size_t i = 0; i < h->nplugins; i++)
		if (plugin_lists(h->plugins[i], type))
			return true;
	for (const struct lp2p_subscriber *s = h->subscribers; s; s = s->next)
		if (s->cb && matches(s->type, type))
			return true;
	return false;
}

static void deliver(struct lp2p_host *h, const struct lp2p_event *e)
{
	for (size_t i = 0; i < h->nplugins; i++) {
		struct lp2p_plugin *p = h->plugins[i];
		if (plugin_wants(p, e->type))
			p->protocol_event(p->state, e->type, e->data, e->len);
	}
	for (struct lp2p_subscriber *s = h->subscribers; s;) {
		struct lp2p_subscriber *next = s->next;
		if (s->cb && matches(s->type, e->type))
			s->cb(s->arg, e->type, e->data, e->len);
		s = next;
	}
}

static void sweep_unsubscribed(struct lp2p_host *h)
{
	struct lp2p_subscriber **pp = &h->subscribers;
	while (*pp) {
		if (!(*pp)->cb) {
			struct lp2p_subscriber *dead = *pp;
			*pp = dead->next;
			free(dead->type);
			free(dead);
		} else {
			pp = &(*pp)->next;
		}
	}
}

/* Only keeps the loop's poll from blocking while events wait. */
static void on_wake(struct ev_loop *ev, ev_idle *w, int revents)
{
	(void)ev;
	(void)w;
	(void)revents;
}

static void on_check(struct ev_loop *ev, ev_check *w, int revents)
{
	(void)revents;
	struct lp2p_host *h = w->data;
	/* Events published while delivering wait for the next round. */
	struct lp2p_event *e = h->events_head;
	h->events_head = h->events_tail = NULL;
	while (e) {
		struct lp2p_event *next = e->next;
		h->events_queued--;
		deliver(h, e);
		free(e->type);
		free(e);
		e = next;
	}
	sweep_unsubscribed(h);
	if (!h->events_head) {
		ev_check_stop(ev, w);
		ev_idle_stop(ev, &h->event_wake);
	}
}

void lp2p_host_events_init(struct lp2p_host *h)
{
	ev_check_init(&h->event_watcher, on_check);
	h->event_watcher.data = h;
	ev_idle_init(&h->event_wake, on_wake);
}

void lp2p_host_events_fini(struct lp2p_host *h)
{
	struct lp2p_event *e = h->events_head;
	while (e) {
		struct lp2p_event *next = e->next;
		h->events_queued--;
		free(e->type);
		free(e);
		e = next;
	}
	h->events_head = h->events_tail = NULL;
	for (struct lp2p_subscriber *s = h->subscribers; s;) {
		struct lp2p_subscriber *next = s->next;
		free(s->type);
		free(s);
		s = next;
	}
	h->subscribers = NULL;
}

LP2P_API int lp2p_host_publish(lp2p_host *h, const char *type,
                               const void *data, size_t len)
{
	if (!h || !type || (len && !data) || len > MAX_EVENT_LEN ||
	    !payload_ok(type, data, len))
		return LP2P_EINVAL;
	if (!wanted(h, type))
		return 0; /* no one would see it */
	if (h->events_queued >= MAX_QUEUED_EVENTS)
		return LP2P_ELIMIT;
	struct lp2p_event *e = malloc(sizeof *e + len);
	if (!e)
		return LP2P_ENOMEM;
	e->type = strdup(type);
	if (!e->type) {
		free(e);
		return LP2P_ENOMEM;
	}
	e->next = NULL;
	e->len = len;
	if (len)
		memcpy(e->data, data, len);
	if (h->events_tail)
		h->events_tail->next = e;
	else
		h->events_head = e;
	h->events_tail = e;
	h->events_queued++;
	if (h->loop.ev) {
		ev_check_start(h->loop.ev, &h->event_watcher);
		ev_idle_start(h->loop.ev, &h->event_wake);
	}
	return 0;
}

LP2P_API int lp2p_host_subscribe(lp2p_host *h, const char *type,
                                 lp2p_event_cb cb, void *arg)
{
	if (!h || !type || !cb)
		return LP2P_EINVAL;
	struct lp2p_subscriber *s = calloc(1, sizeof *s);
	if (!s || !(s->type = strdup(type))) {
		free(s);
		return LP2P_ENOMEM;
	}
	s->cb = cb;
	s->arg = arg;
	/* append: delivery follows subscription order */
	struct lp2p_subscriber **pp = &h->subscribers;
	while (*pp)
		pp = &(*pp)->next;
	*pp = s;
	return 0;
}

LP2P_API void lp2p_host_unsubscribe(lp2p_host *h, const char *type,
                                    lp2p_event_cb cb, void *arg)
{
	/* Marked now, freed after delivery, so it is safe from a callback. */
	for (struct lp2p_subscriber *s = h->subscribers; s; s = s->next) {
		if (s->cb == cb && s->arg == arg && strcmp(s->type, type) == 0) {
			s->cb = NULL;
			return;
		}
	}
}
