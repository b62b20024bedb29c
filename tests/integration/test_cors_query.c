/* The API listener's request checks for generated clients and portals:
 * unknown and repeated query parameters answer 400 naming them (path
 * parameters are not query parameters; the public /ca/ and /crl/ files
 * ignore queries); CORS only when EDGECA_CORS_ORIGINS lists the page's
 * origin, preflights answered, credentials never allowed; Vary: Accept on
 * answers negotiated by Accept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define PORTAL "https://portal.example.com"
#define DEV_PORTAL "http://localhost:3000"

static struct instance in;
static char ca_id[64], serial[80];

static void
fixture_ready(void)
{
	struct http_response r = http_issue(&in, ca_id, NULL, "cors-device");

	snprintf(serial, sizeof(serial), "%s", http_json_str(&r, "serial_number"));
	http_response_free(&r);
}

static const struct fixture fx = {
	.in = &in,
	.name = "cors_query",
	.ca_json = "{\"common_name\": \"CORS Root\", \"issuance\": {\"template\": \"client\"}}",
	.ca_id = ca_id,
	.ready = fixture_ready,
};

/* fmt with its first %s as the CA's id, its second as the certificate's
 * serial, %% as %. */
static void
expand(char *path, size_t len, const char *fmt)
{
	const char *args[] = {ca_id, serial};
	size_t n = 0, k = 0;

	for (const char *p = fmt; *p != '\0' && n + 1 < len; p++) {
		if (p[0] == '%' && p[1] == 's' && k < 2) {
			n += (size_t)snprintf(path + n, len - n, "%s", args[k++]);
			p++;
			continue;
		}
		if (p[0] == '%' && p[1] == '%')
			p++;
		path[n++] = *p;
	}
	path[n < len ? n : len - 1] = '\0';
}

/* GET path (fmt as expand says) as the admin with the extra headers. */
static long
get_h(struct http_response *r, const char *const *headers, const char *fmt)
{
	char path[512];

	expand(path, sizeof(path), fmt);
	return http_call_h(&in, "GET", path, in.admin_token, NULL, NULL, 0, headers, r);
}

/* Expects 400 invalid-parameter whose detail holds want. */
static void
refused(const char *method, const char *fmt, const char *want)
{
	struct http_response r;
	char path[512];
	const char *detail;
	long got;

	expand(path, sizeof(path), fmt);
	got = http_call(&in, method, path, in.admin_token,
	                strcmp(method, "GET") == 0 ? NULL : "application/json",
	                strcmp(method, "GET") == 0 ? NULL : "{}", strcmp(method, "GET") == 0 ? 0 : 2,
	                &r);
	detail = r.json != NULL ? json_string_value(json_object_get(r.json, "detail")) : NULL;
	if (got != 400 || detail == NULL || strstr(detail, want) == NULL)
		fail_msg("%s %s: want 400 naming %s, got %ld %s", method, path, want, got,
		         detail != NULL ? detail : "");
	http_expect(400, "invalid-parameter", got, &r);
}

static void
expect_status(long want, const char *fmt)
{
	struct http_response r;

	if (get_h(&r, NULL, fmt) != want)
		fail_msg("GET %s: want %ld, got %ld", fmt, want, r.status);
	http_response_free(&r);
}

static void
test_unknown_query_parameters(void **state)
{
	struct http_response r;
	char path[256];
	long plain;

	(void)state;
	refused("GET", "/api/v1/cas/%s/certificates?comon_name=cors-device", "comon_name");
	refused("GET", "/api/v1/cas/%s/certificates?common_name=x&sort=serial", "sort");
	refused("GET", "/api/v1/cas?limt=2", "limt");
	refused("GET", "/api/v1/tokens?verbose", "verbose");
	refused("GET", "/api/v1/cas/%s/certificate?format=der", "format");
	refused("GET", "/api/v1/cas/%s/certificates/%s?download=1", "download");
	refused("GET", "/api/v1/audit?objekt=ca", "objekt");
	refused("GET", "/healthz?probe=1", "probe");
	refused("POST", "/api/v1/tokens?dry_run=true", "dry_run");
	/* a raw CSR's options are those of its operation: a certificate has
	 * no path length, a subordinate CA no template */
	refused("POST", "/api/v1/cas/%s/certificates?path_length=1", "path_length");
	refused("POST", "/api/v1/cas/%s/subordinate-certificates?template=client", "template");
	/* path parameters are not query parameters */
	refused("GET", "/api/v1/cas/%s?ca_id=other", "ca_id");
	refused("GET", "/api/v1/cas/%s/certificates/%s?serial=1", "serial");
	/* a parameter given twice would be read as one of its values */
	refused("GET", "/api/v1/cas?limit=1&limit=2", "limit");
	refused("GET", "/api/v1/cas/%s/certificates?common_name=a&status=valid&common_name=b",
	        "common_name");
	refused("GET", "/api/v1/cas/%s/certificates?limit=1&li%%6Dit=2", "limit");

	/* the parameters an operation takes still work, encoded names too */
	expect_status(200, "/api/v1/cas/%s/certificates?common_name=cors-device&status=valid"
	                   "&limit=5&expires_before=2100-01-01T00:00:00Z");
	expect_status(200, "/api/v1/cas/%s/certificates?comm%%6Fn_name=cors-device");
	expect_status(200, "/api/v1/cas?limit=1&");
	expect_status(200, "/api/v1/cas/%s/crl?delta=false");
	expect_status(200, "/api/v1/audit?action=ca.create&limit=1");
	expect_status(200, "/api/v1/cas/%s");
	expect_status(200, "/api/v1/cas/%s/certificates/%s");
	assert_int_equal(get_h(&r, NULL, "/api/v1/cas/%s/certificates?common_name=cors-device"), 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	http_response_free(&r);

	/* authentication comes first: no token, no word on parameters */
	snprintf(path, sizeof(path), "/api/v1/cas?bogus=1");
	http_expect(401, NULL, http_get(&in, path, NULL, &r), &r);

	/* public files ignore queries (cache-busting relying parties) */
	snprintf(path, sizeof(path), "/crl/%s/default.crl", ca_id);
	plain = http_get(&in, path, NULL, &r);
	http_response_free(&r);
	assert_int_not_equal(plain, 400);
	snprintf(path, sizeof(path), "/crl/%s/default.crl?nocache=123&nocache=4", ca_id);
	assert_int_equal(http_get(&in, path, NULL, &r), plain);
	http_response_free(&r);
	/* and so does the plain-HTTP PKI listener */
	plain = http_pki_call(&in, "GET", path, NULL, NULL, 0, NULL, &r);
	http_response_free(&r);
	assert_int_equal(plain, 200);
}

static bool
has_token(const char *list, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = list; p != NULL && *p != '\0'; p = strchr(p, ',')) {
		p += strspn(p, ", ");
		if (strncasecmp(p, token, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
	}
	return false;
}

/* Vary: Accept on every negotiated answer, also with CORS on. */
static void
check_vary_accept(const char *const *headers)
{
	static const char *const negotiated[] = {
		"/api/v1/cas/%s/certificate", "/api/v1/cas/%s/chain", "/api/v1/cas/%s/crl",
		"/api/v1/cas/%s/certificates/%s", NULL,
	};
	struct http_response r;

	for (int i = 0; negotiated[i] != NULL; i++) {
		assert_int_equal(get_h(&r, headers, negotiated[i]), 200);
		if (!has_token(http_header(&r, "vary"), "Accept"))
			fail_msg("%s: Vary: %s", negotiated[i], http_header(&r, "vary"));
		http_response_free(&r);
	}
	/* a 406 depends on Accept too */
	{
		const char *h[] = {"Accept: text/html", headers != NULL ? headers[0] : NULL, NULL};
		assert_int_equal(get_h(&r, h, "/api/v1/cas/%s/certificate"), 406);
		assert_true(has_token(http_header(&r, "vary"), "Accept"));
		http_response_free(&r);
	}
}

/* Restarts the server with EDGECA_CORS_ORIGINS=origins (NULL: unset). */
static void
restart_with(const char *origins)
{
	static char env[256];

	instance_stop_server(&in);
	if (origins == NULL) {
		in.extra_env[0] = NULL;
	} else {
		snprintf(env, sizeof(env), "EDGECA_CORS_ORIGINS=%s", origins);
		in.extra_env[0] = env;
		in.extra_env[1] = NULL;
	}
	instance_start_server(&in);
}

static void
test_cors_off_by_default(void **state)
{
	const char *h[] = {"Origin: " PORTAL, NULL};
	struct http_response r;

	(void)state;
	assert_int_equal(get_h(&r, h, "/api/v1/cas"), 200);
	assert_null(http_header(&r, "access-control-allow-origin"));
	assert_null(http_header(&r, "access-control-allow-credentials"));
	http_response_free(&r);
	http_expect(403, "origin-not-allowed",
	            http_preflight(&in, "/api/v1/cas", PORTAL, "POST", "authorization", &r), &r);
	check_vary_accept(NULL);
}

static void
test_cors_exact_origins(void **state)
{
	const char *portal[] = {"Origin: " PORTAL, NULL};
	const char *dev[] = {"Origin: " DEV_PORTAL, NULL};
	const char *evil[] = {"Origin: https://portal.example.com.evil.example", NULL};
	struct http_response r;
	char path[256];

	(void)state;
	restart_with(PORTAL ", " DEV_PORTAL);

	/* an allowed origin reads the answer and the headers it needs */
	assert_int_equal(get_h(&r, portal, "/api/v1/cas/%s"), 200);
	assert_string_equal(http_header(&r, "access-control-allow-origin"), PORTAL);
	assert_true(has_token(http_header(&r, "vary"), "Origin"));
	assert_true(has_token(http_header(&r, "access-control-expose-headers"), "ETag"));
	assert_true(has_token(http_header(&r, "access-control-expose-headers"), "Location"));
	assert_true(has_token(http_header(&r, "access-control-expose-headers"), "X-Request-Id"));
	assert_null(http_header(&r, "access-control-allow-credentials"));
	http_response_free(&r);
	assert_int_equal(get_h(&r, dev, "/api/v1/cas"), 200);
	assert_string_equal(http_header(&r, "access-control-allow-origin"), DEV_PORTAL);
	http_response_free(&r);
	/* and its error answers, so that it can show the problem */
	assert_int_equal(get_h(&r, portal, "/api/v1/cas/%s/certificates?comon_name=x"), 400);
	assert_string_equal(http_header(&r, "access-control-allow-origin"), PORTAL);
	http_response_free(&r);

	/* any other origin is served without CORS headers: the browser blocks */
	assert_int_equal(get_h(&r, evil, "/api/v1/cas"), 200);
	assert_null(http_header(&r, "access-control-allow-origin"));
	assert_true(has_token(http_header(&r, "vary"), "Origin"));
	http_response_free(&r);

	/* preflight of an allowed origin, for a method the path serves */
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_preflight(&in, path, PORTAL, "PATCH",
	                                "authorization, content-type, if-match", &r), 204);
	assert_string_equal(http_header(&r, "access-control-allow-origin"), PORTAL);
	assert_true(has_token(http_header(&r, "access-control-allow-methods"), "PATCH"));
	assert_true(has_token(http_header(&r, "access-control-allow-methods"), "GET"));
	assert_false(has_token(http_header(&r, "access-control-allow-methods"), "POST"));
	assert_true(has_token(http_header(&r, "access-control-allow-headers"), "Authorization"));
	assert_true(has_token(http_header(&r, "access-control-allow-headers"), "If-Match"));
	assert_true(has_token(http_header(&r, "access-control-allow-headers"), "Idempotency-Key"));
	assert_non_null(http_header(&r, "access-control-max-age"));
	assert_null(http_header(&r, "access-control-allow-credentials"));
	assert_int_equal(r.body_len, 0);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_int_equal(http_preflight(&in, path, DEV_PORTAL, "POST", NULL, &r), 204);
	http_response_free(&r);

	/* preflight of another origin, an unknown path, a method not served */
	http_expect(403, "origin-not-allowed",
	            http_preflight(&in, path, "https://evil.example", "POST", NULL, &r), &r);
	assert_int_equal(http_preflight(&in, path, "null", "POST", NULL, &r), 403);
	assert_null(http_header(&r, "access-control-allow-origin"));
	http_response_free(&r);
	http_expect(404, "not-found",
	            http_preflight(&in, "/api/v1/nothing", PORTAL, "GET", NULL, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_preflight(&in, path, PORTAL, "PUT", NULL, &r), 405);
	assert_non_null(http_header(&r, "allow"));
	assert_null(http_header(&r, "access-control-allow-methods"));
	http_response_free(&r);

	/* OPTIONS without the preflight's headers: 405 with Allow, as any
	 * method the path does not serve */
	assert_int_equal(http_call(&in, "OPTIONS", "/api/v1/cas", NULL, NULL, NULL, 0, &r), 405);
	assert_true(has_token(http_header(&r, "allow"), "POST"));
	http_response_free(&r);

	check_vary_accept(portal);
	{
		assert_int_equal(get_h(&r, portal, "/api/v1/cas/%s/chain"), 200);
		assert_true(has_token(http_header(&r, "vary"), "Origin"));
		http_response_free(&r);
	}
}

static void
test_cors_any_origin_never_with_credentials(void **state)
{
	const char *h[] = {"Origin: https://anything.example", NULL};
	struct http_response r;

	(void)state;
	restart_with("*");
	assert_int_equal(get_h(&r, h, "/api/v1/cas"), 200);
	assert_string_equal(http_header(&r, "access-control-allow-origin"), "*");
	assert_null(http_header(&r, "access-control-allow-credentials"));
	http_response_free(&r);
	assert_int_equal(http_preflight(&in, "/api/v1/tokens", "https://anything.example", "POST",
	                                "authorization, idempotency-key", &r), 204);
	assert_string_equal(http_header(&r, "access-control-allow-origin"), "*");
	assert_null(http_header(&r, "access-control-allow-credentials"));
	http_response_free(&r);
	restart_with(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_query_parameters),
		cmocka_unit_test(test_cors_off_by_default),
		cmocka_unit_test(test_cors_exact_origins),
		cmocka_unit_test(test_cors_any_origin_never_with_credentials),
	};

	return fixture_run_tests(tests, &fx);
}
