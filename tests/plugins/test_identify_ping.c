/*
 * test_identify_ping.c - the identify and ping plugins between lp2p hosts
 * in one process (each host has its own loop; the test turns them in
 * turn), through the public API as an embedding program uses them.  Some
 * peers are impostors: a host without the plugin that answers
 * /ipfs/id/1.0.0 or /ipfs/ping/1.0.0 itself, badly, to check that bad
 * answers are refused and failures handled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <lp2p/config.h>
#include <lp2p/crypto.h>
#include <lp2p/events.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/peerstore.h>
#include <lp2p/resource.h>
#include <lp2p/swarm.h>
#include <lp2p/varint.h>

#include "identify/identify_msg.h"
#include "identify/record.h"

struct node {
	lp2p_config *cfg;
	lp2p_host *h;
	struct lp2p_multiaddr addr; /* with /p2p */
	int identified;             /* identify.peer events */
	struct lp2p_peer_id last_identified;
	bool last_identify_push;
	int rtts;                   /* ping.rtt events */
	uint64_t last_rtt;
	struct lp2p_peer_id last_rtt_peer;
	int observations;           /* identify.observed_addr events */
	struct lp2p_multiaddr observed;
	struct lp2p_peer_id observed_from;
	/* an impostor's canned answer */
	uint8_t *answer;
	size_t answer_len;
};

/* The payloads are the structs of lp2p/events.h. */
static void on_event(void *arg, const char *type, const void *data, size_t len)
{
	struct node *n = arg;
	if (strcmp(type, LP2P_EVENT_IDENTIFY_PEER) == 0) {
		const struct lp2p_event_identify_peer *ev = data;
		assert_int_equal(len, sizeof *ev);
		assert_int_equal(ev->size, len);
		n->last_identified = ev->peer;
		n->last_identify_push = ev->push;
		n->identified++;
	} else if (strcmp(type, LP2P_EVENT_PING_RTT) == 0) {
		const struct lp2p_event_ping_rtt *ev = data;
		assert_int_equal(len, sizeof *ev);
		assert_int_equal(ev->size, len);
		assert_true(ev->peer.len > 0);
		assert_true(ev->conn_id > 0);
		n->last_rtt = ev->rtt_us;
		n->last_rtt_peer = ev->peer;
		n->rtts++;
	} else if (strcmp(type, LP2P_EVENT_IDENTIFY_OBSERVED_ADDR) == 0) {
		const struct lp2p_event_observed_addr *ev = data;
		assert_int_equal(ev->size, len);
		n->observed = ev->addr;
		n->observed_from = ev->peer;
		n->observations++;
	}
}

static struct node *node_new(const char *plugins_yaml)
{
	struct node *n = calloc(1, sizeof *n);
	char yaml[2048], err[1024];
	snprintf(yaml, sizeof yaml,
	         "plugin_path: [%s]\n"
	         "listen: [/ip4/127.0.0.1/tcp/0]\n"
	         "plugins:\n%s",
	         PLUGIN_DIR, plugins_yaml);
	if (lp2p_config_load_string(yaml, strlen(yaml), "t.yaml", &n->cfg, err,
	                            sizeof err) ||
	    lp2p_host_new(n->cfg, &n->h, err, sizeof err) ||
	    lp2p_host_start(n->h, err, sizeof err))
		fail_msg("host: %s", err);
	assert_int_equal(lp2p_host_listen_addrs(n->h, &n->addr, 1), 1);
	struct lp2p_multiaddr tail;
	char text[LP2P_MULTIADDR_STR_MAX], id[LP2P_PEER_ID_STR_MAX];
	lp2p_peer_id_to_string(lp2p_host_peer_id(n->h), id, sizeof id);
	snprintf(text, sizeof text, "/p2p/%s", id);
	assert_int_equal(lp2p_multiaddr_parse(text, strlen(text), &tail), 0);
	assert_int_equal(lp2p_multiaddr_encapsulate(&n->addr, &tail), 0);
	assert_int_equal(lp2p_host_subscribe(n->h, "*", on_event, n), 0);
	return n;
}

static void node_free(struct node *n)
{
	lp2p_host_free(n->h);
	lp2p_config_free(n->cfg);
	free(n->answer);
	free(n);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef bool (*cond_fn)(struct node *a, struct node *b);

/* A third node turned with the two of a test, when set. */
static struct node *third;

/* Turn both loops until cond holds (true) or ms pass (false). */
static bool run_until(struct node *a, struct node *b, cond_fn cond, uint64_t ms)
{
	uint64_t end = now_ms() + ms;
	while (now_ms() < end) {
		lp2p_host_run_once(a->h, 0);
		lp2p_host_run_once(b->h, 0);
		if (third)
			lp2p_host_run_once(third->h, 0);
		if (cond && cond(a, b))
			return true;
		usleep(500);
	}
	return cond ? cond(a, b) : true;
}

static void on_dial(void *arg, int status, lp2p_conn *c)
{
	(void)c;
	*(int *)arg = status;
}

static void connect_nodes(struct node *a, struct node *b)
{
	int status = 1;
	assert_int_equal(
	    lp2p_host_dial(a->h, &b->addr, false, on_dial, &status), 0);
	uint64_t end = now_ms() + 5000;
	while (status == 1 && now_ms() < end) {
		lp2p_host_run_once(a->h, 0);
		lp2p_host_run_once(b->h, 0);
		if (third)
			lp2p_host_run_once(third->h, 0);
		usleep(500);
	}
	assert_int_equal(status, 0);
}

static const lp2p_peer_metadata *md_of(struct node *a, struct node *b)
{
	return lp2p_host_metadata_for_peer(a->h, lp2p_host_peer_id(b->h));
}

static bool both_identified(struct node *a, struct node *b)
{
	return a->identified >= 1 && b->identified >= 1;
}

static bool has_addr(const lp2p_peer_metadata *md,
                     const struct lp2p_multiaddr *want)
{
	struct lp2p_multiaddr addrs[LP2P_PEERSTORE_MAX_ADDRS];
	size_t n =
	    lp2p_peer_metadata_addrs(md, addrs, NULL, LP2P_PEERSTORE_MAX_ADDRS);
	for (size_t i = 0; i < n && i < LP2P_PEERSTORE_MAX_ADDRS; i++)
		if (lp2p_multiaddr_equal(&addrs[i], want))
			return true;
	return false;
}

static struct lp2p_multiaddr without_p2p(const struct lp2p_multiaddr *ma)
{
	struct lp2p_multiaddr m = *ma;
	assert_int_equal(lp2p_multiaddr_peer_id(&m, NULL, true), 0);
	return m;
}

/* ---- identify between two lp2p hosts ---- */

static void identify_fills_the_peerstore(void **state)
{
	(void)state;
	struct node *a = node_new("  identify: {}\n  ping: {interval: 0}\n");
	struct node *b = node_new("  identify: {agent_version: b/1}\n"
	                          "  ping: {interval: 0}\n");
	connect_nodes(a, b);
	assert_true(run_until(a, b, both_identified, 5000));
	/* the events name the peers, answers not pushes; b saw us at the
	 * address a's connection comes from */
	assert_true(lp2p_peer_id_equal(&a->last_identified,
	                               lp2p_host_peer_id(b->h)));
	assert_true(lp2p_peer_id_equal(&b->last_identified,
	                               lp2p_host_peer_id(a->h)));
	assert_false(a->last_identify_push);
	assert_true(a->observations >= 1);
	assert_true(lp2p_peer_id_equal(&a->observed_from,
	                               lp2p_host_peer_id(b->h)));
	lp2p_conn *ab;
	struct lp2p_multiaddr local;
	assert_int_equal(lp2p_host_conns(a->h, &ab, 1), 1);
	assert_int_equal(lp2p_conn_local_addr(ab, &local), 0);
	assert_true(lp2p_multiaddr_equal(&a->observed, &local));
	const lp2p_peer_metadata *md = md_of(a, b);
	assert_non_null(md);
	assert_string_equal(lp2p_peer_metadata_agent(md), "b/1");
	assert_string_equal(lp2p_peer_metadata_protocol_version(md),
	                    "ipfs/0.1.0");
	assert_true(lp2p_peer_metadata_supports(md, "/ipfs/id/1.0.0"));
	assert_true(lp2p_peer_metadata_supports(md, "/ipfs/id/push/1.0.0"));
	assert_true(lp2p_peer_metadata_supports(md, "/ipfs/ping/1.0.0"));
	struct lp2p_multiaddr b_listen = without_p2p(&b->addr);
	assert_true(has_addr(md, &b_listen));
	const uint8_t *pk;
	size_t pklen;
	assert_int_equal(lp2p_peer_metadata_public_key(md, &pk, &pklen), 0);
	struct lp2p_key *key;
	assert_int_equal(lp2p_key_unmarshal_public(pk, pklen, &key), 0);
	assert_int_equal(lp2p_peer_id_matches_key(lp2p_host_peer_id(b->h), key),
	                 1);
	lp2p_key_free(key);
	const void *seq;
	size_t seqlen;
	assert_int_equal(
	    lp2p_peer_metadata_get(md, "identify.record_seq", &seq, &seqlen),
	    0);
	assert_int_equal(seqlen, 8);
	/* and the other way */
	md = md_of(b, a);
	assert_non_null(md);
	assert_true(strncmp(lp2p_peer_metadata_agent(md), "lp2p/", 5) == 0);
	node_free(a);
	node_free(b);
}

static bool b_identified(struct node *a, struct node *b)
{
	(void)a;
	return b->identified >= 1;
}

/* identify's message buffer counts against its stream's scopes: with the
 * protocol's memory limit below one message, a's request fails (b's, with
 * the default limits, succeeds) and nothing stays reserved. */
static void identify_buffer_is_accounted(void **state)
{
	(void)state;
	struct node *a = node_new("  identify: {}\n  ping: {interval: 0}\n"
	                          "limits:\n  protocols:\n"
	                          "    /ipfs/id/1.0.0: {memory: 64}\n");
	struct node *b = node_new("  identify: {}\n  ping: {interval: 0}\n");
	connect_nodes(a, b);
	assert_true(run_until(a, b, b_identified, 5000));
	run_until(a, b, NULL, 500);
	assert_int_equal(a->identified, 0);
	const lp2p_peer_metadata *md = md_of(a, b);
	assert_true(md == NULL || lp2p_peer_metadata_agent(md)[0] == '\0');
	struct lp2p_resource_usage u;
	struct lp2p_resource_limits l;
	int rc = lp2p_host_resource_usage(a->h, LP2P_SCOPE_PROTOCOL,
	                                  "/ipfs/id/1.0.0", &u, &l);
	assert_true(rc == 0 || rc == LP2P_ENOTFOUND);
	assert_int_equal(u.memory, 0);
	assert_int_equal(l.memory, 64);
	node_free(a);
	node_free(b);
}

static int refuse(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)arg;
	(void)s;
	(void)protocol;
	return LP2P_ENOTSUP;
}

static bool a_knows_late(struct node *a, struct node *b)
{
	const lp2p_peer_metadata *md = md_of(a, b);
	return md && lp2p_peer_metadata_supports(md, "/test/late/1.0.0");
}

/* Learned from a push: the peerstore knows, and the event came. */
static bool a_was_pushed_late(struct node *a, struct node *b)
{
	return a_knows_late(a, b) && a->identified >= 2;
}

static bool a_forgot_late(struct node *a, struct node *b)
{
	const lp2p_peer_metadata *md = md_of(a, b);
	return md && !lp2p_peer_metadata_supports(md, "/test/late/1.0.0") &&
	       lp2p_peer_metadata_supports(md, "/ipfs/id/1.0.0");
}

static void push_follows_protocol_changes(void **state)
{
	(void)state;
	struct node *a = node_new("  identify: {}\n");
	struct node *b = node_new("  identify: {}\n");
	connect_nodes(a, b);
	assert_true(run_until(a, b, both_identified, 5000));
	assert_false(a_knows_late(a, b));
	assert_int_equal(a->identified, 1);
	assert_int_equal(
	    lp2p_host_add_protocol(b->h, "/test/late/1.0.0", refuse, NULL), 0);
	assert_true(run_until(a, b, a_was_pushed_late, 5000));
	assert_true(a->last_identify_push);
	assert_int_equal(lp2p_host_remove_protocol(b->h, "/test/late/1.0.0"),
	                 0);
	assert_true(run_until(a, b, a_forgot_late, 5000));
	node_free(a);
	node_free(b);
}

static struct lp2p_multiaddr new_addr;

static bool a_knows_new_addr(struct node *a, struct node *b)
{
	const lp2p_peer_metadata *md = md_of(a, b);
	return md && has_addr(md, &new_addr);
}

/*
 * b listens on one more address; the next identify answer b gives (to c)
 * notices and b pushes its new addresses to a.
 */
static void push_follows_new_listen_addresses(void **state)
{
	(void)state;
	struct node *a = node_new("  identify: {}\n");
	struct node *b = node_new("  identify: {}\n");
	struct node *c = node_new("  identify: {}\n");
	third = c;
	connect_nodes(a, b);
	assert_true(run_until(a, b, both_identified, 5000));
	struct lp2p_multiaddr any;
	char err[256];
	assert_int_equal(lp2p_multiaddr_parse("/ip4/127.0.0.1/tcp/0", 20, &any),
	                 0);
	assert_int_equal(lp2p_host_listen(b->h, &any, err, sizeof err), 0);
	struct lp2p_multiaddr addrs[4];
	assert_int_equal(lp2p_host_listen_addrs(b->h, addrs, 4), 2);
	new_addr = addrs[1];
	assert_false(a_knows_new_addr(a, b));
	connect_nodes(c, b);
	assert_true(run_until(a, b, a_knows_new_addr, 5000));
	third = NULL;
	node_free(a);
	node_free(b);
	node_free(c);
}

static bool no_push(struct node *a, struct node *b)
{
	(void)b;
	return a->identified > 1;
}

static void push_can_be_disabled(void **state)
{
	(void)state;
	struct node *a = node_new("  identify: {}\n");
	struct node *b = node_new("  identify: {push: false}\n");
	connect_nodes(a, b);
	assert_true(run_until(a, b, both_identified, 5000));
	assert_int_equal(
	    lp2p_host_add_protocol(b->h, "/test/late/1.0.0", refuse, NULL), 0);
	assert_false(run_until(a, b, no_push, 1000));
	assert_false(a_knows_late(a, b));
	node_free(a);
	node_free(b);
}

/* ---- impostors answering identify ---- */

static int answer_canned(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)protocol;
	struct node *n = arg;
	assert_int_equal(lp2p_stream_write(s, n->answer, n->answer_len),
	                 (ssize_t)n->answer_len);
	lp2p_stream_close(s);
	return 0;
}

static int sign_with(void *arg, const uint8_t *msg, size_t len, uint8_t *sig,
                     size_t cap)
{
	return lp2p_key_sign(arg, msg, len, sig, cap);
}

static int sign_as_host(void *arg, const uint8_t *msg, size_t len, uint8_t *sig,
                        size_t cap)
{
	return lp2p_host_sign(arg, msg, len, sig, cap);
}

/* b answers identify with info (framed); a asks on connect. */
static void impostor_answers(struct node *b, const struct identify_info *info)
{
	size_t cap = 2 * IDENTIFY_MAX_MSG;
	b->answer = malloc(cap);
	int n = identify_msg_encode_stream(info, b->answer, cap);
	assert_true(n > 0);
	b->answer_len = (size_t)n;
	assert_int_equal(
	    lp2p_host_add_protocol(b->h, "/ipfs/id/1.0.0", answer_canned, b),
	    0);
}

static bool a_identified(struct node *a, struct node *b)
{
	(void)b;
	return a->identified > 0;
}

static void identify_refuses_a_foreign_key(void **state)
{
	(void)state;
	struct node *a = node_new("  identify: {}\n");
	struct node *b = node_new("  ping: {interval: 0}\n");
	struct lp2p_key *other;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &other), 0);
	uint8_t pk[LP2P_KEY_PUBLIC_MAX];
	int pklen = lp2p_key_marshal_public(other, pk, sizeof pk);
	struct identify_info info = {
	    .agent_version = "impostor",
	    .public_key = pk,
	    .public_key_len = (size_t)pklen,
	};
	impostor_answers(b, &info);
	connect_nodes(a, b);
	assert_false(run_until(a, b, a_identified, 1500));
	const lp2p_peer_metadata *md = md_of(a, b);
	assert_true(md == NULL || lp2p_peer_metadata_agent(md)[0] == '\0');
	lp2p_key_free(other);
	node_free(a);
	node_free(b);
}

/* Addresses come from a valid signed record, else from listenAddrs. */
static void identify_prefers_signed_addresses(void **state)
{
	(void)state;
	struct lp2p_multiaddr plain, signed_addr;
	assert_int_equal(
	    lp2p_multiaddr_parse("/ip4/192.0.2.1/tcp/1", 20, &plain), 0);
	assert_int_equal(
	    lp2p_multiaddr_parse("/ip4/192.0.2.2/tcp/2", 20, &signed_addr), 0);
	for (int valid = 0; valid < 2; valid++) {
		struct node *a = node_new("  identify: {}\n");
		struct node *b = node_new("  ping: {interval: 0}\n");
		/* b's own identity key is not reachable through the API:
		 * a record of b can only be forged, signed by another key,
		 * unless b's host signs it */
		struct lp2p_key *other;
		assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &other),
		                 0);
		uint8_t pk[LP2P_KEY_PUBLIC_MAX];
		int pklen;
		uint8_t env[RECORD_MAX_ENVELOPE];
		int n;
		if (valid) {
			pklen = lp2p_host_public_key(b->h, pk, sizeof pk);
			n = record_seal(lp2p_host_peer_id(b->h), 7,
			                &signed_addr, 1, pk, (size_t)pklen,
			                sign_as_host, b->h, env, sizeof env);
		} else {
			pklen = lp2p_key_marshal_public(other, pk, sizeof pk);
			n = record_seal(lp2p_host_peer_id(b->h), 7,
			                &signed_addr, 1, pk, (size_t)pklen,
			                sign_with, other, env, sizeof env);
		}
		assert_true(n > 0);
		struct identify_info info = {
		    .agent_version = "b",
		    .listen_addrs = &plain,
		    .n_listen_addrs = 1,
		    .signed_record = env,
		    .signed_record_len = (size_t)n,
		};
		impostor_answers(b, &info);
		connect_nodes(a, b);
		assert_true(run_until(a, b, a_identified, 5000));
		const lp2p_peer_metadata *md = md_of(a, b);
		assert_non_null(md);
		assert_int_equal(has_addr(md, &signed_addr), valid);
		assert_int_equal(has_addr(md, &plain), !valid);
		lp2p_key_free(other);
		node_free(a);
		node_free(b);
	}
}

static void identify_refuses_an_oversized_answer(void **state)
{
	(void)state;
	struct node *a = node_new("  identify: {}\n");
	struct node *b = node_new("  ping: {interval: 0}\n");
	b->answer = malloc(16);
	int n = lp2p_varint_encode(IDENTIFY_MAX_MSG + 1, b->answer, 16);
	memset(b->answer + n, 0, 4);
	b->answer_len = (size_t)n + 4;
	assert_int_equal(
	    lp2p_host_add_protocol(b->h, "/ipfs/id/1.0.0", answer_canned, b),
	    0);
	connect_nodes(a, b);
	assert_false(run_until(a, b, a_identified, 1000));
	/* the connection survives a bad identify answer */
	assert_int_equal(lp2p_host_conns(a->h, NULL, 0), 1);
	node_free(a);
	node_free(b);
}

/* ---- ping ---- */

static bool a_pinged_twice(struct node *a, struct node *b)
{
	(void)b;
	return a->rtts >= 2;
}

static void ping_measures_round_trips(void **state)
{
	(void)state;
	struct node *a = node_new("  ping: {interval: 100ms}\n");
	struct node *b = node_new("  ping: {interval: 0}\n");
	connect_nodes(a, b);
	assert_true(run_until(a, b, a_pinged_twice, 5000));
	assert_int_equal(b->rtts, 0); /* interval 0: b only answers */
	assert_true(lp2p_peer_id_equal(&a->last_rtt_peer,
	                               lp2p_host_peer_id(b->h)));
	const lp2p_peer_metadata *md = md_of(a, b);
	assert_non_null(md);
	const void *v;
	size_t len;
	assert_int_equal(lp2p_peer_metadata_get(md, "ping.rtt_us", &v, &len),
	                 0);
	assert_int_equal(len, sizeof(uint64_t));
	uint64_t rtt;
	memcpy(&rtt, v, sizeof rtt);
	assert_true(rtt < 5000000);
	node_free(a);
	node_free(b);
}

/* An impostor takes ping streams and never answers. */
static void ignore_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	(void)s;
	(void)user;
	(void)data;
	(void)len;
}

static const struct lp2p_stream_handler silent = {.on_data = ignore_data};

static int take_and_ignore(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)arg;
	(void)protocol;
	lp2p_stream_set_handler(s, &silent, NULL);
	return 0;
}

static bool a_has_no_connection(struct node *a, struct node *b)
{
	(void)b;
	return lp2p_host_conns(a->h, NULL, 0) == 0;
}

static void ping_failure_closes_when_asked(void **state)
{
	(void)state;
	for (int close = 0; close < 2; close++) {
		struct node *a = node_new(
		    close ? "  ping: {interval: 100ms, timeout: 200ms, "
		            "close_on_failure: true}\n"
		          : "  ping: {interval: 100ms, timeout: 200ms}\n");
		struct node *b = node_new("  identify: {}\n");
		assert_int_equal(lp2p_host_add_protocol(b->h,
		                                        "/ipfs/ping/1.0.0",
		                                        take_and_ignore, NULL),
		                 0);
		connect_nodes(a, b);
		bool closed = run_until(a, b, a_has_no_connection, 3000);
		assert_int_equal(closed, close);
		assert_int_equal(a->rtts, 0);
		node_free(a);
		node_free(b);
	}
}

static void ping_leaves_peers_without_ping_alone(void **state)
{
	(void)state;
	struct node *a = node_new("  ping: {interval: 50ms, timeout: 100ms, "
	                          "close_on_failure: true}\n");
	struct node *b = node_new("  identify: {}\n");
	connect_nodes(a, b);
	run_until(a, b, NULL, 600);
	assert_int_equal(lp2p_host_conns(a->h, NULL, 0), 1);
	assert_int_equal(a->rtts, 0);
	node_free(a);
	node_free(b);
}

/* Pings answered on a stream of our own: whole payloads come back. */
struct client {
	uint8_t got[96];
	size_t got_len;
	int opened;
	lp2p_stream *s;
	bool ended;
};

static void client_data(lp2p_stream *s, void *user, const uint8_t *data,
                        size_t len)
{
	(void)s;
	struct client *c = user;
	assert_true(c->got_len + len <= sizeof c->got);
	memcpy(c->got + c->got_len, data, len);
	c->got_len += len;
}

static void client_remote_close(lp2p_stream *s, void *user)
{
	(void)s;
	((struct client *)user)->ended = true;
}

static void client_close(lp2p_stream *s, void *user, int reason)
{
	(void)s;
	(void)reason;
	((struct client *)user)->ended = true;
}

static const struct lp2p_stream_handler client_handler = {
    .on_data = client_data,
    .on_remote_close = client_remote_close,
    .on_close = client_close,
};

static void client_open(void *arg, int status, lp2p_stream *s)
{
	struct client *c = arg;
	c->opened = status ? status : 1;
	c->s = s;
	if (s)
		lp2p_stream_set_handler(s, &client_handler, c);
}

static struct client *clients_ptr;
static size_t nclients;

static bool clients_settled(struct node *a, struct node *b)
{
	(void)a;
	(void)b;
	for (size_t i = 0; i < nclients; i++)
		if (!clients_ptr[i].opened)
			return false;
	return true;
}

static bool first_echoed(struct node *a, struct node *b)
{
	(void)a;
	(void)b;
	return clients_ptr[0].ended;
}

static void ping_server_echoes_and_limits_streams(void **state)
{
	(void)state;
	struct node *a = node_new("  identify: {}\n");
	struct node *b = node_new("  ping: {interval: 0}\n");
	connect_nodes(a, b);
	lp2p_conn *conn;
	assert_int_equal(lp2p_host_conns(a->h, &conn, 1), 1);
	struct client c[3] = {0};
	clients_ptr = c;
	nclients = 3;
	static const char *const protos[] = {"/ipfs/ping/1.0.0"};
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    lp2p_conn_open_stream(conn, protos, 1, client_open, &c[i]),
		    0);
	assert_true(run_until(a, b, clients_settled, 5000));
	/* two per peer: the third is refused once the server sees it */
	uint8_t payload[70];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)i;
	assert_int_equal(lp2p_stream_write(c[0].s, payload, sizeof payload),
	                 sizeof payload);
	lp2p_stream_close_write(c[0].s);
	assert_true(run_until(a, b, first_echoed, 5000));
	/* two whole payloads back, the partial third one dropped */
	assert_int_equal(c[0].got_len, 64);
	assert_memory_equal(c[0].got, payload, 64);
	run_until(a, b, NULL, 200);
	assert_true(c[2].ended); /* reset by the server */
	assert_false(c[1].ended);
	node_free(a);
	node_free(b);
}

/* ---- settings ---- */

static void refused(const char *plugins_yaml, const char *want)
{
	char yaml[1024], err[1024] = "";
	snprintf(yaml, sizeof yaml, "plugin_path: [%s]\nplugins:\n%s",
	         PLUGIN_DIR, plugins_yaml);
	lp2p_config *cfg;
	lp2p_host *h = NULL;
	assert_int_equal(lp2p_config_load_string(yaml, strlen(yaml), "t.yaml",
	                                         &cfg, err, sizeof err),
	                 0);
	assert_int_equal(lp2p_host_new(cfg, &h, err, sizeof err), LP2P_ECONFIG);
	assert_null(h);
	if (!strstr(err, want))
		fail_msg("'%s' lacks '%s'", err, want);
	lp2p_config_free(cfg);
}

static void settings_are_checked(void **state)
{
	(void)state;
	refused("  identify: {bogus: 1}\n", "plugins.identify.bogus");
	refused("  identify: {timeout: 0}\n", "plugins.identify.timeout");
	refused("  identify: {address_ttl: soon}\n",
	        "plugins.identify.address_ttl");
	refused("  identify: {push: maybe}\n", "plugins.identify.push");
	refused("  identify: {agent_version: [a]}\n",
	        "plugins.identify.agent_version");
	refused("  ping: {interval: fast}\n", "t.yaml:3:");
	refused("  ping: {timeout: 0}\n", "plugins.ping.timeout");
	refused("  ping: {close_on_failure: 2}\n",
	        "plugins.ping.close_on_failure");
	refused("  ping: {count: 3}\n", "plugins.ping.count");
	/* and what is valid starts */
	struct node *n = node_new("  identify: {timeout: 2s, address_ttl: 10m, "
	                          "push: false, agent_version: x/1}\n"
	                          "  ping: {interval: 1m, timeout: 1s, "
	                          "close_on_failure: yes}\n");
	node_free(n);
}

int main(void)
{
	if (!getenv("LP2P_LOG_TESTS"))
		lp2p_log_set_level(LP2P_LOG_ERROR);
	else
		lp2p_log_set_level(LP2P_LOG_DEBUG);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(identify_fills_the_peerstore),
	    cmocka_unit_test(identify_buffer_is_accounted),
	    cmocka_unit_test(push_follows_protocol_changes),
	    cmocka_unit_test(push_follows_new_listen_addresses),
	    cmocka_unit_test(push_can_be_disabled),
	    cmocka_unit_test(identify_refuses_a_foreign_key),
	    cmocka_unit_test(identify_prefers_signed_addresses),
	    cmocka_unit_test(identify_refuses_an_oversized_answer),
	    cmocka_unit_test(ping_measures_round_trips),
	    cmocka_unit_test(ping_failure_closes_when_asked),
	    cmocka_unit_test(ping_leaves_peers_without_ping_alone),
	    cmocka_unit_test(ping_server_echoes_and_limits_streams),
	    cmocka_unit_test(settings_are_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
