/*
 * conn_internal.h - what the connection files call of each other:
 * conn.c (life), conn_output.c (output), conn_input.c (input),
 * conn_upgrade.c (the upgrade), conn_account.c (memory and held reading).
 * Internal to runtime/swarm.
 */
#ifndef LP2P_SWARM_CONN_INTERNAL_H
#define LP2P_SWARM_CONN_INTERNAL_H

#include "swarm/swarm.h"

/* conn.c: which pipe events we want (told to the pipe on a change) */
void lp2p_conn_watch(struct lp2p_conn *c, bool read, bool write);

/* conn_output.c: append what the upgrader or the session produced to
 * out, sealed, in order (and through the private network's cipher). */
int lp2p_conn_collect(struct lp2p_conn *c, struct lp2p_buf *out);

/* conn_input.c */
void lp2p_conn_on_readable(struct lp2p_conn *c);
/* Reading paused for a full session output may go on. */
void lp2p_conn_resume_reading(struct lp2p_conn *c);
/* Plaintext for the muxed session. */
int lp2p_conn_feed_session(struct lp2p_conn *c, const uint8_t *p, size_t n);

/* conn_upgrade.c */
/* The upgrade begins (the first multistream messages are output). */
int lp2p_conn_upgrade_start(struct lp2p_conn *c);
/* Wire bytes for the upgrade: the count used, or an error.  When the
 * upgrade completes, the connection is ready (or closed) on return. */
ssize_t lp2p_conn_upgrade_recv(struct lp2p_conn *c, uint8_t *buf,
                               size_t len);
/* Why the upgrade failed with err, in words (NULL: the code says it):
 * a peer outside our private network (logged), else why if given, else
 * the upgrader's reason. */
const char *lp2p_conn_upgrade_failure(struct lp2p_conn *c, int err,
                                      const char *why);

/* conn_account.c: the tick while reading is held for paused streams */
void lp2p_conn_held_tick(struct lp2p_conn *c);

#endif
