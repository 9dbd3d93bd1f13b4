/*
 * test_peerstore.c - the peerstore's records: addresses (kept at their own
 * length, refreshed, expired, removed, bounded), agent and version, plugin
 * values, read back through the lp2p_peer_metadata_* accessors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/peerstore.h>

#include "host/peerstore.h"

/* The host asks its swarm's transports; a TCP-only one, here. */
static bool is_tcp(void *arg, const struct lp2p_multiaddr *ma)
{
	(void)arg;
	return lp2p_multiaddr_is_tcp(ma);
}

static struct lp2p_multiaddr parse(const char *s)
{
	struct lp2p_multiaddr ma;
	assert_int_equal(lp2p_multiaddr_parse(s, strlen(s), &ma), 0);
	return ma;
}

static struct lp2p_peer_id peer(uint8_t tag)
{
	/* an identity multihash: any bytes make a valid id */
	struct lp2p_peer_id id = {.len = 6, .bytes = {0x00, 0x04, tag, 1, 2, 3}};
	return id;
}

static const lp2p_peer_metadata *md_of(struct lp2p_peerstore *ps,
                                       const struct lp2p_peer_id *id)
{
	return (const lp2p_peer_metadata *)lp2p_peerstore_find(ps, id);
}

static struct lp2p_multiaddr long_name_addr(void)
{
	char s[300];
	snprintf(s, sizeof s, "/dns4/%0240d.example/tcp/4001", 0);
	struct lp2p_multiaddr ma = parse(s);
	assert_true(ma.len > 240);
	return ma;
}

/* What goes in comes back byte for byte, whatever its length. */
static void addresses_read_back(void **state)
{
	(void)state;
	struct lp2p_peerstore ps;
	lp2p_peerstore_init(&ps);
	struct lp2p_peer_id a = peer(1);
	struct lp2p_multiaddr in[3] = {
		parse("/ip4/192.0.2.1/tcp/4001"),
		parse("/ip6/2001:db8::7/tcp/4001"),
		long_name_addr(),
	};
	uint64_t now = 1000;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(lp2p_peerstore_add(&ps, &a, &in[i],
		                                    10000 * (i + 1), now),
		                 0);
	struct lp2p_multiaddr out[LP2P_PEERSTORE_MAX_ADDRS];
	uint64_t ttl[LP2P_PEERSTORE_MAX_ADDRS];
	const lp2p_peer_metadata *md = md_of(&ps, &a);
	assert_non_null(md);
	assert_int_equal(lp2p_peer_metadata_addrs(md, out, ttl, 3), 3);
	for (size_t i = 0; i < 3; i++) {
		size_t j = 0;
		while (j < 3 && !lp2p_multiaddr_equal(&out[j], &in[i]))
			j++;
		assert_true(j < 3);
		assert_int_equal(ttl[j], 10000 * (i + 1));
	}
	/* freshest first */
	assert_int_equal(lp2p_peerstore_dialable_addrs(&ps, &a, now, is_tcp,
	                                               NULL, out, 3),
	                 3);
	assert_true(lp2p_multiaddr_equal(&out[0], &in[2]));
	assert_true(lp2p_multiaddr_equal(&out[1], &in[1]));
	assert_true(lp2p_multiaddr_equal(&out[2], &in[0]));
	/* a count beyond max is still counted */
	assert_int_equal(lp2p_peer_metadata_addrs(md, out, NULL, 1), 3);
	lp2p_peerstore_fini(&ps);
}

static void addresses_refreshed_expired_removed(void **state)
{
	(void)state;
	struct lp2p_peerstore ps;
	lp2p_peerstore_init(&ps);
	struct lp2p_peer_id a = peer(1), b = peer(2);
	struct lp2p_multiaddr ip4 = parse("/ip4/192.0.2.1/tcp/1");
	struct lp2p_multiaddr udp = parse("/ip4/192.0.2.1/udp/1");
	struct lp2p_multiaddr lname = long_name_addr();
	struct lp2p_multiaddr out[4];
	uint64_t ttl[4];

	/* a /p2p suffix must name the peer and is stripped */
	struct lp2p_multiaddr with_id = ip4;
	assert_int_equal(
		lp2p_multiaddr_push(&with_id, LP2P_MA_P2P, a.bytes, a.len), 0);
	assert_int_equal(lp2p_peerstore_add(&ps, &b, &with_id, 100, 0),
	                 LP2P_EINVAL);
	assert_null(md_of(&ps, &b));
	assert_int_equal(lp2p_peerstore_add(&ps, &a, &with_id, 100, 0), 0);
	/* the longer expiry of old and new is kept */
	assert_int_equal(lp2p_peerstore_add(&ps, &a, &ip4, 50, 0), 0);
	assert_int_equal(lp2p_peerstore_add(&ps, &a, &lname, 300, 0), 0);
	assert_int_equal(lp2p_peerstore_add(&ps, &a, &udp, 300, 0), 0);
	const lp2p_peer_metadata *md = md_of(&ps, &a);
	assert_int_equal(lp2p_peer_metadata_addrs(md, out, ttl, 4), 3);
	assert_true(lp2p_multiaddr_equal(&out[0], &ip4));
	assert_int_equal(ttl[0], 100);
	/* not TCP: never dialled */
	assert_int_equal(lp2p_peerstore_dialable_addrs(&ps, &a, 0, is_tcp, NULL,
	                                               out, 4),
	                 2);

	/* at 100 the ip4 one has expired */
	assert_int_equal(lp2p_peerstore_dialable_addrs(&ps, &a, 100, is_tcp,
	                                               NULL, out, 4),
	                 1);
	assert_true(lp2p_multiaddr_equal(&out[0], &lname));
	/* ttl 0 removes, the long one included */
	assert_int_equal(lp2p_peerstore_add(&ps, &a, &lname, 0, 100), 0);
	assert_int_equal(lp2p_peerstore_add(&ps, &a, &udp, 0, 100), 0);
	assert_int_equal(lp2p_peer_metadata_addrs(md, out, ttl, 4), 0);
	/* and the record can take addresses again */
	assert_int_equal(lp2p_peerstore_add(&ps, &a, &lname, 10, 100), 0);
	assert_int_equal(lp2p_peer_metadata_addrs(md, out, ttl, 4), 1);
	assert_true(lp2p_multiaddr_equal(&out[0], &lname));
	lp2p_peerstore_fini(&ps);
}

/* Past LP2P_PEERSTORE_MAX_ADDRS the entry that expires first goes. */
static void addresses_bounded(void **state)
{
	(void)state;
	struct lp2p_peerstore ps;
	lp2p_peerstore_init(&ps);
	struct lp2p_peer_id a = peer(1);
	size_t extra = 5, n = LP2P_PEERSTORE_MAX_ADDRS + extra;
	for (size_t i = 0; i < n; i++) {
		char s[64];
		snprintf(s, sizeof s, "/ip4/10.0.%zu.%zu/tcp/1", i / 256,
		         i % 256);
		struct lp2p_multiaddr ma = parse(s);
		/* ttls grow: each one past the bound replaces the oldest */
		assert_int_equal(lp2p_peerstore_add(&ps, &a, &ma, 1000 + i, 0),
		                 0);
	}
	struct lp2p_multiaddr out[LP2P_PEERSTORE_MAX_ADDRS + 8];
	uint64_t ttl[LP2P_PEERSTORE_MAX_ADDRS + 8];
	const lp2p_peer_metadata *md = md_of(&ps, &a);
	assert_int_equal(lp2p_peer_metadata_addrs(md, out, ttl, n),
	                 LP2P_PEERSTORE_MAX_ADDRS);
	/* the first `extra` (shortest ttls) were replaced */
	for (size_t i = 0; i < LP2P_PEERSTORE_MAX_ADDRS; i++)
		assert_true(ttl[i] >= 1000 + extra);
	lp2p_peerstore_fini(&ps);
}

/* ---- through a host: agent, version, plugin values ---- */

static lp2p_host *host_new(lp2p_config **cfg)
{
	const char *yaml = "listen: []\n";
	char err[256];
	assert_int_equal(lp2p_config_load_string(yaml, strlen(yaml), "t.yaml",
	                                         cfg, err, sizeof err),
	                 0);
	lp2p_host *h;
	assert_int_equal(lp2p_host_new(*cfg, &h, err, sizeof err), 0);
	return h;
}

static void agent_and_version(void **state)
{
	(void)state;
	lp2p_config *cfg;
	lp2p_host *h = host_new(&cfg);
	struct lp2p_peer_id a = peer(1);
	assert_null(lp2p_host_metadata_for_peer(h, &a));
	assert_int_equal(lp2p_peerstore_set_agent(h, &a, NULL, "ipfs/0.1.0"),
	                 0);
	const lp2p_peer_metadata *md = lp2p_host_metadata_for_peer(h, &a);
	assert_non_null(md);
	assert_string_equal(lp2p_peer_metadata_agent(md), "");
	assert_string_equal(lp2p_peer_metadata_protocol_version(md),
	                    "ipfs/0.1.0");
	assert_int_equal(lp2p_peerstore_set_agent(h, &a, "x/1", NULL), 0);
	md = lp2p_host_metadata_for_peer(h, &a);
	assert_string_equal(lp2p_peer_metadata_agent(md), "x/1");
	assert_string_equal(lp2p_peer_metadata_protocol_version(md),
	                    "ipfs/0.1.0");
	/* longer ones are cut at 256 bytes */
	char longer[400];
	memset(longer, 'v', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	assert_int_equal(lp2p_peerstore_set_agent(h, &a, longer, longer), 0);
	md = lp2p_host_metadata_for_peer(h, &a);
	assert_int_equal(strlen(lp2p_peer_metadata_agent(md)), 256);
	assert_int_equal(strlen(lp2p_peer_metadata_protocol_version(md)), 256);
	assert_memory_equal(lp2p_peer_metadata_agent(md), longer, 256);
	lp2p_host_free(h);
	lp2p_config_free(cfg);
}

static void plugin_values(void **state)
{
	(void)state;
	lp2p_config *cfg;
	lp2p_host *h = host_new(&cfg);
	struct lp2p_peer_id a = peer(1);
	char key[32];
	for (int i = 0; i < LP2P_PEERSTORE_MAX_META; i++) {
		snprintf(key, sizeof key, "t.k%d", i);
		assert_int_equal(lp2p_peerstore_put(h, &a, key, key, 4), 0);
	}
	assert_int_equal(lp2p_peerstore_put(h, &a, "t.more", "x", 1),
	                 LP2P_ELIMIT);
	/* replacing and deleting need no new entry */
	assert_int_equal(lp2p_peerstore_put(h, &a, "t.k3", "new", 3), 0);
	assert_int_equal(lp2p_peerstore_put(h, &a, "t.k0", NULL, 0), 0);
	assert_int_equal(lp2p_peerstore_put(h, &a, "t.more", "", 0), 0);
	const lp2p_peer_metadata *md = lp2p_host_metadata_for_peer(h, &a);
	const void *data;
	size_t len;
	assert_int_equal(lp2p_peer_metadata_get(md, "t.k3", &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "new", 3);
	assert_int_equal(lp2p_peer_metadata_get(md, "t.k0", &data, &len),
	                 LP2P_ENOTFOUND);
	assert_int_equal(lp2p_peer_metadata_get(md, "t.more", &data, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(lp2p_peer_metadata_get(md, "t.k31", &data, &len), 0);
	assert_memory_equal(data, "t.k3", 4);
	lp2p_peerstore_remove(h, &a);
	assert_null(lp2p_host_metadata_for_peer(h, &a));
	lp2p_host_free(h);
	lp2p_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_read_back),
		cmocka_unit_test(addresses_refreshed_expired_removed),
		cmocka_unit_test(addresses_bounded),
		cmocka_unit_test(agent_and_version),
		cmocka_unit_test(plugin_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
