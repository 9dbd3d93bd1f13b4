# bench: the benchmark suite (bench/README.md), run by `make bench`; never
# part of `make check` (it takes minutes), but its programs are built there
# so they keep compiling.
check_PROGRAMS += bench/lp2p-bench bench/tcp-limits
bench_lp2p_bench_SOURCES = bench/lp2p-bench.c
bench_lp2p_bench_LDADD = liblp2p.la
bench_tcp_limits_SOURCES = bench/tcp-limits.c

EXTRA_DIST += bench/README.md bench/run.sh

# BENCH_SIZE, BENCH_RUNS, ... (see bench/README.md) pass through the
# environment.
bench: runtime/lp2pd/lp2pd bench/lp2p-bench bench/tcp-limits \
		$(plugin_LTLIBRARIES)
	LP2P_BUILDDIR=$(abs_top_builddir) \
	  $(SHELL) $(abs_top_srcdir)/bench/run.sh

.PHONY: bench
