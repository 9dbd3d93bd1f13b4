# plugins: one shared object per protocol, installed in $(plugindir)
plugin_LTLIBRARIES += plugins/echo.la
plugins_echo_la_SOURCES = plugins/echo/echo.c
plugins_echo_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_echo_la_LIBADD = liblp2p.la
