# runtime/codec: the pure multiformats codecs (varint, multibase, multihash,
# peer id, multiaddr).  No I/O, no allocation on the data path.
libruntime_la_SOURCES += \
	runtime/codec/varint.c \
	runtime/codec/multibase.c \
	runtime/codec/multihash.c \
	runtime/codec/peer_id.c

CODEC_TESTS = tests/unit/test_varint tests/unit/test_multibase \
	tests/unit/test_multihash tests/unit/test_peer_id
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
