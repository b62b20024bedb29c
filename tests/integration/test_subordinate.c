/* Subordinate CAs end to end: root -> subordinate (two locations) ->
 * device, chained internally at creation or later, chained to an external
 * root made with the openssl command line (and every wrong upload refused
 * with its reason), chains as PEM and PKCS#7, and the AIA/CDP URLs with
 * the public issuer certificate. Path length, validity and template limits
 * are in test_ca_policy.c. */
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
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "common/timeutil.h"
#include "tests/integration/external_root.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/signer_wire.h"

#define PUBLIC_URL "https://ca.example.test:8443"
/* the base of the CRL and issuer URLs certificates carry */
#define PKI_URL "http://pki.example.test"

static struct instance in;
static char root_id[64];
static X509 *root_cert;

static void
fixture_ready(void)
{
	struct http_response r;

	assert_int_equal(http_post_json(&in, "/api/v1/cas", in.admin_token,
	                                "{\"common_name\": \"Fleet Root\", \"validity_days\": 3650, "
	                                "\"issuance\": {\"template\": \"subordinate_ca\"}}", &r),
	                 201);
	snprintf(root_id, sizeof(root_id), "%s", http_json_str(&r, "id"));
	root_cert = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(root_cert);
	http_response_free(&r);
}

static void
fixture_done(void)
{
	X509_free(root_cert);
}

static const struct fixture fx = {
	.in = &in,
	.name = "subordinate",
	.env = {
		"EDGECA_PUBLIC_URL=" PUBLIC_URL,
		"EDGECA_PUBLIC_PKI_URL=" PKI_URL,
	},
	.ready = fixture_ready,
	.done = fixture_done,
};

/* Issues a device certificate from location (NULL: default) of ca. */
static X509 *
issue_device(const char *ca, const char *location, const char *cn, char *chain_out,
             size_t chain_len)
{
	struct http_response r = http_issue(&in, ca, location, cn);
	X509 *x = pem_cert(http_json_str(&r, "certificate_pem"));

	if (chain_out != NULL)
		snprintf(chain_out, chain_len, "%s", http_json_str(&r, "chain_pem"));
	http_response_free(&r);
	return x;
}

static void
test_internal_two_locations(void **state)
{
	char chain[8192], root_url[256], sub_url[256], sub_id[64], path[256];
	STACK_OF(X509) *untrusted;
	struct http_response r;
	X509 *west, *east, *leaf;
	const char *locs[] = {"westeurope", "eastus"};
	char *body;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Fleet Issuing CA\", "
	                "\"parent_ca_id\": \"%s\", \"locations\": [\"westeurope\", \"eastus\"], "
	                "\"validity_days\": 730}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	free(body);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	assert_string_equal(http_json_str(&r, "status"), "active");
	assert_string_equal(http_json_str(&r, "chaining"), "internal");
	assert_string_equal(http_json_str(&r, "parent_ca_id"), root_id);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "issuance"),
	                                                      "template")), "ssl");
	west = http_location_cert(&r, "westeurope");
	east = http_location_cert(&r, "eastus");
	http_response_free(&r);
	/* two keys, one subject, both signed by the root as CAs */
	assert_int_not_equal(EVP_PKEY_eq(X509_get0_pubkey(west), X509_get0_pubkey(east)), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(west), X509_get_subject_name(east)), 0);
	for (int i = 0; i < 2; i++) {
		X509 *sub = i == 0 ? west : east;
		STACK_OF(X509) *none = sk_X509_new_null();
		time_t na;
		assert_int_equal(verify_chain(sub, none, root_cert), X509_V_OK);
		assert_int_equal(X509_check_ca(sub), 1);
		assert_true(ext_critical(sub, NID_basic_constraints));
		assert_int_equal(X509_get_key_usage(sub), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
		assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(sub), &na), 0);
		assert_true(na > time(NULL) + 729 * 86400 && na <= time(NULL) + 730 * 86400);
		/* the parent's CRL and certificate URLs */
		snprintf(root_url, sizeof(root_url), PKI_URL "/ca/%s/default.crt", root_id);
		assert_true(ext_has_url(sub, NID_info_access, root_url));
		snprintf(root_url, sizeof(root_url), PKI_URL "/crl/%s/default.crl", root_id);
		assert_true(ext_has_url(sub, NID_crl_distribution_points, root_url));
		sk_X509_free(none);
	}
	/* each location signs when selected; the chain verifies like
	 * openssl verify -CAfile root -untrusted sub leaf */
	for (int i = 0; i < 2; i++) {
		X509 *sub = i == 0 ? west : east;
		leaf = issue_device(sub_id, locs[i], "fleet-device-7", chain, sizeof(chain));
		untrusted = pem_certs(chain);
		assert_int_equal(sk_X509_num(untrusted), 2); /* the location's CA, then the root */
		assert_int_equal(X509_cmp(sk_X509_value(untrusted, 0), sub), 0);
		assert_int_equal(verify_chain(leaf, untrusted, root_cert), X509_V_OK);
		assert_int_equal(X509_check_issued(sub, leaf), X509_V_OK);
		snprintf(sub_url, sizeof(sub_url), PKI_URL "/ca/%s/%s.crt", sub_id, locs[i]);
		assert_true(ext_has_url(leaf, NID_info_access, sub_url));
		sk_X509_pop_free(untrusted, X509_free);
		X509_free(leaf);
	}
	/* the default location is the first */
	leaf = issue_device(sub_id, NULL, "fleet-device-8", NULL, 0);
	assert_int_equal(X509_check_issued(west, leaf), X509_V_OK);
	X509_free(leaf);
	/* the AIA URL's path is served, publicly, as DER */
	snprintf(path, sizeof(path), "/ca/%s/eastus.crt", sub_id);
	assert_int_equal(http_get(&in, path, NULL, &r), 200);
	assert_string_equal(r.content_type, "application/pkix-cert");
	{
		const unsigned char *p = r.body;
		X509 *served = d2i_X509(NULL, &p, (long)r.body_len);
		assert_int_equal(X509_cmp(served, east), 0);
		X509_free(served);
	}
	http_response_free(&r);
	snprintf(path, sizeof(path), "/ca/%s/nowhere.crt", sub_id);
	http_expect(404, "not-found", http_get(&in, path, NULL, &r), &r);
	/* the CA's chain is its first active location's */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/chain", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	untrusted = pem_certs((const char *)r.body);
	assert_int_equal(sk_X509_num(untrusted), 2);
	assert_int_equal(X509_cmp(sk_X509_value(untrusted, 0), west), 0);
	sk_X509_pop_free(untrusted, X509_free);
	http_response_free(&r);
	/* the chain, as PEM and as certs-only PKCS#7 */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/eastus/chain", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(r.content_type, "application/pem-certificate-chain");
	untrusted = pem_certs((const char *)r.body);
	assert_int_equal(sk_X509_num(untrusted), 2);
	assert_int_equal(X509_cmp(sk_X509_value(untrusted, 0), east), 0);
	assert_int_equal(X509_cmp(sk_X509_value(untrusted, 1), root_cert), 0);
	sk_X509_pop_free(untrusted, X509_free);
	http_response_free(&r);
	{
		const char *accept[] = {"Accept: application/pkcs7-mime", NULL};
		const unsigned char *p;
		PKCS7 *p7;
		assert_int_equal(http_call_h(&in, "GET", path, in.admin_token, NULL, NULL, 0, accept,
		                             &r), 200);
		assert_string_equal(r.content_type, "application/pkcs7-mime");
		p = r.body;
		p7 = d2i_PKCS7(NULL, &p, (long)r.body_len);
		assert_non_null(p7);
		assert_int_equal(sk_X509_num(p7->d.sign->cert), 2);
		PKCS7_free(p7);
		http_response_free(&r);
	}
	X509_free(west);
	X509_free(east);
}

static long
upload(const char *sub_id, const char *location, const char *pem, struct http_response *r)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/%s/certificate", sub_id, location);
	return http_call(&in, "POST", path, in.admin_token, "application/pem-certificate-chain",
	                 pem, strlen(pem), r);
}

static void
expect_upload_refused(const char *sub_id, const char *location, const char *pem,
                      const char *slug)
{
	struct http_response r;

	http_expect(422, slug, upload(sub_id, location, pem, &r), &r);
}

static void
test_external_root(void **state)
{
	const char *ca_ext = EXTERNAL_CA_EXT;
	char path[256], sub_id[64], csr_eu[4096], csr_us[4096], *body, *root_pem, *good, *bundle;
	char *wrong;
	struct external_root root;
	struct http_response r;
	X509 *leaf, *ext_root;
	STACK_OF(X509) *untrusted;

	external_root_make(&root);
	root_pem = root.pem;
	ext_root = root.cert;

	r = http_post_expect(&in, "/api/v1/cas", "{\"kind\": \"subordinate\", \"common_name\": \"Offline-chained CA\", "
	         "\"organization\": \"Contoso\", \"locations\": [\"eu\", \"us\"]}", 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	assert_string_equal(http_json_str(&r, "status"), "pending_chaining");
	assert_string_equal(http_json_str(&r, "chaining"), "pending");
	assert_non_null(json_string_value(json_object_get(
		json_array_get(json_object_get(r.json, "locations"), 0), "csr_pem")));
	http_response_free(&r);
	/* nothing is issued before a location is chained */
	{
		char *csr = make_csr("EC-P256", "too-early", NULL, NULL);
		snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", sub_id);
		http_expect(409, "ca-not-active", http_call(&in, "POST", path, in.admin_token,
		                                            "application/pkcs10", csr, strlen(csr),
		                                            &r), &r);
		free(csr);
	}
	/* one CSR per location */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/eu/csr", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(r.content_type, "application/pkcs10");
	snprintf(csr_eu, sizeof(csr_eu), "%.*s", (int)r.body_len, r.body);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/us/csr", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	snprintf(csr_us, sizeof(csr_us), "%.*s", (int)r.body_len, r.body);
	http_response_free(&r);
	assert_string_not_equal(csr_eu, csr_us);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/mars/csr", sub_id);
	http_expect(404, "location-not-found", http_get(&in, path, in.admin_token, &r), &r);

	/* every wrong upload is refused with its reason */
	wrong = external_root_sign(&root, csr_us, ca_ext, 365); /* the other location's key */
	expect_upload_refused(sub_id, "eu", wrong, "certificate-key-mismatch");
	free(wrong);
	wrong = external_root_sign(&root, csr_eu, "[v3]\nbasicConstraints=critical,CA:FALSE\n"
	                      "keyUsage=critical,digitalSignature\n", 365);
	expect_upload_refused(sub_id, "eu", wrong, "not-a-ca-certificate");
	free(wrong);
	{
		/* the subject changed by the external CA */
		char csr_path[300], ext_path[300];
		snprintf(csr_path, sizeof(csr_path), "%s/req.csr", root.dir);
		snprintf(ext_path, sizeof(ext_path), "%s/ext.cnf", root.dir);
		write_text(csr_path, csr_eu);
		write_text(ext_path, ca_ext);
		shell("openssl x509 -req -in %s -CA %s/root.pem -CAkey %s/root.key -CAcreateserial "
		      "-days 30 -subj '/CN=Someone Else' -extfile %s -extensions v3 -out %s/other.pem "
		      "2>/dev/null", csr_path, root.dir, root.dir, ext_path, root.dir);
		snprintf(path, sizeof(path), "%s/other.pem", root.dir);
		wrong = read_file(path, NULL);
		expect_upload_refused(sub_id, "eu", wrong, "subject-mismatch");
		free(wrong);
	}
	/* a CA certificate without keyUsage (OpenSSL would report every usage)
	 * or without subjectKeyIdentifier (nothing could be issued under it) */
	wrong = external_root_sign(&root, csr_eu, EXTERNAL_CA_EXT_NO_KU, 365);
	expect_upload_refused(sub_id, "eu", wrong, "not-a-ca-certificate");
	free(wrong);
	/* CRLs on (the default): the key must be allowed to sign them */
	wrong = external_root_sign(&root, csr_eu, EXTERNAL_CA_EXT_NO_CRL_SIGN, 365);
	assert_int_equal(upload(sub_id, "eu", wrong, &r), 422);
	assert_string_equal(http_problem_type(&r), "not-a-ca-certificate");
	assert_non_null(strstr(http_json_str(&r, "detail"), "cRLSign"));
	http_response_free(&r);
	free(wrong);
	wrong = external_root_sign(&root, csr_eu, EXTERNAL_CA_EXT_NO_SKI, 365);
	assert_int_equal(upload(sub_id, "eu", wrong, &r), 422);
	assert_string_equal(http_problem_type(&r), "ca-certificate-no-ski");
	assert_non_null(strstr(http_json_str(&r, "detail"), "subjectKeyIdentifier=hash"));
	http_response_free(&r);
	{
		/* the signer refuses it too, asked directly as a compromised server could */
		X509 *x = pem_cert(wrong);
		unsigned char *der = NULL;
		int len = i2d_X509(x, &der), fd = wire_connect(in.signer_socket);
		char key[65], type[65];

		wire_key_of(&in, sub_id, "eu", key);
		wire_cert_install(fd, key, der, (size_t)len, type);
		assert_string_equal(type, "ca-certificate-no-ski");
		close(fd);
		OPENSSL_free(der);
		X509_free(x);
	}
	free(wrong);
	/* every refusal leaves the location waiting */
	snprintf(path, sizeof(path), "/api/v1/cas/%s", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(json_string_value(json_object_get(http_location(&r, "eu"), "status")),
	                    "pending_chaining");
	http_response_free(&r);
	wrong = external_root_sign(&root, csr_eu, ca_ext, -1); /* notAfter yesterday */
	expect_upload_refused(sub_id, "eu", wrong, "certificate-expired");
	free(wrong);
	good = external_root_sign(&root, csr_eu, ca_ext, 365);
	{
		/* a chain given must verify: here an unrelated root */
		char *stranger;
		shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
		      "/dev/null -out %s/stranger.pem -days 30 -subj '/CN=Stranger' 2>/dev/null",
		      root.dir);
		snprintf(path, sizeof(path), "%s/stranger.pem", root.dir);
		stranger = read_file(path, NULL);
		xasprintf(&bundle, "%s%s", good, stranger);
		expect_upload_refused(sub_id, "eu", bundle, "chain-does-not-verify");
		free(bundle);
		free(stranger);
	}
	{
		struct http_response bad;
		http_expect(400, "certificate-malformed", upload(sub_id, "eu", "not a certificate", &bad),
		            &bad);
		snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/eu/certificate", sub_id);
		http_expect(415, "unsupported-media-type",
		            http_call(&in, "POST", path, in.admin_token, "application/json", "{}", 2,
		                      &bad), &bad);
	}
	/* the right certificate with its chain */
	xasprintf(&bundle, "%s%s", good, root_pem);
	assert_int_equal(upload(sub_id, "eu", bundle, &r), 200);
	assert_string_equal(http_json_str(&r, "status"), "active");
	assert_string_equal(http_json_str(&r, "chaining"), "external");
	http_response_free(&r);
	free(bundle);
	/* twice is a conflict */
	http_expect(409, "already-chained", upload(sub_id, "eu", good, &r), &r);
	/* a device certificate verifies up to the external root */
	{
		char chain[8192];
		leaf = issue_device(sub_id, "eu", "offline-device-1", chain, sizeof(chain));
		untrusted = pem_certs(chain);
		assert_int_equal(sk_X509_num(untrusted), 2);
		assert_int_equal(verify_chain(leaf, untrusted, ext_root), X509_V_OK);
		sk_X509_pop_free(untrusted, X509_free);
		X509_free(leaf);
	}
	/* the other location waits; it cannot now be chained to an internal parent */
	xasprintf(&body, "{\"parent_ca_id\": \"%s\"}", root_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/chain", sub_id);
	r = http_post_expect(&in, path, body, 409);
	http_response_free(&r);
	free(body);
	/* an upload whose database write never happened (the signer holds the
	 * certificate already) completes when the same certificate comes again */
	{
		char *us = external_root_sign(&root, csr_us, ca_ext, 365), key[65], type[65];
		X509 *x = pem_cert(us);
		unsigned char *der = NULL;
		int len = i2d_X509(x, &der), fd = wire_connect(in.signer_socket);

		wire_key_of(&in, sub_id, "us", key);
		wire_cert_install(fd, key, der, (size_t)len, type);
		assert_string_equal(type, "");
		/* the same certificate again changes nothing; another is refused */
		wire_cert_install(fd, key, der, (size_t)len, type);
		assert_string_equal(type, "");
		{
			char *again = external_root_sign(&root, csr_us, ca_ext, 365);
			X509 *y = pem_cert(again);
			unsigned char *der2 = NULL;
			int len2 = i2d_X509(y, &der2);

			wire_cert_install(fd, key, der2, (size_t)len2, type);
			assert_string_equal(type, "key-already-certified");
			OPENSSL_free(der2);
			X509_free(y);
			free(again);
		}
		close(fd);
		http_expect(200, NULL, upload(sub_id, "us", us, &r), &r);
		OPENSSL_free(der);
		X509_free(x);
		free(us);
	}
	free(good);

	/* without CRLs, a certificate without cRLSign is taken; turning CRLs
	 * on then is refused: its key could not sign them */
	r = http_post_expect(&in, "/api/v1/cas", "{\"kind\": \"subordinate\", \"common_name\": "
	                     "\"No CRL CA\", \"crl\": {\"enabled\": false}}", 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	good = external_root_sign(&root, json_string_value(json_object_get(
	                              json_array_get(json_object_get(r.json, "locations"), 0),
	                              "csr_pem")),
	                          EXTERNAL_CA_EXT_NO_CRL_SIGN, 365);
	http_response_free(&r);
	http_expect(200, NULL, upload(sub_id, "default", good, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", sub_id);
	{
		static const char on[] = "{\"crl\": {\"enabled\": true}}";
		http_expect(409, "crl-sign-not-allowed",
		            http_call(&in, "PATCH", path, in.admin_token, "application/json", on,
		                      strlen(on), &r), &r);
	}
	free(good);
	external_root_free(&root);
}

static void
test_chain_later(void **state)
{
	char sub_id[64], path[128], *body;
	struct http_response r;
	X509 *leaf, *sub;

	r = http_post_expect(&in, "/api/v1/cas", "{\"kind\": \"subordinate\", \"common_name\": \"Later CA\"}", 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/chain", sub_id);
	r = http_post_expect(&in, path, "{}", 422);
	assert_string_equal(http_problem_type(&r), "missing-field");
	http_response_free(&r);
	r = http_post_expect(&in, path, "{\"parent_ca_id\": \"00000000-0000-0000-0000-000000000000\"}", 422);
	assert_string_equal(http_problem_type(&r), "parent-not-found");
	http_response_free(&r);
	xasprintf(&body, "{\"parent_ca_id\": \"%s\", \"validity_days\": 90}", root_id);
	r = http_post_expect(&in, path, body, 200);
	assert_string_equal(http_json_str(&r, "status"), "active");
	assert_string_equal(http_json_str(&r, "chaining"), "internal");
	sub = http_location_cert(&r, "default");
	http_response_free(&r);
	leaf = issue_device(sub_id, NULL, "later-device", NULL, 0);
	assert_int_equal(X509_check_issued(sub, leaf), X509_V_OK);
	/* a chained CA is not chained twice */
	r = http_post_expect(&in, path, body, 409);
	http_response_free(&r);
	free(body);
	X509_free(leaf);
	X509_free(sub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_internal_two_locations),
		cmocka_unit_test(test_external_root),
		cmocka_unit_test(test_chain_later),
	};

	return fixture_run_tests(tests, &fx);
}
