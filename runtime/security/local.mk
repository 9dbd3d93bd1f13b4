# runtime/security: secure channels (Noise, TLS) behind one table (secure.h)
libruntime_la_SOURCES += \
	runtime/security/noise.h \
	runtime/security/noise_internal.h \
	runtime/security/noise_algs.c \
	runtime/security/noise_cipher.c \
	runtime/security/noise_dh.c \
	runtime/security/noise_symmetric.c \
	runtime/security/noise_xx.c \
	runtime/security/noise_payload.h \
	runtime/security/noise_payload.c \
	runtime/security/noise_handshake.c \
	runtime/security/noise_transport.c

check_PROGRAMS += tests/unit/test_noise
TESTS += tests/unit/test_noise
tests_unit_test_noise_SOURCES = tests/unit/test_noise.c
tests_unit_test_noise_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_noise_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_noise_payload
tests_fuzz_fuzz_noise_payload_SOURCES = tests/fuzz/fuzz_noise_payload.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_noise_payload_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/noise_payload"'
tests_fuzz_fuzz_noise_payload_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_noise_payload_LDADD = libruntime.la
tests_fuzz_fuzz_noise_payload_LDFLAGS = $(FUZZ_LINK_FLAGS)

FUZZ_TARGETS += tests/fuzz/fuzz_noise_responder
tests_fuzz_fuzz_noise_responder_SOURCES = tests/fuzz/fuzz_noise_responder.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_noise_responder_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/noise_responder"'
tests_fuzz_fuzz_noise_responder_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_noise_responder_LDADD = libruntime.la
tests_fuzz_fuzz_noise_responder_LDFLAGS = $(FUZZ_LINK_FLAGS)

# TLS 1.3 (/tls/1.0.0) on OpenSSL, and the secure channel table
libruntime_la_SOURCES += \
	runtime/security/secure.h \
	runtime/security/secure.c \
	runtime/security/secure_noise.c \
	runtime/security/tls.h \
	runtime/security/tls_internal.h \
	runtime/security/tls_ext.h \
	runtime/security/tls_ext.c \
	runtime/security/tls_bio.c \
	runtime/security/tls_cert.c \
	runtime/security/tls_session.c \
	runtime/security/tls_handshake.c \
	runtime/security/tls_secure.c

check_PROGRAMS += tests/unit/test_tls
TESTS += tests/unit/test_tls
tests_unit_test_tls_SOURCES = tests/unit/test_tls.c
tests_unit_test_tls_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_tls_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)

# TLS between hosts in one process (the swarm test harness)
check_PROGRAMS += tests/unit/test_tls_swarm
TESTS += tests/unit/test_tls_swarm
tests_unit_test_tls_swarm_SOURCES = tests/unit/test_tls_swarm.c \
	tests/unit/test_swarm_harness.c tests/unit/test_swarm_harness.h
tests_unit_test_tls_swarm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_tls_swarm_LDADD = liblp2p.la $(CMOCKA_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_tls_ext
tests_fuzz_fuzz_tls_ext_SOURCES = tests/fuzz/fuzz_tls_ext.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_tls_ext_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/tls_ext"'
tests_fuzz_fuzz_tls_ext_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_tls_ext_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_tls_ext_LDFLAGS = $(FUZZ_LINK_FLAGS)

FUZZ_TARGETS += tests/fuzz/fuzz_tls_cert
tests_fuzz_fuzz_tls_cert_SOURCES = tests/fuzz/fuzz_tls_cert.c $(FUZZ_MAIN_SRC)
tests_fuzz_fuzz_tls_cert_CPPFLAGS = $(FUZZ_PREPROC_FLAGS) -DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/tls_cert"'
tests_fuzz_fuzz_tls_cert_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_tls_cert_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_tls_cert_LDFLAGS = $(FUZZ_LINK_FLAGS)

# TLS interop (tests/interop/tls.sh, run once per peer by
# tests/interop/local.mk): a minimal C client for the lp2p -> peer
# direction.
check_PROGRAMS += tests/interop/c/tls_dial
tests_interop_c_tls_dial_SOURCES = tests/interop/c/tls_dial.c
tests_interop_c_tls_dial_CFLAGS = $(AM_CFLAGS)
tests_interop_c_tls_dial_LDADD = libruntime.la

