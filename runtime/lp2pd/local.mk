# runtime/lp2pd: the daemon, a thin main over liblp2p's public API
bin_PROGRAMS += runtime/lp2pd/lp2pd
runtime_lp2pd_lp2pd_SOURCES = runtime/lp2pd/main.c \
	runtime/lp2pd/key_cmd.c runtime/lp2pd/key_cmd.h \
	runtime/lp2pd/ping_cmd.c runtime/lp2pd/ping_cmd.h
runtime_lp2pd_lp2pd_LDADD = liblp2p.la

# Run the freshly built node on its built-in default configuration, finding
# the plugins in the build tree.
run: runtime/lp2pd/lp2pd $(plugin_LTLIBRARIES)
	LP2P_PLUGIN_PATH=$(abs_top_builddir)/plugins/.libs \
	  $(abs_top_builddir)/runtime/lp2pd/lp2pd $(RUN_ARGS)
.PHONY: run
