/*
 * events.c - typed events between plugins: published events are copied
 * into a queue and delivered in order from the loop (an ev_idle watcher),
 * never from inside lp2p_host_publish().
 */
#include <stdlib.h>
#include <string.h>

#include "host/host.h"

/* A queue that a misbehaving publisher cannot grow without bound. */
#define MAX_QUEUED_EVENTS 4096
#define MAX_EVENT_LEN (1u << 20)

struct lp2p_event {
	struct lp2p_event *next;
	char *type;
	size_t len;
	uint8_t data[];
};

static bool matches(const char *pattern, const char *type)
{
	return strcmp(pattern, "*") == 0 || strcmp(pattern, type) == 0;
}

static void deliver(struct lp2p_host *h, const struct lp2p_event *e)
{
	for (size_t i = 0; i < h->nplugins; i++) {
		struct lp2p_plugin *p = h->plugins[i];
		if (!p->running || !p->protocol_event || !p->desc->events)
			continue;
		for (size_t j = 0; p->desc->events[j]; j++) {
			if (matches(p->desc->events[j], e->type)) {
				p->protocol_event(p->state, e->type, e->data,
				                  e->len);
				break;
			}
		}
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

static void on_idle(struct ev_loop *ev, ev_idle *w, int revents)
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
	if (!h->events_head)
		ev_idle_stop(ev, w);
}

void lp2p_host_events_init(struct lp2p_host *h)
{
	ev_idle_init(&h->event_watcher, on_idle);
	h->event_watcher.data = h;
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
	if (!h || !type || (len && !data) || len > MAX_EVENT_LEN)
		return LP2P_EINVAL;
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
	if (h->loop.ev)
		ev_idle_start(h->loop.ev, &h->event_watcher);
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
