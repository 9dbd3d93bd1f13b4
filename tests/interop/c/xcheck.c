/*
 * xcheck.c - cross-check lp2p's keys, peer ids and multiaddrs against
 * js-libp2p (@libp2p/crypto, @libp2p/peer-id, @multiformats/multiaddr).
 *
 *   xcheck gen N [SEED]   write a corpus made by lp2p to stdout: N keys of
 *                         the main types (fewer of the slow or rare ones),
 *                         signatures, peer ids and 25 * N multiaddrs
 *   xcheck verify FILE    check a corpus made by tests/interop/js/xcheck.mjs
 *
 * The corpus is JSON lines, one flat object of string fields per line; the
 * format is described in tests/interop/README.md.  tests/interop/xcheck.sh
 * runs both directions.
 */
#include "jsonl.h"
#include "xcheck.h"

#include <lp2p/peer_id.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct key_kind {
	enum lp2p_key_type type;
	unsigned bits;
	const char *curve;  /* ECDSA only */
	unsigned per_mille; /* keys made per 1000 of N */
};

static const struct key_kind key_kinds[] = {
    {LP2P_KEY_ED25519, 0, NULL, 1000},    {LP2P_KEY_SECP256K1, 0, NULL, 1000},
    {LP2P_KEY_ECDSA, 256, "P-256", 1000}, {LP2P_KEY_ECDSA, 384, "P-384", 250},
    {LP2P_KEY_ECDSA, 521, "P-521", 250},  {LP2P_KEY_RSA, 2048, NULL, 125},
};

#define MULTIADDRS_PER_N 25

static void die(const char *what, int rc)
{
	fprintf(stderr, "xcheck: %s: %s\n", what, lp2p_strerror(rc));
	exit(2);
}

static size_t random_message(struct rng *r, uint8_t *buf, size_t cap)
{
	size_t len;

	if (rng_one_in(r, 8))
		len = 0;
	else if (rng_one_in(r, 10))
		len = 1000 + rng_below(r, cap - 1000);
	else
		len = rng_below(r, 300);
	rng_bytes(r, buf, len);
	return len;
}

static void gen_key(struct rng *r, const struct key_kind *k)
{
	static uint8_t priv[LP2P_KEY_PRIVATE_MAX], msg[8192];
	uint8_t pub[LP2P_KEY_PUBLIC_MAX], sig[LP2P_KEY_SIG_MAX], point[200];
	char id[LP2P_PEER_ID_STR_MAX], cid[LP2P_PEER_ID_STR_MAX];
	struct lp2p_peer_id pid;
	struct lp2p_key *key;
	struct jsonl_out o;
	int publen, privlen, siglen, rc;
	size_t msglen;

	rc = lp2p_key_generate(k->type, k->bits, &key);
	if (rc < 0)
		die("lp2p_key_generate", rc);
	if ((publen = lp2p_key_marshal_public(key, pub, sizeof pub)) < 0)
		die("lp2p_key_marshal_public", publen);
	if ((privlen = lp2p_key_marshal_private(key, priv, sizeof priv)) < 0)
		die("lp2p_key_marshal_private", privlen);
	msglen = random_message(r, msg, sizeof msg);
	if ((siglen = lp2p_key_sign(key, msg, msglen, sig, sizeof sig)) < 0)
		die("lp2p_key_sign", siglen);
	if ((rc = lp2p_peer_id_from_key(key, &pid)) < 0)
		die("lp2p_peer_id_from_key", rc);
	if ((rc = lp2p_peer_id_to_string(&pid, id, sizeof id)) < 0)
		die("lp2p_peer_id_to_string", rc);
	if ((rc = lp2p_peer_id_to_cid_string(&pid, cid, sizeof cid)) < 0)
		die("lp2p_peer_id_to_cid_string", rc);

	jsonl_begin(&o, stdout);
	jsonl_str(&o, "kind", "key", 3);
	jsonl_str(&o, "type", lp2p_key_type_name(k->type),
	          strlen(lp2p_key_type_name(k->type)));
	if (k->curve) {
		long n = xcheck_ecdsa_point(key, point, sizeof point);
		if (n < 0)
			die("ECDSA point", LP2P_ECRYPTO);
		jsonl_str(&o, "curve", k->curve, strlen(k->curve));
		jsonl_hex(&o, "point", point, (size_t)n);
	}
	jsonl_hex(&o, "pub", pub, (size_t)publen);
	jsonl_hex(&o, "priv", priv, (size_t)privlen);
	jsonl_hex(&o, "msg", msg, msglen);
	jsonl_hex(&o, "sig", sig, (size_t)siglen);
	jsonl_str(&o, "id", id, strlen(id));
	jsonl_str(&o, "cid", cid, strlen(cid));
	jsonl_end(&o);
	memset(priv, 0, sizeof priv);
	lp2p_key_free(key);
}

static void gen_multiaddr(struct rng *r)
{
	char str[LP2P_MULTIADDR_STR_MAX];
	struct lp2p_multiaddr ma;
	struct jsonl_out o;
	int n;

	do
		xcheck_random_multiaddr(r, &ma);
	while (ma.len == 0);
	if ((n = lp2p_multiaddr_to_string(&ma, str, sizeof str)) < 0)
		die("lp2p_multiaddr_to_string", n);
	jsonl_begin(&o, stdout);
	jsonl_str(&o, "kind", "ma", 2);
	jsonl_hex(&o, "hex", ma.bytes, ma.len);
	jsonl_str(&o, "str", str, (size_t)n);
	jsonl_end(&o);
}

static int gen(unsigned long n, uint64_t seed)
{
	struct rng r = {seed};

	fprintf(stderr, "xcheck gen: seed %" PRIu64 "\n", seed);
	for (size_t i = 0; i < sizeof key_kinds / sizeof *key_kinds; i++) {
		const struct key_kind *k = &key_kinds[i];
		unsigned long count = (n * k->per_mille + 999) / 1000;
		for (unsigned long j = 0; j < count; j++)
			gen_key(&r, k);
	}
	for (unsigned long i = 0; i < n * MULTIADDRS_PER_N; i++)
		gen_multiaddr(&r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "xcheck: write error: %s\n", strerror(errno));
		return 2;
	}
	return 0;
}

void xcheck_fail(struct xcheck_verify *v, const char *fmt, ...)
{
	va_list ap;

	printf("MISMATCH %s:%zu: ", v->file, v->line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	v->mismatches++;
}

static int verify(const char *file, bool js_quirks)
{
	struct xcheck_verify v = {.file = file, .js_quirks = js_quirks};
	struct jsonl_record rec;
	char *line = NULL;
	size_t cap = 0;
	const char *why, *kind;
	FILE *f;

	if (!(f = fopen(file, "r"))) {
		fprintf(stderr, "xcheck: %s: %s\n", file, strerror(errno));
		return 2;
	}
	while (getline(&line, &cap, f) >= 0) {
		v.line++;
		if (jsonl_parse(line, &rec, &why) < 0) {
			xcheck_fail(&v, "unreadable line: %s", why);
			continue;
		}
		kind = jsonl_get(&rec, "kind");
		if (kind && strcmp(kind, "key") == 0)
			xcheck_verify_key(&v, &rec);
		else if (kind && strcmp(kind, "ma") == 0)
			xcheck_verify_ma(&v, &rec);
		else
			xcheck_fail(&v, "unknown kind \"%s\"",
			            kind ? kind : "");
	}
	free(line);
	if (ferror(f)) {
		fprintf(stderr, "xcheck: %s: read error\n", file);
		fclose(f);
		return 2;
	}
	fclose(f);
	printf("xcheck verify %s: %lu keys, %lu multiaddrs, %lu mismatches\n",
	       file, v.keys, v.multiaddrs, v.mismatches);
	if (js_quirks)
		printf("  known js-libp2p divergences: ECDSA public key "
		       "encoding %lu, ECDSA signature encoding %lu, "
		       "IPv4-mapped IPv6 text %lu, unix path text %lu\n",
		       v.quirk_ecdsa_pub, v.quirk_ecdsa_sig,
		       v.quirk_ip6_mapped, v.quirk_unix);
	if (v.keys == 0 || v.multiaddrs == 0) {
		printf("MISMATCH %s: the corpus has no keys or no multiaddrs\n",
		       file);
		return 1;
	}
	return v.mismatches ? 1 : 0;
}

static int usage(void)
{
	fputs("usage: xcheck gen N [SEED]\n"
	      "       xcheck verify [--js] FILE\n"
	      "  --js: the corpus comes from js-libp2p; allow for its known\n"
	      "        divergences from the spec (tests/interop/README.md)\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "gen") == 0) {
		char *end;
		unsigned long n = strtoul(argv[2], &end, 10);
		uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)clock();
		if (*end || n == 0 || n > 100000)
			return usage();
		if (argc == 4) {
			seed = strtoull(argv[3], &end, 10);
			if (*end)
				return usage();
		}
		return gen(n, seed);
	}
	if (argc == 3 && strcmp(argv[1], "verify") == 0)
		return verify(argv[2], false);
	if (argc == 4 && strcmp(argv[1], "verify") == 0 &&
	    strcmp(argv[2], "--js") == 0)
		return verify(argv[3], true);
	return usage();
}
