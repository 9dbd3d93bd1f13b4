/*
 * pnet/pnet.h - libp2p private networks, PSK v1 (specs/pnet/
 * Private-Networks-PSK-V1.md).  Internal to the runtime.
 *
 * Every node of a private network knows one 32-byte pre-shared key.  Right
 * after the transport connects, each side sends a fresh random 24-byte
 * nonce; after it, every byte that side sends is XORed with the XSalsa20
 * keystream of (key, its nonce).  Multistream-select and the security
 * handshake run on top.  A peer with another key, or none, sees noise, and
 * its first bytes do not read as multistream-select.
 *
 * A pure state machine: bytes in, bytes out, no I/O, no clock.  One object
 * per connection (one allocation).  The caller sends
 * lp2p_pnet_local_nonce() before any other byte, passes every received
 * byte through lp2p_pnet_recv() and every byte it sends through
 * lp2p_pnet_seal(), in order, in chunks of any size.
 *
 * Key files (as go-libp2p's and js-libp2p's, IPFS's swarm.key):
 *
 *     /key/swarm/psk/1.0.0/
 *     /base16/
 *     <64 hex digits>
 *
 * Lines end in "\n" or "\r\n".  The encoding line may also be /base64/
 * (44 characters with the padding, 43 without) or /bin/ (the 32 raw
 * bytes), as go-libp2p reads them (js-libp2p reads only /base16/).
 * Whitespace after the key is ignored; anything else is refused (go
 * ignores it, js reads one line).
 */
#ifndef LP2P_PNET_PNET_H
#define LP2P_PNET_PNET_H

#include <stddef.h>
#include <stdint.h>

#include <lp2p/common.h>

#define LP2P_PNET_KEY_LEN 32
#define LP2P_PNET_NONCE_LEN 24
/* Largest key file read (a key file is under 100 bytes). */
#define LP2P_PNET_KEY_FILE_MAX 4096
/* lp2p_pnet_key_fingerprint(): 32 hex digits and the NUL. */
#define LP2P_PNET_FINGERPRINT_LEN 33

/*
 * Parse a key file's contents (len bytes, not NUL-terminated).  Returns 0
 * and writes key, or LP2P_EPROTO (not a PSK v1 file, unknown encoding, a
 * bad digit) or LP2P_ERANGE (a key of another length) with one line in
 * err naming what is wrong; key is then untouched.  LP2P_EINVAL for NULL
 * arguments.
 */
int lp2p_pnet_key_parse(const uint8_t *text, size_t len,
                        uint8_t key[LP2P_PNET_KEY_LEN], char *err,
                        size_t errlen);

/*
 * Read and parse the file at path.  Errors as lp2p_pnet_key_parse(), and
 * LP2P_ENOTFOUND, LP2P_EPERM (unreadable, or a mode that lets group or
 * others access it: it must be 0600 or stricter, as an identity key),
 * LP2P_ERANGE (larger than LP2P_PNET_KEY_FILE_MAX), LP2P_EIO; err starts
 * with the path.
 */
int lp2p_pnet_key_load(const char *path, uint8_t key[LP2P_PNET_KEY_LEN],
                       char *err, size_t errlen);

/*
 * A fingerprint of the key for log lines and --check-config: 32 hex
 * digits, SHAKE128 of the key's first Salsa20 block under the nonce
 * "finprint" (16 bytes), the same value Kubo prints as "Swarm key
 * fingerprint".  The key cannot be recovered from it.  cap should be at
 * least LP2P_PNET_FINGERPRINT_LEN; out is always NUL-terminated.
 */
void lp2p_pnet_key_fingerprint(const uint8_t key[LP2P_PNET_KEY_LEN],
                               char *out, size_t cap);

struct lp2p_pnet;

/*
 * One connection's state, with a new random nonce (RAND_bytes).  key is
 * copied.  Returns 0, LP2P_EINVAL, LP2P_ENOMEM or LP2P_ECRYPTO (no
 * randomness); *out is written only on success.
 */
int lp2p_pnet_new(const uint8_t key[LP2P_PNET_KEY_LEN],
                  struct lp2p_pnet **out);

/* Free p (NULL is fine); its key material is wiped first. */
void lp2p_pnet_free(struct lp2p_pnet *p);

/* Our nonce (LP2P_PNET_NONCE_LEN bytes, owned by p): send it before any
 * other byte. */
const uint8_t *lp2p_pnet_local_nonce(const struct lp2p_pnet *p);

/*
 * Received bytes.  The first LP2P_PNET_NONCE_LEN bytes ever received are
 * the remote nonce, taken whatever the chunking; the rest of buf is
 * decrypted in place.  Returns how many leading bytes of buf were nonce:
 * the plaintext is buf[ret..len).  Never fails.
 */
size_t lp2p_pnet_recv(struct lp2p_pnet *p, uint8_t *buf, size_t len);

/* Bytes to send (after the nonce): encrypted in place.  Never fails. */
void lp2p_pnet_seal(struct lp2p_pnet *p, uint8_t *buf, size_t len);

/*
 * Whether the peer shares our key, as far as its bytes tell.  The first
 * plaintext bytes a libp2p peer sends on a connection are always the
 * multistream-select header, "\x13/multistream/1.0.0\n"; lp2p_pnet_recv()
 * compares what it decrypts with it.  Returns 0 once the whole header
 * matched, LP2P_EAGAIN while fewer bytes came but match so far, and
 * LP2P_ECRYPTO as soon as one differs: the peer has another key or is not
 * in a private network (also when the header came in the clear where the
 * nonce goes: a peer without one, which may send nothing more).  The connection should then be closed with a log
 * line that says "private network", before multistream-select reports a
 * protocol error or waits for a line that never ends.
 */
int lp2p_pnet_status(const struct lp2p_pnet *p);

#endif
