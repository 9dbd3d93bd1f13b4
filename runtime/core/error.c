/* error.c - lp2p_strerror() */
#include <lp2p/common.h>

LP2P_API const char *lp2p_strerror(int err)
{
	switch (err) {
	case LP2P_OK: return "success";
	case LP2P_EINVAL: return "invalid argument";
	case LP2P_ENOMEM: return "out of memory";
	case LP2P_ERANGE: return "value out of range";
	case LP2P_ETRUNC: return "truncated input";
	case LP2P_EPROTO: return "malformed input or protocol violation";
	case LP2P_ENOTSUP: return "not supported";
	case LP2P_ENOTFOUND: return "not found";
	case LP2P_EEXIST: return "already exists";
	case LP2P_EIO: return "I/O error";
	case LP2P_ECRYPTO: return "cryptographic failure";
	case LP2P_ETIMEDOUT: return "timed out";
	case LP2P_ECLOSED: return "closed";
	case LP2P_ERESET: return "reset by peer";
	case LP2P_EAGAIN: return "try again";
	case LP2P_ELIMIT: return "resource limit reached";
	case LP2P_ECONFIG: return "invalid configuration";
	case LP2P_EABI: return "plugin ABI mismatch";
	case LP2P_EPEERID: return "peer id mismatch";
	case LP2P_ENEGOTIATE: return "no protocol in common";
	case LP2P_ECANCELED: return "canceled";
	case LP2P_EPERM: return "not permitted";
	case LP2P_ENOTCONN: return "not connected";
	}
	return "unknown error";
}
