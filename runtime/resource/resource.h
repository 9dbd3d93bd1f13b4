/*
 * resource.h - resource accounting scopes (internal; the public view is
 * lp2p/resource.h).
 *
 * A scope counts what it holds (connections and streams by direction,
 * file descriptors, buffered bytes) against its limits.  Each scope keeps
 * the flat list of scopes above it (`up`): a reservation is checked
 * against the scope and every one of them, then added to all, without
 * walking a tree.  A stream's list is its connection, its peer, transient
 * (until its protocol is negotiated) or its protocol and plugin (after),
 * and the system.
 *
 * Counted resources (connections, streams, fds) are refused past a limit;
 * buffered bytes that already arrived cannot be refused, so buffers are
 * charged by force and the caller learns which scope went over, to shed
 * the load (close the connection, reset the stream).
 */
#ifndef LP2P_RUNTIME_RESOURCE_H
#define LP2P_RUNTIME_RESOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <lp2p/peer_id.h>
#include <lp2p/resource.h>

#define LP2P_RC_MAX_UP 5

struct lp2p_rcmgr;

struct lp2p_rc_scope {
	/* Not a copy (56 bytes less in every connection, stream and peer):
	 * the configuration's, or the manager's for system and named ones. */
	const struct lp2p_resource_limits *limit;
	struct lp2p_resource_usage use; /* its own and its children's */
	struct lp2p_rc_scope *up[LP2P_RC_MAX_UP];
	uint8_t nup;
	uint8_t kind;   /* enum lp2p_scope_kind */
	uint32_t refs;  /* scopes that list this one in `up` */
	struct lp2p_rcmgr *mgr;
};

/* A reservation or release: the amounts to add to each counter. */
typedef struct lp2p_resource_usage lp2p_rc_amount;

/* limit is kept, not copied: it must outlive the scope. */
void lp2p_rc_scope_init(struct lp2p_rc_scope *s, struct lp2p_rcmgr *mgr,
                        enum lp2p_scope_kind kind,
                        const struct lp2p_resource_limits *limit);
/* Set the scopes above s (each gets a reference); s holds nothing yet. */
void lp2p_rc_scope_link(struct lp2p_rc_scope *s, struct lp2p_rc_scope *const *up,
                        size_t n);
/* Whether amount fits in s and every scope above it; *blocked (if not
 * NULL) is the first that would go over. */
bool lp2p_rc_fits(const struct lp2p_rc_scope *s, const lp2p_rc_amount *a,
                  const struct lp2p_rc_scope **blocked);
/* Reserve in s and above: 0, or LP2P_ELIMIT with nothing reserved. */
int lp2p_rc_reserve(struct lp2p_rc_scope *s, const lp2p_rc_amount *a,
                    const struct lp2p_rc_scope **blocked);
/* Add to s and above without a check: for what exists already (a socket
 * being closed, its last bytes). */
void lp2p_rc_force(struct lp2p_rc_scope *s, const lp2p_rc_amount *a);
/* Release from s and above; never below zero (returns false if a was
 * more than s held: a caller's accounting bug). */
bool lp2p_rc_release(struct lp2p_rc_scope *s, const lp2p_rc_amount *a);
/*
 * Charge (delta > 0) or uncharge buffered bytes without a check.
 * Returns the first of s and the scopes above it that is now over its
 * memory limit, or NULL.
 */
struct lp2p_rc_scope *lp2p_rc_charge_memory(struct lp2p_rc_scope *s,
                                            int64_t delta);
/*
 * Move everything s holds from its current scopes above to `up`: 0, or
 * LP2P_ELIMIT (the new ones cannot take it: nothing changed).
 * Buffered bytes move by force.
 */
int lp2p_rc_scope_move(struct lp2p_rc_scope *s, struct lp2p_rc_scope *const *up,
                       size_t n, const struct lp2p_rc_scope **blocked);
/* Release everything s holds and drop its references upward. */
void lp2p_rc_scope_close(struct lp2p_rc_scope *s);
bool lp2p_rc_scope_idle(const struct lp2p_rc_scope *s);
/* Copy s's usage and limits out (either may be NULL). */
static inline void lp2p_rc_scope_report(const struct lp2p_rc_scope *s,
                                        struct lp2p_resource_usage *usage,
                                        struct lp2p_resource_limits *limits)
{
	if (usage)
		*usage = s->use;
	if (limits)
		*limits = *s->limit;
}

/* "system", "transient", ... */
const char *lp2p_rc_kind_name(enum lp2p_scope_kind kind);

/* ---- the manager: system, transient and the named scopes ---- */

/* A protocol's or plugin's scope. */
struct lp2p_rc_named {
	struct lp2p_rc_named *next;
	struct lp2p_resource_limits limit; /* the scope's */
	/* a protocol's: its streams' deadlines (ms, 0: none), resolved once
	 * from limits.stream_*timeout and limits.protocols.<id> */
	uint32_t stream_idle_ms, stream_total_ms;
	struct lp2p_rc_scope scope;
	char name[];
};

struct lp2p_rc_peer;
struct lp2p_limits;

struct lp2p_rcmgr {
	const struct lp2p_limits *limits;
	struct lp2p_resource_limits system_limit; /* with system.fds resolved */
	struct lp2p_rc_scope system, transient;
	struct lp2p_rc_named *protocols, *plugins; /* lists, kept */
	struct lp2p_rc_peer **peers;               /* hash buckets */
	size_t npeer_buckets, npeers;
};

/* system.fds: the configured value, or (auto) the open-file limit. */
int lp2p_rcmgr_init(struct lp2p_rcmgr *m, const struct lp2p_limits *limits,
                    uint64_t system_fds);
void lp2p_rcmgr_fini(struct lp2p_rcmgr *m);
/*
 * The scope of a protocol / plugin / peer; create: make it if missing
 * (NULL on allocation failure).  A protocol scope's `plugin` (may be
 * NULL) is the plugin serving it, set when the scope is made.  Peer
 * scopes go away when nothing refers to them and they hold nothing.
 */
struct lp2p_rc_scope *lp2p_rcmgr_protocol(struct lp2p_rcmgr *m,
                                          const char *protocol,
                                          const char *plugin, bool create);
struct lp2p_rc_scope *lp2p_rcmgr_plugin(struct lp2p_rcmgr *m,
                                        const char *plugin, bool create);
struct lp2p_rc_scope *lp2p_rcmgr_peer(struct lp2p_rcmgr *m,
                                      const struct lp2p_peer_id *peer,
                                      bool create);
/* A peer scope that may have become idle: free it if so. */
void lp2p_rcmgr_peer_maybe_free(struct lp2p_rc_scope *s);
/* The stream deadlines (ms, 0: none) of a scope lp2p_rcmgr_protocol()
 * returned: the protocol's override, or the defaults. */
void lp2p_rcmgr_stream_deadlines(const struct lp2p_rc_scope *protocol,
                                 uint32_t *idle_ms, uint32_t *total_ms);
/* The limits a scope of this kind and name would get. */
void lp2p_rcmgr_limits_for(const struct lp2p_rcmgr *m,
                           enum lp2p_scope_kind kind, const char *name,
                           struct lp2p_resource_limits *out);

#endif
