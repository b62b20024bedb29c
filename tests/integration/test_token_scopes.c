/* Tokens limited to a list of CAs ("ca_ids"): a factory line's requester
 * token issues, reads and revokes at its own CA and gets 403
 * ca-out-of-scope everywhere else; lists (CAs, notifications) show only
 * its CAs, with whole pages; PATCH changes the list from the next request
 * on; auditor and pki_admin tokens are limited likewise, and a limited
 * pki_admin neither creates CAs nor manages tokens (403
 * unscoped-token-required) nor chains to a parent outside its list;
 * lifecycle e-mails reach a limited pki_admin for its CAs only; the list
 * is checked, stored with foreign keys, audited, and set by the CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

#define CLIENT_CA "{\"common_name\": \"%s\", \"issuance\": {\"template\": \"client\"}}"

static struct instance in;
/* five roots in creation order; A and B are two factory lines' CAs */
static char ca_a[64], ca_b[64], ca_c[64], ca_d[64], ca_e[64];

static void
create_client_ca(const char *name, char id[64])
{
	char body[256];

	snprintf(body, sizeof(body), CLIENT_CA, name);
	http_create_ca(&in, body, id);
}

static void
fixture_ready(void)
{
	create_client_ca("Line A", ca_a);
	create_client_ca("Line B", ca_b);
	create_client_ca("Line C", ca_c);
	create_client_ca("Line D", ca_d);
	create_client_ca("Line E", ca_e);
}

static const struct fixture fx = {
	.in = &in,
	.name = "token_scopes",
	.env = {
		"EDGECA_SCHEDULER_INTERVAL=1",
	},
	.ready = fixture_ready,
};

/* ---- helpers --------------------------------------------------------------- */

/* Creates a token from body as the admin; its secret and id. Returns the
 * answer (the caller frees it). */
static struct http_response
make_token(const char *body, char token[128], char id[64])
{
	struct http_response r = http_post_expect(&in, "/api/v1/tokens", body, 201);

	snprintf(token, 128, "%s", http_json_str(&r, "token"));
	snprintf(id, 64, "%s", http_json_str(&r, "id"));
	return r;
}

/* Fails unless the token JSON's ca_ids is exactly want (NULL: null). */
static void
expect_ca_ids(const json_t *token, const char *const *want)
{
	const json_t *a = json_object_get(token, "ca_ids");
	size_t n = 0;

	assert_non_null(a); /* always present */
	if (want == NULL) {
		assert_true(json_is_null(a));
		return;
	}
	while (want[n] != NULL)
		n++;
	assert_int_equal(json_array_size(a), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(a, i)), want[i]);
}

/* Submits a CSR to ca as token; serial receives the serial when 201. */
static long
issue(const char *ca, const char *token, char serial[80], struct http_response *r)
{
	char path[128], *csr = make_csr("EC-P256", "line-device", NULL, NULL);
	long got;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca);
	got = http_call(&in, "POST", path, token, "application/pkcs10", csr, strlen(csr), r);
	if (got == 201 && serial != NULL)
		snprintf(serial, 80, "%s", http_json_str(r, "serial_number"));
	free(csr);
	return got;
}

/* Fails unless the answer is 403 ca-out-of-scope naming ca. Frees r. */
static void
expect_out_of_scope(const char *ca, long got, struct http_response *r)
{
	const char *detail = http_json_str(r, "detail");

	if (got != 403 || detail == NULL || strstr(detail, ca) == NULL)
		fail_msg("expected 403 naming CA %s, got %ld: %.*s", ca, got, (int)r->body_len,
		         r->body);
	http_expect(403, "ca-out-of-scope", got, r);
}

/* GET and POST (JSON) as token to the path fmt makes. */
static long get(const char *token, struct http_response *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static long post(const char *token, const char *json, struct http_response *r, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

static long
get(const char *token, struct http_response *r, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return http_get(&in, path, token, r);
}

static long
post(const char *token, const char *json, struct http_response *r, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return http_post_json(&in, path, token, json, r);
}

static long
patch_token(const char *id, const char *json, struct http_response *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/tokens/%s", id);
	return http_call(&in, "PATCH", path, in.admin_token, "application/json", json,
	                 strlen(json), r);
}

/* The ids GET /api/v1/cas lists to token, page by page of limit, in
 * order, joined by commas (malloc'ed); every page but the last is full. */
static char *
listed_cas(const char *token, int limit)
{
	char path[256], cursor[128] = "", *all = calloc(1, 1);
	struct http_response r;

	assert_non_null(all);
	for (int pages = 0; pages < 100; pages++) {
		const json_t *items, *next, *item;
		size_t i;
		char *more;

		snprintf(path, sizeof(path), "/api/v1/cas?limit=%d%s%s", limit,
		         cursor[0] ? "&cursor=" : "", cursor);
		assert_int_equal(http_get(&in, path, token, &r), 200);
		items = json_object_get(r.json, "items");
		next = json_object_get(r.json, "next_cursor");
		json_array_foreach(items, i, item) {
			xasprintf(&more, "%s%s%s", all, all[0] ? "," : "",
			          json_string_value(json_object_get(item, "id")));
			free(all);
			all = more;
		}
		if (json_is_null(next)) {
			http_response_free(&r);
			return all;
		}
		assert_int_equal(json_array_size(items), limit);
		snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		http_response_free(&r);
	}
	fail_msg("GET /api/v1/cas never ended");
	return NULL;
}

/* ---- tests ----------------------------------------------------------------- */

/* A requester limited to CA A issues, reads and revokes at A; every route
 * about B answers 403 naming B, whatever the role allows; B's public
 * files stay public. */
static void
test_requester_limited_to_one_ca(void **state)
{
	struct http_response r;
	char body[256], tok[128], id[64], sa[80], sb[80], path[256], upper[64];
	const char *want[] = {ca_a, NULL};
	X509 *x;
	long got;

	snprintf(body, sizeof(body), "{\"name\": \"line-a\", \"role\": \"requester\", "
	                             "\"ca_ids\": [\"%s\"]}", ca_a);
	r = make_token(body, tok, id);
	expect_ca_ids(r.json, want);
	http_response_free(&r);

	/* issue */
	http_expect(201, NULL, issue(ca_a, tok, sa, &r), &r);
	expect_out_of_scope(ca_b, issue(ca_b, tok, NULL, &r), &r);
	x = http_issue_cert(&in, ca_b, "b-device", NULL, sb);
	X509_free(x);
	/* read */
	http_expect(200, NULL, get(tok, &r, "/api/v1/cas/%s", ca_a), &r);
	expect_out_of_scope(ca_b, get(tok, &r, "/api/v1/cas/%s", ca_b), &r);
	http_expect(200, NULL, get(tok, &r, "/api/v1/cas/%s/certificates", ca_a), &r);
	expect_out_of_scope(ca_b, get(tok, &r, "/api/v1/cas/%s/certificates", ca_b), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_b, sb);
	expect_out_of_scope(ca_b, http_get(&in, path, tok, &r), &r);
	expect_out_of_scope(ca_b, get(tok, &r, "/api/v1/cas/%s/certificate", ca_b), &r);
	expect_out_of_scope(ca_b, get(tok, &r, "/api/v1/cas/%s/chain", ca_b), &r);
	expect_out_of_scope(ca_b, get(tok, &r, "/api/v1/cas/%s/crl", ca_b), &r);
	expect_out_of_scope(ca_b, get(tok, &r, "/api/v1/cas/%s/est", ca_b), &r);
	/* revoke: its own certificate at A, nothing at B */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/revoke", ca_b, sb);
	expect_out_of_scope(ca_b, http_post_json(&in, path, tok, "{}", &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_b, sb);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(http_json_str(&r, "status"), "valid");
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/revoke", ca_a, sa);
	http_expect(200, NULL, http_post_json(&in, path, tok, "{}", &r), &r);

	/* the CA id in any case is the same CA; what is no id is no CA of its */
	for (size_t i = 0; i <= strlen(ca_a); i++)
		upper[i] = (char)(ca_a[i] >= 'a' && ca_a[i] <= 'f' ? ca_a[i] - 32 : ca_a[i]);
	http_expect(200, NULL, get(tok, &r, "/api/v1/cas/%s", upper), &r);
	http_expect(403, "ca-out-of-scope", get(tok, &r, "/api/v1/cas/%s", "not-a-ca"), &r);
	http_expect(404, "ca-not-found", get(in.admin_token, &r, "/api/v1/cas/%s", "not-a-ca"), &r);
	/* a query member of the same name never reaches another CA */
	got = get(tok, &r, "/api/v1/cas/%s?ca_id=%s", ca_a, ca_b);
	if (got == 200)
		assert_string_equal(http_json_str(&r, "id"), ca_a);
	else
		http_expect(403, "ca-out-of-scope", got, &r);
	http_response_free(&r);

	/* the list holds A alone */
	assert_int_equal(http_get(&in, "/api/v1/cas", tok, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(r.json, "items"), 0), "id")), ca_a);
	http_response_free(&r);

	/* roles still hold, public files stay public */
	http_expect(403, "forbidden", http_get(&in, "/api/v1/tokens", tok, &r), &r);
	http_expect(200, NULL, get(NULL, &r, "/ca/%s/default.crt", ca_b), &r);
	http_expect(200, NULL, http_get(&in, "/healthz", NULL, &r), &r);
}

/* GET /api/v1/cas filters before it pages: a token limited to A, C and E
 * walks exactly those, in creation order, whatever the page size. */
static void
test_lists_page_within_the_scope(void **state)
{
	struct http_response r;
	char body[512], tok[128], id[64], want_s[256], *got;
	const char *want[] = {ca_a, ca_c, ca_e, NULL};

	snprintf(body, sizeof(body), "{\"name\": \"ace-auditor\", \"role\": \"auditor\", "
	                             "\"ca_ids\": [\"%s\", \"%s\", \"%s\"]}", ca_e, ca_a, ca_c);
	r = make_token(body, tok, id);
	expect_ca_ids(r.json, want); /* creation order, whatever the order given */
	http_response_free(&r);
	snprintf(want_s, sizeof(want_s), "%s,%s,%s", ca_a, ca_c, ca_e);
	for (int limit = 1; limit <= 4; limit++) {
		got = listed_cas(tok, limit);
		assert_string_equal(got, want_s);
		free(got);
	}
	got = listed_cas(in.admin_token, 2);
	assert_non_null(strstr(got, ca_b));
	assert_non_null(strstr(got, ca_d));
	free(got);
	/* an auditor still reads only, and only its CAs */
	expect_out_of_scope(ca_d, get(tok, &r, "/api/v1/cas/%s/certificates", ca_d), &r);
	http_expect(200, NULL, get(tok, &r, "/api/v1/cas/%s/certificates", ca_c), &r);
	http_expect(403, "forbidden", issue(ca_c, tok, NULL, &r), &r);
}

/* PATCH changes the list from the next request on; null lifts it; each
 * change is audited with the old and the new list; bad lists change
 * nothing. */
static void
test_patch_changes_scope(void **state)
{
	struct http_response r;
	char body[512], tok[128], id[64], want_s[512], *v;
	const char *only_b[] = {ca_b, NULL}, *a_and_b[] = {ca_a, ca_b, NULL};
	char many[101 * 40 + 32] = "{\"ca_ids\": [";

	snprintf(body, sizeof(body), "{\"name\": \"movable\", \"role\": \"requester\", "
	                             "\"ca_ids\": [\"%s\"]}", ca_a);
	r = make_token(body, tok, id);
	http_response_free(&r);
	http_expect(201, NULL, issue(ca_a, tok, NULL, &r), &r);
	expect_out_of_scope(ca_b, issue(ca_b, tok, NULL, &r), &r);

	snprintf(body, sizeof(body), "{\"ca_ids\": [\"%s\"]}", ca_b);
	assert_int_equal(patch_token(id, body, &r), 200);
	expect_ca_ids(r.json, only_b);
	http_response_free(&r);
	expect_out_of_scope(ca_a, issue(ca_a, tok, NULL, &r), &r);
	http_expect(201, NULL, issue(ca_b, tok, NULL, &r), &r);

	assert_int_equal(patch_token(id, "{\"ca_ids\": null}", &r), 200);
	expect_ca_ids(r.json, NULL);
	http_response_free(&r);
	http_expect(201, NULL, issue(ca_a, tok, NULL, &r), &r);
	http_expect(201, NULL, issue(ca_c, tok, NULL, &r), &r);

	snprintf(body, sizeof(body), "{\"ca_ids\": [\"%s\", \"%s\"], \"email\": null}", ca_b, ca_a);
	assert_int_equal(patch_token(id, body, &r), 200);
	expect_ca_ids(r.json, a_and_b);
	http_response_free(&r);
	expect_out_of_scope(ca_c, issue(ca_c, tok, NULL, &r), &r);

	/* refused lists, each with the reason; the list stays */
	http_expect(422, "invalid-field", patch_token(id, "{\"ca_ids\": []}", &r), &r);
	http_expect(400, "invalid-field-type", patch_token(id, "{\"ca_ids\": \"x\"}", &r), &r);
	http_expect(422, "invalid-field", patch_token(id, "{\"ca_ids\": [\"x\"]}", &r), &r);
	assert_int_equal(patch_token(id, "{\"ca_ids\": [\"00000000-0000-4000-8000-00000000abcd\"]}",
	                             &r), 422);
	assert_non_null(strstr(http_json_str(&r, "detail"), "00000000-0000-4000-8000-00000000abcd"));
	http_expect(422, "invalid-field", r.status, &r);
	snprintf(body, sizeof(body), "{\"ca_ids\": [\"%s\", \"%s\"]}", ca_a, ca_a);
	http_expect(422, "invalid-field", patch_token(id, body, &r), &r);
	for (int i = 0; i < 101; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s\"%s\"", i ? "," : "",
		         ca_a);
	strcat(many, "]}");
	http_expect(422, "invalid-field", patch_token(id, many, &r), &r);
	assert_int_equal(get(in.admin_token, &r, "/api/v1/tokens/%s", id), 200);
	expect_ca_ids(r.json, a_and_b);
	http_response_free(&r);

	/* audited: old and new list each time ("all": every CA) */
	v = instance_sql(&in, "SELECT string_agg((details->>'old_ca_ids') || '>' || "
	                      "(details->>'ca_ids'), ';' ORDER BY id) FROM audit_events WHERE "
	                      "action = 'token.update' AND object_id = '%s'", id);
	snprintf(want_s, sizeof(want_s), "%s>%s;%s>all;all>%s,%s", ca_a, ca_b, ca_b, ca_a, ca_b);
	assert_non_null(v);
	assert_string_equal(v, want_s);
	free(v);
}

/* A pki_admin limited to CAs administers those and nothing else: no CA
 * creation, no token management, no chaining to a parent outside. */
static void
test_admin_limited(void **state)
{
	struct http_response r;
	char body[512], tok[128], id[64], other[64], parent[64], sub[64];
	const char *lc = "{\"lifecycle\": {\"threshold_percent\": 75}}";

	http_create_ca(&in, "{\"common_name\": \"Plant Root\"}", parent);
	http_create_ca(&in, "{\"kind\": \"subordinate\", \"common_name\": \"Plant Issuing\"}", sub);
	snprintf(body, sizeof(body), "{\"name\": \"plant-admin\", \"role\": \"pki_admin\", "
	                             "\"ca_ids\": [\"%s\", \"%s\", \"%s\"]}", ca_a, parent, sub);
	r = make_token(body, tok, id);
	http_response_free(&r);
	r = make_token("{\"name\": \"other\", \"role\": \"auditor\"}", body, other);
	http_response_free(&r);

	/* what is not about one CA */
	http_expect(403, "unscoped-token-required",
	            http_post_json(&in, "/api/v1/cas", tok, "{\"common_name\": \"Rogue\"}", &r), &r);
	snprintf(body, sizeof(body), "{\"kind\": \"subordinate\", \"common_name\": \"Rogue Sub\", "
	                             "\"parent_ca_id\": \"%s\"}", parent);
	http_expect(403, "unscoped-token-required", http_post_json(&in, "/api/v1/cas", tok, body,
	                                                           &r), &r);
	http_expect(403, "unscoped-token-required",
	            http_post_json(&in, "/api/v1/tokens", tok,
	                           "{\"name\": \"minted\", \"role\": \"pki_admin\"}", &r), &r);
	http_expect(403, "unscoped-token-required", http_get(&in, "/api/v1/tokens", tok, &r), &r);
	http_expect(403, "unscoped-token-required", get(tok, &r, "/api/v1/tokens/%s", other), &r);
	snprintf(body, sizeof(body), "/api/v1/tokens/%s", id);
	http_expect(403, "unscoped-token-required",
	            http_call(&in, "PATCH", body, tok, "application/json", "{\"ca_ids\": null}",
	                      strlen("{\"ca_ids\": null}"), &r), &r);
	snprintf(body, sizeof(body), "/api/v1/tokens/%s", other);
	http_expect(403, "unscoped-token-required",
	            http_call(&in, "DELETE", body, tok, NULL, NULL, 0, &r), &r);
	http_expect(200, NULL, get(in.admin_token, &r, "/api/v1/tokens/%s", other), &r);

	/* its CAs, and only those */
	snprintf(body, sizeof(body), "/api/v1/cas/%s", ca_a);
	http_expect(200, NULL, http_call(&in, "PATCH", body, tok, "application/json", lc,
	                                 strlen(lc), &r), &r);
	snprintf(body, sizeof(body), "/api/v1/cas/%s", ca_b);
	expect_out_of_scope(ca_b, http_call(&in, "PATCH", body, tok, "application/json", lc,
	                                    strlen(lc), &r), &r);
	expect_out_of_scope(ca_b, post(tok, "{}", &r, "/api/v1/cas/%s/crl", ca_b), &r);
	expect_out_of_scope(ca_b, post(tok, "{}", &r, "/api/v1/cas/%s/revoke", ca_b), &r);
	expect_out_of_scope(ca_b, get(tok, &r, "/api/v1/cas/%s/iotedge-config", ca_b), &r);

	/* the parent signs a chained CA: it must be one of the token's too */
	snprintf(body, sizeof(body), "{\"parent_ca_id\": \"%s\"}", ca_b);
	expect_out_of_scope(ca_b, post(tok, body, &r, "/api/v1/cas/%s/chain", sub), &r);
	snprintf(body, sizeof(body), "{\"parent_ca_id\": \"%s\"}", parent);
	assert_int_equal(post(tok, body, &r, "/api/v1/cas/%s/chain", sub), 200);
	assert_string_equal(http_json_str(&r, "parent_ca_id"), parent);
	http_response_free(&r);
}

/* Creation checks the list: UUIDs of existing CAs, each once, at least
 * one; the database keeps only CA ids; the list is shown and audited. */
static void
test_create_checks_and_stores(void **state)
{
	struct http_response r;
	char body[512], tok[128], id[64], all_id[64], *v;
	const char *want[] = {ca_d, NULL};
	PGconn *c;
	PGresult *res;

	snprintf(body, sizeof(body), "{\"name\": \"bad\", \"role\": \"requester\", \"ca_ids\": "
	                             "[\"%s\", \"00000000-0000-4000-8000-0000000000ff\"]}", ca_d);
	assert_int_equal(http_post_json(&in, "/api/v1/tokens", in.admin_token, body, &r), 422);
	assert_non_null(strstr(http_json_str(&r, "detail"), "00000000-0000-4000-8000-0000000000ff"));
	http_expect(422, "invalid-field", r.status, &r);
	http_expect(422, "invalid-field", http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                                 "{\"name\": \"bad\", \"role\": "
	                                                 "\"requester\", \"ca_ids\": []}", &r), &r);
	snprintf(body, sizeof(body), "{\"name\": \"bad\", \"role\": \"requester\", \"ca_ids\": "
	                             "[\"%s\", \"%s\"]}", ca_d, ca_d);
	http_expect(422, "invalid-field", http_post_json(&in, "/api/v1/tokens", in.admin_token, body,
	                                                 &r), &r);
	http_expect(400, "invalid-field-type",
	            http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                           "{\"name\": \"bad\", \"role\": \"requester\", "
	                           "\"ca_ids\": 7}", &r), &r);
	v = instance_sql(&in, "SELECT count(*) FROM api_tokens WHERE name = 'bad'");
	assert_string_equal(v, "0");
	free(v);

	snprintf(body, sizeof(body), "{\"name\": \"line-d\", \"role\": \"requester\", \"ca_ids\": "
	                             "[\"%s\"]}", ca_d);
	r = make_token(body, tok, id);
	http_response_free(&r);
	r = make_token("{\"name\": \"everywhere\", \"role\": \"requester\", \"ca_ids\": null}", tok,
	               all_id);
	expect_ca_ids(r.json, NULL);
	http_response_free(&r);
	assert_int_equal(get(in.admin_token, &r, "/api/v1/tokens/%s", id), 200);
	expect_ca_ids(r.json, want);
	http_response_free(&r);

	v = instance_sql(&in, "SELECT string_agg(details->>'ca_ids', ';' ORDER BY id) FROM "
	                      "audit_events WHERE action = 'token.create' AND object_id IN "
	                      "('%s', '%s')", id, all_id);
	snprintf(body, sizeof(body), "%s;all", ca_d);
	assert_string_equal(v, body);
	free(v);

	/* the database refuses a listed id that is no CA */
	c = PQconnectdb(in.admin_database_url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	snprintf(body, sizeof(body), "INSERT INTO api_token_cas (token_id, ca_id) VALUES ('%s', "
	                             "gen_random_uuid())", id);
	res = PQexec(c, body);
	assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23503");
	PQclear(res);
	PQfinish(c);
}

/* Creates a root that ends in a little over an hour and whose threshold
 * is far (99 %): nothing is due until the test lowers it. */
static void
create_expiring_ca(const char *name, char id[64])
{
	char body[512], na[32];
	time_t t = time(NULL) + 3700;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(body, sizeof(body), "{\"common_name\": \"%s\", \"not_after\": \"%s\", "
	                             "\"lifecycle\": {\"threshold_percent\": 99}}", name, na);
	http_create_ca(&in, body, id);
}

/* The e-mail recipients of ca's threshold_reached notification, as one
 * string (malloc'ed), once the scheduler has made it (up to 60 s). */
static char *
threshold_recipients(const char *ca)
{
	struct http_response r;

	for (int i = 0; i < 240; i++) {
		const json_t *n, *d;
		size_t k, m;
		assert_int_equal(get(in.admin_token, &r, "/api/v1/cas/%s/notifications", ca), 200);
		json_array_foreach(json_object_get(r.json, "items"), k, n) {
			const char *kind = json_string_value(json_object_get(n, "kind"));
			if (strcmp(kind, "threshold_reached") != 0)
				continue;
			json_array_foreach(json_object_get(n, "deliveries"), m, d) {
				const char *ch = json_string_value(json_object_get(d, "channel"));
				char *s;
				if (strcmp(ch, "email") != 0)
					continue;
				s = json_dumps(json_object_get(d, "recipients"), JSON_COMPACT);
				http_response_free(&r);
				return s;
			}
		}
		http_response_free(&r);
		usleep(250000);
	}
	fail_msg("CA %s: no threshold_reached e-mail in 60 s", ca);
	return NULL;
}

/* Fails unless every notification token may list names ca, and there is
 * at least one. */
static void
expect_notifications_only_of(const char *token, const char *ca)
{
	struct http_response r;
	const json_t *n;
	size_t k;

	assert_int_equal(http_get(&in, "/api/v1/notifications?limit=1000", token, &r), 200);
	assert_true(json_array_size(json_object_get(r.json, "items")) > 0);
	json_array_foreach(json_object_get(r.json, "items"), k, n)
		assert_string_equal(json_string_value(json_object_get(n, "ca_id")), ca);
	http_response_free(&r);
}

/* Notifications: a limited token lists only its CAs', and a limited
 * pki_admin's address receives lifecycle e-mails of its CAs only. */
static void
test_notifications_and_mail(void **state)
{
	struct http_response r;
	char x[64], y[64], body[512], mailer[128], watcher[128], id[64], *to_x, *to_y;
	const char *lower = "{\"lifecycle\": {\"threshold_percent\": 1}}";

	create_expiring_ca("Expiring X", x);
	create_expiring_ca("Expiring Y", y);
	snprintf(body, sizeof(body), "{\"name\": \"x-admin\", \"role\": \"pki_admin\", \"email\": "
	                             "\"x-admin@example.test\", \"ca_ids\": [\"%s\"]}", x);
	r = make_token(body, mailer, id);
	http_response_free(&r);
	r = make_token("{\"name\": \"all-admin\", \"role\": \"pki_admin\", \"email\": "
	               "\"all-admin@example.test\"}", body, id);
	http_response_free(&r);
	snprintf(body, sizeof(body), "{\"name\": \"y-watch\", \"role\": \"auditor\", \"ca_ids\": "
	                             "[\"%s\"]}", y);
	r = make_token(body, watcher, id);
	http_response_free(&r);

	snprintf(body, sizeof(body), "/api/v1/cas/%s", x);
	http_expect(200, NULL, http_call(&in, "PATCH", body, in.admin_token, "application/json",
	                                 lower, strlen(lower), &r), &r);
	snprintf(body, sizeof(body), "/api/v1/cas/%s", y);
	http_expect(200, NULL, http_call(&in, "PATCH", body, in.admin_token, "application/json",
	                                 lower, strlen(lower), &r), &r);
	to_x = threshold_recipients(x);
	to_y = threshold_recipients(y);
	assert_non_null(strstr(to_x, "x-admin@example.test"));
	assert_non_null(strstr(to_x, "all-admin@example.test"));
	assert_null(strstr(to_y, "x-admin@example.test"));
	assert_non_null(strstr(to_y, "all-admin@example.test"));
	free(to_x);
	free(to_y);

	expect_notifications_only_of(mailer, x);
	expect_notifications_only_of(watcher, y);
	expect_out_of_scope(x, get(watcher, &r, "/api/v1/cas/%s/notifications", x), &r);
	http_expect(200, NULL, get(watcher, &r, "/api/v1/cas/%s/notifications", y), &r);
}

/* edgeca-server token create --ca ID (repeatable) limits the token. */
static void
test_cli_ca_option(void **state)
{
	const char *one[] = {"token", "create", "--role", "requester", "--name", "cli-line-b",
	                     "--ca", ca_b, NULL};
	const char *bad[] = {"token", "create", "--role", "requester", "--name", "cli-nowhere",
	                     "--ca", "00000000-0000-4000-8000-000000000001", NULL};
	const char *two[] = {"token", "create", "--role", "auditor", "--name", "cli-two",
	                     "--ca", ca_c, "--ca", ca_b, NULL};
	char tok[256], *v, want[160];
	struct http_response r;

	assert_int_equal(instance_cli(&in, one, tok, sizeof(tok)), 0);
	tok[strcspn(tok, "\n")] = '\0';
	http_expect(201, NULL, issue(ca_b, tok, NULL, &r), &r);
	expect_out_of_scope(ca_a, issue(ca_a, tok, NULL, &r), &r);

	assert_int_not_equal(instance_cli(&in, bad, tok, sizeof(tok)), 0);
	v = instance_sql(&in, "SELECT count(*) FROM api_tokens WHERE name = 'cli-nowhere'");
	assert_string_equal(v, "0");
	free(v);

	assert_int_equal(instance_cli(&in, two, tok, sizeof(tok)), 0);
	v = instance_sql(&in, "SELECT string_agg(s.ca_id::text, ',' ORDER BY c.seq) FROM "
	                      "api_token_cas s JOIN api_tokens t ON t.id = s.token_id JOIN cas c "
	                      "ON c.id = s.ca_id WHERE t.name = 'cli-two'");
	snprintf(want, sizeof(want), "%s,%s", ca_b, ca_c);
	assert_string_equal(v, want);
	free(v);
	v = instance_sql(&in, "SELECT details->>'ca_ids' FROM audit_events WHERE action = "
	                      "'token.create' AND actor = 'cli' "
	                      "AND details->>'name' = 'cli-line-b'");
	assert_string_equal(v, ca_b);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requester_limited_to_one_ca),
		cmocka_unit_test(test_lists_page_within_the_scope),
		cmocka_unit_test(test_patch_changes_scope),
		cmocka_unit_test(test_admin_limited),
		cmocka_unit_test(test_create_checks_and_stores),
		cmocka_unit_test(test_notifications_and_mail),
		cmocka_unit_test(test_cli_ca_option),
	};

	return fixture_run_tests(tests, &fx);
}
