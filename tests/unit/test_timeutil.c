/* Unit tests of common/timeutil: RFC 3339 parsing (forms, offsets, invalid
 * dates), formatting round trips and ASN.1 time conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/asn1.h>
#include <string.h>

#include "common/timeutil.h"

/* 2009-02-13T23:31:30Z is the well-known Unix time 1234567890. */
#define T_1234567890 ((time_t)1234567890)

static time_t
parse_ok(const char *s)
{
	time_t t = (time_t)-42;

	if (rfc3339_parse(s, &t) != 0)
		fail_msg("rfc3339_parse refused \"%s\"", s);
	return t;
}

static void
test_parse_valid_forms(void **state)
{
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("2000-01-01T00:00:00Z"), 946684800);
	assert_int_equal(parse_ok("2038-01-19T03:14:07Z"), 2147483647);
	assert_int_equal(parse_ok("2009-02-13T23:31:30Z"), T_1234567890);
	/* Lower-case separators and a space instead of 'T'. */
	assert_int_equal(parse_ok("2009-02-13t23:31:30z"), T_1234567890);
	assert_int_equal(parse_ok("2009-02-13 23:31:30Z"), T_1234567890);
	/* Fractions are dropped, whatever their length. */
	assert_int_equal(parse_ok("2009-02-13T23:31:30.5Z"), T_1234567890);
	assert_int_equal(parse_ok("2009-02-13T23:31:30.999999999Z"), T_1234567890);
	/* The same instant with offsets. */
	assert_int_equal(parse_ok("2009-02-14T00:31:30+01:00"), T_1234567890);
	assert_int_equal(parse_ok("2009-02-13T18:01:30-05:30"), T_1234567890);
	assert_int_equal(parse_ok("2009-02-13T23:31:30+00:00"), T_1234567890);
	assert_int_equal(parse_ok("2009-02-13T23:31:30-00:00"), T_1234567890);
	assert_int_equal(parse_ok("2009-02-14T09:16:30.25+09:45"), T_1234567890);
	/* Leap days. */
	assert_int_equal(parse_ok("2024-02-29T00:00:00Z") - parse_ok("2024-02-28T00:00:00Z"),
	                 86400);
	assert_int_equal(parse_ok("2000-02-29T12:00:00Z"), 951825600);
	/* A leap second is read as the second before it. */
	assert_int_equal(parse_ok("2016-12-31T23:59:60Z"), parse_ok("2016-12-31T23:59:59Z"));
}

static void
test_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "2009-02-13", "2009-02-13T23:31:30", "2009-02-13T23:31:30 ",
		"2009-02-13T23:31:30ZZ", "2009-02-13T23:31:30Z ", "2009-02-13T23:31Z",
		"2009-02-30T00:00:00Z", /* February 30 */
		"2023-02-29T00:00:00Z", /* not a leap year */
		"2100-02-29T00:00:00Z", /* centuries are not leap years... */
		"2009-04-31T00:00:00Z", "2009-01-32T00:00:00Z", "2009-01-00T00:00:00Z",
		"2009-13-01T00:00:00Z", "2009-00-01T00:00:00Z", /* month 13, month 0 */
		"2009-02-13T24:00:00Z", "2009-02-13T23:60:00Z", "2009-02-13T23:59:61Z",
		"1969-12-31T23:59:59Z", /* before the epoch */
		"2009-02-13X23:31:30Z", "2009/02/13T23:31:30Z", "2009-2-13T23:31:30Z",
		"2009-02-13T23:31:30.Z", "2009-02-13T23:31:30,5Z",
		"2009-02-13T23:31:30+0100", "2009-02-13T23:31:30+1:00", "2009-02-13T23:31:30+01:60",
		"2009-02-13T23:31:30+24:00", "2009-02-13T23:31:30+01:00Z", "2009-02-13T23:31:30+01",
		"+009-02-13T23:31:30Z", "2009-02-13T23:31:3aZ", "２００９-02-13T23:31:30Z",
	};
	time_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rfc3339_parse(bad[i], &t) == 0)
			fail_msg("rfc3339_parse accepted \"%s\"", bad[i]);
}

static void
test_format(void **state)
{
	char out[RFC3339_LEN];
	static const time_t samples[] = {0, 86399, 951825600, T_1234567890, 2147483647,
	                                 4102444800 /* 2100-01-01 */};

	rfc3339_format(T_1234567890, out);
	assert_string_equal(out, "2009-02-13T23:31:30Z");
	rfc3339_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		rfc3339_format(samples[i], out);
		assert_int_equal(strlen(out), 20);
		assert_int_equal(parse_ok(out), samples[i]);
	}
}

static void
test_asn1_time(void **state)
{
	/* UTCTime before 2050, GeneralizedTime from 2050 on. */
	static const time_t samples[] = {T_1234567890, 2524608000 /* 2050-01-01 */,
	                                 4102444800};
	time_t back = 0;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		ASN1_TIME *a = ASN1_TIME_set(NULL, samples[i]);
		assert_non_null(a);
		assert_int_equal(asn1_time_to_time_t(a, &back), 0);
		assert_int_equal(back, samples[i]);
		ASN1_TIME_free(a);
	}
	assert_int_equal(asn1_time_to_time_t(NULL, &back), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid_forms),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_asn1_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
