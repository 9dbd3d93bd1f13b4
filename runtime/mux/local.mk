# runtime/mux: stream multiplexers (yamux, mplex) behind one session API
libruntime_la_SOURCES += \
	runtime/mux/mux.c \
	runtime/mux/mux.h \
	runtime/mux/mux_impl.h \
	runtime/mux/yamux.c \
	runtime/mux/mplex.c \
	runtime/mux/session.c runtime/mux/session.h

check_PROGRAMS += tests/unit/test_yamux tests/unit/test_mplex
TESTS += tests/unit/test_yamux tests/unit/test_mplex
tests_unit_test_yamux_SOURCES = tests/unit/test_yamux.c tests/unit/mux_harness.c tests/unit/mux_harness.h
tests_unit_test_yamux_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_yamux_LDADD = $(TEST_LIBS)
tests_unit_test_mplex_SOURCES = tests/unit/test_mplex.c tests/unit/mux_harness.c tests/unit/mux_harness.h
tests_unit_test_mplex_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_mplex_LDADD = $(TEST_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_yamux tests/fuzz/fuzz_mplex
tests_fuzz_fuzz_yamux_SOURCES = tests/fuzz/fuzz_yamux.c tests/fuzz/fuzz_mux.h $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_yamux_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/yamux"'
tests_fuzz_fuzz_yamux_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_yamux_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_yamux_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_mplex_SOURCES = tests/fuzz/fuzz_mplex.c tests/fuzz/fuzz_mux.h $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_mplex_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/mplex"'
tests_fuzz_fuzz_mplex_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_mplex_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_mplex_LDFLAGS = $(FUZZ_LINK_FLAGS)
