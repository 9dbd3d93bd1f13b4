/*
 * test_swarm_init.c - the swarm's reading of its configuration: every
 * configured security protocol and muxer kept, in order, once; a name the
 * build does not have refused with its name (it was stored as NULL, and
 * only the first four of each list were kept); transports: enabling
 * transports (it was checked and never read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "swarm/swarm.h"

struct fixture {
	struct lp2p_loop loop;
	struct lp2p_key *key;
	lp2p_config *cfg;
	struct lp2p_swarm sw;
};

static void no_conn(void *arg, struct lp2p_conn *c)
{
	(void)arg;
	(void)c;
}

static bool no_route(void *arg, const char *protocol, const char **plugin)
{
	(void)arg;
	(void)protocol;
	(void)plugin;
	return false;
}

static int no_accept(void *arg, struct lp2p_stream *s, const char *protocol)
{
	(void)arg;
	(void)s;
	(void)protocol;
	return LP2P_ENOTSUP;
}

static bool no_peer(void *arg, const struct lp2p_peer_id *peer,
                    const char *protocol)
{
	(void)arg;
	(void)peer;
	(void)protocol;
	return false;
}

static const struct lp2p_swarm_callbacks cbs = {
	.conn_ready = no_conn,
	.conn_closed = no_conn,
	.route = no_route,
	.accept_stream = no_accept,
	.peer_supports = no_peer,
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof f);
	char err[256];
	assert_int_equal(lp2p_loop_init(&f.loop), 0);
	assert_int_equal(lp2p_key_generate(LP2P_KEY_ED25519, 0, &f.key), 0);
	assert_int_equal(lp2p_config_load_default(&f.cfg, err, sizeof err), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	lp2p_swarm_fini(&f->sw);
	lp2p_config_free(f->cfg);
	lp2p_key_free(f->key);
	lp2p_loop_fini(&f->loop);
	return 0;
}

static int init(struct fixture *f, char *err, size_t errlen)
{
	return lp2p_swarm_init(&f->sw, &f->loop, f->cfg, f->key, &cbs, NULL,
	                       err, errlen);
}

static void set_list(struct lp2p_string_list *l, const char *const *v,
                     size_t n)
{
	l->n = n;
	for (size_t i = 0; i < n; i++)
		l->v[i] = v[i];
}

/* The last entry of a long list is kept (the first four were). */
static void test_long_lists_kept(void **state)
{
	struct fixture *f = *state;
	static const char *const mux[] = {"yamux", "yamux", "yamux", "yamux",
	                                  "mplex"};
	static const char *const sec[] = {"noise", "noise", "noise", "noise",
	                                  "tls"};
	set_list(&f->cfg->muxers, mux, 5);
	set_list(&f->cfg->security, sec, 5);
	char err[256] = "";
	assert_int_equal(init(f, err, sizeof err), 0);
	assert_int_equal(f->sw.nmuxers, 2); /* once each, in order */
	assert_string_equal(f->sw.muxers[0], "/yamux/1.0.0");
	assert_string_equal(f->sw.muxers[1], "/mplex/6.7.0");
	assert_non_null(lp2p_swarm_muxer(&f->sw, "/mplex/6.7.0"));
	assert_int_equal(f->sw.nsecurity, 2);
	assert_string_equal(f->sw.security[1], "/tls/1.0.0");
}

/* A muxer this build does not have is refused by name. */
static void test_unknown_muxer_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const mux[] = {"yamux", "spdy"};
	set_list(&f->cfg->muxers, mux, 2);
	char err[256] = "";
	assert_int_equal(init(f, err, sizeof err), LP2P_ECONFIG);
	assert_non_null(strstr(err, "spdy"));
}

static int listen_on(struct fixture *f, const char *text, char *err,
                     size_t errlen)
{
	struct lp2p_multiaddr ma;
	assert_int_equal(lp2p_multiaddr_parse(text, strlen(text), &ma), 0);
	return lp2p_swarm_listen(&f->sw, &ma, NULL, err, errlen);
}

/* transports: is read: an address of a transport left out is refused,
 * naming the transport; one no transport takes says so. */
static void test_transport_not_enabled(void **state)
{
	struct fixture *f = *state;
	f->cfg->transports.n = 0;
	char err[256] = "";
	assert_int_equal(init(f, err, sizeof err), 0);
	assert_int_equal(listen_on(f, "/ip4/127.0.0.1/tcp/0", err, sizeof err),
	                 LP2P_ENOTSUP);
	assert_non_null(strstr(err, "transport 'tcp' is not enabled"));
	assert_int_equal(listen_on(f, "/ip4/127.0.0.1/udp/0/quic-v1", err,
	                           sizeof err),
	                 LP2P_ENOTSUP);
	assert_non_null(strstr(err, "no transport"));
}

static void test_transport_enabled(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	assert_int_equal(init(f, err, sizeof err), 0);
	assert_int_equal(listen_on(f, "/ip4/127.0.0.1/tcp/0", err, sizeof err),
	                 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_long_lists_kept, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_unknown_muxer_refused,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport_not_enabled,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport_enabled, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
