/* scope.c - reserve, release, charge and move resources in scopes */
#include <string.h>

#include <lp2p/log.h>

#include "resource/resource.h"

void lp2p_rc_scope_init(struct lp2p_rc_scope *s, struct lp2p_rcmgr *mgr,
                        enum lp2p_scope_kind kind,
                        const struct lp2p_resource_limits *limit)
{
	memset(s, 0, sizeof *s);
	s->limit = limit;
	s->kind = (uint8_t)kind;
	s->mgr = mgr;
}

const char *lp2p_rc_kind_name(enum lp2p_scope_kind kind)
{
	static const char *const names[] = {
		"system", "transient", "protocol", "plugin",
		"peer",   "connection", "stream",
	};
	return (unsigned)kind < sizeof names / sizeof *names ? names[kind]
	                                                    : "?";
}

static bool fits_one(const struct lp2p_rc_scope *s, const lp2p_rc_amount *a)
{
	const struct lp2p_resource_usage *u = &s->use;
	const struct lp2p_resource_limits *l = s->limit;
	uint64_t cin = (uint64_t)u->inbound_connections + a->inbound_connections;
	uint64_t cout = (uint64_t)u->outbound_connections +
	                a->outbound_connections;
	uint64_t sin = (uint64_t)u->inbound_streams + a->inbound_streams;
	uint64_t sout = (uint64_t)u->outbound_streams + a->outbound_streams;
	/* Only what grows is checked: a scope already over a limit (lowered
	 * at run time, or charged by force) still takes other resources. */
	if (a->inbound_connections && (cin > l->inbound_connections ||
	                               cin + cout > l->connections))
		return false;
	if (a->outbound_connections && (cout > l->outbound_connections ||
	                                cin + cout > l->connections))
		return false;
	if (a->inbound_streams &&
	    (sin > l->inbound_streams || sin + sout > l->streams))
		return false;
	if (a->outbound_streams &&
	    (sout > l->outbound_streams || sin + sout > l->streams))
		return false;
	if (a->fds && (uint64_t)u->fds + a->fds > l->fds)
		return false;
	if (a->memory && (a->memory > l->memory ||
	                  u->memory > l->memory - a->memory))
		return false;
	return true;
}

bool lp2p_rc_fits(const struct lp2p_rc_scope *s, const lp2p_rc_amount *a,
                  const struct lp2p_rc_scope **blocked)
{
	const struct lp2p_rc_scope *bad = NULL;
	if (!fits_one(s, a))
		bad = s;
	for (size_t i = 0; !bad && i < s->nup; i++)
		if (!fits_one(s->up[i], a))
			bad = s->up[i];
	if (blocked)
		*blocked = bad;
	return bad == NULL;
}

static void add_one(struct lp2p_rc_scope *s, const lp2p_rc_amount *a)
{
	s->use.inbound_connections += a->inbound_connections;
	s->use.outbound_connections += a->outbound_connections;
	s->use.inbound_streams += a->inbound_streams;
	s->use.outbound_streams += a->outbound_streams;
	s->use.fds += a->fds;
	s->use.memory += a->memory;
}

#define SUB_CLAMPED(field, ok)                                               \
	do {                                                                 \
		if (s->use.field < a->field) {                               \
			s->use.field = 0;                                    \
			ok = false;                                          \
		} else {                                                     \
			s->use.field -= a->field;                            \
		}                                                            \
	} while (0)

static bool sub_one(struct lp2p_rc_scope *s, const lp2p_rc_amount *a)
{
	bool ok = true;
	SUB_CLAMPED(inbound_connections, ok);
	SUB_CLAMPED(outbound_connections, ok);
	SUB_CLAMPED(inbound_streams, ok);
	SUB_CLAMPED(outbound_streams, ok);
	SUB_CLAMPED(fds, ok);
	SUB_CLAMPED(memory, ok);
	return ok;
}

int lp2p_rc_reserve(struct lp2p_rc_scope *s, const lp2p_rc_amount *a,
                    const struct lp2p_rc_scope **blocked)
{
	if (!lp2p_rc_fits(s, a, blocked))
		return LP2P_ELIMIT;
	add_one(s, a);
	for (size_t i = 0; i < s->nup; i++)
		add_one(s->up[i], a);
	return 0;
}

void lp2p_rc_force(struct lp2p_rc_scope *s, const lp2p_rc_amount *a)
{
	add_one(s, a);
	for (size_t i = 0; i < s->nup; i++)
		add_one(s->up[i], a);
}

bool lp2p_rc_release(struct lp2p_rc_scope *s, const lp2p_rc_amount *a)
{
	/* What s does not hold was never charged above it either. */
	lp2p_rc_amount held = *a;
	bool ok = true;
#define CLAMP(f)                                                             \
	if (held.f > s->use.f) {                                             \
		held.f = s->use.f;                                           \
		ok = false;                                                  \
	}
	CLAMP(inbound_connections)
	CLAMP(outbound_connections)
	CLAMP(inbound_streams)
	CLAMP(outbound_streams)
	CLAMP(fds)
	CLAMP(memory)
#undef CLAMP
	sub_one(s, &held);
	for (size_t i = 0; i < s->nup; i++)
		if (!sub_one(s->up[i], &held))
			ok = false;
	if (!ok)
		lp2p_log(LP2P_LOG_WARN,
		         "%s scope: released more than it held (accounting bug)",
		         lp2p_rc_kind_name(s->kind));
	return ok;
}

struct lp2p_rc_scope *lp2p_rc_charge_memory(struct lp2p_rc_scope *s,
                                            int64_t delta)
{
	if (delta < 0) {
		lp2p_rc_amount a = {.memory = (uint64_t)-delta};
		lp2p_rc_release(s, &a);
		return NULL;
	}
	lp2p_rc_amount a = {.memory = (uint64_t)delta};
	lp2p_rc_force(s, &a);
	if (s->use.memory > s->limit->memory)
		return s;
	for (size_t i = 0; i < s->nup; i++)
		if (s->up[i]->use.memory > s->up[i]->limit->memory)
			return s->up[i];
	return NULL;
}

void lp2p_rc_scope_link(struct lp2p_rc_scope *s,
                        struct lp2p_rc_scope *const *up, size_t n)
{
	if (n > LP2P_RC_MAX_UP)
		n = LP2P_RC_MAX_UP;
	for (size_t i = 0; i < n; i++) {
		s->up[i] = up[i];
		up[i]->refs++;
	}
	s->nup = (uint8_t)n;
}

static void unref(struct lp2p_rc_scope *s)
{
	s->refs--;
	if (s->kind == LP2P_SCOPE_PEER)
		lp2p_rcmgr_peer_maybe_free(s);
}

static bool listed(struct lp2p_rc_scope *const *v, size_t n,
                   const struct lp2p_rc_scope *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == s)
			return true;
	return false;
}

int lp2p_rc_scope_move(struct lp2p_rc_scope *s,
                       struct lp2p_rc_scope *const *up, size_t n,
                       const struct lp2p_rc_scope **blocked)
{
	if (n > LP2P_RC_MAX_UP)
		n = LP2P_RC_MAX_UP;
	/* Counted resources must fit where they go; bytes go by force. */
	lp2p_rc_amount counted = s->use;
	counted.memory = 0;
	for (size_t i = 0; i < n; i++) {
		if (listed(s->up, s->nup, up[i]))
			continue;
		if (!fits_one(up[i], &counted)) {
			if (blocked)
				*blocked = up[i];
			if (up[i]->kind == LP2P_SCOPE_PEER)
				lp2p_rcmgr_peer_maybe_free(up[i]);
			return LP2P_ELIMIT;
		}
	}
	struct lp2p_rc_scope *old[LP2P_RC_MAX_UP];
	size_t nold = s->nup;
	memcpy(old, s->up, nold * sizeof *old);
	for (size_t i = 0; i < n; i++) {
		if (!listed(old, nold, up[i]))
			add_one(up[i], &s->use);
		up[i]->refs++;
		s->up[i] = up[i];
	}
	s->nup = (uint8_t)n;
	for (size_t i = 0; i < nold; i++) {
		if (!listed(up, n, old[i]))
			sub_one(old[i], &s->use);
		unref(old[i]);
	}
	return 0;
}

void lp2p_rc_scope_close(struct lp2p_rc_scope *s)
{
	for (size_t i = 0; i < s->nup; i++)
		sub_one(s->up[i], &s->use);
	memset(&s->use, 0, sizeof s->use);
	size_t n = s->nup;
	s->nup = 0;
	for (size_t i = 0; i < n; i++)
		unref(s->up[i]);
}

bool lp2p_rc_scope_idle(const struct lp2p_rc_scope *s)
{
	const struct lp2p_resource_usage *u = &s->use;
	return !u->inbound_connections && !u->outbound_connections &&
	       !u->inbound_streams && !u->outbound_streams && !u->fds &&
	       !u->memory;
}
