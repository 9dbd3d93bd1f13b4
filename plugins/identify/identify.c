/*
 * identify.c - /ipfs/id/1.0.0 and /ipfs/id/push/1.0.0.
 *
 *  - On every new connection we ask the peer who it is, store the answer
 *    in the peerstore (addresses, preferring those of a valid signed peer
 *    record, protocols, key, agent, protocol version) and publish
 *    "identify.peer" with the peer id bytes.
 *  - We answer the same question with our key, announced addresses,
 *    protocols, the remote's address as we see it and our signed record.
 *  - When our protocols ("host.protocols") or announced addresses change,
 *    we push the new message to every connected peer that speaks push,
 *    and we take pushes from others the same way as answers.
 *
 * Every exchange is one "request" tied to one stream.  A request is freed
 * exactly once: when its stream is detached (closed or reset by us, after
 * which no stream callback names it), when its stream reports on_close, or
 * in the open callback that brings no stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/peerstore.h>
#include <lp2p/plugin.h>
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
	struct request *requests; /* live ones, for fini */
};

enum request_kind {
	REQ_ASK,      /* we asked (/ipfs/id/1.0.0 outbound) */
	REQ_ANSWER,   /* we answer (/ipfs/id/1.0.0 inbound) */
	REQ_PUSH_IN,  /* a peer pushes to us */
	REQ_PUSH_OUT, /* we push */
};

struct request {
	struct request *prev, *next;
	struct identify *id;
	enum request_kind kind;
	struct lp2p_peer_id peer;
	lp2p_stream *stream; /* NULL while opening */
	bool opening;
	bool abandoned; /* timed out while opening: drop the stream */
	lp2p_timer *timer;
	struct identify_reader reader; /* ASK, PUSH_IN */
	uint8_t *out;                  /* ANSWER, PUSH_OUT */
	size_t out_len, out_off;
};

/* ---- requests ---- */

static void request_free(struct request *r)
{
	struct identify *id = r->id;
	if (r->prev)
		r->prev->next = r->next;
	else
		id->requests = r->next;
	if (r->next)
		r->next->prev = r->prev;
	lp2p_timer_free(r->timer);
	identify_reader_free(&r->reader);
	free(r->out);
	free(r);
}

static void on_request_timeout(void *arg);

static struct request *request_new(struct identify *id, enum request_kind kind,
                                   const struct lp2p_peer_id *peer)
{
	struct request *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	if (lp2p_timer_new(id->host, on_request_timeout, r, &r->timer)) {
		free(r);
		return NULL;
	}
	r->id = id;
	r->kind = kind;
	r->peer = *peer;
	identify_reader_init(&r->reader);
	r->next = id->requests;
	if (id->requests)
		id->requests->prev = r;
	id->requests = r;
	lp2p_timer_start(r->timer, id->timeout_ms, 0);
	return r;
}

static const struct lp2p_stream_handler detached_handler = {0};

/* Done: close the stream gracefully, forget it, free the request. */
static void request_done(struct request *r)
{
	if (r->stream) {
		lp2p_stream_set_handler(r->stream, &detached_handler, NULL);
		lp2p_stream_close(r->stream);
	}
	request_free(r);
}

/*
 * Failed: reset the stream and free the request.  The handler is detached
 * first: a stream that already ended may still have its on_close queued.
 */
static void request_fail(struct request *r)
{
	if (r->stream) {
		lp2p_stream_set_handler(r->stream, &detached_handler, NULL);
		lp2p_stream_reset(r->stream);
	}
	request_free(r);
}

static const char *peer_str(const struct lp2p_peer_id *p, char *buf, size_t cap)
{
	if (lp2p_peer_id_to_string(p, buf, cap) < 0)
		snprintf(buf, cap, "?");
	return buf;
}

static void on_request_timeout(void *arg)
{
	struct request *r = arg;
	char who[LP2P_PEER_ID_STR_MAX];
	lp2p_log(LP2P_LOG_DEBUG, "identify: %s: timed out",
	         peer_str(&r->peer, who, sizeof who));
	if (r->opening) {
		/* the open callback still comes, and finishes the request */
		r->abandoned = true;
		lp2p_timer_stop(r->timer);
		return;
	}
	request_fail(r);
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

/* Write what is left of r->out; when all is written, finish. */
static void write_pending(struct request *r)
{
	while (r->out_off < r->out_len) {
		ssize_t w = lp2p_stream_write(r->stream, r->out + r->out_off,
		                              r->out_len - r->out_off);
		if (w == LP2P_EAGAIN || w == 0)
			return; /* on_writable continues */
		if (w < 0) {
			request_fail(r);
			return;
		}
		r->out_off += (size_t)w;
	}
	request_done(r);
}

static void writer_writable(lp2p_stream *s, void *user)
{
	(void)s;
	write_pending(user);
}

static void request_closed(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	struct request *r = user;
	char who[LP2P_PEER_ID_STR_MAX];
	lp2p_log(LP2P_LOG_DEBUG, "identify: %s: stream ended early: %s",
	         peer_str(&r->peer, who, sizeof who),
	         reason ? lp2p_strerror(reason) : "closed");
	r->stream = NULL; /* gone: nothing to reset */
	request_free(r);
}

static void ignore_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	(void)s;
	(void)user;
	(void)data;
	(void)len;
}

static const struct lp2p_stream_handler writer_handler = {
    .on_data = ignore_data,
    .on_writable = writer_writable,
    .on_close = request_closed,
};

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
			lp2p_host_publish(h, "identify.observed_addr", ma.bytes,
			                  ma.len);
		}
	}
	lp2p_log(LP2P_LOG_DEBUG,
	         "identify: %s%s: agent \"%s\", %zu listen addresses, %zu "
	         "protocols%s",
	         who, push ? " (push)" : "", m->has_agent_version ? agent : "",
	         m->n_listen_addrs, m->n_protocols,
	         m->has_signed_record ? ", signed record" : "");
	lp2p_host_publish(h, "identify.peer", p->bytes, p->len);
	return 0;
}

/* Bytes the reader has allocated for message bodies. */
static size_t reader_room(const struct identify_reader *rd)
{
	return rd->len + (rd->in_body ? rd->want : 0);
}

static void reader_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	struct request *r = user;
	size_t before = reader_room(&r->reader);
	int rc = identify_reader_feed(&r->reader, data, len);
	/* The buffer counts against the stream's resource scopes (it is at
	 * most IDENTIFY_MAX_MSG, so charging it just after it grew is
	 * safe); the reservation ends with the stream. */
	size_t after = reader_room(&r->reader);
	if (!rc && after > before)
		rc = lp2p_stream_reserve_memory(s, after - before);
	if (rc) {
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_log(LP2P_LOG_INFO, "identify: %s: bad message: %s",
		         peer_str(&r->peer, who, sizeof who),
		         lp2p_strerror(rc));
		request_fail(r);
	}
}

static void reader_remote_close(lp2p_stream *s, void *user)
{
	(void)s;
	struct request *r = user;
	struct identify_msg *m = malloc(sizeof *m);
	if (!m) {
		request_fail(r);
		return;
	}
	int rc = identify_reader_finish(&r->reader, m);
	if (rc == 0)
		rc = apply_message(r->id, &r->peer, m, r->kind == REQ_PUSH_IN);
	else {
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_log(LP2P_LOG_INFO, "identify: %s: bad message: %s",
		         peer_str(&r->peer, who, sizeof who),
		         lp2p_strerror(rc));
	}
	free(m);
	if (rc)
		request_fail(r);
	else
		request_done(r);
}

static const struct lp2p_stream_handler reader_handler = {
    .on_data = reader_data,
    .on_remote_close = reader_remote_close,
    .on_close = request_closed,
};

/* ---- asking (every new connection) ---- */

static void on_ask_open(void *arg, int status, lp2p_stream *s)
{
	struct request *r = arg;
	r->opening = false;
	if (status || r->abandoned) {
		if (status) {
			char who[LP2P_PEER_ID_STR_MAX];
			lp2p_log(LP2P_LOG_DEBUG,
			         "identify: %s: cannot open %s: %s",
			         peer_str(&r->peer, who, sizeof who),
			         ID_PROTOCOL, lp2p_strerror(status));
		}
		r->stream = s;
		request_fail(r);
		return;
	}
	r->stream = s;
	lp2p_stream_set_handler(s, &reader_handler, r);
	/* we send nothing: say so, the peer answers and closes */
	lp2p_stream_close_write(s);
}

LP2P_PLUGIN_EXPORT void handle_new_connection(void *state, lp2p_conn *conn,
                                              const struct lp2p_peer_id *peer)
{
	struct identify *id = state;
	struct request *r = request_new(id, REQ_ASK, peer);
	if (!r)
		return;
	static const char *const protos[] = {ID_PROTOCOL};
	r->opening = true;
	int rc = lp2p_conn_open_stream(conn, protos, 1, on_ask_open, r);
	if (rc) {
		r->opening = false;
		char who[LP2P_PEER_ID_STR_MAX];
		lp2p_log(LP2P_LOG_DEBUG,
		         "identify: %s: cannot open a stream: %s",
		         peer_str(peer, who, sizeof who), lp2p_strerror(rc));
		request_free(r);
	}
}

/* ---- answering and taking pushes ---- */

LP2P_PLUGIN_EXPORT int accept_inbound_stream(void *state, lp2p_stream *s,
                                             const char *protocol)
{
	struct identify *id = state;
	lp2p_conn *c = lp2p_stream_conn(s);
	bool push = strcmp(protocol, PUSH_PROTOCOL) == 0;
	struct request *r =
	    request_new(id, push ? REQ_PUSH_IN : REQ_ANSWER, lp2p_conn_peer(c));
	if (!r)
		return LP2P_ENOMEM;
	r->stream = s;
	if (push) {
		lp2p_stream_set_handler(s, &reader_handler, r);
		return 0;
	}
	struct lp2p_multiaddr observed;
	int rc = lp2p_conn_remote_addr(c, &observed);
	if (!rc)
		rc = build_message(id, &observed, &r->out, &r->out_len);
	if (rc) {
		r->stream = NULL; /* refused: the swarm resets it */
		request_free(r);
		return rc;
	}
	lp2p_stream_set_handler(s, &writer_handler, r);
	write_pending(r);
	return 0;
}

/* ---- pushing ---- */

static void on_push_open(void *arg, int status, lp2p_stream *s)
{
	struct request *r = arg;
	r->opening = false;
	r->stream = s;
	if (status || r->abandoned) {
		request_fail(r);
		return;
	}
	lp2p_stream_set_handler(s, &writer_handler, r);
	write_pending(r);
}

static void push_to(struct identify *id, lp2p_conn *c, const uint8_t *msg,
                    size_t len)
{
	struct request *r = request_new(id, REQ_PUSH_OUT, lp2p_conn_peer(c));
	if (!r)
		return;
	r->out = malloc(len ? len : 1);
	if (!r->out) {
		request_free(r);
		return;
	}
	memcpy(r->out, msg, len);
	r->out_len = len;
	static const char *const protos[] = {PUSH_PROTOCOL};
	r->opening = true;
	if (lp2p_conn_open_stream(c, protos, 1, on_push_open, r)) {
		r->opening = false;
		request_free(r);
	}
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
		push_to(id, conns[i], msg, len);
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
	if (strcmp(type, "host.protocols") == 0)
		schedule_push(id);
	else if (strcmp(type, "host.listen_addrs") == 0)
		check_addrs(id);
}

/* ---- lifecycle ---- */

static const char *const config_keys[] = {"timeout", "address_ttl", "push",
                                          "agent_version", NULL};

static int read_config(const lp2p_config_node *cfg, struct identify *id,
                       char *err, size_t errlen)
{
	int rc = lp2p_config_check_keys(cfg, config_keys, err, errlen);
	if (rc)
		return rc;
	id->timeout_ms = 10000;
	id->addr_ttl_ms = 3600 * 1000;
	id->push = true;
	id->agent = DEFAULT_AGENT;
	if ((rc = lp2p_config_get_duration_ms(cfg, "timeout", &id->timeout_ms,
	                                      err, errlen)) &&
	    rc != LP2P_ENOTFOUND)
		return rc;
	if (id->timeout_ms == 0)
		return lp2p_config_error(lp2p_config_get(cfg, "timeout"), err,
		                         errlen, "must be more than 0");
	if ((rc = lp2p_config_get_duration_ms(cfg, "address_ttl",
	                                      &id->addr_ttl_ms, err, errlen)) &&
	    rc != LP2P_ENOTFOUND)
		return rc;
	if (id->addr_ttl_ms == 0)
		return lp2p_config_error(lp2p_config_get(cfg, "address_ttl"),
		                         err, errlen, "must be more than 0");
	if ((rc = lp2p_config_get_bool(cfg, "push", &id->push, err, errlen)) &&
	    rc != LP2P_ENOTFOUND)
		return rc;
	if ((rc = lp2p_config_get_string(cfg, "agent_version", &id->agent, err,
	                                 errlen)) &&
	    rc != LP2P_ENOTFOUND)
		return rc;
	if (strlen(id->agent) > 256)
		return lp2p_config_error(lp2p_config_get(cfg, "agent_version"),
		                         err, errlen,
		                         "at most 256 bytes are allowed");
	return 0;
}

static int identify_check(const lp2p_config_node *cfg, char *err, size_t errlen)
{
	struct identify tmp;
	return read_config(cfg, &tmp, err, errlen);
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
	int rc = read_config(cfg, id, err, errlen);
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
	/* Connections are gone before fini; anything left is only memory. */
	while (id->requests) {
		id->requests->stream = NULL;
		request_free(id->requests);
	}
	lp2p_timer_free(id->push_timer);
	lp2p_timer_free(id->addr_timer);
	free(id);
}

static const char *const identify_protocols[] = {ID_PROTOCOL, PUSH_PROTOCOL,
                                                 NULL};
static const char *const identify_events[] = {"host.protocols",
                                              "host.listen_addrs", NULL};

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
