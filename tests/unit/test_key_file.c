/* test_key_file.c - key files: atomic 0600 save, no silent overwrite, load
 * refusing open modes and bad content, with reasons naming the path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <lp2p/crypto.h>

#include "key_vectors.h"

struct fixture {
	char dir[256];
	char path[300];
	char err[256];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/lp2p-keyfile-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/identity.key", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	DIR *d = opendir(fx->dir);
	struct dirent *e;
	char p[600];
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", fx->dir, e->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Entries in the fixture directory (to catch leftover temporary files). */
static int dir_entries(const struct fixture *fx)
{
	DIR *d = opendir(fx->dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void write_file(const char *path, const void *data, size_t len,
                       mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, cap);
	assert_true(n >= 0);
	close(fd);
	return (size_t)n;
}

static void assert_reason(const struct fixture *fx, const char *what)
{
	if (!strstr(fx->err, fx->path) || !strstr(fx->err, what))
		fail_msg("reason \"%s\" lacks the path or \"%s\"", fx->err,
		         what);
}

static void save_then_load_every_type(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		enum lp2p_key_type type;
		unsigned bits;
	} types[] = {
	    {LP2P_KEY_ED25519, 0},
	    {LP2P_KEY_SECP256K1, 0},
	    {LP2P_KEY_ECDSA, 256},
	    {LP2P_KEY_RSA, 2048},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct lp2p_key *key, *loaded;
		struct stat st;
		static uint8_t want[LP2P_KEY_PRIVATE_MAX],
		    got[LP2P_KEY_PRIVATE_MAX];

		unlink(fx->path);
		assert_int_equal(
		    lp2p_key_generate(types[i].type, types[i].bits, &key), 0);
		assert_int_equal(lp2p_key_file_save(fx->path, key, 0, fx->err,
		                                    sizeof(fx->err)),
		                 0);
		assert_int_equal(stat(fx->path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(dir_entries(fx), 1);

		/* The file is exactly the protobuf PrivateKey. */
		int n = lp2p_key_marshal_private(key, want, sizeof(want));
		assert_true(n > 0);
		assert_int_equal(read_file(fx->path, got, sizeof(got)), n);
		assert_memory_equal(got, want, (size_t)n);

		assert_int_equal(lp2p_key_file_load(fx->path, &loaded, fx->err,
		                                    sizeof(fx->err)),
		                 0);
		assert_true(lp2p_key_is_private(loaded));
		assert_int_equal(lp2p_key_type(loaded), types[i].type);
		assert_true(lp2p_key_equal_public(loaded, key));
		lp2p_key_free(loaded);
		lp2p_key_free(key);
	}
}

static void mode_is_0600_whatever_the_umask(void **state)
{
	struct fixture *fx = *state;
	struct lp2p_key *key;
	struct stat st;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &key), 0);
	mode_t old = umask(0);
	int rc = lp2p_key_file_save(fx->path, key, 0, NULL, 0);
	umask(old);
	assert_int_equal(rc, 0);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	lp2p_key_free(key);
}

static void save_keeps_existing_file(void **state)
{
	struct fixture *fx = *state;
	struct lp2p_key *a, *b, *loaded;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &a), 0);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &b), 0);
	assert_int_equal(lp2p_key_file_save(fx->path, a, 0, NULL, 0), 0);

	assert_int_equal(
	    lp2p_key_file_save(fx->path, b, 0, fx->err, sizeof(fx->err)),
	    LP2P_EEXIST);
	assert_reason(fx, "exists");
	assert_int_equal(dir_entries(fx), 1);
	assert_int_equal(lp2p_key_file_load(fx->path, &loaded, NULL, 0), 0);
	assert_true(lp2p_key_equal_public(loaded, a));
	lp2p_key_free(loaded);

	/* Any existing entry counts, even one that is not a key. */
	char other[320];
	snprintf(other, sizeof(other), "%s/other", fx->dir);
	write_file(other, "x", 1, 0644);
	assert_int_equal(lp2p_key_file_save(other, b, 0, NULL, 0), LP2P_EEXIST);
	unlink(other);

	/* A dangling symlink passes the early check (access() follows it)
	 * but not the atomic move, which never replaces an entry. */
	char dangling[320];
	snprintf(dangling, sizeof(dangling), "%s/dangling", fx->dir);
	assert_int_equal(symlink("nowhere", dangling), 0);
	assert_int_equal(
	    lp2p_key_file_save(dangling, b, 0, fx->err, sizeof(fx->err)),
	    LP2P_EEXIST);
	assert_non_null(strstr(fx->err, "exists"));
	assert_int_equal(dir_entries(fx), 2);
	unlink(dangling);

	/* Asked to, it replaces the key. */
	assert_int_equal(
	    lp2p_key_file_save(fx->path, b, LP2P_KEY_FILE_OVERWRITE, NULL, 0),
	    0);
	assert_int_equal(dir_entries(fx), 1);
	assert_int_equal(lp2p_key_file_load(fx->path, &loaded, NULL, 0), 0);
	assert_true(lp2p_key_equal_public(loaded, b));
	lp2p_key_free(loaded);
	lp2p_key_free(a);
	lp2p_key_free(b);
}

static void save_refuses_bad_arguments(void **state)
{
	struct fixture *fx = *state;
	struct lp2p_key *key, *pub;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &key), 0);
	assert_int_equal(lp2p_key_public(key, &pub), 0);

	assert_int_equal(
	    lp2p_key_file_save(fx->path, pub, 0, fx->err, sizeof(fx->err)),
	    LP2P_EINVAL);
	assert_reason(fx, "public-only");
	assert_int_equal(lp2p_key_file_save(NULL, key, 0, NULL, 0),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_key_file_save("", key, 0, NULL, 0), LP2P_EINVAL);
	assert_int_equal(lp2p_key_file_save(fx->path, NULL, 0, NULL, 0),
	                 LP2P_EINVAL);
	assert_int_equal(dir_entries(fx), 0);

	/* A directory that does not exist. */
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/no/such/dir/key", fx->dir);
	assert_int_equal(
	    lp2p_key_file_save(missing, key, 0, fx->err, sizeof(fx->err)),
	    LP2P_ENOTFOUND);
	assert_non_null(strstr(fx->err, missing));

	/* A path too long for the temporary name. */
	static char longpath[5000];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	assert_int_equal(lp2p_key_file_save(longpath, key, 0, NULL, 0),
	                 LP2P_EINVAL);
	assert_int_equal(dir_entries(fx), 0);
	lp2p_key_free(pub);
	lp2p_key_free(key);
}

static void load_refuses_open_modes(void **state)
{
	struct fixture *fx = *state;
	struct lp2p_key *key, *loaded = NULL;
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &key), 0);
	assert_int_equal(lp2p_key_file_save(fx->path, key, 0, NULL, 0), 0);

	static const mode_t bad[] = {0644, 0640, 0604, 0660,       0602,
	                             0620, 0610, 0601, 0700 | 0007};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char mode[8];
		assert_int_equal(chmod(fx->path, bad[i]), 0);
		assert_int_equal(lp2p_key_file_load(fx->path, &loaded, fx->err,
		                                    sizeof(fx->err)),
		                 LP2P_EPERM);
		snprintf(mode, sizeof(mode), "%04o", (unsigned)bad[i]);
		assert_reason(fx, mode);
		assert_null(loaded);
	}
	static const mode_t good[] = {0600, 0400, 0700, 0200};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(chmod(fx->path, good[i]), 0);
		if (good[i] == 0200 && geteuid() != 0)
			continue; /* unreadable for non-root: not a mode case */
		assert_int_equal(lp2p_key_file_load(fx->path, &loaded, NULL, 0),
		                 0);
		assert_true(lp2p_key_equal_public(loaded, key));
		lp2p_key_free(loaded);
		loaded = NULL;
	}
	lp2p_key_free(key);
}

static void load_missing_file(void **state)
{
	struct fixture *fx = *state;
	struct lp2p_key *loaded = NULL;
	assert_int_equal(
	    lp2p_key_file_load(fx->path, &loaded, fx->err, sizeof(fx->err)),
	    LP2P_ENOTFOUND);
	assert_reason(fx, "No such file");
	assert_null(loaded);
	assert_int_equal(lp2p_key_file_load(NULL, &loaded, NULL, 0),
	                 LP2P_EINVAL);
	assert_int_equal(lp2p_key_file_load(fx->path, NULL, NULL, 0),
	                 LP2P_EINVAL);
}

static void load_refuses_bad_content(void **state)
{
	struct fixture *fx = *state;
	struct lp2p_key *loaded = NULL;
	static uint8_t buf[LP2P_KEY_PRIVATE_MAX + 1];
	size_t n;

	/* Empty. */
	write_file(fx->path, "", 0, 0600);
	assert_int_equal(
	    lp2p_key_file_load(fx->path, &loaded, fx->err, sizeof(fx->err)),
	    LP2P_EPROTO);
	assert_reason(fx, "empty");

	/* Text, not protobuf. */
	write_file(fx->path, "not a key\n", 10, 0600);
	assert_int_equal(
	    lp2p_key_file_load(fx->path, &loaded, fx->err, sizeof(fx->err)),
	    LP2P_EPROTO);
	assert_reason(fx, "not a valid libp2p private key");

	/* A valid key cut short, or with a byte more. */
	n = (size_t)hex_decode(vector_ed25519_private, buf, sizeof(buf));
	write_file(fx->path, buf, n - 1, 0600);
	assert_int_equal(lp2p_key_file_load(fx->path, &loaded, NULL, 0),
	                 LP2P_EPROTO);
	buf[n] = 0;
	write_file(fx->path, buf, n + 1, 0600);
	assert_int_equal(lp2p_key_file_load(fx->path, &loaded, NULL, 0),
	                 LP2P_EPROTO);

	/* A public key is not a private key. */
	n = (size_t)hex_decode(vector_ed25519_public, buf, sizeof(buf));
	write_file(fx->path, buf, n, 0600);
	assert_int_equal(lp2p_key_file_load(fx->path, &loaded, NULL, 0),
	                 LP2P_EPROTO);

	/* An unknown key type. */
	n = (size_t)hex_decode(vector_ed25519_private, buf, sizeof(buf));
	buf[1] = 9;
	write_file(fx->path, buf, n, 0600);
	assert_int_equal(
	    lp2p_key_file_load(fx->path, &loaded, fx->err, sizeof(fx->err)),
	    LP2P_ENOTSUP);
	assert_reason(fx, "unsupported");

	/* Too large to be a key. */
	memset(buf, 0, sizeof(buf));
	write_file(fx->path, buf, sizeof(buf), 0600);
	assert_int_equal(
	    lp2p_key_file_load(fx->path, &loaded, fx->err, sizeof(fx->err)),
	    LP2P_ERANGE);
	assert_reason(fx, "too large");

	/* Not a regular file. */
	unlink(fx->path);
	assert_int_equal(mkdir(fx->path, 0700), 0);
	assert_int_equal(
	    lp2p_key_file_load(fx->path, &loaded, fx->err, sizeof(fx->err)),
	    LP2P_EIO);
	assert_reason(fx, "not a regular file");
	rmdir(fx->path);
	assert_null(loaded);
}

/* Key files written by go-libp2p hold the same bytes as the spec's
 * vectors: every vector loads. */
static void load_spec_vectors(void **state)
{
	struct fixture *fx = *state;
	static uint8_t buf[LP2P_KEY_PRIVATE_MAX];
	const char *vectors[] = {vector_ed25519_private,
	                         vector_secp256k1_private, vector_ecdsa_private,
	                         vector_rsa_private};
	for (size_t i = 0; i < 4; i++) {
		struct lp2p_key *key;
		int n = hex_decode(vectors[i], buf, sizeof(buf));
		assert_true(n > 0);
		write_file(fx->path, buf, (size_t)n, 0600);
		assert_int_equal(lp2p_key_file_load(fx->path, &key, fx->err,
		                                    sizeof(fx->err)),
		                 0);
		assert_int_equal(lp2p_key_type(key), (int)(buf[1]));
		lp2p_key_free(key);
	}
}

static void reason_is_truncated_safely(void **state)
{
	struct fixture *fx = *state;
	struct lp2p_key *key;
	char small[8];
	memset(small, 'x', sizeof(small));
	assert_int_equal(
	    lp2p_key_file_load(fx->path, &key, small, sizeof(small)),
	    LP2P_ENOTFOUND);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, fx->path, sizeof(small) - 1);
	/* errcap 0 writes nothing. */
	small[0] = 'z';
	assert_int_equal(lp2p_key_file_load(fx->path, &key, small, 0),
	                 LP2P_ENOTFOUND);
	assert_int_equal(small[0], 'z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(save_then_load_every_type, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(mode_is_0600_whatever_the_umask,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(save_keeps_existing_file, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(save_refuses_bad_arguments, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(load_refuses_open_modes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(load_missing_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(load_refuses_bad_content, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(load_spec_vectors, setup, teardown),
	    cmocka_unit_test_setup_teardown(reason_is_truncated_safely, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
