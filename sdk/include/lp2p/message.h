/*
 * lp2p/message.h - length-prefixed messages: <unsigned varint length>
 * <payload>, the framing of identify, Kademlia, gossipsub, circuit relay,
 * AutoNAT and DCUtR.
 *
 * Two levels:
 *  - lp2p_msg_reader: a reader of its own (no I/O, no clock) that takes
 *    bytes in pieces of any size and hands over whole messages.  A
 *    message that arrives whole inside one piece is handed over where it
 *    lies (no copy); only a message split across pieces is collected, in
 *    a buffer of exactly its length, allocated once its length is known
 *    and checked against the maximum (a larger one is refused before
 *    anything is allocated).
 *  - on a stream: lp2p_stream_set_msg_handler() installs a reader between
 *    the stream and callbacks that see whole messages, charges what it
 *    collects to the stream's memory scope, and frees it with the stream;
 *    lp2p_stream_send_msg() writes one message (buffered, see
 *    lp2p_stream_send()).
 *
 * All calls run on the swarm thread.
 */
#ifndef LP2P_MESSAGE_H
#define LP2P_MESSAGE_H

#include <stdbool.h>
#include <sys/types.h>

#include <lp2p/common.h>
#include <lp2p/plugin.h>
#include <lp2p/varint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest prefix: a varint of up to 9 bytes. */
#define LP2P_MSG_PREFIX_MAX LP2P_VARINT_MAX_LEN

/* Write the prefix of a len-byte message into out; returns its length. */
LP2P_API size_t lp2p_msg_prefix(size_t len, uint8_t out[LP2P_MSG_PREFIX_MAX]);

/* ---- the reader ---- */

typedef struct lp2p_msg_reader lp2p_msg_reader;

/*
 * A whole message: msg[0..len) is valid during the call only.  Return 0
 * to go on, a positive value to stop after this message (the bytes after
 * it are left unconsumed), or a negative code to stop with that error.
 */
typedef int (*lp2p_msg_cb)(void *arg, const uint8_t *msg, size_t len);

/* A reader of messages of at most max_len bytes (at least 1).
 * Errors: LP2P_EINVAL, LP2P_ENOMEM.  Free with lp2p_msg_reader_free(). */
LP2P_API int lp2p_msg_reader_new(size_t max_len, lp2p_msg_reader **out);
LP2P_API void lp2p_msg_reader_free(lp2p_msg_reader *r);

/* The maximum for the messages whose length has not arrived yet (0
 * allows only empty ones): for a bound on a whole stream's messages. */
LP2P_API void lp2p_msg_reader_set_max(lp2p_msg_reader *r, size_t max_len);

/*
 * Memory the reader collects is reserved with reserve(arg, n) before it is
 * allocated (a failure refuses the message with that code) and released
 * with release(arg, n) after it is freed.  Optional; set before feeding.
 */
LP2P_API void lp2p_msg_reader_charge(lp2p_msg_reader *r,
                                     int (*reserve)(void *arg, size_t n),
                                     void (*release)(void *arg, size_t n),
                                     void *arg);

/*
 * Take data[0..len) and call cb for each whole message, in order.
 * Returns the bytes consumed: len, or fewer when cb asked to stop.
 * Errors (sticky: every later call returns the same): LP2P_ERANGE (a
 * message longer than max_len, refused when its length arrives),
 * LP2P_EPROTO (a malformed length), LP2P_ENOMEM, a reserve failure, or
 * the negative code cb returned.
 */
LP2P_API ssize_t lp2p_msg_reader_feed(lp2p_msg_reader *r, const uint8_t *data,
                                      size_t len, lp2p_msg_cb cb, void *arg);

/* Inside a message (a length or payload partly received): an end of the
 * input now would cut it. */
LP2P_API bool lp2p_msg_reader_partial(const lp2p_msg_reader *r);

/* ---- on a stream ---- */

struct lp2p_msg_handler {
	/* A whole message (valid during the call).  Return 0 to go on or a
	 * negative code to reset the stream with it (on_close follows).
	 * Messages that arrived in one piece with this one are still
	 * delivered after lp2p_stream_pause(); after a switch to
	 * lp2p_stream_set_handler() the bytes that follow go to its
	 * on_data (for protocols that become a byte pipe, like relay). */
	int (*on_msg)(lp2p_stream *s, void *user, const uint8_t *msg,
	              size_t len);
	/* The send queue drained (see lp2p_stream_send()). */
	void (*on_writable)(lp2p_stream *s, void *user);
	/* The remote closed its side after a whole message (a message cut
	 * by the end resets the stream with LP2P_ETRUNC instead). */
	void (*on_remote_close)(lp2p_stream *s, void *user);
	/* As in struct lp2p_stream_handler: exactly once, from the loop.
	 * LP2P_ERANGE: the peer sent a message over max_len; LP2P_EPROTO: a
	 * malformed length. */
	void (*on_close)(lp2p_stream *s, void *user, int reason);
};

/*
 * Read s as messages of at most max_len bytes (h is copied).  Whatever the
 * stream received before is read as messages too.  What a split message
 * collects is charged to the stream's memory scope (LP2P_ELIMIT resets the
 * stream), and freed with the stream.  Errors: LP2P_EINVAL, LP2P_ENOMEM,
 * LP2P_ECLOSED.
 */
LP2P_API int lp2p_stream_set_msg_handler(lp2p_stream *s,
                                         const struct lp2p_msg_handler *h,
                                         size_t max_len, void *user);

/*
 * Send one message: its prefix and msg[0..len), all or nothing (see
 * lp2p_stream_send()).  Errors: those of lp2p_stream_send().
 */
LP2P_API int lp2p_stream_send_msg(lp2p_stream *s, const void *msg,
                                  size_t len);

#ifdef __cplusplus
}
#endif
#endif
