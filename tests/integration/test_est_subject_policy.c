/* EST subject_policy match_client_cert over real TLS: a device gets
 * certificates only for names its own certificate carries. The review's
 * reproducers (a device whose certificate is CN=dev2 asking for
 * C/O/OU/serialNumber besides its CN, and, under the ssl EST template,
 * for login.microsoftonline.com, *.corp.example.com and 10.0.0.1) answer
 * 403; a bootstrap certificate with more attributes still enrolls for its
 * CN alone, as aziot-certd asks, or for a subset of its subject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/x509util.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "est_subject_policy",
};

/* A CA from body; est_base receives the EST path of its first location. */
static void
make_ca(const char *body, char id[64], char est_base[512])
{
	struct http_response r = http_post_expect(&in, "/api/v1/cas", body, 201);

	snprintf(id, 64, "%s", http_json_str(&r, "id"));
	est_ca_base(&r, est_base);
	http_response_free(&r);
}

static X509_REQ *
req_of(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509_REQ *req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);

	assert_non_null(req);
	BIO_free(b);
	return req;
}

/* simpleenroll of a CSR with subject and sans, presenting cert/key:
 * the status; the issued certificate in *issued when 200 and issued is
 * not NULL; the reason must name what when given. */
static long
enroll(X509 *cert, EVP_PKEY *key, const char *base, const char *subject, const char *sans,
       const char *what, X509 **issued)
{
	struct est_tls tls = {cert, NULL, key, NULL, 0};
	char *pem = make_csr_subject(subject, sans, NULL);
	X509_REQ *req = req_of(pem);
	struct http_response r;
	long status = est_aziot_enroll(&in, &tls, base, req, &r);

	if (what != NULL && (r.body == NULL || strstr((char *)r.body, what) == NULL))
		fail_msg("%s %s: the answer \"%s\" does not name %s", subject, sans ? sans : "",
		         r.body ? (char *)r.body : "", what);
	if (status == 200 && issued != NULL) {
		STACK_OF(X509) *certs = est_pkcs7_certs(&r);
		assert_non_null(certs);
		*issued = sk_X509_shift(certs);
		sk_X509_pop_free(certs, X509_free);
	}
	http_response_free(&r);
	X509_REQ_free(req);
	free(pem);
	return status;
}

static char *
subject_of(X509 *x)
{
	return x509_name_string(X509_get_subject_name(x));
}

/* MEDIUM-1, first half: extra subject attributes under the client template. */
static void
test_extra_subject_attributes_refused(void **state)
{
	char ca[64], base[512], *s;
	EVP_PKEY *key = NULL;
	X509 *dev2, *issued = NULL;

	make_ca("{\"common_name\": \"Subject Client CA\", \"issuance\": {\"template\": \"client\"}}",
	        ca, base);
	dev2 = http_issue_cert(&in, ca, "dev2", &key, NULL);
	assert_int_equal(enroll(dev2, key, base,
	                        "/C=US/O=Contoso Corp/OU=PKI Administrators/serialNumber=0001/CN=dev2",
	                        NULL, "C=\"US\"", NULL),
	                 403);
	assert_int_equal(enroll(dev2, key, base, "/O=Contoso Corp/CN=dev2", NULL,
	                        "O=\"Contoso Corp\"", NULL),
	                 403);
	assert_int_equal(enroll(dev2, key, base, "/CN=dev2/OU=PKI Administrators", NULL,
	                        "OU=\"PKI Administrators\"", NULL),
	                 403);
	/* its own subject still enrolls */
	assert_int_equal(enroll(dev2, key, base, "/CN=dev2", NULL, NULL, &issued), 200);
	s = subject_of(issued);
	assert_string_equal(s, "CN=dev2");
	free(s);
	X509_free(issued);
	X509_free(dev2);
	EVP_PKEY_free(key);
}

/* MEDIUM-1, second half: under the ssl EST template a device asked for
 * any host name or IP address as a server certificate. */
static void
test_extra_alt_names_refused_under_ssl(void **state)
{
	char ca[64], base[512], *sans;
	EVP_PKEY *key = NULL;
	X509 *dev2, *issued = NULL;

	make_ca("{\"common_name\": \"Subject SSL CA\", \"issuance\": {\"template\": \"ssl\", "
	        "\"allowed_templates\": [\"ssl\", \"client\"]}, \"est\": {\"template\": \"ssl\"}}",
	        ca, base);
	dev2 = http_issue_cert(&in, ca, "dev2", &key, NULL);
	assert_int_equal(enroll(dev2, key, base, "/CN=dev2",
	                        "DNS:login.microsoftonline.com,DNS:*.corp.example.com,IP:10.0.0.1",
	                        "DNS:login.microsoftonline.com", NULL),
	                 403);
	assert_int_equal(enroll(dev2, key, base, "/CN=dev2", "DNS:*.corp.example.com",
	                        "DNS:*.corp.example.com", NULL),
	                 403);
	assert_int_equal(enroll(dev2, key, base, "/CN=dev2", "IP:10.0.0.1", "IP:10.0.0.1", NULL),
	                 403);
	/* the CN, which the ssl template writes as the SAN, is the device's own */
	assert_int_equal(enroll(dev2, key, base, "/CN=dev2", "DNS:dev2", NULL, &issued), 200);
	sans = san_string(issued);
	assert_string_equal(sans, "DNS:dev2");
	assert_true(has_eku(issued, NID_server_auth));
	free(sans);
	X509_free(issued);
	X509_free(dev2);
	EVP_PKEY_free(key);
}

/* A factory's bootstrap certificate carries C, O, OU and the CN: the
 * device enrolls for its CN alone (aziot-certd's request) or a subset of
 * its subject in the same order, not for other values or another order. */
static void
test_subset_of_bootstrap_subject_enrolls(void **state)
{
	EVP_PKEY *factory_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *boot_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *factory = pki_make_cert("Contoso Factory CA", factory_key, NULL, NULL, true, NULL, 30);
	X509 *boot = pki_make_cert("edge-001", boot_key, factory, factory_key, false, "clientAuth",
	                           30);
	X509_NAME *name = X509_NAME_new();
	X509 *issued = NULL;
	char ca[64], base[512], path[128], *pem = cert_pem(factory), *s;
	json_t *patch;
	char *body;
	struct http_response r;

	/* the factory's subject for the device, C, O, OU, CN */
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (unsigned char *)"Contoso", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, (unsigned char *)"Fleet", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (unsigned char *)"edge-001", -1, -1,
	                           0);
	assert_int_equal(X509_set_subject_name(boot, name), 1);
	assert_true(X509_sign(boot, factory_key, EVP_sha256()) > 0);
	make_ca("{\"common_name\": \"Subject Bootstrap CA\", \"issuance\": {\"template\": "
	        "\"client\"}}",
	        ca, base);
	patch = json_pack("{s:{s:[s]}}", "est", "bootstrap_trust", pem);
	body = json_dumps(patch, JSON_COMPACT);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca);
	assert_int_equal(http_call(&in, "PATCH", path, in.admin_token, "application/json", body,
	                           strlen(body), &r),
	                 200);
	http_response_free(&r);
	assert_int_equal(enroll(boot, boot_key, base, "/CN=edge-001", NULL, NULL, &issued), 200);
	s = subject_of(issued);
	assert_string_equal(s, "CN=edge-001");
	free(s);
	X509_free(issued);
	issued = NULL;
	assert_int_equal(enroll(boot, boot_key, base, "/O=Contoso/CN=edge-001", NULL, NULL, &issued),
	                 200);
	s = subject_of(issued);
	assert_string_equal(s, "CN=edge-001,O=Contoso"); /* RFC 2253: the last first */
	free(s);
	X509_free(issued);
	assert_int_equal(enroll(boot, boot_key, base, "/C=US/O=Contoso/OU=Fleet/CN=edge-001", NULL,
	                        NULL, NULL),
	                 200);
	assert_int_equal(enroll(boot, boot_key, base, "/O=Contoso Corp/CN=edge-001", NULL,
	                        "O=\"Contoso Corp\"", NULL),
	                 403);
	assert_int_equal(enroll(boot, boot_key, base, "/OU=Fleet/O=Contoso/CN=edge-001", NULL,
	                        "O=\"Contoso\"", NULL),
	                 403);
	assert_int_equal(enroll(boot, boot_key, base, "/CN=edge-002", NULL, "edge-001", NULL), 403);
	json_decref(patch);
	free(body);
	free(pem);
	X509_NAME_free(name);
	X509_free(boot);
	X509_free(factory);
	EVP_PKEY_free(boot_key);
	EVP_PKEY_free(factory_key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extra_subject_attributes_refused),
		cmocka_unit_test(test_extra_alt_names_refused_under_ssl),
		cmocka_unit_test(test_subset_of_bootstrap_subject_enrolls),
	};
	return fixture_run_tests(tests, &fx);
}
