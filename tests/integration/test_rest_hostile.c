/* Bad input over the REST API: malformed, oversized, mistyped and
 * misdirected requests each get a precise 4xx problem, and the server keeps
 * serving, also with more connections open than select() could handle. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char ca_id[64];

static const struct fixture fx = {
	.in = &in,
	.name = "rest_hostile",
	.ca_json = "{\"common_name\": \"Hostile Root\", \"issuance\": "
	           "{\"template\": \"client\"}}",
	.ca_id = ca_id,
};

/* The server still answers and still issues. */
static void
assert_still_serving(void)
{
	char path[128], *csr = make_csr("EC-P256", "still-serving", NULL, NULL);
	struct http_response r;

	http_expect(200, NULL, http_get(&in, "/readyz", NULL, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	http_expect(201, NULL, http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                            strlen(csr), &r), &r);
	free(csr);
}

static void
test_malformed_json(void **state)
{
	const char *cases[][2] = {
		{"{\"common_name\": ", "malformed-json"},
		{"[1, 2]", "malformed-json"},
		{"\"just a string\"", "malformed-json"},
		{"{\"common_name\": \"a\", \"common_name\": \"b\"}", "malformed-json"},
		{"{\"common_name\": \"\xff\xfe\"}", "malformed-json"},
		{"{\"common_name\": \"x\", \"bogus\": 1}", "unknown-field"},
		{"{\"common_name\": \"x\", \"lifecycle\": {\"bogus\": 1}}", "unknown-field"},
		{"{\"common_name\": 42}", "invalid-field-type"},
		{"{\"common_name\": \"x\", \"validity_days\": \"10\"}", "invalid-field-type"},
		{"{\"common_name\": \"x\", \"validity_days\": 1.5}", "invalid-field-type"},
		{"{\"common_name\": \"x\", \"crl\": {\"enabled\": \"yes\"}}", "invalid-field-type"},
		{"{\"common_name\": \"x\", \"lifecycle\": []}", "invalid-field-type"},
		{"{\"common_name\": \"x\", \"not_after\": \"next year\"}", "invalid-field-type"},
	};
	struct http_response r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long st = http_post_json(&in, "/api/v1/cas", in.admin_token, cases[i][0], &r);
		if (st != 400 || strcmp(http_problem_type(&r), cases[i][1]) != 0)
			fail_msg("case %zu (%s): expected 400 %s, got %ld %s", i, cases[i][0],
			         cases[i][1], st, http_problem_type(&r));
		http_response_free(&r);
	}
	/* the unknown member is named */
	assert_int_equal(http_post_json(&in, "/api/v1/cas", in.admin_token,
	                                "{\"common_name\": \"x\", \"crl\": {\"enable\": true}}", &r),
	                 400);
	assert_non_null(strstr(http_json_str(&r, "detail"), "crl.enable"));
	http_response_free(&r);
	assert_still_serving();
}

static void
test_invalid_ca_requests(void **state)
{
	const char *cases[][2] = {
		{"{}", "missing-field"},
		{"{\"common_name\": \"\"}", "invalid-field"},
		{"{\"common_name\": \"x\", \"kind\": \"intermediate\"}", "invalid-field"},
		{"{\"common_name\": \"x\", \"key_algorithm\": \"RSA-1024\"}", "invalid-field"},
		{"{\"common_name\": \"x\", \"country\": \"Germany\"}", "invalid-field"},
		{"{\"common_name\": \"x\", \"validity_days\": 0}", "invalid-field"},
		{"{\"common_name\": \"x\", \"validity_days\": 10, \"not_after\": "
		 "\"2040-01-01T00:00:00Z\"}", "invalid-field"},
		{"{\"common_name\": \"x\", \"not_after\": \"2001-01-01T00:00:00Z\"}", "invalid-field"},
		{"{\"common_name\": \"x\", \"lifecycle\": {\"action\": \"auto_renew\"}}",
		 "root-auto-renew"},
		{"{\"common_name\": \"x\", \"lifecycle\": {\"notification_emails\": [\"no-at\"]}}",
		 "invalid-field"},
		{"{\"common_name\": \"x\", \"crl\": {\"validity_days\": 1, \"overlap_hours\": 24}}",
		 "invalid-field"},
		{"{\"common_name\": \"x\", \"crl\": {\"distribution_point\": \"ftp://x/y.crl\"}}",
		 "invalid-field"},
		{"{\"common_name\": \"x\", \"issuance\": {\"template\": \"tls_server\"}}",
		 "invalid-field"},
		{"{\"common_name\": \"x\", \"issuance\": {\"template\": \"client\", "
		 "\"allowed_templates\": [\"ssl\"]}}", "invalid-field"},
		{"{\"common_name\": \"x\", \"path_length\": 0}", "invalid-field"},
	};
	struct http_response r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long st = http_post_json(&in, "/api/v1/cas", in.admin_token, cases[i][0], &r);
		if (st != 422 || strcmp(http_problem_type(&r), cases[i][1]) != 0)
			fail_msg("case %zu (%s): expected 422 %s, got %ld %s %s", i, cases[i][0],
			         cases[i][1], st, http_problem_type(&r), http_json_str(&r, "detail"));
		http_response_free(&r);
	}
}

static void
test_media_types_and_sizes(void **state)
{
	char path[128], *big = malloc(200000);
	const char *chunked[] = {"Transfer-Encoding: chunked", NULL};
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	http_expect(415, "unsupported-media-type",
	       http_call(&in, "POST", "/api/v1/cas", in.admin_token, "text/plain", "{}", 2, &r), &r);
	http_expect(415, "unsupported-media-type",
	       http_call(&in, "POST", "/api/v1/cas", in.admin_token, NULL, "{}", 2, &r), &r);
	http_expect(415, "unsupported-media-type",
	       http_call(&in, "POST", path, in.admin_token, "application/x-www-form-urlencoded",
	                 "csr=abc", 7, &r), &r);
	/* bodies over the limit: with a Content-Length and chunked */
	memset(big, '{', 200000);
	http_expect(413, "payload-too-large",
	       http_call(&in, "POST", "/api/v1/cas", in.admin_token, "application/json", big,
	                 200000, &r), &r);
	http_expect(413, "payload-too-large",
	       http_call_h(&in, "POST", path, in.admin_token, "application/pkcs10", big, 200000,
	                   chunked, &r), &r);
	/* a JSON CSR that is not a CSR */
	http_expect(400, "csr-malformed", http_post_json(&in, path, in.admin_token,
	                                            "{\"csr\": \"hello\"}", &r), &r);
	http_expect(422, "missing-field", http_post_json(&in, path, in.admin_token, "{}", &r), &r);
	free(big);
	assert_still_serving();
}

static void
test_not_found_and_methods(void **state)
{
	struct http_response r;

	http_expect(404, "ca-not-found", http_get(&in, "/api/v1/cas/00000000-0000-0000-0000-000000000000",
	                                     in.admin_token, &r), &r);
	http_expect(404, "ca-not-found", http_get(&in, "/api/v1/cas/not-a-uuid", in.admin_token, &r), &r);
	http_expect(404, "ca-not-found",
	       http_get(&in, "/api/v1/cas/00000000-0000-0000-0000-000000000000/certificates",
	                in.admin_token, &r), &r);
	http_expect(404, "not-found", http_get(&in, "/api/v2/cas", in.admin_token, &r), &r);
	http_expect(404, "not-found", http_get(&in, "/", NULL, &r), &r);
	assert_int_equal(http_call(&in, "DELETE", "/api/v1/cas", in.admin_token, NULL, NULL, 0, &r),
	                 405);
	assert_string_equal(http_header(&r, "allow"), "POST, GET, HEAD");
	http_expect(405, "method-not-allowed", r.status, &r);
	assert_int_equal(http_call(&in, "PUT", "/healthz", NULL, NULL, NULL, 0, &r), 405);
	assert_string_equal(http_header(&r, "allow"), "GET, HEAD");
	http_response_free(&r);
	/* HEAD answers as GET does, without a body */
	assert_int_equal(http_call(&in, "HEAD", "/api/v1/cas", in.admin_token, NULL, NULL, 0, &r),
	                 200);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(r.content_type, "application/json");
	http_response_free(&r);
	assert_int_equal(http_call(&in, "HEAD", "/api/v1/cas", NULL, NULL, NULL, 0, &r), 401);
	assert_string_equal(r.content_type, "application/problem+json");
	assert_int_equal(r.body_len, 0);
	http_response_free(&r);
}

static void
test_parameters(void **state)
{
	char path[256], *csr = make_csr("EC-P256", "param-device", NULL, NULL), *text;
	struct http_response r;
	json_t *j;

	/* query values must be UTF-8 text; a bad one is refused, not dropped */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?common_name=%%FF", ca_id);
	http_expect(400, "invalid-parameter", http_get(&in, path, in.admin_token, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=%%C3%%28", ca_id);
	http_expect(400, "invalid-parameter", http_get(&in, path, in.admin_token, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?common_name=a%%01b", ca_id);
	http_expect(400, "invalid-parameter", http_get(&in, path, in.admin_token, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?limit=-1", ca_id);
	http_expect(400, "invalid-parameter", http_get(&in, path, in.admin_token, &r), &r);
	/* with a JSON body, options in the query would be ignored: refused */
	j = json_pack("{s:s}", "csr", csr);
	text = json_dumps(j, 0);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?validity_days=5", ca_id);
	http_expect(400, "invalid-parameter", http_post_json(&in, path, in.admin_token, text, &r), &r);
	free(text);
	json_decref(j);
	/* -1 is a value like any other, never "not given" */
	j = json_pack("{s:s, s:i}", "csr", csr, "validity_days", -1);
	text = json_dumps(j, 0);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	http_expect(422, "invalid-field", http_post_json(&in, path, in.admin_token, text, &r), &r);
	free(text);
	json_decref(j);
	http_expect(422, "invalid-field",
	       http_post_json(&in, "/api/v1/cas", in.admin_token,
	                      "{\"common_name\": \"x\", \"validity_days\": -1}", &r), &r);
	/* the options of a raw CSR are checked too */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?validity_days=0", ca_id);
	http_expect(422, "invalid-field", http_call(&in, "POST", path, in.admin_token,
	                                       "application/pkcs10", csr, strlen(csr), &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?validity_days=ten", ca_id);
	http_expect(400, "invalid-parameter", http_call(&in, "POST", path, in.admin_token,
	                                           "application/pkcs10", csr, strlen(csr), &r), &r);
	free(csr);
	assert_still_serving();
}

static int
connect_port(unsigned port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_garbage_and_many_connections(void **state)
{
	enum { N = 1500 };
	static int fds[N];
	struct rlimit rl;
	int open_count = 0;

	/* plain text and random bytes where TLS is expected */
	for (int i = 0; i < 3; i++) {
		int fd = connect_port(in.api_port);
		const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n\x16\x03\x01\xff\xff";
		char buf[64];
		assert_true(fd >= 0);
		assert_true(write(fd, junk, sizeof(junk)) > 0);
		(void)!read(fd, buf, sizeof(buf)); /* closed or an alert; either is fine */
		close(fd);
	}
	/* more simultaneous connections than select() can watch (FD_SETSIZE) */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < N + 100) {
		rl.rlim_cur = rl.rlim_max < N + 200 ? rl.rlim_max : N + 200;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < N; i++) {
		fds[i] = connect_port(in.api_port);
		if (fds[i] >= 0)
			open_count++;
	}
	assert_true(open_count > 1100);
	assert_still_serving();
	for (int i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	assert_still_serving();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_invalid_ca_requests),
		cmocka_unit_test(test_media_types_and_sizes),
		cmocka_unit_test(test_not_found_and_methods),
		cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_garbage_and_many_connections),
	};

	return fixture_run_tests(tests, &fx);
}
