/* The portal's sign-in sessions and its files: an API token exchanged for
 * a cookie (exact attributes, only digests stored), the cookie in place of
 * the token with the token's role, X-CSRF-Token on every change made with
 * it, sign-out, and the ends of a session (sign-out, deleted token,
 * expiry, idling); the /ui/ files with their security headers, ETag and 304. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define UI_CSP                                                                                 \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "        \
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "     \
	"base-uri 'none'"

static struct instance in;
static char admin[128], auditor[128], requester[128];

static const struct fixture fx = {
	.in = &in,
	.name = "sessions",
	.env = {"EDGECA_SESSION_TTL=3600", "EDGECA_SCHEDULER_INTERVAL=1"},
	.tokens = {
		{"pki_admin", "portal-admin", admin, sizeof(admin)},
		{"auditor", "portal-auditor", auditor, sizeof(auditor)},
		{"requester", "portal-requester", requester, sizeof(requester)},
	},
};

struct session {
	char cookie[128]; /* "edgeca_session=<secret>" */
	char secret[96];
	char csrf[96];
};

/* Signs in with token, expecting 201 and the exact cookie attributes. */
static void
sign_in(const char *token, const char *role, struct session *s)
{
	struct http_response r;
	char body[256], want[256];
	const char *set_cookie, *v;
	size_t n;

	snprintf(body, sizeof(body), "{\"token\": \"%s\"}", token);
	assert_int_equal(http_post_json(&in, "/api/v1/sessions", NULL, body, &r), 201);
	assert_string_equal(http_json_str(&r, "role"), role);
	assert_non_null(http_json_str(&r, "expires_at"));
	assert_non_null(http_json_str(&r, "token_name"));
	v = http_json_str(&r, "csrf_token");
	assert_non_null(v);
	assert_true(strlen(v) >= 43 && strlen(v) < sizeof(s->csrf));
	snprintf(s->csrf, sizeof(s->csrf), "%s", v);
	set_cookie = http_header(&r, "Set-Cookie");
	assert_non_null(set_cookie);
	assert_true(strncmp(set_cookie, "edgeca_session=", 15) == 0);
	n = strcspn(set_cookie + 15, ";");
	assert_true(n >= 43 && n < sizeof(s->secret));
	memcpy(s->secret, set_cookie + 15, n);
	s->secret[n] = '\0';
	/* EDGECA_SESSION_TTL=3600, a token without expiry: the whole hour */
	snprintf(want, sizeof(want),
	         "edgeca_session=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=3600",
	         s->secret);
	if (strcmp(set_cookie, want) != 0) {
		snprintf(want, sizeof(want),
		         "edgeca_session=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=3599",
		         s->secret);
		assert_string_equal(set_cookie, want);
	}
	assert_string_not_equal(s->secret, s->csrf);
	snprintf(s->cookie, sizeof(s->cookie), "Cookie: edgeca_session=%s", s->secret);
	http_response_free(&r);
}

/* method path with the session's cookie, the CSRF header csrf (NULL: none)
 * and a JSON body (NULL: none). */
static long
with_cookie(const struct session *s, const char *method, const char *path, const char *csrf,
            const char *json, struct http_response *r)
{
	char h[160];
	const char *headers[3] = {s->cookie, NULL, NULL};

	if (csrf != NULL) {
		snprintf(h, sizeof(h), "X-CSRF-Token: %s", csrf);
		headers[1] = h;
	}
	return http_call_h(&in, method, path, NULL, json != NULL ? "application/json" : NULL, json,
	                   json != NULL ? strlen(json) : 0, headers, r);
}

static void
test_sign_in_each_role(void **state)
{
	static const struct {
		const char *token_name;
		const char *role;
	} roles[] = {{"portal-admin", "pki_admin"},
	             {"portal-auditor", "auditor"},
	             {"portal-requester", "requester"}};
	const char *tokens[] = {admin, auditor, requester};
	struct session s;
	struct http_response r;
	char *v;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sign_in(tokens[i], roles[i].role, &s);
		assert_int_equal(with_cookie(&s, "GET", "/api/v1/sessions/current", NULL, NULL, &r),
		                 200);
		assert_string_equal(http_json_str(&r, "role"), roles[i].role);
		assert_string_equal(http_json_str(&r, "token_name"), roles[i].token_name);
		assert_string_equal(http_json_str(&r, "csrf_token"), s.csrf);
		http_response_free(&r);
		/* neither secret is stored in plain, in any form the row shows */
		v = instance_sql(&in,
		                 "SELECT count(*) FROM api_sessions s WHERE "
		                 "position('%s' in s::text) > 0 OR position('%s' in s::text) > 0 "
		                 "OR position(convert_to('%s', 'UTF8') in cookie_hash) > 0 "
		                 "OR position(convert_to('%s', 'UTF8') in csrf_hash) > 0",
		                 s.secret, s.csrf, s.secret, s.csrf);
		assert_string_equal(v, "0");
		free(v);
		v = instance_sql(&in,
		                 "SELECT count(*) FROM api_sessions WHERE cookie_hash = "
		                 "sha256(convert_to('%s', 'UTF8')) AND csrf_hash = "
		                 "sha256(convert_to('%s', 'UTF8')) AND ended_at IS NULL",
		                 s.secret, s.csrf);
		assert_string_equal(v, "1");
		free(v);
	}
	v = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE action = 'session.create' "
	                      "AND actor = 'token:portal-auditor'");
	assert_string_not_equal(v, "0");
	free(v);
}

static void
test_cookie_reads_and_csrf_guards_changes(void **state)
{
	static const char ca[] = "{\"common_name\": \"Session Root\"}";
	struct session s;
	struct http_response r;

	(void)state;
	sign_in(admin, "pki_admin", &s);
	http_expect(200, NULL, with_cookie(&s, "GET", "/api/v1/cas", NULL, NULL, &r), &r);
	http_expect(200, NULL, with_cookie(&s, "GET", "/api/v1/tokens", NULL, NULL, &r), &r);
	http_expect(403, "csrf-token-invalid",
	            with_cookie(&s, "POST", "/api/v1/cas", NULL, ca, &r), &r);
	http_expect(403, "csrf-token-invalid",
	            with_cookie(&s, "POST", "/api/v1/cas", "not-the-token", ca, &r), &r);
	/* a CSRF token of the right shape, off by one character */
	{
		char wrong[96];
		snprintf(wrong, sizeof(wrong), "%s", s.csrf);
		wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
		http_expect(403, "csrf-token-invalid",
		            with_cookie(&s, "POST", "/api/v1/cas", wrong, ca, &r), &r);
	}
	http_expect(403, "csrf-token-invalid",
	            with_cookie(&s, "DELETE", "/api/v1/sessions/current", NULL, NULL, &r), &r);
	assert_int_equal(with_cookie(&s, "POST", "/api/v1/cas", s.csrf, ca, &r), 201);
	assert_string_equal(http_json_str(&r, "common_name"), "Session Root");
	http_response_free(&r);
	/* bearer requests need no CSRF token, and the bearer wins over a cookie */
	{
		const char *headers[] = {"Cookie: edgeca_session=unknown-session-value", NULL};
		http_expect(200, NULL,
		            http_call_h(&in, "GET", "/api/v1/tokens", admin, NULL, NULL, 0, headers, &r),
		            &r);
	}
}

static void
test_auditor_session_reads_only(void **state)
{
	struct session s;
	struct http_response r;

	(void)state;
	sign_in(auditor, "auditor", &s);
	http_expect(200, NULL, with_cookie(&s, "GET", "/api/v1/audit", NULL, NULL, &r), &r);
	http_expect(403, "forbidden",
	            with_cookie(&s, "POST", "/api/v1/cas", s.csrf, "{\"common_name\": \"No\"}", &r),
	            &r);
	http_expect(403, "forbidden",
	            with_cookie(&s, "GET", "/api/v1/tokens", NULL, NULL, &r), &r);
}

static void
test_sign_out_ends_the_session(void **state)
{
	struct session s;
	struct http_response r;
	const char *clear;
	char *v;

	(void)state;
	sign_in(requester, "requester", &s);
	assert_int_equal(with_cookie(&s, "DELETE", "/api/v1/sessions/current", s.csrf, NULL, &r),
	                 204);
	clear = http_header(&r, "Set-Cookie");
	assert_non_null(clear);
	assert_string_equal(clear, "edgeca_session=; Path=/; Secure; HttpOnly; SameSite=Strict; "
	                           "Max-Age=0");
	http_response_free(&r);
	http_expect(401, "invalid-session",
	            with_cookie(&s, "GET", "/api/v1/sessions/current", NULL, NULL, &r), &r);
	http_expect(401, "invalid-session", with_cookie(&s, "GET", "/api/v1/cas", NULL, NULL, &r),
	            &r);
	v = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE action = 'session.end' "
	                      "AND actor = 'token:portal-requester'");
	assert_string_equal(v, "1");
	free(v);
	/* a bearer caller has no session to read */
	http_expect(401, "invalid-session",
	            http_get(&in, "/api/v1/sessions/current", requester, &r), &r);
}

static void
test_deleted_token_and_expiry_end_sessions(void **state)
{
	struct session s, t;
	struct http_response r;
	char body[160], token[128], id[64];

	(void)state;
	snprintf(body, sizeof(body), "{\"name\": \"short-lived\", \"role\": \"requester\"}");
	http_token_create(&in, body, token, id);
	sign_in(token, "requester", &s);
	http_expect(200, NULL, with_cookie(&s, "GET", "/api/v1/cas", NULL, NULL, &r), &r);
	snprintf(body, sizeof(body), "/api/v1/tokens/%s", id);
	http_expect(204, NULL, http_call(&in, "DELETE", body, admin, NULL, NULL, 0, &r), &r);
	http_expect(401, "invalid-session", with_cookie(&s, "GET", "/api/v1/cas", NULL, NULL, &r),
	            &r);

	sign_in(admin, "pki_admin", &t);
	http_expect(200, NULL, with_cookie(&t, "GET", "/api/v1/cas", NULL, NULL, &r), &r);
	free(instance_sql(&in,
	                  "UPDATE api_sessions SET created_at = now() - interval '2 hours', "
	                  "expires_at = now() - interval '1 second' WHERE cookie_hash = "
	                  "sha256(convert_to('%s', 'UTF8'))",
	                  t.secret));
	http_expect(401, "invalid-session", with_cookie(&t, "GET", "/api/v1/cas", NULL, NULL, &r),
	            &r);
	/* idle for longer than 30 minutes */
	sign_in(admin, "pki_admin", &t);
	free(instance_sql(&in,
	                  "UPDATE api_sessions SET last_used_at = now() - interval '31 minutes' "
	                  "WHERE cookie_hash = sha256(convert_to('%s', 'UTF8'))",
	                  t.secret));
	http_expect(401, "invalid-session", with_cookie(&t, "GET", "/api/v1/cas", NULL, NULL, &r),
	            &r);
}

/* A session's idle clock (last_used_at) moves at most once a minute: a
 * request within the minute leaves it, a later one restarts it, and a
 * session idle for longer than 30 minutes still ends. */
#define BY_COOKIE "WHERE cookie_hash = sha256(convert_to('%s', 'UTF8'))"
static void
test_idle_clock_moves_once_a_minute(void **state)
{
	struct session t;
	struct http_response r;
	char *v;

	(void)state;
	sign_in(admin, "pki_admin", &t);
	free(instance_sql(&in, "UPDATE api_sessions SET last_used_at = now() - "
	                       "interval '30 seconds' " BY_COOKIE, t.secret));
	http_expect(200, NULL, with_cookie(&t, "GET", "/api/v1/cas", NULL, NULL, &r), &r);
	v = instance_sql(&in, "SELECT last_used_at < now() - interval '25 seconds' "
	                      "FROM api_sessions " BY_COOKIE, t.secret);
	assert_string_equal(v, "t");
	free(v);
	/* idle for 29 minutes: still live, and the request restarts the clock */
	free(instance_sql(&in, "UPDATE api_sessions SET last_used_at = now() - "
	                       "interval '29 minutes' " BY_COOKIE, t.secret));
	http_expect(200, NULL, with_cookie(&t, "GET", "/api/v1/cas", NULL, NULL, &r), &r);
	v = instance_sql(&in, "SELECT last_used_at > now() - interval '1 minute' "
	                      "FROM api_sessions " BY_COOKIE, t.secret);
	assert_string_equal(v, "t");
	free(v);
	/* idle for longer than 30 minutes: ended */
	free(instance_sql(&in, "UPDATE api_sessions SET last_used_at = now() - "
	                       "interval '31 minutes' " BY_COOKIE, t.secret));
	http_expect(401, "invalid-session", with_cookie(&t, "GET", "/api/v1/cas", NULL, NULL, &r),
	            &r);
}
#undef BY_COOKIE

/* The scheduler deletes the sessions that can no longer be used (ended,
 * expired, idle, of a deleted token: the tests before leave some of each)
 * and keeps the live one. */
static void
test_scheduler_purges_dead_sessions(void **state)
{
	struct session live;
	struct http_response r;
	char *v = NULL;

	(void)state;
	sign_in(admin, "pki_admin", &live);
	for (int i = 0; i < 240; i++) {
		free(v);
		v = instance_sql(&in, "SELECT count(*) FROM api_sessions WHERE ended_at IS NOT NULL "
		                      "OR expires_at <= now() "
		                      "OR last_used_at <= now() - interval '30 minutes' "
		                      "OR token_id IN (SELECT id FROM api_tokens "
		                      "WHERE deleted_at IS NOT NULL)");
		if (strcmp(v, "0") == 0)
			break;
		usleep(250000);
	}
	assert_string_equal(v, "0");
	free(v);
	http_expect(200, NULL, with_cookie(&live, "GET", "/api/v1/sessions/current", NULL, NULL, &r),
	            &r);
}

static void
test_bad_sign_ins(void **state)
{
	struct http_response r;
	const char *dup[] = {"Cookie: edgeca_session=a; edgeca_session=b", NULL};

	(void)state;
	http_expect(401, "invalid-token",
	            http_post_json(&in, "/api/v1/sessions", NULL, "{\"token\": \"edgeca_nope\"}", &r),
	            &r);
	http_expect(401, "invalid-token",
	            http_post_json(&in, "/api/v1/sessions", NULL, "{\"token\": \"\"}", &r), &r);
	http_expect(422, "missing-field", http_post_json(&in, "/api/v1/sessions", NULL, "{}", &r),
	            &r);
	http_expect(400, "unknown-field",
	            http_post_json(&in, "/api/v1/sessions", NULL,
	                           "{\"token\": \"x\", \"role\": \"pki_admin\"}", &r),
	            &r);
	http_expect(400, "invalid-field-type",
	            http_post_json(&in, "/api/v1/sessions", NULL, "{\"token\": 5}", &r), &r);
	http_expect(400, "malformed-json",
	            http_post_json(&in, "/api/v1/sessions", NULL, "{\"token\": ", &r), &r);
	http_expect(401, "invalid-session",
	            http_call_h(&in, "GET", "/api/v1/cas", NULL, NULL, NULL, 0, dup, &r), &r);
	http_expect(401, "missing-token", http_get(&in, "/api/v1/cas", NULL, &r), &r);
}

/* Fails unless r carries every header of the portal's files. */
static void
expect_ui_headers(const struct http_response *r)
{
	assert_string_equal(http_header(r, "Content-Security-Policy"), UI_CSP);
	assert_string_equal(http_header(r, "X-Frame-Options"), "DENY");
	assert_string_equal(http_header(r, "Referrer-Policy"), "no-referrer");
	assert_string_equal(http_header(r, "X-Content-Type-Options"), "nosniff");
}

static void
test_ui_files(void **state)
{
	static const char *const index_paths[] = {"/ui", "/ui/", "/ui/certificates",
	                                          "/ui/cas/1234/est", "/ui/?page=2"};
	struct http_response r, index;
	char etag[96], inm[128];
	const char *headers[] = {inm, NULL};

	(void)state;
	assert_int_equal(http_get(&in, "/ui/certificates", NULL, &index), 200);
	assert_true(strncmp(index.content_type, "text/html", 9) == 0);
	expect_ui_headers(&index);
	assert_string_equal(http_header(&index, "Cache-Control"), "no-cache");
	assert_non_null(strstr((const char *)index.body, "<html"));
	/* the modules are announced with the page, fetched in parallel */
	assert_non_null(http_header(&index, "Link"));
	assert_non_null(strstr(http_header(&index, "Link"), "</ui/app.js>; rel=modulepreload"));
	/* the sign-in page's modules, not the pages' own (loaded when visited) */
	assert_non_null(strstr(http_header(&index, "Link"), "</ui/pages/signin.js>; rel=modulepreload"));
	assert_non_null(strstr(http_header(&index, "Link"), "</ui/dom.js>; rel=modulepreload"));
	assert_null(strstr(http_header(&index, "Link"), "</ui/pages/cas.js>"));
	/* and the session check the first page makes, asked for at once */
	assert_non_null(strstr(http_header(&index, "Link"),
	                       "</api/v1/sessions/current>; rel=preload; as=fetch; crossorigin"));
	assert_null(strstr(http_header(&index, "Link"), "style.css"));
	assert_non_null(http_header(&index, "ETag"));
	snprintf(etag, sizeof(etag), "%s", http_header(&index, "ETag"));
	for (size_t i = 0; i < sizeof(index_paths) / sizeof(index_paths[0]); i++) {
		assert_int_equal(http_call_unrecorded(&in, "GET", index_paths[i], NULL, NULL, NULL, 0,
		                                      &r),
		                 200);
		assert_int_equal(r.body_len, index.body_len);
		assert_memory_equal(r.body, index.body, index.body_len);
		assert_string_equal(http_header(&r, "ETag"), etag);
		http_response_free(&r);
	}
	http_response_free(&index);

	assert_int_equal(http_get(&in, "/ui/app.js", NULL, &r), 200);
	assert_string_equal(r.content_type, "text/javascript; charset=utf-8");
	expect_ui_headers(&r);
	assert_string_not_equal(http_header(&r, "ETag"), etag);
	http_response_free(&r);

	http_expect(404, "not-found", http_get(&in, "/ui/missing.png", NULL, &r), &r);
	http_expect(404, "not-found",
	            http_call_unrecorded(&in, "GET", "/ui/pages/missing.js", NULL, NULL, NULL, 0, &r),
	            &r);

	assert_int_equal(http_call(&in, "HEAD", "/ui/style.css", NULL, NULL, NULL, 0, &r), 200);
	assert_true(strncmp(r.content_type, "text/css", 8) == 0);
	assert_int_equal(r.body_len, 0);
	expect_ui_headers(&r);
	http_response_free(&r);

	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	assert_int_equal(http_call_h(&in, "GET", "/ui/home", NULL, NULL, NULL, 0, headers, &r), 304);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(http_header(&r, "ETag"), etag);
	http_response_free(&r);
	assert_int_equal(http_call_h(&in, "HEAD", "/ui/home", NULL, NULL, NULL, 0, headers, &r),
	                 304);
	http_response_free(&r);
	http_expect(405, "method-not-allowed",
	            http_call(&in, "POST", "/ui/app.js", NULL, NULL, NULL, 0, &r), &r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_in_each_role),
		cmocka_unit_test(test_cookie_reads_and_csrf_guards_changes),
		cmocka_unit_test(test_auditor_session_reads_only),
		cmocka_unit_test(test_sign_out_ends_the_session),
		cmocka_unit_test(test_deleted_token_and_expiry_end_sessions),
		cmocka_unit_test(test_idle_clock_moves_once_a_minute),
		cmocka_unit_test(test_scheduler_purges_dead_sessions),
		cmocka_unit_test(test_bad_sign_ins),
		cmocka_unit_test(test_ui_files),
	};

	return fixture_run_tests(tests, &fx);
}
