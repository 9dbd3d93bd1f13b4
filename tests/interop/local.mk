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
