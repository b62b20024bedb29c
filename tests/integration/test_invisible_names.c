/* Names that would show as other names, against the real server, signer
 * and PostgreSQL: a zero-width space (U+200B) or another invisible
 * character in a token name, a CA's name or subject field, a CSR's CN or
 * other subject attribute, an EST Basic user name or a query value is
 * refused (422, or 400 for a query value), and so are token and CA names
 * with leading or trailing white space ("req1 " listed as req1). The
 * same names without them are accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

#define ZWSP "\xe2\x80\x8b"

static struct instance in;
static char ca_id[64];

static const struct fixture fx = {
	.in = &in,
	.name = "invisible_names",
	.ca_json = "{\"common_name\": \"Names Root\", \"issuance\": "
	           "{\"template\": \"client\"}}",
	.ca_id = ca_id,
};

static void
expect_post(const char *path, json_t *body, long want, const char *slug)
{
	char *text = json_dumps(body, 0);
	struct http_response r;
	long st;

	assert_non_null(text);
	st = http_post_json(&in, path, in.admin_token, text, &r);
	if (st != want || (slug != NULL && strcmp(http_problem_type(&r), slug) != 0))
		fail_msg("%s %s: %ld %s (%s), expected %ld %s", path, text, st, http_problem_type(&r),
		         http_json_str(&r, "detail") ? http_json_str(&r, "detail") : "",
		         want, slug ? slug : "");
	http_response_free(&r);
	free(text);
	json_decref(body);
}

static void
test_token_names(void **state)
{
	static const char *const refused[] = {
		"req1" ZWSP, ZWSP "req1", "re" ZWSP "q1", "req1\xc2\xad", "req1\xef\xbb\xbf",
		"req1\xe2\x81\xa0", "req1\xef\xb8\x8f", "req1 ", " req1", "req1\xc2\xa0",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		expect_post("/api/v1/tokens",
		            json_pack("{s:s, s:s}", "name", refused[i], "role", "requester"), 422,
		            "invalid-field");
	expect_post("/api/v1/tokens", json_pack("{s:s, s:s}", "name", "req1", "role", "requester"),
	            201, NULL);
	expect_post("/api/v1/tokens",
	            json_pack("{s:s, s:s}", "name", "req 2 \xc3\xa9t\xc3\xa9", "role", "auditor"), 201,
	            NULL);
}

static void
test_ca_names(void **state)
{
	(void)state;
	expect_post("/api/v1/cas", json_pack("{s:s}", "common_name", "x" ZWSP "zw"), 422,
	            "invalid-field");
	expect_post("/api/v1/cas", json_pack("{s:s}", "common_name", "Fleet CA "), 422,
	            "invalid-field");
	expect_post("/api/v1/cas", json_pack("{s:s, s:s}", "common_name", "Fleet CA",
	                                     "organization", "Contoso" ZWSP), 422, "invalid-field");
	expect_post("/api/v1/cas", json_pack("{s:s, s:s}", "common_name", "Fleet CA",
	                                     "organizational_unit", " Devices"), 422,
	            "invalid-field");
	expect_post("/api/v1/cas", json_pack("{s:s, s:s}", "common_name", "Fleet CA",
	                                     "friendly_name", "Fleet\xe2\x80\x8d" "CA"), 422,
	            "invalid-field");
	expect_post("/api/v1/cas", json_pack("{s:s, s:s}", "common_name", "Fleet CA",
	                                     "organization", "Contoso Ltd"), 201, NULL);
}

/* A PEM CSR for a new EC key with the subject CN=cn, O=o (o may be NULL). */
static char *
csr_with(const char *cn, const char *o)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_REQ_get_subject_name(req);
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(key);
	assert_non_null(b);
	if (o != NULL)
		assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
		                                            (const unsigned char *)o, -1, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	                                            (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509_REQ(b, req), 1);
	n = BIO_get_mem_data(b, &data);
	out = strndup(data, (size_t)n);
	assert_non_null(out);
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return out;
}

static void
expect_csr(const char *cn, const char *o, long want, const char *slug)
{
	char path[128], *csr = csr_with(cn, o);

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	expect_post(path, json_pack("{s:s}", "csr", csr), want, slug);
	free(csr);
}

static void
test_csr_subjects(void **state)
{
	(void)state;
	expect_csr("dev" ZWSP "ice", NULL, 422, "csr-invalid-common-name");
	expect_csr("device\xc2\xad", NULL, 422, "csr-invalid-common-name");
	expect_csr("device", "Contoso" ZWSP, 422, "csr-invalid-subject");
	expect_csr("device", "Contoso", 201, NULL);
}

static void
test_est_user_and_query_values(void **state)
{
	char path[200], body[256];
	struct http_response r;

	(void)state;
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	snprintf(body, sizeof(body), "{\"est\": {\"basic_auth\": {\"username\": \"fleet%s\", "
	                             "\"password\": \"at least 12 chars\"}}}", ZWSP);
	http_expect(422, "invalid-field", http_call(&in, "PATCH", path, in.admin_token,
	                                            "application/json", body, strlen(body), &r),
	            &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?common_name=dev%%E2%%80%%8Bice",
	         ca_id);
	http_expect(400, "invalid-parameter", http_get(&in, path, in.admin_token, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?common_name=device", ca_id);
	http_expect(200, NULL, http_get(&in, path, in.admin_token, &r), &r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_names),
		cmocka_unit_test(test_ca_names),
		cmocka_unit_test(test_csr_subjects),
		cmocka_unit_test(test_est_user_and_query_values),
	};

	return fixture_run_tests(tests, &fx);
}
