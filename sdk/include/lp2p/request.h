/*
 * lp2p/request.h - request/response: open a stream to a peer (dialling if
 * needed), send one request, read one reply, within a deadline.  The
 * pattern of identify, ping, AutoNAT, Kademlia and relay reservations.
 *
 * The runtime owns the stream: the caller sees only the callback, which
 * comes exactly once, from the loop (never inside the call that started
 * the request), for every request that was started.  It comes before the
 * plugins' fini at stop (LP2P_ECLOSED or LP2P_ECANCELED).
 */
#ifndef LP2P_REQUEST_H
#define LP2P_REQUEST_H

#include <lp2p/common.h>
#include <lp2p/peer_id.h>
#include <lp2p/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

enum lp2p_reply_kind {
	/* The request goes as one length-prefixed message; the reply is
	 * one message of at most max_reply bytes. */
	LP2P_REPLY_MESSAGE = 0,
	/* Raw bytes: the request as given, the reply exactly max_reply
	 * bytes (ping). */
	LP2P_REPLY_EXACT = 1,
	/* Raw bytes: the request as given (may be empty), the reply every
	 * byte until the peer closes its side, at most max_reply (identify,
	 * whose reply is several messages). */
	LP2P_REPLY_TO_END = 2,
};

struct lp2p_request {
	const char *const *protocols; /* the first the peer speaks */
	size_t nprotocols;
	const void *data; /* the request (copied) */
	size_t len;
	enum lp2p_reply_kind kind;
	size_t max_reply;
	/* from the call to the reply: opening (and dialling), sending,
	 * waiting; 0 means 10 s */
	uint64_t timeout_ms;
};

/*
 * status 0: reply[0..len) is valid during the call.  Otherwise reply is
 * NULL and status says why: LP2P_ETIMEDOUT, LP2P_ENEGOTIATE (the peer
 * speaks none of the protocols), LP2P_ERANGE (a longer reply),
 * LP2P_ETRUNC (the peer ended before a whole reply), LP2P_ERESET, the
 * dial's or the connection's error.
 */
typedef void (*lp2p_reply_cb)(void *arg, int status, const uint8_t *reply,
                              size_t len);

/* On an existing connection.  Errors (cb not called): LP2P_EINVAL,
 * LP2P_ECLOSED, LP2P_ELIMIT, LP2P_ENOMEM. */
LP2P_API int lp2p_conn_request(lp2p_conn *c, const struct lp2p_request *rq,
                               lp2p_reply_cb cb, void *arg);
/* To a peer: reuses a connection or dials one by id first. */
LP2P_API int lp2p_host_request(lp2p_host *h, const struct lp2p_peer_id *peer,
                               const struct lp2p_request *rq,
                               lp2p_reply_cb cb, void *arg);

/*
 * How many requests to peer that name protocol among their protocols are
 * in flight: started (the call returned 0) and not yet called back.  A
 * request stops counting just before its callback.  For protocols that
 * allow one request at a time per peer, over all connections (ping).
 */
LP2P_API size_t lp2p_host_requests_to_peer(const lp2p_host *h,
                                           const struct lp2p_peer_id *peer,
                                           const char *protocol);

#ifdef __cplusplus
}
#endif
#endif
