/*
 * idprobe.c - a program embedding lp2p for the identify/ping interop
 * tests: a host with the identify and ping plugins (found through
 * LP2P_PLUGIN_PATH) dials a peer and prints, one JSON object a line, what
 * the peerstore holds after every "identify.peer" event and every
 * "ping.rtt" event (their structs are in lp2p/events.h).  Optionally it adds a protocol at run time, which
 * makes identify push it to the peer.
 *
 *   idprobe --dial MULTIADDR [--add-protocol ID --after MS] [--duration MS]
 *           [--ping-interval DURATION] [--key-type TYPE]
 *
 * Exit status: 0 when the dial worked (the test judges the output), 1
 * otherwise, 2 on a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lp2p/config.h>
#include <lp2p/crypto.h>
#include <lp2p/events.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/peerstore.h>
#include <lp2p/swarm.h>

struct probe {
	lp2p_host *host;
	const char *add_protocol;
	int dial_status;
};

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_peer(lp2p_host *h, const struct lp2p_peer_id *p)
{
	char id[LP2P_PEER_ID_STR_MAX];
	lp2p_peer_id_to_string(p, id, sizeof id);
	const lp2p_peer_metadata *md = lp2p_host_metadata_for_peer(h, p);
	printf("{\"event\":\"identify.peer\",\"peerId\":\"%s\"", id);
	if (!md) {
		printf(",\"known\":false}\n");
		fflush(stdout);
		return;
	}
	printf(",\"agentVersion\":");
	json_string(lp2p_peer_metadata_agent(md));
	printf(",\"protocolVersion\":");
	json_string(lp2p_peer_metadata_protocol_version(md));
	const char *protos[LP2P_PEERSTORE_MAX_PROTOCOLS];
	size_t n = lp2p_peer_metadata_protocols(md, protos,
	                                        LP2P_PEERSTORE_MAX_PROTOCOLS);
	printf(",\"protocols\":[");
	for (size_t i = 0; i < n && i < LP2P_PEERSTORE_MAX_PROTOCOLS; i++) {
		printf(i ? "," : "");
		json_string(protos[i]);
	}
	struct lp2p_multiaddr addrs[LP2P_PEERSTORE_MAX_ADDRS];
	uint64_t ttl[LP2P_PEERSTORE_MAX_ADDRS];
	n = lp2p_peer_metadata_addrs(md, addrs, ttl, LP2P_PEERSTORE_MAX_ADDRS);
	printf("],\"addrs\":[");
	for (size_t i = 0; i < n && i < LP2P_PEERSTORE_MAX_ADDRS; i++) {
		char a[LP2P_MULTIADDR_STR_MAX];
		if (lp2p_multiaddr_to_string(&addrs[i], a, sizeof a) < 0)
			snprintf(a, sizeof a, "?");
		printf(i ? "," : "");
		json_string(a);
	}
	printf("]");
	const uint8_t *pk;
	size_t pklen;
	if (lp2p_peer_metadata_public_key(md, &pk, &pklen) == 0) {
		struct lp2p_key *key;
		const char *type = "?";
		int matches = 0;
		if (lp2p_key_unmarshal_public(pk, pklen, &key) == 0) {
			type = lp2p_key_type_name(lp2p_key_type(key));
			matches = lp2p_peer_id_matches_key(p, key) == 1;
			lp2p_key_free(key);
		}
		printf(",\"publicKeyType\":\"%s\",\"keyMatchesPeerId\":%s",
		       type, matches ? "true" : "false");
	}
	const void *data;
	size_t len;
	uint64_t seq;
	if (lp2p_peer_metadata_get(md, "identify.record_seq", &data, &len) ==
	        0 &&
	    len == sizeof seq) {
		memcpy(&seq, data, sizeof seq);
		printf(",\"recordSeq\":%llu", (unsigned long long)seq);
	}
	printf("}\n");
	fflush(stdout);
}

/* The payloads are the structs of lp2p/events.h: the runtime delivers at
 * least their first version, so they are read as they are. */
static void on_event(void *arg, const char *type, const void *data, size_t len)
{
	(void)len;
	struct probe *pr = arg;
	if (strcmp(type, LP2P_EVENT_IDENTIFY_PEER) == 0) {
		const struct lp2p_event_identify_peer *ev = data;
		print_peer(pr->host, &ev->peer);
		return;
	}
	if (strcmp(type, LP2P_EVENT_PING_RTT) == 0) {
		const struct lp2p_event_ping_rtt *ev = data;
		char id[LP2P_PEER_ID_STR_MAX] = "?";
		lp2p_peer_id_to_string(&ev->peer, id, sizeof id);
		const lp2p_peer_metadata *md =
		    lp2p_host_metadata_for_peer(pr->host, &ev->peer);
		const void *v;
		size_t vlen;
		int stored =
		    md &&
		    lp2p_peer_metadata_get(md, "ping.rtt_us", &v, &vlen) == 0 &&
		    vlen == sizeof ev->rtt_us;
		printf(
		    "{\"event\":\"ping.rtt\",\"peerId\":\"%s\",\"rttUs\":%llu,"
		    "\"stored\":%s}\n",
		    id, (unsigned long long)ev->rtt_us, stored ? "true" : "false");
		fflush(stdout);
	}
}

static int refuse(void *arg, lp2p_stream *s, const char *protocol)
{
	(void)arg;
	(void)s;
	(void)protocol;
	return LP2P_ENOTSUP;
}

static void add_protocol(void *arg)
{
	struct probe *pr = arg;
	int rc =
	    lp2p_host_add_protocol(pr->host, pr->add_protocol, refuse, NULL);
	printf("{\"event\":\"protocol-added\",\"protocol\":");
	json_string(pr->add_protocol);
	printf(",\"ok\":%s}\n", rc == 0 ? "true" : "false");
	fflush(stdout);
}

static void stop(void *arg)
{
	lp2p_host_stop(arg);
}

static void on_dial(void *arg, int status, lp2p_conn *c)
{
	struct probe *pr = arg;
	pr->dial_status = status;
	if (status) {
		fprintf(stderr, "idprobe: dial failed: %s\n",
		        lp2p_strerror(status));
		lp2p_host_stop(pr->host);
		return;
	}
	char id[LP2P_PEER_ID_STR_MAX];
	lp2p_peer_id_to_string(lp2p_conn_peer(c), id, sizeof id);
	printf("{\"event\":\"connected\",\"peerId\":\"%s\"}\n", id);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dial", required_argument, NULL, 'd'},
	    {"add-protocol", required_argument, NULL, 'p'},
	    {"after", required_argument, NULL, 'a'},
	    {"duration", required_argument, NULL, 't'},
	    {"ping-interval", required_argument, NULL, 'i'},
	    {"key-type", required_argument, NULL, 'k'},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	const char *dial = NULL, *ping_interval = "500ms",
	           *key_type = "ed25519";
	long after_ms = 1000, duration_ms = 5000;
	struct probe pr = {.dial_status = 1};
	int c, verbose = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dial = optarg; break;
		case 'p': pr.add_protocol = optarg; break;
		case 'a': after_ms = atol(optarg); break;
		case 't': duration_ms = atol(optarg); break;
		case 'i': ping_interval = optarg; break;
		case 'k': key_type = optarg; break;
		case 'v': verbose++; break;
		default: return 2;
		}
	}
	if (!dial || optind != argc) {
		fprintf(stderr, "usage: idprobe --dial MULTIADDR [options]\n");
		return 2;
	}
	lp2p_log_set_level(LP2P_LOG_WARN + verbose);
	char yaml[512], err[1024];
	snprintf(yaml, sizeof yaml,
	         "identity: {key_type: %s}\n"
	         "listen: [/ip4/127.0.0.1/tcp/0]\n"
	         "plugins:\n"
	         "  identify: {}\n"
	         "  ping: {interval: %s}\n",
	         key_type, ping_interval);
	lp2p_config *cfg = NULL;
	struct lp2p_multiaddr ma;
	lp2p_timer *add_timer = NULL, *stop_timer = NULL;
	if (lp2p_multiaddr_parse(dial, strlen(dial), &ma)) {
		fprintf(stderr, "idprobe: bad multiaddr %s\n", dial);
		return 2;
	}
	if (lp2p_config_load_string(yaml, strlen(yaml), "<idprobe>", &cfg, err,
	                            sizeof err) ||
	    lp2p_host_new(cfg, &pr.host, err, sizeof err) ||
	    lp2p_host_start(pr.host, err, sizeof err)) {
		fprintf(stderr, "idprobe: %s\n", err);
		return 1;
	}
	char self[LP2P_PEER_ID_STR_MAX];
	lp2p_peer_id_to_string(lp2p_host_peer_id(pr.host), self, sizeof self);
	printf("{\"event\":\"started\",\"peerId\":\"%s\"}\n", self);
	fflush(stdout);
	if (lp2p_host_subscribe(pr.host, LP2P_EVENT_IDENTIFY_PEER, on_event,
	                        &pr) ||
	    lp2p_host_subscribe(pr.host, LP2P_EVENT_PING_RTT, on_event, &pr) ||
	    lp2p_timer_new(pr.host, stop, pr.host, &stop_timer) ||
	    (pr.add_protocol &&
	     lp2p_timer_new(pr.host, add_protocol, &pr, &add_timer)) ||
	    lp2p_host_dial(pr.host, &ma, false, on_dial, &pr)) {
		fprintf(stderr, "idprobe: cannot start\n");
		return 1;
	}
	lp2p_timer_start(stop_timer, (uint64_t)duration_ms, 0);
	if (add_timer)
		lp2p_timer_start(add_timer, (uint64_t)after_ms, 0);
	lp2p_host_run(pr.host, 1);
	lp2p_timer_free(add_timer);
	lp2p_timer_free(stop_timer);
	lp2p_host_free(pr.host);
	lp2p_config_free(cfg);
	return pr.dial_status ? 1 : 0;
}
