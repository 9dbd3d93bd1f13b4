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
