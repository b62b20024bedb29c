/* Unit tests of model/cursor: pagination cursors (encoding, round trips,
 * refusal of cursors the API never returned) and page size bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "model/store/cursor.h"
#include "tests/support/certs.h"

static void
test_round_trip(void **state)
{
	static const long long seqs[] = {0, 1, 42, 999999, 1000000000000LL, LLONG_MAX};
	char c[CURSOR_MAX];
	long long back;
	struct edgeca_msg msg;

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		cursor_encode(seqs[i], c);
		assert_true(strlen(c) > 0 && strlen(c) < CURSOR_MAX);
		assert_int_equal(strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                           "0123456789-_"), strlen(c)); /* URL-safe, no padding */
		back = -1;
		assert_int_equal(cursor_decode(c, &back, &msg), EDGECA_OK);
		assert_true(back == seqs[i]);
	}
	/* base64url("v1:42") without padding, computed independently. */
	cursor_encode(42, c);
	assert_string_equal(c, "djE6NDI");
	back = -1;
	assert_int_equal(cursor_decode(NULL, &back, &msg), EDGECA_OK);
	assert_int_equal(back, 0);
	back = -1;
	assert_int_equal(cursor_decode("", &back, &msg), EDGECA_OK);
	assert_int_equal(back, 0);
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {
		"!!!", "djE6NDI=", /* padded */
		"djI6NDI",         /* v2:42 */
		"djE6",            /* v1: */
		"djE6LTU",         /* v1:-5 */
		"djE6NHg",         /* v1:4x */
		"djE6IDQ",         /* "v1: 4" */
		"djE6KzU",         /* v1:+5 */
		"djE6NDI ", "x", "dj+6NDI", "NDI", /* "42" without the version */
		"djE6NDIdjE6NDIdjE6NDIdjE6NDIdjE6NDIdjE6NDIdjE6NDIdjE6NDIdjE6NDIdjE6NDI",
	};
	struct edgeca_msg msg;
	long long seq;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		seq = 7;
		edgeca_msg_clear(&msg);
		if (cursor_decode(bad[i], &seq, &msg) != EDGECA_ERR_MALFORMED)
			fail_msg("cursor_decode accepted \"%s\"", bad[i]);
		assert_string_equal(msg.type, "invalid-cursor");
	}
}

/* A cursor whose number overflows is refused, not read as LLONG_MAX. */
static void
test_cursor_overflow_refused(void **state)
{
	struct edgeca_msg msg;
	long long seq = 7;

	assert_int_equal(cursor_decode("djE6OTk5OTk5OTk5OTk5OTk5OTk5OTk", &seq, &msg),
	                 EDGECA_ERR_MALFORMED);
}

static void
test_page_limit(void **state)
{
	struct edgeca_msg msg;
	long out = 0;

	assert_int_equal(page_limit(-1, &out, &msg), EDGECA_OK);
	assert_int_equal(out, 100);
	out = 0;
	assert_int_equal(page_limit(LONG_MIN, &out, &msg), EDGECA_OK);
	assert_int_equal(out, 100);
	assert_int_equal(page_limit(1, &out, &msg), EDGECA_OK);
	assert_int_equal(out, 1);
	assert_int_equal(page_limit(1000, &out, &msg), EDGECA_OK);
	assert_int_equal(out, 1000);
	assert_int_equal(page_limit(0, &out, &msg), EDGECA_ERR_MALFORMED);
	assert_string_equal(msg.type, "invalid-parameter");
	assert_int_equal(page_limit(1001, &out, &msg), EDGECA_ERR_MALFORMED);
	assert_int_equal(page_limit(LONG_MAX, &out, &msg), EDGECA_ERR_MALFORMED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_cursor_overflow_refused),
		cmocka_unit_test(test_page_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
