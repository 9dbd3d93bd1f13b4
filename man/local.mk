# man: hand-written mdoc pages, checked with mandoc -Tlint in make check
dist_man_MANS += man/lp2pd.8 man/lp2pd.yaml.5 man/lp2p-plugin.7 \
	man/lp2p-plugins.7

TESTS += tests/cli/man-lint.sh
EXTRA_DIST += tests/cli/man-lint.sh
TESTS_ENVIRONMENT = top_srcdir='$(top_srcdir)'; export top_srcdir;
