# runtime/resource: resource accounting scopes and the resource manager
libruntime_la_SOURCES += \
	runtime/resource/resource.h \
	runtime/resource/scope.c \
	runtime/resource/rcmgr.c

check_PROGRAMS += tests/unit/test_resource
TESTS += tests/unit/test_resource
tests_unit_test_resource_SOURCES = tests/unit/test_resource.c
tests_unit_test_resource_CFLAGS = $(TEST_COMPILE_FLAGS)
tests_unit_test_resource_LDADD = $(TEST_LIBS)
