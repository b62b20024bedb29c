/* Certificates whose issuing CA location is revoked (with every key it
 * had, or with its whole CA) never look valid: status issuer_revoked in
 * reads, lists and the status filter, with the issuer's revocation; the
 * CA and each location show their revocation (reason, time, actor); EST
 * keeps refusing such a certificate as a client identity. */
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
static char root_id[64], sub_id[64];

static void
fixture_ready(void)
{
	char *body;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Regional Devices CA\", "
	          "\"parent_ca_id\": \"%s\", \"locations\": [\"a\", \"b\"], "
	          "\"issuance\": {\"template\": \"client\"}}", root_id);
	http_create_ca(&in, body, sub_id);
	free(body);
}

static const struct fixture fx = {
	.in = &in,
	.name = "issuer_revoked",
	.ca_json = "{\"common_name\": \"Revoking Root\"}",
	.ca_id = root_id,
	.ready = fixture_ready,
};

/* A device certificate for a new key (*key) from location of the sub CA;
 * its serial in serial. */
static X509 *
issue_at(const char *location, const char *cn, EVP_PKEY **key, char serial[80])
{
	char path[128], *csr = make_csr("EC-P256", cn, NULL, key), *text;
	json_t *j = json_pack("{s:s, s:s}", "csr", csr, "location", location);
	struct http_response r;
	X509 *x;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", sub_id);
	text = json_dumps(j, 0);
	r = http_post_expect(&in, path, text, 201);
	snprintf(serial, 80, "%s", http_json_str(&r, "serial_number"));
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(x);
	http_response_free(&r);
	json_decref(j);
	free(text);
	free(csr);
	return x;
}

/* The certificate's view; the caller frees it. */
static struct http_response
get_cert(const char *serial)
{
	struct http_response r;
	char path[200];

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", sub_id, serial);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	return r;
}

/* Fails unless the certificate's status is status and its
 * issuer_revocation has reason (NULL: is null). */
static void
expect_cert(const char *serial, const char *status, const char *reason)
{
	struct http_response r = get_cert(serial);
	const json_t *ir = json_object_get(r.json, "issuer_revocation");

	assert_string_equal(http_json_str(&r, "status"), status);
	if (reason == NULL) {
		assert_true(json_is_null(ir));
	} else {
		assert_string_equal(json_string_value(json_object_get(ir, "reason")), reason);
		assert_string_equal(json_string_value(json_object_get(ir, "revoked_by")),
		                    "token:admin");
		assert_true(json_is_string(json_object_get(ir, "revoked_at")));
	}
	http_response_free(&r);
}

/* The serials listed under ?status=status, in order, comma-separated. */
static void
expect_listed(const char *status, const char *want)
{
	char path[200], got[1024] = "";
	struct http_response r;
	const json_t *items;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=%s", sub_id, status);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	items = json_object_get(r.json, "items");
	for (size_t i = 0; i < json_array_size(items); i++) {
		const json_t *item = json_array_get(items, i);
		assert_string_equal(json_string_value(json_object_get(item, "status")), status);
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
		         json_string_value(json_object_get(item, "serial_number")));
	}
	assert_string_equal(got, want);
	http_response_free(&r);
}

/* A CA revocation member (CA or location) has reason, by the admin. */
static void
expect_revocation(const json_t *rev, const char *reason)
{
	if (reason == NULL) {
		assert_true(json_is_null(rev));
		return;
	}
	assert_string_equal(json_string_value(json_object_get(rev, "reason")), reason);
	assert_string_equal(json_string_value(json_object_get(rev, "revoked_by")), "token:admin");
	assert_true(json_is_string(json_object_get(rev, "revoked_at")));
}

/* The CA's view: its revocation and its locations' a and b. */
static void
expect_ca(const char *status, const char *ca_reason, const char *a_reason, const char *b_reason)
{
	struct http_response r;
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/cas/%s", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(http_json_str(&r, "status"), status);
	expect_revocation(json_object_get(r.json, "revocation"), ca_reason);
	expect_revocation(json_object_get(http_location(&r, "a"), "revocation"), a_reason);
	expect_revocation(json_object_get(http_location(&r, "b"), "revocation"), b_reason);
	http_response_free(&r);
}

/* simpleenroll at location's EST URL with cert and key as the client. */
static long
enroll_at(const char *location, X509 *cert, EVP_PKEY *key, const char *cn)
{
	struct est_tls tls = {.cert = cert, .key = key};
	EVP_PKEY *new_key = NULL;
	X509_REQ *csr = est_make_csr(cn, true, &new_key);
	struct http_response r;
	char base[200];
	long status;

	snprintf(base, sizeof(base), "/est/%s/%s/.well-known/est", sub_id, location);
	status = est_aziot_enroll(&in, &tls, base, csr, &r);
	http_response_free(&r);
	X509_REQ_free(csr);
	EVP_PKEY_free(new_key);
	return status;
}

static void
test_certificates_of_a_revoked_location(void **state)
{
	char s[5][80], path[200], want[400], *n;
	EVP_PKEY *k[5] = {0};
	X509 *d[5];
	struct http_response r;

	(void)state;
	/* d0 from a's first key; a is renewed; d1 from its second key */
	d[0] = issue_at("a", "device-a0", &k[0], s[0]);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", sub_id);
	r = http_post_expect(&in, path, "{\"location\": \"a\"}", 200);
	http_response_free(&r);
	d[1] = issue_at("a", "device-a1", &k[1], s[1]);
	d[2] = issue_at("b", "device-b2", &k[2], s[2]);
	d[3] = issue_at("a", "device-a3", &k[3], s[3]);
	http_revoke(&in, sub_id, s[3], "superseded");
	d[4] = issue_at("b", "device-b4", &k[4], s[4]);
	/* d1 and d4 expired (their notAfter moved into the past) */
	n = instance_sql(&in, "UPDATE certificates SET not_after = now() - interval '1 second' "
	                      "WHERE ca_id = '%s' AND serial IN ('%s', '%s') RETURNING 1", sub_id,
	                 s[1], s[4]);
	free(n);
	expect_cert(s[0], "valid", NULL);
	expect_cert(s[1], "expired", NULL);
	expect_ca("active", NULL, NULL, NULL);

	/* location a is revoked, with both its keys */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/a/revoke", sub_id);
	r = http_post_expect(&in, path, "{\"reason\": \"keyCompromise\"}", 200);
	http_response_free(&r);
	expect_cert(s[0], "issuer_revoked", "keyCompromise");
	expect_cert(s[1], "issuer_revoked", "keyCompromise"); /* before expired */
	expect_cert(s[3], "revoked", "keyCompromise");        /* its own revocation first */
	expect_cert(s[2], "valid", NULL);
	expect_cert(s[4], "expired", NULL);
	snprintf(want, sizeof(want), "%s,%s", s[0], s[1]);
	expect_listed("issuer_revoked", want);
	expect_listed("valid", s[2]);
	expect_listed("revoked", s[3]);
	expect_listed("expired", s[4]);
	expect_ca("active", NULL, "keyCompromise", NULL);
	/* EST: the revoked location serves nothing, and what it signed is no
	 * client identity at the other location; b's own devices enroll */
	assert_int_equal(enroll_at("b", d[0], k[0], "device-a0"), 401);
	assert_int_equal(enroll_at("b", d[1], k[1], "device-a1"), 401);
	assert_int_equal(enroll_at("a", d[2], k[2], "device-b2"), 404);
	assert_int_equal(enroll_at("b", d[2], k[2], "device-b2"), 200);

	/* the whole CA: b goes with its reason, a keeps its own */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/revoke", sub_id);
	r = http_post_expect(&in, path, "{\"reason\": \"cessationOfOperation\"}", 200);
	http_response_free(&r);
	expect_ca("revoked", "cessationOfOperation", "keyCompromise", "cessationOfOperation");
	expect_cert(s[2], "issuer_revoked", "cessationOfOperation");
	expect_cert(s[4], "issuer_revoked", "cessationOfOperation");
	expect_cert(s[0], "issuer_revoked", "keyCompromise");
	expect_listed("valid", "");
	expect_listed("expired", "");
	/* the CA list shows it too; the root is not revoked */
	assert_int_equal(http_get(&in, "/api/v1/cas", in.admin_token, &r), 200);
	for (size_t i = 0; i < json_array_size(json_object_get(r.json, "items")); i++) {
		const json_t *ca = json_array_get(json_object_get(r.json, "items"), i);
		const char *id = json_string_value(json_object_get(ca, "id"));
		expect_revocation(json_object_get(ca, "revocation"),
		                  strcmp(id, sub_id) == 0 ? "cessationOfOperation" : NULL);
	}
	http_response_free(&r);
	/* an unknown status is still refused */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=issuer-revoked", sub_id);
	http_expect(400, "invalid-parameter", http_get(&in, path, in.admin_token, &r), &r);
	for (int i = 0; i < 5; i++) {
		X509_free(d[i]);
		EVP_PKEY_free(k[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certificates_of_a_revoked_location),
	};
	return fixture_run_tests(tests, &fx);
}
