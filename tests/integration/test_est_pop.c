/* RFC 7030 3.5, linking identity and proof-of-possession: an OpenSSL
 * client computes its connection's channel binding (tls-unique, the first
 * Finished message, under TLS 1.2; tls-exporter, RFC 9266, under TLS 1.3)
 * and puts its base64 in the CSR's challengePassword. edgeca issues such
 * CSRs and refuses one whose challengePassword is anything else (made on
 * another connection, or a password of some other scheme), refuses one
 * without it where the CA sets est.require_pop_linking (then csrattrs asks
 * for it), and one that came through a reverse proxy, where the device's
 * own connection cannot be seen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/encoding.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define PROXY "127.0.0.3"
/* fleet:correct horse battery */
#define GOOD "authorization: Basic ZmxlZXQ6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5"

static struct instance in;
static char ca_id[64], ca_path[128], est_base[512];
static X509 *dev;
static EVP_PKEY *dev_key;

static void
fixture_ready(void)
{
	http_create_ca(&in, "{\"common_name\": \"Linked CA\", \"issuance\": {\"template\": "
	                    "\"client\"}, \"est\": {\"basic_auth\": {\"username\": \"fleet\", "
	                    "\"password\": \"correct horse battery\"}}}",
	               ca_id);
	snprintf(ca_path, sizeof(ca_path), "/api/v1/cas/%s", ca_id);
	snprintf(est_base, sizeof(est_base), "/est/%s/default/.well-known/est", ca_id);
	dev = http_issue_cert(&in, ca_id, "edge-device-challenge", &dev_key, NULL);
}

static void
fixture_done(void)
{
	X509_free(dev);
	EVP_PKEY_free(dev_key);
}

static const struct fixture fx = {
	.in = &in,
	.name = "est_pop",
	.env = {
		"EDGECA_EST_TRUSTED_PROXIES=" PROXY,
	},
	.ready = fixture_ready,
	.done = fixture_done,
};

/* The channel binding of an established client connection, as RFC 7030
 * 3.5 has the client compute it. */
static size_t
binding_of(SSL *ssl, unsigned char out[64])
{
	if (SSL_version(ssl) == TLS1_3_VERSION) {
		static const char label[] = "EXPORTER-Channel-Binding";
		assert_int_equal(SSL_export_keying_material(ssl, out, 32, label, strlen(label),
		                                            NULL, 0, 0),
		                 1);
		return 32;
	}
	assert_int_equal(SSL_version(ssl), TLS1_2_VERSION);
	assert_false(SSL_session_reused(ssl));
	/* a full handshake: the client's Finished comes first */
	return SSL_get_finished(ssl, out, 64);
}

/* base64 of DER of a new EC P-256 CSR for cn with challengePassword
 * challenge (NULL: none). */
static char *
csr_b64(const char *cn, const char *challenge)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	char *b64;
	int n;

	assert_non_null(key);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                                            (const unsigned char *)cn, -1, -1, 0),
	                 1);
	assert_int_equal(X509_REQ_set_subject_name(req, name), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	if (challenge != NULL)
		assert_int_equal(X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
		                                           MBSTRING_ASC,
		                                           (const unsigned char *)challenge, -1),
		                 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	n = i2d_X509_REQ(req, &der);
	b64 = base64_encode(der, (size_t)n, 64);
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return b64;
}

/* How the CSR of a request is made on its connection. */
struct linking {
	enum { LINK_THIS, LINK_SAVED, LINK_NONE } how;
	unsigned char saved[64]; /* LINK_THIS saves its binding here */
	size_t saved_len;
};

static char *
make_csr_body(SSL *ssl, void *arg)
{
	struct linking *l = arg;
	unsigned char b[64];
	size_t n = binding_of(ssl, b);
	char *challenge = NULL, *body;

	if (l->how == LINK_THIS) {
		memcpy(l->saved, b, n);
		l->saved_len = n;
	}
	if (l->how != LINK_NONE)
		challenge = base64_encode(l->saved, l->saved_len, 0);
	body = csr_b64("edge-device-challenge", challenge);
	free(challenge);
	return body;
}

/* simpleenroll with the device's certificate at TLS version tls_version
 * (0: the highest), the CSR made on the connection; the status, the
 * reason in reason. */
static long
enroll(int tls_version, struct linking *l, const char *op, char *reason, size_t reason_len)
{
	static const char *const ct[] = {"content-type: application/pkcs10", NULL};
	struct est_tls tls = {dev, NULL, dev_key, NULL, tls_version};
	struct http_response r;
	char path[600];
	long status;

	snprintf(path, sizeof(path), "%s/%s", est_base, op ? op : "simpleenroll");
	status = est_request_made(&in, &tls, "POST", path, ct, make_csr_body, l, &r);
	snprintf(reason, reason_len, "%s", r.body ? (const char *)r.body : "");
	http_response_free(&r);
	return status;
}

static void
patch(const char *body)
{
	struct http_response r;

	http_expect(200, NULL, http_call(&in, "PATCH", ca_path, in.admin_token,
	                                  "application/json", body, strlen(body), &r), &r);
}

static void
test_linked_csr_issued(void **state)
{
	struct linking l = {LINK_THIS, {0}, 0};
	char reason[512];

	(void)state;
	/* tls-unique under TLS 1.2 (libest's only version) */
	assert_int_equal(enroll(TLS1_2_VERSION, &l, NULL, reason, sizeof(reason)), 200);
	assert_int_equal(l.saved_len, 12);
	/* tls-exporter under TLS 1.3 */
	assert_int_equal(enroll(0, &l, NULL, reason, sizeof(reason)), 200);
	assert_int_equal(l.saved_len, 32);
	assert_int_equal(enroll(0, &l, "simplereenroll", reason, sizeof(reason)), 200);
	/* no challengePassword: nothing to check, issued */
	l.how = LINK_NONE;
	assert_int_equal(enroll(0, &l, NULL, reason, sizeof(reason)), 200);
}

static void
test_unlinked_csr_refused(void **state)
{
	static const char *const ct[] = {"content-type: application/pkcs10", NULL};
	static const char *const labels[] = {"CERTIFICATE REQUEST", NULL};
	struct est_tls tls = {dev, NULL, dev_key, NULL, 0};
	struct linking l = {LINK_THIS, {0}, 0};
	struct http_response r;
	unsigned char *der = NULL;
	size_t raw_len = 0, der_len = 0;
	char *raw, *b64, path[600], reason[512];

	(void)state;
	/* a CSR with a password of some other scheme ("s3cret-challenge") */
	raw = read_file(corpus_path("ec-p256-with-challenge.csr"), &raw_len);
	assert_int_equal(pem_decode(raw, raw_len, labels, NULL, &der, &der_len, NULL), PEM_OK);
	b64 = base64_encode(der, der_len, 64);
	snprintf(path, sizeof(path), "%s/simpleenroll", est_base);
	assert_int_equal(est_request(&in, &tls, "POST", path, ct, b64, strlen(b64), &r), 400);
	est_expect_reason((const char *)r.body, "challengePassword");
	est_expect_reason((const char *)r.body, "tls-exporter");
	http_response_free(&r);
	/* a CSR bound to another connection (one relayed by a man in the
	 * middle), under either version */
	assert_int_equal(enroll(0, &l, NULL, reason, sizeof(reason)), 200);
	l.how = LINK_SAVED;
	assert_int_equal(enroll(0, &l, NULL, reason, sizeof(reason)), 400);
	est_expect_reason(reason, "not made for this connection");
	l.how = LINK_THIS;
	assert_int_equal(enroll(TLS1_2_VERSION, &l, NULL, reason, sizeof(reason)), 200);
	l.how = LINK_SAVED;
	assert_int_equal(enroll(TLS1_2_VERSION, &l, "simplereenroll", reason, sizeof(reason)), 400);
	est_expect_reason(reason, "tls-unique");
	free(b64);
	free(der);
	free(raw);
}

static void
test_linking_required(void **state)
{
	struct linking l = {LINK_NONE, {0}, 0};
	struct http_response r;
	char reason[512], path[600];

	(void)state;
	assert_int_equal(http_get(&in, ca_path, in.admin_token, &r), 200);
	assert_non_null(strstr((const char *)r.body, "\"require_pop_linking\":false"));
	http_response_free(&r);
	patch("{\"est\": {\"require_pop_linking\": true}}");
	assert_int_equal(http_get(&in, ca_path, in.admin_token, &r), 200);
	assert_non_null(strstr((const char *)r.body, "\"require_pop_linking\":true"));
	http_response_free(&r);
	/* csrattrs asks for the challengePassword (OID 1.2.840.113549.1.9.7) */
	snprintf(path, sizeof(path), "%s/csrattrs", est_base);
	assert_int_equal(est_request(&in, NULL, "GET", path, NULL, NULL, 0, &r), 200);
	{
		unsigned char *der = NULL;
		size_t len = 0;
		static const unsigned char oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
		                                    0xf7, 0x0d, 0x01, 0x09, 0x07};
		assert_int_equal(base64_decode((const char *)r.body, r.body_len, true, &der, &len), 0);
		assert_non_null(memmem(der, len, oid, sizeof(oid)));
		free(der);
	}
	http_response_free(&r);
	/* without it: refused; with it: issued, under both versions */
	assert_int_equal(enroll(0, &l, NULL, reason, sizeof(reason)), 400);
	est_expect_reason(reason, "requires");
	assert_int_equal(enroll(TLS1_2_VERSION, &l, NULL, reason, sizeof(reason)), 400);
	l.how = LINK_THIS;
	assert_int_equal(enroll(0, &l, NULL, reason, sizeof(reason)), 200);
	assert_int_equal(enroll(TLS1_2_VERSION, &l, NULL, reason, sizeof(reason)), 200);
	/* the change is audited */
	{
		char *n = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE action = "
		                            "'ca.update_est' AND object_id = '%s' AND details::text "
		                            "LIKE '%%require_pop_linking%%'",
		                       ca_id);
		assert_non_null(n);
		assert_true(atoi(n) >= 1);
		free(n);
	}
	/* null puts the default back */
	patch("{\"est\": {\"require_pop_linking\": null}}");
	l.how = LINK_NONE;
	assert_int_equal(enroll(0, &l, NULL, reason, sizeof(reason)), 200);
}

/* Through a reverse proxy there is no binding of the device's own
 * connection: a challengePassword cannot be checked, and a CA that
 * requires one cannot enroll that way. */
static void
test_through_proxy(void **state)
{
	static const char *const headers[] = {"content-type: application/pkcs10", GOOD, NULL};
	struct est_tls proxy = {NULL, NULL, NULL, PROXY, 0};
	struct http_response r;
	char path[600], *linked, *plain;

	(void)state;
	patch("{\"est\": {\"subject_policy\": \"any\"}}");
	linked = csr_b64("proxied-device", "AAAAAAAAAAAAAAAA");
	plain = csr_b64("proxied-device", NULL);
	snprintf(path, sizeof(path), "%s/simpleenroll", est_base);
	assert_int_equal(est_request(&in, &proxy, "POST", path, headers, plain, strlen(plain), &r),
	                 200);
	http_response_free(&r);
	assert_int_equal(est_request(&in, &proxy, "POST", path, headers, linked, strlen(linked),
	                             &r),
	                 400);
	est_expect_reason((const char *)r.body, "reverse proxy");
	http_response_free(&r);
	patch("{\"est\": {\"require_pop_linking\": true}}");
	assert_int_equal(est_request(&in, &proxy, "POST", path, headers, plain, strlen(plain), &r),
	                 400);
	est_expect_reason((const char *)r.body, "requires");
	http_response_free(&r);
	patch("{\"est\": {\"require_pop_linking\": false, \"subject_policy\": "
	      "\"match_client_cert\"}}");
	free(linked);
	free(plain);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linked_csr_issued),
		cmocka_unit_test(test_unlinked_csr_refused),
		cmocka_unit_test(test_linking_required),
		cmocka_unit_test(test_through_proxy),
	};

	return fixture_run_tests(tests, &fx);
}
