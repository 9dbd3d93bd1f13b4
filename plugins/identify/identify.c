/*
 * identify.c - /ipfs/id/1.0.0 and /ipfs/id/push/1.0.0.
 *
 *  - On every new connection we ask the peer who it is, store the answer
 *    in the peerstore (addresses, preferring those of a valid signed peer
 *    record, protocols, key, agent, protocol version) and publish
 *    "identify.peer" (struct lp2p_event_identify_peer, lp2p/events.h).
 *  - We answer the same question with our key, announced addresses,
 *    protocols, the remote's address as we see it and our signed record.
 *  - When our protocols ("host.protocols") or announced addresses change,
 *    we push the new message to every connected peer that speaks push,
 *    and we take pushes from others the same way as answers.
 *
 * The SDK carries the streams: asking is one lp2p_conn_request() (the
 * reply is every byte until the peer's end), answering and pushing are
 * one lp2p_stream_send() and a close, and a push we take is collected
 * until its end, its state freed in on_close.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/config.h>
#include <lp2p/events.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/peerstore.h>
#include <lp2p/plugin.h>
#include <lp2p/request.h>
#include <lp2p/resource.h>
#include <lp2p/swarm.h>

#include "identify/identify_reader.h"
#include "identify/record.h"
#include "identify/self.h"

#define ID_PROTOCOL "/ipfs/id/1.0.0"
#define PUSH_PROTOCOL "/ipfs/id/push/1.0.0"
#define PROTOCOL_VERSION "ipfs/0.1.0"
#define DEFAULT_AGENT "lp2p/" LP2P_VERSION_STRING
/* Changes within this time go out in one push. */
#define PUSH_DELAY_MS 200
/* How often the announced addresses are compared with the last ones. */
#define ADDR_CHECK_MS 10000
/* Peerstore keys of the last signed record we took from a peer. */
#define META_RECORD_SEQ "identify.record_seq"
#define META_RECORD "identify.record"

struct identify {
	lp2p_host *host;
	uint64_t timeout_ms;
	uint64_t addr_ttl_ms;
	bool push;
	const char *agent;
	struct identify_self self;
	bool have_baseline; /* addresses known since start */
	lp2p_timer *push_timer;
	lp2p_timer *addr_timer;
};

/* The most a peer's answer or push may take on the stream: the
 * messages' bodies and their length prefixes. */
#define MAX_STREAM_BYTES \
	(IDENTIFY_MAX_MSG + IDENTIFY_MAX_MESSAGES * LP2P_VARINT_MAX_LEN)

static const char *peer_str(const struct lp2p_peer_id *p, char *buf, size_t cap)
{
	if (lp2p_peer_id_to_string(p, buf, cap) < 0)
		snprintf(buf, cap, "?");
	return buf;
}

/* ---- what we say ---- */

static void schedule_push(struct identify *id);

/*
 * Our message as the stream bytes to write (one or two length-prefixed
 * messages) into *out (malloc'ed).  observed: the remote's address on this
 * connection, or NULL (pushes leave it out).
 */
static int build_message(struct identify *id,
                         const struct lp2p_multiaddr *observed, uint8_t **out,
                         size_t *out_len)
{
	lp2p_host *h = id->host;
	int rc = identify_self_refresh(&id->self, h);
	if (rc < 0)
		lp2p_log(LP2P_LOG_WARN,
		         "identify: cannot sign our peer record: %s",
		         lp2p_strerror(rc));
	else if (rc == 1 && id->have_baseline)
		schedule_push(id); /* noticed here before the periodic check */
	uint8_t pk[LP2P_KEY_PUBLIC_MAX];
	int pklen = lp2p_host_public_key(h, pk, sizeof pk);
	if (pklen < 0)
		return pklen;
	size_t np = lp2p_host_protocols(h, NULL, 0);
	const char **protos = calloc(np ? np : 1, sizeof *protos);
	if (!protos)
		return LP2P_ENOMEM;
	np = lp2p_host_protocols(h, protos, np);
	struct identify_info info = {
	    .protocol_version = PROTOCOL_VERSION,
	    .agent_version = id->agent,
	    .public_key = pk,
	    .public_key_len = (size_t)pklen,
	    .listen_addrs = id->self.addrs,
	    .n_listen_addrs = id->self.naddrs,
	    .observed_addr = observed && observed->len ? observed : NULL,
	    .protocols = protos,
	    .n_protocols = np,
	    .signed_record = id->self.record_len ? id->self.record : NULL,
	    .signed_record_len = id->self.record_len,
	};
	/* Room for two messages of the largest size, with their prefixes. */
	size_t cap = 2 * (IDENTIFY_MAX_MSG + 8);
	uint8_t *buf = malloc(cap);
	if (!buf) {
		free(protos);
		return LP2P_ENOMEM;
	}
	int n = identify_msg_encode_stream(&info, buf, cap);
	free(protos);
	if (n < 0) {
		free(buf);
		return n;
	}
	uint8_t *shrunk = realloc(buf, (size_t)n ? (size_t)n : 1);
	*out = shrunk ? shrunk : buf;
	*out_len = (size_t)n;
	return 0;
}

/* ---- what we hear ---- */

/* A NUL-terminated copy of a view, cut to cap - 1 bytes (and at a NUL). */
static void view_to_str(struct identify_view v, char *out, size_t cap)
{
	size_t n = v.len < cap - 1 ? v.len : cap - 1;
	if (n)
		memcpy(out, v.data, n);
	out[n] = '\0';
}

static void store_protocols(struct identify *id, const struct lp2p_peer_id *p,
                            const struct identify_msg *m)
{
	const char *list[LP2P_PEERSTORE_MAX_PROTOCOLS];
	size_t n = 0, total = 0;
	for (size_t i = 0; i < m->n_protocols; i++)
		total += m->protocols[i].len + 1;
	char *block = malloc(total ? total : 1);
	if (!block)
		return;
	char *q = block;
	for (size_t i = 0;
	     i < m->n_protocols && n < LP2P_PEERSTORE_MAX_PROTOCOLS; i++) {
		struct identify_view v = m->protocols[i];
		/* not a protocol id: empty, too long, or with a NUL */
		if (v.len == 0 || v.len > 1024 || memchr(v.data, 0, v.len))
			continue;
		memcpy(q, v.data, v.len);
		q[v.len] = '\0';
		list[n++] = q;
		q += v.len + 1;
	}
	int rc = lp2p_peerstore_set_protocols(id->host, p, list, n);
	if (rc)
		lp2p_log(LP2P_LOG_DEBUG, "identify: storing protocols: %s",
		         lp2p_strerror(rc));
	free(block);
}

static uint64_t stored_seq(struct identify *id, const struct lp2p_peer_id *p,
                           bool *found)
{
	const lp2p_peer_metadata *md = lp2p_host_metadata_for_peer(id->host, p);
	const void *data;
	size_t len;
	uint64_t seq = 0;
	*found = false;
	if (md &&
	    lp2p_peer_metadata_get(md, META_RECORD_SEQ, &data, &len) == 0 &&
	    len == sizeof seq) {
		memcpy(&seq, data, sizeof seq);
		*found = true;
	}
	return seq;
}

static void add_addr(struct identify *id, const struct lp2p_peer_id *p,
                     struct identify_view v, size_t *added)
{
	struct lp2p_multiaddr ma;
	if (lp2p_multiaddr_from_bytes(v.data, v.len, &ma) != 0)
		return;
	if (lp2p_peerstore_add_addr(id->host, p, &ma, id->addr_ttl_ms) == 0)
		(*added)++;
}

/*
 * Addresses: those of a valid signed record when there is one (and it is
 * not older than one we took before), else the plain listen addresses.
 */
static void store_addrs(struct identify *id, const struct lp2p_peer_id *p,
                        const struct identify_msg *m, const char *who)
{
	size_t added = 0;
	if (m->has_signed_record) {
		struct peer_record rec;
		int rc = record_open(m->signed_record.data,
		                     m->signed_record.len, p, &rec);
		if (rc == 0) {
			bool found;
			uint64_t last = stored_seq(id, p, &found);
			if (found && rec.seq < last) {
				lp2p_log(LP2P_LOG_DEBUG,
				         "identify: %s: record seq %llu older "
				         "than %llu: addresses ignored",
				         who, (unsigned long long)rec.seq,
				         (unsigned long long)last);
				return;
			}
			for (size_t i = 0; i < rec.n_addrs; i++)
				add_addr(id, p, rec.addrs[i], &added);
			lp2p_peerstore_put(id->host, p, META_RECORD_SEQ,
			                   &rec.seq, sizeof rec.seq);
			if (m->signed_record.len <= LP2P_PEERSTORE_MAX_META_LEN)
				lp2p_peerstore_put(id->host, p, META_RECORD,
				                   m->signed_record.data,
				                   m->signed_record.len);
			lp2p_log(LP2P_LOG_DEBUG,
			         "identify: %s: %zu addresses from its signed "
			         "record (seq %llu)",
			         who, added, (unsigned long long)rec.seq);
			return;
		}
		lp2p_log(LP2P_LOG_INFO,
		         "identify: %s: invalid signed peer record (%s); "
		         "using its listen addresses",
		         who, lp2p_strerror(rc));
	}
	for (size_t i = 0; i < m->n_listen_addrs; i++)
		add_addr(id, p, m->listen_addrs[i], &added);
}

/*
 * Take a peer's message into the peerstore.  A key that does not match the
 * peer id discards the whole message.  push: missing fields leave what we
 * know unchanged (an answer's empty protocol list means "none").
 */
static int apply_message(struct identify *id, const struct lp2p_peer_id *p,
                         const struct identify_msg *m, bool push)
{
	lp2p_host *h = id->host;
	char who[LP2P_PEER_ID_STR_MAX];
	peer_str(p, who, sizeof who);
	if (m->has_public_key) {
		int rc = lp2p_peerstore_set_public_key(h, p, m->public_key.data,
		                                       m->public_key.len);
		if (rc) {
			lp2p_log(LP2P_LOG_INFO,
			         "identify: %s: public key refused (%s); "
			         "message ignored",
			         who, lp2p_strerror(rc));
			return rc;
		}
	}
	store_addrs(id, p, m, who);
	if (!push || m->n_protocols)
		store_protocols(id, p, m);
	char agent[257], version[257];
	if (m->has_agent_version || m->has_protocol_version) {
		view_to_str(m->agent_version, agent, sizeof agent);
		view_to_str(m->protocol_version, version, sizeof version);
		lp2p_peerstore_set_agent(
		    h, p, m->has_agent_version ? agent : NULL,
		    m->has_protocol_version ? version : NULL);
	}
	if (m->has_observed_addr) {
		struct lp2p_multiaddr ma;
		char text[LP2P_MULTIADDR_STR_MAX];
		if (lp2p_multiaddr_from_bytes(m->observed_addr.data,
		                              m->observed_addr.len, &ma) == 0 &&
		    lp2p_multiaddr_to_string(&ma, text, sizeof text) > 0) {
			lp2p_log(LP2P_LOG_DEBUG, "identify: %s sees us at %s",
			         who, text);
			struct lp2p_event_observed_addr ev = {
			    .size = sizeof ev, .peer = *p, .addr = ma};
			lp2p_host_publish(h, LP2P_EVENT_IDENTIFY_OBSERVED_ADDR,
			                  &ev, sizeof ev);
		}
	}
	lp2p_log(LP2P_LOG_DEBUG,
	         "identify: %s%s: agent \"%s\", %zu listen addresses, %zu "
	         "protocols%s",
	         who, push ? " (push)" : "", m->has_agent_version ? agent : "",
	         m->n_listen_addrs, m->n_protocols,
	         m->has_signed_record ? ", signed record" : "");
	struct lp2p_event_identify_peer ev = {
	    .size = sizeof ev, .push = push, .peer = *p};
	lp2p_host_publish(h, LP2P_EVENT_IDENTIFY_PEER, &ev, sizeof ev);
	return 0;
}

/* Split a peer's bytes into messages, merge them, and take them. */
static int take_bytes(struct identify *id, const struct lp2p_peer_id *p,
                      const uint8_t *bytes, size_t len, bool push)
{
	struct identify_reader rd;
	identify_reader_init(&rd);
	struct identify_msg *m = malloc(sizeof *m);
	int rc = m ? identify_reader_feed(&rd, bytes, len) : LP2P_ENOMEM;
	if (rc == 0)
		rc = identify_reader_finish(&rd, m);
	if (rc == 0)
		rc = apply_message(id, p, m, push);
	else {
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_log(LP2P_LOG_INFO, "identify: %s: bad message: %s",
		         peer_str(p, who, sizeof who), lp2p_strerror(rc));
	}
	free(m);
	identify_reader_free(&rd);
	return rc;
}

/* ---- asking (every new connection) ---- */

struct ask {
	struct identify *id;
	struct lp2p_peer_id peer;
};

static void on_answer(void *arg, int status, const uint8_t *reply, size_t len)
{
	struct ask *a = arg;
	if (status) {
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_log(LP2P_LOG_DEBUG, "identify: %s: asking: %s",
		         peer_str(&a->peer, who, sizeof who),
		         lp2p_strerror(status));
	} else {
		take_bytes(a->id, &a->peer, reply, len, false);
	}
	free(a);
}

LP2P_PLUGIN_EXPORT void handle_new_connection(void *state, lp2p_conn *conn,
                                              const struct lp2p_peer_id *peer)
{
	struct identify *id = state;
	struct ask *a = malloc(sizeof *a);
	if (!a)
		return;
	a->id = id;
	a->peer = *peer;
	/* we send nothing; the peer answers and closes */
	static const char *const protos[] = {ID_PROTOCOL};
	struct lp2p_request rq = {
	    .protocols = protos,
	    .nprotocols = 1,
	    .kind = LP2P_REPLY_TO_END,
	    .max_reply = MAX_STREAM_BYTES,
	    .timeout_ms = id->timeout_ms,
	};
	int rc = lp2p_conn_request(conn, &rq, on_answer, a);
	if (rc) {
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_log(LP2P_LOG_DEBUG,
		         "identify: %s: cannot open a stream: %s",
		         peer_str(peer, who, sizeof who), lp2p_strerror(rc));
		free(a);
	}
}

/* ---- taking a push ---- */

struct push_in {
	struct identify *id;
	struct lp2p_peer_id peer;
	lp2p_timer *timer;
	uint8_t *buf;
	size_t len;
	lp2p_stream *s;
};

static void push_in_data(lp2p_stream *s, void *user, const uint8_t *data,
                         size_t len)
{
	struct push_in *pi = user;
	int rc = len > MAX_STREAM_BYTES - pi->len ? LP2P_ERANGE : 0;
	if (!rc && !pi->buf) {
		/* room for the most a push may be, counted on the stream */
		rc = lp2p_stream_reserve_memory(s, MAX_STREAM_BYTES);
		if (!rc && !(pi->buf = malloc(MAX_STREAM_BYTES)))
			rc = LP2P_ENOMEM;
	}
	if (rc) {
		lp2p_stream_reset(s, rc);
		return;
	}
	memcpy(pi->buf + pi->len, data, len);
	pi->len += len;
}

static void push_in_end(lp2p_stream *s, void *user)
{
	struct push_in *pi = user;
	int rc = take_bytes(pi->id, &pi->peer, pi->buf, pi->len, true);
	if (rc)
		lp2p_stream_reset(s, rc);
	else
		lp2p_stream_close(s);
}

static void push_in_closed(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	(void)reason;
	struct push_in *pi = user;
	lp2p_timer_free(pi->timer);
	free(pi->buf);
	free(pi);
}

static void push_in_timeout(void *arg)
{
	struct push_in *pi = arg;
	lp2p_stream_reset(pi->s, LP2P_ETIMEDOUT);
}

static const struct lp2p_stream_handler push_in_handler = {
    .on_data = push_in_data,
    .on_remote_close = push_in_end,
    .on_close = push_in_closed,
};

/* ---- answering and taking pushes ---- */

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	struct identify *id = state;
	lp2p_conn *c = lp2p_stream_conn(s);
	if (strcmp(protocol, PUSH_PROTOCOL) == 0) {
		struct push_in *pi = calloc(1, sizeof *pi);
		if (!pi)
			return LP2P_ENOMEM;
		if (lp2p_timer_new(id->host, push_in_timeout, pi, &pi->timer)) {
			free(pi);
			return LP2P_ENOMEM;
		}
		pi->id = id;
		pi->peer = *lp2p_conn_peer(c);
		pi->s = s;
		lp2p_stream_set_handler(s, &push_in_handler, pi);
		lp2p_timer_start(pi->timer, id->timeout_ms, 0);
		return 0;
	}
	/* the answer: our message, then our end (after what is queued) */
	struct lp2p_multiaddr observed;
	uint8_t *msg = NULL;
	size_t len = 0;
	int rc = lp2p_conn_remote_addr(c, &observed);
	if (!rc)
		rc = build_message(id, &observed, &msg, &len);
	if (!rc)
		rc = lp2p_stream_send(s, msg, len);
	free(msg);
	if (!rc)
		rc = lp2p_stream_close(s);
	return rc;
}

/* ---- pushing ---- */

struct push_out {
	size_t len;
	uint8_t msg[];
};

static void on_push_open(void *arg, int status, lp2p_stream *s)
{
	struct push_out *po = arg;
	if (status == 0) {
		int rc = lp2p_stream_send(s, po->msg, po->len);
		if (rc)
			lp2p_stream_reset(s, rc);
		else
			lp2p_stream_close(s);
	}
	free(po);
}

static void push_to(lp2p_conn *c, const uint8_t *msg, size_t len)
{
	struct push_out *po = malloc(sizeof *po + len);
	if (!po)
		return;
	po->len = len;
	memcpy(po->msg, msg, len);
	static const char *const protos[] = {PUSH_PROTOCOL};
	if (lp2p_conn_open_stream(c, protos, 1, on_push_open, po))
		free(po);
}

static bool speaks_push(struct identify *id, const struct lp2p_peer_id *p)
{
	const lp2p_peer_metadata *md = lp2p_host_metadata_for_peer(id->host, p);
	return md && lp2p_peer_metadata_supports(md, PUSH_PROTOCOL);
}

/* One push per peer, on its first connection, if it speaks push. */
static void push_now(void *arg)
{
	struct identify *id = arg;
	size_t n = lp2p_host_conns(id->host, NULL, 0);
	if (n == 0)
		return;
	lp2p_conn **conns = calloc(n, sizeof *conns);
	if (!conns)
		return;
	n = lp2p_host_conns(id->host, conns, n);
	uint8_t *msg = NULL;
	size_t len = 0;
	size_t pushed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct lp2p_peer_id *p = lp2p_conn_peer(conns[i]);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = lp2p_peer_id_equal(lp2p_conn_peer(conns[j]), p);
		if (seen || !speaks_push(id, p))
			continue;
		if (!msg && build_message(id, NULL, &msg, &len))
			break;
		push_to(conns[i], msg, len);
		pushed++;
	}
	if (pushed)
		lp2p_log(LP2P_LOG_DEBUG, "identify: pushed to %zu peers",
		         pushed);
	free(msg);
	free(conns);
}

static void schedule_push(struct identify *id)
{
	if (id->push)
		lp2p_timer_start(id->push_timer, PUSH_DELAY_MS, 0);
}

/* The first check after start only learns the addresses. */
static void check_addrs(void *arg)
{
	struct identify *id = arg;
	int rc = identify_self_refresh(&id->self, id->host);
	if (!id->have_baseline) {
		id->have_baseline = true;
		return;
	}
	if (rc == 1) {
		lp2p_log(LP2P_LOG_INFO, "identify: our addresses changed");
		schedule_push(id);
	}
}

LP2P_PLUGIN_EXPORT void handle_protocol_event(void *state, const char *type,
                                              const void *data, size_t len)
{
	(void)data;
	(void)len;
	struct identify *id = state;
	if (strcmp(type, LP2P_EVENT_HOST_PROTOCOLS) == 0)
		schedule_push(id);
	else if (strcmp(type, LP2P_EVENT_HOST_LISTEN_ADDRS) == 0)
		check_addrs(id);
}

/* ---- lifecycle ---- */

/* The settings, their defaults and ranges (lp2pd.yaml: plugins.identify). */
static const struct lp2p_config_field identify_config[] = {
    LP2P_CONFIG_DURATION(struct identify, timeout_ms, "timeout", 10000, 1,
                         UINT64_MAX),
    LP2P_CONFIG_DURATION(struct identify, addr_ttl_ms, "address_ttl",
                         3600 * 1000, 1, UINT64_MAX),
    LP2P_CONFIG_BOOL(struct identify, push, "push", true),
    LP2P_CONFIG_STRING(struct identify, agent, "agent_version", DEFAULT_AGENT,
                       256),
    LP2P_CONFIG_END,
};

static int identify_check(const lp2p_config_node *cfg, char *err, size_t errlen)
{
	struct identify tmp;
	return lp2p_config_read(cfg, identify_config, &tmp, err, errlen);
}

static void identify_fini(void *state);

static int identify_init(lp2p_host *host, const lp2p_config_node *cfg,
                         void **state, char *err, size_t errlen)
{
	struct identify *id = calloc(1, sizeof *id);
	if (!id) {
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	id->host = host;
	int rc = lp2p_config_read(cfg, identify_config, id, err, errlen);
	if (rc == 0)
		rc = lp2p_timer_new(host, push_now, id, &id->push_timer);
	if (rc == 0)
		rc = lp2p_timer_new(host, check_addrs, id, &id->addr_timer);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s", lp2p_strerror(rc));
		identify_fini(id);
		return rc;
	}
	/* first on the loop's first iteration, after listening started */
	lp2p_timer_start(id->addr_timer, 0, ADDR_CHECK_MS);
	*state = id;
	return 0;
}

static void identify_fini(void *state)
{
	struct identify *id = state;
	/* Connections, streams and requests are gone before fini. */
	lp2p_timer_free(id->push_timer);
	lp2p_timer_free(id->addr_timer);
	free(id);
}

static const char *const identify_protocols[] = {ID_PROTOCOL, PUSH_PROTOCOL,
                                                 NULL};
static const char *const identify_events[] = {
    LP2P_EVENT_HOST_PROTOCOLS, LP2P_EVENT_HOST_LISTEN_ADDRS, NULL};

LP2P_PLUGIN_EXPORT const struct lp2p_plugin_descriptor lp2p_plugin_descriptor =
    {
        LP2P_PLUGIN_HEADER,
        .name = "identify",
        .version = LP2P_VERSION_STRING,
        .description = "tells peers who we are and learns who they are "
                       "(/ipfs/id/1.0.0, /ipfs/id/push/1.0.0)",
        .protocols = identify_protocols,
        .config_check = identify_check,
        .init = identify_init,
        .fini = identify_fini,
        .events = identify_events,
};
