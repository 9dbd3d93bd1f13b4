/*
 * soak.c - hold thousands of connections to an lp2pd and churn them and
 * their streams for minutes, reporting lp2pd's RSS and counters as it
 * goes (make soak; see tests/hostile/README.md).
 *
 * lp2pd runs as a child with the echo plugin and a configuration written
 * here.  Worker threads each own a share of the connection slots and go
 * round them: open (yamux or mplex, muxer chosen early or by
 * multistream-select), echo round trips on fresh streams, streams left
 * open and later reset, clean closes, aborts (RST), garbage, stalled
 * handshakes that lp2pd must time out.  Every few seconds a line shows
 * lp2pd's RSS, its open descriptors, its established TCP connections and
 * the clients' counts.
 *
 * It fails (exit 1) if lp2pd dies, an echo comes back wrong, a stalled
 * handshake is not closed, lp2pd's descriptors do not return to their
 * level before the run once every client is gone, lp2pd does not exit
 * cleanly on SIGTERM, or its log shows a sanitizer report.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile.h"

#define MAX_HELD 8
#define HANDSHAKE_TIMEOUT_S 3

struct opts {
	const char *lp2pd;
	const char *plugins;
	const char *workdir;
	unsigned seconds, conns, threads, interval;
};

struct slot {
	struct hp_conn c;
	bool open;
	bool stalled; /* a handshake we stopped sending on purpose */
	uint64_t since;
	uint64_t held[MAX_HELD];
	size_t nheld;
};

static struct {
	atomic_ulong opened, closed, aborted, dropped, garbage;
	atomic_ulong stalls, stalls_closed;
	atomic_ulong streams, echoes, echo_bytes, resets;
	atomic_ulong failures;
	atomic_long conns_open, held_open;
} st;

static atomic_bool stopping;
static pid_t child = -1;
static uint16_t port;

static void failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failure(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "soak: FAILURE: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	atomic_fetch_add(&st.failures, 1);
}

/* ---- lp2pd ---- */

static size_t count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	size_t n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static size_t rss_of(pid_t pid)
{
	char path[64], line[256];
	size_t kib = 0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %zu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Established TCP connections whose local port is lp2pd's. */
static size_t established(void)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	size_t n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		unsigned lport, state;
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x", &lport, &state) ==
		        2 &&
		    lport == port && state == 1)
			n++;
	}
	fclose(f);
	return n;
}

static bool child_alive(void)
{
	int status;
	pid_t r = waitpid(child, &status, WNOHANG);
	if (r == 0)
		return true;
	if (r == child) {
		if (WIFSIGNALED(status))
			failure("lp2pd died of signal %d", WTERMSIG(status));
		else
			failure("lp2pd exited with status %d",
			        WEXITSTATUS(status));
		child = -1;
	}
	return false;
}

static int start_lp2pd(const struct opts *o, char *log_path, size_t cap)
{
	char conf[512];
	snprintf(conf, sizeof conf, "%s/soak-lp2pd.yaml", o->workdir);
	snprintf(log_path, cap, "%s/soak-lp2pd.log", o->workdir);
	FILE *f = fopen(conf, "w");
	if (!f) {
		perror(conf);
		return -1;
	}
	/* a little under the clients: the connection manager trims too */
	unsigned high = o->conns * 9 / 10, low = o->conns * 3 / 4;
	fprintf(f,
	        "listen: [/ip4/127.0.0.1/tcp/0]\n"
	        "plugin_path: [%s]\n"
	        "plugins:\n"
	        "  echo: {}\n"
	        "limits:\n"
	        "  max_connections: %u\n"
	        "  max_inbound_connections: %u\n"
	        "  max_pending_handshakes: %u\n"
	        "  max_streams_per_connection: 64\n"
	        "  handshake_timeout: %us\n"
	        "  negotiation_timeout: 3s\n"
	        "  write_timeout: 5s\n"
	        "log:\n"
	        "  level: notice\n" /* the SIGUSR1 resource reports */
	        "connection_manager:\n"
	        "  low_water: %u\n"
	        "  high_water: %u\n"
	        "  grace_period: 2s\n"
	        "  idle_timeout: 20s\n",
	        o->plugins, 2 * o->conns + 256, 2 * o->conns + 256,
	        2 * o->conns + 256 < 1024 ? 2 * o->conns + 256 : 1024,
	        HANDSHAKE_TIMEOUT_S, low, high);
	fclose(f);
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		execl(o->lp2pd, o->lp2pd, "-c", conf, (char *)NULL);
		perror(o->lp2pd);
		_exit(127);
	}
	/* lp2pd says where it listens: .../tcp/PORT/p2p/... */
	for (int i = 0; i < 600 && !port; i++) {
		hp_sleep_ms(50);
		if (!child_alive())
			return -1;
		f = fopen(log_path, "r");
		char line[1024];
		while (f && fgets(line, sizeof line, f)) {
			const char *p = strstr(line, "listening on /ip4/");
			const char *t = p ? strstr(p, "/tcp/") : NULL;
			unsigned v;
			if (t && sscanf(t, "/tcp/%u", &v) == 1)
				port = (uint16_t)v;
		}
		if (f)
			fclose(f);
	}
	return port ? 0 : -1;
}

/* ---- the clients ---- */

static bool closed_by_peer(int rc)
{
	return rc == -EPIPE || rc == -ECONNRESET || rc == -ETIMEDOUT;
}

static void slot_close(struct slot *s, bool abort_it)
{
	if (!s->open)
		return;
	if (abort_it)
		hp_abort(&s->c);
	else
		hp_close(&s->c);
	s->open = false;
	s->stalled = false;
	atomic_fetch_sub(&st.held_open, (long)s->nheld);
	s->nheld = 0;
	atomic_fetch_sub(&st.conns_open, 1);
}

static void slot_open(struct slot *s)
{
	uint64_t r = hp_rand();
	const char *muxer = r & 1 ? HP_MPLEX : HP_YAMUX;
	if (hp_connect(&s->c, port, 0, 0) != 0) {
		atomic_fetch_add(&st.dropped, 1);
		return;
	}
	s->open = true;
	s->since = hp_now_ms();
	atomic_fetch_add(&st.conns_open, 1);
	atomic_fetch_add(&st.opened, 1);
	if (r % 50 == 7) {
		/* a handshake that stops before msg 2 is needed: lp2pd must
		 * time it out */
		struct hp_hs_opts o = {.budget = (r >> 8) % 62};
		if (hp_handshake(&s->c, &o) == HP_STALLED) {
			s->stalled = true;
			atomic_fetch_add(&st.stalls, 1);
		} else {
			atomic_fetch_add(&st.dropped, 1);
			slot_close(s, false);
		}
		return;
	}
	struct hp_hs_opts o = {
	    .budget = SIZE_MAX, .muxer = muxer, .early = (r >> 1) & 1};
	int rc = hp_handshake(&s->c, &o);
	if (rc != HP_DONE) {
		/* lp2pd may refuse at a limit or trim: not a failure */
		atomic_fetch_add(&st.dropped, 1);
		slot_close(s, false);
	}
}

static void hold_stream(struct slot *s)
{
	struct hp_buf m = {0};
	hp_mss_line(&m, "/multistream/1.0.0");
	hp_mss_line(&m, HP_ECHO);
	uint64_t id = s->c.next_id;
	int rc;
	if (s->c.mux == HP_MUX_YAMUX) {
		s->c.next_id += 2;
		rc = hp_y_send(&s->c, Y_DATA, Y_SYN, (uint32_t)id,
		               (uint32_t)m.len, m.p, m.len);
	} else {
		s->c.next_id++;
		rc = hp_m_send(&s->c, id, 0, "h", 1);
		if (!rc)
			rc = hp_m_send(&s->c, id, 2, m.p, m.len);
	}
	hp_buf_free(&m);
	if (rc) {
		atomic_fetch_add(&st.dropped, 1);
		slot_close(s, false);
		return;
	}
	s->held[s->nheld++] = id;
	atomic_fetch_add(&st.held_open, 1);
	atomic_fetch_add(&st.streams, 1);
}

static void reset_held(struct slot *s)
{
	for (size_t i = 0; i < s->nheld; i++) {
		int rc = s->c.mux == HP_MUX_YAMUX
		             ? hp_y_send(&s->c, Y_WINDOW, Y_RST,
		                         (uint32_t)s->held[i], 0, NULL, 0)
		             : hp_m_send(&s->c, s->held[i], 6, NULL, 0);
		if (rc)
			break;
	}
	atomic_fetch_sub(&st.held_open, (long)s->nheld);
	s->nheld = 0;
}

static void slot_step(struct slot *s)
{
	if (!s->open) {
		slot_open(s);
		return;
	}
	if (s->stalled) {
		if (hp_is_closed(&s->c)) {
			atomic_fetch_add(&st.stalls_closed, 1);
			slot_close(s, false);
		} else if (hp_now_ms() - s->since >
		           (HANDSHAKE_TIMEOUT_S + 10) * 1000) {
			failure("a stalled handshake is still open after "
			        "%llu ms",
			        (unsigned long long)(hp_now_ms() - s->since));
			slot_close(s, false);
		}
		return;
	}
	uint64_t r = hp_rand() % 100;
	if (r < 60) {
		uint8_t data[8192];
		size_t n = 1 + hp_rand() % sizeof data;
		hp_random_bytes(data, n);
		int rc = hp_echo(&s->c, data, n, 10000);
		atomic_fetch_add(&st.streams, 1);
		if (rc == 0) {
			atomic_fetch_add(&st.echoes, 1);
			atomic_fetch_add(&st.echo_bytes, n);
		} else if (rc == -ECONNRESET) {
			atomic_fetch_add(&st.resets, 1);
		} else if (closed_by_peer(rc)) {
			atomic_fetch_add(&st.dropped, 1);
			slot_close(s, false);
		} else {
			failure("echo: %s", strerror(-rc));
			slot_close(s, false);
		}
	} else if (r < 70) {
		if (s->nheld < MAX_HELD)
			hold_stream(s);
	} else if (r < 78) {
		reset_held(s);
	} else if (r < 86) {
		atomic_fetch_add(&st.closed, 1);
		slot_close(s, false);
	} else if (r < 89) {
		atomic_fetch_add(&st.aborted, 1);
		slot_close(s, true);
	} else if (r < 91) {
		uint8_t g[1024];
		size_t n = 1 + hp_rand() % sizeof g;
		hp_random_bytes(g, n);
		(void)hp_send_sealed(&s->c, g, n);
		atomic_fetch_add(&st.garbage, 1);
		slot_close(s, false);
	} /* else: idle this round */
}

struct worker {
	pthread_t thread;
	struct slot *slots;
	size_t n;
	unsigned seed;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	hp_seed(0x50a4 + w->seed);
	while (!atomic_load(&stopping))
		for (size_t i = 0; i < w->n && !atomic_load(&stopping); i++)
			slot_step(&w->slots[i]);
	for (size_t i = 0; i < w->n; i++)
		slot_close(&w->slots[i], false);
	return NULL;
}

/* ---- main ---- */

static const char *soak_log;

/*
 * Ask lp2pd for its resource report (SIGUSR1) and copy its system line
 * into line: 0, or -1 if none came within 5 s.
 */
static int resource_report(char *line, size_t cap)
{
	static unsigned seen;
	if (child <= 0 || kill(child, SIGUSR1) != 0)
		return -1;
	for (int tries = 0; tries < 100; tries++) {
		hp_sleep_ms(50);
		FILE *f = fopen(soak_log, "r");
		char buf[2048];
		unsigned n = 0;
		while (f && fgets(buf, sizeof buf, f)) {
			char *p = strstr(buf, "resources: system: ");
			if (!p)
				continue;
			n++;
			snprintf(line, cap, "%s", p + strlen("resources: "));
			line[strcspn(line, "\n")] = '\0';
		}
		if (f)
			fclose(f);
		if (n > seen) {
			seen = n;
			return 0;
		}
	}
	return -1;
}

static void report(uint64_t t0, size_t fds0)
{
	static unsigned long last_echoes;
	static uint64_t last_t;
	uint64_t now = hp_now_ms();
	unsigned long echoes = atomic_load(&st.echoes);
	double rate = last_t ? (double)(echoes - last_echoes) * 1000.0 /
	                           (double)(now - last_t)
	                     : 0;
	last_echoes = echoes;
	last_t = now;
	printf("[%5llus] lp2pd rss %7zu KiB  fds %5zu (+%zd)  tcp %5zu | "
	       "clients: conns %5ld (opened %lu, closed %lu, aborted %lu, "
	       "garbage %lu, dropped %lu, stalls %lu/%lu)  streams held "
	       "%4ld, opened %lu, echoes %lu (%.0f/s), resets %lu, "
	       "failures %lu\n",
	       (unsigned long long)((now - t0) / 1000), rss_of(child),
	       count_fds(child), (ssize_t)count_fds(child) - (ssize_t)fds0,
	       established(), atomic_load(&st.conns_open),
	       atomic_load(&st.opened), atomic_load(&st.closed),
	       atomic_load(&st.aborted), atomic_load(&st.garbage),
	       atomic_load(&st.dropped), atomic_load(&st.stalls_closed),
	       atomic_load(&st.stalls), atomic_load(&st.held_open),
	       atomic_load(&st.streams), echoes, rate, atomic_load(&st.resets),
	       atomic_load(&st.failures));
	char scopes[1024];
	if (resource_report(scopes, sizeof scopes) == 0)
		printf("        lp2pd %s\n", scopes);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: soak --lp2pd PATH --plugins DIR [--seconds N] "
	        "[--conns N]\n"
	        "            [--threads N] [--interval S] [--workdir DIR]\n");
	exit(2);
}

static unsigned number(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > 1000000)
		usage();
	return (unsigned)v;
}

static bool log_has_sanitizer_report(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	bool found = false;
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "AddressSanitizer") ||
		    strstr(line, "LeakSanitizer") ||
		    strstr(line, "runtime error:"))
			found = true;
	if (f)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	struct opts o = {.seconds = 120,
	                 .conns = 2000,
	                 .threads = 4,
	                 .interval = 5,
	                 .workdir = "."};
	static const struct option longopts[] = {
	    {"lp2pd", required_argument, NULL, 'l'},
	    {"plugins", required_argument, NULL, 'p'},
	    {"seconds", required_argument, NULL, 's'},
	    {"conns", required_argument, NULL, 'c'},
	    {"threads", required_argument, NULL, 't'},
	    {"interval", required_argument, NULL, 'i'},
	    {"workdir", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	for (int ch;
	     (ch = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
		switch (ch) {
		case 'l': o.lp2pd = optarg; break;
		case 'p': o.plugins = optarg; break;
		case 's': o.seconds = number(optarg); break;
		case 'c': o.conns = number(optarg); break;
		case 't': o.threads = number(optarg); break;
		case 'i': o.interval = number(optarg); break;
		case 'w': o.workdir = optarg; break;
		default: usage();
		}
	}
	if (!o.lp2pd || !o.plugins || o.conns < 8)
		usage();
	signal(SIGPIPE, SIG_IGN);
	/* thousands of sockets here and in lp2pd (which inherits this) */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < 2 * o.conns + 512)
			fprintf(stderr,
			        "soak: warning: only %llu descriptors for %u "
			        "connections\n",
			        (unsigned long long)rl.rlim_cur, o.conns);
	}

	char log_path[600];
	soak_log = log_path;
	if (start_lp2pd(&o, log_path, sizeof log_path)) {
		fprintf(stderr, "soak: lp2pd did not start; see %s\n",
		        log_path);
		return 1;
	}
	hp_sleep_ms(200);
	size_t fds0 = count_fds(child);
	printf("soak: lp2pd pid %d on 127.0.0.1:%u, %u connections, %u "
	       "threads, %u s (log: %s)\n",
	       (int)child, port, o.conns, o.threads, o.seconds, log_path);

	struct slot *slots = calloc(o.conns, sizeof *slots);
	struct worker *w = calloc(o.threads, sizeof *w);
	size_t per = o.conns / o.threads;
	for (unsigned i = 0; i < o.threads; i++) {
		w[i].slots = slots + i * per;
		w[i].n = i + 1 == o.threads ? o.conns - i * per : per;
		w[i].seed = i;
		pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
	}
	uint64_t t0 = hp_now_ms();
	size_t rss_mid = 0, rss_end = 0;
	while (hp_now_ms() - t0 < (uint64_t)o.seconds * 1000) {
		hp_sleep_ms(o.interval * 1000);
		if (!child_alive())
			break;
		report(t0, fds0);
		if (!rss_mid && hp_now_ms() - t0 >= o.seconds * 500ull)
			rss_mid = rss_of(child);
		rss_end = rss_of(child);
	}
	atomic_store(&stopping, true);
	for (unsigned i = 0; i < o.threads; i++)
		pthread_join(w[i].thread, NULL);
	free(slots);
	free(w);

	/* every client is gone: lp2pd must let go of everything */
	int rc = 0;
	if (child > 0) {
		uint64_t until = hp_now_ms() + 20000;
		while ((count_fds(child) > fds0 || established()) &&
		       hp_now_ms() < until)
			hp_sleep_ms(100);
		printf("soak: after the clients left:\n");
		report(t0, fds0);
		if (count_fds(child) > fds0)
			failure("lp2pd holds %zu more descriptors than before "
			        "the run",
			        count_fds(child) - fds0);
		/* and its resource scopes hold nothing (lingering sockets
		 * close within 2 s) */
		char scopes[1024] = "";
		bool zero = false;
		for (int i = 0; i < 10 && !zero; i++) {
			if (resource_report(scopes, sizeof scopes))
				break;
			zero = strstr(scopes, "connections 0 in / 0 out") &&
			       strstr(scopes, "streams 0 in / 0 out") &&
			       strstr(scopes, "fds 0 ") &&
			       strstr(scopes, "memory 0 ");
			if (!zero)
				hp_sleep_ms(500);
		}
		if (!zero)
			failure("lp2pd's system scope is not back to zero: %s",
			        scopes);
		if (rss_mid && rss_end > rss_mid + rss_mid / 4)
			printf("soak: note: RSS grew from %zu to %zu KiB over "
			       "the second half\n",
			       rss_mid, rss_end);
		kill(child, SIGTERM);
		int status = 0;
		for (int i = 0; i < 300; i++) {
			if (waitpid(child, &status, WNOHANG) == child) {
				child = -1;
				break;
			}
			hp_sleep_ms(100);
		}
		if (child > 0) {
			failure("lp2pd did not stop on SIGTERM");
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			failure("lp2pd exited with status %d (signal %d)",
			        WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			        WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		}
	}
	if (log_has_sanitizer_report(log_path))
		failure("sanitizer report in %s", log_path);
	unsigned long fails = atomic_load(&st.failures);
	printf("soak: %s: %lu connections opened, %lu streams, %lu echoes "
	       "(%lu KiB), %lu failures\n",
	       fails ? "FAILED" : "passed", atomic_load(&st.opened),
	       atomic_load(&st.streams), atomic_load(&st.echoes),
	       atomic_load(&st.echo_bytes) / 1024, fails);
	rc = fails ? 1 : 0;
	return rc;
}
