# runtime/plugin: the plugin loader (dlopen, descriptor checks, lifecycle)
libruntime_la_SOURCES += \
	runtime/plugin/loader.c runtime/plugin/loader.h

# The loader is tested through the public API (liblp2p.so), the way lp2pd
# uses it, with the plugins of tests/plugins.
check_PROGRAMS += tests/unit/test_plugin_loader
TESTS += tests/unit/test_plugin_loader
tests_unit_test_plugin_loader_SOURCES = tests/unit/test_plugin_loader.c
tests_unit_test_plugin_loader_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/tests/plugins/.libs"'
tests_unit_test_plugin_loader_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_plugin_loader_LDADD = liblp2p.la $(CMOCKA_LIBS)
