/* Unit tests of common/log's JSON lines (every line parses, strings are
 * escaped and cut whole, ca= and serial= become fields, the request
 * context is carried) and of the request ids of api/listen/request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api/listen/request.h"
#include "common/log.h"

#define STAMP "2026-12-07T10:00:00.123Z"

/* The line parsed; fails the test unless it is one JSON object ending in
 * a newline and nothing else. */
static json_t *
parse_line(const char *line, size_t len)
{
	json_error_t err;
	json_t *j;

	assert_int_equal(strlen(line), len);
	assert_true(len >= 2);
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1));
	j = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		fail_msg("not JSON (%s): %s", err.text, line);
	assert_true(json_is_object(j));
	return j;
}

static const char *
member(const json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	if (v == NULL)
		fail_msg("no string member %s", key);
	return v;
}

static void
test_basic_members(void **state)
{
	char line[512];
	size_t n;
	json_t *j;

	(void)state;
	log_context_clear();
	n = log_json_line(line, sizeof(line), STAMP, LOG_LEVEL_WARN, "edgeca-server",
	                  "ca_create: something happened", NULL, 0);
	j = parse_line(line, n);
	assert_string_equal(member(j, "time"), STAMP);
	assert_string_equal(member(j, "level"), "warn");
	assert_string_equal(member(j, "component"), "edgeca-server");
	assert_string_equal(member(j, "message"), "ca_create: something happened");
	assert_int_equal(json_object_size(j), 4); /* no request, no ca, no serial */
	json_decref(j);
}

static void
test_escaping(void **state)
{
	/* quotes, backslash, controls, DEL, valid UTF-8 (2, 3, 4 bytes) and
	 * invalid: a lone continuation, an overlong '/', a surrogate, a
	 * sequence cut short, 0xff and past U+10FFFF */
	const char *msg = "q\"b\\n\nt\tc\x01" "d\x7f" "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	                  "|\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xff|\xf4\x90\x80\x80|";
	const char *want = "q\"b\\n\nt\tc\x01" "d\x7f" "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	                   "|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
	                   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
	                   "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|";
	struct log_field f[] = {{"principal", "token:a\"b\x02", false}};
	char line[1024];
	size_t n;
	json_t *j;

	(void)state;
	log_context_clear();
	n = log_json_line(line, sizeof(line), STAMP, LOG_LEVEL_INFO, "edgeca-signer", msg, f, 1);
	/* raw control characters never reach the line */
	for (size_t i = 0; i < n - 1; i++)
		assert_true((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] != 0x7f);
	j = parse_line(line, n);
	assert_string_equal(member(j, "message"), want);
	assert_string_equal(member(j, "principal"), "token:a\"b\x02");
	json_decref(j);
}

/* Whatever the room, the line is a closed object, and a cut string ends
 * on a whole character. */
static void
test_cut_to_fit(void **state)
{
	char msg[600], line[400];
	struct log_field f[] = {
		{"request_id", "abc", false},
		{"status", "201", true},
		{"route", "/api/v1/cas/:ca_id/certificates", false},
	};

	(void)state;
	log_context_clear();
	for (size_t i = 0; i + 4 < sizeof(msg); i += 4)
		memcpy(msg + i, i % 8 ? "\xe2\x82\xac\"" : "\xf0\x9f\x98\x80", 4);
	msg[sizeof(msg) - 4] = '\0';
	for (size_t cap = 128; cap <= sizeof(line); cap++) {
		size_t n = log_json_line(line, cap, STAMP, LOG_LEVEL_ERROR, "edgeca-server", msg, f,
		                         3);
		json_t *j;
		assert_true(n < cap);
		j = parse_line(line, n);
		assert_true(strlen(member(j, "message")) < strlen(msg));
		json_decref(j);
	}
}

static void
test_fields_and_numbers(void **state)
{
	struct log_field f[] = {
		{"status", "201", true},
		{"duration_ms", "12.345", true},
		{"listener", "api", false},
		{"principal", NULL, false}, /* left out */
		{"odd", "12; drop", true},  /* not a number: a string */
	};
	char line[512];
	size_t n;
	json_t *j;

	(void)state;
	log_context_clear();
	n = log_json_line(line, sizeof(line), STAMP, LOG_LEVEL_INFO, "edgeca-server", "access", f,
	                  5);
	j = parse_line(line, n);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 201);
	assert_true(json_real_value(json_object_get(j, "duration_ms")) > 12.3);
	assert_string_equal(member(j, "listener"), "api");
	assert_string_equal(member(j, "odd"), "12; drop");
	assert_null(json_object_get(j, "principal"));
	json_decref(j);
}

static void
test_ca_and_serial_lifted(void **state)
{
	char line[512];
	size_t n;
	json_t *j;

	(void)state;
	log_context_clear();
	n = log_json_line(line, sizeof(line), STAMP, LOG_LEVEL_INFO, "edgeca-server",
	                  "cert_revoke: ca=2b1f5876-73f0 serial=6a6ad39e, by token:x", NULL, 0);
	j = parse_line(line, n);
	assert_string_equal(member(j, "ca"), "2b1f5876-73f0");
	assert_string_equal(member(j, "serial"), "6a6ad39e");
	json_decref(j);
	/* only whole keys: "subca=" and "caption" name no CA */
	n = log_json_line(line, sizeof(line), STAMP, LOG_LEVEL_INFO, "edgeca-server",
	                  "x: subca=1 caption=2 serials=3", NULL, 0);
	j = parse_line(line, n);
	assert_null(json_object_get(j, "ca"));
	assert_null(json_object_get(j, "serial"));
	json_decref(j);
}

static void
test_request_context(void **state)
{
	struct log_field f[] = {{"request_id", "explicit", false}};
	char line[512];
	size_t n;
	json_t *j;

	(void)state;
	log_context_set("req-1");
	log_context_principal("token:ci-pipeline");
	n = log_json_line(line, sizeof(line), STAMP, LOG_LEVEL_INFO, "edgeca-server", "m", NULL, 0);
	j = parse_line(line, n);
	assert_string_equal(member(j, "request_id"), "req-1");
	assert_string_equal(member(j, "principal"), "token:ci-pipeline");
	json_decref(j);
	/* an explicit field wins, once */
	n = log_json_line(line, sizeof(line), STAMP, LOG_LEVEL_INFO, "edgeca-server", "m", f, 1);
	j = parse_line(line, n);
	assert_string_equal(member(j, "request_id"), "explicit");
	json_decref(j);
	log_context_clear();
	n = log_json_line(line, sizeof(line), STAMP, LOG_LEVEL_INFO, "edgeca-server", "m", NULL, 0);
	j = parse_line(line, n);
	assert_null(json_object_get(j, "request_id"));
	assert_null(json_object_get(j, "principal"));
	json_decref(j);
}

static void
test_format_parse(void **state)
{
	enum log_format f = LOG_FORMAT_TEXT;

	(void)state;
	assert_int_equal(log_format_parse("json", &f), 0);
	assert_int_equal(f, LOG_FORMAT_JSON);
	assert_int_equal(log_format_parse("text", &f), 0);
	assert_int_equal(f, LOG_FORMAT_TEXT);
	assert_int_equal(log_format_parse("JSON", &f), -1);
	assert_int_equal(log_format_parse("", &f), -1);
}

static void
test_request_ids(void **state)
{
	char longest[LOG_REQUEST_ID_MAX + 2];
	struct listen_request a, b;

	(void)state;
	memset(longest, 'a', sizeof(longest));
	longest[LOG_REQUEST_ID_MAX] = '\0';
	assert_true(listen_request_id_sane("0f3c-A.b_c:9"));
	assert_true(listen_request_id_sane(longest));
	longest[LOG_REQUEST_ID_MAX] = 'a';
	longest[LOG_REQUEST_ID_MAX + 1] = '\0';
	assert_false(listen_request_id_sane(longest));
	assert_false(listen_request_id_sane(""));
	assert_false(listen_request_id_sane(NULL));
	assert_false(listen_request_id_sane("a b"));
	assert_false(listen_request_id_sane("a\"b"));
	assert_false(listen_request_id_sane("abc\n"));
	assert_false(listen_request_id_sane("\xc3\xa9"));

	listen_request_begin(&a, "api", "GET", "client-id-7");
	assert_string_equal(a.id, "client-id-7");
	assert_string_equal(log_context_request_id(), "client-id-7");
	log_context_principal("token:x");
	listen_request_leave(&a);
	assert_string_equal(a.principal, "token:x");
	assert_string_equal(log_context_request_id(), "");

	listen_request_begin(&a, "est", "POST", "bad id");
	listen_request_begin(&b, "est", "POST", NULL);
	listen_request_leave(&b);
	assert_int_equal(strlen(a.id), 32);
	assert_int_equal(strspn(a.id, "0123456789abcdef"), 32);
	assert_int_equal(strlen(b.id), 32);
	assert_string_not_equal(a.id, b.id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_members),   cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_cut_to_fit),      cmocka_unit_test(test_fields_and_numbers),
		cmocka_unit_test(test_ca_and_serial_lifted), cmocka_unit_test(test_request_context),
		cmocka_unit_test(test_format_parse),    cmocka_unit_test(test_request_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
