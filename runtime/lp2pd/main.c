/* main.c - lp2pd: a thin command line over liblp2p */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/log.h>
#include <lp2p/version.h>

#include "lp2pd/key_cmd.h"
#include "lp2pd/ping_cmd.h"
#include "lp2pd/perf_cmd.h"

/*
 * A node holds a descriptor per connection: take the hard open-file
 * limit (the soft one is often 1024), so that limits.system.fds, which
 * follows it, does not cap a node below limits.max_connections.
 */
static void raise_open_file_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct options {
	const char *config;
	int check_config;
	const char *gen_key;  /* --gen-key FILE */
	const char *key_type; /* --key-type TYPE */
	int print_id;
	int verbosity; /* +1 per -v, -1 per -q */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: lp2pd [-c FILE] [--check-config] [-v|-q]...\n"
	        "       lp2pd --gen-key FILE [--key-type TYPE]\n"
	        "       lp2pd --print-id [-c FILE]\n"
	        "       lp2pd ping [-n COUNT] [-i INTERVAL] [-W TIMEOUT] "
	        "MULTIADDR\n"
	        "       lp2pd perf MULTIADDR [options]  (lp2pd perf -h)\n"
	        "       lp2pd -V | -h\n"
	        "\n"
	        "  -c, --config FILE   configuration file (default: built-in)\n"
	        "      --check-config  validate the configuration, print what\n"
	        "                      would run, exit 0 (valid) or 1\n"
	        "      --gen-key FILE  write a new identity key (mode 0600) and\n"
	        "                      print its peer id\n"
	        "      --key-type TYPE ed25519 (default), secp256k1, ecdsa, rsa\n"
	        "      --print-id      print the peer id of the configured key\n"
	        "  -v, --verbose       more log output (repeatable)\n"
	        "  -q, --quiet         less log output (repeatable)\n"
	        "  -V, --version       print the version and exit\n"
	        "  -h, --help          print this help and exit\n"
	        "\n"
	        "See lp2pd(8) and lp2pd.yaml(5).\n");
}

enum { OPT_CHECK_CONFIG = 256, OPT_GEN_KEY, OPT_KEY_TYPE, OPT_PRINT_ID };

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
		{"gen-key", required_argument, NULL, OPT_GEN_KEY},
		{"key-type", required_argument, NULL, OPT_KEY_TYPE},
		{"print-id", no_argument, NULL, OPT_PRINT_ID},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:vqVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case OPT_CHECK_CONFIG: o->check_config = 1; break;
		case OPT_GEN_KEY: o->gen_key = optarg; break;
		case OPT_KEY_TYPE: o->key_type = optarg; break;
		case OPT_PRINT_ID: o->print_id = 1; break;
		case 'v': o->verbosity++; break;
		case 'q': o->verbosity--; break;
		case 'V':
			printf("lp2pd %s (plugin ABI %d)\n",
			       LP2P_VERSION_STRING, LP2P_PLUGIN_ABI);
			exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lp2pd: unexpected argument '%s'\n",
		        argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Log level and target: the config's, moved by -v/-q. */
static void setup_log(const lp2p_config *cfg, int verbosity)
{
	const lp2p_config_node *log =
		lp2p_config_get(lp2p_config_root(cfg), "log");
	const char *s;
	int level = LP2P_LOG_INFO;
	char err[256];
	if (lp2p_config_get_string(log, "level", &s, err, sizeof err) == 0)
		level = lp2p_log_level_from_name(s);
	lp2p_log_set_level(level + verbosity);
	if (lp2p_config_get_string(log, "target", &s, err, sizeof err) == 0 &&
	    strcmp(s, "syslog") == 0) {
		const char *ident = "lp2pd";
		lp2p_config_get_string(log, "syslog_ident", &ident, err,
		                       sizeof err);
		lp2p_log_to_syslog(ident, LOG_DAEMON);
	}
}

static void announce_running(void *arg)
{
	lp2p_log(LP2P_LOG_NOTICE, "lp2pd %s running (config %s)",
	         LP2P_VERSION_STRING, lp2p_config_source(arg));
}

int main(int argc, char **argv)
{
	struct options o = {0};
	char err[1024] = "";
	lp2p_config *cfg = NULL;
	lp2p_host *host = NULL;
	int rc;

	/* getopt's messages name the subcommand as "lp2pd ping: ..." */
	static char ping_name[] = "lp2pd ping", perf_name[] = "lp2pd perf";
	if (argc > 1 && strcmp(argv[1], "ping") == 0) {
		argv[1] = ping_name;
		return lp2pd_ping_main(argc - 1, argv + 1);
	}
	if (argc > 1 && strcmp(argv[1], "perf") == 0) {
		argv[1] = perf_name;
		return lp2pd_perf_main(argc - 1, argv + 1);
	}
	if (parse_args(argc, argv, &o) != 0)
		return 2;
	if (o.gen_key)
		return lp2pd_gen_key(o.gen_key, o.key_type);
	if (o.print_id)
		return lp2pd_print_id(o.config);
	lp2p_log_set_level(LP2P_LOG_INFO + o.verbosity);

	if (o.config)
		rc = lp2p_config_load_file(o.config, &cfg, err, sizeof err);
	else
		rc = lp2p_config_load_default(&cfg, err, sizeof err);
	if (rc) {
		fprintf(stderr, "lp2pd: %s\n", err);
		return 1;
	}
	setup_log(cfg, o.verbosity);
	raise_open_file_limit();

	rc = lp2p_host_new(cfg, &host, err, sizeof err);
	if (rc) {
		fprintf(stderr, "lp2pd: %s\n", err);
		lp2p_config_free(cfg);
		return 1;
	}
	if (o.check_config) {
		lp2p_host_describe(host, stdout);
		printf("configuration OK\n");
		lp2p_host_free(host);
		lp2p_config_free(cfg);
		return 0;
	}
	rc = lp2p_host_start(host, err, sizeof err);
	if (rc) {
		fprintf(stderr, "lp2pd: %s\n", err);
		lp2p_host_free(host);
		lp2p_config_free(cfg);
		return 1;
	}
	/* Announce from inside the loop, once SIGTERM is being handled. */
	lp2p_host_post(host, announce_running, cfg);
	rc = lp2p_host_run(host, 1);
	lp2p_host_free(host);
	lp2p_config_free(cfg);
	lp2p_log(LP2P_LOG_NOTICE, "lp2pd stopped");
	return rc ? 1 : 0;
}
