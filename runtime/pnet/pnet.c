/*
 * pnet.c - private networks (PSK v1): the key file codec and the
 * per-connection XSalsa20 state.  See pnet/pnet.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 30000
#endif
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/xsalsa20.h"
#include "pnet/pnet.h"

#define PSK_V1_HEADER "/key/swarm/psk/1.0.0/"
/* What every libp2p peer sends first: multistream-select's header. */
static const uint8_t mss_header[] = "\x13/multistream/1.0.0\n";
#define MSS_HEADER_LEN (sizeof(mss_header) - 1)

struct lp2p_pnet {
	struct lp2p_xsalsa20 tx, rx;
	/* The key, until the remote nonce is complete; then wiped. */
	uint8_t key[LP2P_PNET_KEY_LEN];
	uint8_t local_nonce[LP2P_PNET_NONCE_LEN];
	uint8_t remote_nonce[LP2P_PNET_NONCE_LEN];
	uint8_t remote_got;  /* bytes of remote_nonce received */
	uint8_t header_got;  /* plaintext bytes that matched mss_header */
	bool header_differs; /* one did not */
};

static int LP2P_PRINTF(4, 5)
    pnet_error(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/* A line of the file, quoted for an error message: at most 40 bytes,
 * anything unprintable as '?'. */
static void quote_line(const uint8_t *s, size_t len, char *out, size_t cap)
{
	size_t max = len > 40 ? 40 : len, n = 0;
	for (size_t i = 0; i < max && n + 1 < cap; i++)
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	if (len > max && n + 4 < cap) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/*
 * The line starting at *pos, without its "\n" and any "\r" before it (as
 * go-libp2p reads them).  false when no "\n" ends it.
 */
static bool next_line(const uint8_t *t, size_t len, size_t *pos,
                      const uint8_t **line, size_t *llen)
{
	const uint8_t *start = t + *pos;
	const uint8_t *nl = memchr(start, '\n', len - *pos);
	if (!nl)
		return false;
	size_t n = (size_t)(nl - start);
	while (n && start[n - 1] == '\r')
		n--;
	*line = start;
	*llen = n;
	*pos = (size_t)(nl - t) + 1;
	return true;
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* "line L, column C" of offset off in body (which starts on line 3). */
static void body_position(const uint8_t *body, size_t off, unsigned *line,
                          size_t *col)
{
	*line = 3;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (body[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int bad_char(const uint8_t *body, size_t off, const char *what,
                    char *err, size_t errlen)
{
	unsigned line;
	size_t col;
	uint8_t c = body[off];
	body_position(body, off, &line, &col);
	if (c > 0x20 && c < 0x7f)
		return pnet_error(err, errlen, LP2P_EPROTO,
		                  "line %u, column %zu: '%c' is not a %s", line,
		                  col, c, what);
	return pnet_error(err, errlen, LP2P_EPROTO,
	                  "line %u, column %zu: byte 0x%02x is not a %s", line,
	                  col, c, what);
}

static int decode_base16(const uint8_t *b, size_t n, uint8_t *key, char *err,
                         size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (hex_value(b[i]) < 0)
			return bad_char(b, i, "hex digit", err, errlen);
	if (n != 2 * LP2P_PNET_KEY_LEN)
		return pnet_error(err, errlen, LP2P_ERANGE,
		                  "the key has %zu hex digits; a PSK is %d "
		                  "(%d bytes)",
		                  n, 2 * LP2P_PNET_KEY_LEN, LP2P_PNET_KEY_LEN);
	for (size_t i = 0; i < LP2P_PNET_KEY_LEN; i++)
		key[i] = (uint8_t)(hex_value(b[2 * i]) << 4 |
		                   hex_value(b[2 * i + 1]));
	return 0;
}

/* Standard alphabet, as go-libp2p reads it; the one '=' of padding may be
 * left out.  (js-libp2p's @libp2p/pnet reads only /base16/.) */
static int decode_base64(const uint8_t *b, size_t n, uint8_t *key, char *err,
                         size_t errlen)
{
	size_t digits = n;
	while (digits && b[digits - 1] == '=')
		digits--;
	for (size_t i = 0; i < digits; i++)
		if (b64_value(b[i]) < 0)
			return bad_char(b, i, "base64 character", err, errlen);
	/* 32 bytes are 43 digits, and one '=' of padding */
	if (digits != 43)
		return pnet_error(err, errlen, LP2P_ERANGE,
		                  "the key is %zu bytes of base64; a PSK is %d "
		                  "(43 digits, then '=')",
		                  digits * 6 / 8, LP2P_PNET_KEY_LEN);
	if (n - digits > 1)
		return pnet_error(err, errlen, LP2P_EPROTO,
		                  "too much base64 padding ('=') after the key");
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t out = 0;
	for (size_t i = 0; i < digits; i++) {
		acc = acc << 6 | (uint32_t)b64_value(b[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			key[out++] = (uint8_t)(acc >> bits);
		}
	}
	OPENSSL_cleanse(&acc, sizeof acc);
	return 0;
}

int lp2p_pnet_key_parse(const uint8_t *text, size_t len,
                        uint8_t key[LP2P_PNET_KEY_LEN], char *err,
                        size_t errlen)
{
	const uint8_t *line;
	size_t llen, pos = 0;
	char q[48];
	uint8_t k[LP2P_PNET_KEY_LEN];
	int rc;

	if (!text || !key)
		return pnet_error(err, errlen, LP2P_EINVAL, "no key text");
	if (!next_line(text, len, &pos, &line, &llen) ||
	    llen != strlen(PSK_V1_HEADER) ||
	    memcmp(line, PSK_V1_HEADER, llen) != 0)
		return pnet_error(err, errlen, LP2P_EPROTO,
		                  "not a private network key: the first line "
		                  "must be " PSK_V1_HEADER);
	if (!next_line(text, len, &pos, &line, &llen))
		return pnet_error(err, errlen, LP2P_EPROTO,
		                  "line 2 must name the encoding (/base16/, "
		                  "/base64/ or /bin/)");

	const uint8_t *body = text + pos;
	size_t n = len - pos;
	if (llen == 5 && memcmp(line, "/bin/", 5) == 0) {
		if (n < LP2P_PNET_KEY_LEN)
			return pnet_error(err, errlen, LP2P_ERANGE,
			                  "the key is %zu bytes; a /bin/ PSK is "
			                  "%d",
			                  n, LP2P_PNET_KEY_LEN);
		for (size_t i = LP2P_PNET_KEY_LEN; i < n; i++)
			if (!is_space(body[i]))
				return pnet_error(
				    err, errlen, LP2P_ERANGE,
				    "the key is more than %d bytes (a /bin/ "
				    "PSK is %d; only whitespace may follow)",
				    LP2P_PNET_KEY_LEN, LP2P_PNET_KEY_LEN);
		memcpy(key, body, LP2P_PNET_KEY_LEN);
		return 0;
	}
	while (n && is_space(body[n - 1]))
		n--;
	if (llen == 8 && memcmp(line, "/base16/", 8) == 0)
		rc = decode_base16(body, n, k, err, errlen);
	else if (llen == 8 && memcmp(line, "/base64/", 8) == 0)
		rc = decode_base64(body, n, k, err, errlen);
	else {
		quote_line(line, llen, q, sizeof q);
		return pnet_error(err, errlen, LP2P_EPROTO,
		                  "line 2: unknown encoding '%s' (/base16/, "
		                  "/base64/ or /bin/)",
		                  q);
	}
	if (rc == 0)
		memcpy(key, k, sizeof k);
	OPENSSL_cleanse(k, sizeof k);
	return rc;
}

static int errno_to_lp2p(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR: return LP2P_ENOTFOUND;
	case EACCES:
	case EPERM: return LP2P_EPERM;
	case ENOMEM: return LP2P_ENOMEM;
	}
	return LP2P_EIO;
}

int lp2p_pnet_key_load(const char *path, uint8_t key[LP2P_PNET_KEY_LEN],
                       char *err, size_t errlen)
{
	uint8_t buf[LP2P_PNET_KEY_FILE_MAX + 1];
	char why[256];
	struct stat st;
	size_t len = 0;
	int rc;

	if (!path || !key)
		return pnet_error(err, errlen, LP2P_EINVAL,
		                  "no path or no output key");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		return pnet_error(err, errlen, errno_to_lp2p(e),
		                  "%s: cannot open the private network key: %s",
		                  path, strerror(e));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pnet_error(err, errlen, LP2P_EIO,
		                  "%s: the private network key is not a regular "
		                  "file",
		                  path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return pnet_error(err, errlen, LP2P_EPERM,
		                  "%s: mode %04o lets group or others read the "
		                  "private network key; it must be 0600 or "
		                  "stricter (chmod 600)",
		                  path, (unsigned)(st.st_mode & 07777));
	}
	/* Read one byte more than allowed, to see a file that grew. */
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof buf - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			OPENSSL_cleanse(buf, len);
			return pnet_error(err, errlen, LP2P_EIO,
			                  "%s: cannot read the private network "
			                  "key: %s",
			                  path, strerror(e));
		}
		if (r == 0 || (len += (size_t)r) == sizeof buf)
			break;
	}
	close(fd);
	if (len > LP2P_PNET_KEY_FILE_MAX) {
		OPENSSL_cleanse(buf, len);
		return pnet_error(err, errlen, LP2P_ERANGE,
		                  "%s: too large for a private network key (more "
		                  "than %d bytes)",
		                  path, LP2P_PNET_KEY_FILE_MAX);
	}
	rc = lp2p_pnet_key_parse(buf, len, key, why, sizeof why);
	OPENSSL_cleanse(buf, len);
	if (rc)
		return pnet_error(err, errlen, rc, "%s: %s", path, why);
	return 0;
}

void lp2p_pnet_key_fingerprint(const uint8_t key[LP2P_PNET_KEY_LEN],
                               char *out, size_t cap)
{
	static const uint8_t n[16] = "finprint"; /* then a zero counter */
	uint8_t block[LP2P_SALSA20_BLOCK_LEN], fp[16];
	bool ok = false;

	if (!out || !cap)
		return;
	lp2p_salsa20_expand32(block, key, n);
	EVP_MD *shake = EVP_MD_fetch(NULL, "SHAKE128", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (shake && ctx && EVP_DigestInit_ex(ctx, shake, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, block, sizeof block) == 1 &&
	    EVP_DigestFinalXOF(ctx, fp, sizeof fp) == 1)
		ok = true;
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(shake);
	OPENSSL_cleanse(block, sizeof block);
	if (!ok) {
		snprintf(out, cap, "?");
		return;
	}
	size_t w = 0;
	for (size_t i = 0; i < sizeof fp && w + 2 < cap; i++, w += 2)
		snprintf(out + w, cap - w, "%02x", fp[i]);
	out[w] = '\0';
}

int lp2p_pnet_new(const uint8_t key[LP2P_PNET_KEY_LEN],
                  struct lp2p_pnet **out)
{
	if (!key || !out)
		return LP2P_EINVAL;
	struct lp2p_pnet *p = calloc(1, sizeof *p);
	if (!p)
		return LP2P_ENOMEM;
	if (RAND_bytes(p->local_nonce, sizeof p->local_nonce) != 1) {
		free(p);
		return LP2P_ECRYPTO;
	}
	memcpy(p->key, key, LP2P_PNET_KEY_LEN);
	lp2p_xsalsa20_init(&p->tx, key, p->local_nonce);
	*out = p;
	return 0;
}

void lp2p_pnet_free(struct lp2p_pnet *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, sizeof *p);
	free(p);
}

const uint8_t *lp2p_pnet_local_nonce(const struct lp2p_pnet *p)
{
	return p->local_nonce;
}

/* Compare the first plaintext bytes with multistream-select's header. */
static void check_header(struct lp2p_pnet *p, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len && !p->header_differs &&
	                   p->header_got < MSS_HEADER_LEN;
	     i++) {
		if (buf[i] != mss_header[p->header_got])
			p->header_differs = true;
		else
			p->header_got++;
	}
}

size_t lp2p_pnet_recv(struct lp2p_pnet *p, uint8_t *buf, size_t len)
{
	size_t took = 0;

	if (p->remote_got < LP2P_PNET_NONCE_LEN) {
		took = LP2P_PNET_NONCE_LEN - p->remote_got;
		if (took > len)
			took = len;
		memcpy(p->remote_nonce + p->remote_got, buf, took);
		p->remote_got = (uint8_t)(p->remote_got + took);
		/* A peer outside any private network sends the header in
		 * the clear where the nonce goes (and may send nothing more
		 * until we answer): a random nonce starts that way with
		 * probability 2^-160. */
		if (p->remote_got >= MSS_HEADER_LEN &&
		    p->remote_got - took < MSS_HEADER_LEN &&
		    memcmp(p->remote_nonce, mss_header, MSS_HEADER_LEN) == 0)
			p->header_differs = true;
		if (p->remote_got < LP2P_PNET_NONCE_LEN)
			return took;
		lp2p_xsalsa20_init(&p->rx, p->key, p->remote_nonce);
		OPENSSL_cleanse(p->key, sizeof p->key);
	}
	lp2p_xsalsa20_xor(&p->rx, buf + took, len - took);
	if (p->header_got < MSS_HEADER_LEN && !p->header_differs)
		check_header(p, buf + took, len - took);
	return took;
}

void lp2p_pnet_seal(struct lp2p_pnet *p, uint8_t *buf, size_t len)
{
	lp2p_xsalsa20_xor(&p->tx, buf, len);
}

int lp2p_pnet_status(const struct lp2p_pnet *p)
{
	if (p->header_differs)
		return LP2P_ECRYPTO;
	return p->header_got == MSS_HEADER_LEN ? 0 : LP2P_EAGAIN;
}
