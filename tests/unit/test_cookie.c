/* Unit tests of the Cookie header parsing behind the portal's session
 * cookie (api/rest/cookie.h): several cookies, quoting, blanks,
 * duplicates, look-alike names and malformed values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/rest/cookie.h"

static void
expect_cookie(const char *header, const char *want)
{
	char out[64];

	if (api_cookie_get(header, "edgeca_session", out, sizeof(out)) != 1)
		fail_msg("Cookie: %s: edgeca_session not found", header);
	assert_string_equal(out, want);
}

static void
expect_cookie_result(const char *header, int want)
{
	char out[64] = "untouched";

	assert_int_equal(api_cookie_get(header, "edgeca_session", out, sizeof(out)), want);
	assert_string_equal(out, "");
}

static void
test_finds_among_several(void **state)
{
	(void)state;
	expect_cookie("edgeca_session=abc", "abc");
	expect_cookie("theme=dark; edgeca_session=abc; lang=en", "abc");
	expect_cookie("theme=dark;edgeca_session=abc", "abc");
	expect_cookie("  edgeca_session=abc  ", "abc");
	expect_cookie("a=1; edgeca_session=x-_Y9; b=\"q\"", "x-_Y9");
}

static void
test_quoted_value(void **state)
{
	(void)state;
	expect_cookie("edgeca_session=\"abc\"", "abc");
	expect_cookie("x=1; edgeca_session=\"abc\"; y=2", "abc");
	expect_cookie_result("edgeca_session=\"\"", -1);
	expect_cookie_result("edgeca_session=\"a b\"", -1);
}

static void
test_absent_and_look_alikes(void **state)
{
	(void)state;
	expect_cookie_result(NULL, 0);
	expect_cookie_result("", 0);
	expect_cookie_result("theme=dark", 0);
	expect_cookie_result("xedgeca_session=abc; edgeca_session_old=def", 0);
	expect_cookie_result("edgeca_session", 0);
	expect_cookie_result("EDGECA_SESSION=abc", 0);
	expect_cookie("edgeca_sessionx=zzz; edgeca_session=abc", "abc");
}

static void
test_duplicates(void **state)
{
	(void)state;
	/* the same value twice is one cookie; two values are ambiguous */
	expect_cookie("edgeca_session=abc; edgeca_session=abc", "abc");
	expect_cookie_result("edgeca_session=abc; edgeca_session=def", -1);
	expect_cookie_result("edgeca_session=abc; x=1; edgeca_session=\"def\"", -1);
}

static void
test_malformed_or_too_long(void **state)
{
	char out[8];
	char big[400];

	(void)state;
	expect_cookie_result("edgeca_session=", -1);
	expect_cookie_result("edgeca_session=a\\b", -1);
	expect_cookie_result("edgeca_session=a,b", -1);
	expect_cookie_result("edgeca_session=\"abc", -1);
	assert_int_equal(api_cookie_get("edgeca_session=1234567", "edgeca_session", out,
	                                 sizeof(out)),
	                 1);
	assert_string_equal(out, "1234567");
	assert_int_equal(api_cookie_get("edgeca_session=12345678", "edgeca_session", out,
	                                 sizeof(out)),
	                 -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "edgeca_session=", 15);
	expect_cookie_result(big, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_among_several),
		cmocka_unit_test(test_quoted_value),
		cmocka_unit_test(test_absent_and_look_alikes),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_malformed_or_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
