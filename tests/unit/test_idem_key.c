/* Unit tests of api/rest/idempotency: which Idempotency-Key values are
 * keys, and what the request fingerprint tells apart (and what not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/sha.h>

#include "api/rest/idempotency.h"

static void
test_keys(void **state)
{
	char key[IDEM_KEY_MAX + 1], v[IDEM_KEY_MAX + 4];

	(void)state;
	assert_int_equal(api_idem_key_parse("8e03978e-40d5-43e8-bc93-6894a57f9324", key), 0);
	assert_string_equal(key, "8e03978e-40d5-43e8-bc93-6894a57f9324");
	assert_int_equal(api_idem_key_parse("a", key), 0);
	assert_int_equal(api_idem_key_parse("with space ~!", key), 0);
	assert_string_equal(key, "with space ~!");
	/* the structured-field string form of the draft */
	assert_int_equal(api_idem_key_parse("\"abc def\"", key), 0);
	assert_string_equal(key, "abc def");
	/* 255 characters are a key, 256 are not, quoted or not */
	memset(v, 'x', IDEM_KEY_MAX);
	v[IDEM_KEY_MAX] = '\0';
	assert_int_equal(api_idem_key_parse(v, key), 0);
	assert_int_equal(strlen(key), IDEM_KEY_MAX);
	v[IDEM_KEY_MAX] = 'x';
	v[IDEM_KEY_MAX + 1] = '\0';
	assert_int_equal(api_idem_key_parse(v, key), -1);
	assert_string_equal(key, "");
	/* quotes around 255 characters, then around 256 */
	v[0] = '"';
	v[IDEM_KEY_MAX + 1] = '"';
	v[IDEM_KEY_MAX + 2] = '\0';
	assert_int_equal(api_idem_key_parse(v, key), 0);
	assert_int_equal(strlen(key), IDEM_KEY_MAX);
	v[IDEM_KEY_MAX + 1] = 'x';
	v[IDEM_KEY_MAX + 2] = '"';
	v[IDEM_KEY_MAX + 3] = '\0';
	assert_int_equal(api_idem_key_parse(v, key), -1);
	/* empty, control characters, non-ASCII, escapes in a quoted key */
	assert_int_equal(api_idem_key_parse(NULL, key), -1);
	assert_int_equal(api_idem_key_parse("", key), -1);
	assert_int_equal(api_idem_key_parse("\"\"", key), -1);
	assert_int_equal(api_idem_key_parse("a\tb", key), -1);
	assert_int_equal(api_idem_key_parse("a\nb", key), -1);
	assert_int_equal(api_idem_key_parse("a\x7f", key), -1);
	assert_int_equal(api_idem_key_parse("cl\xc3\xa9", key), -1);
	assert_int_equal(api_idem_key_parse("\"a\\\"b\"", key), -1);
	assert_int_equal(api_idem_key_parse("\"a\"b\"", key), -1);
}

static void
fp(const char *method, const char *path, const char *query, const char *type, const char *body,
   unsigned char out[IDEM_FINGERPRINT_LEN])
{
	assert_int_equal(api_idem_fingerprint(method, path, query, type, body,
	                                      body != NULL ? strlen(body) : 0, out),
	                 0);
}

/* The documented framing: each part as an 8-byte big-endian length and
 * its bytes, hashed with SHA-256 computed here independently. */
static void
test_fingerprint_framing(void **state)
{
	static const unsigned char framed[] =
	    "\0\0\0\0\0\0\0\x04POST"
	    "\0\0\0\0\0\0\0\x0c/api/v1/cas/"
	    "\0\0\0\0\0\0\0\x03"
	    "a=1"
	    "\0\0\0\0\0\0\0\x10"
	    "application/json"
	    "\0\0\0\0\0\0\0\x02{}";
	unsigned char want[SHA256_DIGEST_LENGTH], got[IDEM_FINGERPRINT_LEN];

	(void)state;
	SHA256(framed, sizeof(framed) - 1, want);
	fp("POST", "/api/v1/cas/", "a=1", " Application/JSON ; charset=utf-8", "{}", got);
	assert_memory_equal(got, want, sizeof(want));
}

static void
test_fingerprint_tells_apart(void **state)
{
	unsigned char base[IDEM_FINGERPRINT_LEN], other[IDEM_FINGERPRINT_LEN];

	(void)state;
	fp("POST", "/api/v1/cas", NULL, "application/json", "{\"a\":1}", base);
	/* the same request, media type parameters and case aside */
	fp("POST", "/api/v1/cas", "", "APPLICATION/JSON; charset=utf-8", "{\"a\":1}", other);
	assert_memory_equal(base, other, sizeof(base));
	fp("POST", "/api/v1/cas", NULL, "application/json", "{\"a\":2}", other);
	assert_memory_not_equal(base, other, sizeof(base));
	fp("POST", "/api/v1/tokens", NULL, "application/json", "{\"a\":1}", other);
	assert_memory_not_equal(base, other, sizeof(base));
	fp("POST", "/api/v1/cas", "x=1", "application/json", "{\"a\":1}", other);
	assert_memory_not_equal(base, other, sizeof(base));
	fp("POST", "/api/v1/cas", NULL, "application/pkcs10", "{\"a\":1}", other);
	assert_memory_not_equal(base, other, sizeof(base));
	fp("PUT", "/api/v1/cas", NULL, "application/json", "{\"a\":1}", other);
	assert_memory_not_equal(base, other, sizeof(base));
	fp("POST", "/api/v1/cas", NULL, NULL, "{\"a\":1}", other);
	assert_memory_not_equal(base, other, sizeof(base));
	/* bytes moved from one part to the next are another request */
	fp("POST", "/a", "bc", NULL, NULL, base);
	fp("POST", "/ab", "c", NULL, NULL, other);
	assert_memory_not_equal(base, other, sizeof(base));
	fp("POST", "/a", NULL, "b", "", base);
	fp("POST", "/a", NULL, NULL, "b", other);
	assert_memory_not_equal(base, other, sizeof(base));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_fingerprint_framing),
		cmocka_unit_test(test_fingerprint_tells_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
