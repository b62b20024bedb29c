/* Whom EST trusts, decided by edgeca on each request against the database:
 * no certificate, a certificate of an unknown CA, a revoked one, a subject
 * that is not the client's, bootstrap trust anchors (a factory CA with an
 * intermediate) added and removed without a restart, EKU serverAuth only,
 * HTTP Basic credentials alone and with a certificate, labels, the default
 * CA, a CA that does not serve EST, csrattrs and a required key type. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509v3.h>
#include <libpq-fe.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "common/encoding.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char ca_id[64], ca_path[128], est_base[512];

static void
fixture_ready(void)
{
	http_create_ca(&in, "{\"common_name\": \"Auth CA\", \"issuance\": {\"template\": \"client\"}}",
	               ca_id);
	snprintf(ca_path, sizeof(ca_path), "/api/v1/cas/%s", ca_id);
	snprintf(est_base, sizeof(est_base), "/est/%s/default/.well-known/est", ca_id);
}

static const struct fixture fx = {
	.in = &in,
	.name = "est_auth",
	.ready = fixture_ready,
};

static void
patch(const char *body, long want)
{
	struct http_response r;

	http_expect(want, NULL, http_call(&in, "PATCH", ca_path, in.admin_token,
	                                  "application/json", body, strlen(body), &r), &r);
}

/* A client certificate for cn issued through the REST API by the CA the
 * calls go to (ca_path). */
static X509 *
issued(const char *cn, EVP_PKEY **key)
{
	return http_issue_cert(&in, ca_path + strlen("/api/v1/cas/"), cn, key, NULL);
}

/* simpleenroll of a fresh CSR for cn; returns the status, the reason in
 * reason (when given) and checks that errors are short text. */
static long
enroll(const struct est_tls *tls, const char *cn, const char *const *extra, char *reason,
       size_t reason_len)
{
	const char *headers[8] = {"content-type: application/pkcs10"};
	X509_REQ *csr = est_make_csr(cn, false, NULL);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(csr, &der), h = 1;
	char *b64 = base64_encode(der, (size_t)n, 64), path[600];
	struct http_response r;
	long status;

	for (int i = 0; extra && extra[i] && h < 7; i++)
		headers[h++] = extra[i];
	snprintf(path, sizeof(path), "%s/simpleenroll", est_base);
	status = est_request(&in, tls, "POST", path, headers, b64, strlen(b64), &r);
	if (status != 200)
		assert_string_equal(r.content_type, "text/plain; charset=utf-8");
	if (status == 401)
		assert_non_null(http_header(&r, "www-authenticate"));
	if (reason != NULL)
		snprintf(reason, reason_len, "%s", r.body ? (const char *)r.body : "");
	http_response_free(&r);
	OPENSSL_free(der);
	free(b64);
	X509_REQ_free(csr);
	return status;
}

static void
expect_reason(const char *reason, const char *part)
{
	if (strstr(reason, part) == NULL)
		fail_msg("reason \"%s\" does not mention \"%s\"", reason, part);
}

static void
test_no_and_unknown_certificates(void **state)
{
	struct est_tls none = {0};
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *self = pki_make_cert("rogue", key, NULL, NULL, false, "clientAuth", 30);
	struct est_tls rogue = {self, NULL, key, NULL, 0};
	char reason[512];

	assert_int_equal(enroll(&none, "dev-a", NULL, reason, sizeof(reason)), 401);
	expect_reason(reason, "client certificate is required");
	assert_int_equal(enroll(&rogue, "rogue", NULL, reason, sizeof(reason)), 401);
	expect_reason(reason, "not issued by this CA");
	X509_free(self);
	EVP_PKEY_free(key);
}

static void
test_revoked_and_subject(void **state)
{
	EVP_PKEY *key = NULL;
	X509 *cert = issued("dev-r", &key);
	struct est_tls tls = {cert, NULL, key, NULL, 0};
	char reason[512], sql[320];
	PGconn *c;
	PGresult *res;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = BN_bn2hex(bn);

	assert_int_equal(enroll(&tls, "dev-r", NULL, NULL, 0), 200);
	/* a device gets certificates for its own CN only */
	assert_int_equal(enroll(&tls, "dev-other", NULL, reason, sizeof(reason)), 403);
	expect_reason(reason, "must be \"dev-r\"");
	/* revoked in the database behind the server's back (test_revoke.c
	 * revokes through the API): refused from the next request on, without
	 * a restart */
	for (char *p = hex; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(sql, sizeof(sql),
	         "UPDATE certificates SET status = 'revoked', revoked_at = now(), "
	         "revocation_reason = 'keyCompromise' WHERE ca_id = '%s' AND serial = '%s'",
	         ca_id, hex[0] == '0' ? hex + 1 : hex);
	c = PQconnectdb(in.admin_database_url);
	res = PQexec(c, sql);
	assert_string_equal(PQcmdTuples(res), "1");
	PQclear(res);
	PQfinish(c);
	assert_int_equal(enroll(&tls, "dev-r", NULL, reason, sizeof(reason)), 401);
	expect_reason(reason, "revoked");
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* {"est": {"bootstrap_trust": [pem]}} */
static char *
anchors_body(const char *pem)
{
	json_t *j = json_pack("{s:{s:[s]}}", "est", "bootstrap_trust", pem);
	char *text = json_dumps(j, 0);

	json_decref(j);
	return text;
}

static void
test_bootstrap_anchors(void **state)
{
	EVP_PKEY *root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *mid_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *dev_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *root = pki_make_cert("Factory Root", root_key, NULL, NULL, true, NULL, 3650);
	X509 *mid = pki_make_cert("Factory Line 3", mid_key, root, root_key, true, NULL, 3650);
	X509 *dev = pki_make_cert("factory-7", dev_key, mid, mid_key, false, "clientAuth", 30);
	X509 *server_only = pki_make_cert("factory-8", dev_key, mid, mid_key, false, "serverAuth", 30);
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct est_tls with_chain = {dev, chain, dev_key, NULL, 0};
	struct est_tls leaf_only = {dev, NULL, dev_key, NULL, 0};
	struct est_tls wrong_eku = {server_only, chain, dev_key, NULL, 0};
	char reason[512], *root_pem = cert_pem(root), *dev_pem = cert_pem(dev), *body;
	struct http_response r;
	json_t *anchors;

	sk_X509_push(chain, mid);
	assert_int_equal(enroll(&with_chain, "factory-7", NULL, reason, sizeof(reason)), 401);
	expect_reason(reason, "no EST bootstrap trust anchors");
	/* the factory root becomes a bootstrap trust anchor: next request */
	body = anchors_body(root_pem);
	patch(body, 200);
	free(body);
	assert_int_equal(http_get(&in, ca_path, in.admin_token, &r), 200);
	anchors = json_object_get(json_object_get(r.json, "est"), "bootstrap_trust");
	assert_int_equal(json_array_size(anchors), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(anchors, 0), "subject")),
	                    "CN=Factory Root");
	http_response_free(&r);
	assert_int_equal(enroll(&with_chain, "factory-7", NULL, NULL, 0), 200);
	/* without its intermediate the device's chain cannot be built */
	assert_int_equal(enroll(&leaf_only, "factory-7", NULL, reason, sizeof(reason)), 401);
	assert_int_equal(enroll(&wrong_eku, "factory-8", NULL, reason, sizeof(reason)), 401);
	expect_reason(reason, "clientAuth");
	/* the anchor removed: refused again, without a restart */
	patch("{\"est\": {\"bootstrap_trust\": []}}", 200);
	assert_int_equal(enroll(&with_chain, "factory-7", NULL, reason, sizeof(reason)), 401);
	/* a leaf is no trust anchor */
	body = anchors_body(dev_pem);
	{
		struct http_response p;
		http_expect(422, "invalid-field", http_call(&in, "PATCH", ca_path, in.admin_token,
		                                            "application/json", body, strlen(body),
		                                            &p), &p);
	}
	free(body);
	sk_X509_free(chain);
	free(root_pem);
	free(dev_pem);
	X509_free(root);
	X509_free(mid);
	X509_free(dev);
	X509_free(server_only);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(mid_key);
	EVP_PKEY_free(dev_key);
}

static void
test_basic_auth(void **state)
{
	/* fleet:correct horse battery / fleet:wrong password! */
	const char *good[] = {"authorization: Basic ZmxlZXQ6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5", NULL};
	const char *bad[] = {"authorization: Basic ZmxlZXQ6d3JvbmcgcGFzc3dvcmQh", NULL};
	const char *junk[] = {"authorization: Basic !!!", NULL};
	struct est_tls none = {0};
	EVP_PKEY *key = NULL;
	X509 *cert = issued("dev-b", &key);
	struct est_tls tls = {cert, NULL, key, NULL, 0};
	char reason[512];
	struct http_response r;

	assert_int_equal(enroll(&none, "dev-b", good, reason, sizeof(reason)), 401);
	expect_reason(reason, "accepts no HTTP Basic");
	patch("{\"est\": {\"basic_auth\": {\"username\": \"fleet\", \"password\": "
	      "\"correct horse battery\"}, \"subject_policy\": \"any\"}}", 200);
	/* the password is not shown, only the user name */
	assert_int_equal(http_get(&in, ca_path, in.admin_token, &r), 200);
	assert_non_null(strstr((const char *)r.body, "\"basic_auth\":{\"username\":\"fleet\"}"));
	assert_null(strstr((const char *)r.body, "correct horse"));
	assert_null(strstr((const char *)r.body, "scrypt"));
	http_response_free(&r);
	assert_int_equal(enroll(&none, "any-device", good, NULL, 0), 200);
	assert_int_equal(enroll(&none, "any-device", bad, reason, sizeof(reason)), 401);
	expect_reason(reason, "wrong HTTP Basic");
	assert_int_equal(enroll(&none, "any-device", junk, NULL, 0), 401);
	/* with a certificate too, both must be right */
	assert_int_equal(enroll(&tls, "dev-b", good, NULL, 0), 200);
	assert_int_equal(enroll(&tls, "dev-b", bad, NULL, 0), 401);
	/* match_client_cert cannot hold without a certificate */
	patch("{\"est\": {\"subject_policy\": \"match_client_cert\"}}", 200);
	assert_int_equal(enroll(&none, "any-device", good, reason, sizeof(reason)), 403);
	expect_reason(reason, "no client certificate");
	patch("{\"est\": {\"basic_auth\": null}}", 200);
	assert_int_equal(enroll(&none, "any-device", good, NULL, 0), 401);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* An IoT Edge CA certificate (CA:TRUE) goes only to the device whose ID
 * the authenticating certificate's CN carries, even where the subject
 * rule is "any", and never on a password alone. */
static void
test_edge_ca_own_id_only(void **state)
{
	const char *good[] = {"authorization: Basic ZmxlZXQ6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5", NULL};
	char main_path[128], main_base[512], edge_id[64], reason[512];
	struct est_tls none = {0};
	EVP_PKEY *key = NULL;
	X509 *cert;

	(void)state;
	/* the calls below go to a CA that allows Edge CA certificates */
	snprintf(main_path, sizeof(main_path), "%s", ca_path);
	snprintf(main_base, sizeof(main_base), "%s", est_base);
	http_create_ca(&in, "{\"common_name\": \"Edge Fleet CA\", \"issuance\": {\"template\": "
	                    "\"client\", \"allowed_templates\": [\"client\", \"iot_edge_ca\"]}, "
	                    "\"est\": {\"subject_policy\": \"any\", \"basic_auth\": {\"username\": "
	                    "\"fleet\", \"password\": \"correct horse battery\"}}}",
	               edge_id);
	snprintf(ca_path, sizeof(ca_path), "/api/v1/cas/%s", edge_id);
	snprintf(est_base, sizeof(est_base), "/est/%s/default/.well-known/est", edge_id);
	cert = issued("edge-1", &key);
	{
		struct est_tls tls = {cert, NULL, key, NULL, 0};
		/* any subject for device certificates ... */
		assert_int_equal(enroll(&tls, "another-device", NULL, NULL, 0), 200);
		/* ... but an Edge CA certificate only for the device's own ID */
		assert_int_equal(enroll(&tls, "aziot-edge CA edge-1", NULL, NULL, 0), 200);
		assert_int_equal(enroll(&tls, "aziot-edge CA edge-2", NULL, reason, sizeof(reason)),
		                 403);
		expect_reason(reason, "device's own ID");
	}
	assert_int_equal(enroll(&none, "aziot-edge CA edge-1", good, reason, sizeof(reason)), 403);
	expect_reason(reason, "no client certificate");
	{
		/* a device certificate whose CN happens to carry the prefix cannot
		 * renew itself into an Edge CA through simplereenroll */
		static const char *const ct[] = {"content-type: application/pkcs10", NULL};
		EVP_PKEY *pk = NULL;
		X509 *odd = issued("aziot-edge CA edge-1", &pk);
		struct est_tls tls = {odd, NULL, pk, NULL, 0};
		X509_REQ *csr = est_make_csr("aziot-edge CA edge-1", false, NULL);
		unsigned char *der = NULL;
		int n = i2d_X509_REQ(csr, &der);
		char *b64 = base64_encode(der, (size_t)n, 64), path[600];
		struct http_response rr;

		assert_int_equal(X509_check_ca(odd), 0);
		snprintf(path, sizeof(path), "%s/simplereenroll", est_base);
		assert_int_equal(est_request(&in, &tls, "POST", path, ct, b64, strlen(b64), &rr), 403);
		assert_non_null(strstr((const char *)rr.body, "simpleenroll"));
		http_response_free(&rr);
		free(b64);
		OPENSSL_free(der);
		X509_REQ_free(csr);
		X509_free(odd);
		EVP_PKEY_free(pk);
	}
	assert_int_equal(enroll(&none, "password-device", good, NULL, 0), 200);
	snprintf(ca_path, sizeof(ca_path), "%s", main_path);
	snprintf(est_base, sizeof(est_base), "%s", main_base);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void
test_labels_default_disabled(void **state)
{
	struct est_tls none = {0};
	struct http_response r;
	char other[64], path[600];
	const char *body;

	patch("{\"est\": {\"label\": \"fleet\", \"default\": true}}", 200);
	assert_int_equal(est_request(&in, &none, "GET", "/.well-known/est/fleet/cacerts", NULL, NULL,
	                             0, &r), 200);
	http_response_free(&r);
	assert_int_equal(est_request(&in, &none, "GET", "/.well-known/est/cacerts", NULL, NULL, 0,
	                             &r), 200);
	http_response_free(&r);
	assert_int_equal(est_request(&in, &none, "GET", "/.well-known/est/nolabel/cacerts", NULL,
	                             NULL, 0, &r), 404);
	http_response_free(&r);
	snprintf(path, sizeof(path), "%s/est", ca_path);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	body = (const char *)r.body;
	assert_non_null(strstr(body, "/.well-known/est/fleet\""));
	assert_non_null(strstr(body, "\"default_url\":\"https://"));
	http_response_free(&r);
	/* one default, one owner per label */
	http_create_ca(&in, "{\"common_name\": \"Other CA\", \"issuance\": {\"template\": \"client\"}}",
	               other);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", other);
	http_expect(409, "est-label-taken",
	            http_call(&in, "PATCH", path, in.admin_token, "application/json",
	                      "{\"est\": {\"default\": true}}", 26, &r), &r);
	http_expect(409, "est-label-taken",
	            http_call(&in, "PATCH", path, in.admin_token, "application/json",
	                      "{\"est\": {\"label\": \"fleet\"}}", 27, &r), &r);
	/* EST switched off: its URLs are gone */
	patch("{\"est\": {\"enabled\": false, \"default\": false}}", 200);
	snprintf(path, sizeof(path), "%s/cacerts", est_base);
	assert_int_equal(est_request(&in, &none, "GET", path, NULL, NULL, 0, &r), 404);
	http_response_free(&r);
	assert_int_equal(est_request(&in, &none, "GET", "/.well-known/est/cacerts", NULL, NULL, 0,
	                             &r), 404);
	http_response_free(&r);
	patch("{\"est\": {\"enabled\": true, \"label\": null}}", 200);
	assert_int_equal(est_request(&in, &none, "GET", path, NULL, NULL, 0, &r), 200);
	http_response_free(&r);
}

static void
test_csrattrs_and_key_type(void **state)
{
	static const unsigned char secp384r1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
	struct est_tls none = {0};
	EVP_PKEY *key = NULL;
	X509 *cert = issued("dev-k", &key);
	struct est_tls tls = {cert, NULL, key, NULL, 0};
	struct http_response r;
	char path[600], reason[512];
	unsigned char *der = NULL;
	size_t len = 0;
	bool found = false;

	snprintf(path, sizeof(path), "%s/csrattrs", est_base);
	assert_int_equal(est_request(&in, &none, "GET", path, NULL, NULL, 0, &r), 204);
	assert_int_equal(r.body_len, 0);
	http_response_free(&r);
	patch("{\"est\": {\"key_algorithm\": \"EC-P384\"}}", 200);
	assert_int_equal(est_request(&in, &none, "GET", path, NULL, NULL, 0, &r), 200);
	assert_string_equal(r.content_type, "application/csrattrs");
	assert_int_equal(base64_decode((const char *)r.body, r.body_len, true, &der, &len), 0);
	assert_int_equal(der[0], 0x30); /* CsrAttrs: a SEQUENCE ... */
	for (size_t i = 0; i + sizeof(secp384r1) <= len; i++)
		found = found || memcmp(der + i, secp384r1, sizeof(secp384r1)) == 0;
	assert_true(found); /* ... naming the curve */
	free(der);
	http_response_free(&r);
	/* an EC P-256 CSR is refused now */
	assert_int_equal(enroll(&tls, "dev-k", NULL, reason, sizeof(reason)), 400);
	expect_reason(reason, "EC-P384");
	patch("{\"est\": {\"key_algorithm\": null}}", 200);
	assert_int_equal(enroll(&tls, "dev-k", NULL, NULL, 0), 200);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* simplereenroll keeps subject and SANs, and simpleenroll asks for no
 * name the certificate lacks; every operation answers under the label and
 * the default URL too. */
static void
test_reenroll_and_other_urls(void **state)
{
	static const char *const ct[] = {"content-type: application/pkcs10", NULL};
	static const char *const bases[] = {"/.well-known/est/lab", "/.well-known/est", NULL};
	EVP_PKEY *key = NULL;
	X509 *cert = issued("dev-re", &key);
	struct est_tls tls = {cert, NULL, key, NULL, 0}, none = {0};
	char *same = make_csr("EC-P256", "dev-re", NULL, NULL);
	char *other = make_csr("EC-P256", "dev-other", NULL, NULL);
	char *with_san = make_csr("EC-P256", "dev-re", "DNS:dev-re.example.com", NULL);
	const char *csrs[] = {same, other, with_san};
	const long want[] = {200, 403, 403};
	struct http_response r;

	patch("{\"est\": {\"label\": \"lab\", \"default\": true}}", 200);
	for (int b = -1; b < 2; b++) {
		const char *base = b < 0 ? est_base : bases[b];
		char path[600];
		for (int i = 0; i < 3; i++) {
			size_t len = 0;
			unsigned char *der = NULL;
			char *b64;
			static const char *const labels[] = {"CERTIFICATE REQUEST", NULL};
			assert_int_equal(pem_decode(csrs[i], strlen(csrs[i]), labels, NULL, &der, &len,
			                            NULL), PEM_OK);
			b64 = base64_encode(der, len, 64);
			snprintf(path, sizeof(path), "%s/simplereenroll", base);
			if (est_request(&in, &tls, "POST", path, ct, b64, strlen(b64), &r) != want[i])
				fail_msg("%s with CSR %d: %ld %s", path, i, r.status, (const char *)r.body);
			http_response_free(&r);
			/* simpleenroll too refuses a SAN the certificate does not carry */
			snprintf(path, sizeof(path), "%s/simpleenroll", base);
			assert_int_equal(est_request(&in, &tls, "POST", path, ct, b64, strlen(b64), &r),
			                 want[i]);
			http_response_free(&r);
			free(b64);
			free(der);
		}
		snprintf(path, sizeof(path), "%s/csrattrs", base);
		assert_int_equal(est_request(&in, &none, "GET", path, NULL, NULL, 0, &r), 204);
		http_response_free(&r);
	}
	patch("{\"est\": {\"label\": null, \"default\": false}}", 200);
	free(same);
	free(other);
	free(with_san);
	X509_free(cert);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_and_unknown_certificates),
		cmocka_unit_test(test_revoked_and_subject),
		cmocka_unit_test(test_bootstrap_anchors),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_edge_ca_own_id_only),
		cmocka_unit_test(test_labels_default_disabled),
		cmocka_unit_test(test_csrattrs_and_key_type),
		cmocka_unit_test(test_reenroll_and_other_urls),
	};

	return fixture_run_tests(tests, &fx);
}
