/* The REST side of EST and DPS onboarding: EST settings at creation and
 * with PATCH (validation, roles, audit), the EST URLs of every location,
 * DPS verification certificates and a device's config.toml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/x509v3.h>

#include "common/timeutil.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char root_id[64], sub_id[64], auditor[128];
static X509 *sub_west;

static void
fixture_ready(void)
{
	struct http_response r;
	char *body;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Regional CA\", "
	          "\"parent_ca_id\": \"%s\", \"locations\": [\"westeurope\", \"eastus\"], "
	          "\"issuance\": {\"template\": \"client\"}, \"est\": {\"label\": \"regional\", "
	          "\"validity_days\": 30, \"key_algorithm\": \"EC-P256\"}}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	sub_west = http_location_cert(&r, "westeurope");
	http_response_free(&r);
	free(body);
}

static void
fixture_done(void)
{
	X509_free(sub_west);
}

static const struct fixture fx = {
	.in = &in,
	.name = "est_rest",
	.env = {
		"EDGECA_PUBLIC_EST_URL=https://est.example.test:9444/",
	},
	.tokens = {
		{"auditor", "auditor-est", auditor, sizeof(auditor)},
	},
	.ca_json = "{\"common_name\": \"REST Root\"}",
	.ca_id = root_id,
	.ready = fixture_ready,
	.done = fixture_done,
};

static long
patch(const char *id, const char *token, const char *body, struct http_response *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/cas/%s", id);
	return http_call(&in, "PATCH", path, token, "application/json", body, strlen(body), r);
}

static void
test_settings_and_urls(void **state)
{
	struct http_response r;
	char path[160], want[300];
	const json_t *est, *urls;

	/* a root whose policy signs only CAs does not serve EST by default */
	snprintf(path, sizeof(path), "/api/v1/cas/%s", root_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	est = json_object_get(r.json, "est");
	assert_false(json_boolean_value(json_object_get(est, "enabled")));
	http_response_free(&r);
	/* the subordinate's settings as given, its URLs from EDGECA_PUBLIC_EST_URL */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/est", sub_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_true(json_boolean_value(json_object_get(r.json, "enabled")));
	urls = json_object_get(r.json, "locations");
	assert_int_equal(json_array_size(urls), 2);
	snprintf(want, sizeof(want), "https://est.example.test:9444/est/%s/eastus/.well-known/est",
	         sub_id);
	assert_string_equal(json_string_value(json_object_get(json_array_get(urls, 1), "url")),
	                    want);
	assert_string_equal(json_string_value(json_object_get(r.json, "label_url")),
	                    "https://est.example.test:9444/.well-known/est/regional");
	assert_true(json_is_null(json_object_get(r.json, "default_url")));
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", sub_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	est = json_object_get(r.json, "est");
	assert_int_equal(json_integer_value(json_object_get(est, "validity_days")), 30);
	assert_string_equal(json_string_value(json_object_get(est, "key_algorithm")), "EC-P256");
	assert_string_equal(json_string_value(json_object_get(est, "subject_policy")),
	                    "match_client_cert");
	assert_int_equal(json_array_size(json_object_get(est, "urls")), 2);
	http_response_free(&r);
}

static void
test_patch_validation(void **state)
{
	static const struct {
		const char *body;
		long status;
		const char *slug;
	} cases[] = {
		{"{\"est\": {\"label\": \"Bad Label\"}}", 422, "invalid-field"},
		{"{\"est\": {\"label\": \"cacerts\"}}", 422, "invalid-field"},
		{"{\"est\": {\"template\": \"subordinate_ca\"}}", 422, "invalid-field"},
		{"{\"est\": {\"template\": \"ssl\"}}", 422, "est-template-not-allowed"},
		{"{\"est\": {\"validity_days\": 0}}", 422, "invalid-field"},
		{"{\"est\": {\"validity_days\": 366}}", 422, "invalid-field"},
		{"{\"est\": {\"subject_policy\": \"whatever\"}}", 422, "invalid-field"},
		{"{\"est\": {\"key_algorithm\": \"DSA\"}}", 422, "invalid-field"},
		{"{\"est\": {\"basic_auth\": {\"username\": \"u\"}}}", 422, "missing-field"},
		{"{\"est\": {\"basic_auth\": {\"username\": \"u\", \"password\": \"short\"}}}", 422,
		 "invalid-field"},
		{"{\"est\": {\"basic_auth\": {\"username\": \"a:b\", \"password\": \"long enough pw\"}}}",
		 422, "invalid-field"},
		{"{\"est\": {\"bootstrap_trust\": [\"not a certificate\"]}}", 422, "invalid-field"},
		{"{\"est\": {\"bootstrap_trust\": \"one string\"}}", 400, "invalid-field-type"},
		{"{\"est\": {\"enabled\": \"yes\"}}", 400, "invalid-field-type"},
		{"{\"est\": {\"colour\": \"blue\"}}", 400, "unknown-field"},
		{"{\"common_name\": \"Renamed\"}", 400, "unknown-field"},
		{"[]", 400, "malformed-json"},
		{"{}", 400, "empty-patch"},
		{"{\"est\": null, \"crl\": null}", 400, "empty-patch"},
	};
	struct http_response r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		http_expect(cases[i].status, cases[i].slug,
		            patch(sub_id, in.admin_token, cases[i].body, &r), &r);
	/* EST needs the template in the CA's policy: the root signs CAs only */
	http_expect(422, "est-template-not-allowed",
	            patch(root_id, in.admin_token, "{\"est\": {\"enabled\": true}}", &r), &r);
	http_expect(403, "forbidden", patch(sub_id, auditor, "{\"est\": {}}", &r), &r);
	http_expect(404, "ca-not-found",
	            patch("00000000-0000-0000-0000-000000000000", in.admin_token, "{\"est\": {}}",
	                  &r), &r);
	http_expect(415, NULL, http_call(&in, "PATCH", "/api/v1/cas/x", in.admin_token,
	                                 "text/plain", "x", 1, &r), &r);
}

static void
test_patch_is_audited(void **state)
{
	struct http_response r;
	char sql[256];
	PGconn *c;
	PGresult *res;

	assert_int_equal(patch(sub_id, in.admin_token, "{\"est\": {\"subject_policy\": \"any\", "
	                                               "\"validity_days\": null}}", &r), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "est"),
	                                                      "subject_policy")), "any");
	/* null: back to the CA's maximum */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "est"),
	                                                    "validity_days")), 365);
	http_response_free(&r);
	snprintf(sql, sizeof(sql), "SELECT details->>'fields' FROM audit_events WHERE "
	         "action = 'ca.update_est' AND object_id = '%s' ORDER BY id DESC LIMIT 1", sub_id);
	c = PQconnectdb(in.admin_database_url);
	res = PQexec(c, sql);
	assert_int_equal(PQntuples(res), 1);
	assert_string_equal(PQgetvalue(res, 0, 0), "validity_days,subject_policy");
	PQclear(res);
	PQfinish(c);
}

static void
test_verification_certificate(void **state)
{
	struct http_response r;
	char path[160];
	X509 *x;
	char *cn;
	time_t nb, na;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/verification-certificate", sub_id);
	assert_int_equal(http_post_json(&in, path, in.admin_token,
	                                "{\"verification_code\": \"4E8B3F0A1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D\","
	                                " \"location\": \"westeurope\"}", &r), 201);
	assert_string_equal(r.content_type, "application/x-pem-file");
	x = pem_cert((const char *)r.body);
	assert_non_null(x);
	cn = subject_cn(x);
	assert_string_equal(cn, "4E8B3F0A1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D");
	/* signed by that location's key, short-lived, for nothing but this */
	assert_int_equal(X509_verify(x, X509_get0_pubkey(sub_west)), 1);
	/* the CA's own public key: no one can authenticate with it */
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(sub_west)), 1);
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(eku_count(x), 0);
	assert_int_equal(asn1_time_to_time_t(X509_get0_notBefore(x), &nb), 0);
	assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(x), &na), 0);
	assert_true(na - time(NULL) <= 86400 + 60 && na > time(NULL));
	X509_free(x);
	free(cn);
	http_response_free(&r);
	/* stored like any certificate */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", sub_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_non_null(strstr((const char *)r.body, "\"template\":\"dps_verification\""));
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/verification-certificate", sub_id);
	http_expect(422, "invalid-field",
	            http_post_json(&in, path, in.admin_token,
	                           "{\"verification_code\": \"<script>\"}", &r), &r);
	http_expect(422, "missing-field", http_post_json(&in, path, in.admin_token, "{}", &r), &r);
	http_expect(422, "location-not-active",
	            http_post_json(&in, path, in.admin_token,
	                           "{\"verification_code\": \"AB12\", \"location\": \"mars\"}", &r),
	            &r);
	http_expect(403, "forbidden",
	            http_post_json(&in, path, auditor, "{\"verification_code\": \"AB12\"}", &r), &r);
}

static void
test_iotedge_config(void **state)
{
	struct http_response r;
	char path[300], want[300];
	const char *text;

	snprintf(path, sizeof(path),
	         "/api/v1/cas/%s/iotedge-config?registration_id=edge-42&id_scope=0ne00ABCDEF"
	         "&location=eastus", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(r.content_type, "text/plain; charset=utf-8");
	text = (const char *)r.body;
	snprintf(want, sizeof(want),
	         "default = \"https://est.example.test:9444/est/%s/eastus/.well-known/est\"", sub_id);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "id_scope = \"0ne00ABCDEF\""));
	assert_non_null(strstr(text, "registration_id = \"edge-42\""));
	assert_non_null(strstr(text, "common_name = \"edge-42\""));
	assert_non_null(strstr(text, "method = \"est\""));
	assert_non_null(strstr(text, "file:///var/aziot/certs/ca.pem"));
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/iotedge-config?id_scope=0ne00ABCDEF", sub_id);
	http_expect(400, "invalid-parameter", http_get(&in, path, in.admin_token, &r), &r);
	snprintf(path, sizeof(path),
	         "/api/v1/cas/%s/iotedge-config?registration_id=a%%22b&id_scope=x", sub_id);
	http_expect(400, "invalid-parameter", http_get(&in, path, in.admin_token, &r), &r);
	snprintf(path, sizeof(path),
	         "/api/v1/cas/%s/iotedge-config?registration_id=d&id_scope=x", root_id);
	http_expect(409, "est-disabled", http_get(&in, path, in.admin_token, &r), &r);
	snprintf(path, sizeof(path),
	         "/api/v1/cas/%s/iotedge-config?registration_id=d&id_scope=x", sub_id);
	http_expect(403, "forbidden", http_get(&in, path, auditor, &r), &r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_and_urls),
		cmocka_unit_test(test_patch_validation),
		cmocka_unit_test(test_patch_is_audited),
		cmocka_unit_test(test_verification_certificate),
		cmocka_unit_test(test_iotedge_config),
	};

	return fixture_run_tests(tests, &fx);
}
