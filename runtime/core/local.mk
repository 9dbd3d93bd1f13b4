# runtime/core: error strings, logging, small helpers shared by every layer
libruntime_la_SOURCES += \
	runtime/core/error.c runtime/core/buf.h

check_PROGRAMS += tests/unit/test_error
TESTS += tests/unit/test_error
tests_unit_test_error_SOURCES = tests/unit/test_error.c
tests_unit_test_error_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_error_LDADD = $(TEST_LIBS)
libruntime_la_SOURCES += runtime/core/log.c
