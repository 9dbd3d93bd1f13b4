# tests/unit

# Swarm tests on the in-memory transport (net/memory_transport.c): no
# sockets, libruntime linked statically so they can look into the swarm.
MEM_TEST_HARNESS = tests/unit/mem_harness.c tests/unit/mem_harness.h \
	tests/unit/test_swarm_harness.c tests/unit/test_swarm_harness.h
# Dialling (swarm/dial.c): several addresses, shared attempts, reuse,
# peer id checks, errors from the loop, cancellation at stop.
check_PROGRAMS += tests/unit/test_dial
TESTS += tests/unit/test_dial
tests_unit_test_dial_SOURCES = tests/unit/test_dial.c $(MEM_TEST_HARNESS)
tests_unit_test_dial_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_dial_LDADD = $(TEST_LIBS) $(EV_LIBS)
# The connection manager (swarm/connmgr.c): trimming above high water,
# protection, grace period, idle timeout.
check_PROGRAMS += tests/unit/test_connmgr
TESTS += tests/unit/test_connmgr
tests_unit_test_connmgr_SOURCES = tests/unit/test_connmgr.c $(MEM_TEST_HARNESS)
tests_unit_test_connmgr_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_connmgr_LDADD = $(TEST_LIBS) $(EV_LIBS)
