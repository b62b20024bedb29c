/* Issuance limits of CAs, checked through the API and again at the
 * signer's socket as a compromised server could reach it: which templates a
 * CA signs, a child's validity against its parent and its policy, path
 * length down a chain (also for a key whose certificate came from
 * elsewhere), and the iot_edge_ca template for IoT Edge device CAs. */
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
#include "signer/protocol.h"
#include "tests/integration/harness.h"
#include "tests/integration/http.h"
#include "tests/integration/pki.h"
#include "tests/integration/signer_wire.h"

static struct instance in;
static char root_id[64];

static int
setup(void **state)
{
	http_set_test_name("ca_policy");
	instance_start(&in);
	http_create_ca(&in, "{\"common_name\": \"Fleet Root\", \"validity_days\": 3650, "
	                    "\"issuance\": {\"template\": \"subordinate_ca\"}}", root_id);
	return 0;
}

static int
teardown(void **state)
{
	instance_destroy(&in);
	return 0;
}

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_limits),
		cmocka_unit_test(test_iot_edge_ca_template),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
