# runtime/swarm: connections, streams, dialing, the peerstore
libruntime_la_SOURCES += \
	runtime/swarm/swarm.c runtime/swarm/swarm.h runtime/swarm/buf.h \
	runtime/swarm/conn.c runtime/swarm/stream.c runtime/swarm/dial.c \
	runtime/swarm/peerstore.c runtime/swarm/peerstore.h \
	runtime/swarm/connmgr.c runtime/swarm/linger.c

# Swarm and host acceptance tests: several hosts in one process over
# loopback TCP, through the public API (liblp2p.so).
SWARM_TEST_HARNESS = tests/unit/test_swarm_harness.c \
	tests/unit/test_swarm_harness.h
check_PROGRAMS += tests/unit/test_swarm_conn
TESTS += tests/unit/test_swarm_conn
tests_unit_test_swarm_conn_SOURCES = tests/unit/test_swarm_conn.c \
	$(SWARM_TEST_HARNESS)
tests_unit_test_swarm_conn_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_swarm_conn_LDADD = liblp2p.la $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_swarm_stream
TESTS += tests/unit/test_swarm_stream
tests_unit_test_swarm_stream_SOURCES = tests/unit/test_swarm_stream.c \
	$(SWARM_TEST_HARNESS)
tests_unit_test_swarm_stream_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_swarm_stream_LDADD = liblp2p.la $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_swarm_host
TESTS += tests/unit/test_swarm_host
tests_unit_test_swarm_host_SOURCES = tests/unit/test_swarm_host.c \
	$(SWARM_TEST_HARNESS)
tests_unit_test_swarm_host_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_swarm_host_LDADD = liblp2p.la $(CMOCKA_LIBS)

# ==== BEGIN tests/hostile (to move to tests/hostile/local.mk) ====
# The scripted hostile peer against an in-process lp2p host (make check),
# and the soak test against lp2pd (make soak; see tests/hostile/README.md).
check_PROGRAMS += tests/hostile/test_hostile
TESTS += tests/hostile/test_hostile
tests_hostile_test_hostile_SOURCES = tests/hostile/test_hostile.c \
	tests/hostile/peer.c tests/hostile/target.c tests/hostile/hostile.h
tests_hostile_test_hostile_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_hostile_test_hostile_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/hostile/README.md

# make soak: SOAK_SECONDS of churn against lp2pd (not part of make check;
# build with --enable-sanitizers to run lp2pd under ASan).
check_PROGRAMS += tests/hostile/soak
tests_hostile_soak_SOURCES = tests/hostile/soak.c tests/hostile/peer.c \
	tests/hostile/hostile.h
tests_hostile_soak_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_hostile_soak_LDADD = libruntime.la
SOAK_SECONDS = 120
SOAK_CONNS = 2000
SOAK_THREADS = 4
SOAK_INTERVAL = 5
soak: runtime/lp2pd/lp2pd plugins/echo.la tests/hostile/soak
	tests/hostile/soak --lp2pd runtime/lp2pd/lp2pd \
	  --plugins $(abs_top_builddir)/plugins/.libs \
	  --seconds $(SOAK_SECONDS) --conns $(SOAK_CONNS) \
	  --threads $(SOAK_THREADS) --interval $(SOAK_INTERVAL)
CLEANFILES += soak-lp2pd.yaml soak-lp2pd.log
.PHONY: soak
# ==== END tests/hostile ====
