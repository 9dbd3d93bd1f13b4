/*
 * resource.c - resource accounting as the swarm shows it: usage and
 * reservations of a connection or stream (lp2p/resource.h), the log line
 * for a refusal by a scope limit, the table of effective limits.
 */
#include <stdio.h>
#include <string.h>

#include <lp2p/log.h>
#include <lp2p/resource.h>

#include "swarm/swarm.h"

void lp2p_swarm_log_limit(struct lp2p_swarm *sw, const char *what,
                          const struct lp2p_rc_scope *blocked)
{
	double now = ev_now(sw->loop->ev);
	sw->limited_count++;
	/* at most one line a second: a flood must not become a log flood */
	if (now - sw->limited_logged < 1.0)
		return;
	sw->limited_logged = now;
	lp2p_log(LP2P_LOG_INFO, "%s refused: %s limit reached (%llu refused "
	                        "by limits in all)",
	         what, blocked ? lp2p_rc_kind_name(blocked->kind) : "a",
	         (unsigned long long)sw->limited_count);
}


LP2P_API int lp2p_conn_resource_usage(const lp2p_conn *c,
                                      struct lp2p_resource_usage *usage,
                                      struct lp2p_resource_limits *limits)
{
	if (!c)
		return LP2P_EINVAL;
	lp2p_rc_scope_report(&c->rc, usage, limits);
	return 0;
}

LP2P_API int lp2p_stream_resource_usage(const lp2p_stream *s,
                                        struct lp2p_resource_usage *usage,
                                        struct lp2p_resource_limits *limits)
{
	if (!s)
		return LP2P_EINVAL;
	lp2p_rc_scope_report(&s->rc, usage, limits);
	return 0;
}

LP2P_API int lp2p_stream_reserve_memory(lp2p_stream *s, size_t bytes)
{
	if (!s)
		return LP2P_EINVAL;
	if (s->state == STREAM_DEAD)
		return LP2P_ECLOSED;
	lp2p_rc_amount a = {.memory = bytes};
	return lp2p_rc_reserve(&s->rc, &a, NULL);
}

LP2P_API void lp2p_stream_release_memory(lp2p_stream *s, size_t bytes)
{
	/* a dead stream released everything when it ended */
	if (!s || s->state == STREAM_DEAD)
		return;
	lp2p_rc_amount a = {.memory = bytes};
	lp2p_rc_release(&s->rc, &a);
}


/* A limit for a table: "-" for none, sizes in the largest exact unit. */
static void fmt_amount(char *buf, size_t cap, uint64_t v, bool bytes)
{
	static const char *const units[] = {"", "KiB", "MiB", "GiB"};
	size_t u = 0;
	if (v == LP2P_RESOURCE_UNLIMITED) {
		snprintf(buf, cap, "-");
		return;
	}
	while (bytes && v && v % 1024 == 0 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, cap, "%llu%s", (unsigned long long)v, units[u]);
}

static void fmt_group(char *buf, size_t cap, uint64_t total, uint64_t in,
                      uint64_t out)
{
	char t[24], i[24], o[24];
	fmt_amount(t, sizeof t, total, false);
	fmt_amount(i, sizeof i, in, false);
	fmt_amount(o, sizeof o, out, false);
	if (total == LP2P_RESOURCE_UNLIMITED && in == total && out == total)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%s (%s/%s)", t, i, o);
}

static void describe_scope(FILE *out, const char *name,
                           const struct lp2p_resource_limits *l)
{
	char conns[80], streams[80], fds[24], mem[24];
	fmt_group(conns, sizeof conns, l->connections, l->inbound_connections,
	          l->outbound_connections);
	fmt_group(streams, sizeof streams, l->streams, l->inbound_streams,
	          l->outbound_streams);
	fmt_amount(fds, sizeof fds, l->fds, false);
	fmt_amount(mem, sizeof mem, l->memory, true);
	fprintf(out, "  %-22s %-22s %-22s %-8s %s\n", name, conns, streams,
	        fds, mem);
}

/* "streams      idle 10000 ms, total none" */
static void describe_deadlines(FILE *out, const char *what, uint64_t idle,
                               uint64_t total)
{
	char a[24] = "none", b[24] = "none";
	if (idle)
		snprintf(a, sizeof a, "%llu ms", (unsigned long long)idle);
	if (total)
		snprintf(b, sizeof b, "%llu ms", (unsigned long long)total);
	fprintf(out, "%-12s idle %s, total %s\n", what, a, b);
}

void lp2p_swarm_describe_limits(const struct lp2p_swarm *sw, FILE *out)
{
	const struct lp2p_limits *l = &sw->cfg->limits;
	fprintf(out, "%-25s%-23s%-23s%-9s%s\n", "limits",
	        "connections (in/out)", "streams (in/out)", "fds", "memory");
	describe_scope(out, "system", sw->rc.system.limit);
	describe_scope(out, "transient", &l->transient);
	describe_scope(out, "each protocol", &l->protocol);
	describe_scope(out, "each plugin", &l->plugin);
	describe_scope(out, "each peer", &l->peer);
	describe_scope(out, "each connection", &l->conn);
	describe_scope(out, "each stream", &l->stream);
	char name[300];
	for (size_t i = 0; i < l->nprotocols; i++) {
		snprintf(name, sizeof name, "protocol %s", l->protocols[i].name);
		describe_scope(out, name, &l->protocols[i].l);
	}
	for (size_t i = 0; i < l->nplugins; i++) {
		snprintf(name, sizeof name, "plugin %s", l->plugins[i].name);
		describe_scope(out, name, &l->plugins[i].l);
	}
	char rate[24];
	fmt_amount(rate, sizeof rate, l->min_write_rate, true);
	fprintf(out,
	        "timeouts     handshake %llu ms, negotiation %llu ms, dial "
	        "%llu ms, write %llu ms (at least %s/s)\n",
	        (unsigned long long)l->handshake_timeout_ms,
	        (unsigned long long)l->negotiation_timeout_ms,
	        (unsigned long long)l->dial_timeout_ms,
	        (unsigned long long)l->write_timeout_ms, rate);
	fprintf(out, "inbound      %u per IP (/32, /56), %u new per second%s\n",
	        l->max_connections_per_ip, l->accept_rate,
	        l->exempt_loopback ? "; loopback exempt" : "");
	describe_deadlines(out, "streams", l->stream_idle_timeout_ms,
	                   l->stream_timeout_ms);
	for (size_t i = 0; i < l->nprotocols; i++) {
		const struct lp2p_scope_override *o = &l->protocols[i];
		if (o->stream_idle_timeout_ms == LP2P_DEADLINE_UNSET &&
		    o->stream_timeout_ms == LP2P_DEADLINE_UNSET)
			continue;
		snprintf(name, sizeof name, "  %s", o->name);
		describe_deadlines(
			out, name,
			o->stream_idle_timeout_ms == LP2P_DEADLINE_UNSET
				? l->stream_idle_timeout_ms
				: o->stream_idle_timeout_ms,
			o->stream_timeout_ms == LP2P_DEADLINE_UNSET
				? l->stream_timeout_ms
				: o->stream_timeout_ms);
	}
}
