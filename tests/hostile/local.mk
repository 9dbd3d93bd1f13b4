# tests/hostile: the scripted hostile peer (make check) and the soak test
# (make soak); see tests/hostile/README.md.
# To switch: add `include tests/hostile/local.mk` to Makefile.am and
# delete that block.
# The scripted hostile peer against an in-process lp2p host (make check),
# and the soak test against lp2pd (make soak; see tests/hostile/README.md).
check_PROGRAMS += tests/hostile/test_hostile
TESTS += tests/hostile/test_hostile
tests_hostile_test_hostile_SOURCES = tests/hostile/test_hostile.c \
	tests/hostile/peer.c tests/hostile/tls_peer.c tests/hostile/target.c \
	tests/hostile/hostile.h
tests_hostile_test_hostile_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_hostile_test_hostile_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)
EXTRA_DIST += tests/hostile/README.md

# make soak: SOAK_SECONDS of churn against lp2pd (not part of make check;
# build with --enable-sanitizers to run lp2pd under ASan).
check_PROGRAMS += tests/hostile/soak
tests_hostile_soak_SOURCES = tests/hostile/soak.c tests/hostile/peer.c \
	tests/hostile/hostile.h
tests_hostile_soak_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_hostile_soak_LDADD = libruntime.la
SOAK_SECONDS = 120
SOAK_CONNS = 2000
SOAK_THREADS = 4
SOAK_INTERVAL = 5
soak: runtime/lp2pd/lp2pd plugins/echo.la tests/hostile/soak
	tests/hostile/soak --lp2pd runtime/lp2pd/lp2pd \
	  --plugins $(abs_top_builddir)/plugins/.libs \
	  --seconds $(SOAK_SECONDS) --conns $(SOAK_CONNS) \
	  --threads $(SOAK_THREADS) --interval $(SOAK_INTERVAL)
CLEANFILES += soak-lp2pd.yaml soak-lp2pd.log
.PHONY: soak
