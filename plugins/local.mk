# plugins: one shared object per protocol, installed in $(plugindir)
plugin_LTLIBRARIES += plugins/echo.la
plugins_echo_la_SOURCES = plugins/echo/echo.c
plugins_echo_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_echo_la_LIBADD = liblp2p.la

plugin_LTLIBRARIES += plugins/perf.la
plugins_perf_la_SOURCES = plugins/perf/perf.c
plugins_perf_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_perf_la_LIBADD = liblp2p.la
# short transfers both ways, lp2p and js-libp2p (when installed)
TESTS += plugins/perf/test_perf.sh
EXTRA_DIST += plugins/perf/test_perf.sh \
	tests/interop/js/bench-peer.mjs tests/interop/js/bench-perf.mjs

# The benchmark suite (`make bench`).  Included from here until the top
# Makefile.am includes bench/local.mk itself.
include bench/local.mk
