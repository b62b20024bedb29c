/* Tokens and roles: 401 without or with a bad token, 403 for a role that
 * may not act, the token API (shown once, stored hashed, deletable, an
 * optional e-mail address set at creation or by PATCH) and tokens made on
 * the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char auditor[128], requester[128], ca_id[64];

static const struct fixture fx = {
	.in = &in,
	.name = "rest_auth",
	.tokens = {
		{"auditor", "auditor-1", auditor, sizeof(auditor)},
		{"requester", "requester-1", requester, sizeof(requester)},
	},
	.ca_json = "{\"common_name\": \"Auth Root\", \"issuance\": "
	           "{\"template\": \"client\"}}",
	.ca_id = ca_id,
};

static void
test_unauthenticated(void **state)
{
	struct http_response r;
	const char *basic[] = {"Authorization: Basic YWRtaW46YWRtaW4=", NULL};

	assert_int_equal(http_get(&in, "/api/v1/cas", NULL, &r), 401);
	assert_non_null(http_header(&r, "www-authenticate"));
	http_expect(401, "missing-token", r.status, &r);
	http_expect(401, "invalid-token", http_get(&in, "/api/v1/cas", "edgeca_notarealtoken", &r), &r);
	http_expect(401, "invalid-token", http_get(&in, "/api/v1/cas", "garbage", &r), &r);
	http_expect(401, "invalid-token",
	       http_call_h(&in, "GET", "/api/v1/cas", NULL, NULL, NULL, 0, basic, &r), &r);
	/* health and the API description need no token */
	http_expect(200, NULL, http_get(&in, "/healthz", NULL, &r), &r);
	http_expect(200, NULL, http_get(&in, "/readyz", NULL, &r), &r);
	http_expect(200, NULL, http_get(&in, "/openapi.yaml", NULL, &r), &r);
}

static void
test_roles(void **state)
{
	char path[128], *csr = make_csr("EC-P256", "role-device", NULL, NULL);
	const char *ca_body = "{\"common_name\": \"Forbidden Root\"}";
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	/* auditor: reads everything, changes nothing */
	http_expect(200, NULL, http_get(&in, "/api/v1/cas", auditor, &r), &r);
	http_expect(200, NULL, http_get(&in, path, auditor, &r), &r);
	http_expect(403, "forbidden", http_post_json(&in, "/api/v1/cas", auditor, ca_body, &r), &r);
	http_expect(403, "forbidden", http_call(&in, "POST", path, auditor, "application/pkcs10", csr,
	                                   strlen(csr), &r), &r);
	http_expect(403, "forbidden", http_get(&in, "/api/v1/tokens", auditor, &r), &r);
	/* requester: submits CSRs and reads, no administration */
	http_expect(201, NULL, http_call(&in, "POST", path, requester, "application/pkcs10", csr,
	                            strlen(csr), &r), &r);
	http_expect(403, "forbidden", http_post_json(&in, "/api/v1/cas", requester, ca_body, &r), &r);
	http_expect(403, "forbidden", http_post_json(&in, "/api/v1/tokens", requester,
	                                        "{\"name\": \"x\", \"role\": \"pki_admin\"}", &r),
	       &r);
	/* the certificate records who asked */
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(r.json, "items"), 0), "requester")),
	                    "token:requester-1");
	http_response_free(&r);
	free(csr);
}

static void
test_token_api(void **state)
{
	struct http_response r;
	char token[128], id[64], path[128];
	bool listed = false;
	json_t *item;
	size_t i;

	assert_int_equal(http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                "{\"name\": \"ci-pipeline\", \"role\": \"requester\"}", &r),
	                 201);
	snprintf(token, sizeof(token), "%s", http_json_str(&r, "token"));
	snprintf(id, sizeof(id), "%s", http_json_str(&r, "id"));
	assert_string_equal(http_json_str(&r, "role"), "requester");
	assert_true(strncmp(token, "edgeca_", 7) == 0 && strlen(token) > 40);
	http_response_free(&r);
	http_expect(200, NULL, http_get(&in, "/api/v1/cas", token, &r), &r);

	/* listed without its secret */
	assert_int_equal(http_get(&in, "/api/v1/tokens", in.admin_token, &r), 200);
	json_array_foreach(json_object_get(r.json, "items"), i, item) {
		assert_null(json_object_get(item, "token"));
		if (strcmp(json_string_value(json_object_get(item, "id")), id) == 0)
			listed = true;
	}
	assert_true(listed);
	http_response_free(&r);

	/* names are unique; roles and fields are checked */
	http_expect(409, "token-name-taken", http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                               "{\"name\": \"ci-pipeline\", \"role\": "
	                                               "\"auditor\"}", &r), &r);
	http_expect(422, NULL, http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                 "{\"name\": \"x\", \"role\": \"root\"}", &r), &r);
	http_expect(422, "missing-field", http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                            "{\"name\": \"x\"}", &r), &r);
	http_expect(400, "unknown-field", http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                            "{\"name\": \"x\", \"role\": \"auditor\", "
	                                            "\"admin\": true}", &r), &r);
	http_expect(422, NULL, http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                 "{\"name\": \"old\", \"role\": \"auditor\", "
	                                 "\"expires_at\": \"2001-01-01T00:00:00Z\"}", &r), &r);

	/* the Location of a new token can be read */
	snprintf(path, sizeof(path), "/api/v1/tokens/%s", id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(http_json_str(&r, "name"), "ci-pipeline");
	assert_null(json_object_get(r.json, "token"));
	http_response_free(&r);
	/* deletion takes effect on the next request */
	http_expect(204, NULL, http_call(&in, "DELETE", path, in.admin_token, NULL, NULL, 0, &r), &r);
	http_expect(401, "invalid-token", http_get(&in, "/api/v1/cas", token, &r), &r);
	http_expect(404, "token-not-found", http_call(&in, "DELETE", path, in.admin_token, NULL, NULL,
	                                         0, &r), &r);
	http_expect(404, "token-not-found", http_get(&in, path, in.admin_token, &r), &r);
	/* ... and the name stays taken: certificates name their requester by
	 * it, so a new token under it would inherit them */
	http_expect(409, "token-name-taken", http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                               "{\"name\": \"ci-pipeline\", \"role\": "
	                                               "\"requester\"}", &r), &r);
	assert_int_equal(http_get(&in, "/api/v1/tokens", in.admin_token, &r), 200);
	json_array_foreach(json_object_get(r.json, "items"), i, item)
		assert_string_not_equal(json_string_value(json_object_get(item, "id")), id);
	http_response_free(&r);
	{
		char *who = instance_sql(&in, "SELECT deleted_by FROM api_tokens WHERE id = '%s'", id);
		assert_non_null(who);
		assert_non_null(strstr(who, "token:"));
		free(who);
	}
}

/* PATCHes path's e-mail with body as token; returns the status. */
static long
patch_token(const char *path, const char *token, const char *body, struct http_response *r)
{
	return http_call(&in, "PATCH", path, token, "application/json", body, strlen(body), r);
}

static const char *
email_of(const json_t *token)
{
	const json_t *e = json_object_get(token, "email");

	assert_non_null(e); /* always present: a string or null */
	return json_is_null(e) ? NULL : json_string_value(e);
}

static void
test_token_email(void **state)
{
	struct http_response r;
	char id[64], path[128], out[256];
	const char *cli[] = {"token", "create", "--role", "pki_admin", "--name", "cli-mailed",
	                     "--email", "ops@example.org", NULL};
	bool listed = false;
	PGconn *c;
	PGresult *res;
	json_t *item;
	char *v;
	size_t i;

	assert_int_equal(http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                "{\"name\": \"mailed-admin\", \"role\": \"pki_admin\", "
	                                "\"email\": \"PKI-Team@Example.com\"}", &r), 201);
	snprintf(id, sizeof(id), "%s", http_json_str(&r, "id"));
	assert_string_equal(email_of(r.json), "PKI-Team@Example.com");
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tokens/%s", id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(email_of(r.json), "PKI-Team@Example.com");
	http_response_free(&r);
	assert_int_equal(http_get(&in, "/api/v1/tokens?limit=100", in.admin_token, &r), 200);
	json_array_foreach(json_object_get(r.json, "items"), i, item) {
		if (strcmp(json_string_value(json_object_get(item, "id")), id) == 0) {
			assert_string_equal(email_of(item), "PKI-Team@Example.com");
			listed = true;
		} else if (strcmp(json_string_value(json_object_get(item, "name")),
		                  "requester-1") == 0) {
			assert_null(email_of(item));
		}
	}
	assert_true(listed);
	http_response_free(&r);

	/* addresses are checked as the CA's notification_emails are */
	http_expect(422, "invalid-field", http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                            "{\"name\": \"bad-mail\", \"role\": "
	                                            "\"pki_admin\", \"email\": \"not an address\"}",
	                                            &r), &r);
	http_expect(422, "invalid-field", http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                            "{\"name\": \"bad-mail\", \"role\": "
	                                            "\"pki_admin\", \"email\": \"a@b@c.example\"}",
	                                            &r), &r);
	http_expect(400, "invalid-field-type", http_post_json(&in, "/api/v1/tokens", in.admin_token,
	                                                 "{\"name\": \"bad-mail\", \"role\": "
	                                                 "\"pki_admin\", \"email\": 7}", &r), &r);

	/* PATCH changes it, null clears it; only pki_admin may */
	http_expect(200, NULL, patch_token(path, in.admin_token, "{\"email\": \"pki@example.net\"}",
	                                   &r), &r);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(email_of(r.json), "pki@example.net");
	http_response_free(&r);
	assert_int_equal(patch_token(path, in.admin_token, "{\"email\": null}", &r), 200);
	assert_null(email_of(r.json));
	assert_string_equal(http_json_str(&r, "name"), "mailed-admin");
	assert_null(json_object_get(r.json, "token"));
	http_response_free(&r);
	http_expect(403, "forbidden", patch_token(path, requester, "{\"email\": \"x@example.com\"}",
	                                          &r), &r);
	http_expect(403, "forbidden", patch_token(path, auditor, "{\"email\": \"x@example.com\"}",
	                                          &r), &r);
	http_expect(422, "invalid-field", patch_token(path, in.admin_token,
	                                              "{\"email\": \"nobody\"}", &r), &r);
	http_expect(400, "empty-patch", patch_token(path, in.admin_token, "{}", &r), &r);
	http_expect(400, "unknown-field", patch_token(path, in.admin_token,
	                                              "{\"email\": null, \"role\": \"auditor\"}",
	                                              &r), &r);
	http_expect(404, "token-not-found",
	            patch_token("/api/v1/tokens/00000000-0000-0000-0000-000000000000",
	                        in.admin_token, "{\"email\": null}", &r), &r);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_null(email_of(r.json));
	http_response_free(&r);

	/* audited with the address set, "" when cleared */
	v = instance_sql(&in, "SELECT string_agg(details->>'email', ',' ORDER BY id) FROM "
	                      "audit_events WHERE action = 'token.update' AND object_id = '%s'", id);
	assert_non_null(v);
	assert_string_equal(v, "pki@example.net,");
	free(v);

	/* the command line sets one too, and the database refuses a bad form */
	assert_int_equal(instance_cli(&in, cli, out, sizeof(out)), 0);
	v = instance_sql(&in, "SELECT email FROM api_tokens WHERE name = 'cli-mailed'");
	assert_non_null(v);
	assert_string_equal(v, "ops@example.org");
	free(v);
	c = PQconnectdb(in.admin_database_url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "UPDATE api_tokens SET email = 'two words@example.com' "
	                "WHERE name = 'cli-mailed'");
	assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23514");
	PQclear(res);
	PQfinish(c);
}

static void
test_tokens_stored_hashed_and_audited(void **state)
{
	PGconn *c = PQconnectdb(in.database_url);
	PGresult *res;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	/* no secret is stored: the only column is a 32-byte digest */
	res = PQexec(c, "SELECT count(*) FROM api_tokens WHERE octet_length(token_hash) = 32");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	assert_true(atoi(PQgetvalue(res, 0, 0)) >= 3);
	PQclear(res);
	res = PQexec(c, "SELECT count(*) FROM api_tokens WHERE position(convert_to('edgeca_', "
	                "'UTF8') in token_hash) > 0");
	assert_string_equal(PQgetvalue(res, 0, 0), "0");
	PQclear(res);
	/* every admin action is audited */
	res = PQexec(c, "SELECT action, actor FROM audit_events WHERE action IN ('token.create', "
	                "'token.delete', 'ca.create') ORDER BY id");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	assert_true(PQntuples(res) >= 5);
	assert_string_equal(PQgetvalue(res, 0, 0), "token.create");
	assert_string_equal(PQgetvalue(res, 0, 1), "cli");
	PQclear(res);
	/* and the audit trail cannot be rewritten: the server's role lacks the
	 * right, and even the schema's owner is stopped by the trigger */
	res = PQexec(c, "DELETE FROM audit_events");
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501");
	PQclear(res);
	res = PQexec(c, "UPDATE audit_events SET actor = 'someone else'");
	assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501");
	PQclear(res);
	res = PQexec(c, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	PQclear(res);
	PQfinish(c);
	c = PQconnectdb(in.admin_database_url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "DELETE FROM audit_events");
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	assert_non_null(strstr(PQresultErrorMessage(res), "append-only"));
	PQclear(res);
	PQfinish(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unauthenticated),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_token_api),
		cmocka_unit_test(test_token_email),
		cmocka_unit_test(test_tokens_stored_hashed_and_audited),
	};

	return fixture_run_tests(tests, &fx);
}
