/*
 * lp2p/multiaddr.h - multiaddrs: self-describing network addresses such as
 * /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...
 *
 * A multiaddr is its binary form, <varint code><value>... per component,
 * held in a value type of at most LP2P_MULTIADDR_MAX_LEN bytes (longer
 * addresses are refused with LP2P_ERANGE).  Pure functions: no allocation,
 * no I/O.  Every struct lp2p_multiaddr produced by these functions is
 * valid: each component has a known code, a value of the right length and
 * content, and a path protocol (unix) is only ever the last component.
 *
 * Supported protocols (multicodec table codes): ip4, tcp, dccp, ip6,
 * ip6zone, ipcidr, dns, dns4, dns6, dnsaddr, sctp, udp, webrtc-direct,
 * webrtc, p2p-circuit, udt, utp, unix, p2p (text alias "ipfs" accepted on
 * parse), https, tls, sni, noise, quic, quic-v1, webtransport, certhash,
 * ws, wss, http, memory.  Any other code is an error (LP2P_ENOTSUP).
 *
 * Text form: "/name/value/name..." with values printed canonically
 * (ip6 as inet_ntop prints it, ports in decimal, p2p as legacy base58btc,
 * certhash as multibase base64url).  Parsing accepts trailing slashes,
 * p2p ids in CIDv1 form and certhash in any multibase of lp2p/multibase.h.
 */
#ifndef LP2P_MULTIADDR_H
#define LP2P_MULTIADDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include <lp2p/common.h>
#include <lp2p/peer_id.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest binary multiaddr accepted. */
#define LP2P_MULTIADDR_MAX_LEN 512
/* Buffer size that holds the text form of any multiaddr, NUL included. */
#define LP2P_MULTIADDR_STR_MAX 4096
/* Largest dns, dns4, dns6, dnsaddr, sni and ip6zone value, in bytes. */
#define LP2P_MULTIADDR_NAME_MAX 255

/* Protocol codes, from the multicodec table. */
enum lp2p_multiaddr_code {
	LP2P_MA_IP4 = 0x04,
	LP2P_MA_TCP = 0x06,
	LP2P_MA_DCCP = 0x21,
	LP2P_MA_IP6 = 0x29,
	LP2P_MA_IP6ZONE = 0x2a,
	LP2P_MA_IPCIDR = 0x2b,
	LP2P_MA_DNS = 0x35,
	LP2P_MA_DNS4 = 0x36,
	LP2P_MA_DNS6 = 0x37,
	LP2P_MA_DNSADDR = 0x38,
	LP2P_MA_SCTP = 0x84,
	LP2P_MA_UDP = 0x0111,
	LP2P_MA_WEBRTC_DIRECT = 0x0118,
	LP2P_MA_WEBRTC = 0x0119,
	LP2P_MA_P2P_CIRCUIT = 0x0122,
	LP2P_MA_UDT = 0x012d,
	LP2P_MA_UTP = 0x012e,
	LP2P_MA_UNIX = 0x0190,
	LP2P_MA_P2P = 0x01a5,
	LP2P_MA_HTTPS = 0x01bb,
	LP2P_MA_TLS = 0x01c0,
	LP2P_MA_SNI = 0x01c1,
	LP2P_MA_NOISE = 0x01c6,
	LP2P_MA_QUIC = 0x01cc,
	LP2P_MA_QUIC_V1 = 0x01cd,
	LP2P_MA_WEBTRANSPORT = 0x01d1,
	LP2P_MA_CERTHASH = 0x01d2,
	LP2P_MA_WS = 0x01dd,
	LP2P_MA_WSS = 0x01de,
	LP2P_MA_HTTP = 0x01e0,
	LP2P_MA_MEMORY = 0x0309,
};

/* A multiaddr by value: copy by assignment. */
struct lp2p_multiaddr {
	uint16_t len;                          /* bytes used in bytes[] */
	uint8_t bytes[LP2P_MULTIADDR_MAX_LEN]; /* the binary form */
};

/* One component: a view into the multiaddr it was read from. */
struct lp2p_multiaddr_component {
	uint64_t code;        /* protocol code */
	const char *name;     /* protocol name (static string) */
	const uint8_t *value; /* binary value (NULL if none) */
	size_t value_len;     /* its length (0 for flag protocols) */
	size_t offset;        /* where the component starts in the multiaddr */
	size_t len;           /* the whole component's length in bytes */
};

/* Iterator over the components; plain data, no cleanup needed. */
struct lp2p_multiaddr_iter {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

/* The protocol name of code (static string), or NULL if unknown. */
LP2P_API const char *lp2p_multiaddr_proto_name(uint64_t code);

/*
 * Check that buf[0..len) is a valid, non-empty binary multiaddr.  Errors:
 * LP2P_ETRUNC (ends inside a component), LP2P_EPROTO (bad varint, bad
 * value length or content, component after a path), LP2P_ENOTSUP (unknown
 * protocol code), LP2P_ERANGE (longer than LP2P_MULTIADDR_MAX_LEN).
 */
LP2P_API int lp2p_multiaddr_validate(const uint8_t *buf, size_t len);

/* Validate buf[0..len) as above and copy it into *out. */
LP2P_API int lp2p_multiaddr_from_bytes(const uint8_t *buf, size_t len,
                                       struct lp2p_multiaddr *out);

/*
 * Parse the text form str[0..slen) (no NUL needed; a NUL inside is an
 * error) into *out.  Errors: LP2P_EPROTO (no leading '/', missing or bad
 * value: invalid IP, port above 65535, bad peer id, empty name, ...),
 * LP2P_ENOTSUP (unknown protocol name), LP2P_ERANGE (too long).
 */
LP2P_API int lp2p_multiaddr_parse(const char *str, size_t slen,
                                  struct lp2p_multiaddr *out);

/*
 * Write the text form of ma into out (capacity cap, NUL-terminated;
 * LP2P_MULTIADDR_STR_MAX always suffices).  Returns the string length,
 * LP2P_ERANGE if cap is too small, LP2P_EPROTO if *ma is not valid.  An
 * empty multiaddr prints as "".
 */
LP2P_API int lp2p_multiaddr_to_string(const struct lp2p_multiaddr *ma,
                                      char *out, size_t cap);

/*
 * Write the text form of one component's value (e.g. "127.0.0.1", "4001",
 * "12D3KooW...") into out; "" for a protocol without value.  Returns the
 * length, LP2P_ERANGE if cap is too small, LP2P_EPROTO for a bad value.
 */
LP2P_API int lp2p_multiaddr_value_to_string(
	const struct lp2p_multiaddr_component *c, char *out, size_t cap);

/* Start iterating over buf[0..len) (typically ma->bytes, ma->len). */
LP2P_API void lp2p_multiaddr_iter_init(struct lp2p_multiaddr_iter *it,
                                       const uint8_t *buf, size_t len);

/*
 * Read the next component into *c (a view into the iterated buffer).
 * Returns 1 for a component, 0 at the end, or a negative error as
 * lp2p_multiaddr_validate() for a malformed buffer (then stays there).
 */
LP2P_API int lp2p_multiaddr_iter_next(struct lp2p_multiaddr_iter *it,
                                      struct lp2p_multiaddr_component *c);

/* True if a and b have the same bytes. */
LP2P_API bool lp2p_multiaddr_equal(const struct lp2p_multiaddr *a,
                                   const struct lp2p_multiaddr *b);

/*
 * Append the components of tail to ma.  LP2P_ERANGE if the result would
 * exceed LP2P_MULTIADDR_MAX_LEN, LP2P_EPROTO if ma ends with a path
 * protocol (unix).  ma is unchanged on failure.
 */
LP2P_API int lp2p_multiaddr_encapsulate(struct lp2p_multiaddr *ma,
                                        const struct lp2p_multiaddr *tail);

/*
 * Append one component: code with value[0..value_len) in binary form
 * (value NULL/0 for protocols without one).  The value is validated like
 * a decoded one.  Errors as lp2p_multiaddr_validate(); ma unchanged on
 * failure.
 */
LP2P_API int lp2p_multiaddr_push(struct lp2p_multiaddr *ma, uint64_t code,
                                 const uint8_t *value, size_t value_len);

/*
 * Remove the last component with this code and everything after it
 * (/ip4/1.2.3.4/tcp/1/ws minus tcp is /ip4/1.2.3.4).  The result may be
 * empty.  LP2P_ENOTFOUND (ma unchanged) if there is no such component.
 */
LP2P_API int lp2p_multiaddr_decapsulate(struct lp2p_multiaddr *ma,
                                        uint64_t code);

/*
 * If the last component is /p2p/<id>, store the id in *id (if non-NULL)
 * and remove that component from ma (if remove).  LP2P_ENOTFOUND if the
 * multiaddr does not end with /p2p.
 */
LP2P_API int lp2p_multiaddr_peer_id(struct lp2p_multiaddr *ma,
                                    struct lp2p_peer_id *id, bool remove);

/* Where a /host/transport/port prefix points to. */
struct lp2p_multiaddr_hostport {
	uint64_t host_code;      /* LP2P_MA_IP4, _IP6, _DNS, _DNS4 or _DNS6 */
	uint64_t transport_code; /* LP2P_MA_TCP or LP2P_MA_UDP */
	uint16_t port;
	/*
	 * ip4/ip6: the address and port as a sockaddr_in/sockaddr_in6
	 * (sin6_scope_id set from a numeric ip6zone); dns*: ss_family is
	 * AF_UNSPEC and name holds the host name.
	 */
	struct sockaddr_storage addr;
	socklen_t addr_len; /* 0 for dns* */
	char name[LP2P_MULTIADDR_NAME_MAX + 1]; /* dns* name, else "" */
	/* A non-numeric ip6zone (interface name) to resolve, else "". */
	char zone[LP2P_MULTIADDR_NAME_MAX + 1];
	size_t consumed; /* bytes of the prefix; the rest follows in ma */
};

/*
 * Read the /[ip6zone/z/](ip4|ip6|dns|dns4|dns6)/h/(tcp|udp)/port prefix
 * of ma into *out.  LP2P_ENOTSUP if ma does not start that way.
 */
LP2P_API int lp2p_multiaddr_host_port(const struct lp2p_multiaddr *ma,
                                      struct lp2p_multiaddr_hostport *out);

/*
 * True if ma is exactly a TCP address a TCP transport can dial or listen
 * on: /(ip4|ip6|dns|dns4|dns6)/h/tcp/port, with an optional ip6zone
 * before ip6 and an optional trailing /p2p/<id>.
 */
LP2P_API bool lp2p_multiaddr_is_tcp(const struct lp2p_multiaddr *ma);

/*
 * Build /ip4/a/<transport>/port or /ip6/a/<transport>/port (with ip6zone
 * from a numeric scope id) from a sockaddr_in or sockaddr_in6.
 * transport_code is LP2P_MA_TCP or LP2P_MA_UDP.  Errors: LP2P_EINVAL
 * (another family or code, short salen).
 */
LP2P_API int lp2p_multiaddr_from_sockaddr(const struct sockaddr *sa,
                                          socklen_t salen,
                                          uint64_t transport_code,
                                          struct lp2p_multiaddr *out);

#ifdef __cplusplus
}
#endif
#endif
