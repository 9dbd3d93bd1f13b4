# tests/fuzz: libFuzzer targets.  Without --enable-fuzzing each target is
# linked with replay.c and runs over its seed corpus in `make check`; with
# --enable-fuzzing (clang) they link with -fsanitize=fuzzer and
# `make fuzz-smoke` runs each for FUZZ_SECONDS.
#
# To add a target NAME: tests/fuzz/fuzz_NAME.c defining
# LLVMFuzzerTestOneInput, seeds under tests/fuzz/corpus/NAME/, and in the
# local.mk of the module it tests:
#   FUZZ_TARGETS += tests/fuzz/fuzz_NAME
#   tests_fuzz_fuzz_NAME_SOURCES = tests/fuzz/fuzz_NAME.c $(FUZZ_MAIN_SRC)
#   tests_fuzz_fuzz_NAME_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/NAME"'
#   tests_fuzz_fuzz_NAME_CFLAGS = $(FUZZ_COMPILE_FLAGS)
#   tests_fuzz_fuzz_NAME_LDADD = $(FUZZ_LIBS)
#   tests_fuzz_fuzz_NAME_LDFLAGS = $(FUZZ_LINK_FLAGS)
# (automake refuses linker flags in _LDADD, hence the separate LDFLAGS.)
if FUZZING
FUZZ_MAIN_SRC =
FUZZ_COMPILE_FLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_LIBS = libruntime.la
FUZZ_LINK_FLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
else
FUZZ_MAIN_SRC = tests/fuzz/replay.c
FUZZ_COMPILE_FLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
FUZZ_LIBS = libruntime.la
FUZZ_LINK_FLAGS = $(AM_LDFLAGS)
endif
FUZZ_PREPROC_FLAGS = $(AM_CPPFLAGS)
FUZZ_SECONDS = 30

EXTRA_DIST += tests/fuzz/corpus

if FUZZING
noinst_PROGRAMS = $(FUZZ_TARGETS)
else
check_PROGRAMS += $(FUZZ_TARGETS)
TESTS += $(FUZZ_TARGETS)
endif

# Run every target for FUZZ_SECONDS seconds (needs --enable-fuzzing); new
# crashers land in tests/fuzz/crashes/ and should become regression seeds.
fuzz-smoke: $(FUZZ_TARGETS)
	@mkdir -p tests/fuzz/crashes
	@for t in $(FUZZ_TARGETS); do \
	  n=$${t##*/fuzz_}; mkdir -p tests/fuzz/work/$$n; \
	  echo "fuzz $$n for $(FUZZ_SECONDS)s"; \
	  ./$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=tests/fuzz/crashes/$$n- \
	    tests/fuzz/work/$$n $(srcdir)/tests/fuzz/corpus/$$n >tests/fuzz/work/$$n.log 2>&1 \
	    || { echo "fuzz $$n FAILED: see tests/fuzz/work/$$n.log"; exit 1; }; \
	done
.PHONY: fuzz-smoke
