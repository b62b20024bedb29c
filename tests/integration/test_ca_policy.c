/* Issuance limits of CAs, checked through the API and again at the
 * signer's socket as a compromised server could reach it: which templates a
 * CA signs, a child's validity against its parent and its policy (against
 * the parent location that signs each child location), path length down
 * a chain (also for a key whose certificate came from elsewhere), and the
 * iot_edge_ca template for IoT Edge device CAs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "common/timeutil.h"
#include "signer/proto/protocol.h"
#include "tests/integration/external_root.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/signer_wire.h"

static struct instance in;
static char root_id[64];

static const struct fixture fx = {
	.in = &in,
	.name = "ca_policy",
	.ca_json = "{\"common_name\": \"Fleet Root\", \"validity_days\": 3650, "
	           "\"issuance\": {\"template\": \"subordinate_ca\"}}",
	.ca_id = root_id,
};

/* One ISSUE of a fresh CSR at the signer's socket, as a compromised server
 * could send it; type receives the error type ("" when it signed). */
static void
issue_raw(const char *key_id, const char *tpl, time_t not_after, char type[65])
{
	struct signer_msg reply;
	int fd = wire_connect(in.signer_socket);

	assert_int_equal(wire_issue(fd, key_id, tpl, NULL, not_after, &reply), 0);
	wire_error_type(&reply, type);
	close(fd);
}

/* A signer key allowed to sign subordinate CAs whose own certificate, made
 * here by an outside CA, carries pathlen 0; key receives its id. */
static void
pathlen_zero_key(char key[65])
{
	EVP_PKEY *outside = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL, *cert_der = NULL;
	const struct signer_field *f;
	const unsigned char *p;
	struct signer_writer w;
	struct signer_msg reply;
	X509_REQ *req;
	X509 *cert = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char type[65];
	int len, fd = wire_connect(in.signer_socket);

	wire_key_create(fd, "subordinate_ca", 365, key);
	X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	                           (const unsigned char *)"Pathlen Zero CA", -1, -1, 0);
	len = i2d_X509_NAME(name, &der);
	signer_writer_init(&w, SIGNER_OP_CSR_CREATE);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	signer_put_bytes(&w, SIGNER_TAG_SUBJECT, der, (size_t)len);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	f = signer_msg_get(&reply, SIGNER_TAG_CSR);
	assert_non_null(f);
	p = f->val;
	req = d2i_X509_REQ(NULL, &p, f->len);
	assert_non_null(req);
	signer_msg_free(&reply);
	/* the outside CA signs it as a CA with pathlen 0 */
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242);
	X509_set_issuer_name(cert, name);
	X509_set_subject_name(cert, X509_REQ_get_subject_name(req));
	X509_set_pubkey(cert, X509_REQ_get0_pubkey(req));
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 30 * 86400);
	X509V3_set_ctx(&ctx, NULL, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(cert, outside, EVP_sha256()) > 0);
	len = i2d_X509(cert, &cert_der);
	wire_cert_install(fd, key, cert_der, (size_t)len, type);
	assert_string_equal(type, "");
	close(fd);
	OPENSSL_free(cert_der);
	OPENSSL_free(der);
	X509_free(cert);
	X509_REQ_free(req);
	X509_NAME_free(name);
	EVP_PKEY_free(outside);
}

static void
test_policy_limits(void **state)
{
	char path[128], short_root[64], a_id[64], key[65], type[65], *body, not_after[RFC3339_LEN];
	char *csr = make_csr("EC-P256", "not-for-a-root", NULL, NULL);
	struct http_response r;
	X509 *a_cert;

	/* a root that signs only subordinates refuses device certificates */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?template=client", root_id);
	http_expect(422, "template-not-allowed",
	            http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                      strlen(csr), &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?template=ssl", root_id);
	http_expect(422, "template-not-allowed",
	            http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                      strlen(csr), &r), &r);
	wire_key_of(&in, root_id, NULL, key);
	issue_raw(key, "client", time(NULL) + 86400, type);
	assert_string_equal(type, "template-not-allowed");

	/* a child may not outlive its parent, nor exceed the parent's maximum */
	rfc3339_format(time(NULL) + 30 * 86400, not_after);
	xasprintf(&body, "{\"common_name\": \"Short Root\", \"not_after\": \"%s\", "
	          "\"path_length\": 1}", not_after);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(short_root, sizeof(short_root), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(body);
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Too Long\", "
	         "\"parent_ca_id\": \"%s\", \"validity_days\": 60}", short_root);
	r = http_post_expect(&in, "/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "validity-exceeds-issuer");
	http_response_free(&r);
	free(body);
	wire_key_of(&in, short_root, NULL, key);
	issue_raw(key, "subordinate_ca", time(NULL) + 60 * 86400, type);
	assert_string_equal(type, "validity-exceeds-issuer");
	r = http_post_expect(&in, "/api/v1/cas", "{\"common_name\": \"Policy Root\", \"issuance\": "
	         "{\"max_validity_days\": 400}}", 201);
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Too Long\", "
	         "\"parent_ca_id\": \"%s\", \"validity_days\": 401}", http_json_str(&r, "id"));
	http_response_free(&r);
	r = http_post_expect(&in, "/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "validity-exceeds-policy");
	http_response_free(&r);
	free(body);

	/* path length: below the short root (pathlen 1) a CA gets pathlen 0, so
	 * one that would sign CAs itself is refused at once ... */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Level One\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"subordinate_ca\"}}",
	          short_root);
	r = http_post_expect(&in, "/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "path-length-conflict");
	http_response_free(&r);
	free(body);
	/* ... an issuing CA is fine, with pathlen 0 ... */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Level One\", "
	          "\"parent_ca_id\": \"%s\"}", short_root);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(a_id, sizeof(a_id), "%s", http_json_str(&r, "id"));
	a_cert = http_location_cert(&r, "default");
	assert_int_equal(X509_get_pathlen(a_cert), 0);
	http_response_free(&r);
	free(body);
	/* ... and a pathlen-0 parent gets no subordinate */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Level Two\", "
	          "\"parent_ca_id\": \"%s\"}", a_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "path-length-exceeded");
	http_response_free(&r);
	free(body);
	wire_key_of(&in, a_id, NULL, key);
	issue_raw(key, "subordinate_ca", time(NULL) + 86400, type);
	assert_string_equal(type, "template-not-allowed");
	/* At the signer: a key whose policy allows subordinate_ca but whose
	 * certificate (signed elsewhere) says pathlen 0 still signs no CA. */
	pathlen_zero_key(key);
	issue_raw(key, "subordinate_ca", time(NULL) + 86400, type);
	assert_string_equal(type, "path-length-exceeded");
	issue_raw(key, "client", time(NULL) + 86400, type);
	assert_string_equal(type, "template-not-allowed");
	/* asking for more path length than the parent allows */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Greedy\", \"path_length\": 3,"
	         " \"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"subordinate_ca\"}}",
	         short_root);
	r = http_post_expect(&in, "/api/v1/cas", body, 422);
	assert_string_equal(http_problem_type(&r), "path-length-exceeded");
	http_response_free(&r);
	free(body);
	X509_free(a_cert);
	free(csr);
}

static void
test_iot_edge_ca_template(void **state)
{
	char sub_id[64], plain_id[64], path[128], *body, *csr, *text;
	struct http_response r;
	json_t *j;
	X509 *x;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Edge Issuing CA\", "
	         "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"ssl\", "
	         "\"allowed_templates\": [\"ssl\", \"iot_edge_ca\"]}}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(body);
	/* the Edge CA certificate of a device the CA issued a certificate to */
	r = http_issue(&in, sub_id, NULL, "edge-device-1");
	http_response_free(&r);
	csr = make_csr("EC-P256", "aziot-edge CA edge-device-1", NULL, NULL);
	j = json_pack("{s:s, s:s, s:i}", "csr", csr, "template", "iot_edge_ca", "validity_days", 90);
	text = json_dumps(j, 0);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", sub_id);
	r = http_post_expect(&in, path, text, 201);
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_int_equal(X509_check_ca(x), 1);
	assert_int_equal(X509_get_pathlen(x), 0);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_DIGITAL_SIGNATURE);
	X509_free(x);
	http_response_free(&r);
	/* not in the policy of an ordinary issuing CA */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Plain Issuing CA\", "
	         "\"parent_ca_id\": \"%s\"}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(plain_id, sizeof(plain_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(body);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", plain_id);
	r = http_post_expect(&in, path, text, 422);
	assert_string_equal(http_problem_type(&r), "template-not-allowed");
	http_response_free(&r);
	json_decref(j);
	free(text);
	free(csr);
}

/* The notAfter of location name in a CA answer. */
static const char *
location_end(const struct http_response *r, const char *name)
{
	return json_string_value(json_object_get(http_location(r, name), "not_after"));
}

/* A parent CA that may sign subordinates, chained to an external root,
 * whose location b is valid 700 days and a only 30 days. */
static void
two_region_parent(struct external_root *root, char id[64], char b_end[RFC3339_LEN],
                  char a_end[RFC3339_LEN])
{
	static const char ext[] = "[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:1\n"
	                          "keyUsage=critical,keyCertSign,cRLSign\n"
	                          "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
	static const struct { const char *name; int days; } locs[] = {{"b", 700}, {"a", 30}};
	struct http_response r;
	char path[160], *csr, *pem;

	http_create_ca(&in, "{\"kind\": \"subordinate\", \"common_name\": \"Two-Region CA\", "
	                    "\"locations\": [\"b\", \"a\"], \"issuance\": {\"template\": "
	                    "\"subordinate_ca\"}}", id);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/%s/csr", id, locs[i].name);
		assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
		xasprintf(&csr, "%.*s", (int)r.body_len, r.body);
		http_response_free(&r);
		pem = external_root_sign(root, csr, ext, locs[i].days);
		snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/%s/certificate", id,
		         locs[i].name);
		assert_int_equal(http_call(&in, "POST", path, in.admin_token,
		                           "application/pem-certificate-chain", pem, strlen(pem), &r),
		                 200);
		snprintf(i == 0 ? b_end : a_end, RFC3339_LEN, "%s", location_end(&r, locs[i].name));
		http_response_free(&r);
		free(pem);
		free(csr);
	}
}

/* Creates subordinate cn of parent_id at locations (a JSON array) with the
 * members extra ("" for none); the answer, whose status must be want. */
static struct http_response
create_child(const char *parent_id, const char *cn, const char *locations, const char *extra,
             long want)
{
	struct http_response r;
	char *body;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"%s\", "
	          "\"parent_ca_id\": \"%s\", \"locations\": %s%s}", cn, parent_id, locations,
	          extra);
	r = http_post_expect(&in, "/api/v1/cas", body, want);
	free(body);
	return r;
}

/* Each child location is signed by the parent's location of the same
 * name: its validity is limited by that location's certificate, not by
 * the parent's first one's, at creation and at renewal. */
static void
test_validity_of_the_signing_location(void **state)
{
	char parent_id[64], child_id[64], b_end[RFC3339_LEN], a_end[RFC3339_LEN], path[160];
	struct external_root root;
	struct http_response r;

	external_root_make(&root);
	two_region_parent(&root, parent_id, b_end, a_end);
	assert_string_not_equal(b_end, a_end);
	/* at a, without a validity: shortened to fit a's certificate */
	r = create_child(parent_id, "Region A CA", "[\"a\"]", "", 201);
	assert_string_equal(location_end(&r, "a"), a_end);
	http_response_free(&r);
	/* at a, asking for more than a's certificate: refused, naming its end */
	r = create_child(parent_id, "Region A CA", "[\"a\"]", ", \"validity_days\": 60", 422);
	assert_string_equal(http_problem_type(&r), "validity-exceeds-issuer");
	assert_non_null(strstr(http_json_str(&r, "detail"), a_end));
	assert_non_null(strstr(http_json_str(&r, "detail"), "location a"));
	http_response_free(&r);
	/* at b: the longest b's certificate allows */
	r = create_child(parent_id, "Region B CA", "[\"b\"]", "", 201);
	assert_string_equal(location_end(&r, "b"), b_end);
	http_response_free(&r);
	/* at both: one validity, the earliest of the two signing locations' */
	r = create_child(parent_id, "Both Regions CA", "[\"b\", \"a\"]", "", 201);
	snprintf(child_id, sizeof(child_id), "%s", http_json_str(&r, "id"));
	assert_string_equal(location_end(&r, "b"), a_end);
	assert_string_equal(location_end(&r, "a"), a_end);
	http_response_free(&r);
	/* renewed, each location gets what its own signing location allows */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", child_id);
	r = http_post_expect(&in, path, "{}", 200);
	assert_string_equal(location_end(&r, "b"), b_end);
	assert_string_equal(location_end(&r, "a"), a_end);
	http_response_free(&r);
	external_root_free(&root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_limits),
		cmocka_unit_test(test_iot_edge_ca_template),
		cmocka_unit_test(test_validity_of_the_signing_location),
	};

	return fixture_run_tests(tests, &fx);
}
