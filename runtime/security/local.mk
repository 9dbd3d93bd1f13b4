# runtime/security: secure channels (Noise; TLS later)
libruntime_la_SOURCES += \
	runtime/security/noise.h \
	runtime/security/noise_internal.h \
	runtime/security/noise_cipher.c \
	runtime/security/noise_dh.c \
	runtime/security/noise_symmetric.c \
	runtime/security/noise_xx.c \
	runtime/security/noise_transport.c

check_PROGRAMS += tests/unit/test_noise
TESTS += tests/unit/test_noise
tests_unit_test_noise_SOURCES = tests/unit/test_noise.c
tests_unit_test_noise_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_noise_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)
