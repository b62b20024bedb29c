/* Downloading an issued certificate by Accept: JSON (default), the PEM
 * chain, PEM, DER and certs-only PKCS#7, each parsed with OpenSSL and
 * checked to be the certificate issued, the chains verified to the root;
 * q-values, wildcards and 406. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char root_id[64];
static char sub_id[64];
static char serial[80];
static char path[256];
static X509 *root_cert;
static X509 *sub_cert;
static X509 *leaf;

/* A subordinate under the fixture's root, and a device certificate from
 * it: the leaf's chain is then the subordinate and the root. */
static void
fixture_ready(void)
{
	struct http_response r;
	char *body = NULL;

	assert_true(asprintf(&body,
	                     "{\"kind\": \"subordinate\", \"common_name\": \"Download Issuing CA\", "
	                     "\"parent_ca_id\": \"%s\", \"validity_days\": 730, "
	                     "\"issuance\": {\"template\": \"client\"}}",
	                     root_id) > 0);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	sub_cert = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(sub_cert);
	http_response_free(&r);
	free(body);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificate", root_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	root_cert = pem_cert((const char *)r.body);
	assert_non_null(root_cert);
	http_response_free(&r);
	leaf = http_issue_cert(&in, sub_id, "download-device", NULL, serial);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", sub_id, serial);
}

static void
fixture_done(void)
{
	X509_free(leaf);
	X509_free(sub_cert);
	X509_free(root_cert);
}

static const struct fixture fx = {
	.in = &in,
	.name = "cert_download",
	.ca_json = "{\"common_name\": \"Download Root\", \"validity_days\": 3650, "
	           "\"issuance\": {\"template\": \"subordinate_ca\"}}",
	.ca_id = root_id,
	.ready = fixture_ready,
	.done = fixture_done,
};

/* GETs the certificate with this Accept header (NULL: none, which curl
 * sends when told "Accept:"); expects 200 and, when given, this content
 * type. */
static void
get(const char *accept, const char *want_type, struct http_response *r)
{
	char header[256];
	const char *headers[] = {header, NULL};

	if (accept != NULL)
		snprintf(header, sizeof(header), "Accept: %s", accept);
	else
		snprintf(header, sizeof(header), "Accept:");
	assert_int_equal(http_call_h(&in, "GET", path, in.admin_token, NULL, NULL, 0, headers, r),
	                 200);
	if (want_type != NULL)
		assert_string_equal(r->content_type, want_type);
}

/* The attachment name the answer gives. */
static void
assert_attachment(const struct http_response *r, const char *ext)
{
	char want[160];

	snprintf(want, sizeof(want), "attachment; filename=\"%s.%s\"", serial, ext);
	assert_non_null(http_header(r, "Content-Disposition"));
	assert_string_equal(http_header(r, "Content-Disposition"), want);
}

/* certs verifies: the first is the leaf, the rest the subordinate then
 * the root (as GET .../chain answers), and the leaf verifies to the root
 * through them. */
static void
assert_full_chain(STACK_OF(X509) *certs)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();

	assert_non_null(certs);
	assert_int_equal(sk_X509_num(certs), 3);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), leaf), 0);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 1), sub_cert), 0);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 2), root_cert), 0);
	assert_non_null(untrusted);
	assert_true(sk_X509_push(untrusted, sk_X509_value(certs, 1)) > 0);
	assert_int_equal(verify_chain(sk_X509_value(certs, 0), untrusted, root_cert), X509_V_OK);
	/* and not without the subordinate: the chain is what makes it verify */
	sk_X509_zero(untrusted);
	assert_int_not_equal(verify_chain(sk_X509_value(certs, 0), untrusted, root_cert),
	                     X509_V_OK);
	sk_X509_free(untrusted);
}

static void
test_json_by_default(void **state)
{
	struct http_response r;

	get(NULL, "application/json", &r);
	assert_string_equal(http_json_str(&r, "serial_number"), serial);
	assert_null(http_header(&r, "Content-Disposition"));
	http_response_free(&r);
	get("*/*", "application/json", &r);
	http_response_free(&r);
	get("application/json", "application/json", &r);
	http_response_free(&r);
}

static void
test_pem_chain(void **state)
{
	struct http_response r, ca_chain;
	STACK_OF(X509) *certs;
	char chain_path[256];
	size_t leaf_len;

	get("application/pem-certificate-chain", "application/pem-certificate-chain", &r);
	assert_attachment(&r, "chain.pem");
	certs = pem_certs((const char *)r.body);
	assert_full_chain(certs);
	sk_X509_pop_free(certs, X509_free);
	/* the leaf's PEM then exactly what the CA chain endpoint serves */
	snprintf(chain_path, sizeof(chain_path), "/api/v1/cas/%s/chain", sub_id);
	assert_int_equal(http_get(&in, chain_path, in.admin_token, &ca_chain), 200);
	assert_true(r.body_len > ca_chain.body_len);
	leaf_len = r.body_len - ca_chain.body_len;
	assert_memory_equal(r.body + leaf_len, ca_chain.body, ca_chain.body_len);
	http_response_free(&ca_chain);
	http_response_free(&r);
}

static void
test_pem_and_der(void **state)
{
	struct http_response pem, der;
	const unsigned char *p;
	STACK_OF(X509) *certs;
	X509 *x;

	get("application/x-pem-file", "application/x-pem-file", &pem);
	assert_attachment(&pem, "pem");
	certs = pem_certs((const char *)pem.body);
	assert_non_null(certs);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), leaf), 0);
	sk_X509_pop_free(certs, X509_free);
	get("application/pkix-cert", "application/pkix-cert", &der);
	assert_attachment(&der, "cer");
	p = der.body;
	x = d2i_X509(NULL, &p, (long)der.body_len);
	assert_non_null(x);
	assert_ptr_equal(p, der.body + der.body_len);
	assert_int_equal(X509_cmp(x, leaf), 0);
	X509_free(x);
	http_response_free(&pem);
	http_response_free(&der);
}

static void
test_pkcs7(void **state)
{
	struct http_response r;
	const unsigned char *p;
	PKCS7 *p7;

	get("application/pkcs7-mime", "application/pkcs7-mime", &r);
	assert_attachment(&r, "p7c");
	p = r.body;
	p7 = d2i_PKCS7(NULL, &p, (long)r.body_len);
	assert_non_null(p7);
	assert_ptr_equal(p, r.body + r.body_len);
	assert_true(PKCS7_type_is_signed(p7));
	assert_int_equal(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info), 0);
	assert_full_chain(p7->d.sign->cert);
	PKCS7_free(p7);
	http_response_free(&r);
}

static void
test_q_values(void **state)
{
	struct http_response r;

	/* the highest q-value wins over the order of the header */
	get("application/json;q=0.1, application/pkix-cert;q=0.9", "application/pkix-cert", &r);
	http_response_free(&r);
	/* q=0 refuses a type a wildcard would otherwise give */
	get("application/json;q=0, */*;q=0.5", "application/pem-certificate-chain", &r);
	http_response_free(&r);
	/* a type range: the first offer of that type, JSON */
	get("application/*", "application/json", &r);
	http_response_free(&r);
	/* an exact type beats the wildcard's q-value for it */
	get("application/*;q=0.2, application/pkcs7-mime;q=0.3", "application/pkcs7-mime", &r);
	http_response_free(&r);
	/* case does not matter in media types */
	get("Application/X-PEM-File", "application/x-pem-file", &r);
	http_response_free(&r);
}

static void
test_not_acceptable(void **state)
{
	const char *html[] = {"Accept: text/html", NULL};
	const char *none[] = {"Accept: application/pkix-cert;q=0, application/json;q=0, "
	                      "application/x-pem-file;q=0, application/pem-certificate-chain;q=0, "
	                      "application/pkcs7-mime;q=0", NULL};
	struct http_response r;
	const char *detail;

	assert_int_equal(http_call_h(&in, "GET", path, in.admin_token, NULL, NULL, 0, html, &r),
	                 406);
	assert_string_equal(r.content_type, "application/problem+json");
	assert_string_equal(http_problem_type(&r), "not-acceptable");
	detail = json_string_value(json_object_get(r.json, "detail"));
	assert_non_null(detail);
	assert_non_null(strstr(detail, "application/pem-certificate-chain"));
	assert_non_null(strstr(detail, "application/pkcs7-mime"));
	assert_non_null(strstr(detail, "application/pkix-cert"));
	assert_non_null(strstr(detail, "application/x-pem-file"));
	assert_null(http_header(&r, "Content-Disposition"));
	http_response_free(&r);
	http_expect(406, "not-acceptable",
	            http_call_h(&in, "GET", path, in.admin_token, NULL, NULL, 0, none, &r), &r);
	/* an unknown certificate is still a 404, whatever the Accept */
	{
		char missing[256];
		const char *der[] = {"Accept: application/pkix-cert", NULL};
		snprintf(missing, sizeof(missing), "/api/v1/cas/%s/certificates/abcdef0123", sub_id);
		http_expect(404, "certificate-not-found",
		            http_call_h(&in, "GET", missing, in.admin_token, NULL, NULL, 0, der, &r),
		            &r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_by_default),
		cmocka_unit_test(test_pem_chain),
		cmocka_unit_test(test_pem_and_der),
		cmocka_unit_test(test_pkcs7),
		cmocka_unit_test(test_q_values),
		cmocka_unit_test(test_not_acceptable),
	};

	return fixture_run_tests(tests, &fx);
}
