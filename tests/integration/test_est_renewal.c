/* EST across a renewal of the issuing CA: devices whose certificates the
 * replaced CA certificate issued keep authenticating (leaf only, as aziot
 * renews) until those certificates expire, what they get chains to the new
 * CA certificate, cacerts serves the new chain, and a revoked old
 * certificate stays refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509v3.h>

#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char sub_id[64], est_base[512];
static X509 *root_cert;

static void
fixture_ready(void)
{
	struct http_response r;
	char root_id[64], *body;

	r = http_post_expect(&in, "/api/v1/cas", "{\"common_name\": \"Renewal Fleet Root\"}", 201);
	snprintf(root_id, sizeof(root_id), "%s", http_json_str(&r, "id"));
	root_cert = pem_cert(http_json_str(&r, "certificate_pem"));
	http_response_free(&r);
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Renewing Devices CA\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"client\"}}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	free(body);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	snprintf(est_base, sizeof(est_base), "/est/%s/default/.well-known/est", sub_id);
	http_response_free(&r);
}

static void
fixture_done(void)
{
	X509_free(root_cert);
}

static const struct fixture fx = {
	.in = &in,
	.name = "est_renewal",
	.ready = fixture_ready,
	.done = fixture_done,
};

/* simpleenroll as aziot renews: only the leaf, a new key, the same CN.
 * Returns the status; the issued certificate in *issued on 200. */
static long
renew_over_est(X509 *cert, EVP_PKEY *key, const char *cn, X509 **issued,
               struct http_response *r)
{
	struct est_tls tls = {.cert = cert, .key = key};
	EVP_PKEY *new_key = NULL;
	X509_REQ *csr = est_make_csr(cn, true, &new_key);
	long status = est_aziot_enroll(&in, &tls, est_base, csr, r);

	*issued = NULL;
	if (status == 200) {
		STACK_OF(X509) *certs = est_pkcs7_certs(r);
		assert_non_null(certs);
		*issued = sk_X509_shift(certs);
		sk_X509_pop_free(certs, X509_free);
	}
	X509_REQ_free(csr);
	EVP_PKEY_free(new_key);
	return status;
}

/* The CA certificate cacerts serves first. */
static X509 *
cacerts_first(void)
{
	struct est_tls none = {0};
	struct http_response r;
	STACK_OF(X509) *certs;
	X509 *x;
	char path[600];

	snprintf(path, sizeof(path), "%s/cacerts", est_base);
	assert_int_equal(est_request(&in, &none, "GET", path, NULL, NULL, 0, &r), 200);
	certs = est_pkcs7_certs(&r);
	assert_non_null(certs);
	x = sk_X509_shift(certs);
	sk_X509_pop_free(certs, X509_free);
	http_response_free(&r);
	return x;
}

static void
test_old_certificates_renew_after_ca_renewal(void **state)
{
	char path[200], serial[80], revoked_serial[80];
	EVP_PKEY *key = NULL, *revoked_key = NULL;
	X509 *device, *revoked, *old_ca, *new_ca, *issued = NULL;
	STACK_OF(X509) *chain;
	struct http_response r;

	(void)state;
	device = http_issue_cert(&in, sub_id, "renewing-device", &key, serial);
	revoked = http_issue_cert(&in, sub_id, "revoked-device", &revoked_key, revoked_serial);
	old_ca = cacerts_first();
	assert_int_equal(X509_check_issued(old_ca, device), X509_V_OK);

	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", sub_id);
	r = http_post_expect(&in, path, "{}", 200);
	new_ca = http_location_cert(&r, "default");
	http_response_free(&r);
	assert_int_not_equal(X509_cmp(new_ca, old_ca), 0);
	http_revoke(&in, sub_id, revoked_serial, "keyCompromise");

	/* cacerts: the new CA certificate, then the root */
	{
		X509 *served = cacerts_first();
		assert_int_equal(X509_cmp(served, new_ca), 0);
		X509_free(served);
	}
	/* the device's certificate from the old CA certificate still
	 * authenticates; the new one chains to the new CA certificate */
	assert_int_equal(renew_over_est(device, key, "renewing-device", &issued, &r), 200);
	http_response_free(&r);
	assert_non_null(issued);
	assert_int_equal(X509_check_issued(new_ca, issued), X509_V_OK);
	assert_int_not_equal(X509_check_issued(old_ca, issued), X509_V_OK);
	chain = sk_X509_new_null();
	assert_non_null(chain);
	assert_true(sk_X509_push(chain, new_ca) > 0);
	assert_int_equal(verify_chain(issued, chain, root_cert), X509_V_OK);
	sk_X509_free(chain);
	X509_free(issued);
	/* revoked stays refused, whichever CA certificate issued it */
	assert_int_equal(renew_over_est(revoked, revoked_key, "revoked-device", &issued, &r), 401);
	assert_non_null(strstr((const char *)r.body, "revoked"));
	http_response_free(&r);

	X509_free(device);
	X509_free(revoked);
	X509_free(old_ca);
	X509_free(new_ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(revoked_key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_certificates_renew_after_ca_renewal),
	};

	return fixture_run_tests(tests, &fx);
}
