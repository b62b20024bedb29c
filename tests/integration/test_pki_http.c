/* The plain-HTTP PKI listener (EDGECA_PKI_HTTP_PORT) as relying parties
 * use it: a two-tier chain verified by `openssl verify -crl_check_all
 * -crl_download` from the URLs in the certificates alone (CRLs fetched
 * over plain HTTP), before and after a revocation; caIssuers URLs
 * serving the issuer's DER certificate; nothing else reachable, other
 * methods refused; HEAD; and the listener still serving after hostile
 * requests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/process.h"

static struct instance in;
static char root_id[64], sub_id[64];
static X509 *root_cert, *sub_cert;

static void
fixture_ready(void)
{
	struct http_response r;
	char *body;

	r = http_post_expect(&in, "/api/v1/cas",
	                     "{\"common_name\": \"PKI Root\", \"validity_days\": 3650, "
	                     "\"issuance\": {\"template\": \"subordinate_ca\"}}", 201);
	snprintf(root_id, sizeof(root_id), "%s", http_json_str(&r, "id"));
	root_cert = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(root_cert);
	http_response_free(&r);
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"PKI Issuing CA\", "
	                 "\"parent_ca_id\": \"%s\", \"validity_days\": 730}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	free(body);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	sub_cert = http_location_cert(&r, "default");
	http_response_free(&r);
}

static void
fixture_done(void)
{
	X509_free(root_cert);
	X509_free(sub_cert);
}

/* EDGECA_PUBLIC_PKI_URL unset: http://localhost:<PKI port>, the default */
static const struct fixture fx = {
	.in = &in,
	.name = "pki_http",
	.env = {"EDGECA_CRL_DELAY_MS=300"},
	.ready = fixture_ready,
	.done = fixture_done,
};

static void
write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
}

/* The URL's path on the PKI listener (fails unless it is one). */
static const char *
pki_path(const char *url)
{
	char base[64];

	instance_pki_url(&in, "", base, sizeof(base));
	assert_true(strncmp(url, base, strlen(base)) == 0);
	return url + strlen(base);
}

/* The root's CRL, from the distribution point the subordinate names, as
 * PEM into path: OpenSSL 3.0 with -crl_check_all wants a CRL for the
 * trust anchor too, which names none (RFC 5280 6.1 does not check trust
 * anchors); the root's own CRL, which it signs, is the one to give. */
static void
write_root_crl(const char *path)
{
	const unsigned char *p;
	struct http_response r;
	X509_CRL *crl;
	char url[512];
	FILE *f;

	cert_first_url(sub_cert, NID_crl_distribution_points, url, sizeof(url));
	assert_int_equal(http_pki_call(&in, "GET", pki_path(url), NULL, NULL, 0, NULL, &r), 200);
	p = r.body;
	crl = d2i_X509_CRL(NULL, &p, (long)r.body_len);
	assert_non_null(crl);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509_CRL(f, crl), 1);
	assert_int_equal(fclose(f), 0);
	X509_CRL_free(crl);
	http_response_free(&r);
}

/* openssl verify -crl_check_all -crl_download of leaf under the chain
 * (the subordinate's and the leaf's CRLs downloaded from their
 * certificates' URLs): its exit status, its output in out. */
static int
openssl_verify(X509 *leaf, char *out, size_t len)
{
	char cmd[2048], root[256], sub[256], leaf_file[256], root_crl[256];

	snprintf(root, sizeof(root), "%s/root.pem", in.data_dir);
	snprintf(sub, sizeof(sub), "%s/sub.pem", in.data_dir);
	snprintf(leaf_file, sizeof(leaf_file), "%s/leaf.pem", in.data_dir);
	snprintf(root_crl, sizeof(root_crl), "%s/root-crl.pem", in.data_dir);
	write_pem(root, root_cert);
	write_pem(sub, sub_cert);
	write_pem(leaf_file, leaf);
	write_root_crl(root_crl);
	snprintf(cmd, sizeof(cmd), "openssl verify -crl_check_all -crl_download -CAfile %s "
	         "-CRLfile %s -untrusted %s %s 2>&1", root, root_crl, sub, leaf_file);
	return process_run_into(cmd, out, len);
}

/* The certificates carry http:// URLs of this listener; openssl fetches
 * both CRLs from them, and a revocation shows once the CRL is rebuilt. */
static void
test_verify_with_crl_download(void **state)
{
	char url[512], path[256], serial[80], out[4096];
	struct http_response r;
	X509 *leaf = http_issue_cert(&in, sub_id, "pki-device-1", NULL, serial);

	(void)state;
	cert_first_url(leaf, NID_crl_distribution_points, url, sizeof(url));
	snprintf(path, sizeof(path), "/crl/%s/default.crl", sub_id);
	assert_string_equal(pki_path(url), path);
	cert_first_url(sub_cert, NID_crl_distribution_points, url, sizeof(url));
	snprintf(path, sizeof(path), "/crl/%s/default.crl", root_id);
	assert_string_equal(pki_path(url), path);
	if (openssl_verify(leaf, out, sizeof(out)) != 0)
		fail_msg("openssl verify: %s", strchr(out, '\n') ? strchr(out, '\n') + 1 : out);
	assert_non_null(strstr(out, "leaf.pem: OK"));

	http_revoke(&in, sub_id, serial, "keyCompromise");
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", sub_id);
	assert_int_equal(http_post_json(&in, path, in.admin_token, "{}", &r), 201);
	/* the answer's url is the distribution point on this listener */
	snprintf(url, sizeof(url), "http://localhost:%u/crl/%s/default.crl", in.pki_port, sub_id);
	assert_string_equal(http_json_str(&r, "url"), url);
	http_response_free(&r);
	assert_int_not_equal(openssl_verify(leaf, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "certificate revoked"));
	X509_free(leaf);
}

/* caIssuers: the issuer's DER certificate, which verifies the child. */
static void
test_ca_issuers(void **state)
{
	X509 *leaf = http_issue_cert(&in, sub_id, "pki-device-2", NULL, NULL);
	X509 *children[2] = {leaf, sub_cert}, *parents[2] = {sub_cert, root_cert};
	struct http_response r;
	char url[512];

	(void)state;
	for (int i = 0; i < 2; i++) {
		const unsigned char *p;
		X509 *got;
		cert_first_url(children[i], NID_ad_ca_issuers, url, sizeof(url));
		assert_int_equal(http_pki_call(&in, "GET", pki_path(url), NULL, NULL, 0, NULL, &r),
		                 200);
		assert_string_equal(r.content_type, "application/pkix-cert");
		p = r.body;
		got = d2i_X509(NULL, &p, (long)r.body_len);
		assert_non_null(got);
		assert_ptr_equal(p, r.body + r.body_len);
		assert_int_equal(X509_cmp(got, parents[i]), 0);
		assert_int_equal(X509_verify(children[i], X509_get0_pubkey(got)), 1);
		X509_free(got);
		http_response_free(&r);
	}
	X509_free(leaf);
}

/* HEAD: the GET's status and headers, no body; the caching headers of
 * the HTTPS distribution point, and 304 for a cache that has the CRL. */
static void
test_head_and_caching(void **state)
{
	struct http_response get, head, again;
	char path[256], inm[160], len[32];
	const char *const headers[] = {inm, NULL};

	(void)state;
	snprintf(path, sizeof(path), "/crl/%s/default.crl", root_id);
	assert_int_equal(http_pki_call(&in, "GET", path, NULL, NULL, 0, NULL, &get), 200);
	assert_string_equal(get.content_type, "application/pkix-crl");
	assert_non_null(http_header(&get, "etag"));
	assert_non_null(http_header(&get, "last-modified"));
	assert_non_null(strstr(http_header(&get, "cache-control"), "public"));
	assert_int_equal(http_pki_call(&in, "HEAD", path, NULL, NULL, 0, NULL, &head), 200);
	assert_int_equal(head.body_len, 0);
	snprintf(len, sizeof(len), "%zu", get.body_len);
	assert_string_equal(http_header(&head, "content-length"), len);
	assert_string_equal(http_header(&head, "etag"), http_header(&get, "etag"));
	http_response_free(&head);
	/* every answer carries a request id, the client's when it sent one */
	assert_non_null(http_header(&get, "x-request-id"));
	snprintf(inm, sizeof(inm), "X-Request-Id: pki-head-1");
	assert_int_equal(http_pki_call(&in, "HEAD", path, NULL, NULL, 0, headers, &head), 200);
	assert_string_equal(http_header(&head, "x-request-id"), "pki-head-1");
	http_response_free(&head);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", http_header(&get, "etag"));
	assert_int_equal(http_pki_call(&in, "GET", path, NULL, NULL, 0, headers, &again), 304);
	http_response_free(&again);
	snprintf(path, sizeof(path), "/ca/%s/default.crt", root_id);
	assert_int_equal(http_pki_call(&in, "HEAD", path, NULL, NULL, 0, NULL, &head), 200);
	assert_string_equal(head.content_type, "application/pkix-cert");
	assert_int_equal(head.body_len, 0);
	http_response_free(&head);
	http_response_free(&get);
}

/* Only /crl and /ca: the API, health and other paths are 404 problem
 * documents, other methods 405 with Allow. */
static void
test_nothing_else(void **state)
{
	char path[256], body[] = "x";
	const char *const absent[] = {
		"/", "/api/v1/cas", "/healthz", "/readyz", "/metrics", "/crl", "/crl/x",
		"/crl/a/b/c.crl", "/ca/x/y.pem", "/.well-known/est/cacerts",
	};
	struct http_response r;

	(void)state;
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		assert_int_equal(http_pki_call(&in, "GET", absent[i], NULL, NULL, 0, NULL, &r), 404);
		assert_string_equal(r.content_type, "application/problem+json");
		assert_string_equal(http_problem_type(&r), "not-found");
		http_response_free(&r);
	}
	snprintf(path, sizeof(path), "/crl/%s/nowhere.crl", root_id);
	assert_int_equal(http_pki_call(&in, "GET", path, NULL, NULL, 0, NULL, &r), 404);
	http_response_free(&r);
	/* a CA id that is none (the decoded "..") */
	assert_int_equal(http_pki_call(&in, "GET", "/crl/%2e%2e/x.crl", NULL, NULL, 0, NULL, &r),
	                 404);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/crl/%s/default.crl%%00.pem", root_id);
	assert_int_equal(http_pki_call(&in, "GET", path, NULL, NULL, 0, NULL, &r), 404);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/crl/%s/default.crl", root_id);
	assert_int_equal(http_pki_call(&in, "POST", path, "application/pkix-crl", body, 1, NULL,
	                               &r), 405);
	assert_string_equal(http_header(&r, "allow"), "GET, HEAD");
	assert_string_equal(http_problem_type(&r), "method-not-allowed");
	http_response_free(&r);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(http_pki_call(&in, i ? "DELETE" : "PUT", path, NULL, NULL, 0, NULL,
		                               &r), 405);
		http_response_free(&r);
	}
}

/* A raw connection to the listener. */
static int
connect_pki(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)in.pki_port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
still_serving(void)
{
	struct http_response r;
	char path[256];

	snprintf(path, sizeof(path), "/ca/%s/default.crt", root_id);
	assert_int_equal(http_pki_call(&in, "GET", path, NULL, NULL, 0, NULL, &r), 200);
	http_response_free(&r);
}

/* A huge header, requests trickling in and a 1 MB body are refused or
 * left to their time limits; the listener answers everyone else. */
static void
test_hostile(void **state)
{
	char header[100 * 1024], path[256];
	const char *const huge[] = {header, NULL};
	size_t body_len = 1024 * 1024;
	char *body = malloc(body_len);
	struct http_response r;
	int slow[8];
	long st;

	(void)state;
	assert_non_null(body);
	memset(body, 'A', body_len);
	/* a header past libmicrohttpd's per-connection memory */
	snprintf(header, sizeof(header), "X-Big: ");
	memset(header + 7, 'b', sizeof(header) - 8);
	header[sizeof(header) - 1] = '\0';
	snprintf(path, sizeof(path), "/crl/%s/default.crl", root_id);
	st = http_pki_call(&in, "GET", path, NULL, NULL, 0, huge, &r);
	assert_true(st == 0 || st == 431 || st == 413 || st == 400);
	http_response_free(&r);
	still_serving();
	/* slowloris: connections with half a request line, held open */
	for (int i = 0; i < 8; i++) {
		slow[i] = connect_pki();
		assert_int_equal(write(slow[i], "GET /crl/", 9), 9);
	}
	still_serving();
	for (int i = 0; i < 8; i++)
		assert_int_equal(write(slow[i], "x", 1), 1);
	still_serving();
	/* a 1 MB body: to a route without POST (405), to no route (404) */
	assert_int_equal(http_pki_call(&in, "POST", path, "application/octet-stream", body,
	                               body_len, NULL, &r), 405);
	http_response_free(&r);
	assert_int_equal(http_pki_call(&in, "POST", "/upload", "application/octet-stream", body,
	                               body_len, NULL, &r), 404);
	http_response_free(&r);
	still_serving();
	for (int i = 0; i < 8; i++)
		close(slow[i]);
	still_serving();
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_with_crl_download),
		cmocka_unit_test(test_ca_issuers),
		cmocka_unit_test(test_head_and_caching),
		cmocka_unit_test(test_nothing_else),
		cmocka_unit_test(test_hostile),
	};

	return fixture_run_tests(tests, &fx);
}
