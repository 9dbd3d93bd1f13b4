# runtime/crypto: keys (every libp2p key type over OpenSSL 3), peer ids
# from keys, key files; XSalsa20 for private networks (runtime/pnet).  Also the protobuf wire codec (runtime/codec/
# protobuf.c is listed here, not in runtime/codec/local.mk, to keep the
# two helpers' fragments apart).
libruntime_la_SOURCES += \
	runtime/codec/protobuf.c \
	runtime/crypto/key.h \
	runtime/crypto/key.c \
	runtime/crypto/key_der.c \
	runtime/crypto/key_ed25519.c \
	runtime/crypto/key_secp256k1.c \
	runtime/crypto/key_ecdsa.c \
	runtime/crypto/key_rsa.c \
	runtime/crypto/key_file.c \
	runtime/crypto/peer_id_key.c \
	runtime/crypto/xsalsa20.h \
	runtime/crypto/xsalsa20.c

check_PROGRAMS += tests/unit/test_protobuf
TESTS += tests/unit/test_protobuf
tests_unit_test_protobuf_SOURCES = tests/unit/test_protobuf.c
tests_unit_test_protobuf_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_protobuf_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test_xsalsa20
TESTS += tests/unit/test_xsalsa20
tests_unit_test_xsalsa20_SOURCES = tests/unit/test_xsalsa20.c
tests_unit_test_xsalsa20_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_xsalsa20_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_keys
TESTS += tests/unit/test_keys
tests_unit_test_keys_SOURCES = tests/unit/test_keys.c tests/unit/key_vectors.h
tests_unit_test_keys_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_keys_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_key_file
TESTS += tests/unit/test_key_file
tests_unit_test_key_file_SOURCES = tests/unit/test_key_file.c tests/unit/key_vectors.h
tests_unit_test_key_file_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_key_file_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test_peer_id_keys
TESTS += tests/unit/test_peer_id_keys
tests_unit_test_peer_id_keys_SOURCES = tests/unit/test_peer_id_keys.c tests/unit/key_vectors.h
tests_unit_test_peer_id_keys_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_peer_id_keys_LDADD = $(TEST_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_protobuf
tests_fuzz_fuzz_protobuf_SOURCES = tests/fuzz/fuzz_protobuf.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_protobuf_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/protobuf"'
tests_fuzz_fuzz_protobuf_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_protobuf_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_protobuf_LDFLAGS = $(FUZZ_LINK_FLAGS)

FUZZ_TARGETS += tests/fuzz/fuzz_key_public
tests_fuzz_fuzz_key_public_SOURCES = tests/fuzz/fuzz_key.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_key_public_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/key_public"'
tests_fuzz_fuzz_key_public_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_key_public_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_key_public_LDFLAGS = $(FUZZ_LINK_FLAGS)

FUZZ_TARGETS += tests/fuzz/fuzz_key_private
tests_fuzz_fuzz_key_private_SOURCES = tests/fuzz/fuzz_key.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_key_private_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_KEY_PRIVATE -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/key_private"'
tests_fuzz_fuzz_key_private_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_key_private_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_key_private_LDFLAGS = $(FUZZ_LINK_FLAGS)
