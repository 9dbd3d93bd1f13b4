# runtime/upgrade: the upgrade of a byte pipe (multistream, security, muxer
# choice), without I/O
libruntime_la_SOURCES += \
	runtime/upgrade/upgrader.h \
	runtime/upgrade/upgrader.c

check_PROGRAMS += tests/unit/test_upgrader
TESTS += tests/unit/test_upgrader
tests_unit_test_upgrader_SOURCES = tests/unit/test_upgrader.c
tests_unit_test_upgrader_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_upgrader_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_upgrader
tests_fuzz_fuzz_upgrader_SOURCES = tests/fuzz/fuzz_upgrader.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_upgrader_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/upgrader"'
tests_fuzz_fuzz_upgrader_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_upgrader_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_upgrader_LDFLAGS = $(FUZZ_LINK_FLAGS)
