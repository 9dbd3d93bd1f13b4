/* mss.c - multistream-select 1.0 dialer and listener state machines */
#include <stdlib.h>
#include <string.h>

#include <lp2p/varint.h>

#include "multistream/mss.h"

#define HEADER_LINE LP2P_MSS_PROTOCOL_ID "\n"
#define HEADER_LINE_LEN (sizeof(HEADER_LINE) - 1)
/* A length prefix of at most LP2P_MSS_MAX_LINE takes two varint bytes. */
#define MAX_MSG (2 + LP2P_MSS_MAX_LINE)
/*
 * Room for the header, the first proposal and one more message: input is
 * taken while one more answer fits, so a caller may feed input before it
 * sends the first output.
 */
#define OUT_CAP (1 + HEADER_LINE_LEN + 2 * MAX_MSG)

enum mss_role { MSS_DIALER, MSS_LISTENER };

struct lp2p_mss {
	enum mss_role role;
	int state; /* LP2P_EAGAIN, 0 (done) or the sticky error */
	bool got_header;

	/* dialer */
	const char *const *protos;
	size_t nprotos;
	size_t current; /* index of the outstanding proposal */

	/* listener */
	lp2p_mss_select_fn select;
	void *select_data;
	unsigned max_rejects;
	unsigned rejects;

	/* the message being received: length prefix, then its bytes */
	uint8_t prefix[2];
	size_t prefix_len;
	size_t msg_len; /* 0 while the prefix is incomplete */
	size_t got;
	char line[LP2P_MSS_MAX_LINE + 1]; /* the '\n' becomes a NUL */

	const char *chosen;
	size_t chosen_index;

	uint8_t out[OUT_CAP];
	size_t out_head, out_len;
};

static size_t out_room(const struct lp2p_mss *m)
{
	return OUT_CAP - m->out_len + m->out_head;
}

/* Queue "<varint len><text>\n"; the caller checked the room. */
static void out_line(struct lp2p_mss *m, const char *text, size_t len)
{
	size_t n = len + 1;
	if (m->out_head > 0) {
		memmove(m->out, m->out + m->out_head, m->out_len - m->out_head);
		m->out_len -= m->out_head;
		m->out_head = 0;
	}
	uint8_t *p = m->out + m->out_len;
	p += lp2p_varint_encode(n, p, 2); /* n <= LP2P_MSS_MAX_LINE */
	memcpy(p, text, len);
	p[len] = '\n';
	m->out_len = (size_t)(p + n - m->out);
}

static bool valid_proto(const char *p)
{
	size_t len = strlen(p);
	return len > 0 && len < LP2P_MSS_MAX_LINE && !memchr(p, '\n', len);
}

static struct lp2p_mss *mss_alloc(enum mss_role role)
{
	struct lp2p_mss *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->role = role;
	m->state = LP2P_EAGAIN;
	return m;
}

int lp2p_mss_dialer_new(struct lp2p_mss **out, const char *const *protocols,
                        size_t count)
{
	if (!out || !protocols || count == 0)
		return LP2P_EINVAL;
	for (size_t i = 0; i < count; i++)
		if (!protocols[i] || !valid_proto(protocols[i]))
			return LP2P_EINVAL;
	struct lp2p_mss *m = mss_alloc(MSS_DIALER);
	if (!m)
		return LP2P_ENOMEM;
	m->protos = protocols;
	m->nprotos = count;
	/* Optimistic: the header and the first proposal in one write. */
	out_line(m, LP2P_MSS_PROTOCOL_ID, HEADER_LINE_LEN - 1);
	out_line(m, protocols[0], strlen(protocols[0]));
	*out = m;
	return 0;
}

int lp2p_mss_listener_new(struct lp2p_mss **out, lp2p_mss_select_fn select,
                          void *user_data, unsigned max_rejects)
{
	if (!out || !select)
		return LP2P_EINVAL;
	struct lp2p_mss *m = mss_alloc(MSS_LISTENER);
	if (!m)
		return LP2P_ENOMEM;
	m->select = select;
	m->select_data = user_data;
	m->max_rejects =
	    max_rejects ? max_rejects : LP2P_MSS_DEFAULT_MAX_REJECTS;
	out_line(m, LP2P_MSS_PROTOCOL_ID, HEADER_LINE_LEN - 1);
	*out = m;
	return 0;
}

void lp2p_mss_free(struct lp2p_mss *m)
{
	free(m);
}

static bool line_is(const struct lp2p_mss *m, const char *s, size_t len)
{
	return m->msg_len - 1 == len && memcmp(m->line, s, len) == 0;
}

static int dialer_message(struct lp2p_mss *m)
{
	const char *want = m->protos[m->current];
	if (line_is(m, want, strlen(want))) {
		m->chosen = want;
		m->chosen_index = m->current;
		return 0;
	}
	if (!line_is(m, "na", 2))
		return LP2P_EPROTO;
	if (++m->current == m->nprotos)
		return LP2P_ENEGOTIATE;
	want = m->protos[m->current];
	out_line(m, want, strlen(want));
	return LP2P_EAGAIN;
}

static int listener_message(struct lp2p_mss *m)
{
	size_t len = m->msg_len - 1;
	/*
	 * A repeated header, "ls" (listing is not supported) and a line with
	 * a NUL (not a protocol id the select callback can see whole) are
	 * refused like unknown protocols.
	 */
	if (!line_is(m, LP2P_MSS_PROTOCOL_ID, HEADER_LINE_LEN - 1) &&
	    !line_is(m, "ls", 2) && !memchr(m->line, '\0', len) &&
	    m->select(m->select_data, m->line, len)) {
		out_line(m, m->line, len);
		m->chosen = m->line;
		return 0;
	}
	if (++m->rejects > m->max_rejects)
		return LP2P_ELIMIT;
	out_line(m, "na", 2);
	return LP2P_EAGAIN;
}

/* A whole message is in m->line: act on it. */
static int on_message(struct lp2p_mss *m)
{
	if (m->line[m->msg_len - 1] != '\n')
		return LP2P_EPROTO;
	m->line[m->msg_len - 1] = '\0';
	if (!m->got_header) {
		if (!line_is(m, LP2P_MSS_PROTOCOL_ID, HEADER_LINE_LEN - 1))
			return LP2P_ENEGOTIATE;
		m->got_header = true;
		return LP2P_EAGAIN;
	}
	return m->role == MSS_DIALER ? dialer_message(m) : listener_message(m);
}

/* Parse the length prefix from m->prefix; EAGAIN if it needs more bytes. */
static int parse_prefix(struct lp2p_mss *m)
{
	uint64_t v;
	int rc = lp2p_varint_decode(m->prefix, m->prefix_len, &v);
	if (rc == LP2P_ETRUNC)
		/* Two bytes hold up to 2^14 - 1: a third means too long. */
		return m->prefix_len < sizeof(m->prefix) ? LP2P_EAGAIN
		                                         : LP2P_EPROTO;
	if (rc < 0 || v == 0 || v > LP2P_MSS_MAX_LINE)
		return LP2P_EPROTO;
	m->msg_len = (size_t)v;
	m->got = 0;
	return 0;
}

ssize_t lp2p_mss_recv(struct lp2p_mss *m, const uint8_t *buf, size_t len)
{
	if (m->state != LP2P_EAGAIN)
		return m->state == 0 ? 0 : m->state;
	size_t pos = 0;
	while (pos < len) {
		/* Each message may queue one answer: keep room for it. */
		if (m->prefix_len == 0 && out_room(m) < MAX_MSG)
			break;
		if (m->msg_len == 0) {
			m->prefix[m->prefix_len++] = buf[pos++];
			int rc = parse_prefix(m);
			if (rc == LP2P_EAGAIN)
				continue;
			if (rc < 0)
				return m->state = rc;
			continue;
		}
		size_t take = m->msg_len - m->got;
		if (take > len - pos)
			take = len - pos;
		memcpy(m->line + m->got, buf + pos, take);
		m->got += take;
		pos += take;
		if (m->got < m->msg_len)
			break;
		int rc = on_message(m);
		m->prefix_len = 0;
		m->msg_len = 0;
		if (rc != LP2P_EAGAIN) {
			m->state = rc;
			if (rc < 0)
				return rc;
			break;
		}
	}
	return (ssize_t)pos;
}

size_t lp2p_mss_out_peek(struct lp2p_mss *m, const uint8_t **buf)
{
	*buf = m->out + m->out_head;
	return m->out_len - m->out_head;
}

void lp2p_mss_out_ack(struct lp2p_mss *m, size_t n)
{
	size_t avail = m->out_len - m->out_head;
	m->out_head += n < avail ? n : avail;
	if (m->out_head == m->out_len)
		m->out_head = m->out_len = 0;
}

int lp2p_mss_result(const struct lp2p_mss *m, const char **proto, size_t *index)
{
	if (m->state != 0)
		return m->state;
	if (proto)
		*proto = m->chosen;
	if (index)
		*index = m->role == MSS_DIALER ? m->chosen_index : 0;
	return 0;
}
