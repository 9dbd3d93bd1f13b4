# runtime/security: secure channels (Noise; TLS later)
libruntime_la_SOURCES += \
	runtime/security/noise.h \
	runtime/security/noise_internal.h \
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
