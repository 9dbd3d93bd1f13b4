# bench: the benchmark suite (bench/README.md), run by `make bench`; never
# part of `make check` (it takes minutes), but its programs are built there
# so they keep compiling.
check_PROGRAMS += bench/lp2p-bench bench/tcp-limits
bench_lp2p_bench_SOURCES = bench/lp2p-bench.c
bench_lp2p_bench_LDADD = liblp2p.la
bench_tcp_limits_SOURCES = bench/tcp-limits.c

EXTRA_DIST += bench/README.md bench/run.sh bench/ab.sh

# BENCH_SIZE, BENCH_RUNS, ... (see bench/README.md) pass through the
# environment.
bench: runtime/lp2pd/lp2pd bench/lp2p-bench bench/tcp-limits \
		$(plugin_LTLIBRARIES)
	LP2P_BUILDDIR=$(abs_top_builddir) \
	  $(SHELL) $(abs_top_srcdir)/bench/run.sh

.PHONY: bench

# bench/protobuf-bench: lp2p's protobuf codec beside protobuf-c on a
# gossipsub RPC and Kademlia messages (ARCHITECTURE.md, "Protobuf").  Built
# when protobuf-c and protoc-c are installed; protoc-c generates its C code
# from proto/*.proto here, at build time (nothing generated is kept in git).
EXTRA_DIST += proto/kad.proto proto/rpc.proto
if HAVE_PROTOBUF_C
check_PROGRAMS += bench/protobuf-bench
bench_protobuf_bench_SOURCES = bench/protobuf-bench.c bench/protobuf-bench.h \
	bench/pb-inhouse.c bench/pb-protobufc.c
nodist_bench_protobuf_bench_SOURCES = bench/gen/kad.pb-c.c \
	bench/gen/kad.pb-c.h bench/gen/rpc.pb-c.c bench/gen/rpc.pb-c.h
bench_protobuf_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(builddir)/bench/gen \
	$(PROTOBUF_C_CFLAGS)
bench_protobuf_bench_LDADD = liblp2p.la $(PROTOBUF_C_LIBS)
CLEANFILES += bench/gen/kad.pb-c.c bench/gen/kad.pb-c.h \
	bench/gen/rpc.pb-c.c bench/gen/rpc.pb-c.h

bench/gen/kad.pb-c.h: bench/gen/kad.pb-c.c
bench/gen/kad.pb-c.c: $(srcdir)/proto/kad.proto
	$(AM_V_GEN)$(MKDIR_P) bench/gen && \
	  $(PROTOC_C) --c_out=bench/gen -I$(srcdir)/proto $(srcdir)/proto/kad.proto
bench/gen/rpc.pb-c.h: bench/gen/rpc.pb-c.c
bench/gen/rpc.pb-c.c: $(srcdir)/proto/rpc.proto
	$(AM_V_GEN)$(MKDIR_P) bench/gen && \
	  $(PROTOC_C) --c_out=bench/gen -I$(srcdir)/proto $(srcdir)/proto/rpc.proto
# The first build has no dependency information yet.
bench/protobuf_bench-pb-protobufc.$(OBJEXT) \
bench/gen/protobuf_bench-kad.pb-c.$(OBJEXT) \
bench/gen/protobuf_bench-rpc.pb-c.$(OBJEXT): \
	bench/gen/kad.pb-c.h bench/gen/rpc.pb-c.h

# The figures in ARCHITECTURE.md ("Protobuf"): speed, allocations, hostile
# inputs, then the code each codec's use adds.
bench-protobuf: bench/protobuf-bench
	./bench/protobuf-bench
	@echo
	@echo "code size, size(1): lp2p's codec (runtime) and its use; protobuf-c's"
	@echo "generated code and its use; the protobuf-c library"
	@size runtime/codec/.libs/libruntime_la-protobuf.o \
	  bench/protobuf_bench-pb-inhouse.$(OBJEXT) \
	  bench/gen/protobuf_bench-kad.pb-c.$(OBJEXT) \
	  bench/gen/protobuf_bench-rpc.pb-c.$(OBJEXT) \
	  bench/protobuf_bench-pb-protobufc.$(OBJEXT) \
	  `$(PKG_CONFIG) --variable=libdir libprotobuf-c`/libprotobuf-c.so.1
	@echo "allocator symbols the lp2p-codec decoders reference:" \
	  `nm -u bench/protobuf_bench-pb-inhouse.$(OBJEXT) | \
	   grep -cE ' (malloc|calloc|realloc|free)$$'`
else
bench-protobuf:
	@echo "bench-protobuf needs protobuf-c: install libprotobuf-c-dev and protobuf-c-compiler, then configure again"; exit 1
endif
.PHONY: bench-protobuf
