/* Malformed and hostile EST requests: every CSR of the corpus (as the
 * base64 of its DER, or of its raw bytes when it has no readable PEM),
 * a raw DER body, wrong or missing Content-Type, an oversized body, empty
 * and non-base64 bodies, unknown CAs, locations, labels and operations,
 * wrong methods. Each gets the status RFC 7030 clients expect and a short
 * text reason, and the server keeps serving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/encoding.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char ca_id[64], est_base[512];
static X509 *client;
static EVP_PKEY *client_key;

static void
fixture_ready(void)
{
	char path[128], *csr;
	struct http_response r;

	/* any CN: the corpus has all kinds of subjects */
	http_create_ca(&in, "{\"common_name\": \"Hostile EST CA\", \"issuance\": "
	                    "{\"template\": \"client\"}, \"est\": {\"subject_policy\": \"any\"}}",
	               ca_id);
	snprintf(est_base, sizeof(est_base), "/est/%s/default/.well-known/est", ca_id);
	csr = make_csr("EC-P256", "hostile-client", NULL, &client_key);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	client = pem_cert(http_json_str(&r, "certificate_pem"));
	http_response_free(&r);
	free(csr);
}

static void
fixture_done(void)
{
	X509_free(client);
	EVP_PKEY_free(client_key);
}

static const struct fixture fx = {
	.in = &in,
	.name = "est_hostile",
	.ready = fixture_ready,
	.done = fixture_done,
};

static long
post(const char *op, const char *const *headers, const void *body, size_t len,
     struct http_response *r)
{
	struct est_tls tls = {client, NULL, client_key, NULL, 0};
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", est_base, op);
	return est_request(&in, &tls, "POST", path, headers, body, len, r);
}

/* Posts body as a CSR and expects status with a text reason. */
static void
expect_post(const char *what, const char *const *headers, const void *body, size_t len,
            long status)
{
	struct http_response r;
	long got = post("simpleenroll", headers, body, len, &r);

	if (got != status)
		fail_msg("%s: expected %ld, got %ld: %.*s", what, status, got, (int)r.body_len,
		         r.body ? (const char *)r.body : "");
	if (status != 200) {
		assert_string_equal(r.content_type, "text/plain; charset=utf-8");
		assert_true(r.body_len > 1 && r.body_len < 600);
	}
	http_response_free(&r);
}

static void
assert_still_serving(void)
{
	static const char *const ct[] = {"content-type: application/pkcs10", NULL};
	X509_REQ *csr = est_make_csr("still-serving", false, NULL);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(csr, &der);
	char *b64 = base64_encode(der, (size_t)n, 64);

	expect_post("a good request", ct, b64, strlen(b64), 200);
	free(b64);
	OPENSSL_free(der);
	X509_REQ_free(csr);
}

/* The DER inside a corpus file: its PEM body, the file itself when it is
 * DER (or unreadable: then the bytes go as they are, base64-encoded). */
static unsigned char *
corpus_der(const char *file, size_t *len)
{
	static const char *const labels[] = {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", NULL};
	size_t raw_len = 0;
	char *raw = read_file(corpus_path(file), &raw_len);
	unsigned char *der = NULL;

	if (looks_like_pem((const unsigned char *)raw, raw_len) &&
	    pem_decode(raw, raw_len, labels, NULL, &der, len, NULL) == PEM_OK) {
		free(raw);
		return der;
	}
	*len = raw_len;
	return (unsigned char *)raw;
}

static void
test_corpus(void **state)
{
	/* client template, subject_policy any: CNs that are no host names are
	 * fine here, content the signer refuses is a Bad Request, and so is a
	 * challengePassword that is not the connection's channel binding
	 * (RFC 7030 3.5; REST issues that file) */
	static const struct {
		const char *file;
		long status;
	} cases[] = {
		{"rsa4096-seed-style.csr", 200}, {"ec-p256.csr", 200},
		{"ec-p256.der", 200},            {"ec-p384.csr", 200},
		{"rsa2048-san.csr", 200},        {"ec-p256-with-challenge.csr", 400},
		{"requests-ca-true.csr", 200},   {"cn-64-chars.csr", 200},
		{"cn-with-colons.csr", 200},     {"cn-ip-address.csr", 200},
		{"no-common-name.csr", 400},     {"weak-rsa1024.csr", 400},
		{"unsupported-ed25519.csr", 400}, {"unsupported-secp256k1.csr", 400},
		{"cn-65-chars.csr", 400},        {"two-common-names.csr", 400},
		{"bad-signature.csr", 400},      {"truncated.csr", 400},
		{"not-a-csr.csr", 400},          {"trailing-garbage.der", 400},
		{"trailing-text.csr", 400},      {"wrong-label.csr", 400},
		{"oversized.csr", 413},
	};
	static const char *const ct[] = {"content-type: application/pkcs10",
	                                  "content-transfer-encoding: base64", NULL};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = 0;
		unsigned char *der = corpus_der(cases[i].file, &len);
		char *b64 = base64_encode(der, len, 64);
		expect_post(cases[i].file, ct, b64, strlen(b64), cases[i].status);
		free(b64);
		free(der);
	}
	assert_still_serving();
}

static void
test_bodies_and_types(void **state)
{
	static const char *const ct[] = {"content-type: application/pkcs10", NULL};
	static const char *const ct_upper[] = {"Content-Type: Application/PKCS10; charset=x", NULL};
	static const char *const json[] = {"content-type: application/json", NULL};
	static const char *const none[] = {NULL};
	/* the CTE header is ignored on receipt (RFC 8951): binary still fails */
	static const char *const binary_cte[] = {"content-type: application/pkcs10",
	                                         "content-transfer-encoding: binary", NULL};
	X509_REQ *csr = est_make_csr("body-checks", false, NULL);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(csr, &der);
	char *b64 = base64_encode(der, (size_t)n, 64), *one_line = base64_encode(der, (size_t)n, 0);
	char *spaced = malloc(strlen(b64) * 2 + 1), *big = malloc(70000);
	size_t o = 0;

	/* base64 with CR LF, spaces and tabs inside is fine (RFC 8951) */
	for (const char *p = b64; *p; p++) {
		if (*p == '\n') {
			spaced[o++] = '\r';
			spaced[o++] = '\n';
		} else {
			spaced[o++] = *p;
			if ((p - b64) % 17 == 0)
				spaced[o++] = (p - b64) % 2 ? ' ' : '\t';
		}
	}
	spaced[o] = '\0';
	expect_post("CRLF and blanks", ct, spaced, strlen(spaced), 200);
	expect_post("one line", ct, one_line, strlen(one_line), 200);
	expect_post("header names in any case", ct_upper, b64, strlen(b64), 200);
	expect_post("raw DER", ct, der, (size_t)n, 400);
	expect_post("raw DER said binary", binary_cte, der, (size_t)n, 400);
	expect_post("not base64", ct, "this is not base64!", 19, 400);
	expect_post("empty", ct, "", 0, 400);
	expect_post("JSON", json, b64, strlen(b64), 415);
	expect_post("no content type", none, b64, strlen(b64), 415);
	memset(big, 'A', 70000);
	expect_post("oversized", ct, big, 70000, 413);
	assert_still_serving();
	free(big);
	free(spaced);
	free(b64);
	free(one_line);
	OPENSSL_free(der);
	X509_REQ_free(csr);
}

static void
test_paths_and_methods(void **state)
{
	/* "@" stands for the CA's id */
	static const struct {
		const char *method;
		const char *path;
		long status;
	} cases[] = {
		{"GET", "/est/00000000-0000-0000-0000-000000000000/default/.well-known/est/cacerts", 404},
		{"GET", "/est/not-a-uuid/default/.well-known/est/cacerts", 404},
		{"GET", "/est/@/nowhere/.well-known/est/cacerts", 404},
		{"GET", "/est/@/default/.well-known/est/unknown", 404},
		{"POST", "/est/@/default/.well-known/est/serverkeygen", 404},
		{"GET", "/.well-known/est/no-such-label/cacerts", 404},
		{"GET", "/.well-known/est/cacerts", 404}, /* no default CA */
		{"GET", "/est/@/default/.well-known/est", 404},
		{"GET", "/est/@/default/.well-known/est/cacerts/extra", 404},
		{"GET", "/", 404},
		{"GET", "/api/v1/cas", 404}, /* the REST API is on its own port */
		{"GET", "/est/@/default/.well-known/est/simpleenroll", 405},
		{"POST", "/est/@/default/.well-known/est/cacerts", 405},
		{"DELETE", "/est/@/default/.well-known/est/csrattrs", 405},
		{"HEAD", "/est/@/default/.well-known/est/cacerts", 200},
		{"GET", "/est/@/default/.well-known/est/cacerts", 200},
	};
	struct est_tls none = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[600];
		struct http_response r;
		long got;
		const char *at = strchr(cases[i].path, '@');
		if (at != NULL)
			snprintf(path, sizeof(path), "%.*s%s%s", (int)(at - cases[i].path),
			         cases[i].path, ca_id, at + 1);
		else
			snprintf(path, sizeof(path), "%s", cases[i].path);
		got = est_request(&in, &none, cases[i].method, path, NULL,
		                  strcmp(cases[i].method, "POST") == 0 ? "" : NULL, 0, &r);
		if (got != cases[i].status)
			fail_msg("%s %s: expected %ld, got %ld", cases[i].method, path,
			         cases[i].status, got);
		if (got == 405)
			assert_non_null(http_header(&r, "allow"));
		http_response_free(&r);
	}
	assert_still_serving();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_bodies_and_types),
		cmocka_unit_test(test_paths_and_methods),
	};

	return fixture_run_tests(tests, &fx);
}
