/*
 * test_plugin_loader.c - the plugin lifecycle through the public API, with
 * the small plugins of tests/plugins: every refusal class and the order of
 * init/fini.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <lp2p/config.h>
#include <lp2p/host.h>
#include <lp2p/log.h>

static lp2p_config *config(const char *plugins_yaml)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml,
	         "plugin_path: [%s]\n"
	         "listen: []\n"
	         "plugins:\n%s",
	         TEST_PLUGIN_DIR, plugins_yaml);
	lp2p_config *c = NULL;
	char err[512];
	if (lp2p_config_load_string(yaml, strlen(yaml), "t.yaml", &c, err,
	                            sizeof err))
		fail_msg("config: %s", err);
	return c;
}

/* lp2p_host_new must fail with rc and a message containing want. */
static void new_fails(const char *plugins_yaml, int rc_want, const char *want)
{
	lp2p_config *c = config(plugins_yaml);
	lp2p_host *h = NULL;
	char err[1024] = "";
	int rc = lp2p_host_new(c, &h, err, sizeof err);
	assert_int_equal(rc, rc_want);
	assert_null(h);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
	lp2p_config_free(c);
}

static void not_found_names_the_search_path(void **state)
{
	(void)state;
	new_fails("  nosuch: {}\n", LP2P_ENOTFOUND,
	          "plugin 'nosuch': nosuch.so not found; looked in: "
	          TEST_PLUGIN_DIR);
}

static void not_a_shared_object(void **state)
{
	(void)state;
	char dir[] = "/tmp/lp2p-plugins-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/junk.so", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not an ELF file\n", f);
	fclose(f);
	lp2p_config *c = NULL;
	char full[1024], err[1024];
	snprintf(full, sizeof full, "plugin_path: [%s]\nplugins:\n  junk: {}\n",
	         dir);
	assert_int_equal(lp2p_config_load_string(full, strlen(full), "t.yaml",
	                                         &c, err, sizeof err),
	                 0);
	lp2p_host *h = NULL;
	assert_int_equal(lp2p_host_new(c, &h, err, sizeof err), LP2P_EINVAL);
	assert_non_null(strstr(err, "plugin 'junk': cannot load"));
	assert_non_null(strstr(err, path));
	lp2p_config_free(c);
	unlink(path);
	rmdir(dir);
}

static void missing_descriptor(void **state)
{
	(void)state;
	new_fails("  nodesc: {}\n", LP2P_EINVAL,
	          "not an lp2p plugin (no lp2p_plugin_descriptor symbol)");
}

/* A plugin built against the SDK before the toolkit (ABI 1) is refused,
 * and the message names it. */
static void old_abi(void **state)
{
	(void)state;
	char want[256];
	snprintf(want, sizeof want,
	         "plugin 'oldabi' (%s/oldabi.so): built for plugin ABI 1, "
	         "this runtime has ABI %d",
	         TEST_PLUGIN_DIR, LP2P_PLUGIN_ABI);
	assert_true(LP2P_PLUGIN_ABI >= 2);
	new_fails("  oldabi: {}\n", LP2P_EABI, want);
}

/* One built for ABI 2 (events were raw bytes, not the structs of
 * lp2p/events.h) is refused too. */
static void old_abi2(void **state)
{
	(void)state;
	char want[256];
	snprintf(want, sizeof want,
	         "plugin 'oldabi2' (%s/oldabi2.so): built for plugin ABI 2, "
	         "this runtime has ABI %d",
	         TEST_PLUGIN_DIR, LP2P_PLUGIN_ABI);
	assert_true(LP2P_PLUGIN_ABI >= 3);
	new_fails("  oldabi2: {}\n", LP2P_EABI, want);
}

static void wrong_abi(void **state)
{
	(void)state;
	char want[128];
	snprintf(want, sizeof want, "built for plugin ABI %d, this runtime has ABI %d",
	         LP2P_PLUGIN_ABI + 1000, LP2P_PLUGIN_ABI);
	new_fails("  wrongabi: {}\n", LP2P_EABI, want);
}

static void wrong_build_signature(void **state)
{
	(void)state;
	new_fails("  wrongsig: {}\n", LP2P_EABI,
	          "not binary compatible (built as 'lp2p-abi-1-ptr4-long4-sz4'");
}

static void config_check_failure_names_the_line(void **state)
{
	(void)state;
	new_fails("  good_a: {}\n  badconf:\n    nope: 1\n", LP2P_ECONFIG,
	          "plugin 'badconf': t.yaml:6:5: plugins.badconf.nope: "
	          "unknown key (known: ok)");
}

/* What lp2p_host_new (and lp2p_host_free) log for plugins_yaml, with
 * warnings on: stderr goes to a file meanwhile. */
static char *host_new_log(const char *plugins_yaml)
{
	lp2p_config *c = config(plugins_yaml);
	char path[] = "/tmp/lp2p-loader-log-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	int saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	int level = lp2p_log_get_level();
	lp2p_log_set_level(LP2P_LOG_WARN);
	lp2p_host *h = NULL;
	char err[1024] = "";
	int rc = lp2p_host_new(c, &h, err, sizeof err);
	lp2p_host_free(h);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lp2p_log_set_level(level);
	lp2p_config_free(c);
	if (rc)
		fail_msg("lp2p_host_new: %s", err);
	off_t len = lseek(fd, 0, SEEK_END);
	assert_true(len >= 0);
	char *text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t)len, 0), len);
	close(fd);
	return text;
}

/* A plugin that lists protocols but defines no accept_inbound_stream
 * loads, with a warning that names it, its file and a protocol; one that
 * defines it loads without. */
static void protocols_without_accept_warn(void **state)
{
	(void)state;
	char *log = host_new_log("  noaccept: {}\n");
	char want[512];
	snprintf(want, sizeof want,
	         "plugin 'noaccept' (%s/noaccept.so) lists protocol "
	         "/lp2p-test/noaccept/1.0.0 but defines no "
	         "accept_inbound_stream: its inbound streams will be refused",
	         TEST_PLUGIN_DIR);
	if (!strstr(log, want))
		fail_msg("log '%s' lacks '%s'", log, want);
	assert_non_null(strstr(log, " warn "));
	free(log);
	log = host_new_log("  good_a: {}\n");
	if (strstr(log, "accept_inbound_stream"))
		fail_msg("unexpected warning: %s", log);
	free(log);
}

static void init_failure_stops_start(void **state)
{
	(void)state;
	char rec[] = "/tmp/lp2p-record-XXXXXX";
	int fd = mkstemp(rec);
	assert_true(fd >= 0);
	close(fd);
	char yaml[512];
	snprintf(yaml, sizeof yaml,
	         "  good_a:\n    record: %s\n  initfail: {}\n"
	         "  good_b:\n    record: %s\n",
	         rec, rec);
	lp2p_config *c = config(yaml);
	lp2p_host *h = NULL;
	char err[1024];
	assert_int_equal(lp2p_host_new(c, &h, err, sizeof err), 0);
	assert_int_equal(lp2p_host_start(h, err, sizeof err), LP2P_EIO);
	assert_non_null(
		strstr(err, "plugin 'initfail': init failed: the test asked me to fail"));
	lp2p_host_free(h);
	lp2p_config_free(c);

	/* good_a was started and stopped again; good_b never started */
	char buf[256] = "";
	FILE *f = fopen(rec, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(rec);
	assert_string_equal(buf, "good_a:init\ngood_a:fini\n");
}

static void stop_via_post(void *arg)
{
	lp2p_host_stop(arg);
}

static void lifecycle_order(void **state)
{
	(void)state;
	char rec[] = "/tmp/lp2p-record-XXXXXX";
	int fd = mkstemp(rec);
	assert_true(fd >= 0);
	close(fd);
	char yaml[512];
	snprintf(yaml, sizeof yaml,
	         "  good_a:\n    record: %s\n  good_b:\n    record: %s\n",
	         rec, rec);
	lp2p_config *c = config(yaml);
	lp2p_host *h = NULL;
	char err[1024];
	assert_int_equal(lp2p_host_new(c, &h, err, sizeof err), 0);
	FILE *d = tmpfile();
	lp2p_host_describe(h, d);
	rewind(d);
	char desc[2048] = "";
	size_t dn = fread(desc, 1, sizeof desc - 1, d);
	desc[dn] = '\0';
	fclose(d);
	assert_non_null(strstr(desc, "good_a 1.0"));
	assert_non_null(strstr(desc, "/lp2p-test/good_b/1.0.0"));

	assert_int_equal(lp2p_host_start(h, err, sizeof err), 0);
	assert_int_equal(lp2p_host_post(h, stop_via_post, h), 0);
	assert_int_equal(lp2p_host_run(h, 0), 0);
	lp2p_host_free(h);
	lp2p_config_free(c);

	char buf[256] = "";
	FILE *f = fopen(rec, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(rec);
	/* init in configuration order, fini in reverse */
	assert_string_equal(buf, "good_a:init\ngood_b:init\n"
	                         "good_b:fini\ngood_a:fini\n");
}

int main(void)
{
	lp2p_log_set_level(LP2P_LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_found_names_the_search_path),
		cmocka_unit_test(not_a_shared_object),
		cmocka_unit_test(missing_descriptor),
		cmocka_unit_test(wrong_abi),
		cmocka_unit_test(old_abi),
		cmocka_unit_test(old_abi2),
		cmocka_unit_test(wrong_build_signature),
		cmocka_unit_test(config_check_failure_names_the_line),
		cmocka_unit_test(init_failure_stops_start),
		cmocka_unit_test(protocols_without_accept_warn),
		cmocka_unit_test(lifecycle_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
