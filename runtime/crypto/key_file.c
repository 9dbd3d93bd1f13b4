/*
 * key_file.c - a private key on disk: one protobuf PrivateKey, binary, in a
 * file only its owner may access.  Saving is atomic (a 0600 temporary file
 * next to the target, synced, then renamed) and never replaces an existing
 * key unless asked to.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/key.h"

#include <openssl/crypto.h>

static int LP2P_PRINTF(5, 6)
    key_file_error(char *errbuf, size_t errcap, int rc, const char *path,
                   const char *fmt, ...)
{
	if (errbuf && errcap) {
		int n =
		    snprintf(errbuf, errcap, "%s: ", path ? path : "(null)");
		if (n >= 0 && (size_t)n < errcap) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(errbuf + n, errcap - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return rc;
}

static int errno_to_lp2p(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR: return LP2P_ENOTFOUND;
	case EACCES:
	case EPERM:
	case EROFS: return LP2P_EPERM;
	case EEXIST: return LP2P_EEXIST;
	case ENOMEM: return LP2P_ENOMEM;
	}
	return LP2P_EIO;
}

/* Read all of fd (at most cap bytes; LP2P_ERANGE if there is more). */
static ssize_t read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	uint8_t extra;

	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return (ssize_t)len;
		len += (size_t)n;
	}
	/* Full: the file must end here (it may have grown since fstat). */
	for (;;) {
		ssize_t n = read(fd, &extra, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n > 0) {
			errno = EFBIG;
			return -1;
		}
		return (ssize_t)len;
	}
}

static const char *key_content_reason(int rc)
{
	switch (rc) {
	case LP2P_ENOTSUP: return "unsupported key type or curve";
	case LP2P_ERANGE: return "key size out of range";
	case LP2P_ENOMEM: return "out of memory";
	}
	return "not a valid libp2p private key (protobuf PrivateKey)";
}

LP2P_API int lp2p_key_file_load(const char *path, struct lp2p_key **out,
                                char *errbuf, size_t errcap)
{
	uint8_t buf[LP2P_KEY_PRIVATE_MAX];
	struct stat st;

	if (!path || !out)
		return key_file_error(errbuf, errcap, LP2P_EINVAL, path,
		                      "no path or no output key");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int err = errno;
		return key_file_error(errbuf, errcap, errno_to_lp2p(err), path,
		                      "cannot open key file: %s",
		                      strerror(err));
	}
	/* fstat the open file, so the checks apply to what is read. */
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return key_file_error(errbuf, errcap, LP2P_EIO, path,
		                      "cannot stat key file: %s",
		                      strerror(err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return key_file_error(errbuf, errcap, LP2P_EIO, path,
		                      "key file is not a regular file");
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return key_file_error(
		    errbuf, errcap, LP2P_EPERM, path,
		    "key file mode %04o lets group or others access it; "
		    "it must be 0600 or stricter (chmod 600)",
		    (unsigned)(st.st_mode & 07777));
	}
	if (st.st_size > LP2P_KEY_PRIVATE_MAX) {
		close(fd);
		return key_file_error(errbuf, errcap, LP2P_ERANGE, path,
		                      "key file too large (%lld bytes, at most "
		                      "%d)",
		                      (long long)st.st_size,
		                      LP2P_KEY_PRIVATE_MAX);
	}
	ssize_t n = read_all(fd, buf, sizeof(buf));
	int err = errno;
	close(fd);
	if (n < 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		if (err == EFBIG)
			return key_file_error(errbuf, errcap, LP2P_ERANGE, path,
			                      "key file too large (at most %d "
			                      "bytes)",
			                      LP2P_KEY_PRIVATE_MAX);
		return key_file_error(errbuf, errcap, LP2P_EIO, path,
		                      "cannot read key file: %s",
		                      strerror(err));
	}
	if (n == 0)
		return key_file_error(errbuf, errcap, LP2P_EPROTO, path,
		                      "key file is empty");

	int rc = lp2p_key_unmarshal_private(buf, (size_t)n, out);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc < 0)
		return key_file_error(errbuf, errcap, rc, path, "%s",
		                      key_content_reason(rc));
	return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory holding path, so the rename itself is durable. */
static void sync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		size_t len = (size_t)(slash - path);
		if (len >= sizeof(dir))
			return;
		memcpy(dir, path, len);
		dir[len] = '\0';
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd); /* best effort: the data itself is synced */
		close(fd);
	}
}

/* Move tmp to path; without overwrite, fail with EEXIST atomically. */
static int move_into_place(const char *tmp, const char *path, int overwrite)
{
	if (overwrite)
		return rename(tmp, path);
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* The file system has no RENAME_NOREPLACE: link() fails if path
	 * exists, just as atomically. */
	if (link(tmp, path) != 0)
		return -1;
	unlink(tmp);
	return 0;
}

LP2P_API int lp2p_key_file_save(const char *path, const struct lp2p_key *key,
                                unsigned flags, char *errbuf, size_t errcap)
{
	uint8_t buf[LP2P_KEY_PRIVATE_MAX];
	char tmp[PATH_MAX];
	int overwrite = (flags & LP2P_KEY_FILE_OVERWRITE) != 0;
	int rc;

	if (!path || !*path || !key)
		return key_file_error(errbuf, errcap, LP2P_EINVAL, path,
		                      "no path or no key");
	if (!lp2p_key_is_private(key))
		return key_file_error(errbuf, errcap, LP2P_EINVAL, path,
		                      "cannot save a public-only key");
	if ((unsigned)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    sizeof(tmp))
		return key_file_error(errbuf, errcap, LP2P_EINVAL, path,
		                      "path too long");
	/* Report an existing file before doing any work (racy; the move
	 * below is the atomic check). */
	if (!overwrite && access(path, F_OK) == 0)
		return key_file_error(errbuf, errcap, LP2P_EEXIST, path,
		                      "key file exists; not replaced");

	int n = lp2p_key_marshal_private(key, buf, sizeof(buf));
	if (n < 0)
		return key_file_error(errbuf, errcap, n, path,
		                      "cannot encode the key: %s",
		                      lp2p_strerror(n));

	/* mkostemp creates with O_EXCL and mode 0600; fchmod makes 0600
	 * exact whatever the umask. */
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		OPENSSL_cleanse(buf, sizeof(buf));
		return key_file_error(errbuf, errcap, errno_to_lp2p(err), path,
		                      "cannot create a temporary file: %s",
		                      strerror(err));
	}
	int ok = fchmod(fd, S_IRUSR | S_IWUSR) == 0 &&
	         write_all(fd, buf, (size_t)n) == 0 && fsync(fd) == 0;
	int err = errno;
	OPENSSL_cleanse(buf, sizeof(buf));
	if (close(fd) != 0 && ok) {
		ok = 0;
		err = errno;
	}
	if (!ok) {
		unlink(tmp);
		return key_file_error(errbuf, errcap, LP2P_EIO, path,
		                      "cannot write %s: %s", tmp,
		                      strerror(err));
	}
	if (move_into_place(tmp, path, overwrite) != 0) {
		err = errno;
		unlink(tmp);
		rc = errno_to_lp2p(err);
		if (rc == LP2P_EEXIST)
			return key_file_error(errbuf, errcap, rc, path,
			                      "key file exists; not replaced");
		return key_file_error(errbuf, errcap, rc, path,
		                      "cannot move %s into place: %s", tmp,
		                      strerror(err));
	}
	sync_parent_dir(path);
	return 0;
}
