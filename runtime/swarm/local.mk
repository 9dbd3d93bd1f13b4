# runtime/swarm: connections, streams, dialing
libruntime_la_SOURCES += \
	runtime/swarm/swarm.c runtime/swarm/swarm.h \
	runtime/swarm/write_meter.h \
	runtime/swarm/packed_ma.c runtime/swarm/packed_ma.h \
	runtime/swarm/conn.c runtime/swarm/conn_internal.h \
	runtime/swarm/conn_upgrade.c runtime/swarm/conn_input.c \
	runtime/swarm/conn_output.c runtime/swarm/conn_account.c \
	runtime/swarm/stream.c runtime/swarm/stream_send.c \
	runtime/swarm/stream_negotiate.c runtime/swarm/stream_mux.c \
	runtime/swarm/stream_internal.h runtime/swarm/stream_msg.c runtime/swarm/conn_data.c \
	runtime/swarm/dial.c \
	runtime/swarm/connmgr.c runtime/swarm/gater.c \
	runtime/swarm/resource.c

# The throughput floor's counter, with simulated time.
check_PROGRAMS += tests/unit/test_write_meter
TESTS += tests/unit/test_write_meter
tests_unit_test_write_meter_SOURCES = tests/unit/test_write_meter.c
tests_unit_test_write_meter_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_write_meter_LDADD = $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_packed_ma
TESTS += tests/unit/test_packed_ma
tests_unit_test_packed_ma_SOURCES = tests/unit/test_packed_ma.c
tests_unit_test_packed_ma_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_packed_ma_LDADD = $(TEST_LIBS)

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
tests_unit_test_swarm_host_LDADD = liblp2p.la $(CMOCKA_LIBS) $(EV_LIBS)
# Every end of a stream gives exactly one on_close; failed opens report.
check_PROGRAMS += tests/unit/test_stream_lifecycle
TESTS += tests/unit/test_stream_lifecycle
tests_unit_test_stream_lifecycle_SOURCES = \
	tests/unit/test_stream_lifecycle.c $(SWARM_TEST_HARNESS)
tests_unit_test_stream_lifecycle_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_stream_lifecycle_LDADD = liblp2p.la $(CMOCKA_LIBS)
# lp2p_stream_send's queue and length-prefixed messages on streams.
check_PROGRAMS += tests/unit/test_stream_send
TESTS += tests/unit/test_stream_send
tests_unit_test_stream_send_SOURCES = \
	tests/unit/test_stream_send.c $(SWARM_TEST_HARNESS)
tests_unit_test_stream_send_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_stream_send_LDADD = liblp2p.la $(CMOCKA_LIBS)
# The toolkit of lp2p/service.h: echo, a peer's streams, connection timers.
check_PROGRAMS += tests/unit/test_service
TESTS += tests/unit/test_service
tests_unit_test_service_SOURCES = \
	tests/unit/test_service.c $(SWARM_TEST_HARNESS)
tests_unit_test_service_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_service_LDADD = liblp2p.la $(CMOCKA_LIBS)
# How the swarm reads the configured security protocols and muxers.
check_PROGRAMS += tests/unit/test_swarm_init
TESTS += tests/unit/test_swarm_init
tests_unit_test_swarm_init_SOURCES = tests/unit/test_swarm_init.c
tests_unit_test_swarm_init_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_swarm_init_LDADD = $(TEST_LIBS) $(EV_LIBS)
