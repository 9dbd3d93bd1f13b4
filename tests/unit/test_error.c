/* test_error.c - lp2p_strerror() covers every code */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <lp2p/common.h>

static void every_code_has_text(void **state)
{
	(void)state;
	for (int e = LP2P_OK; e >= LP2P_ENOTCONN; e--)
		assert_string_not_equal(lp2p_strerror(e), "unknown error");
	assert_string_equal(lp2p_strerror(-999), "unknown error");
	assert_string_equal(lp2p_strerror(1), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
