# tests/cli: lp2pd as a user runs it
check_PROGRAMS += tests/cli/test_lp2pd
TESTS += tests/cli/test_lp2pd
tests_cli_test_lp2pd_SOURCES = tests/cli/test_lp2pd.c
tests_cli_test_lp2pd_CPPFLAGS = $(AM_CPPFLAGS) \
	-DLP2PD='"$(abs_top_builddir)/runtime/lp2pd/lp2pd"'
tests_cli_test_lp2pd_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_cli_test_lp2pd_LDADD = $(CMOCKA_LIBS)
