/*
 * tcp_transport.c - TCP behind the transport table (net/transport.h):
 * sockets as byte pipes, listeners and dials (net/tcp.c) speaking in
 * multiaddrs.  Closing a pipe hands its socket to tcp_linger.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lp2p/common.h>

#include "net/tcp.h"
#include "net/tcp_transport.h"

/* One watcher for both directions (48 bytes less in every connection:
 * libev registers the descriptor once either way). */
struct tcp_pipe {
	struct lp2p_pipe base; /* first: the pipe is the tcp_pipe */
	struct lp2p_tcp_transport *t;
	ev_io io;
};

static const struct lp2p_pipe_ops tcp_pipe_ops;

static int fd_of(const struct lp2p_pipe *p)
{
	return ((const struct tcp_pipe *)p)->io.fd;
}

int lp2p_tcp_pipe_fd(const struct lp2p_pipe *p)
{
	return p && p->ops == &tcp_pipe_ops ? fd_of(p) : -1;
}

static ssize_t pipe_read(struct lp2p_pipe *p, uint8_t *buf, size_t cap)
{
	ssize_t n = read(fd_of(p), buf, cap);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return LP2P_EAGAIN;
	p->why = strerror(errno);
	return LP2P_EIO;
}

/*
 * write(2) on a socket the peer has reset raises SIGPIPE, which kills the
 * process (lp2pd, or any program embedding the library) unless it ignores
 * the signal; send() with MSG_NOSIGNAL fails with EPIPE instead.
 */
static ssize_t pipe_write(struct lp2p_pipe *p, const uint8_t *buf, size_t len)
{
	for (;;) {
		ssize_t n = send(fd_of(p), buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		p->why = strerror(errno);
		return LP2P_EIO;
	}
}

static void pipe_watch(struct lp2p_pipe *p, bool read, bool write)
{
	struct tcp_pipe *tp = (struct tcp_pipe *)p;
	struct ev_loop *ev = tp->t->loop->ev;
	int events = (read ? EV_READ : 0) | (write ? EV_WRITE : 0);
	if (ev_is_active(&tp->io) && (tp->io.events & (EV_READ | EV_WRITE)) ==
	                                     events)
		return;
	ev_io_stop(ev, &tp->io);
	if (!events)
		return;
	ev_io_set(&tp->io, tp->io.fd, events);
	ev_io_start(ev, &tp->io);
}

/* The peer's FIN waits behind data we do not read: ask the kernel. */
static bool pipe_remote_closed(struct lp2p_pipe *p)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	return getsockopt(fd_of(p), IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	       (ti.tcpi_state == TCP_CLOSE_WAIT || ti.tcpi_state == TCP_CLOSE);
}

static void pipe_local_addr(struct lp2p_pipe *p, struct lp2p_multiaddr *out)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	*out = (struct lp2p_multiaddr){0};
	if (getsockname(fd_of(p), (struct sockaddr *)&ss, &sl) == 0)
		lp2p_multiaddr_from_sockaddr((struct sockaddr *)&ss, sl,
		                             LP2P_MA_TCP, out);
}

static size_t pipe_close(struct lp2p_pipe *p, const uint8_t *pending,
                         size_t len, lp2p_pipe_gone_fn gone, void *gone_arg)
{
	struct tcp_pipe *tp = (struct tcp_pipe *)p;
	int fd = fd_of(p);
	pipe_watch(p, false, false);
	struct lp2p_tcp_transport *t = tp->t;
	free(tp);
	return lp2p_tcp_linger(t, fd, pending, len, gone, gone_arg);
}

static void pipe_abort(struct lp2p_pipe *p)
{
	pipe_watch(p, false, false);
	close(fd_of(p));
	free(p);
}

static const struct lp2p_pipe_ops tcp_pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.watch = pipe_watch,
	.remote_closed = pipe_remote_closed,
	.local_addr = pipe_local_addr,
	.close = pipe_close,
	.abort = pipe_abort,
};

static void on_io(struct ev_loop *ev, ev_io *w, int revents)
{
	(void)ev;
	struct tcp_pipe *tp = w->data;
	tp->base.on_event(tp->base.arg, &tp->base,
	                  (revents & EV_READ ? LP2P_PIPE_READABLE : 0) |
	                          (revents & EV_WRITE ? LP2P_PIPE_WRITABLE
	                                              : 0));
}

/* A connected socket as a pipe; NULL (fd closed) when out of memory. */
static struct lp2p_pipe *pipe_new(struct lp2p_tcp_transport *t, int fd)
{
	struct tcp_pipe *tp = calloc(1, sizeof *tp);
	if (!tp) {
		close(fd);
		return NULL;
	}
	tp->base.ops = &tcp_pipe_ops;
	tp->base.holds_fd = true;
	tp->t = t;
	ev_io_init(&tp->io, on_io, fd, EV_READ);
	tp->io.data = tp;
	return &tp->base;
}

/* ---- the transport ---- */

static bool handles(const struct lp2p_multiaddr *ma)
{
	struct lp2p_multiaddr_hostport hp;
	return lp2p_multiaddr_is_tcp(ma) &&
	       lp2p_multiaddr_host_port(ma, &hp) == 0 && hp.addr_len;
}

static int transport_new(struct lp2p_loop *loop, void **ctx)
{
	struct lp2p_tcp_transport *t = calloc(1, sizeof *t);
	if (!t)
		return LP2P_ENOMEM;
	t->loop = loop;
	*ctx = t;
	return 0;
}

static void transport_free(void *ctx)
{
	struct lp2p_tcp_transport *t = ctx;
	if (!t)
		return;
	lp2p_tcp_linger_close_all(t);
	free(t);
}

struct listener {
	struct lp2p_tcp_transport *t;
	struct lp2p_tcp_listener *tcp;
	lp2p_pipe_accept_fn cb;
	void *arg;
};

static int on_accept(void *arg, int fd, const struct sockaddr_storage *remote,
                     socklen_t remote_len)
{
	struct listener *l = arg;
	struct lp2p_multiaddr ma = {0};
	lp2p_multiaddr_from_sockaddr((const struct sockaddr *)remote,
	                             remote_len, LP2P_MA_TCP, &ma);
	struct lp2p_pipe *p = pipe_new(l->t, fd);
	return p ? l->cb(l->arg, p, &ma) : 0;
}

static int listen_on(void *ctx, const struct lp2p_multiaddr *ma,
                     lp2p_pipe_accept_fn cb, void *arg, void **out,
                     struct lp2p_multiaddr *bound, char *err, size_t errlen)
{
	struct lp2p_multiaddr_hostport hp;
	if (!handles(ma) || lp2p_multiaddr_host_port(ma, &hp) != 0) {
		snprintf(err, errlen, "not an /ip4 or /ip6 TCP address");
		return LP2P_ENOTSUP;
	}
	struct listener *l = calloc(1, sizeof *l);
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return LP2P_ENOMEM;
	}
	*l = (struct listener){.t = ctx, .cb = cb, .arg = arg};
	int rc = lp2p_tcp_listen(l->t->loop, (struct sockaddr *)&hp.addr,
	                         hp.addr_len, on_accept, l, &l->tcp, err,
	                         errlen);
	if (rc) {
		free(l);
		return rc;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	lp2p_tcp_listener_addr(l->tcp, &ss, &sl);
	lp2p_multiaddr_from_sockaddr((struct sockaddr *)&ss, sl, LP2P_MA_TCP,
	                             bound);
	*out = l;
	return 0;
}

static void listener_pause(void *listener, bool pause)
{
	struct listener *l = listener;
	if (pause)
		lp2p_tcp_listener_pause(l->tcp);
	else
		lp2p_tcp_listener_resume(l->tcp);
}

static void listener_close(void *listener)
{
	struct listener *l = listener;
	lp2p_tcp_listener_close(l->tcp);
	free(l);
}

struct dial {
	struct lp2p_tcp_transport *t;
	struct lp2p_tcp_dial *tcp;
	lp2p_dial_done_fn cb;
	void *arg;
};

static void on_connected(void *arg, int status, int fd)
{
	struct dial *d = arg;
	struct lp2p_tcp_transport *t = d->t;
	lp2p_dial_done_fn cb = d->cb;
	void *cb_arg = d->arg;
	free(d);
	if (status) {
		cb(cb_arg, status, NULL);
		return;
	}
	struct lp2p_pipe *p = pipe_new(t, fd);
	cb(cb_arg, p ? 0 : LP2P_ENOMEM, p);
}

static int dial(void *ctx, const struct lp2p_multiaddr *ma,
                uint64_t timeout_ms, lp2p_dial_done_fn cb, void *arg,
                void **out)
{
	struct lp2p_multiaddr_hostport hp;
	if (!handles(ma) || lp2p_multiaddr_host_port(ma, &hp) != 0)
		return LP2P_ENOTSUP;
	struct dial *d = calloc(1, sizeof *d);
	if (!d)
		return LP2P_ENOMEM;
	*d = (struct dial){.t = ctx, .cb = cb, .arg = arg};
	int rc = lp2p_tcp_dial(d->t->loop, (struct sockaddr *)&hp.addr,
	                       hp.addr_len, timeout_ms, on_connected, d,
	                       &d->tcp);
	if (rc) {
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

static void dial_cancel(void *dial)
{
	struct dial *d = dial;
	lp2p_tcp_dial_cancel(d->tcp);
	free(d);
}

const struct lp2p_transport_ops lp2p_transport_tcp = {
	.name = "tcp",
	.handles = handles,
	.new_transport = transport_new,
	.free_transport = transport_free,
	.listen = listen_on,
	.listener_pause = listener_pause,
	.listener_close = listener_close,
	.dial = dial,
	.dial_cancel = dial_cancel,
};
