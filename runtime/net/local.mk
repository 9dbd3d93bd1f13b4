# runtime/net: transports (net/transport.h: TCP; an in-memory one for
# tests, not configurable) producing byte pipes; name resolution off the
# loop thread
libruntime_la_SOURCES += \
	runtime/net/transport.c runtime/net/transport.h \
	runtime/net/tcp.c runtime/net/tcp.h \
	runtime/net/tcp_transport.c runtime/net/tcp_transport.h \
	runtime/net/tcp_linger.c \
	runtime/net/memory_transport.c runtime/net/memory_transport.h \
	runtime/net/resolve.c runtime/net/resolve.h

# The in-memory pipes alone: order, chunks, backpressure, close, abort.
check_PROGRAMS += tests/unit/test_memory_transport
TESTS += tests/unit/test_memory_transport
tests_unit_test_memory_transport_SOURCES = \
	tests/unit/test_memory_transport.c
tests_unit_test_memory_transport_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_memory_transport_LDADD = $(TEST_LIBS) $(EV_LIBS)
# A closed TCP socket's goodbye (tcp_linger.c) on a socket pair.
check_PROGRAMS += tests/unit/test_tcp_linger
TESTS += tests/unit/test_tcp_linger
tests_unit_test_tcp_linger_SOURCES = tests/unit/test_tcp_linger.c
tests_unit_test_tcp_linger_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_tcp_linger_LDADD = $(TEST_LIBS) $(EV_LIBS)
