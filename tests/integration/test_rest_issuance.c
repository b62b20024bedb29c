/* REST issuance end to end: root CAs of every key type, every CSR of the
 * corpus (tests/csr/expected.txt), and each issued certificate checked
 * with OpenSSL as a relying party would (chain, key usage, EKU, CN, SANs,
 * validity). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "common/timeutil.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "rest_issuance",
};

/* Creates a CA from a JSON body; returns its id (static buffer) and the
 * parsed certificate in *cert. */
static const char *
create_ca(const char *body, X509 **cert)
{
	static char id[64];
	struct http_response r;
	char location[128];

	assert_int_equal(http_post_json(&in, "/api/v1/cas", in.admin_token, body, &r), 201);
	snprintf(id, sizeof(id), "%s", http_json_str(&r, "id"));
	snprintf(location, sizeof(location), "/api/v1/cas/%s", id);
	assert_string_equal(http_header(&r, "location"), location);
	if (cert != NULL) {
		*cert = pem_cert(http_json_str(&r, "certificate_pem"));
		assert_non_null(*cert);
	}
	http_response_free(&r);
	return id;
}

static void
check_root(X509 *root, int expect_pathlen)
{
	STACK_OF(X509) *none = sk_X509_new_null();

	assert_int_equal(verify_chain(root, none, root), X509_V_OK);
	assert_int_equal(X509_check_ca(root), 1);
	assert_true(ext_critical(root, NID_basic_constraints));
	assert_true(ext_critical(root, NID_key_usage));
	assert_true(X509_get_key_usage(root) & KU_KEY_CERT_SIGN);
	assert_true(X509_get_key_usage(root) & KU_CRL_SIGN);
	assert_int_equal(X509_get_pathlen(root), expect_pathlen);
	assert_non_null(X509_get0_subject_key_id(root));
	sk_X509_free(none);
}

static void
test_root_ca_fields(void **state)
{
	struct http_response r;
	X509 *root = NULL;
	const char *id = create_ca("{\"common_name\": \"Contoso Device Root\", \"organization\": "
	                           "\"Contoso\", \"country\": \"de\", \"validity_days\": 30, "
	                           "\"issuance\": {\"template\": \"ssl\"}}", &root);
	char path[128];
	time_t nb, na;

	check_root(root, 0); /* leaf-only policy: pathlen 0 in the certificate itself */
	assert_int_equal(asn1_time_to_time_t(X509_get0_notBefore(root), &nb), 0);
	assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(root), &na), 0);
	assert_true(na - time(NULL) > 30 * 86400 - 120 && na - time(NULL) <= 30 * 86400);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(http_json_str(&r, "subject"), "CN=Contoso Device Root,O=Contoso,C=DE");
	assert_string_equal(http_json_str(&r, "country"), "DE");
	assert_string_equal(http_json_str(&r, "kind"), "root");
	assert_string_equal(http_json_str(&r, "status"), "active");
	assert_string_equal(http_json_str(&r, "key_algorithm"), "EC-P256");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "issuance"),
	                                                      "template")), "ssl");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "issuance"),
	                                                    "max_validity_days")), 365);
	http_response_free(&r);
	X509_free(root);
}

static void
test_root_ca_every_key_algorithm(void **state)
{
	const char *algs[] = {"EC-P256", "EC-P384", "RSA-2048", "RSA-3072", "RSA-4096"};

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char body[256], path[128];
		struct http_response r;
		X509 *root = NULL, *leaf;
		STACK_OF(X509) *none = sk_X509_new_null();
		char *csr = make_csr("EC-P256", "algo-device", NULL, NULL);

		snprintf(body, sizeof(body), "{\"common_name\": \"Root %s\", \"key_algorithm\": "
		         "\"%s\", \"issuance\": {\"template\": \"client\"}}", algs[i], algs[i]);
		const char *id = create_ca(body, &root);
		check_root(root, 0);
		snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", id);
		assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10",
		                           csr, strlen(csr), &r), 201);
		leaf = pem_cert(http_json_str(&r, "certificate_pem"));
		assert_non_null(leaf);
		assert_int_equal(verify_chain(leaf, none, root), X509_V_OK);
		/* P-384 CAs sign with SHA-384, everything else with SHA-256 */
		assert_int_equal(X509_get_signature_nid(leaf),
		                 strcmp(algs[i], "EC-P384") == 0 ? NID_ecdsa_with_SHA384
		                 : strncmp(algs[i], "EC", 2) == 0 ? NID_ecdsa_with_SHA256
		                                                  : NID_sha256WithRSAEncryption);
		http_response_free(&r);
		X509_free(leaf);
		X509_free(root);
		sk_X509_free(none);
		free(csr);
	}
}

/* One line of tests/csr/expected.txt. */
struct expectation {
	char file[64];
	long status;
	char type[64];
};

static size_t
load_expectations(struct expectation *e, size_t max)
{
	char path[512], line[256];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/csr/expected.txt", getenv("EDGECA_TEST_SRC_DIR"));
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL && n < max) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%63s %ld %63s", e[n].file, &e[n].status, e[n].type), 3);
		n++;
	}
	fclose(f);
	return n;
}

static void
check_leaf(const char *file, X509 *leaf, X509 *root, const char *expect_cn)
{
	STACK_OF(X509) *none = sk_X509_new_null();
	EVP_PKEY *pk = X509_get0_pubkey(leaf);
	bool rsa = EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA;
	const ASN1_INTEGER *serial = X509_get0_serialNumber(leaf);
	char *cn = subject_cn(leaf), *sans = san_string(leaf);

	assert_int_equal(verify_chain(leaf, none, root), X509_V_OK);
	assert_int_equal(X509_check_ca(leaf), 0);
	assert_true(ext_critical(leaf, NID_basic_constraints));
	assert_true(ext_critical(leaf, NID_key_usage));
	assert_int_equal(X509_get_key_usage(leaf),
	                 KU_DIGITAL_SIGNATURE | (rsa ? KU_KEY_ENCIPHERMENT : 0));
	assert_true(has_eku(leaf, NID_server_auth));
	assert_true(has_eku(leaf, NID_client_auth));
	assert_int_equal(eku_count(leaf), 2);
	assert_non_null(X509_get0_subject_key_id(leaf));
	assert_memory_equal(ASN1_STRING_get0_data(X509_get0_authority_key_id(leaf)),
	                    ASN1_STRING_get0_data(X509_get0_subject_key_id(root)),
	                    (size_t)ASN1_STRING_length(X509_get0_subject_key_id(root)));
	/* no validity asked: the CA's maximum (365 days), backdated 60 s */
	{
		time_t nb, na, now = time(NULL);
		assert_int_equal(asn1_time_to_time_t(X509_get0_notBefore(leaf), &nb), 0);
		assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(leaf), &na), 0);
		assert_true(nb <= now - 50 && nb >= now - 180);
		assert_true(na > now + 365 * 86400 - 180 && na <= now + 365 * 86400);
	}
	/* positive serial: 0x01 and 128 random bits */
	assert_int_equal(ASN1_STRING_length(serial), 17);
	assert_int_equal(ASN1_STRING_get0_data(serial)[0], 0x01);
	assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER);
	if (expect_cn != NULL)
		assert_string_equal(cn, expect_cn);
	if (strcmp(file, "rsa2048-san.csr") == 0)
		assert_string_equal(sans, "DNS:my-iot-device2,DNS:my-iot-device2.local");
	else if (strcmp(file, "ec-p256-with-challenge.csr") == 0)
		assert_string_equal(sans, "DNS:edge-device-challenge,DNS:edge-device-challenge.example");
	else if (strcmp(file, "cn-ip-address.csr") == 0)
		assert_string_equal(sans, "IP:192.0.2.10"); /* an IP address, never a DNS name */
	else if (cn != NULL && (strncmp(sans, "DNS:", 4) != 0 || strcmp(sans + 4, cn) != 0))
		fail_msg("%s: the ssl template writes the CN as the DNS SAN; got \"%s\"", file, sans);
	free(cn);
	free(sans);
	sk_X509_free(none);
}

static void
test_corpus(void **state)
{
	struct expectation e[64];
	size_t n = load_expectations(e, 64);
	X509 *root = NULL;
	const char *id = create_ca("{\"common_name\": \"Corpus Root\", \"issuance\": "
	                           "{\"template\": \"ssl\"}}", &root);
	char path[128], ca_id[64];

	snprintf(ca_id, sizeof(ca_id), "%s", id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_true(n >= 25);
	for (size_t i = 0; i < n; i++) {
		struct http_response r;
		size_t len = 0;
		char *data = read_file(corpus_path(e[i].file), &len);
		long status = http_call(&in, "POST", path, in.admin_token, "application/pkcs10",
		                        data, len, &r);

		if (status != e[i].status || (e[i].status != 201 &&
		                              strcmp(http_problem_type(&r), e[i].type) != 0))
			fail_msg("%s: expected %ld %s, got %ld %s (%.*s)", e[i].file, e[i].status,
			         e[i].type, status, http_problem_type(&r), (int)r.body_len, r.body);
		if (status == 201) {
			X509 *leaf = pem_cert(http_json_str(&r, "certificate_pem"));
			X509 *chain = pem_cert(http_json_str(&r, "chain_pem"));
			assert_non_null(leaf);
			assert_int_equal(X509_cmp(chain, root), 0);
			check_leaf(e[i].file, leaf, root,
			           strcmp(e[i].file, "rsa4096-seed-style.csr") == 0 ? "my-iot-device1"
			           : strcmp(e[i].file, "requests-ca-true.csr") == 0 ? "sneaky-ca" : NULL);
			assert_string_equal(http_json_str(&r, "status"), "valid");
			assert_string_equal(http_json_str(&r, "template"), "ssl");
			X509_free(leaf);
			X509_free(chain);
		} else {
			/* problem details: status member equals the HTTP status */
			assert_int_equal(json_integer_value(json_object_get(r.json, "status")), status);
			assert_non_null(http_json_str(&r, "detail"));
			assert_string_equal(r.content_type, "application/problem+json");
		}
		http_response_free(&r);
		free(data);
	}
	X509_free(root);
}

static void
test_json_client_template_and_validity(void **state)
{
	X509 *root = NULL, *leaf;
	const char *id = create_ca("{\"common_name\": \"Client Root\", \"issuance\": {\"template\": "
	                           "\"client\", \"allowed_templates\": [\"client\", \"ssl\"], "
	                           "\"max_validity_days\": 90}}", &root);
	char path[128], ca_id[64];
	char *csr = make_csr("EC-P256", "json-device-1", "DNS:ignored.example", NULL);
	struct http_response r;
	json_t *j;
	time_t na;

	snprintf(ca_id, sizeof(ca_id), "%s", id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	j = json_pack("{s:s, s:i}", "csr", csr, "validity_days", 30);
	{
		char *text = json_dumps(j, 0);
		assert_int_equal(http_post_json(&in, path, in.admin_token, text, &r), 201);
		free(text);
	}
	leaf = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_true(has_eku(leaf, NID_client_auth));
	assert_int_equal(eku_count(leaf), 1);
	{
		char *sans = san_string(leaf);
		assert_string_equal(sans, ""); /* the client template copies no SANs */
		free(sans);
	}
	assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(leaf), &na), 0);
	assert_true(na > time(NULL) + 30 * 86400 - 120 && na <= time(NULL) + 30 * 86400);
	assert_int_equal(json_array_size(json_object_get(r.json, "warnings")), 0);
	http_response_free(&r);
	X509_free(leaf);
	json_decref(j);

	/* over the CA's maximum */
	j = json_pack("{s:s, s:i}", "csr", csr, "validity_days", 91);
	{
		char *text = json_dumps(j, 0);
		assert_int_equal(http_post_json(&in, path, in.admin_token, text, &r), 422);
		assert_string_equal(http_problem_type(&r), "validity-exceeds-policy");
		free(text);
	}
	http_response_free(&r);
	json_decref(j);

	/* a template outside the CA's policy */
	j = json_pack("{s:s, s:s}", "csr", csr, "template", "subordinate_ca");
	{
		char *text = json_dumps(j, 0);
		assert_int_equal(http_post_json(&in, path, in.admin_token, text, &r), 422);
		assert_string_equal(http_problem_type(&r), "template-not-allowed");
		free(text);
	}
	http_response_free(&r);
	json_decref(j);

	/* device ids that are no host names are identities for the client
	 * template: a 64-character CN and one with colons */
	{
		const char *files[] = {"cn-64-chars.csr", "cn-with-colons.csr"};
		for (int i = 0; i < 2; i++) {
			size_t len = 0;
			char *data = read_file(corpus_path(files[i]), &len);
			X509 *x;
			char *cn;
			assert_int_equal(http_call(&in, "POST", path, in.admin_token,
			                           "application/pkcs10", data, len, &r), 201);
			x = pem_cert(http_json_str(&r, "certificate_pem"));
			cn = subject_cn(x);
			assert_true(strlen(cn) == 64 || strcmp(cn, "device:with:colons") == 0);
			free(cn);
			X509_free(x);
			http_response_free(&r);
			free(data);
		}
	}

	/* an allowed second template */
	j = json_pack("{s:s, s:s}", "csr", csr, "template", "ssl");
	{
		char *text = json_dumps(j, 0);
		assert_int_equal(http_post_json(&in, path, in.admin_token, text, &r), 201);
		assert_string_equal(http_json_str(&r, "template"), "ssl");
		free(text);
	}
	http_response_free(&r);
	json_decref(j);
	X509_free(root);
	free(csr);
}

static void
test_validity_shortened_to_issuer(void **state)
{
	char body[256], path[128], ca_id[64], not_after[RFC3339_LEN];
	time_t ca_end = time(NULL) + 10 * 86400, leaf_end, root_end;
	X509 *root = NULL, *leaf;
	struct http_response r;
	char *csr = make_csr("EC-P256", "short-device", NULL, NULL);
	json_t *j;
	char *text;

	rfc3339_format(ca_end, not_after);
	snprintf(body, sizeof(body), "{\"common_name\": \"Short Root\", \"not_after\": \"%s\", "
	         "\"issuance\": {\"template\": \"client\"}}", not_after);
	snprintf(ca_id, sizeof(ca_id), "%s", create_ca(body, &root));
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	/* neither validity_days nor not_after: the CA maximum (365 d), shortened */
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	leaf = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(leaf), &leaf_end), 0);
	assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(root), &root_end), 0);
	assert_true(leaf_end == root_end);
	assert_int_equal(json_array_size(json_object_get(r.json, "warnings")), 1);
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(r.json, "warnings"),
	                                                        0)), "shortened"));
	http_response_free(&r);
	X509_free(leaf);

	/* explicitly beyond the issuer */
	j = json_pack("{s:s, s:i}", "csr", csr, "validity_days", 20);
	text = json_dumps(j, 0);
	assert_int_equal(http_post_json(&in, path, in.admin_token, text, &r), 422);
	assert_string_equal(http_problem_type(&r), "validity-exceeds-issuer");
	http_response_free(&r);
	free(text);
	json_decref(j);
	X509_free(root);
	free(csr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_ca_fields),
		cmocka_unit_test(test_root_ca_every_key_algorithm),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_json_client_template_and_validity),
		cmocka_unit_test(test_validity_shortened_to_issuer),
	};

	return fixture_run_tests(tests, &fx);
}
