# plugins: one shared object per protocol, installed in $(plugindir)
plugin_LTLIBRARIES += plugins/echo.la
plugins_echo_la_SOURCES = plugins/echo/echo.c
plugins_echo_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_echo_la_LIBADD = liblp2p.la

# identify: /ipfs/id/1.0.0 and /ipfs/id/push/1.0.0
plugin_LTLIBRARIES += plugins/identify.la
IDENTIFY_CODEC_SRC = \
	plugins/identify/identify_msg.c plugins/identify/identify_msg.h \
	plugins/identify/identify_reader.c plugins/identify/identify_reader.h \
	plugins/identify/record.c plugins/identify/record.h
plugins_identify_la_SOURCES = plugins/identify/identify.c \
	plugins/identify/self.c plugins/identify/self.h $(IDENTIFY_CODEC_SRC)
plugins_identify_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins
plugins_identify_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_identify_la_LIBADD = liblp2p.la

# ping: /ipfs/ping/1.0.0
plugin_LTLIBRARIES += plugins/ping.la
plugins_ping_la_SOURCES = plugins/ping/ping.c
plugins_ping_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_ping_la_LIBADD = liblp2p.la

# The identify codecs are tested (and fuzzed) directly.
check_PROGRAMS += tests/unit/test_identify_msg
TESTS += tests/unit/test_identify_msg
tests_unit_test_identify_msg_SOURCES = tests/unit/test_identify_msg.c \
	$(IDENTIFY_CODEC_SRC)
tests_unit_test_identify_msg_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins
tests_unit_test_identify_msg_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_identify_msg_LDADD = $(TEST_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_identify
tests_fuzz_fuzz_identify_SOURCES = tests/fuzz/fuzz_identify.c \
	$(IDENTIFY_CODEC_SRC) $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_identify_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) \
	-I$(top_srcdir)/plugins \
	-DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/identify"'
tests_fuzz_fuzz_identify_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_identify_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_identify_LDFLAGS = $(FUZZ_LINK_FLAGS)

# identify and ping between lp2p hosts in one process (and impostors)
check_PROGRAMS += tests/plugins/test_identify_ping
TESTS += tests/plugins/test_identify_ping
tests_plugins_test_identify_ping_SOURCES = tests/plugins/test_identify_ping.c \
	$(IDENTIFY_CODEC_SRC)
tests_plugins_test_identify_ping_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins \
	-DPLUGIN_DIR='"$(abs_top_builddir)/plugins/.libs"'
tests_plugins_test_identify_ping_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_plugins_test_identify_ping_LDADD = liblp2p.la $(CMOCKA_LIBS)
TESTS += tests/plugins/example_config.sh
EXTRA_DIST += tests/plugins/example_config.sh

# stream callbacks as plugins see them (a swarm regression found here)
check_PROGRAMS += tests/plugins/test_stream_events
TESTS += tests/plugins/test_stream_events
tests_plugins_test_stream_events_SOURCES = tests/plugins/test_stream_events.c
tests_plugins_test_stream_events_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_plugins_test_stream_events_LDADD = liblp2p.la $(CMOCKA_LIBS)
plugin_LTLIBRARIES += plugins/perf.la
plugins_perf_la_SOURCES = plugins/perf/perf.c
plugins_perf_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_perf_la_LIBADD = liblp2p.la
# short transfers both ways, lp2p and js-libp2p (when installed); and
# what it does when js-libp2p is missing (skipped, or required)
TESTS += plugins/perf/test_perf.sh plugins/perf/test_perf_nojs.sh
EXTRA_DIST += plugins/perf/test_perf.sh plugins/perf/test_perf_nojs.sh \
	tests/interop/js/bench-peer.mjs tests/interop/js/bench-perf.mjs
