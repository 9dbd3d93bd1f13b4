/* resolve.c - getaddrinfo on a worker thread, answer posted to the loop */
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/common.h>
#include <lp2p/log.h>

#include "net/resolve.h"

struct lp2p_resolve {
	struct lp2p_loop *loop;
	char name[256];
	int family;
	uint16_t port;
	lp2p_resolve_fn cb;
	void *arg;
	bool canceled; /* loop thread only */
	int status;
	struct lp2p_resolved res;
};

static void deliver(void *arg)
{
	struct lp2p_resolve *r = arg;
	if (!r->canceled)
		r->cb(r->arg, r->status, &r->res);
	free(r);
}

static void *worker(void *arg)
{
	struct lp2p_resolve *r = arg;
	struct addrinfo hints = {.ai_family = r->family,
	                         .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(r->name, NULL, &hints, &ai);
	if (rc != 0) {
		lp2p_log(LP2P_LOG_DEBUG, "resolve %s: %s", r->name,
		         gai_strerror(rc));
		r->status = LP2P_ENOTFOUND;
	} else {
		for (struct addrinfo *p = ai;
		     p && r->res.n < LP2P_RESOLVE_MAX; p = p->ai_next) {
			size_t i = r->res.n;
			if (p->ai_family != AF_INET && p->ai_family != AF_INET6)
				continue;
			memcpy(&r->res.addr[i], p->ai_addr, p->ai_addrlen);
			r->res.len[i] = p->ai_addrlen;
			if (p->ai_family == AF_INET)
				((struct sockaddr_in *)&r->res.addr[i])
					->sin_port = htons(r->port);
			else
				((struct sockaddr_in6 *)&r->res.addr[i])
					->sin6_port = htons(r->port);
			r->res.n++;
		}
		freeaddrinfo(ai);
		r->status = r->res.n ? 0 : LP2P_ENOTFOUND;
	}
	/* If the loop is closing the answer is dropped with the request. */
	struct lp2p_loop *loop = r->loop;
	if (lp2p_loop_post(loop, deliver, r) != 0)
		free(r);
	lp2p_loop_worker_leave(loop);
	return NULL;
}

int lp2p_resolve_start(struct lp2p_loop *loop, const char *name, int family,
                       uint16_t port, lp2p_resolve_fn cb, void *arg,
                       struct lp2p_resolve **out)
{
	if (strlen(name) >= sizeof((struct lp2p_resolve *)0)->name)
		return LP2P_EINVAL;
	struct lp2p_resolve *r = calloc(1, sizeof *r);
	if (!r)
		return LP2P_ENOMEM;
	r->loop = loop;
	strcpy(r->name, name);
	r->family = family;
	r->port = port;
	r->cb = cb;
	r->arg = arg;
	lp2p_loop_worker_enter(loop);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, worker, r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		lp2p_loop_worker_leave(loop);
		free(r);
		return LP2P_ENOMEM;
	}
	*out = r;
	return 0;
}

void lp2p_resolve_cancel(struct lp2p_resolve *r)
{
	if (r)
		r->canceled = true;
}
