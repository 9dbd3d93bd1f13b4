/* log.c - the process-wide log: stderr with timestamps, or syslog */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include <lp2p/log.h>

static int log_level = LP2P_LOG_INFO;
static int log_syslog;
static char log_ident[64] = "lp2pd";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
	"error", "warn", "notice", "info", "debug", "trace",
};

LP2P_API const char *lp2p_log_level_name(int level)
{
	if (level < LP2P_LOG_ERROR || level > LP2P_LOG_TRACE)
		return "?";
	return level_names[level];
}

LP2P_API int lp2p_log_level_from_name(const char *name)
{
	for (int i = LP2P_LOG_ERROR; i <= LP2P_LOG_TRACE; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	return LP2P_EINVAL;
}

LP2P_API void lp2p_log_set_level(int level)
{
	if (level < LP2P_LOG_ERROR)
		level = LP2P_LOG_ERROR;
	if (level > LP2P_LOG_TRACE)
		level = LP2P_LOG_TRACE;
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

LP2P_API int lp2p_log_get_level(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

LP2P_API int lp2p_log_enabled(int level)
{
	return level <= lp2p_log_get_level();
}

LP2P_API void lp2p_log_to_syslog(const char *ident, int facility)
{
	pthread_mutex_lock(&log_lock);
	snprintf(log_ident, sizeof log_ident, "%s", ident ? ident : "lp2pd");
	openlog(log_ident, LOG_PID, facility);
	log_syslog = 1;
	pthread_mutex_unlock(&log_lock);
}

LP2P_API void lp2p_log_to_stderr(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_syslog)
		closelog();
	log_syslog = 0;
	pthread_mutex_unlock(&log_lock);
}

static int syslog_priority(int level)
{
	static const int prio[] = {LOG_ERR,  LOG_WARNING, LOG_NOTICE,
	                           LOG_INFO, LOG_DEBUG,   LOG_DEBUG};
	return prio[level];
}

LP2P_API void lp2p_logv(int level, const char *fmt, va_list ap)
{
	if (!lp2p_log_enabled(level))
		return;
	if (level < LP2P_LOG_ERROR)
		level = LP2P_LOG_ERROR;
	char msg[2048];
	vsnprintf(msg, sizeof msg, fmt, ap);

	pthread_mutex_lock(&log_lock);
	if (log_syslog) {
		syslog(syslog_priority(level), "%s", msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %-6s %s\n", stamp,
		        ts.tv_nsec / 1000000L, level_names[level], msg);
	}
	pthread_mutex_unlock(&log_lock);
}

LP2P_API void lp2p_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lp2p_logv(level, fmt, ap);
	va_end(ap);
}
