/*
 * peerstore.c - per-peer records in a hash table keyed by peer id.
 *
 * A record holds only what is known: its lists grow as entries arrive (up
 * to their bounds) and addresses are kept at their own length, so a peer
 * with a few addresses costs a few hundred bytes, not the 18 KiB that
 * full-size arrays of 32 struct lp2p_multiaddr would.
 */
#include <stdlib.h>
#include <string.h>

#include <lp2p/crypto.h>

#include "host/host.h"
#include "swarm/packed_ma.h"
#include "host/peerstore.h"

#define MAX_STRING 256
#define MAX_PROTOCOL_LEN 1024

struct addr_entry {
	struct lp2p_packed_ma ma;
	uint64_t expires_ms; /* UINT64_MAX: permanent */
};

struct meta_entry {
	char *key;
	uint8_t *data;
	size_t len;
};

struct lp2p_peer_record {
	struct lp2p_peer_record *next; /* bucket chain */
	struct lp2p_peerstore *ps;
	struct lp2p_peer_id id;
	struct addr_entry *addrs; /* naddrs used of addrs_cap */
	size_t naddrs, addrs_cap;
	char **protocols;
	size_t nprotocols;
	uint8_t *pubkey;
	size_t pubkey_len;
	char *agent, *version; /* NULL: not known */
	struct meta_entry *meta; /* nmeta used of meta_cap */
	size_t nmeta, meta_cap;
};

/*
 * Room for one more entry in an array of n (capacity *cap, at most max):
 * doubles it when full.  Returns the array (maybe moved), or NULL when out
 * of memory (the old one is kept).
 */
static void *grow_array(void *array, size_t n, size_t *cap, size_t max,
                        size_t size)
{
	if (n < *cap)
		return array;
	size_t want = *cap ? *cap * 2 : 2;
	if (want > max)
		want = max;
	void *p = realloc(array, want * size);
	if (p)
		*cap = want;
	return p;
}

/* Remove addrs[i]: the last entry takes its place. */
static void addr_remove(struct lp2p_peer_record *r, size_t i)
{
	lp2p_packed_ma_release(&r->addrs[i].ma);
	r->addrs[i] = r->addrs[--r->naddrs];
	r->addrs[r->naddrs] = (struct addr_entry){0};
}

static int addr_find(const struct lp2p_peer_record *r,
                     const struct lp2p_multiaddr *ma)
{
	for (size_t i = 0; i < r->naddrs; i++)
		if (lp2p_packed_ma_equal(&r->addrs[i].ma, ma))
			return (int)i;
	return -1;
}

static uint64_t hash_id(const struct lp2p_peer_id *id)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < id->len; i++)
		h = (h ^ id->bytes[i]) * 1099511628211ULL;
	return h;
}

void lp2p_peerstore_init(struct lp2p_peerstore *ps)
{
	*ps = (struct lp2p_peerstore){0};
}

static void record_free(struct lp2p_peer_record *r)
{
	for (size_t i = 0; i < r->naddrs; i++)
		lp2p_packed_ma_release(&r->addrs[i].ma);
	free(r->addrs);
	free(r->agent);
	free(r->version);
	for (size_t i = 0; i < r->nprotocols; i++)
		free(r->protocols[i]);
	free(r->protocols);
	free(r->pubkey);
	for (size_t i = 0; i < r->nmeta; i++) {
		free(r->meta[i].key);
		free(r->meta[i].data);
	}
	free(r->meta);
	free(r);
}

void lp2p_peerstore_fini(struct lp2p_peerstore *ps)
{
	for (size_t b = 0; b < ps->nbuckets; b++) {
		struct lp2p_peer_record *r = ps->buckets[b];
		while (r) {
			struct lp2p_peer_record *next = r->next;
			record_free(r);
			r = next;
		}
	}
	free(ps->buckets);
	*ps = (struct lp2p_peerstore){0};
}

struct lp2p_peer_record *lp2p_peerstore_find(struct lp2p_peerstore *ps,
                                             const struct lp2p_peer_id *id)
{
	if (!ps->nbuckets)
		return NULL;
	for (struct lp2p_peer_record *r =
	             ps->buckets[hash_id(id) & (ps->nbuckets - 1)];
	     r; r = r->next)
		if (lp2p_peer_id_equal(&r->id, id))
			return r;
	return NULL;
}

static int grow(struct lp2p_peerstore *ps)
{
	size_t n = ps->nbuckets ? ps->nbuckets * 2 : 64;
	struct lp2p_peer_record **b = calloc(n, sizeof *b);
	if (!b)
		return LP2P_ENOMEM;
	for (size_t i = 0; i < ps->nbuckets; i++) {
		struct lp2p_peer_record *r = ps->buckets[i];
		while (r) {
			struct lp2p_peer_record *next = r->next;
			size_t k = hash_id(&r->id) & (n - 1);
			r->next = b[k];
			b[k] = r;
			r = next;
		}
	}
	free(ps->buckets);
	ps->buckets = b;
	ps->nbuckets = n;
	return 0;
}

static int get_or_create(struct lp2p_peerstore *ps,
                         const struct lp2p_peer_id *id,
                         struct lp2p_peer_record **out)
{
	struct lp2p_peer_record *r = lp2p_peerstore_find(ps, id);
	if (r) {
		*out = r;
		return 0;
	}
	if (ps->npeers >= LP2P_PEERSTORE_MAX_PEERS)
		return LP2P_ELIMIT;
	if (ps->npeers + 1 > ps->nbuckets && grow(ps))
		return LP2P_ENOMEM;
	r = calloc(1, sizeof *r);
	if (!r)
		return LP2P_ENOMEM;
	r->ps = ps;
	r->id = *id;
	size_t k = hash_id(id) & (ps->nbuckets - 1);
	r->next = ps->buckets[k];
	ps->buckets[k] = r;
	ps->npeers++;
	*out = r;
	return 0;
}

static void drop_expired(struct lp2p_peer_record *r, uint64_t now)
{
	for (size_t i = 0; i < r->naddrs;) {
		if (r->addrs[i].expires_ms <= now)
			addr_remove(r, i);
		else
			i++;
	}
}

int lp2p_peerstore_add(struct lp2p_peerstore *ps,
                       const struct lp2p_peer_id *peer,
                       const struct lp2p_multiaddr *ma, uint64_t ttl_ms,
                       uint64_t now_ms)
{
	struct lp2p_multiaddr addr = *ma;
	struct lp2p_peer_id in_addr;
	if (lp2p_multiaddr_peer_id(&addr, &in_addr, true) == 0 &&
	    !lp2p_peer_id_equal(&in_addr, peer))
		return LP2P_EINVAL;
	if (addr.len == 0)
		return LP2P_EINVAL;
	ps->now_ms = now_ms;
	struct lp2p_peer_record *r;
	if (ttl_ms == 0) {
		r = lp2p_peerstore_find(ps, peer);
		int i = r ? addr_find(r, &addr) : -1;
		if (i >= 0)
			addr_remove(r, (size_t)i);
		return 0;
	}
	int rc = get_or_create(ps, peer, &r);
	if (rc)
		return rc;
	drop_expired(r, now_ms);
	uint64_t expires = ttl_ms == LP2P_TTL_PERMANENT || ttl_ms > UINT64_MAX - now_ms
	                           ? UINT64_MAX
	                           : now_ms + ttl_ms;
	int found = addr_find(r, &addr);
	if (found >= 0) {
		if (expires > r->addrs[found].expires_ms)
			r->addrs[found].expires_ms = expires;
		return 0;
	}
	size_t slot = r->naddrs;
	if (slot == LP2P_PEERSTORE_MAX_ADDRS) {
		/* full: replace the entry that expires first */
		slot = 0;
		for (size_t i = 1; i < r->naddrs; i++)
			if (r->addrs[i].expires_ms < r->addrs[slot].expires_ms)
				slot = i;
	} else {
		struct addr_entry *a =
			grow_array(r->addrs, r->naddrs, &r->addrs_cap,
			           LP2P_PEERSTORE_MAX_ADDRS, sizeof *a);
		if (!a)
			return LP2P_ENOMEM;
		r->addrs = a;
		r->addrs[slot] = (struct addr_entry){0};
	}
	if ((rc = lp2p_packed_ma_set(&r->addrs[slot].ma, &addr)))
		return rc;
	r->addrs[slot].expires_ms = expires;
	if (slot == r->naddrs)
		r->naddrs++;
	return 0;
}

size_t lp2p_peerstore_dialable_addrs(
	struct lp2p_peerstore *ps, const struct lp2p_peer_id *peer,
	uint64_t now_ms,
	bool (*usable)(void *arg, const struct lp2p_multiaddr *ma), void *arg,
	struct lp2p_multiaddr *out, size_t max)
{
	struct lp2p_peer_record *r = lp2p_peerstore_find(ps, peer);
	if (!r)
		return 0;
	drop_expired(r, now_ms);
	size_t n = 0;
	/* freshest (latest expiry) first */
	bool used[LP2P_PEERSTORE_MAX_ADDRS] = {0};
	struct lp2p_multiaddr ma;
	for (size_t i = 0; i < r->naddrs; i++) {
		lp2p_packed_ma_get(&r->addrs[i].ma, &ma);
		used[i] = !usable(arg, &ma); /* never offered */
	}
	while (n < max) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < r->naddrs; i++) {
			if (used[i])
				continue;
			if (best == SIZE_MAX ||
			    r->addrs[i].expires_ms > r->addrs[best].expires_ms)
				best = i;
		}
		if (best == SIZE_MAX)
			break;
		used[best] = true;
		lp2p_packed_ma_get(&r->addrs[best].ma, &out[n++]);
	}
	return n;
}

/* ---- public API ---- */

static struct lp2p_peerstore *store(lp2p_host *h)
{
	h->peerstore.now_ms = lp2p_host_now_ms(h);
	return &h->peerstore;
}

LP2P_API int lp2p_peerstore_add_addr(lp2p_host *h,
                                     const struct lp2p_peer_id *peer,
                                     const struct lp2p_multiaddr *ma,
                                     uint64_t ttl_ms)
{
	if (!h || !peer || !ma)
		return LP2P_EINVAL;
	return lp2p_peerstore_add(store(h), peer, ma, ttl_ms,
	                          lp2p_host_now_ms(h));
}

LP2P_API int lp2p_peerstore_set_protocols(lp2p_host *h,
                                          const struct lp2p_peer_id *peer,
                                          const char *const *protocols,
                                          size_t n)
{
	if (n > LP2P_PEERSTORE_MAX_PROTOCOLS)
		return LP2P_ERANGE;
	for (size_t i = 0; i < n; i++)
		if (strnlen(protocols[i], MAX_PROTOCOL_LEN + 1) > MAX_PROTOCOL_LEN)
			return LP2P_ERANGE;
	struct lp2p_peer_record *r;
	int rc = get_or_create(store(h), peer, &r);
	if (rc)
		return rc;
	char **list = n ? calloc(n, sizeof *list) : NULL;
	if (n && !list)
		return LP2P_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		list[i] = strdup(protocols[i]);
		if (!list[i]) {
			while (i--)
				free(list[i]);
			free(list);
			return LP2P_ENOMEM;
		}
	}
	for (size_t i = 0; i < r->nprotocols; i++)
		free(r->protocols[i]);
	free(r->protocols);
	r->protocols = list;
	r->nprotocols = n;
	return 0;
}

LP2P_API int lp2p_peerstore_set_public_key(lp2p_host *h,
                                           const struct lp2p_peer_id *peer,
                                           const uint8_t *pb, size_t len)
{
	if (!pb || len == 0 || len > LP2P_KEY_PUBLIC_MAX)
		return LP2P_EPROTO;
	struct lp2p_key *key;
	int rc = lp2p_key_unmarshal_public(pb, len, &key);
	if (rc)
		return LP2P_EPROTO;
	bool match = lp2p_peer_id_matches_key(peer, key) == 1;
	lp2p_key_free(key);
	if (!match)
		return LP2P_EPEERID;
	struct lp2p_peer_record *r;
	if ((rc = get_or_create(store(h), peer, &r)))
		return rc;
	uint8_t *copy = malloc(len);
	if (!copy)
		return LP2P_ENOMEM;
	memcpy(copy, pb, len);
	free(r->pubkey);
	r->pubkey = copy;
	r->pubkey_len = len;
	return 0;
}

/* A heap copy of src cut to MAX_STRING bytes, or NULL. */
static char *copy_cut(const char *src)
{
	size_t n = strnlen(src, MAX_STRING);
	char *dst = malloc(n + 1);
	if (dst) {
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return dst;
}

LP2P_API int lp2p_peerstore_set_agent(lp2p_host *h,
                                      const struct lp2p_peer_id *peer,
                                      const char *agent,
                                      const char *protocol_version)
{
	struct lp2p_peer_record *r;
	int rc = get_or_create(store(h), peer, &r);
	if (rc)
		return rc;
	char *a = agent ? copy_cut(agent) : NULL;
	char *v = protocol_version ? copy_cut(protocol_version) : NULL;
	if ((agent && !a) || (protocol_version && !v)) {
		free(a);
		free(v);
		return LP2P_ENOMEM;
	}
	if (a) {
		free(r->agent);
		r->agent = a;
	}
	if (v) {
		free(r->version);
		r->version = v;
	}
	return 0;
}

LP2P_API int lp2p_peerstore_put(lp2p_host *h, const struct lp2p_peer_id *peer,
                                const char *key, const void *data, size_t len)
{
	if (!key || len > LP2P_PEERSTORE_MAX_META_LEN ||
	    strnlen(key, MAX_STRING + 1) > MAX_STRING)
		return LP2P_ERANGE;
	struct lp2p_peer_record *r;
	if (!data && len == 0) {
		r = lp2p_peerstore_find(store(h), peer);
		for (size_t i = 0; r && i < r->nmeta; i++) {
			if (strcmp(r->meta[i].key, key) == 0) {
				free(r->meta[i].key);
				free(r->meta[i].data);
				r->meta[i] = r->meta[--r->nmeta];
				break;
			}
		}
		return 0;
	}
	int rc = get_or_create(store(h), peer, &r);
	if (rc)
		return rc;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return LP2P_ENOMEM;
	if (len)
		memcpy(copy, data, len);
	for (size_t i = 0; i < r->nmeta; i++) {
		if (strcmp(r->meta[i].key, key) == 0) {
			free(r->meta[i].data);
			r->meta[i].data = copy;
			r->meta[i].len = len;
			return 0;
		}
	}
	if (r->nmeta >= LP2P_PEERSTORE_MAX_META) {
		free(copy);
		return LP2P_ELIMIT;
	}
	struct meta_entry *m = grow_array(r->meta, r->nmeta, &r->meta_cap,
	                                  LP2P_PEERSTORE_MAX_META, sizeof *m);
	char *k = m ? strdup(key) : NULL;
	if (m)
		r->meta = m;
	if (!k) {
		free(copy);
		return LP2P_ENOMEM;
	}
	r->meta[r->nmeta++] = (struct meta_entry){k, copy, len};
	return 0;
}

LP2P_API void lp2p_peerstore_remove(lp2p_host *h,
                                    const struct lp2p_peer_id *peer)
{
	struct lp2p_peerstore *ps = store(h);
	if (!ps->nbuckets)
		return;
	struct lp2p_peer_record **pp =
		&ps->buckets[hash_id(peer) & (ps->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->next) {
		if (lp2p_peer_id_equal(&(*pp)->id, peer)) {
			struct lp2p_peer_record *r = *pp;
			*pp = r->next;
			record_free(r);
			ps->npeers--;
			return;
		}
	}
}

LP2P_API const lp2p_peer_metadata *
lp2p_host_metadata_for_peer(lp2p_host *h, const struct lp2p_peer_id *peer)
{
	return (const lp2p_peer_metadata *)lp2p_peerstore_find(store(h), peer);
}

#define REC(md) ((const struct lp2p_peer_record *)(md))

LP2P_API size_t lp2p_peer_metadata_addrs(const lp2p_peer_metadata *md,
                                         struct lp2p_multiaddr *out,
                                         uint64_t *ttl_left_ms, size_t max)
{
	const struct lp2p_peer_record *r = REC(md);
	uint64_t now = r->ps->now_ms;
	size_t n = 0;
	for (size_t i = 0; i < r->naddrs; i++) {
		if (r->addrs[i].expires_ms <= now)
			continue;
		if (n < max) {
			lp2p_packed_ma_get(&r->addrs[i].ma, &out[n]);
			if (ttl_left_ms)
				ttl_left_ms[n] =
					r->addrs[i].expires_ms == UINT64_MAX
						? LP2P_TTL_PERMANENT
						: r->addrs[i].expires_ms - now;
		}
		n++;
	}
	return n;
}

LP2P_API size_t lp2p_peer_metadata_protocols(const lp2p_peer_metadata *md,
                                             const char **out, size_t max)
{
	const struct lp2p_peer_record *r = REC(md);
	for (size_t i = 0; i < r->nprotocols && i < max; i++)
		out[i] = r->protocols[i];
	return r->nprotocols;
}

LP2P_API bool lp2p_peer_metadata_supports(const lp2p_peer_metadata *md,
                                          const char *protocol)
{
	const struct lp2p_peer_record *r = REC(md);
	for (size_t i = 0; i < r->nprotocols; i++)
		if (strcmp(r->protocols[i], protocol) == 0)
			return true;
	return false;
}

LP2P_API const char *lp2p_peer_metadata_agent(const lp2p_peer_metadata *md)
{
	return REC(md)->agent ? REC(md)->agent : "";
}

LP2P_API const char *
lp2p_peer_metadata_protocol_version(const lp2p_peer_metadata *md)
{
	return REC(md)->version ? REC(md)->version : "";
}

LP2P_API int lp2p_peer_metadata_public_key(const lp2p_peer_metadata *md,
                                           const uint8_t **pb, size_t *len)
{
	const struct lp2p_peer_record *r = REC(md);
	if (!r->pubkey)
		return LP2P_ENOTFOUND;
	*pb = r->pubkey;
	*len = r->pubkey_len;
	return 0;
}

LP2P_API int lp2p_peer_metadata_get(const lp2p_peer_metadata *md,
                                    const char *key, const void **data,
                                    size_t *len)
{
	const struct lp2p_peer_record *r = REC(md);
	for (size_t i = 0; i < r->nmeta; i++) {
		if (strcmp(r->meta[i].key, key) == 0) {
			*data = r->meta[i].data;
			*len = r->meta[i].len;
			return 0;
		}
	}
	return LP2P_ENOTFOUND;
}
