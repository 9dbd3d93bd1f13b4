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
	tests/interop/js/gen.mjs \
	tests/interop/js/peer.mjs \
	tests/interop/js/scenarios.mjs \
	tests/interop/js/streams.mjs \
	tests/interop/run.sh

# Cross-check of keys, signatures, peer ids and multiaddrs against
# @libp2p/crypto, @libp2p/peer-id and @multiformats/multiaddr, both ways:
# tests/interop/c/xcheck (lp2p's half) and js/xcheck.mjs, run by
# xcheck.sh.  The test is a small generated wrapper that hands xcheck.sh
# the built program, so it works from any build directory; it is skipped
# (77) when node_modules has not been installed (see xcheck.sh).
check_PROGRAMS += tests/interop/c/xcheck
tests_interop_c_xcheck_SOURCES = \
	tests/interop/c/xcheck.c \
	tests/interop/c/xcheck.h \
	tests/interop/c/jsonl.c \
	tests/interop/c/jsonl.h \
	tests/interop/c/rng.c \
	tests/interop/c/random_ma.c \
	tests/interop/c/ecdsa.c \
	tests/interop/c/verify_key.c \
	tests/interop/c/verify_ma.c
tests_interop_c_xcheck_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_interop_c_xcheck_LDADD = libruntime.la $(OPENSSL_LIBS)

EXTRA_DIST += tests/interop/xcheck.sh tests/interop/js/xcheck.mjs \
	tests/interop/js/xcheck-ma.mjs

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


# identify and ping against js-libp2p, both directions (exit 77 without
# tests/interop/node_modules unless LP2P_INTEROP_REQUIRED=1)
check_PROGRAMS += tests/interop/idprobe
tests_interop_idprobe_SOURCES = tests/interop/idprobe.c
tests_interop_idprobe_LDADD = liblp2p.la
EXTRA_DIST += tests/interop/identify_ping.sh tests/interop/tls.sh

# Every runner runs once per peer (js-libp2p, go-libp2p, rust-libp2p; see
# tests/interop/peer.sh): tests/interop/RUNNER-PEER.test is a small
# generated wrapper that hands the runner the built programs and
# LP2P_PEER, so it works from any build directory.  A runner skips (77)
# when its peer is not installed, unless LP2P_INTEROP_REQUIRED=1.
#   conn      run.sh: connections, noise x every muxer, every scenario
#   tls       tls.sh: the same over /tls/1.0.0
#   identify  identify_ping.sh: identify, identify push, ping
#   xcheck    xcheck.sh: keys, signatures, peer ids, multiaddrs
INTEROP_TESTS = \
	tests/interop/conn-js.test tests/interop/conn-go.test \
	tests/interop/conn-rust.test \
	tests/interop/tls-js.test tests/interop/tls-go.test \
	tests/interop/tls-rust.test \
	tests/interop/identify-js.test tests/interop/identify-go.test \
	tests/interop/identify-rust.test \
	tests/interop/xcheck-js.test tests/interop/xcheck-go.test \
	tests/interop/xcheck-rust.test
TESTS += $(INTEROP_TESTS)
CLEANFILES += $(INTEROP_TESTS)
EXTRA_DIST += tests/interop/peer.sh

# Private networks (pnet.sh: PSK v1 both ways, K1 against K1, another key
# and none; `pnet.sh --peers-only` checks the peers among themselves).
PNET_INTEROP_TESTS = tests/interop/pnet-js.test tests/interop/pnet-go.test \
	tests/interop/pnet-rust.test
TESTS += $(PNET_INTEROP_TESTS)
CLEANFILES += $(PNET_INTEROP_TESTS)
EXTRA_DIST += tests/interop/pnet.sh

# The go-libp2p and rust-libp2p peers' sources (built by setup.sh, not by
# make: their toolchains are Go's and Cargo's).
EXTRA_DIST += \
	tests/interop/go/README.md tests/interop/go/build.sh \
	tests/interop/go/go.mod tests/interop/go/go.sum \
	tests/interop/go/main.go tests/interop/go/protocols.go \
	tests/interop/go/scenarios.go tests/interop/go/bench.go \
	tests/interop/go/gen.go tests/interop/go/gen_test.go \
	tests/interop/go/xcheck.go tests/interop/go/xcheck_ma.go \
	tests/interop/rust/README.md tests/interop/rust/build.sh \
	tests/interop/rust/Cargo.toml tests/interop/rust/Cargo.lock \
	tests/interop/rust/src/main.rs tests/interop/rust/src/node.rs \
	tests/interop/rust/src/transport.rs tests/interop/rust/src/behaviour.rs \
	tests/interop/rust/src/server.rs tests/interop/rust/src/scenarios.rs \
	tests/interop/rust/src/perf.rs tests/interop/rust/src/gen.rs \
	tests/interop/rust/src/xcheck.rs tests/interop/rust/src/xcheck_ma.rs

$(INTEROP_TESTS) $(PNET_INTEROP_TESTS): Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/interop && \
	base=`basename $@ .test` && \
	case $$base in \
	conn-*) runner=run.sh ;; \
	tls-*) runner=tls.sh ;; \
	pnet-*) runner=pnet.sh ;; \
	identify-*) runner=identify_ping.sh ;; \
	xcheck-*) runner=xcheck.sh ;; \
	esac && { \
	echo '#!/bin/sh'; \
	echo '# Generated by make from tests/interop/local.mk.'; \
	echo 'cd "$(abs_top_builddir)" || exit 1'; \
	echo "LP2P_PEER=$${base##*-}"; \
	echo 'LP2P_BUILDDIR="$(abs_top_builddir)"'; \
	echo 'srcdir="$(abs_top_srcdir)"'; \
	echo 'top_srcdir="$(abs_top_srcdir)"'; \
	echo 'LP2PD="$(abs_top_builddir)/runtime/lp2pd/lp2pd"'; \
	echo 'TLS_DIAL="$(abs_top_builddir)/tests/interop/c/tls_dial"'; \
	echo 'XCHECK_BIN="$(abs_top_builddir)/tests/interop/c/xcheck"'; \
	echo 'LP2P_PLUGIN_PATH="$(abs_top_builddir)/plugins/.libs"'; \
	echo 'export LP2P_PEER LP2P_BUILDDIR srcdir top_srcdir LP2PD TLS_DIAL XCHECK_BIN LP2P_PLUGIN_PATH'; \
	echo "exec $(SHELL) \"$(abs_top_srcdir)/tests/interop/$$runner\" \"\$$@\""; \
	} >$@.tmp && chmod +x $@.tmp && mv -f $@.tmp $@
