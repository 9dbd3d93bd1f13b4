/*
 * lp2p/log.h - the process-wide log.  The host configures where it goes
 * (stderr with timestamps, or syslog) and the level; plugins and the runtime
 * write to it.  Thread-safe: each call writes one whole line.
 */
#ifndef LP2P_LOG_H
#define LP2P_LOG_H

#include <stdarg.h>
#include <lp2p/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum lp2p_log_level {
	LP2P_LOG_ERROR = 0,
	LP2P_LOG_WARN = 1,
	LP2P_LOG_NOTICE = 2,
	LP2P_LOG_INFO = 3,
	LP2P_LOG_DEBUG = 4,
	LP2P_LOG_TRACE = 5,
};

/* Write one line at level (a newline is added).  Cheap when filtered out. */
LP2P_API void lp2p_log(int level, const char *fmt, ...) LP2P_PRINTF(2, 3);
LP2P_API void lp2p_logv(int level, const char *fmt, va_list ap)
	LP2P_PRINTF(2, 0);

/* True when a message at level would be written. */
LP2P_API int lp2p_log_enabled(int level);

/* The threshold: messages above it are dropped.  Default LP2P_LOG_INFO. */
LP2P_API void lp2p_log_set_level(int level);
LP2P_API int lp2p_log_get_level(void);

/* Level names: "error" "warn" "notice" "info" "debug" "trace". */
LP2P_API const char *lp2p_log_level_name(int level);
/* Returns the level, or LP2P_EINVAL for an unknown name. */
LP2P_API int lp2p_log_level_from_name(const char *name);

/* Send lines to syslog(3) with this ident (copied), or back to stderr. */
LP2P_API void lp2p_log_to_syslog(const char *ident, int facility);
LP2P_API void lp2p_log_to_stderr(void);

#ifdef __cplusplus
}
#endif
#endif
