# tests/interop: the js-libp2p side of the interoperability tests (see
# tests/interop/README.md).  setup.sh installs js-libp2p and Node 22 into
# tests/interop/node_modules; selftest.sh runs the JS peer against itself.
# Not part of `make check` (yet).
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
	tests/interop/js/streams.mjs

# identify and ping against js-libp2p, both directions (exit 77 without
# tests/interop/node_modules unless LP2P_INTEROP_REQUIRED=1)
check_PROGRAMS += tests/interop/idprobe
tests_interop_idprobe_SOURCES = tests/interop/idprobe.c
tests_interop_idprobe_LDADD = liblp2p.la
TESTS += tests/interop/identify_ping.sh
EXTRA_DIST += tests/interop/identify_ping.sh
