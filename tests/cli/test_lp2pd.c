/*
 * test_lp2pd.c - the lp2pd command line as a user meets it: --version,
 * --help, --check-config on good and bad files, and start + SIGTERM.
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

static pid_t spawn(char *const argv[], int *out_fd, int *err_fd)
{
	int o[2], e[2];
	assert_int_equal(pipe(o), 0);
	assert_int_equal(pipe(e), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
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
		cmocka_unit_test(check_config_good),
		cmocka_unit_test(check_config_bad),
		cmocka_unit_test(check_config_missing_plugin),
		cmocka_unit_test(start_and_sigterm),
		cmocka_unit_test(gen_key_and_print_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
