/* The Azure IoT Edge flow over EST, end to end over real TLS, with the
 * requests aziot-certd sends (lower-case header names, no Accept, base64
 * in 64-column lines, cacerts fetched in parallel with simpleenroll):
 * bootstrap certificate -> EST identity certificate -> device identity
 * certificate authenticated by the identity certificate and its chain ->
 * renewal with a new key presenting only the old leaf -> an expired
 * identity certificate refused and renewal with the bootstrap certificate
 * -> the Edge CA certificate. Each answer is checked as aziot reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/signer_wire.h"

#define DEVICE "edge-device-01"

static struct instance in;
static char sub_id[64], est_base[512];
static X509 *root_cert;

static void
fixture_ready(void)
{
	struct http_response r;
	char root_id[64], *body;

	r = http_post_expect(&in, "/api/v1/cas", "{\"common_name\": \"Fleet Root\"}", 201);
	snprintf(root_id, sizeof(root_id), "%s", http_json_str(&r, "id"));
	root_cert = pem_cert(http_json_str(&r, "certificate_pem"));
	http_response_free(&r);
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Devices CA\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"client\", "
	          "\"allowed_templates\": [\"client\", \"iot_edge_ca\"]}}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	/* the URL devices are configured with, from the CA object */
	snprintf(est_base, sizeof(est_base), "%s",
	         est_url_path(json_string_value(json_object_get(
	             json_array_get(json_object_get(json_object_get(r.json, "est"), "urls"), 0),
	             "url"))));
	http_response_free(&r);
	free(body);
}

static void
fixture_done(void)
{
	X509_free(root_cert);
}

static const struct fixture fx = {
	.in = &in,
	.name = "est_aziot",
	.ready = fixture_ready,
	.done = fixture_done,
};

/* A certificate issued through the REST API for a fresh key (the factory
 * making a bootstrap certificate). */
static X509 *
rest_certificate(const char *cn, EVP_PKEY **key)
{
	return http_issue_cert(&in, sub_id, cn, key, NULL);
}

/* What aziot checks of a simpleenroll answer, and the certificate. */
static X509 *
check_enrolled(const struct http_response *r, const char *cn)
{
	STACK_OF(X509) *certs;
	const char *body = (const char *)r->body;
	X509 *x;
	char *got;

	assert_int_equal(r->status, 200);
	assert_string_equal(r->content_type, "application/pkcs7-mime; smime-type=certs-only");
	assert_string_equal(http_header(r, "content-transfer-encoding"), "base64");
	/* base64 in lines of 64 characters, each ending in a line feed */
	for (const char *line = body; *line; line = strchr(line, '\n') + 1) {
		size_t n = strcspn(line, "\n");
		assert_int_equal(line[n], '\n');
		if (line[n + 1] != '\0')
			assert_int_equal(n, 64);
		else
			assert_in_range(n, 1, 64);
	}
	certs = est_pkcs7_certs(r);
	assert_non_null(certs);
	assert_int_equal(sk_X509_num(certs), 1); /* only the issued certificate */
	x = sk_X509_value(certs, 0);
	X509_up_ref(x);
	sk_X509_pop_free(certs, X509_free);
	got = subject_cn(x);
	assert_string_equal(got, cn);
	free(got);
	assert_true(has_eku(x, NID_client_auth));
	assert_int_equal(X509_check_ca(x), 0);
	assert_true(ext_critical(x, NID_basic_constraints));
	return x;
}

/* cacerts as aziot stores it behind the leaf: the chain up to the root,
 * which must let the leaf verify. */
static void
check_chain(const struct http_response *cacerts, X509 *leaf)
{
	STACK_OF(X509) *chain;

	assert_int_equal(cacerts->status, 200);
	assert_string_equal(cacerts->content_type, "application/pkcs7-mime");
	assert_string_equal(http_header(cacerts, "content-transfer-encoding"), "base64");
	chain = est_pkcs7_certs(cacerts);
	assert_non_null(chain);
	assert_int_equal(sk_X509_num(chain), 2); /* Devices CA, Fleet Root */
	assert_int_equal(X509_check_issued(sk_X509_value(chain, 0), leaf), X509_V_OK);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 1), root_cert), 0);
	assert_int_equal(verify_chain(leaf, chain, root_cert), X509_V_OK);
	sk_X509_pop_free(chain, X509_free);
}

/* The certificate is stored, attributed to the EST client. */
static void
check_stored(X509 *x, const char *how)
{
	char path[256], want[40];
	struct http_response r;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = BN_bn2hex(bn); /* upper case: the API takes it */

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", sub_id, hex);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	snprintf(want, sizeof(want), "est:%s:", how);
	if (strncmp(http_json_str(&r, "requester"), want, strlen(want)) != 0)
		fail_msg("requester %s, expected %s...", http_json_str(&r, "requester"), want);
	http_response_free(&r);
	OPENSSL_free(hex);
	BN_free(bn);
}

static void
test_aziot_flow(void **state)
{
	EVP_PKEY *boot_key = NULL, *id_key = NULL, *id2_key = NULL, *dev_key = NULL;
	X509 *boot = rest_certificate(DEVICE, &boot_key), *identity, *identity2, *device, *edge;
	X509_REQ *csr;
	STACK_OF(X509) *chain;
	struct http_response enroll, cacerts;
	struct est_tls tls = {boot, NULL, boot_key, NULL, 0};

	/* 1. bootstrap certificate -> EST identity certificate (EC P-256 key,
	 *    the CSR asking EKU clientAuth), cacerts fetched in parallel */
	csr = est_make_csr(DEVICE, true, &id_key);
	est_aziot_issue(&in, &tls, est_base, csr, &enroll, &cacerts);
	identity = check_enrolled(&enroll, DEVICE);
	check_chain(&cacerts, identity);
	check_stored(identity, "issued");
	X509_REQ_free(csr);
	http_response_free(&cacerts);

	/* 2. identity certificate plus the cacerts chain -> the device identity
	 *    certificate (aziot-identityd's CSR: CN only, no extensions) */
	{
		struct http_response ca;
		struct est_tls t = {NULL, NULL, NULL, NULL, 0};
		char path[600];
		snprintf(path, sizeof(path), "%s/cacerts", est_base);
		assert_int_equal(est_request(&in, &t, "GET", path, NULL, NULL, 0, &ca), 200);
		chain = est_pkcs7_certs(&ca);
		http_response_free(&ca);
	}
	http_response_free(&enroll);
	tls = (struct est_tls){identity, chain, id_key, NULL, 0};
	csr = est_make_csr(DEVICE, false, &dev_key);
	est_aziot_issue(&in, &tls, est_base, csr, &enroll, &cacerts);
	device = check_enrolled(&enroll, DEVICE);
	check_chain(&cacerts, device);
	X509_REQ_free(csr);
	http_response_free(&enroll);
	http_response_free(&cacerts);

	/* 3. renewal: a new key, TLS with only the old leaf */
	tls = (struct est_tls){identity, NULL, id_key, NULL, 0};
	csr = est_make_csr(DEVICE, true, &id2_key);
	assert_int_equal(est_aziot_enroll(&in, &tls, est_base, csr, &enroll), 200);
	identity2 = check_enrolled(&enroll, DEVICE);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(identity2), id2_key), 1);
	assert_int_not_equal(EVP_PKEY_eq(X509_get0_pubkey(identity2), id_key), 1);
	check_stored(identity2, "issued");
	X509_REQ_free(csr);
	http_response_free(&enroll);

	/* 4. the Edge CA certificate: CN "aziot-edge CA <device id>" */
	tls = (struct est_tls){identity2, NULL, id2_key, NULL, 0};
	csr = est_make_csr("aziot-edge CA " DEVICE, false, NULL);
	assert_int_equal(est_aziot_enroll(&in, &tls, est_base, csr, &enroll), 200);
	{
		STACK_OF(X509) *got = est_pkcs7_certs(&enroll);
		assert_non_null(got);
		edge = sk_X509_value(got, 0);
		assert_int_equal(X509_check_ca(edge), 1);
		assert_int_equal(X509_get_pathlen(edge), 0);
		sk_X509_pop_free(got, X509_free);
	}
	X509_REQ_free(csr);
	http_response_free(&enroll);

	sk_X509_pop_free(chain, X509_free);
	X509_free(identity);
	X509_free(identity2);
	X509_free(device);
	X509_free(boot);
	EVP_PKEY_free(boot_key);
	EVP_PKEY_free(id_key);
	EVP_PKEY_free(id2_key);
	EVP_PKEY_free(dev_key);
}

/* After its identity certificate expired, aziot falls back to the
 * bootstrap certificate. The short-lived identity certificate is signed
 * at the signer's socket with the CA location's key (the API never
 * issues one that expires within seconds). */
static void
test_expired_identity_then_bootstrap(void **state)
{
	EVP_PKEY *boot_key = NULL, *old_key = NULL;
	X509 *boot = rest_certificate(DEVICE, &boot_key), *old;
	X509_REQ *old_csr = est_make_csr(DEVICE, true, &old_key), *csr;
	char key_id[65], *data, *pem;
	struct signer_msg reply;
	struct http_response r;
	struct est_tls tls;
	BIO *b = BIO_new(BIO_s_mem());
	const struct signer_field *f;
	const unsigned char *p;
	long n;
	int fd;

	/* the old identity certificate, valid for two seconds */
	wire_key_of(&in, sub_id, NULL, key_id);
	PEM_write_bio_X509_REQ(b, old_csr);
	n = BIO_get_mem_data(b, &data);
	pem = strndup(data, (size_t)n);
	fd = wire_connect(in.signer_socket);
	assert_int_equal(wire_issue(fd, key_id, "client", pem, time(NULL) + 2, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	f = signer_msg_get(&reply, SIGNER_TAG_CERTIFICATE);
	p = f->val;
	old = d2i_X509(NULL, &p, f->len);
	assert_non_null(old);
	signer_msg_free(&reply);
	close(fd);
	BIO_free(b);
	free(pem);
	sleep(3);

	tls = (struct est_tls){old, NULL, old_key, NULL, 0};
	csr = est_make_csr(DEVICE, true, NULL);
	assert_int_equal(est_aziot_enroll(&in, &tls, est_base, csr, &r), 401);
	assert_non_null(strstr((const char *)r.body, "expired"));
	assert_non_null(http_header(&r, "www-authenticate"));
	http_response_free(&r);
	tls = (struct est_tls){boot, NULL, boot_key, NULL, 0};
	assert_int_equal(est_aziot_enroll(&in, &tls, est_base, csr, &r), 200);
	X509_free(check_enrolled(&r, DEVICE));
	http_response_free(&r);

	X509_REQ_free(csr);
	X509_REQ_free(old_csr);
	X509_free(old);
	X509_free(boot);
	EVP_PKEY_free(boot_key);
	EVP_PKEY_free(old_key);
}

/* libest caps TLS at 1.2 and sends base64 with line breaks too. */
static void
test_tls12_client(void **state)
{
	EVP_PKEY *key = NULL;
	X509 *boot = rest_certificate("libest-device", &key);
	X509_REQ *csr = est_make_csr("libest-device", false, NULL);
	struct est_tls tls = {boot, NULL, key, NULL, TLS1_2_VERSION};
	struct http_response r;

	assert_int_equal(est_aziot_enroll(&in, &tls, est_base, csr, &r), 200);
	X509_free(check_enrolled(&r, "libest-device"));
	http_response_free(&r);
	X509_REQ_free(csr);
	X509_free(boot);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aziot_flow),
		cmocka_unit_test(test_expired_identity_then_bootstrap),
		cmocka_unit_test(test_tls12_client),
	};

	return fixture_run_tests(tests, &fx);
}
