/* test_pnet.c - private networks: key files, and two connection states
 * talking over buffers cut in every size */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "crypto/xsalsa20.h"
#include "pnet/pnet.h"

#define HEADER "/key/swarm/psk/1.0.0/\n"
/* The key 00 01 02 ... 1f in each encoding. */
#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_HEX_UPPER                                                         \
	"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
#define KEY_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
/* Its fingerprint, from Kubo's algorithm in Go (x/crypto salsa20, sha3). */
#define FINGERPRINT_KEY0 "41dfbf48d882a8ee665983adfa7a48f7"

static uint8_t key0[32];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 32; i++)
		key0[i] = (uint8_t)i;
	return 0;
}

static int parse(const char *text, size_t len, uint8_t key[32], char *err,
                 size_t errlen)
{
	return lp2p_pnet_key_parse((const uint8_t *)text, len, key, err,
	                           errlen);
}

static void parse_ok(const char *text, size_t len)
{
	uint8_t key[32];
	char err[256] = "";
	int rc = parse(text, len, key, err, sizeof err);
	if (rc)
		fail_msg("'%s': %s", text, err);
	assert_memory_equal(key, key0, 32);
}

static void key_encodings(void **state)
{
	(void)state;
	static const char *const ok[] = {
		HEADER "/base16/\n" KEY_HEX,
		HEADER "/base16/\n" KEY_HEX "\n",
		HEADER "/base16/\n" KEY_HEX_UPPER "\n",
		HEADER "/base16/\n" KEY_HEX " \t\r\n\n",
		"/key/swarm/psk/1.0.0/\r\n/base16/\r\n" KEY_HEX "\r\n",
		HEADER "/base64/\n" KEY_B64 "\n",
		HEADER "/base64/\n" KEY_B64,
		/* without the padding */
		HEADER "/base64/\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		parse_ok(ok[i], strlen(ok[i]));

	/* /bin/: the raw bytes, which may include '\n' and NUL, then only
	 * whitespace */
	char bin[128];
	size_t n = 0;
	memcpy(bin, HEADER "/bin/\n", strlen(HEADER "/bin/\n"));
	n = strlen(HEADER "/bin/\n");
	memcpy(bin + n, key0, 32);
	parse_ok(bin, n + 32);
	bin[n + 32] = '\n';
	parse_ok(bin, n + 33);
	uint8_t key[32];
	char err[256];
	bin[n + 33] = 'x';
	assert_int_equal(parse(bin, n + 34, key, err, sizeof err), LP2P_ERANGE);
	assert_non_null(strstr(err, "more than 32 bytes"));
	assert_int_equal(parse(bin, n + 31, key, err, sizeof err), LP2P_ERANGE);
	assert_non_null(strstr(err, "31 bytes"));
}

static void key_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		const char *want;
	} bad[] = {
		{"", LP2P_EPROTO, "first line must be /key/swarm/psk/1.0.0/"},
		{"/base16/\n" KEY_HEX "\n", LP2P_EPROTO, "first line"},
		{"/key/swarm/psk/1.0.0/", LP2P_EPROTO, "first line"},
		{"/key/swarm/psk/2.0.0/\n/base16/\n" KEY_HEX, LP2P_EPROTO,
		 "first line"},
		{" /key/swarm/psk/1.0.0/\n/base16/\n" KEY_HEX, LP2P_EPROTO,
		 "first line"},
		{HEADER, LP2P_EPROTO, "line 2 must name the encoding"},
		{HEADER "/base16/", LP2P_EPROTO, "line 2 must name"},
		{HEADER "/base32/\n" KEY_HEX, LP2P_EPROTO,
		 "unknown encoding '/base32/'"},
		{HEADER "base16\n" KEY_HEX, LP2P_EPROTO, "unknown encoding"},
		{HEADER "\n" KEY_HEX, LP2P_EPROTO, "unknown encoding ''"},
		{HEADER "/base16/\n", LP2P_ERANGE, "0 hex digits"},
		{HEADER "/base16/\n" KEY_HEX "00\n", LP2P_ERANGE,
		 "66 hex digits; a PSK is 64"},
		{HEADER "/base16/\n0102\n", LP2P_ERANGE, "4 hex digits"},
		{HEADER "/base16/\n0g" KEY_HEX, LP2P_EPROTO,
		 "line 3, column 2: 'g' is not a hex digit"},
		{HEADER "/base16/\n 0" KEY_HEX, LP2P_EPROTO,
		 "byte 0x20 is not a hex digit"},
		{HEADER "/base16/\n00010203\n" KEY_HEX, LP2P_EPROTO,
		 "line 3, column 9: byte 0x0a"},
		{HEADER "/base64/\nAAEC\n", LP2P_ERANGE, "3 bytes of base64"},
		{HEADER "/base64/\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8fHw==\n",
		 LP2P_ERANGE, "a PSK is 32"},
		{HEADER "/base64/\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8*\n",
		 LP2P_EPROTO, "'*' is not a base64 character"},
		{HEADER "/base64/\n" KEY_B64 "=\n", LP2P_EPROTO,
		 "too much base64 padding"},
		{HEADER "/base64/\nAAEC=AwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		 LP2P_EPROTO, "column 5: '=' is not a base64 character"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		uint8_t key[32];
		memset(key, 0xee, sizeof key);
		char err[256] = "";
		int rc = parse(bad[i].text, strlen(bad[i].text), key, err,
		               sizeof err);
		if (rc != bad[i].rc || !strstr(err, bad[i].want))
			fail_msg("case %zu: rc %d '%s', want %d '%s'", i, rc,
			         err, bad[i].rc, bad[i].want);
		for (size_t j = 0; j < 32; j++)
			assert_int_equal(key[j], 0xee); /* untouched */
		assert_null(strchr(err, '\n'));
	}
	/* an unprintable, long encoding line is quoted safely */
	char text[256];
	int n = snprintf(text, sizeof text, HEADER "/\x01%s/\n" KEY_HEX,
	                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	uint8_t key[32];
	char err[256];
	assert_int_equal(parse(text, (size_t)n, key, err, sizeof err),
	                 LP2P_EPROTO);
	assert_non_null(strstr(err, "'/?aaa"));
	assert_non_null(strstr(err, "...'"));
	assert_int_equal(lp2p_pnet_key_parse(NULL, 0, key, err, sizeof err),
	                 LP2P_EINVAL);
	/* a short err buffer is still terminated */
	char tiny[8];
	assert_int_equal(parse("x", 1, key, tiny, sizeof tiny), LP2P_EPROTO);
	assert_int_equal(strlen(tiny), 7);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void key_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_pnet.XXXXXX";
	char path[64], err[512];
	uint8_t key[32];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/swarm.key", dir);
	assert_int_equal(lp2p_pnet_key_load(path, key, err, sizeof err),
	                 LP2P_ENOTFOUND);
	assert_non_null(strstr(err, path));

	write_file(path, HEADER "/base16/\n" KEY_HEX "\n", 0600);
	assert_int_equal(lp2p_pnet_key_load(path, key, err, sizeof err), 0);
	assert_memory_equal(key, key0, 32);

	chmod(path, 0644);
	assert_int_equal(lp2p_pnet_key_load(path, key, err, sizeof err),
	                 LP2P_EPERM);
	assert_non_null(strstr(err, "chmod 600"));

	write_file(path, HEADER "/base16/\nxyz\n", 0400);
	assert_int_equal(lp2p_pnet_key_load(path, key, err, sizeof err),
	                 LP2P_EPROTO);
	if (strncmp(err, path, strlen(path)) != 0 ||
	    !strstr(err, "'x' is not a hex digit"))
		fail_msg("%s", err);
	unlink(path);

	/* too large */
	char *big = malloc(LP2P_PNET_KEY_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', LP2P_PNET_KEY_FILE_MAX + 1);
	big[LP2P_PNET_KEY_FILE_MAX + 1] = '\0';
	write_file(path, big, 0600);
	free(big);
	assert_int_equal(lp2p_pnet_key_load(path, key, err, sizeof err),
	                 LP2P_ERANGE);
	assert_non_null(strstr(err, "too large"));
	unlink(path);

	/* a directory */
	assert_int_equal(lp2p_pnet_key_load(dir, key, err, sizeof err),
	                 LP2P_EIO);
	rmdir(dir);
}

/* Kubo prints the same value as "Swarm key fingerprint" (checked against
 * its algorithm in Go: salsa20 "finprint", then SHAKE128). */
static void fingerprint(void **state)
{
	(void)state;
	char fp[LP2P_PNET_FINGERPRINT_LEN], shorter[9];
	uint8_t other[32];

	lp2p_pnet_key_fingerprint(key0, fp, sizeof fp);
	assert_int_equal(strlen(fp), 32);
	assert_string_equal(fp, FINGERPRINT_KEY0);
	assert_null(strstr(fp, "000102030405"));
	memcpy(other, key0, 32);
	other[31] ^= 1;
	char fp2[LP2P_PNET_FINGERPRINT_LEN];
	lp2p_pnet_key_fingerprint(other, fp2, sizeof fp2);
	assert_string_not_equal(fp, fp2);
	lp2p_pnet_key_fingerprint(key0, shorter, sizeof shorter);
	assert_int_equal(strlen(shorter), 8);
	assert_memory_equal(shorter, fp, 8);
}

/* ---- two connection states ---- */

struct wire {
	uint8_t buf[1 << 16];
	size_t len;
};

/* The sending side's first bytes: its nonce. */
static void send_nonce(struct lp2p_pnet *p, struct wire *w)
{
	memcpy(w->buf + w->len, lp2p_pnet_local_nonce(p), LP2P_PNET_NONCE_LEN);
	w->len += LP2P_PNET_NONCE_LEN;
}

static void send_data(struct lp2p_pnet *p, struct wire *w, const void *data,
                      size_t len)
{
	memcpy(w->buf + w->len, data, len);
	lp2p_pnet_seal(p, w->buf + w->len, len);
	w->len += len;
}

/* Deliver the wire in pieces of chunk bytes; the plaintext goes to out.
 * The first delivery on a connection starts with the nonce. */
static size_t deliver_first(struct lp2p_pnet *p, struct wire *w,
                            size_t chunk, uint8_t *out, bool first)
{
	size_t got = 0, nonce = 0;
	for (size_t off = 0; off < w->len; off += chunk) {
		uint8_t piece[4096];
		size_t n = w->len - off < chunk ? w->len - off : chunk;
		memcpy(piece, w->buf + off, n);
		size_t k = lp2p_pnet_recv(p, piece, n);
		assert_true(k <= n);
		nonce += k;
		memcpy(out + got, piece + k, n - k);
		got += n - k;
	}
	assert_int_equal(nonce, first ? LP2P_PNET_NONCE_LEN : 0);
	w->len = 0;
	return got;
}

static size_t deliver(struct lp2p_pnet *p, struct wire *w, size_t chunk,
                      uint8_t *out)
{
	return deliver_first(p, w, chunk, out, false);
}

static const char mss[] = "\x13/multistream/1.0.0\n";

static void conversation(void **state)
{
	(void)state;
	static const size_t chunks[] = {1, 7, 23, 24, 25, 63, 64, 65, 4096};
	static struct wire ab, ba;
	static uint8_t msg[3000], out[sizeof ab.buf];

	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 13 + 1);
	for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
		struct lp2p_pnet *a, *b;
		assert_int_equal(lp2p_pnet_new(key0, &a), 0);
		assert_int_equal(lp2p_pnet_new(key0, &b), 0);
		assert_memory_not_equal(lp2p_pnet_local_nonce(a),
		                        lp2p_pnet_local_nonce(b),
		                        LP2P_PNET_NONCE_LEN);
		assert_int_equal(lp2p_pnet_status(a), LP2P_EAGAIN);

		/* a dials: nonce, then multistream-select, then data */
		send_nonce(a, &ab);
		send_data(a, &ab, mss, 10);
		/* not plaintext on the wire */
		assert_memory_not_equal(ab.buf + LP2P_PNET_NONCE_LEN, mss,
		                        10);
		size_t n = deliver_first(b, &ab, chunks[c], out, true);
		assert_int_equal(n, 10);
		assert_memory_equal(out, mss, 10);
		assert_int_equal(lp2p_pnet_status(b), LP2P_EAGAIN);
		send_data(a, &ab, mss + 10, strlen(mss) - 10);
		send_data(a, &ab, msg, sizeof msg);
		n = deliver(b, &ab, chunks[c], out);
		assert_int_equal(n, strlen(mss) - 10 + sizeof msg);
		assert_memory_equal(out + strlen(mss) - 10, msg, sizeof msg);
		assert_int_equal(lp2p_pnet_status(b), 0);

		/* b answers the same way */
		send_nonce(b, &ba);
		send_data(b, &ba, mss, strlen(mss));
		for (size_t i = 0; i < sizeof msg; i += 100)
			send_data(b, &ba, msg + i, 100);
		n = deliver_first(a, &ba, chunks[c], out, true);
		assert_int_equal(n, strlen(mss) + sizeof msg);
		assert_memory_equal(out, mss, strlen(mss));
		assert_memory_equal(out + strlen(mss), msg, sizeof msg);
		assert_int_equal(lp2p_pnet_status(a), 0);
		/* later bytes are not checked against the header */
		send_data(b, &ba, "x", 1);
		deliver(a, &ba, chunks[c], out);
		assert_int_equal(lp2p_pnet_status(a), 0);
		lp2p_pnet_free(a);
		lp2p_pnet_free(b);
	}
	lp2p_pnet_free(NULL);
}

/* The stream on the wire is XSalsa20(key, sender's nonce). */
static void wire_format(void **state)
{
	(void)state;
	struct lp2p_pnet *a;
	struct lp2p_xsalsa20 s;
	uint8_t buf[100], want[100];

	assert_int_equal(lp2p_pnet_new(key0, &a), 0);
	memset(buf, 0, sizeof buf);
	memset(want, 0, sizeof want);
	lp2p_pnet_seal(a, buf, 30);
	lp2p_pnet_seal(a, buf + 30, 70);
	lp2p_xsalsa20_init(&s, key0, lp2p_pnet_local_nonce(a));
	lp2p_xsalsa20_xor(&s, want, sizeof want);
	assert_memory_equal(buf, want, sizeof buf);
	lp2p_pnet_free(a);
}

/* A peer with another key: the bytes come out as garbage, and the first
 * of them already fails the multistream-select check. */
static void other_key(void **state)
{
	(void)state;
	static struct wire w;
	static uint8_t out[4096];
	uint8_t key1[32];
	struct lp2p_pnet *a, *b;

	memcpy(key1, key0, 32);
	key1[0] ^= 0x80;
	assert_int_equal(lp2p_pnet_new(key1, &a), 0);
	assert_int_equal(lp2p_pnet_new(key0, &b), 0);
	send_nonce(a, &w);
	send_data(a, &w, mss, strlen(mss));
	size_t n = deliver_first(b, &w, 5, out, true);
	assert_int_equal(n, strlen(mss));
	assert_memory_not_equal(out, mss, strlen(mss));
	assert_int_equal(lp2p_pnet_status(b), LP2P_ECRYPTO);
	/* sticky */
	send_data(a, &w, "more", 4);
	deliver(b, &w, 4, out);
	assert_int_equal(lp2p_pnet_status(b), LP2P_ECRYPTO);
	lp2p_pnet_free(a);
	lp2p_pnet_free(b);

	/* a peer without a private network: plaintext multistream-select;
	 * its first 24 bytes are taken as the nonce */
	assert_int_equal(lp2p_pnet_new(key0, &b), 0);
	static const char plain[] = "\x13/multistream/1.0.0\n\x1d/noise\n...";
	memcpy(w.buf, plain, sizeof plain - 1);
	w.len = sizeof plain - 1;
	deliver_first(b, &w, 64, out, true);
	assert_int_equal(lp2p_pnet_status(b), LP2P_ECRYPTO);
	lp2p_pnet_free(b);

	/* one that sends only its header and waits for ours (a listener):
	 * 20 of the 24 nonce bytes, in pieces, already tell */
	assert_int_equal(lp2p_pnet_new(key0, &b), 0);
	uint8_t hdr[20];
	memcpy(hdr, plain, sizeof hdr);
	assert_int_equal(lp2p_pnet_recv(b, hdr, 7), 7);
	assert_int_equal(lp2p_pnet_status(b), LP2P_EAGAIN);
	assert_int_equal(lp2p_pnet_recv(b, hdr + 7, 13), 13);
	assert_int_equal(lp2p_pnet_status(b), LP2P_ECRYPTO);
	lp2p_pnet_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_encodings),
		cmocka_unit_test(key_errors),
		cmocka_unit_test(key_files),
		cmocka_unit_test(fingerprint),
		cmocka_unit_test(conversation),
		cmocka_unit_test(wire_format),
		cmocka_unit_test(other_key),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
