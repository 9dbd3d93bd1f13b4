# runtime/codec: the pure multiformats codecs (varint, multibase, multihash,
# peer id, multiaddr).  No I/O, no allocation on the data path.
libruntime_la_SOURCES += \
	runtime/codec/varint.c \
	runtime/codec/message.c \
	runtime/codec/multibase.c \
	runtime/codec/multihash.c \
	runtime/codec/peer_id.c \
	runtime/codec/multiaddr_proto.h \
	runtime/codec/multiaddr_proto.c \
	runtime/codec/multiaddr.c \
	runtime/codec/multiaddr_net.c

CODEC_TESTS = tests/unit/test_varint tests/unit/test_multibase \
	tests/unit/test_multihash tests/unit/test_peer_id \
	tests/unit/test_multiaddr
check_PROGRAMS += $(CODEC_TESTS)
TESTS += $(CODEC_TESTS)
tests_unit_test_varint_SOURCES = tests/unit/test_varint.c
tests_unit_test_varint_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_varint_LDADD = $(TEST_LIBS)
tests_unit_test_multibase_SOURCES = tests/unit/test_multibase.c
tests_unit_test_multibase_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_multibase_LDADD = $(TEST_LIBS)
tests_unit_test_multihash_SOURCES = tests/unit/test_multihash.c
tests_unit_test_multihash_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_multihash_LDADD = $(TEST_LIBS)
tests_unit_test_peer_id_SOURCES = tests/unit/test_peer_id.c
tests_unit_test_peer_id_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_peer_id_LDADD = $(TEST_LIBS)
tests_unit_test_multiaddr_SOURCES = tests/unit/test_multiaddr.c
tests_unit_test_multiaddr_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_multiaddr_LDADD = $(TEST_LIBS)

# Fuzz targets (see tests/fuzz/local.mk)
FUZZ_TARGETS += tests/fuzz/fuzz_varint tests/fuzz/fuzz_multibase \
	tests/fuzz/fuzz_peer_id tests/fuzz/fuzz_multiaddr_bytes \
	tests/fuzz/fuzz_multiaddr_string
tests_fuzz_fuzz_varint_SOURCES = tests/fuzz/fuzz_varint.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_varint_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/varint"'
tests_fuzz_fuzz_varint_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_varint_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_varint_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_multibase_SOURCES = tests/fuzz/fuzz_multibase.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_multibase_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/multibase"'
tests_fuzz_fuzz_multibase_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_multibase_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_multibase_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_peer_id_SOURCES = tests/fuzz/fuzz_peer_id.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_peer_id_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/peer_id"'
tests_fuzz_fuzz_peer_id_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_peer_id_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_peer_id_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_multiaddr_bytes_SOURCES = tests/fuzz/fuzz_multiaddr_bytes.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_multiaddr_bytes_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/multiaddr_bytes"'
tests_fuzz_fuzz_multiaddr_bytes_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_multiaddr_bytes_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_multiaddr_bytes_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_multiaddr_string_SOURCES = tests/fuzz/fuzz_multiaddr_string.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_multiaddr_string_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/multiaddr_string"'
tests_fuzz_fuzz_multiaddr_string_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_multiaddr_string_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_multiaddr_string_LDFLAGS = $(FUZZ_LINK_FLAGS)

# length-prefixed messages (lp2p/message.h)
check_PROGRAMS += tests/unit/test_message
TESTS += tests/unit/test_message
tests_unit_test_message_SOURCES = tests/unit/test_message.c
tests_unit_test_message_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_message_LDADD = $(TEST_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_message
tests_fuzz_fuzz_message_SOURCES = tests/fuzz/fuzz_message.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_message_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/message"'
tests_fuzz_fuzz_message_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_message_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_message_LDFLAGS = $(FUZZ_LINK_FLAGS)
