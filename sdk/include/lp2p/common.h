/*
 * lp2p/common.h - definitions shared by every lp2p header: the export
 * macro, error codes and lp2p_strerror().
 *
 * Conventions of the whole API:
 *  - every function that can fail returns 0 (or a non-negative count) on
 *    success and a negative LP2P_E* code on failure;
 *  - "out" pointers are written only on success;
 *  - a function taking a callback that fails never calls that callback;
 *  - each prototype's comment says who owns every buffer it takes or gives.
 */
#ifndef LP2P_COMMON_H
#define LP2P_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LP2P_API __attribute__((visibility("default")))
#define LP2P_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define LP2P_NODISCARD __attribute__((warn_unused_result))
#else
#define LP2P_API
#define LP2P_PRINTF(fmt, args)
#define LP2P_NODISCARD
#endif

/* Error codes: always negative.  Append only. */
enum lp2p_error {
	LP2P_OK = 0,
	LP2P_EINVAL = -1,     /* invalid argument */
	LP2P_ENOMEM = -2,     /* out of memory */
	LP2P_ERANGE = -3,     /* value out of range or buffer too small */
	LP2P_ETRUNC = -4,     /* input ends early (truncated) */
	LP2P_EPROTO = -5,     /* malformed input or protocol violation */
	LP2P_ENOTSUP = -6,    /* not supported */
	LP2P_ENOTFOUND = -7,  /* no such item */
	LP2P_EEXIST = -8,     /* already exists */
	LP2P_EIO = -9,        /* I/O error (see errno in the log) */
	LP2P_ECRYPTO = -10,   /* cryptographic failure (bad signature, ...) */
	LP2P_ETIMEDOUT = -11, /* timed out */
	LP2P_ECLOSED = -12,   /* closed (stream, connection or host) */
	LP2P_ERESET = -13,    /* reset by the remote */
	LP2P_EAGAIN = -14,    /* try again later (would block) */
	LP2P_ELIMIT = -15,    /* a configured resource limit was hit */
	LP2P_ECONFIG = -16,   /* invalid configuration */
	LP2P_EABI = -17,      /* plugin built for another ABI */
	LP2P_EPEERID = -18,   /* remote peer id differs from the expected one */
	LP2P_ENEGOTIATE = -19, /* no protocol in common */
	LP2P_ECANCELED = -20, /* canceled (host stopping, our own reset) */
	LP2P_EPERM = -21,     /* not permitted (file mode, ...) */
	LP2P_ENOTCONN = -22,  /* not connected / no usable address */
};

/* A static English description of an error code; never NULL. */
LP2P_API const char *lp2p_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif /* LP2P_COMMON_H */
