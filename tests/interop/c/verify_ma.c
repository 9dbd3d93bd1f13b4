/*
 * verify_ma.c - check one JS-made multiaddr record: lp2p reads the JS
 * bytes and prints the JS string, and parses the JS string to the JS
 * bytes.
 *
 * Two components print differently in @multiformats/multiaddr 13 (see
 * tests/interop/README.md): an IPv4-mapped IPv6 address (JS writes
 * ::ffff:102:304, lp2p like go and rust ::ffff:1.2.3.4) and a unix path
 * (JS percent-encodes it as one segment, /unix/%2Ftmp%2Fs, as the newer
 * multiaddr spec says; lp2p like go lets it run to the end, /unix/tmp/s).
 * For those the check is against lp2p's components printed the JS way,
 * so that every other component is still compared exactly.
 */
#include "jsonl.h"
#include "xcheck.h"

#include <stdio.h>
#include <string.h>

static int is_ip4_mapped(const struct lp2p_multiaddr_component *c)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0,    0,
	                                   0, 0, 0, 0, 0xff, 0xff};
	return c->code == LP2P_MA_IP6 && memcmp(c->value, prefix, 12) == 0;
}

/* encodeURIComponent: all but A-Z a-z 0-9 - _ . ! ~ * ' ( ) as %XX. */
static size_t uri_component(const uint8_t *v, size_t len, char *out, size_t cap)
{
	static const char keep[] = "-_.!~*'()";
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < cap; i++) {
		unsigned char c = v[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c && strchr(keep, c)))
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
	}
	out[n] = '\0';
	return n;
}

/*
 * Print ma as @multiformats/multiaddr 13 does, from lp2p's own component
 * values (the same as lp2p's text but for the two components above, which
 * are counted in *mapped and *unix_paths).  Returns -1 if lp2p cannot print a
 * value.
 */
static int js_text(const struct lp2p_multiaddr *ma, char *out, size_t cap,
                   unsigned *mapped, unsigned *unix_paths)
{
	struct lp2p_multiaddr_iter it;
	struct lp2p_multiaddr_component c;
	char value[LP2P_MULTIADDR_STR_MAX];
	size_t n = 0;
	int rc;

	*mapped = *unix_paths = 0;
	out[0] = '\0';
	lp2p_multiaddr_iter_init(&it, ma->bytes, ma->len);
	while ((rc = lp2p_multiaddr_iter_next(&it, &c)) > 0) {
		if (c.code == LP2P_MA_UNIX) {
			(*unix_paths)++;
			uri_component(c.value, c.value_len, value,
			              sizeof value);
		} else if (is_ip4_mapped(&c)) {
			(*mapped)++;
			snprintf(value, sizeof value, "::ffff:%x:%x",
			         c.value[12] << 8 | c.value[13],
			         c.value[14] << 8 | c.value[15]);
		} else if (lp2p_multiaddr_value_to_string(&c, value,
		                                          sizeof value) < 0) {
			return -1;
		}
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "/%s%s%s",
		                      c.name, c.value_len ? "/" : "", value);
		if (n >= cap)
			return -1;
	}
	return rc < 0 ? -1 : 0;
}

void xcheck_verify_ma(struct xcheck_verify *v, const struct jsonl_record *rec)
{
	static char mine[LP2P_MULTIADDR_STR_MAX],
	    theirs[LP2P_MULTIADDR_STR_MAX];
	const char *hex = jsonl_get(rec, "hex"), *str = jsonl_get(rec, "str");
	uint8_t bytes[LP2P_MULTIADDR_MAX_LEN + 1];
	struct lp2p_multiaddr ma, parsed;
	unsigned mapped, unix_paths;
	long len;
	int rc;

	v->multiaddrs++;
	if (!hex || !str || (len = hex_decode(hex, bytes, sizeof bytes)) < 0) {
		xcheck_fail(v, "multiaddr record without \"hex\" or \"str\"");
		return;
	}
	rc = lp2p_multiaddr_from_bytes(bytes, (size_t)len, &ma);
	if (rc < 0) {
		xcheck_fail(v, "lp2p refuses the bytes of %s: %s", str,
		            lp2p_strerror(rc));
		return;
	}
	rc = lp2p_multiaddr_to_string(&ma, mine, sizeof mine);
	if (rc < 0) {
		xcheck_fail(v, "lp2p cannot print %s: %s", str,
		            lp2p_strerror(rc));
		return;
	}
	if (!v->js_quirks) {
		/* go and rust print what lp2p prints, byte for byte */
		if (strcmp(mine, str) != 0)
			xcheck_fail(v, "bytes %s print as %s, the peer %s", hex,
			            mine, str);
		rc = lp2p_multiaddr_parse(str, strlen(str), &parsed);
		if (rc < 0 || !lp2p_multiaddr_equal(&parsed, &ma))
			xcheck_fail(v, "%s does not parse to the peer's %s",
			            str, hex);
		return;
	}
	if (js_text(&ma, theirs, sizeof theirs, &mapped, &unix_paths) < 0) {
		xcheck_fail(v, "cannot print %s the JS way", str);
		return;
	}
	if (strcmp(theirs, str) != 0) {
		xcheck_fail(v, "bytes %s print as %s, JS %s", hex, theirs, str);
		return;
	}
	v->quirk_ip6_mapped += mapped ? 1 : 0;
	v->quirk_unix += unix_paths ? 1 : 0;

	/* JS's string parses to JS's bytes (not for unix, see above). */
	rc = lp2p_multiaddr_parse(str, strlen(str), &parsed);
	if (!unix_paths && rc < 0)
		xcheck_fail(v, "lp2p cannot parse %s: %s", str,
		            lp2p_strerror(rc));
	else if (!unix_paths && !lp2p_multiaddr_equal(&parsed, &ma))
		xcheck_fail(v, "%s parses to other bytes than JS's %s", str,
		            hex);
	/* lp2p's own string parses back to the bytes. */
	rc = lp2p_multiaddr_parse(mine, strlen(mine), &parsed);
	if (rc < 0 || !lp2p_multiaddr_equal(&parsed, &ma))
		xcheck_fail(v, "lp2p's %s does not parse back to %s", mine,
		            hex);
}
