# runtime/multistream: multistream-select 1.0 negotiation (pure framer)
libruntime_la_SOURCES += \
	runtime/multistream/mss.c \
	runtime/multistream/mss.h

check_PROGRAMS += tests/unit/test_mss
TESTS += tests/unit/test_mss
tests_unit_test_mss_SOURCES = tests/unit/test_mss.c
tests_unit_test_mss_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_mss_LDADD = $(TEST_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_mss
tests_fuzz_fuzz_mss_SOURCES = tests/fuzz/fuzz_mss.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_mss_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/mss"'
tests_fuzz_fuzz_mss_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_mss_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_mss_LDFLAGS = $(FUZZ_LINK_FLAGS)
