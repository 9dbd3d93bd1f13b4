/*
 * lp2p/peerstore.h - what the host knows about other peers: addresses
 * with a time to live, the protocols they speak, their public key, agent
 * and protocol version, and a small key/value store for plugins.
 *
 * Swarm thread only.  Strings and buffers given are copied.  A read handle
 * (lp2p_peer_metadata) and what it points to stay valid until the next call
 * that changes the peerstore or returns to the loop; copy what you keep.
 *
 * Bounds (a misbehaving peer cannot grow them): LP2P_PEERSTORE_MAX_ADDRS
 * addresses per peer (the entry that expires first is replaced),
 * LP2P_PEERSTORE_MAX_PROTOCOLS protocols (each at most 1024 bytes),
 * LP2P_PEERSTORE_MAX_META entries of at most LP2P_PEERSTORE_MAX_META_LEN
 * bytes per peer, agent and version strings of at most 256 bytes (longer
 * ones are cut).
 */
#ifndef LP2P_PEERSTORE_H
#define LP2P_PEERSTORE_H

#include <stdbool.h>

#include <lp2p/common.h>
#include <lp2p/multiaddr.h>
#include <lp2p/peer_id.h>
#include <lp2p/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LP2P_PEERSTORE_MAX_ADDRS 32
#define LP2P_PEERSTORE_MAX_PROTOCOLS 128
#define LP2P_PEERSTORE_MAX_META 32
#define LP2P_PEERSTORE_MAX_META_LEN 4096
#define LP2P_PEERSTORE_MAX_PEERS 65536
/* A TTL that never expires. */
#define LP2P_TTL_PERMANENT UINT64_MAX

/*
 * Add (or refresh) an address of peer, valid for ttl_ms from now; the
 * longer of the old and new expiry is kept.  ttl_ms 0 removes it.  A
 * trailing /p2p/<id> must name peer and is stripped.  Errors: LP2P_EINVAL
 * (/p2p of another peer), LP2P_ELIMIT (peerstore full), LP2P_ENOMEM.
 */
LP2P_API int lp2p_peerstore_add_addr(lp2p_host *h,
                                     const struct lp2p_peer_id *peer,
                                     const struct lp2p_multiaddr *ma,
                                     uint64_t ttl_ms);

/* Replace the peer's protocol list (n entries).  Errors: LP2P_ERANGE (too
 * many or too long), LP2P_ELIMIT, LP2P_ENOMEM. */
LP2P_API int lp2p_peerstore_set_protocols(lp2p_host *h,
                                          const struct lp2p_peer_id *peer,
                                          const char *const *protocols,
                                          size_t n);

/* Store the peer's public key (protobuf PublicKey bytes); it must match
 * the peer id (LP2P_EPEERID otherwise, LP2P_EPROTO if malformed). */
LP2P_API int lp2p_peerstore_set_public_key(lp2p_host *h,
                                           const struct lp2p_peer_id *peer,
                                           const uint8_t *pb, size_t len);

/* Agent ("lp2p/0.1.0") and protocol version ("ipfs/0.1.0"); NULL leaves
 * one unchanged.  Errors: LP2P_ELIMIT (peerstore full), LP2P_ENOMEM. */
LP2P_API int lp2p_peerstore_set_agent(lp2p_host *h,
                                      const struct lp2p_peer_id *peer,
                                      const char *agent,
                                      const char *protocol_version);

/*
 * Plugin metadata: store data[0..len) under key (plugins should prefix
 * keys with their name, "ping.rtt").  len 0 with data NULL deletes.
 * Errors: LP2P_ERANGE (too long), LP2P_ELIMIT (too many keys, or the
 * peerstore full), LP2P_ENOMEM.
 */
LP2P_API int lp2p_peerstore_put(lp2p_host *h, const struct lp2p_peer_id *peer,
                                const char *key, const void *data, size_t len);

/* Forget everything about peer. */
LP2P_API void lp2p_peerstore_remove(lp2p_host *h,
                                    const struct lp2p_peer_id *peer);

/* ---- reading: metadata_for_peer ---- */

typedef struct lp2p_peer_metadata lp2p_peer_metadata;

/* The record of peer, or NULL when nothing is known. */
LP2P_API const lp2p_peer_metadata *
lp2p_host_metadata_for_peer(lp2p_host *h, const struct lp2p_peer_id *peer);

/*
 * Unexpired addresses: up to max into out, with the milliseconds each has
 * left in ttl_left_ms (may be NULL; LP2P_TTL_PERMANENT for permanent ones).
 * Returns how many there are.
 */
LP2P_API size_t lp2p_peer_metadata_addrs(const lp2p_peer_metadata *md,
                                         struct lp2p_multiaddr *out,
                                         uint64_t *ttl_left_ms, size_t max);
/* Protocols: up to max pointers into the record; returns the count. */
LP2P_API size_t lp2p_peer_metadata_protocols(const lp2p_peer_metadata *md,
                                             const char **out, size_t max);
LP2P_API bool lp2p_peer_metadata_supports(const lp2p_peer_metadata *md,
                                          const char *protocol);
/* "" when unknown. */
LP2P_API const char *lp2p_peer_metadata_agent(const lp2p_peer_metadata *md);
LP2P_API const char *
lp2p_peer_metadata_protocol_version(const lp2p_peer_metadata *md);
/* The protobuf public key; LP2P_ENOTFOUND when unknown. */
LP2P_API int lp2p_peer_metadata_public_key(const lp2p_peer_metadata *md,
                                           const uint8_t **pb, size_t *len);
/* A plugin value; LP2P_ENOTFOUND when absent. */
LP2P_API int lp2p_peer_metadata_get(const lp2p_peer_metadata *md,
                                    const char *key, const void **data,
                                    size_t *len);

#ifdef __cplusplus
}
#endif
#endif
