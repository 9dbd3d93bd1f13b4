/*
 * xcheck.h - pieces shared by the cross-check program's files: a seeded
 * generator (so a failing corpus can be made again from its seed) and the
 * random multiaddr maker.
 */
#ifndef XCHECK_H
#define XCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lp2p/crypto.h>
#include <lp2p/multiaddr.h>

/* splitmix64: small, seedable, good enough to pick test inputs. */
struct rng {
	uint64_t s;
};

uint64_t rng_next(struct rng *r);
/* Uniform in [0, n) (n > 0). */
uint64_t rng_below(struct rng *r, uint64_t n);
/* 1 with probability 1/n. */
int rng_one_in(struct rng *r, uint64_t n);
void rng_bytes(struct rng *r, uint8_t *buf, size_t len);

/*
 * A random valid multiaddr: realistic shapes (tcp, quic-v1, webtransport,
 * webrtc-direct, relays, dns, unix, ...) and free-form component soups.
 */
void xcheck_random_multiaddr(struct rng *r, struct lp2p_multiaddr *ma);

/* ---- ECDSA helpers (ecdsa.c) ---- */

/*
 * The uncompressed point 04||x||y of an ECDSA key (public or private) into
 * buf (capacity cap).  Returns its length or -1.
 */
long xcheck_ecdsa_point(const struct lp2p_key *key, uint8_t *buf, size_t cap);

/* Field size in bytes of an ECDSA key's curve (32, 48, 66), or 0. */
size_t xcheck_ecdsa_field_len(const struct lp2p_key *key);

/*
 * An IEEE P1363 signature r||s (2 * flen bytes, as WebCrypto makes them)
 * as a DER ECDSA-Sig-Value, into der (capacity cap).  Returns the DER
 * length or -1.
 */
long xcheck_p1363_to_der(const uint8_t *raw, size_t len, uint8_t *der,
                         size_t cap);

/* ---- verification of a JS-made corpus (verify_*.c) ---- */

struct xcheck_verify {
	const char *file;
	size_t line;
	unsigned long mismatches;
	unsigned long keys, multiaddrs;
	/* The corpus comes from js-libp2p: its known divergences from the
	 * spec are allowed for and counted (see tests/interop/README.md).
	 * Otherwise (go, rust) every record is held to the spec. */
	bool js_quirks;
	unsigned long quirk_ecdsa_pub, quirk_ecdsa_sig;
	unsigned long quirk_ip6_mapped, quirk_unix;
};

/* Report one mismatch at the current line (printf-like). */
void xcheck_fail(struct xcheck_verify *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct jsonl_record;
void xcheck_verify_key(struct xcheck_verify *v, const struct jsonl_record *rec);
void xcheck_verify_ma(struct xcheck_verify *v, const struct jsonl_record *rec);

#endif
