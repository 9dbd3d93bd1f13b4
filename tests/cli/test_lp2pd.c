/*
 * test_lp2pd.c - the lp2pd command line as a user meets it: --version,
 * --help, --check-config on good and bad files, start + SIGTERM, and
 * the argument order of the ping and perf subcommands.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <lp2p/version.h>

struct run {
	int status; /* exit code, or 128+signal */
	char out[8192];
	char err[8192];
};

static void read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
}

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Start argv with stdout and stderr on pipes; env: "NAME=value" strings
 * added to the environment, NULL-terminated, or NULL. */
static pid_t spawn_env(char *const argv[], char *const env[], int *out_fd,
                       int *err_fd)
{
	int o[2], e[2];
	assert_int_equal(pipe(o), 0);
	assert_int_equal(pipe(e), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (; env && *env; env++)
			putenv(*env);
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		close(o[1]);
		close(e[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	*out_fd = o[0];
	*err_fd = e[0];
	return pid;
}

static pid_t spawn(char *const argv[], int *out_fd, int *err_fd)
{
	return spawn_env(argv, NULL, out_fd, err_fd);
}

/* Run lp2pd with the arguments in args (NULL-terminated) and the extra
 * environment env (or NULL) to completion. */
static void run_lp2pd_args(struct run *r, char *const env[],
                           const char *const args[])
{
	char *argv[16];
	size_t n = 0;
	argv[n++] = (char *)LP2PD;
	for (; *args; args++) {
		assert_true(n + 1 < sizeof argv / sizeof argv[0]);
		argv[n++] = (char *)*args;
	}
	argv[n] = NULL;
	int ofd, efd;
	pid_t pid = spawn_env(argv, env, &ofd, &efd);
	read_all(ofd, r->out, sizeof r->out);
	read_all(efd, r->err, sizeof r->err);
	close(ofd);
	close(efd);
	r->status = wait_status(pid);
}

/* Run lp2pd with up to 4 arguments to completion. */
static void run_lp2pd(struct run *r, const char *a1, const char *a2,
                      const char *a3)
{
	char *argv[] = {(char *)LP2PD, (char *)a1, (char *)a2, (char *)a3,
	                NULL};
	int ofd, efd;
	pid_t pid = spawn(argv, &ofd, &efd);
	read_all(ofd, r->out, sizeof r->out);
	read_all(efd, r->err, sizeof r->err);
	close(ofd);
	close(efd);
	r->status = wait_status(pid);
}

static char *write_temp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/lp2pd-cli-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void version(void **state)
{
	(void)state;
	struct run r;
	run_lp2pd(&r, "--version", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "lp2pd " LP2P_VERSION_STRING));
	run_lp2pd(&r, "-V", NULL, NULL);
	assert_int_equal(r.status, 0);
}

static void help_and_bad_usage(void **state)
{
	(void)state;
	struct run r;
	run_lp2pd(&r, "--help", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--check-config"));
	run_lp2pd(&r, "--no-such-option", NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage:"));
	run_lp2pd(&r, "stray", NULL, NULL);
	assert_int_equal(r.status, 2);
}

/*
 * A TCP address on 127.0.0.1 where nothing listens: a socket bound to a
 * free port but not listening, kept open so that no one else takes the
 * port while the test dials it (the dial is refused at once).
 */
static int closed_port_addr(char *buf, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(buf, cap, "/ip4/127.0.0.1/tcp/%u", ntohs(sin.sin_port));
	return fd;
}

/* The subcommand parsed its arguments and went as far as dialling. */
static void assert_dial_refused(const struct run *r, const char *cmd)
{
	if (r->status != 1 || strstr(r->err, "usage:") ||
	    !strstr(r->err, "not connected"))
		fail_msg("lp2pd %s: status %d, stderr '%s'", cmd, r->status,
		         r->err);
}

/* The subcommand refused its arguments with the usage text. */
static void assert_usage_error(const struct run *r, const char *cmd)
{
	if (r->status != 2 || !strstr(r->err, "usage:"))
		fail_msg("lp2pd %s: status %d, stderr '%s'", cmd, r->status,
		         r->err);
}

/*
 * Options before and after the operand of ping and perf, as with ping(8);
 * also under POSIXLY_CORRECT, where getopt would stop at the address.
 */
static void subcommand_option_order(void **state)
{
	(void)state;
	char addr[64];
	int fd = closed_port_addr(addr, sizeof addr);
	char *posix[] = {"POSIXLY_CORRECT=1", NULL};
	char *const *envs[] = {NULL, posix};
	struct run r;
	for (size_t i = 0; i < 2; i++) {
		char *const *env = envs[i];
		run_lp2pd_args(&r, env, (const char *[]){"ping", "-n", "3", addr,
		                                         NULL});
		assert_dial_refused(&r, "ping -n 3 ADDR");
		run_lp2pd_args(&r, env, (const char *[]){"ping", addr, "-n", "3",
		                                         NULL});
		assert_dial_refused(&r, "ping ADDR -n 3");
		run_lp2pd_args(&r, env,
		               (const char *[]){"ping", "-i", "0.5", addr, "-n",
		                                "3", "-W", "5", NULL});
		assert_dial_refused(&r, "ping -i 0.5 ADDR -n 3 -W 5");
		run_lp2pd_args(&r, env, (const char *[]){"ping", "-n", "3", "--",
		                                         addr, NULL});
		assert_dial_refused(&r, "ping -n 3 -- ADDR");

		run_lp2pd_args(&r, env,
		               (const char *[]){"perf", addr, "--upload-bytes",
		                                "1K", "--download-bytes", "1K",
		                                NULL});
		assert_dial_refused(&r, "perf ADDR --upload-bytes 1K ...");
		run_lp2pd_args(&r, env,
		               (const char *[]){"perf", "--upload-bytes", "1K",
		                                addr, "--download-bytes=1K",
		                                "--json", NULL});
		assert_dial_refused(&r, "perf --upload-bytes 1K ADDR ...");

		/* a wrong option after the address is still a usage error */
		run_lp2pd_args(&r, env, (const char *[]){"ping", addr, "-x",
		                                         NULL});
		assert_usage_error(&r, "ping ADDR -x");
		assert_non_null(strstr(r.err, "lp2pd ping: invalid option"));
		run_lp2pd_args(&r, env, (const char *[]){"ping", addr, "-n",
		                                         NULL});
		assert_usage_error(&r, "ping ADDR -n");
		run_lp2pd_args(&r, env,
		               (const char *[]){"perf", addr, "--upload-bytes",
		                                "1K", "--no-such-option", NULL});
		assert_usage_error(&r, "perf ADDR --no-such-option");
		assert_non_null(strstr(r.err, "lp2pd perf: unrecognized option"));
		/* one address, no more, no less */
		run_lp2pd_args(&r, env, (const char *[]){"ping", addr, "-n", "3",
		                                         addr, NULL});
		assert_usage_error(&r, "ping ADDR -n 3 ADDR");
		run_lp2pd_args(&r, env, (const char *[]){"ping", "-n", "3", NULL});
		assert_usage_error(&r, "ping -n 3");
		run_lp2pd_args(&r, env, (const char *[]){"perf", addr, "--json",
		                                         "--", addr, NULL});
		assert_usage_error(&r, "perf ADDR --json -- ADDR");
		run_lp2pd_args(&r, env, (const char *[]){"perf", "--json", NULL});
		assert_usage_error(&r, "perf --json");
	}
	close(fd);
}

static void check_config_good(void **state)
{
	(void)state;
	char *path = write_temp("listen: [/ip4/127.0.0.1/tcp/0]\n"
	                        "security: [noise]\n"
	                        "muxers: [mplex, yamux]\n");
	struct run r;
	run_lp2pd(&r, "--check-config", "-c", path);
	unlink(path);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "muxers       mplex, yamux"));
	assert_non_null(strstr(r.out, "configuration OK"));
	/* the effective limits, defaults included */
	assert_non_null(strstr(r.out, "limits "));
	assert_non_null(strstr(r.out, "  each peer              8 (8/8)"));
	assert_non_null(strstr(r.out, "  each stream            -"));
}

static void check_config_bad(void **state)
{
	(void)state;
	char *path = write_temp("listen: [/ip4/127.0.0.1/tcp/0]\n"
	                        "muxers: [yamux]\n"
	                        "limits:\n"
	                        "  max_streams: 5\n");
	struct run r;
	run_lp2pd(&r, "--check-config", "-c", path);
	assert_int_equal(r.status, 1);
	char want[128];
	snprintf(want, sizeof want, "lp2pd: %s:4:3: limits.max_streams: unknown key",
	         path);
	if (!strstr(r.err, want))
		fail_msg("stderr '%s' lacks '%s'", r.err, want);
	assert_null(strstr(r.out, "configuration OK"));
	/* Without --check-config the node does not start either. */
	run_lp2pd(&r, "-c", path, NULL);
	assert_int_equal(r.status, 1);
	unlink(path);

	run_lp2pd(&r, "-c", "/nonexistent.yaml", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "/nonexistent.yaml: cannot open"));
}

/* pnet.key_file is read by --check-config: a bad key names the file and
 * the fault; a good one passes. */
static void check_config_pnet(void **state)
{
	(void)state;
	char key[64], cfg_text[256], want[256];
	snprintf(key, sizeof key, "%s",
	         write_temp("/key/swarm/psk/1.0.0/\n/base16/\n"
	                    "0123456789abcdef0123456789abcdef\n"));
	snprintf(cfg_text, sizeof cfg_text,
	         "listen: [/ip4/127.0.0.1/tcp/0]\npnet:\n  key_file: %s\n", key);
	char *path = write_temp(cfg_text);
	struct run r;
	run_lp2pd(&r, "--check-config", "-c", path);
	assert_int_equal(r.status, 1);
	snprintf(want, sizeof want,
	         "lp2pd: %s:3:13: pnet.key_file: %s: the key has 32 hex digits; "
	         "a PSK is 64 (32 bytes)",
	         path, key);
	if (!strstr(r.err, want))
		fail_msg("stderr '%s' lacks '%s'", r.err, want);
	assert_null(strstr(r.out, "configuration OK"));

	FILE *f = fopen(key, "w");
	assert_non_null(f);
	fputs("/key/swarm/psk/1.0.0/\n/base16/\n"
	      "0123456789abcdef0123456789abcdef"
	      "0123456789abcdef0123456789abcdef\n",
	      f);
	fclose(f);
	run_lp2pd(&r, "--check-config", "-c", path);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "configuration OK"));
	unlink(path);
	unlink(key);
}

static void check_config_missing_plugin(void **state)
{
	(void)state;
	char *path = write_temp("plugins:\n  nosuchplugin: {}\n");
	struct run r;
	run_lp2pd(&r, "--check-config", "-c", path);
	unlink(path);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "plugin 'nosuchplugin': nosuchplugin.so "
	                              "not found; looked in:"));
}

/* Read from fd until want appears in buf or the deadline passes. */
static int wait_for_text(int fd, char *buf, size_t cap, const char *want,
                         int timeout_ms)
{
	size_t n = strlen(buf);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!strstr(buf, want)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long spent = (now.tv_sec - start.tv_sec) * 1000 +
		             (now.tv_nsec - start.tv_nsec) / 1000000;
		if (spent >= timeout_ms)
			return -1;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)(timeout_ms - spent)) <= 0)
			return -1;
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
	}
	return 0;
}

static void start_and_sigterm(void **state)
{
	(void)state;
	char *path = write_temp("listen: [/ip4/127.0.0.1/tcp/0]\n");
	char *argv[] = {(char *)LP2PD, "-c", path, NULL};
	int ofd, efd;
	pid_t pid = spawn(argv, &ofd, &efd);
	char err[8192] = "";
	if (wait_for_text(efd, err, sizeof err, "running", 10000) != 0) {
		kill(pid, SIGKILL);
		wait_status(pid);
		fail_msg("lp2pd did not report running; stderr: %s", err);
	}
	/* SIGUSR1: a report of the resource scopes, and it keeps running */
	assert_int_equal(kill(pid, SIGUSR1), 0);
	assert_int_equal(wait_for_text(efd, err, sizeof err,
	                               "peers with a scope", 10000),
	                 0);
	assert_non_null(strstr(err, "resources: system: connections 0 in / 0 "
	                            "out (limit 1024), streams 0 in / 0 out "
	                            "(limit 16384)"));
	assert_non_null(strstr(err, "resources: transient: "));
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(wait_for_text(efd, err, sizeof err, "stopped", 10000),
	                 0);
	int status = wait_status(pid);
	close(ofd);
	close(efd);
	unlink(path);
	assert_int_equal(status, 0);
	assert_non_null(strstr(err, "received SIGTERM"));
}

static void gen_key_and_print_id(void **state)
{
	(void)state;
	char dir[] = "/tmp/lp2pd-key-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char key[128], cfgtext[256];
	snprintf(key, sizeof key, "%s/id.key", dir);
	struct run r, r2;
	run_lp2pd(&r, "--gen-key", key, "--key-type=secp256k1");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "16Uiu2"));
	struct stat st;
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never over an existing key */
	run_lp2pd(&r2, "--gen-key", key, NULL);
	assert_int_equal(r2.status, 1);
	assert_non_null(strstr(r2.err, "exists"));
	snprintf(cfgtext, sizeof cfgtext, "identity:\n  key_file: %s\n", key);
	char *cfg = write_temp(cfgtext);
	run_lp2pd(&r2, "--print-id", "-c", cfg);
	assert_int_equal(r2.status, 0);
	assert_string_equal(r2.out, r.out);
	/* a key readable by others is refused, and the node does not start */
	assert_int_equal(chmod(key, 0644), 0);
	run_lp2pd(&r2, "--print-id", "-c", cfg);
	assert_int_equal(r2.status, 1);
	run_lp2pd(&r2, "-c", cfg, NULL);
	assert_int_equal(r2.status, 1);
	assert_non_null(strstr(r2.err, key));
	run_lp2pd(&r2, "--gen-key", "/nonexistent-dir/k", "--key-type=dsa");
	assert_int_equal(r2.status, 2);
	unlink(cfg);
	unlink(key);
	rmdir(dir);
	/* without a key file there is no stable id to print */
	run_lp2pd(&r2, "--print-id", NULL, NULL);
	assert_int_equal(r2.status, 1);
	assert_non_null(strstr(r2.err, "ephemeral"));
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version),
		cmocka_unit_test(help_and_bad_usage),
		cmocka_unit_test(subcommand_option_order),
		cmocka_unit_test(check_config_good),
		cmocka_unit_test(check_config_bad),
		cmocka_unit_test(check_config_pnet),
		cmocka_unit_test(check_config_missing_plugin),
		cmocka_unit_test(start_and_sigterm),
		cmocka_unit_test(gen_key_and_print_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
