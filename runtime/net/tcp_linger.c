/*
 * tcp_linger.c - closing a socket gracefully after its connection is gone:
 * send what is still queued (a GoAway, the last frames), shut down our
 * side, then read and discard until the peer closes too or a short timer
 * runs out.  Closing a socket with unread input makes the kernel send a
 * reset, which would lose our last bytes and turn the peer's orderly close
 * into an error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/tcp_transport.h"

/* Longest a closed connection's socket stays open. */
#define LINGER_SECONDS 2.0
/* More pending output than this is not worth lingering for. */
#define LINGER_MAX_PENDING (256u * 1024)

struct lp2p_tcp_linger {
	ev_io io; /* first: the watcher comes back as the linger */
	ev_timer timer;
	struct lp2p_tcp_transport *t;
	struct lp2p_tcp_linger *prev, *next;
	lp2p_pipe_gone_fn gone;
	void *gone_arg;
	size_t len, off;
	uint8_t data[];
};

static void linger_end(struct lp2p_tcp_linger *l)
{
	struct lp2p_tcp_transport *t = l->t;
	ev_io_stop(t->loop->ev, &l->io);
	ev_timer_stop(t->loop->ev, &l->timer);
	close(l->io.fd);
	if (l->prev)
		l->prev->next = l->next;
	else
		t->lingering = l->next;
	if (l->next)
		l->next->prev = l->prev;
	lp2p_pipe_gone_fn gone = l->gone;
	void *gone_arg = l->gone_arg;
	size_t held = l->len;
	free(l);
	if (gone)
		gone(gone_arg, held);
}

static void start_draining(struct lp2p_tcp_linger *l)
{
	shutdown(l->io.fd, SHUT_WR);
	ev_io_stop(l->t->loop->ev, &l->io);
	ev_io_set(&l->io, l->io.fd, EV_READ);
	ev_io_start(l->t->loop->ev, &l->io);
}

static void on_io(struct ev_loop *ev, ev_io *w, int revents)
{
	(void)ev;
	struct lp2p_tcp_linger *l = (struct lp2p_tcp_linger *)w;
	if (revents & EV_WRITE) {
		ssize_t n = send(w->fd, l->data + l->off, l->len - l->off,
		                 MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			linger_end(l);
			return;
		}
		if (n > 0)
			l->off += (size_t)n;
		if (l->off == l->len)
			start_draining(l);
		return;
	}
	uint8_t sink[4096];
	ssize_t n = read(w->fd, sink, sizeof sink);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		linger_end(l); /* the peer closed too */
}

static void on_timeout(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	linger_end(w->data);
}

size_t lp2p_tcp_linger(struct lp2p_tcp_transport *t, int fd,
                       const uint8_t *pending, size_t len,
                       lp2p_pipe_gone_fn gone, void *gone_arg)
{
	if (len > LINGER_MAX_PENDING)
		len = 0; /* a peer this far behind gets no goodbye */
	/* Most of the time the socket takes it all at once. */
	while (len) {
		ssize_t n = send(fd, pending, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		pending += n;
		len -= (size_t)n;
	}
	struct lp2p_tcp_linger *l = malloc(sizeof *l + len);
	if (!l) {
		/* no goodbye: closed at once (gone runs inside the call) */
		close(fd);
		if (gone)
			gone(gone_arg, 0);
		return 0;
	}
	*l = (struct lp2p_tcp_linger){
		.t = t, .len = len, .gone = gone, .gone_arg = gone_arg};
	if (len)
		memcpy(l->data, pending, len);
	ev_io_init(&l->io, on_io, fd, len ? EV_WRITE : EV_READ);
	ev_timer_init(&l->timer, on_timeout, LINGER_SECONDS, 0);
	l->timer.data = l;
	l->next = t->lingering;
	if (t->lingering)
		t->lingering->prev = l;
	t->lingering = l;
	if (len)
		ev_io_start(t->loop->ev, &l->io);
	else
		start_draining(l);
	ev_timer_start(t->loop->ev, &l->timer);
	return len;
}

void lp2p_tcp_linger_close_all(struct lp2p_tcp_transport *t)
{
	while (t->lingering)
		linger_end(t->lingering);
}
