/* Structured logs: an instance with EDGECA_LOG_FORMAT=json. Every answer
 * of both listeners echoes the request id (the client's when sane, else a
 * made one), problem documents carry it, the server's log has one access
 * line per request with it, lines the model writes during a request name
 * it, every line of both processes' logs is a JSON object, and no token
 * ever appears in them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char ca_id[64];
static char requester[128];

static const struct fixture fx = {
	.in = &in,
	.name = "json_logs",
	.env = {"EDGECA_LOG_FORMAT=json", "EDGECA_LOG_LEVEL=debug"},
	.tokens = {{"requester", "json-logs-requester", requester, sizeof(requester)}},
	.ca_json = "{\"common_name\": \"Logged Root\", \"issuance\": {\"template\": \"client\"}}",
	.ca_id = ca_id,
};

/* The lines of data_dir/name, each parsed; fails the test when one is
 * not a JSON object with time, level, component and message. */
static json_t *
log_lines(const char *name)
{
	char path[256];
	json_t *all = json_array();
	char *text, *line, *save = NULL;

	snprintf(path, sizeof(path), "%s/%s", in.data_dir, name);
	text = read_file(path, NULL);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &err);
		if (j == NULL || !json_is_object(j))
			fail_msg("%s: not a JSON object (%s): %s", name, err.text, line);
		assert_true(json_is_string(json_object_get(j, "time")));
		assert_true(json_is_string(json_object_get(j, "level")));
		assert_true(json_is_string(json_object_get(j, "component")));
		assert_true(json_is_string(json_object_get(j, "message")));
		json_array_append_new(all, j);
	}
	free(text);
	return all;
}

static const char *
str(const json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	return v ? v : "";
}

/* The access line of request id, waited for: the EST listener writes it
 * once the answer is sent, which the client may see first. NULL when
 * none came within 20 s. The caller frees it. */
static json_t *
access_line(const char *id)
{
	for (int tries = 0; tries < 200; tries++) {
		json_t *all = log_lines("server.log"), *v, *found = NULL;
		size_t i;
		json_array_foreach(all, i, v) {
			if (strcmp(str(v, "message"), "access") == 0 &&
			    strcmp(str(v, "request_id"), id) == 0) {
				assert_null(found); /* one line per request */
				found = json_incref(v);
			}
		}
		json_decref(all);
		if (found != NULL)
			return found;
		sleep_ms(100);
	}
	return NULL;
}

static void
expect_access(const char *id, const char *listener, const char *method, const char *route,
              long status, const char *principal)
{
	json_t *a = access_line(id);

	if (a == NULL)
		fail_msg("no access line for request id %s", id);
	assert_string_equal(str(a, "component"), "edgeca-server");
	assert_string_equal(str(a, "level"), "info");
	assert_string_equal(str(a, "listener"), listener);
	assert_string_equal(str(a, "method"), method);
	assert_string_equal(str(a, "route"), route);
	assert_true(json_is_integer(json_object_get(a, "status")));
	assert_int_equal(json_integer_value(json_object_get(a, "status")), status);
	assert_true(json_is_number(json_object_get(a, "duration_ms")));
	assert_true(json_number_value(json_object_get(a, "duration_ms")) >= 0);
	assert_string_equal(str(a, "principal"), principal);
	json_decref(a);
}

/* A REST issuance and a revocation with the client's ids: echoed, in the
 * access lines, and on the revocation's own line with its CA and serial. */
static void
test_rest_success(void **state)
{
	const char *h_issue[] = {"X-Request-Id: rest-issue.1", NULL};
	const char *h_revoke[] = {"X-Request-Id: rest-revoke:2", NULL};
	char path[300], serial[80], *csr = make_csr("EC-P256", "logged-device", NULL, NULL);
	json_t *body = json_pack("{s:s}", "csr", csr), *all, *v;
	char *text = json_dumps(body, 0);
	struct http_response r;
	bool seen = false;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_int_equal(http_call_h(&in, "POST", path, requester, "application/json", text,
	                             strlen(text), h_issue, &r), 201);
	assert_string_equal(http_header(&r, "x-request-id"), "rest-issue.1");
	snprintf(serial, sizeof(serial), "%s", http_json_str(&r, "serial_number"));
	http_response_free(&r);
	expect_access("rest-issue.1", "api", "POST", "/api/v1/cas/:ca_id/certificates", 201,
	              "token:json-logs-requester");

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/revoke", ca_id, serial);
	assert_int_equal(http_call_h(&in, "POST", path, in.admin_token, "application/json",
	                             "{\"reason\": \"superseded\"}", 24, h_revoke, &r), 200);
	assert_string_equal(http_header(&r, "x-request-id"), "rest-revoke:2");
	http_response_free(&r);
	expect_access("rest-revoke:2", "api", "POST",
	              "/api/v1/cas/:ca_id/certificates/:serial/revoke", 200, "token:admin");
	/* the model's own line for it names the request, the CA and the serial */
	all = log_lines("server.log");
	json_array_foreach(all, i, v) {
		if (strncmp(str(v, "message"), "cert_revoke:", 12) != 0 ||
		    strcmp(str(v, "request_id"), "rest-revoke:2") != 0)
			continue;
		assert_string_equal(str(v, "ca"), ca_id);
		assert_string_equal(str(v, "serial"), serial);
		assert_string_equal(str(v, "principal"), "token:admin");
		seen = true;
	}
	assert_true(seen);
	json_decref(all);
	json_decref(body);
	free(text);
	free(csr);
}

/* Problems carry the id in their body too: a refused token, an unknown
 * route (route "other"), a method not allowed. */
static void
test_rest_problems(void **state)
{
	const char *h1[] = {"X-Request-Id: problem-1", NULL};
	const char *h2[] = {"X-Request-Id: problem-2", NULL};
	const char *h3[] = {"X-Request-Id: problem-3", NULL};
	struct http_response r;

	(void)state;
	assert_int_equal(http_call_h(&in, "GET", "/api/v1/cas", "not-a-token", NULL, NULL, 0, h1,
	                             &r), 401);
	assert_string_equal(http_header(&r, "x-request-id"), "problem-1");
	assert_string_equal(http_json_str(&r, "request_id"), "problem-1");
	http_response_free(&r);
	expect_access("problem-1", "api", "GET", "/api/v1/cas", 401, "");

	assert_int_equal(http_call_h(&in, "GET", "/nowhere/at/all", NULL, NULL, NULL, 0, h2, &r),
	                 404);
	assert_string_equal(http_header(&r, "x-request-id"), "problem-2");
	assert_string_equal(http_json_str(&r, "request_id"), "problem-2");
	http_response_free(&r);
	expect_access("problem-2", "api", "GET", "other", 404, "");

	assert_int_equal(http_call_h(&in, "DELETE", "/healthz", NULL, NULL, NULL, 0, h3, &r), 405);
	assert_string_equal(http_header(&r, "x-request-id"), "problem-3");
	assert_string_equal(http_json_str(&r, "request_id"), "problem-3");
	http_response_free(&r);
	expect_access("problem-3", "api", "DELETE", "other", 405, "");
}

/* The EST listener: its answers (also its text errors) echo the id, and
 * the access line names the route pattern, never the CA's id. */
static void
test_est(void **state)
{
	const char *h1[] = {"X-Request-Id: est-cacerts-1", NULL};
	const char *h2[] = {"X-Request-Id: est-enroll-2", "Content-Type: application/pkcs10", NULL};
	struct est_tls none = {0};
	struct http_response r;
	char path[300];

	(void)state;
	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est/cacerts", ca_id);
	assert_int_equal(est_request(&in, &none, "GET", path, h1, NULL, 0, &r), 200);
	assert_string_equal(http_header(&r, "x-request-id"), "est-cacerts-1");
	http_response_free(&r);
	expect_access("est-cacerts-1", "est", "GET", "/est/:ca_id/:location/.well-known/est/cacerts",
	              200, "");

	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est/simpleenroll", ca_id);
	assert_int_equal(est_request(&in, &none, "POST", path, h2, "MIIB", 4, &r), 401);
	assert_string_equal(http_header(&r, "x-request-id"), "est-enroll-2");
	http_response_free(&r);
	expect_access("est-enroll-2", "est", "POST",
	              "/est/:ca_id/:location/.well-known/est/simpleenroll", 401, "");
}

/* An id that is too long or holds other characters is replaced. */
static void
test_insane_ids_replaced(void **state)
{
	char longest[160], header[200];
	const char *bad[] = {"bad id", "semi;colon", "quote\"d", longest};
	struct http_response r;

	(void)state;
	memset(longest, 'a', 129);
	longest[129] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *h[] = {header, NULL};
		const char *id;
		snprintf(header, sizeof(header), "X-Request-Id: %s", bad[i]);
		assert_int_equal(http_call_h(&in, "GET", "/nowhere", NULL, NULL, NULL, 0, h, &r), 404);
		id = http_header(&r, "x-request-id");
		assert_non_null(id);
		assert_int_equal(strlen(id), 32);
		assert_int_equal(strspn(id, "0123456789abcdef"), 32);
		assert_string_equal(http_json_str(&r, "request_id"), id);
		expect_access(id, "api", "GET", "other", 404, "");
		http_response_free(&r);
	}
	/* none at all: made too, a new one each time */
	{
		char first[40];
		assert_int_equal(http_get(&in, "/healthz", NULL, &r), 200);
		snprintf(first, sizeof(first), "%s", http_header(&r, "x-request-id"));
		http_response_free(&r);
		assert_int_equal(strlen(first), 32);
		assert_int_equal(http_get(&in, "/healthz", NULL, &r), 200);
		assert_string_not_equal(http_header(&r, "x-request-id"), first);
		http_response_free(&r);
		expect_access(first, "api", "GET", "/healthz", 200, "");
	}
}

/* Every line of both logs is JSON; the signer's name their component;
 * no token is in either. */
static void
test_logs_whole(void **state)
{
	const char *files[] = {"server.log", "signer.log"};
	const char *components[] = {"edgeca-server", "edgeca-signer"};

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		char path[256], *text;
		json_t *all = log_lines(files[f]), *v;
		size_t i;
		assert_true(json_array_size(all) > 0);
		json_array_foreach(all, i, v)
			assert_string_equal(str(v, "component"), components[f]);
		json_decref(all);
		snprintf(path, sizeof(path), "%s/%s", in.data_dir, files[f]);
		text = read_file(path, NULL);
		assert_non_null(text);
		assert_null(strstr(text, requester));
		assert_null(strstr(text, in.admin_token));
		free(text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rest_success),
		cmocka_unit_test(test_rest_problems),
		cmocka_unit_test(test_est),
		cmocka_unit_test(test_insane_ids_replaced),
		cmocka_unit_test(test_logs_whole),
	};

	return fixture_run_tests(tests, &fx);
}
