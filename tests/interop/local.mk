# tests/interop: lp2p against js-libp2p (see tests/interop/README.md).
# setup.sh installs js-libp2p and Node 22 into tests/interop/node_modules;
# selftest.sh runs the JS peer against itself.  run.sh (in `make check`)
# runs the C client against a JS server and the JS client against lp2pd;
# it skips when node_modules is missing (unless LP2P_INTEROP_REQUIRED=1).
EXTRA_DIST += \
	tests/interop/README.md \
	tests/interop/.npmrc \
	tests/interop/package.json \
	tests/interop/package-lock.json \
	tests/interop/setup.sh \
	tests/interop/selftest.sh \
	tests/interop/run.sh \
	tests/interop/js/gen.mjs \
	tests/interop/js/peer.mjs \
	tests/interop/js/scenarios.mjs \
	tests/interop/js/streams.mjs

# The C client: js-libp2p's client scenarios on the public API only.
check_PROGRAMS += tests/interop/c/client
tests_interop_c_client_SOURCES = tests/interop/c/client.c tests/interop/c/gen.h
tests_interop_c_client_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_interop_c_client_LDADD = liblp2p.la $(OPENSSL_LIBS)

# The JS test protocols (sink, source, reset) as a plugin for lp2pd.
check_LTLIBRARIES += tests/interop/testproto.la
tests_interop_testproto_la_SOURCES = tests/interop/c/testproto.c tests/interop/c/gen.h
tests_interop_testproto_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_interop_testproto_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_interop_testproto_la_LIBADD = liblp2p.la $(OPENSSL_LIBS)

TESTS += tests/interop/run.sh
