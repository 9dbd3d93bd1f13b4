/*
 * linger.c - closing a socket gracefully after its connection is gone:
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

#include "swarm/swarm.h"

/* Longest a closed connection's socket stays open. */
#define LINGER_SECONDS 2.0
/* More pending output than this is not worth lingering for. */
#define LINGER_MAX_PENDING (256u * 1024)

struct lp2p_linger {
	ev_io io; /* first: the watcher comes back as the linger */
	ev_timer timer;
	struct lp2p_swarm *sw;
	struct lp2p_linger *prev, *next;
	size_t len, off;
	uint8_t data[];
};

static void linger_end(struct lp2p_linger *l)
{
	struct lp2p_swarm *sw = l->sw;
	ev_io_stop(sw->loop->ev, &l->io);
	ev_timer_stop(sw->loop->ev, &l->timer);
	close(l->io.fd);
	if (l->prev)
		l->prev->next = l->next;
	else
		sw->lingering = l->next;
	if (l->next)
		l->next->prev = l->prev;
	lp2p_rc_amount held = {.fds = 1, .memory = l->len};
	lp2p_rc_release(&sw->rc.system, &held);
	free(l);
	if (sw->nlisteners)
		lp2p_swarm_conn_gone(sw); /* a descriptor is free again */
}

static void start_draining(struct lp2p_linger *l)
{
	shutdown(l->io.fd, SHUT_WR);
	ev_io_stop(l->sw->loop->ev, &l->io);
	ev_io_set(&l->io, l->io.fd, EV_READ);
	ev_io_start(l->sw->loop->ev, &l->io);
}

static void on_io(struct ev_loop *ev, ev_io *w, int revents)
{
	(void)ev;
	struct lp2p_linger *l = (struct lp2p_linger *)w;
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

void lp2p_linger_close(struct lp2p_swarm *sw, int fd, const uint8_t *pending,
                       size_t len)
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
	struct lp2p_linger *l = malloc(sizeof *l + len);
	if (!l) {
		close(fd);
		return;
	}
	*l = (struct lp2p_linger){.sw = sw, .len = len};
	if (len)
		memcpy(l->data, pending, len);
	lp2p_rc_amount held = {.fds = 1, .memory = len};
	lp2p_rc_force(&sw->rc.system, &held);
	ev_io_init(&l->io, on_io, fd, len ? EV_WRITE : EV_READ);
	ev_timer_init(&l->timer, on_timeout, LINGER_SECONDS, 0);
	l->timer.data = l;
	l->next = sw->lingering;
	if (sw->lingering)
		sw->lingering->prev = l;
	sw->lingering = l;
	if (len)
		ev_io_start(sw->loop->ev, &l->io);
	else
		start_draining(l);
	ev_timer_start(sw->loop->ev, &l->timer);
}

void lp2p_linger_close_all(struct lp2p_swarm *sw)
{
	while (sw->lingering)
		linger_end(sw->lingering);
}

size_t lp2p_linger_count(const struct lp2p_swarm *sw)
{
	size_t n = 0;
	for (const struct lp2p_linger *l = sw->lingering; l; l = l->next)
		n++;
	return n;
}
