/*
 * request.c - request/response over a stream of its own
 * (lp2p/request.h), built on the public stream calls.  A request lives
 * from the call until its stream's on_close, or until the open callback
 * that brings no stream; its callback comes once, at the first of: the
 * reply, an error, the deadline.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/host.h>
#include <lp2p/message.h>
#include <lp2p/request.h>
#include <lp2p/resource.h>
#include <lp2p/swarm.h>

#include "host/host.h"
#include "swarm/swarm.h"

#define DEFAULT_TIMEOUT_MS 10000

struct req {
	struct req *prev, *next; /* host->requests, until answered */
	bool listed;
	lp2p_host *host;
	struct lp2p_peer_id peer;
	char *protocols; /* copies, one after the other, NUL-terminated */
	size_t nprotocols;
	lp2p_reply_cb cb;
	void *arg;
	enum lp2p_reply_kind kind;
	size_t max_reply;
	uint8_t *data; /* the request, until it is sent */
	size_t len;
	lp2p_timer *timer;
	lp2p_stream *s;  /* once opened, until on_close */
	bool answered;   /* cb was called */
	uint8_t *reply;  /* EXACT, TO_END: collected */
	size_t reply_len;
};

static void req_free(struct req *r)
{
	lp2p_timer_free(r->timer);
	free(r->protocols);
	free(r->data);
	free(r->reply);
	free(r);
}

/* The answer (once).  The stream, if any, is closed or reset; the
 * request itself goes when nothing is due any more. */
static void answer(struct req *r, int status, const uint8_t *reply,
                   size_t len)
{
	if (r->answered)
		return;
	r->answered = true;
	/* no longer in flight, for the callback too */
	if (r->listed) {
		if (r->prev)
			r->prev->next = r->next;
		else
			r->host->requests = r->next;
		if (r->next)
			r->next->prev = r->prev;
		r->listed = false;
	}
	lp2p_timer_stop(r->timer);
	r->cb(r->arg, status, status ? NULL : reply, status ? 0 : len);
	if (!r->s)
		return; /* opening: the open callback frees it */
	if (status)
		lp2p_stream_reset(r->s, status);
	else
		lp2p_stream_close(r->s);
}

static void on_deadline(void *arg)
{
	answer(arg, LP2P_ETIMEDOUT, NULL, 0);
}

static void on_closed(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct req *r = user;
	r->s = NULL;
	answer(r, reason ? reason : LP2P_ETRUNC, NULL, 0);
	req_free(r);
}

/* ---- a message ---- */

static int on_msg(lp2p_stream *s, void *user, const uint8_t *msg, size_t len)
{
	(void)s;
	answer(user, 0, msg, len);
	return 0;
}

static void on_msg_end(lp2p_stream *s, void *user)
{
	(void)s;
	answer(user, LP2P_ETRUNC, NULL, 0);
}

static const struct lp2p_msg_handler msg_handler = {
	.on_msg = on_msg,
	.on_remote_close = on_msg_end,
	.on_close = on_closed,
};

/* ---- raw bytes ---- */

static void on_data(lp2p_stream *s, void *user, const uint8_t *data,
                    size_t len)
{
	struct req *r = user;
	if (r->answered)
		return;
	if (len > r->max_reply - r->reply_len) {
		answer(r, LP2P_ERANGE, NULL, 0);
		return;
	}
	if (!r->reply) {
		int rc = lp2p_stream_reserve_memory(s, r->max_reply);
		if (rc == 0 && !(r->reply = malloc(r->max_reply)))
			rc = LP2P_ENOMEM;
		if (rc) {
			answer(r, rc, NULL, 0);
			return;
		}
	}
	memcpy(r->reply + r->reply_len, data, len);
	r->reply_len += len;
	if (r->kind == LP2P_REPLY_EXACT && r->reply_len == r->max_reply)
		answer(r, 0, r->reply, r->reply_len);
}

static void on_raw_end(lp2p_stream *s, void *user)
{
	(void)s;
	struct req *r = user;
	if (r->kind == LP2P_REPLY_TO_END)
		answer(r, 0, r->reply, r->reply_len);
	else
		answer(r, LP2P_ETRUNC, NULL, 0);
}

static const struct lp2p_stream_handler raw_handler = {
	.on_data = on_data,
	.on_remote_close = on_raw_end,
	.on_close = on_closed,
};

static void on_open(void *arg, int status, lp2p_stream *s)
{
	struct req *r = arg;
	if (status || r->answered) {
		if (s) /* no handler: nothing follows */
			lp2p_stream_reset(s, LP2P_ECANCELED);
		answer(r, status, NULL, 0);
		req_free(r);
		return;
	}
	r->s = s;
	/* the raw handler first: its on_close is ours whatever follows */
	lp2p_stream_set_handler(s, &raw_handler, r);
	int rc = 0;
	if (r->kind == LP2P_REPLY_MESSAGE) {
		rc = lp2p_stream_set_msg_handler(s, &msg_handler, r->max_reply,
		                                 r);
		if (rc == 0)
			rc = lp2p_stream_send_msg(s, r->data, r->len);
	} else {
		rc = lp2p_stream_send(s, r->data, r->len);
	}
	free(r->data);
	r->data = NULL;
	if (rc == 0)
		rc = lp2p_stream_close_write(s);
	if (rc)
		answer(r, rc, NULL, 0); /* on_close frees it */
}

static int req_new(lp2p_host *h, const struct lp2p_request *rq,
                   lp2p_reply_cb cb, void *arg, struct req **out)
{
	if (!h || !rq || !cb || !rq->protocols || rq->nprotocols == 0 ||
	    (rq->len && !rq->data) || rq->kind > LP2P_REPLY_TO_END ||
	    (rq->kind != LP2P_REPLY_TO_END && rq->max_reply == 0))
		return LP2P_EINVAL;
	struct req *r = calloc(1, sizeof *r);
	if (!r)
		return LP2P_ENOMEM;
	r->host = h;
	r->cb = cb;
	r->arg = arg;
	r->kind = rq->kind;
	r->max_reply = rq->max_reply;
	r->len = rq->len;
	if (!(r->data = malloc(rq->len ? rq->len : 1)) ||
	    lp2p_timer_new(h, on_deadline, r, &r->timer)) {
		req_free(r);
		return LP2P_ENOMEM;
	}
	if (rq->len)
		memcpy(r->data, rq->data, rq->len);
	size_t total = 0;
	for (size_t i = 0; i < rq->nprotocols; i++) {
		if (!rq->protocols[i]) {
			req_free(r);
			return LP2P_EINVAL;
		}
		total += strlen(rq->protocols[i]) + 1;
	}
	if (!(r->protocols = malloc(total))) {
		req_free(r);
		return LP2P_ENOMEM;
	}
	char *q = r->protocols;
	for (size_t i = 0; i < rq->nprotocols; i++) {
		size_t n = strlen(rq->protocols[i]) + 1;
		memcpy(q, rq->protocols[i], n);
		q += n;
	}
	r->nprotocols = rq->nprotocols;
	*out = r;
	return 0;
}

/* In flight from here until answered. */
static void req_started(struct req *r, const struct lp2p_request *rq,
                        const struct lp2p_peer_id *peer)
{
	r->peer = *peer;
	r->next = r->host->requests;
	if (r->next)
		r->next->prev = r;
	r->host->requests = r;
	r->listed = true;
	lp2p_timer_start(r->timer,
	                 rq->timeout_ms ? rq->timeout_ms : DEFAULT_TIMEOUT_MS,
	                 0);
}

LP2P_API int lp2p_conn_request(lp2p_conn *c, const struct lp2p_request *rq,
                               lp2p_reply_cb cb, void *arg)
{
	if (!c)
		return LP2P_EINVAL;
	struct req *r;
	int rc = req_new(lp2p_host_of_conn(c), rq, cb, arg, &r);
	if (rc)
		return rc;
	rc = lp2p_conn_open_stream(c, rq->protocols, rq->nprotocols, on_open,
	                           r);
	if (rc) {
		req_free(r);
		return rc;
	}
	req_started(r, rq, lp2p_conn_peer(c));
	return 0;
}

LP2P_API int lp2p_host_request(lp2p_host *h, const struct lp2p_peer_id *peer,
                               const struct lp2p_request *rq,
                               lp2p_reply_cb cb, void *arg)
{
	struct req *r;
	int rc = req_new(h, rq, cb, arg, &r);
	if (rc)
		return rc;
	rc = lp2p_host_open_stream(h, peer, rq->protocols, rq->nprotocols,
	                           on_open, r);
	if (rc) {
		req_free(r);
		return rc;
	}
	req_started(r, rq, peer);
	return 0;
}

LP2P_API size_t lp2p_host_requests_to_peer(const lp2p_host *h,
                                           const struct lp2p_peer_id *peer,
                                           const char *protocol)
{
	size_t n = 0;
	if (!h || !peer || !protocol)
		return 0;
	for (const struct req *r = h->requests; r; r = r->next) {
		if (!lp2p_peer_id_equal(&r->peer, peer))
			continue;
		const char *p = r->protocols;
		for (size_t i = 0; i < r->nprotocols; i++, p += strlen(p) + 1) {
			if (strcmp(p, protocol) == 0) {
				n++;
				break;
			}
		}
	}
	return n;
}
