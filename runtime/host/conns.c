/*
 * conns.c - the host's public calls on connections: listening, dialling
 * (a peer's addresses come from the peerstore), opening streams, listing.
 * The work is the swarm's; this is the host's face of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/events.h>

#include "host/host.h"

LP2P_API int lp2p_host_listen(lp2p_host *h, const struct lp2p_multiaddr *ma,
                              char *err, size_t errlen)
{
	struct lp2p_multiaddr bound;
	int rc = lp2p_swarm_listen(&h->swarm, ma, &bound, err, errlen);
	if (rc)
		return rc;
	struct lp2p_event_listen_addrs ev = {
		.size = sizeof ev,
		.count = (uint32_t)lp2p_swarm_listen_addrs(&h->swarm, NULL, 0),
		.addr = bound,
	};
	lp2p_host_publish(h, LP2P_EVENT_HOST_LISTEN_ADDRS, &ev, sizeof ev);
	return 0;
}

LP2P_API size_t lp2p_host_listen_addrs(const lp2p_host *h,
                                       struct lp2p_multiaddr *out, size_t max)
{
	return lp2p_swarm_listen_addrs(&h->swarm, out, max);
}

LP2P_API const struct lp2p_peer_id *lp2p_host_peer_id(const lp2p_host *h)
{
	return &h->swarm.self;
}

LP2P_API int lp2p_host_public_key(const lp2p_host *h, uint8_t *buf,
                                  size_t cap)
{
	return lp2p_key_marshal_public(h->identity, buf, cap);
}

LP2P_API int lp2p_host_sign(const lp2p_host *h, const uint8_t *msg,
                            size_t len, uint8_t *sig, size_t cap)
{
	return lp2p_key_sign(h->identity, msg, len, sig, cap);
}

LP2P_API size_t lp2p_host_conns_to_peer(const lp2p_host *h,
                                        const struct lp2p_peer_id *peer,
                                        lp2p_conn **out, size_t max)
{
	return peer ? lp2p_swarm_conns(&h->swarm, peer, out, max) : 0;
}

LP2P_API size_t lp2p_host_conns(const lp2p_host *h, lp2p_conn **out,
                                size_t max)
{
	return lp2p_swarm_conns(&h->swarm, NULL, out, max);
}

LP2P_API int lp2p_host_dial(lp2p_host *h, const struct lp2p_multiaddr *ma,
                            bool force_new_conn, lp2p_dial_cb cb, void *arg)
{
	return lp2p_swarm_dial(&h->swarm, ma, force_new_conn, cb, arg);
}

static bool swarm_can_dial(void *arg, const struct lp2p_multiaddr *ma)
{
	return lp2p_swarm_can_dial(arg, ma);
}

LP2P_API int lp2p_host_dial_peer(lp2p_host *h, const struct lp2p_peer_id *peer,
                                 bool force_new_conn, lp2p_dial_cb cb,
                                 void *arg)
{
	if (!peer || !cb)
		return LP2P_EINVAL;
	struct lp2p_multiaddr addrs[LP2P_DIAL_MAX_ADDRS];
	size_t n = lp2p_peerstore_dialable_addrs(
		&h->peerstore, peer, lp2p_host_now_ms(h), swarm_can_dial,
		&h->swarm, addrs, LP2P_DIAL_MAX_ADDRS);
	return lp2p_swarm_dial_peer(&h->swarm, peer, addrs, n, force_new_conn,
	                            cb, arg);
}

/* lp2p_host_open_stream: the protocols wait (copied) for the dial. */
struct open_after_dial {
	lp2p_stream_open_cb cb;
	void *arg;
	size_t n;
	char *protocols[];
};

static void open_after_dial_free(struct open_after_dial *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->protocols[i]);
	free(o);
}

static void open_after_dial_cb(void *arg, int status, lp2p_conn *c)
{
	struct open_after_dial *o = arg;
	if (status == 0)
		status = lp2p_conn_open_stream(
			c, (const char *const *)o->protocols, o->n, o->cb,
			o->arg);
	/* a dial result comes from the loop: failing here is not inside
	 * the caller's lp2p_host_open_stream() */
	if (status)
		o->cb(o->arg, status, NULL);
	open_after_dial_free(o);
}

LP2P_API int lp2p_host_open_stream(lp2p_host *h,
                                   const struct lp2p_peer_id *peer,
                                   const char *const *protocols, size_t n,
                                   lp2p_stream_open_cb cb, void *arg)
{
	if (!h || !peer || !protocols || n == 0 || !cb)
		return LP2P_EINVAL;
	struct open_after_dial *o = calloc(1, sizeof *o + n * sizeof(char *));
	if (!o)
		return LP2P_ENOMEM;
	o->cb = cb;
	o->arg = arg;
	for (size_t i = 0; i < n; i++) {
		int rc = protocols[i] ? 0 : LP2P_EINVAL;
		if (rc == 0 && !(o->protocols[o->n++] = strdup(protocols[i])))
			rc = LP2P_ENOMEM;
		if (rc) {
			open_after_dial_free(o);
			return rc;
		}
	}
	int rc = lp2p_host_dial_peer(h, peer, false, open_after_dial_cb, o);
	if (rc)
		open_after_dial_free(o);
	return rc;
}
