# runtime/host: the host object tying config, loop, swarm and plugins
libruntime_la_SOURCES += \
	runtime/host/host.c runtime/host/host.h \
	runtime/host/timer.c runtime/host/protocols.c runtime/host/events.c \
	runtime/host/bootstrap.c runtime/host/conns.c runtime/host/resources.c \
	runtime/host/peerstore.c runtime/host/peerstore.h \
	runtime/host/request.c runtime/host/service.c

check_PROGRAMS += tests/unit/test_peerstore
TESTS += tests/unit/test_peerstore
tests_unit_test_peerstore_SOURCES = tests/unit/test_peerstore.c
tests_unit_test_peerstore_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_peerstore_LDADD = $(TEST_LIBS)
