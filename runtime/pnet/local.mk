# runtime/pnet: private networks (PSK v1), the key file codec and the
# per-connection XSalsa20 layer under multistream-select.  Pure: the swarm
# does the I/O.
libruntime_la_SOURCES += \
	runtime/pnet/pnet.h \
	runtime/pnet/pnet.c

check_PROGRAMS += tests/unit/test_pnet
TESTS += tests/unit/test_pnet
tests_unit_test_pnet_SOURCES = tests/unit/test_pnet.c
tests_unit_test_pnet_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_pnet_LDADD = $(TEST_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_pnet_key
tests_fuzz_fuzz_pnet_key_SOURCES = tests/fuzz/fuzz_pnet_key.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_pnet_key_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/pnet_key"'
tests_fuzz_fuzz_pnet_key_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_pnet_key_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_pnet_key_LDFLAGS = $(FUZZ_LINK_FLAGS)
