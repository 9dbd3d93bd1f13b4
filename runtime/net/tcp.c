/* tcp.c - TCP listeners and dials as libev watchers */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lp2p/common.h>
#include <lp2p/log.h>

#include "net/tcp.h"

/* After EMFILE/ENFILE, wait this long before accepting again. */
#define ACCEPT_BACKOFF_S 0.1
/* Accept at most this many connections per loop iteration (fairness). */
#define ACCEPT_BATCH 64

struct lp2p_tcp_listener {
	ev_io io;
	ev_timer backoff;
	struct lp2p_loop *loop;
	lp2p_tcp_accept_fn cb;
	void *arg;
	bool paused;
};

int lp2p_tcp_setup_socket(int fd)
{
	int one = 1;
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return LP2P_EIO;
	/* Not fatal: unix sockets in tests have no TCP_NODELAY. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return 0;
}

static void on_accept(struct ev_loop *ev, ev_io *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_tcp_listener *l = (struct lp2p_tcp_listener *)w;
	for (int i = 0; i < ACCEPT_BATCH && !l->paused; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(w->fd, (struct sockaddr *)&ss, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				lp2p_log(LP2P_LOG_WARN,
				         "accept: %s; pausing accepts for %.0f ms",
				         strerror(errno),
				         ACCEPT_BACKOFF_S * 1000);
				ev_io_stop(l->loop->ev, &l->io);
				ev_timer_set(&l->backoff, ACCEPT_BACKOFF_S, 0);
				ev_timer_start(l->loop->ev, &l->backoff);
				return;
			}
			lp2p_log(LP2P_LOG_WARN, "accept: %s", strerror(errno));
			return;
		}
		lp2p_tcp_setup_socket(fd);
		if (l->cb(l->arg, fd, &ss, len))
			lp2p_tcp_listener_pause(l);
	}
}

static void on_backoff(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_tcp_listener *l = w->data;
	if (!l->paused)
		ev_io_start(l->loop->ev, &l->io);
}

int lp2p_tcp_listen(struct lp2p_loop *loop, const struct sockaddr *sa,
                    socklen_t salen, lp2p_tcp_accept_fn cb, void *arg,
                    struct lp2p_tcp_listener **out, char *err, size_t errlen)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return LP2P_EIO;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, sa, salen) != 0) {
		snprintf(err, errlen, "bind: %s", strerror(errno));
		close(fd);
		return LP2P_EIO;
	}
	if (listen(fd, 1024) != 0) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		close(fd);
		return LP2P_EIO;
	}
	struct lp2p_tcp_listener *l = calloc(1, sizeof *l);
	if (!l) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	l->loop = loop;
	l->cb = cb;
	l->arg = arg;
	ev_io_init(&l->io, on_accept, fd, EV_READ);
	ev_timer_init(&l->backoff, on_backoff, 0, 0);
	l->backoff.data = l;
	ev_io_start(loop->ev, &l->io);
	*out = l;
	return 0;
}

int lp2p_tcp_listener_addr(const struct lp2p_tcp_listener *l,
                           struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof *ss;
	if (getsockname(l->io.fd, (struct sockaddr *)ss, len) != 0)
		return LP2P_EIO;
	return 0;
}

void lp2p_tcp_listener_pause(struct lp2p_tcp_listener *l)
{
	l->paused = true;
	ev_io_stop(l->loop->ev, &l->io);
	ev_timer_stop(l->loop->ev, &l->backoff);
}

void lp2p_tcp_listener_resume(struct lp2p_tcp_listener *l)
{
	if (!l->paused)
		return;
	l->paused = false;
	ev_io_start(l->loop->ev, &l->io);
}

void lp2p_tcp_listener_close(struct lp2p_tcp_listener *l)
{
	if (!l)
		return;
	ev_io_stop(l->loop->ev, &l->io);
	ev_timer_stop(l->loop->ev, &l->backoff);
	close(l->io.fd);
	free(l);
}

struct lp2p_tcp_dial {
	ev_io io;
	ev_timer timeout;
	struct lp2p_loop *loop;
	lp2p_tcp_dial_fn cb;
	void *arg;
	int early_status; /* connect() failed at once: reported by the timer */
};

static void dial_finish(struct lp2p_tcp_dial *d, int status)
{
	int fd = d->io.fd;
	ev_io_stop(d->loop->ev, &d->io);
	ev_timer_stop(d->loop->ev, &d->timeout);
	if (status) {
		close(fd);
		fd = -1;
	}
	lp2p_tcp_dial_fn cb = d->cb;
	void *arg = d->arg;
	free(d);
	cb(arg, status, fd);
}

static void on_connected(struct ev_loop *ev, ev_io *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_tcp_dial *d = (struct lp2p_tcp_dial *)w;
	int soerr = 0;
	socklen_t len = sizeof soerr;
	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		soerr = errno;
	if (soerr) {
		lp2p_log(LP2P_LOG_DEBUG, "connect: %s", strerror(soerr));
		dial_finish(d, soerr == ECONNREFUSED ? LP2P_ENOTCONN
		                                     : LP2P_EIO);
		return;
	}
	dial_finish(d, 0);
}

static void on_dial_timeout(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	struct lp2p_tcp_dial *d = w->data;
	dial_finish(d, d->early_status ? d->early_status : LP2P_ETIMEDOUT);
}

int lp2p_tcp_dial(struct lp2p_loop *loop, const struct sockaddr *sa,
                  socklen_t salen, uint64_t timeout_ms, lp2p_tcp_dial_fn cb,
                  void *arg, struct lp2p_tcp_dial **out)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                0);
	if (fd < 0)
		return LP2P_EIO;
	lp2p_tcp_setup_socket(fd);
	struct lp2p_tcp_dial *d = calloc(1, sizeof *d);
	if (!d) {
		close(fd);
		return LP2P_ENOMEM;
	}
	d->loop = loop;
	d->cb = cb;
	d->arg = arg;
	ev_io_init(&d->io, on_connected, fd, EV_WRITE);
	ev_timer_init(&d->timeout, on_dial_timeout, (double)timeout_ms / 1000.0,
	              0);
	d->timeout.data = d;
	if (connect(fd, sa, salen) != 0 && errno != EINPROGRESS) {
		int e = errno;
		lp2p_log(LP2P_LOG_DEBUG, "connect: %s", strerror(e));
		/* Report through the callback on the next loop iteration, as
		 * for any other failure; the dial stays cancelable. */
		d->early_status = e == ECONNREFUSED ? LP2P_ENOTCONN : LP2P_EIO;
		ev_timer_set(&d->timeout, 0, 0);
		ev_timer_start(loop->ev, &d->timeout);
		*out = d;
		return 0;
	}
	ev_io_start(loop->ev, &d->io);
	if (timeout_ms)
		ev_timer_start(loop->ev, &d->timeout);
	*out = d;
	return 0;
}

void lp2p_tcp_dial_cancel(struct lp2p_tcp_dial *d)
{
	if (!d)
		return;
	ev_io_stop(d->loop->ev, &d->io);
	ev_timer_stop(d->loop->ev, &d->timeout);
	close(d->io.fd);
	free(d);
}
