/* Unit tests of the entity tags of api/rest/etag.c: the tag of a JSON
 * representation (canonical: member order does not matter, content
 * does) and the If-Match / If-None-Match field rules of RFC 9110 (lists,
 * "*", weak tags, what is malformed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/listen/status.h"
#include "api/rest/etag.h"

#define TAG "\"0123456789abcdef0123456789abcdef\""

static void
test_tag_of_json(void **state)
{
	char a[API_ETAG_BYTES], b[API_ETAG_BYTES], c[API_ETAG_BYTES];
	json_t *ja = json_pack("{s:s, s:i, s:[s]}", "id", "x", "n", 1, "l", "p");
	json_t *jb = json_loads("{\"l\": [\"p\"], \"n\": 1, \"id\": \"x\"}", 0, NULL);
	json_t *jc = json_pack("{s:s, s:i, s:[s]}", "id", "x", "n", 2, "l", "p");

	(void)state;
	assert_int_equal(api_etag_json(ja, a), 0);
	assert_int_equal(api_etag_json(jb, b), 0);
	assert_int_equal(api_etag_json(jc, c), 0);
	assert_int_equal(strlen(a), API_ETAG_BYTES - 1);
	assert_int_equal(a[0], '"');
	assert_int_equal(a[API_ETAG_BYTES - 2], '"');
	assert_int_equal(strspn(a + 1, "0123456789abcdef"), API_ETAG_BYTES - 3);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(api_etag_json(NULL, c), -1);
	assert_string_equal(c, "");
	json_decref(ja);
	json_decref(jb);
	json_decref(jc);
}

static void
test_strong_comparison(void **state)
{
	(void)state;
	assert_int_equal(api_etag_match(TAG, TAG, false), API_ETAG_MATCH);
	assert_int_equal(api_etag_match(" " TAG "\t", TAG, false), API_ETAG_MATCH);
	assert_int_equal(api_etag_match("\"other\", " TAG, TAG, false), API_ETAG_MATCH);
	assert_int_equal(api_etag_match("\"a\",," TAG ",", TAG, false), API_ETAG_MATCH);
	assert_int_equal(api_etag_match("\"other\"", TAG, false), API_ETAG_NO_MATCH);
	assert_int_equal(api_etag_match("\"\"", TAG, false), API_ETAG_NO_MATCH);
	/* If-Match compares strongly: a weak tag never matches */
	assert_int_equal(api_etag_match("W/" TAG, TAG, false), API_ETAG_NO_MATCH);
	assert_int_equal(api_etag_match("*", TAG, false), API_ETAG_MATCH);
	assert_int_equal(api_etag_match(" * ", TAG, false), API_ETAG_MATCH);
	/* a prefix or a longer tag is another tag */
	assert_int_equal(api_etag_match("\"0123456789abcdef\"", TAG, false), API_ETAG_NO_MATCH);
	assert_int_equal(api_etag_match("\"0123456789abcdef0123456789abcdef0\"", TAG, false),
	                 API_ETAG_NO_MATCH);
}

static void
test_weak_comparison(void **state)
{
	(void)state;
	assert_int_equal(api_etag_match("W/" TAG, TAG, true), API_ETAG_MATCH);
	assert_int_equal(api_etag_match("W/\"x\", " TAG, TAG, true), API_ETAG_MATCH);
	assert_int_equal(api_etag_match("W/\"x\"", TAG, true), API_ETAG_NO_MATCH);
	assert_int_equal(api_etag_match("*", TAG, true), API_ETAG_MATCH);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"", " ", ",", "abc", TAG " x", "\"unterminated", "'x'", "w/" TAG, "W/", "W/x",
		"*, " TAG, TAG ", *", "**", "\"a\" \"b\"", "\"a\"b", "\"with space\"",
		"\"quote\"inside\"", "\"ctl\x01\"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(api_etag_match(bad[i], TAG, false), API_ETAG_MALFORMED);
		assert_int_equal(api_etag_match(bad[i], TAG, true), API_ETAG_MALFORMED);
	}
	assert_int_equal(api_etag_match(NULL, TAG, false), API_ETAG_MALFORMED);
	/* obs-text (bytes of 0x80 and above) is allowed in a tag */
	assert_int_equal(api_etag_match("\"caf\xc3\xa9\"", TAG, false), API_ETAG_NO_MATCH);
}

/* a failed If-Match is a 412 with its own problem type */
static void
test_precondition_status(void **state)
{
	(void)state;
	assert_int_equal(api_status_of(EDGECA_ERR_PRECONDITION), 412);
	assert_string_equal(edgeca_err_slug(EDGECA_ERR_PRECONDITION), "precondition-failed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_of_json),
		cmocka_unit_test(test_strong_comparison),
		cmocka_unit_test(test_weak_comparison),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_precondition_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
