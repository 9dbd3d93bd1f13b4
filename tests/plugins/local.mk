# tests/plugins: plugins built only for the loader tests (one source, several builds)
TEST_PLUGINS =
check_LTLIBRARIES += tests/plugins/good_a.la
tests_plugins_good_a_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_good_a_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"good_a"'
tests_plugins_good_a_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_good_a_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/good_a.la

check_LTLIBRARIES += tests/plugins/good_b.la
tests_plugins_good_b_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_good_b_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"good_b"'
tests_plugins_good_b_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_good_b_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/good_b.la

check_LTLIBRARIES += tests/plugins/initfail.la
tests_plugins_initfail_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_initfail_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"initfail"' -DINITFAIL
tests_plugins_initfail_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_initfail_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/initfail.la

check_LTLIBRARIES += tests/plugins/badconf.la
tests_plugins_badconf_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_badconf_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"badconf"' -DBADCONF
tests_plugins_badconf_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_badconf_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/badconf.la

check_LTLIBRARIES += tests/plugins/wrongabi.la
tests_plugins_wrongabi_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_wrongabi_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"wrongabi"' -DWRONGABI
tests_plugins_wrongabi_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_wrongabi_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/wrongabi.la

check_LTLIBRARIES += tests/plugins/wrongsig.la
tests_plugins_wrongsig_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_wrongsig_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"wrongsig"' -DWRONGSIG
tests_plugins_wrongsig_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_wrongsig_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/wrongsig.la

check_LTLIBRARIES += tests/plugins/oldabi.la
tests_plugins_oldabi_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_oldabi_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"oldabi"' -DOLDABI=1
tests_plugins_oldabi_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_oldabi_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/oldabi.la

check_LTLIBRARIES += tests/plugins/oldabi2.la
tests_plugins_oldabi2_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_oldabi2_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"oldabi2"' -DOLDABI=2
tests_plugins_oldabi2_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_oldabi2_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/oldabi2.la

check_LTLIBRARIES += tests/plugins/noaccept.la
tests_plugins_noaccept_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_noaccept_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"noaccept"' -DNOACCEPT
tests_plugins_noaccept_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_noaccept_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/noaccept.la

check_LTLIBRARIES += tests/plugins/nodesc.la
tests_plugins_nodesc_la_SOURCES = tests/plugins/test_plugin.c
tests_plugins_nodesc_la_CPPFLAGS = $(AM_CPPFLAGS) -DPLUGIN_NAME='"nodesc"' -DNODESC
tests_plugins_nodesc_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_plugins_nodesc_la_LIBADD = liblp2p.la
TEST_PLUGINS += tests/plugins/nodesc.la
