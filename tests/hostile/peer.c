/*
 * peer.c - the hostile peer's toolkit: sockets, multistream-select lines,
 * a scripted Noise XX initiator, sealed frames, raw yamux and mplex.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <lp2p/crypto.h>

#include "hostile.h"
#include "security/noise_payload.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HP_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HP_ASAN 1
#endif
#ifdef HP_ASAN
/* From the ASan runtime (gcc's and clang's; not every system has the
 * header that declares it). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define IO_TIMEOUT_MS 5000

/* ---- helpers ---- */

uint64_t hp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void hp_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static _Thread_local uint64_t rng_state = 0x9e3779b97f4a7c15ull;

void hp_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

uint64_t hp_rand(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

void hp_random_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(hp_rand() >> 32);
}

size_t hp_heap_in_use(void)
{
#ifdef HP_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
#endif
}

size_t hp_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kib = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %zu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

uint8_t *hp_buf_room(struct hp_buf *b, size_t n)
{
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len < n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p)
			abort();
		b->p = p;
		b->cap = cap;
	}
	return b->p + b->len;
}

void hp_buf_add(struct hp_buf *b, const void *data, size_t n)
{
	uint8_t *at = hp_buf_room(b, n);
	if (n)
		memcpy(at, data, n);
	b->len += n;
}

void hp_buf_drop(struct hp_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void hp_buf_free(struct hp_buf *b)
{
	free(b->p);
	*b = (struct hp_buf){0};
}

size_t hp_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* A varint at p[0..len): its length in bytes (0: incomplete, -1: bad). */
static int get_varint(const uint8_t *p, size_t len, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < 10; i++) {
		if (i >= len)
			return 0;
		*v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80))
			return (int)i + 1;
	}
	return -1;
}

/* ---- sockets ---- */

/* Open sockets, so that an attack that failed half-way does not leave
 * its connections to the next one. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static int open_fds[4096];
static size_t n_open;

static void track(int fd, bool add)
{
	pthread_mutex_lock(&open_lock);
	if (add && n_open < sizeof open_fds / sizeof open_fds[0]) {
		open_fds[n_open++] = fd;
	} else if (!add) {
		for (size_t i = 0; i < n_open; i++)
			if (open_fds[i] == fd) {
				open_fds[i] = open_fds[--n_open];
				break;
			}
	}
	pthread_mutex_unlock(&open_lock);
}

size_t hp_close_leftovers(void)
{
	pthread_mutex_lock(&open_lock);
	size_t n = n_open;
	for (size_t i = 0; i < n_open; i++)
		close(open_fds[i]);
	n_open = 0;
	pthread_mutex_unlock(&open_lock);
	return n;
}

int hp_connect(struct hp_conn *c, uint16_t port, unsigned src, int rcvbuf)
{
	*c = (struct hp_conn){.fd = -1};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	if (src) {
		sa.sin_addr.s_addr = htonl(0x7f000000u | (src & 0xffffu));
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->fd = fd;
	track(fd, true);
	return 0;
}

static void conn_release(struct hp_conn *c)
{
	if (c->secure && !c->tls)
		lp2p_noise_session_clear(&c->ns);
	lp2p_tls_session_free(c->tls);
	c->tls = NULL;
	c->secure = false;
	hp_buf_free(&c->wire);
	hp_buf_free(&c->plain);
	free(c->frame);
	c->frame = NULL;
	c->frame_cap = 0;
}

void hp_close(struct hp_conn *c)
{
	if (c->fd >= 0) {
		track(c->fd, false);
		close(c->fd);
	}
	c->fd = -1;
	conn_release(c);
}

void hp_abort(struct hp_conn *c)
{
	struct linger l = {1, 0};
	if (c->fd >= 0)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	hp_close(c);
}

int hp_send(struct hp_conn *c, const void *data, size_t n)
{
	const uint8_t *p = data;
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {c->fd, POLLOUT, 0};
			int r = poll(&pfd, 1, IO_TIMEOUT_MS);
			if (r == 0)
				return -ETIMEDOUT;
			continue;
		}
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
		c->sent += (size_t)w;
	}
	return 0;
}

ssize_t hp_send_some(struct hp_conn *c, const void *data, size_t n,
                     int stall_ms)
{
	const uint8_t *p = data;
	size_t done = 0;
	while (done < n) {
		ssize_t w = send(c->fd, p + done, n - done,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {c->fd, POLLOUT, 0};
			if (poll(&pfd, 1, stall_ms) == 0)
				break;
			continue;
		}
		if (w < 0)
			return done ? (ssize_t)done : -errno;
		done += (size_t)w;
		c->sent += (size_t)w;
	}
	return (ssize_t)done;
}

int hp_seal(struct hp_conn *c, const void *pt, size_t n, struct hp_buf *out)
{
	size_t need = c->tls ? lp2p_tls_sealed_size(c->tls, n)
	                     : lp2p_noise_sealed_size(n);
	uint8_t *at = hp_buf_room(out, need);
	ssize_t w = c->tls ? lp2p_tls_seal(c->tls, pt, n, at, need)
	                   : lp2p_noise_seal(&c->ns, pt, n, at, need);
	if (w < 0)
		return -EPROTO;
	out->len += (size_t)w;
	return 0;
}

int hp_send_sealed(struct hp_conn *c, const void *pt, size_t n)
{
	struct hp_buf out = {0};
	int rc = hp_seal(c, pt, n, &out);
	if (!rc)
		rc = hp_send(c, out.p, out.len);
	hp_buf_free(&out);
	return rc;
}

/* Decrypt the whole TLS records in wire into plain. */
static int decrypt_tls(struct hp_conn *c)
{
	for (;;) {
		size_t ptlen = 0;
		ssize_t used =
		    lp2p_tls_open(c->tls, c->wire.p, c->wire.len, &ptlen);
		if (used < 0)
			return -EPROTO;
		if (used == 0)
			return 0;
		hp_buf_add(&c->plain, c->wire.p, ptlen);
		hp_buf_drop(&c->wire, (size_t)used);
	}
}

int hp_decrypt(struct hp_conn *c)
{
	if (c->tls)
		return decrypt_tls(c);
	for (;;) {
		struct lp2p_noise_span spans[16];
		size_t nspans = 0;
		ssize_t used = lp2p_noise_open(&c->ns, c->wire.p, c->wire.len,
		                               spans, 16, &nspans);
		if (used < 0)
			return -EPROTO;
		for (size_t i = 0; i < nspans; i++)
			hp_buf_add(&c->plain, spans[i].data, spans[i].len);
		if (used == 0)
			return 0;
		hp_buf_drop(&c->wire, (size_t)used);
	}
}

int hp_fill(struct hp_conn *c, int timeout_ms)
{
	uint8_t tmp[65536];
	if (c->eof)
		return 0;
	struct pollfd pfd = {c->fd, POLLIN, 0};
	int r;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	ssize_t n = recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -ETIMEDOUT; /* spurious */
	if (n <= 0) {
		c->eof = true;
		return 0;
	}
	hp_buf_add(&c->wire, tmp, (size_t)n);
	if (c->secure && hp_decrypt(c) < 0)
		return -EPROTO;
	return (int)n;
}

int hp_wait_closed(struct hp_conn *c, int timeout_ms)
{
	uint8_t tmp[65536];
	uint64_t start = hp_now_ms();
	if (c->eof)
		return 0;
	for (;;) {
		uint64_t spent = hp_now_ms() - start;
		int left =
		    spent >= (uint64_t)timeout_ms ? 0 : timeout_ms - (int)spent;
		struct pollfd pfd = {c->fd, POLLIN, 0};
		int r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -1;
		ssize_t n = recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			c->eof = true;
			return (int)(hp_now_ms() - start);
		}
	}
}

bool hp_is_closed(struct hp_conn *c)
{
	return hp_wait_closed(c, 0) >= 0;
}

/* ---- multistream-select ---- */

void hp_mss_line(struct hp_buf *b, const char *text)
{
	uint8_t v[10];
	size_t len = strlen(text);
	hp_buf_add(b, v, hp_varint(v, len + 1));
	hp_buf_add(b, text, len);
	hp_buf_add(b, "\n", 1);
}

int hp_mss_read(struct hp_conn *c, char *out, size_t cap, int timeout_ms)
{
	uint64_t deadline = hp_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		struct hp_buf *b = c->secure ? &c->plain : &c->wire;
		uint64_t len;
		int vl = get_varint(b->p, b->len, &len);
		if (vl < 0 || len > 1024 || (vl > 0 && len == 0))
			return -EPROTO;
		if (vl > 0 && b->len >= (size_t)vl + len) {
			if (b->p[vl + len - 1] != '\n' || len > cap)
				return -EPROTO;
			memcpy(out, b->p + vl, len - 1);
			out[len - 1] = '\0';
			hp_buf_drop(b, (size_t)vl + len);
			return 0;
		}
		uint64_t now = hp_now_ms();
		if (c->eof)
			return -EPIPE;
		if (now >= deadline)
			return -ETIMEDOUT;
		int rc = hp_fill(c, (int)(deadline - now));
		if (rc < 0 && rc != -ETIMEDOUT)
			return rc;
	}
}

/* ---- Noise ---- */

#define STATIC_PREFIX "noise-libp2p-static-key:"

int hp_valid_payload(const uint8_t static_pub[32], const char *muxer,
                     uint8_t *out, size_t cap)
{
	struct lp2p_key *id = NULL;
	uint8_t tbs[sizeof STATIC_PREFIX - 1 + 32];
	uint8_t sig[LP2P_KEY_SIG_MAX], key[LP2P_KEY_PUBLIC_MAX];
	/* A fresh identity per connection: the target caps connections per
	 * peer, and the hostile peer is many peers. */
	int rc = lp2p_key_generate(LP2P_KEY_ED25519, 0, &id);
	if (rc)
		return rc;
	memcpy(tbs, STATIC_PREFIX, sizeof STATIC_PREFIX - 1);
	memcpy(tbs + sizeof STATIC_PREFIX - 1, static_pub, 32);
	int siglen = lp2p_key_sign(id, tbs, sizeof tbs, sig, sizeof sig);
	int keylen = lp2p_key_marshal_public(id, key, sizeof key);
	lp2p_key_free(id);
	if (siglen < 0 || keylen < 0)
		return LP2P_ECRYPTO;
	const char *muxers[1] = {muxer};
	return lp2p_noise_payload_write(out, cap, key, (size_t)keylen, sig,
	                                (size_t)siglen, muxers, muxer ? 1 : 0);
}

/* Send what the budget allows; HP_STALLED once it runs out. */
static int send_budget(struct hp_conn *c, size_t *budget, const void *p,
                       size_t n)
{
	size_t take = n < *budget ? n : *budget;
	int rc = hp_send(c, p, take);
	if (rc)
		return rc;
	*budget -= take;
	return take < n ? HP_STALLED : 0;
}

/* One handshake frame (2-byte length, body) from wire. */
static int read_hs_frame(struct hp_conn *c, uint8_t *out, size_t *len,
                         int timeout_ms)
{
	uint64_t deadline = hp_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		if (c->wire.len >= 2) {
			size_t n = (size_t)c->wire.p[0] << 8 | c->wire.p[1];
			if (c->wire.len >= 2 + n) {
				memcpy(out, c->wire.p + 2, n);
				*len = n;
				hp_buf_drop(&c->wire, 2 + n);
				return 0;
			}
		}
		uint64_t now = hp_now_ms();
		if (c->eof)
			return -EPIPE;
		if (now >= deadline)
			return -ETIMEDOUT;
		int rc = hp_fill(c, (int)(deadline - now));
		if (rc < 0 && rc != -ETIMEDOUT)
			return rc;
	}
}

static enum hp_mux mux_kind(const char *id)
{
	return strcmp(id, HP_MPLEX) == 0 ? HP_MUX_MPLEX : HP_MUX_YAMUX;
}

static int expect_line(struct hp_conn *c, const char *want)
{
	char line[1100];
	int rc = hp_mss_read(c, line, sizeof line, IO_TIMEOUT_MS);
	if (rc)
		return rc;
	return strcmp(line, want) == 0 ? 0 : -EPROTO;
}

int hp_handshake(struct hp_conn *c, const struct hp_hs_opts *o)
{
	const char *muxer = o->muxer ? o->muxer : HP_YAMUX;
	size_t budget = o->budget;
	struct hp_buf out = {0};
	struct lp2p_noise_xx xx;
	struct lp2p_noise_keypair s;
	uint8_t *msg = malloc(2 + LP2P_NOISE_MAX_MSG);
	uint8_t *pl = malloc(LP2P_NOISE_MAX_MSG);
	size_t len;
	int rc, n;
	bool xx_live = false;

	if (!msg || !pl) {
		rc = -ENOMEM;
		goto done;
	}
	/* multistream-select for /noise and msg 1, pipelined */
	hp_mss_line(&out, "/multistream/1.0.0");
	hp_mss_line(&out, "/noise");
	if (lp2p_noise_keypair_generate(&s) ||
	    lp2p_noise_xx_init(&xx, true, NULL, 0, &s, NULL)) {
		rc = -EPROTO;
		goto done;
	}
	xx_live = true;
	n = lp2p_noise_xx_write(&xx, NULL, 0, msg + 2, LP2P_NOISE_MAX_MSG);
	if (n < 0) {
		rc = -EPROTO;
		goto done;
	}
	msg[0] = (uint8_t)(n >> 8);
	msg[1] = (uint8_t)n;
	hp_buf_add(&out, msg, 2 + (size_t)n);
	if ((rc = send_budget(c, &budget, out.p, out.len)))
		goto done;
	if ((rc = expect_line(c, "/multistream/1.0.0")) ||
	    (rc = expect_line(c, "/noise")))
		goto done;
	/* <- e, ee, s, es + the target's payload */
	if ((rc = read_hs_frame(c, msg, &len, IO_TIMEOUT_MS)))
		goto done;
	if (lp2p_noise_xx_read(&xx, msg, len, pl, LP2P_NOISE_MAX_MSG) < 0) {
		rc = -EPROTO;
		goto done;
	}
	if (o->msg3_garbage) {
		rc = send_budget(c, &budget, o->msg3_garbage,
		                 o->msg3_garbage_len);
		goto done;
	}
	/* -> s, se + our payload */
	const uint8_t *payload = o->payload;
	size_t plen = o->payload_len;
	if (!payload) {
		n = hp_valid_payload(xx.s.pub, o->early ? muxer : NULL, pl,
		                     LP2P_NOISE_MAX_MSG);
		if (n < 0) {
			rc = -EPROTO;
			goto done;
		}
		payload = pl;
		plen = (size_t)n;
	}
	n = lp2p_noise_xx_write(&xx, payload, plen, msg + 2,
	                        LP2P_NOISE_MAX_MSG);
	if (n < 0) {
		rc = -EPROTO;
		goto done;
	}
	msg[0] = (uint8_t)(n >> 8);
	msg[1] = (uint8_t)n;
	if ((rc = send_budget(c, &budget, msg, 2 + (size_t)n)))
		goto done;
	memset(&c->ns, 0, sizeof c->ns);
	if (lp2p_noise_xx_split(&xx, &c->ns.send, &c->ns.recv, NULL)) {
		rc = -EPROTO;
		goto done;
	}
	c->secure = true;
	if (hp_decrypt(c) < 0) {
		rc = -EPROTO;
		goto done;
	}
	if (!o->early) {
		out.len = 0;
		hp_mss_line(&out, "/multistream/1.0.0");
		hp_mss_line(&out, muxer);
		size_t need = lp2p_noise_sealed_size(out.len);
		uint8_t *sealed = malloc(need);
		ssize_t w = sealed ? lp2p_noise_seal(&c->ns, out.p, out.len,
		                                     sealed, need)
		                   : -1;
		rc = w < 0 ? -EPROTO
		           : send_budget(c, &budget, sealed, (size_t)w);
		free(sealed);
		if (rc)
			goto done;
		if ((rc = expect_line(c, "/multistream/1.0.0")) ||
		    (rc = expect_line(c, muxer)))
			goto done;
	}
	c->mux = mux_kind(muxer);
	c->next_id = c->mux == HP_MUX_YAMUX ? 1 : 0;
	rc = HP_DONE;
done:
	if (xx_live)
		lp2p_noise_xx_clear(&xx);
	hp_buf_free(&out);
	free(msg);
	free(pl);
	return rc;
}

int hp_open(struct hp_conn *c, uint16_t port, unsigned src, const char *muxer)
{
	int rc = hp_connect(c, port, src, 0);
	if (rc)
		return rc;
	struct hp_hs_opts o = {.budget = SIZE_MAX, .muxer = muxer};
	rc = hp_handshake(c, &o);
	if (rc) {
		hp_close(c);
		return rc < 0 ? rc : -EPROTO;
	}
	return 0;
}

/* ---- yamux ---- */

void hp_y_header(uint8_t out[12], uint8_t type, uint16_t flags, uint32_t id,
                 uint32_t length)
{
	out[0] = 0;
	out[1] = type;
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	out[4] = (uint8_t)(id >> 24);
	out[5] = (uint8_t)(id >> 16);
	out[6] = (uint8_t)(id >> 8);
	out[7] = (uint8_t)id;
	out[8] = (uint8_t)(length >> 24);
	out[9] = (uint8_t)(length >> 16);
	out[10] = (uint8_t)(length >> 8);
	out[11] = (uint8_t)length;
}

int hp_y_send(struct hp_conn *c, uint8_t type, uint16_t flags, uint32_t id,
              uint32_t length, const void *payload, size_t n)
{
	struct hp_buf b = {0};
	uint8_t h[12];
	hp_y_header(h, type, flags, id, length);
	hp_buf_add(&b, h, 12);
	hp_buf_add(&b, payload, n);
	int rc = hp_send_sealed(c, b.p, b.len);
	hp_buf_free(&b);
	return rc;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Keep n bytes of plain as the current frame payload. */
static void take_frame(struct hp_conn *c, size_t off, size_t n)
{
	if (c->frame_cap < n + 1) {
		free(c->frame);
		c->frame = malloc(n + 1);
		if (!c->frame)
			abort();
		c->frame_cap = n + 1;
	}
	memcpy(c->frame, c->plain.p + off, n);
	hp_buf_drop(&c->plain, off + n);
}

static int fill_until(struct hp_conn *c, uint64_t deadline)
{
	uint64_t now = hp_now_ms();
	if (c->eof)
		return -EPIPE;
	if (now >= deadline)
		return -ETIMEDOUT;
	int rc = hp_fill(c, (int)(deadline - now));
	return rc < 0 && rc != -ETIMEDOUT ? rc : 0;
}

int hp_y_read(struct hp_conn *c, struct hp_yframe *f, int timeout_ms)
{
	uint64_t deadline = hp_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		if (c->plain.len >= 12) {
			const uint8_t *h = c->plain.p;
			f->version = h[0];
			f->type = h[1];
			f->flags = (uint16_t)(h[2] << 8 | h[3]);
			f->id = be32(h + 4);
			f->length = be32(h + 8);
			size_t body = f->type == Y_DATA ? f->length : 0;
			if (body > (16u << 20))
				return -EPROTO;
			if (c->plain.len >= 12 + body) {
				take_frame(c, 12, body);
				f->data = c->frame;
				return 0;
			}
		}
		int rc = fill_until(c, deadline);
		if (rc)
			return rc;
	}
}

/* ---- mplex ---- */

int hp_m_send(struct hp_conn *c, uint64_t id, uint8_t flag, const void *data,
              size_t n)
{
	struct hp_buf b = {0};
	uint8_t v[20];
	size_t hl = hp_varint(v, id << 3 | flag);
	hl += hp_varint(v + hl, n);
	hp_buf_add(&b, v, hl);
	hp_buf_add(&b, data, n);
	int rc = hp_send_sealed(c, b.p, b.len);
	hp_buf_free(&b);
	return rc;
}

int hp_m_read(struct hp_conn *c, struct hp_mframe *f, int timeout_ms)
{
	uint64_t deadline = hp_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		uint64_t h, len;
		int a = get_varint(c->plain.p, c->plain.len, &h);
		int b = a > 0 ? get_varint(c->plain.p + a,
		                           c->plain.len - (size_t)a, &len)
		              : 0;
		if (a < 0 || b < 0)
			return -EPROTO;
		if (a > 0 && b > 0) {
			if (len > (1u << 20))
				return -EPROTO;
			size_t off = (size_t)a + (size_t)b;
			if (c->plain.len >= off + len) {
				f->id = h >> 3;
				f->flag = (uint8_t)(h & 7);
				f->length = (size_t)len;
				take_frame(c, off, (size_t)len);
				f->data = c->frame;
				return 0;
			}
		}
		int rc = fill_until(c, deadline);
		if (rc)
			return rc;
	}
}

/* ---- echo over a stream ---- */

/* Parse "header, /echo/1.0.0, data" from what the stream returned. */
static int echo_check(const struct hp_buf *got, const uint8_t *data, size_t len,
                      bool *complete)
{
	struct hp_buf want = {0};
	hp_mss_line(&want, "/multistream/1.0.0");
	hp_mss_line(&want, HP_ECHO);
	size_t hdr = want.len;
	*complete = false;
	int rc = 0;
	size_t n = got->len < hdr ? got->len : hdr;
	if (memcmp(got->p, want.p, n) != 0)
		rc = -EPROTO;
	else if (got->len > hdr + len)
		rc = -EPROTO;
	else if (got->len > hdr &&
	         memcmp(got->p + hdr, data, got->len - hdr) != 0)
		rc = -EPROTO;
	else
		*complete = got->len == hdr + len;
	hp_buf_free(&want);
	return rc;
}

static int echo_yamux(struct hp_conn *c, const uint8_t *data, size_t len,
                      int timeout_ms)
{
	uint64_t deadline = hp_now_ms() + (uint64_t)timeout_ms;
	uint32_t id = c->next_id;
	struct hp_buf req = {0}, got = {0};
	bool complete = false, fin_sent = false, fin_got = false;
	int rc;
	c->next_id += 2;
	if (len > 200 * 1024)
		return -EINVAL; /* within the first window, no waiting */
	hp_mss_line(&req, "/multistream/1.0.0");
	hp_mss_line(&req, HP_ECHO);
	hp_buf_add(&req, data, len);
	for (size_t off = 0; off < req.len;) {
		size_t n = req.len - off < 65536 ? req.len - off : 65536;
		rc = hp_y_send(c, Y_DATA, off == 0 ? Y_SYN : 0, id, (uint32_t)n,
		               req.p + off, n);
		if (rc)
			goto out;
		off += n;
	}
	while (!(complete && fin_got)) {
		struct hp_yframe f;
		uint64_t now = hp_now_ms();
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			goto out;
		}
		if ((rc = hp_y_read(c, &f, (int)(deadline - now))))
			goto out;
		if (f.type == Y_PING && (f.flags & Y_SYN)) {
			if ((rc = hp_y_send(c, Y_PING, Y_ACK, 0, f.length, NULL,
			                    0)))
				goto out;
			continue;
		}
		if (f.type == Y_GOAWAY) {
			rc = -EPIPE;
			goto out;
		}
		if (f.id != id)
			continue;
		if (f.flags & Y_RST) {
			rc = -ECONNRESET;
			goto out;
		}
		if (f.type == Y_DATA && f.length) {
			hp_buf_add(&got, f.data, f.length);
			if ((rc = hp_y_send(c, Y_WINDOW, 0, id, f.length, NULL,
			                    0)))
				goto out;
			if ((rc = echo_check(&got, data, len, &complete)))
				goto out;
		}
		if (f.flags & Y_FIN)
			fin_got = true;
		if (fin_got && !complete) {
			rc = -EPROTO;
			goto out;
		}
		if (complete && !fin_sent) {
			fin_sent = true;
			if ((rc =
			         hp_y_send(c, Y_WINDOW, Y_FIN, id, 0, NULL, 0)))
				goto out;
		}
	}
	rc = 0;
out:
	hp_buf_free(&req);
	hp_buf_free(&got);
	return rc;
}

static int echo_mplex(struct hp_conn *c, const uint8_t *data, size_t len,
                      int timeout_ms)
{
	uint64_t deadline = hp_now_ms() + (uint64_t)timeout_ms;
	uint64_t id = c->next_id++;
	struct hp_buf req = {0}, got = {0};
	bool complete = false, fin_got = false;
	char name[24];
	int rc;
	snprintf(name, sizeof name, "%llu", (unsigned long long)id);
	hp_mss_line(&req, "/multistream/1.0.0");
	hp_mss_line(&req, HP_ECHO);
	hp_buf_add(&req, data, len);
	if ((rc = hp_m_send(c, id, 0, name, strlen(name))))
		goto out;
	for (size_t off = 0; off < req.len;) {
		size_t n = req.len - off < 65536 ? req.len - off : 65536;
		if ((rc = hp_m_send(c, id, 2, req.p + off, n)))
			goto out;
		off += n;
	}
	while (!(complete && fin_got)) {
		struct hp_mframe f;
		uint64_t now = hp_now_ms();
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			goto out;
		}
		if ((rc = hp_m_read(c, &f, (int)(deadline - now))))
			goto out;
		if (f.id != id || (f.flag & 1) == 0)
			continue; /* not about our stream */
		if (f.flag == 5) {
			rc = -ECONNRESET;
			goto out;
		}
		if (f.flag == 1 && f.length) {
			hp_buf_add(&got, f.data, f.length);
			bool was = complete;
			if ((rc = echo_check(&got, data, len, &complete)))
				goto out;
			if (complete && !was &&
			    (rc = hp_m_send(c, id, 4, NULL, 0)))
				goto out;
		}
		if (f.flag == 3) {
			fin_got = true;
			if (!complete) {
				rc = -EPROTO;
				goto out;
			}
		}
	}
	rc = 0;
out:
	hp_buf_free(&req);
	hp_buf_free(&got);
	return rc;
}

int hp_echo(struct hp_conn *c, const void *data, size_t len, int timeout_ms)
{
	if (c->mux == HP_MUX_MPLEX)
		return echo_mplex(c, data, len, timeout_ms);
	return echo_yamux(c, data, len, timeout_ms);
}
