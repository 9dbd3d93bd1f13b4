/* test_config.c - the YAML tree, the typed getters and the runtime schema */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"

static lp2p_config *load_ok(const char *yaml)
{
	lp2p_config *c = NULL;
	char err[512] = "";
	int rc = lp2p_config_load_string(yaml, strlen(yaml), "t.yaml", &c, err,
	                                 sizeof err);
	if (rc)
		fail_msg("unexpected error: %s", err);
	return c;
}

/* Loading must fail with rc, and the message must contain want. */
static void load_fails(const char *yaml, int rc_want, const char *want)
{
	lp2p_config *c = NULL;
	char err[512] = "";
	int rc = lp2p_config_load_string(yaml, strlen(yaml), "t.yaml", &c, err,
	                                 sizeof err);
	assert_int_equal(rc, rc_want);
	assert_null(c);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void defaults(void **state)
{
	(void)state;
	lp2p_config *c = load_ok("");
	assert_int_equal(c->transports.n, 1);
	assert_string_equal(c->transports.v[0], "tcp");
	assert_int_equal(c->muxers.n, 2);
	assert_string_equal(c->muxers.v[0], "yamux");
	assert_null(c->key_file);
	assert_int_equal(c->limits.handshake_timeout_ms, 15000);
	assert_true(c->limits.exempt_loopback);
	assert_int_equal(c->limits.write_timeout_ms, 30000);
	assert_int_equal(c->limits.min_write_rate, 1024);
	assert_int_equal(c->nplugins, 0);
	assert_false(c->default_plugins);
	lp2p_config_free(c);

	char err[256];
	assert_int_equal(lp2p_config_load_default(&c, err, sizeof err), 0);
	assert_true(c->default_plugins);
	assert_string_equal(lp2p_config_source(c), "<built-in>");
	assert_int_equal(c->listen.n, 2);
	lp2p_config_free(c);
}

static void full_file(void **state)
{
	(void)state;
	lp2p_config *c = load_ok(
		"identity:\n"
		"  key_file: /var/lib/lp2pd/key\n"
		"  key_type: secp256k1\n"
		"listen: [/ip4/127.0.0.1/tcp/0]\n"
		"security: [tls, noise]\n"
		"muxers: [mplex]\n"
		"plugin_path: [/opt/p]\n"
		"plugins:\n"
		"  ping:\n"
		"    interval: 15s\n"
		"  identify: {}\n"
		"  echo:\n"
		"limits:\n"
		"  max_connections: 50\n"
		"  max_inbound_connections: 40\n"
		"  handshake_timeout: 500ms\n"
		"  min_write_rate: 16KiB\n"
		"  exempt_loopback: false\n"
		"connection_manager:\n"
		"  low_water: 10\n"
		"  high_water: 20\n"
		"  idle_timeout: 2m\n"
		"log:\n"
		"  level: debug\n"
		"  target: syslog\n");
	assert_string_equal(c->key_file, "/var/lib/lp2pd/key");
	assert_string_equal(c->key_type, "secp256k1");
	assert_string_equal(c->security.v[0], "tls");
	assert_int_equal(c->nplugins, 3);
	assert_string_equal(c->plugins[0].name, "ping");
	assert_string_equal(c->plugins[2].name, "echo");
	assert_int_equal(lp2p_config_type(c->plugins[2].node),
	                 LP2P_CONFIG_NULL);
	uint64_t ms;
	char err[256];
	assert_int_equal(lp2p_config_get_duration_ms(c->plugins[0].node,
	                                             "interval", &ms, err,
	                                             sizeof err),
	                 0);
	assert_int_equal(ms, 15000);
	assert_int_equal(c->limits.system.connections, 50);
	assert_int_equal(c->limits.handshake_timeout_ms, 500);
	assert_false(c->limits.exempt_loopback);
	assert_int_equal(c->limits.min_write_rate, 16384);
	assert_int_equal(c->connmgr.idle_timeout_ms, 120000);
	assert_int_equal(c->log_level, 4);
	assert_true(c->log_syslog);
	const lp2p_config_node *iv =
		lp2p_config_get(c->plugins[0].node, "interval");
	assert_string_equal(lp2p_config_path(iv), "plugins.ping.interval");
	assert_int_equal(lp2p_config_line(iv), 10);
	assert_int_equal(lp2p_config_column(iv), 15);
	lp2p_config_free(c);
}

static void syntax_errors(void **state)
{
	(void)state;
	load_fails("listen: [\n", LP2P_ECONFIG, "t.yaml:2:1: YAML syntax error");
	load_fails("a: b\n- c\n", LP2P_ECONFIG, "YAML syntax error");
	load_fails("--- {}\n--- {}\n", LP2P_ECONFIG,
	           "only one YAML document");
	load_fails("- a\n- b\n", LP2P_ECONFIG, "must be a mapping");
	load_fails("listen: &x [a]\nbootstrap: *x\n", LP2P_ECONFIG,
	           "anchors are not supported");
}

static void key_errors(void **state)
{
	(void)state;
	load_fails("listen: []\nfoo: 1\n", LP2P_ECONFIG,
	           "t.yaml:2:1: foo: unknown key");
	load_fails("log:\n  level: info\n  level: debug\n", LP2P_ECONFIG,
	           "t.yaml:3:3: log.level: duplicate key (first set at line 2)");
	load_fails("limits:\n  bogus: 1\n", LP2P_ECONFIG,
	           "t.yaml:2:3: limits.bogus: unknown key");
	load_fails("identity:\n  key_path: x\n", LP2P_ECONFIG,
	           "identity.key_path: unknown key");
}

static void type_and_value_errors(void **state)
{
	(void)state;
	load_fails("listen: /ip4/1.2.3.4/tcp/1\n", LP2P_ECONFIG,
	           "t.yaml:1:9: listen: expected a list");
	load_fails("security: [noise, ssl]\n", LP2P_ECONFIG,
	           "security[1]: unknown value 'ssl' (supported: noise, tls)");
	load_fails("muxers: [yamux, yamux]\n", LP2P_ECONFIG,
	           "muxers[1]: 'yamux' is listed twice");
	load_fails("muxers: []\n", LP2P_ECONFIG,
	           "muxers: needs at least one entry");
	load_fails("transports: [quic]\n", LP2P_ECONFIG,
	           "unknown value 'quic'");
	load_fails("limits:\n  max_connections: lots\n", LP2P_ECONFIG,
	           "t.yaml:2:20: limits.max_connections: expected an integer");
	load_fails("limits:\n  max_connections: 0\n", LP2P_ECONFIG,
	           "out of range");
	load_fails("limits:\n  handshake_timeout: soon\n", LP2P_ECONFIG,
	           "expected a duration");
	load_fails("limits:\n  min_write_rate: fast\n", LP2P_ECONFIG,
	           "limits.min_write_rate: expected a size");
	load_fails("limits:\n  min_write_rate: -1\n", LP2P_ECONFIG,
	           "expected a size");
	lp2p_config *off = load_ok("limits:\n  min_write_rate: 0\n");
	assert_int_equal(off->limits.min_write_rate, 0); /* no floor */
	lp2p_config_free(off);
	load_fails("limits:\n  exempt_loopback: maybe\n", LP2P_ECONFIG,
	           "limits.exempt_loopback");
	load_fails("limits:\n  max_connections: [1]\n", LP2P_ECONFIG,
	           "expected a single value, got a list");
	load_fails("identity:\n  key_type: dsa\n", LP2P_ECONFIG,
	           "unknown key type 'dsa'");
	load_fails("plugins: [ping]\n", LP2P_ECONFIG,
	           "plugins: expected a mapping");
	load_fails("plugins:\n  ping: 3\n", LP2P_ECONFIG,
	           "plugins.ping: expected the plugin's settings");
	load_fails("log:\n  level: loud\n", LP2P_ECONFIG,
	           "unknown level 'loud'");
	load_fails("log:\n  target: file\n", LP2P_ECONFIG,
	           "unknown target 'file'");
}

static void addresses(void **state)
{
	(void)state;
	load_fails("listen: [/ip4/1.2.3/tcp/1]\n", LP2P_ECONFIG,
	           "t.yaml:1:10: listen[0]: '/ip4/1.2.3/tcp/1' is not a valid multiaddr");
	load_fails("listen: [/ip4/1.2.3.4/udp/1]\n", LP2P_ECONFIG,
	           "is not a TCP address");
	load_fails("listen:\n  - /ip4/0.0.0.0/tcp/1\n  - /ip4/0.0.0.0/tcp/70000\n",
	           LP2P_ECONFIG, "t.yaml:3:5: listen[1]:");
	load_fails("bootstrap: [/ip4/1.2.3.4/tcp/4001]\n", LP2P_ECONFIG,
	           "must end with /p2p/<peer id>");
	lp2p_config *c = load_ok(
		"bootstrap:\n  - /dns4/boot.example/tcp/4001/p2p/"
		"12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA\n");
	assert_int_equal(c->bootstrap.n, 1);
	lp2p_config_free(c);
}

static void contradictions(void **state)
{
	(void)state;
	load_fails("limits:\n  max_connections: 10\n"
	           "  max_inbound_connections: 11\n",
	           LP2P_ECONFIG, "is above limits.max_connections (10)");
	load_fails("connection_manager:\n  low_water: 30\n  high_water: 20\n",
	           LP2P_ECONFIG, "is above connection_manager.high_water");
	load_fails("limits:\n  max_connections: 100\n"
	           "  max_inbound_connections: 50\n"
	           "  max_outbound_connections: 50\n"
	           "connection_manager:\n  high_water: 200\n",
	           LP2P_ECONFIG,
	           "t.yaml:6:15: connection_manager.high_water: is above "
	           "limits.max_connections (100)");
}

/* limits.stream_idle_timeout / stream_timeout and their per-protocol
 * overrides. */
static void stream_deadlines(void **state)
{
	(void)state;
	lp2p_config *c = load_ok("");
	assert_int_equal(c->limits.stream_idle_timeout_ms, 0); /* none */
	assert_int_equal(c->limits.stream_timeout_ms, 0);
	lp2p_config_free(c);

	c = load_ok("limits:\n"
	            "  stream_idle_timeout: 10s\n"
	            "  stream_timeout: none\n"
	            "  protocols:\n"
	            "    /ipfs/id/1.0.0: {stream_idle_timeout: 2s,"
	            " stream_timeout: 1m}\n"
	            "    /ipfs/ping/1.0.0: {stream_idle_timeout: 0}\n"
	            "    /x/1.0.0: {streams: 10}\n");
	assert_int_equal(c->limits.stream_idle_timeout_ms, 10000);
	assert_int_equal(c->limits.stream_timeout_ms, 0);
	assert_int_equal(c->limits.nprotocols, 3);
	const struct lp2p_scope_override *o = c->limits.protocols;
	assert_string_equal(o[0].name, "/ipfs/id/1.0.0");
	assert_int_equal(o[0].stream_idle_timeout_ms, 2000);
	assert_int_equal(o[0].stream_timeout_ms, 60000);
	assert_int_equal(o[1].stream_idle_timeout_ms, 0);
	assert_true(o[1].stream_timeout_ms == LP2P_DEADLINE_UNSET);
	assert_true(o[2].stream_idle_timeout_ms == LP2P_DEADLINE_UNSET);
	assert_true(o[2].stream_timeout_ms == LP2P_DEADLINE_UNSET);
	lp2p_config_free(c);

	load_fails("limits:\n  stream_idle_timeout: soon\n", LP2P_ECONFIG,
	           "t.yaml:2:24: limits.stream_idle_timeout: expected a "
	           "duration");
	load_fails("limits:\n  stream_timeout: 2000h\n", LP2P_ECONFIG,
	           "t.yaml:2:19: limits.stream_timeout: is too long (at most "
	           "1193h)");
	load_fails("limits:\n  protocols:\n"
	           "    /x/1.0.0:\n      stream_timeout: -1s\n",
	           LP2P_ECONFIG,
	           "t.yaml:4:23: limits.protocols./x/1.0.0.stream_timeout: "
	           "expected a duration");
	load_fails("limits:\n  protocols:\n"
	           "    /x/1.0.0:\n      stream_idel_timeout: 1s\n",
	           LP2P_ECONFIG,
	           "t.yaml:4:7: limits.protocols./x/1.0.0.stream_idel_timeout: "
	           "unknown key");
	/* per protocol, not per plugin */
	load_fails("limits:\n  plugins:\n    ping:\n      stream_timeout: 1s\n",
	           LP2P_ECONFIG,
	           "t.yaml:4:7: limits.plugins.ping.stream_timeout: unknown "
	           "key");
	load_fails("limits:\n  protocol:\n    stream_timeout: 1s\n",
	           LP2P_ECONFIG, "limits.protocol.stream_timeout: unknown key");
}

static void file_errors(void **state)
{
	(void)state;
	lp2p_config *c = NULL;
	char err[512];
	assert_int_equal(lp2p_config_load_file("/nonexistent/lp2pd.yaml", &c,
	                                       err, sizeof err),
	                 LP2P_EIO);
	assert_non_null(strstr(err, "/nonexistent/lp2pd.yaml: cannot open"));
	assert_int_equal(lp2p_config_load_file("/", &c, err, sizeof err),
	                 LP2P_EIO);
	assert_non_null(strstr(err, "not a regular file"));

	char path[] = "/tmp/lp2p-test-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "log:\n  level: [x]\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(lp2p_config_load_file(path, &c, err, sizeof err),
	                 LP2P_ECONFIG);
	char want[128];
	snprintf(want, sizeof want, "%s:2:10: log.level:", path);
	if (!strstr(err, want))
		fail_msg("'%s' lacks '%s'", err, want);
	unlink(path);
}

static void getters(void **state)
{
	(void)state;
	lp2p_config *c = load_ok("plugins:\n"
	                         "  p:\n"
	                         "    s: hello\n"
	                         "    i: -5\n"
	                         "    b: yes\n"
	                         "    d: 250ms\n"
	                         "    d2: 3\n"
	                         "    z: 16MiB\n"
	                         "    n: ~\n"
	                         "    l: [1, 2]\n");
	const lp2p_config_node *p = c->plugins[0].node;
	char err[256];
	const char *s;
	int64_t i;
	bool b;
	uint64_t u;
	assert_int_equal(lp2p_config_get_string(p, "s", &s, err, sizeof err), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(lp2p_config_get_int(p, "i", -10, 10, &i, err,
	                                     sizeof err),
	                 0);
	assert_int_equal(i, -5);
	assert_int_equal(lp2p_config_get_int(p, "i", 0, 10, &i, err,
	                                     sizeof err),
	                 LP2P_ECONFIG);
	assert_int_equal(lp2p_config_get_bool(p, "b", &b, err, sizeof err), 0);
	assert_true(b);
	assert_int_equal(lp2p_config_get_bool(p, "s", &b, err, sizeof err),
	                 LP2P_ECONFIG);
	assert_int_equal(lp2p_config_get_duration_ms(p, "d", &u, err,
	                                             sizeof err),
	                 0);
	assert_int_equal(u, 250);
	assert_int_equal(lp2p_config_get_duration_ms(p, "d2", &u, err,
	                                             sizeof err),
	                 0);
	assert_int_equal(u, 3000);
	assert_int_equal(lp2p_config_get_size(p, "z", &u, err, sizeof err), 0);
	assert_int_equal(u, 16u << 20);
	assert_int_equal(lp2p_config_get_size(p, "s", &u, err, sizeof err),
	                 LP2P_ECONFIG);
	assert_int_equal(lp2p_config_get_string(p, "n", &s, err, sizeof err),
	                 LP2P_ENOTFOUND);
	assert_int_equal(lp2p_config_get_string(p, "missing", &s, err,
	                                        sizeof err),
	                 LP2P_ENOTFOUND);
	assert_int_equal(lp2p_config_get_string(p, "l", &s, err, sizeof err),
	                 LP2P_ECONFIG);
	const lp2p_config_node *l = lp2p_config_get(p, "l");
	assert_int_equal(lp2p_config_size(l), 2);
	assert_string_equal(lp2p_config_scalar(lp2p_config_at(l, 1)), "2");
	assert_string_equal(lp2p_config_path(lp2p_config_at(l, 1)),
	                    "plugins.p.l[1]");
	assert_null(lp2p_config_at(l, 2));
	assert_string_equal(lp2p_config_key_at(p, 0), "s");
	assert_null(lp2p_config_key_at(l, 0));
	/* a duration that overflows is refused, not wrapped */
	lp2p_config_free(c);
	c = load_ok("plugins:\n  p:\n    d: 99999999999999999999h\n");
	assert_int_equal(lp2p_config_get_duration_ms(c->plugins[0].node, "d",
	                                             &u, err, sizeof err),
	                 LP2P_ECONFIG);
	lp2p_config_free(c);
}

/* A plugin's settings as a table (lp2p_config_read). */
struct settings {
	uint64_t interval_ms, buffer;
	int64_t level;
	bool on;
	const char *name;
};

static const struct lp2p_config_field settings_fields[] = {
	LP2P_CONFIG_DURATION(struct settings, interval_ms, "interval", 15000,
	                     10, 60000),
	LP2P_CONFIG_SIZE(struct settings, buffer, "buffer", 4096, 1,
	                 UINT64_MAX),
	LP2P_CONFIG_INT(struct settings, level, "level", -1, -5, 5),
	LP2P_CONFIG_BOOL(struct settings, on, "on", true),
	LP2P_CONFIG_STRING(struct settings, name, "name", "anon", 8),
	LP2P_CONFIG_END,
};

static int read_settings(const char *yaml, struct settings *out, char *err,
                         size_t errlen)
{
	lp2p_config *c = load_ok(yaml);
	const lp2p_config_node *p = c->nplugins ? c->plugins[0].node : NULL;
	int rc = lp2p_config_read(p, settings_fields, out, err, errlen);
	lp2p_config_free(c);
	return rc;
}

static void config_table(void **state)
{
	(void)state;
	char err[256] = "";
	struct settings st;
	/* all defaults, also for a null subtree */
	assert_int_equal(read_settings("plugins:\n  p: {}\n", &st, err,
	                               sizeof err),
	                 0);
	assert_int_equal(st.interval_ms, 15000);
	assert_int_equal(st.buffer, 4096);
	assert_int_equal(st.level, -1);
	assert_true(st.on);
	assert_string_equal(st.name, "anon");
	assert_int_equal(lp2p_config_read(NULL, settings_fields, &st, err,
	                                  sizeof err),
	                 0);
	/* every kind read */
	lp2p_config *c = load_ok("plugins:\n  p:\n    interval: 2s\n"
	                         "    buffer: 1KiB\n    level: 3\n"
	                         "    on: no\n    name: bob\n");
	assert_int_equal(lp2p_config_read(c->plugins[0].node, settings_fields,
	                                  &st, err, sizeof err),
	                 0);
	assert_int_equal(st.interval_ms, 2000);
	assert_int_equal(st.buffer, 1024);
	assert_int_equal(st.level, 3);
	assert_false(st.on);
	assert_string_equal(st.name, "bob"); /* points into the config */
	lp2p_config_free(c);
	/* unknown keys, out of range, wrong type, too long: named */
	static const struct {
		const char *yaml, *want;
	} bad[] = {
		{"plugins:\n  p: {intervall: 1s}\n", "unknown key"},
		{"plugins:\n  p: {interval: 5ms}\n", "plugins.p.interval"},
		{"plugins:\n  p: {level: 6}\n", "plugins.p.level"},
		{"plugins:\n  p: {on: maybe}\n", "plugins.p.on"},
		{"plugins:\n  p: {name: abcdefghij}\n", "plugins.p.name"},
		{"plugins:\n  p: {buffer: 0}\n", "plugins.p.buffer"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		assert_int_equal(read_settings(bad[i].yaml, &st, err, sizeof err),
		                 LP2P_ECONFIG);
		if (!strstr(err, bad[i].want))
			fail_msg("%s: error '%s' lacks '%s'", bad[i].yaml, err,
			         bad[i].want);
	}
	/* a table without its end, or none */
	assert_int_equal(lp2p_config_read(NULL, NULL, &st, err, sizeof err),
	                 LP2P_EINVAL);
	static struct lp2p_config_field endless[65];
	for (size_t i = 0; i < 65; i++)
		endless[i] = (struct lp2p_config_field)LP2P_CONFIG_BOOL(
		    struct settings, on, "k", false);
	assert_int_equal(lp2p_config_read(NULL, endless, &st, err, sizeof err),
	                 LP2P_EINVAL);
}

/* pnet: the key file is read and checked at load time. */
static void private_network(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_config_pnet.XXXXXX";
	char path[64], yaml[256], want[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/swarm.key", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("/key/swarm/psk/1.0.0/\n/base16/\n"
	      "000102030405060708090a0b0c0d0e0f"
	      "101112131415161718191a1b1c1d1e1f\n",
	      f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);

	lp2p_config *c = load_ok("");
	assert_false(c->pnet_enabled);
	assert_null(c->pnet_key_file);
	lp2p_config_free(c);
	c = load_ok("pnet:\n");
	assert_false(c->pnet_enabled);
	lp2p_config_free(c);

	snprintf(yaml, sizeof yaml, "pnet:\n  key_file: %s\n", path);
	c = load_ok(yaml);
	assert_true(c->pnet_enabled);
	assert_string_equal(c->pnet_key_file, path);
	for (int i = 0; i < 32; i++)
		assert_int_equal(c->pnet_key[i], i);
	lp2p_config_free(c);

	snprintf(yaml, sizeof yaml, "pnet:\n  key_file: %s\n  keyfile: x\n",
	         path);
	load_fails(yaml, LP2P_ECONFIG,
	           "t.yaml:3:3: pnet.keyfile: unknown key (known: key_file)");
	load_fails("pnet:\n  {}\n", LP2P_ECONFIG, "pnet: needs key_file");
	load_fails("pnet: /etc/swarm.key\n", LP2P_ECONFIG,
	           "pnet: expected a mapping");
	load_fails("pnet:\n  key_file: [a, b]\n", LP2P_ECONFIG,
	           "pnet.key_file: expected a single value");

	/* a bad key: the config line, the key file and the reason */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("/key/swarm/psk/1.0.0/\n/base16/\n0102\n", f);
	fclose(f);
	snprintf(yaml, sizeof yaml, "log:\n  level: info\npnet:\n  key_file: %s\n",
	         path);
	snprintf(want, sizeof want,
	         "t.yaml:4:13: pnet.key_file: %s: the key has 4 hex digits",
	         path);
	load_fails(yaml, LP2P_ECONFIG, want);
	assert_int_equal(chmod(path, 0644), 0);
	load_fails(yaml, LP2P_ECONFIG, "chmod 600");
	unlink(path);
	snprintf(want, sizeof want, "pnet.key_file: %s: cannot open", path);
	load_fails(yaml, LP2P_ECONFIG, want);
	rmdir(dir);

	/* LIBP2P_FORCE_PNET=1 (as go-libp2p) refuses a node without one */
	setenv("LIBP2P_FORCE_PNET", "1", 1);
	load_fails("log: {level: info}\n", LP2P_ECONFIG,
	           "t.yaml: LIBP2P_FORCE_PNET=1 is set but there is no "
	           "pnet.key_file");
	unsetenv("LIBP2P_FORCE_PNET");
}

static void deep_nesting_refused(void **state)
{
	(void)state;
	char yaml[512];
	size_t n = 0;
	n += (size_t)snprintf(yaml + n, sizeof yaml - n, "plugins:\n  p:\n    x: ");
	for (int i = 0; i < 70; i++)
		yaml[n++] = '[';
	for (int i = 0; i < 70; i++)
		yaml[n++] = ']';
	yaml[n++] = '\n';
	yaml[n] = '\0';
	load_fails(yaml, LP2P_ECONFIG, "nesting deeper than 64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(full_file),
		cmocka_unit_test(syntax_errors),
		cmocka_unit_test(key_errors),
		cmocka_unit_test(type_and_value_errors),
		cmocka_unit_test(addresses),
		cmocka_unit_test(contradictions),
		cmocka_unit_test(stream_deadlines),
		cmocka_unit_test(file_errors),
		cmocka_unit_test(getters),
		cmocka_unit_test(config_table),
		cmocka_unit_test(private_network),
		cmocka_unit_test(deep_nesting_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
