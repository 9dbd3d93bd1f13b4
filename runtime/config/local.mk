# runtime/config: the YAML configuration (libyaml), parsed once into a tree
libruntime_la_SOURCES += \
	runtime/config/tree.c runtime/config/tree.h \
	runtime/config/node.c runtime/config/defaults.c \
	runtime/config/config.c runtime/config/config.h \
	runtime/config/limits.c \
	runtime/config/default.c

check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_config_LDADD = $(TEST_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_config_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/config"'
tests_fuzz_fuzz_config_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_config_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LINK_FLAGS)
