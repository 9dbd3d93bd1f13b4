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
# The stream lifecycle tests again, on the in-memory transport: every end
# of a stream, with no socket.
check_PROGRAMS += tests/unit/test_stream_lifecycle_mem
TESTS += tests/unit/test_stream_lifecycle_mem
tests_unit_test_stream_lifecycle_mem_SOURCES = \
	tests/unit/test_stream_lifecycle.c $(MEM_TEST_HARNESS)
tests_unit_test_stream_lifecycle_mem_CFLAGS = $(TEST_COMPILE_FLAGS) \
	-DWORLD_SETUP=mem_world_setup -DWORLD_TEARDOWN=mem_world_teardown
tests_unit_test_stream_lifecycle_mem_LDADD = $(TEST_LIBS) $(EV_LIBS)
# The stream tests again, on the in-memory transport (but for the two
# that count descriptors, which memory pipes do not hold).
check_PROGRAMS += tests/unit/test_swarm_stream_mem
TESTS += tests/unit/test_swarm_stream_mem
tests_unit_test_swarm_stream_mem_SOURCES = \
	tests/unit/test_swarm_stream.c $(MEM_TEST_HARNESS)
tests_unit_test_swarm_stream_mem_CFLAGS = $(TEST_COMPILE_FLAGS) \
	-DWORLD_SETUP=mem_world_setup -DWORLD_TEARDOWN=mem_world_teardown \
	-DWORLD_PIPES_WITHOUT_FDS
tests_unit_test_swarm_stream_mem_LDADD = $(TEST_LIBS) $(EV_LIBS)
