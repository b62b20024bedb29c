/* Unit tests of common/buf: growth, printf, termination (also of a buffer
 * nothing was ever appended to) and handing the bytes over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static void
test_terminate_empty(void **state)
{
	struct buf b = {0};
	char *s;

	assert_int_equal(buf_terminate(&b), 0);
	s = (char *)buf_take(&b, NULL);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void
test_grow_and_take(void **state)
{
	struct buf b = {0};
	size_t len = 0;
	char *s;

	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%04d,", i), 0);
	assert_int_equal(b.len, 5000);
	assert_int_equal(buf_append(&b, "end", 3), 0);
	s = (char *)buf_take(&b, &len);
	assert_int_equal(len, 5003);
	assert_int_equal(strlen(s), 5003); /* kept NUL-terminated */
	assert_memory_equal(s, "0000,0001,", 10);
	assert_string_equal(s + 5000, "end");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
	buf_free(&b); /* harmless on an empty buffer */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terminate_empty),
		cmocka_unit_test(test_grow_and_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
