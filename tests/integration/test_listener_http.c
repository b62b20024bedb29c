/* HTTP hygiene on both listeners, against the real server, signer and
 * PostgreSQL: every answer carries Strict-Transport-Security; a request
 * framed both by Content-Length and by Transfer-Encoding is refused (400)
 * and its connection closed, so a request smuggled behind it is never
 * answered; an encoded NUL anywhere in the request target is refused (400
 * invalid-parameter) instead of cutting the value short. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "common/buf.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

#define HSTS "max-age=63072000"

static struct instance in;
static char ca_id[64], auditor[128];

static void
fixture_ready(void)
{
	instance_token(&in, "auditor", "hygiene-auditor", auditor, sizeof(auditor));
}

static const struct fixture fx = {
	.in = &in,
	.name = "listener_http",
	.env = {
		/* idle and request time limits far above the client's wait: a
		 * connection closed while it waits was closed on purpose */
		"EDGECA_CONNECTION_TIMEOUT=300",
		"EDGECA_REQUEST_TIMEOUT=600",
	},
	.ca_json = "{\"common_name\": \"Hygiene Root\", \"issuance\": "
	           "{\"template\": \"client\"}}",
	.ca_id = ca_id,
	.ready = fixture_ready,
};

static void
expect_hsts(const char *what, long status, long want, struct http_response *r)
{
	const char *v = http_header(r, "strict-transport-security");

	if (status != want)
		fail_msg("%s: status %ld, expected %ld", what, status, want);
	if (v == NULL || strcmp(v, HSTS) != 0)
		fail_msg("%s (%ld): Strict-Transport-Security is %s", what, status, v ? v : "absent");
	http_response_free(r);
}

/* Successes and errors of both listeners carry the header. */
static void
test_hsts_on_every_answer(void **state)
{
	char path[200], *big = calloc(1, 100000);
	struct http_response r;
	X509_REQ *csr;

	(void)state;
	assert_non_null(big);
	memset(big, '{', 99999);
	expect_hsts("healthz", http_get(&in, "/healthz", NULL, &r), 200, &r);
	expect_hsts("openapi", http_get(&in, "/openapi.yaml", NULL, &r), 200, &r);
	expect_hsts("no token", http_get(&in, "/api/v1/cas", NULL, &r), 401, &r);
	expect_hsts("list", http_get(&in, "/api/v1/cas", auditor, &r), 200, &r);
	expect_hsts("unknown path", http_get(&in, "/nowhere", NULL, &r), 404, &r);
	expect_hsts("method", http_call(&in, "PUT", "/healthz", NULL, NULL, NULL, 0, &r), 405, &r);
	expect_hsts("too large", http_call(&in, "POST", "/api/v1/cas", in.admin_token,
	                                   "application/json", big, 99999, &r), 413, &r);
	snprintf(path, sizeof(path), "/ca/%s/default.crt", ca_id);
	expect_hsts("issuer certificate", http_get(&in, path, NULL, &r), 200, &r);
	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est/cacerts", ca_id);
	expect_hsts("EST cacerts", est_request(&in, NULL, "GET", path, NULL, NULL, 0, &r), 200, &r);
	expect_hsts("EST no default CA",
	            est_request(&in, NULL, "GET", "/.well-known/est/cacerts", NULL, NULL, 0, &r), 404,
	            &r);
	expect_hsts("EST method", est_request(&in, NULL, "PUT", path, NULL, NULL, 0, &r), 405, &r);
	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est", ca_id);
	csr = est_make_csr("no-credentials", false, NULL);
	expect_hsts("EST no credentials", est_aziot_enroll(&in, NULL, path, csr, &r), 401, &r);
	X509_REQ_free(csr);
	free(big);
}

/* True when text occurs in the body. */
static bool
body_has(const struct http_response *r, const char *text)
{
	size_t n = strlen(text);

	for (size_t i = 0; r->body != NULL && i + n <= r->body_len; i++)
		if (memcmp(r->body + i, text, n) == 0)
			return true;
	return false;
}

/* The EST listener serves its own description (openapi/est.yaml) to
 * anyone, without a client certificate; the API's is not there. */
static void
test_est_description(void **state)
{
	struct http_response r;

	(void)state;
	assert_int_equal(est_request(&in, NULL, "GET", "/openapi.yaml", NULL, NULL, 0, &r), 200);
	assert_string_equal(r.content_type, "application/yaml");
	assert_true(body_has(&r, "/.well-known/est/cacerts:"));
	assert_false(body_has(&r, "/api/v1/cas:"));
	expect_hsts("EST description", 200, 200, &r);
	assert_int_equal(est_request(&in, NULL, "POST", "/openapi.yaml", NULL, NULL, 0, &r), 405);
	assert_string_equal(http_header(&r, "allow"), "GET, HEAD");
	http_response_free(&r);
}

/* How long a client waits for more answers, or for the close. */
#define RAW_WAIT_S 60

/* What came back on one connection after one write: the answers, and
 * whether the server closed the connection before RAW_WAIT_S passed. */
struct raw {
	struct buf data;
	bool closed;
};

/* The number of complete answers at the start of data (each a head and
 * Content-Length bytes of body). */
static int
answers_in(const unsigned char *data, size_t len)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		const char *head = (const char *)data + off, *end, *cl;
		size_t body;
		if (len - off < 9 || memcmp(head, "HTTP/1.1 ", 9) != 0)
			break;
		if ((end = strstr(head, "\r\n\r\n")) == NULL)
			break;
		cl = strcasestr(head, "\r\ncontent-length:");
		body = cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
		if ((size_t)(end + 4 - head) + body > len - off)
			break;
		off += (size_t)(end + 4 - head) + body;
		n++;
	}
	return n;
}

/* Writes bytes on a new connection to port and reads until want answers
 * are in, the server closes the connection, or RAW_WAIT_S pass. */
static struct raw
raw_exchange(unsigned port, const char *bytes, int want)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {RAW_WAIT_S, 0};
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct raw out = {{0}, false};
	unsigned char chunk[4096];
	SSL *ssl;
	int fd = socket(AF_INET, SOCK_STREAM, 0), n;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_non_null(ctx);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	assert_int_equal(SSL_connect(ssl), 1);
	assert_int_equal(SSL_write(ssl, bytes, (int)strlen(bytes)), (int)strlen(bytes));
	while (answers_in(out.data.data, out.data.len) < want) {
		int err;
		errno = 0;
		n = SSL_read(ssl, chunk, sizeof(chunk));
		if (n > 0) {
			/* terminated, for the string searches of answers_in */
			assert_int_equal(buf_append(&out.data, chunk, (size_t)n), 0);
			assert_int_equal(buf_terminate(&out.data), 0);
			continue;
		}
		/* a close (close_notify or end of stream), not the receive timeout */
		err = SSL_get_error(ssl, n);
		out.closed = err == SSL_ERROR_ZERO_RETURN ||
		             (err == SSL_ERROR_SYSCALL && errno != EAGAIN && errno != EWOULDBLOCK) ||
		             (err == SSL_ERROR_SSL);
		break;
	}
	assert_int_equal(buf_terminate(&out.data), 0);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return out;
}

static int
answers(const struct raw *r)
{
	return answers_in(r->data.data, r->data.len);
}

/* The first answer as an http_response (headers lower-cased, body). */
static void
first_answer(const struct raw *raw, struct http_response *out)
{
	long length = -1, head;

	memset(out, 0, sizeof(*out));
	head = est_parse_head(raw->data.data, raw->data.len, out, &length);
	assert_true(head > 0 && length >= 0);
	assert_true((size_t)head + (size_t)length <= raw->data.len);
	out->body = malloc((size_t)length + 1);
	assert_non_null(out->body);
	memcpy(out->body, raw->data.data + head, (size_t)length);
	out->body[length] = '\0';
	out->body_len = (size_t)length;
	if (strstr(out->content_type, "json") != NULL)
		out->json = json_loadb((const char *)out->body, out->body_len, 0, NULL);
}

/* A request with both Content-Length and Transfer-Encoding, and a second
 * request behind it in the same write. */
static char *
smuggling(const char *method, const char *path, const char *content_type)
{
	char *s = NULL;

	xasprintf(&s,
	          "%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\n"
	          "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
	          "0\r\n\r\n"
	          "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
	          method, path, content_type);
	return s;
}

static void
expect_refused_and_closed(unsigned port, const char *listener, const char *method,
                          const char *path, const char *content_type)
{
	char *bytes = smuggling(method, path, content_type);
	struct raw raw = raw_exchange(port, bytes, 2);
	struct http_response r;

	if (answers(&raw) != 1)
		fail_msg("%s: %d answers to a refused request and the one behind it:\n%s", listener,
		         answers(&raw), (const char *)raw.data.data);
	assert_true(raw.closed);
	first_answer(&raw, &r);
	http_record(listener, method, path, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(http_header(&r, "connection"), "close");
	assert_string_equal(http_header(&r, "strict-transport-security"), HSTS);
	if (strcmp(listener, "api") == 0)
		http_expect(400, "malformed-request", r.status, &r);
	else {
		assert_true(strncmp(r.content_type, "text/plain", 10) == 0);
		assert_non_null(strstr((const char *)r.body, "Transfer-Encoding"));
		http_response_free(&r);
	}
	buf_free(&raw.data);
	free(bytes);
}

/* Refused on both listeners, the connection closed, nothing behind it
 * answered; two plain requests in one write get two answers. */
static void
test_content_length_with_transfer_encoding(void **state)
{
	const char two[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
	                   "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
	const char two_est[] = "GET /.well-known/est/cacerts HTTP/1.1\r\nHost: localhost\r\n\r\n"
	                       "GET /.well-known/est/cacerts HTTP/1.1\r\nHost: localhost\r\n\r\n";
	char path[200];
	struct raw raw;

	(void)state;
	/* the pipeline works: what follows is seen when nothing is wrong */
	raw = raw_exchange(in.api_port, two, 2);
	assert_int_equal(answers(&raw), 2);
	buf_free(&raw.data);
	raw = raw_exchange(in.est_port, two_est, 2);
	assert_int_equal(answers(&raw), 2);
	buf_free(&raw.data);
	expect_refused_and_closed(in.api_port, "api", "POST", "/api/v1/cas", "application/json");
	expect_refused_and_closed(in.api_port, "api", "GET", "/healthz", "text/plain");
	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est/simpleenroll", ca_id);
	expect_refused_and_closed(in.est_port, "est", "POST", path, "application/pkcs10");
	expect_refused_and_closed(in.est_port, "est", "POST", "/.well-known/est/simpleenroll",
	                          "application/pkcs10");
}

static void
expect_nul_refused(const char *path, const char *token)
{
	struct http_response r;
	long st = http_get(&in, path, token, &r);

	if (st != 400 || strcmp(http_problem_type(&r), "invalid-parameter") != 0)
		fail_msg("%s: %ld %s, expected 400 invalid-parameter", path, st,
		         http_problem_type(&r));
	assert_non_null(strstr(http_json_str(&r, "detail"), "%00"));
	http_response_free(&r);
}

/* The review's reproducers: each one answered 200 for the value before
 * its NUL; the same without the NUL still answers. */
static void
test_nul_in_target_refused(void **state)
{
	char path[300], serial[80];
	EVP_PKEY *key = NULL;
	X509 *cert = http_issue_cert(&in, ca_id, "dev1", &key, serial);
	struct http_response r;

	(void)state;
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?limit=1%%00000", ca_id);
	expect_nul_refused(path, auditor);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?common_name=dev1%%00garbage", ca_id);
	expect_nul_refused(path, auditor);
	snprintf(path, sizeof(path), "/api/v1/cas/%s%%00", ca_id);
	expect_nul_refused(path, auditor);
	snprintf(path, sizeof(path), "/ca/%s/default.crt%%00.pem", ca_id);
	expect_nul_refused(path, NULL);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s%%00zzz", ca_id, serial);
	expect_nul_refused(path, auditor);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?common_name=%%00", ca_id);
	expect_nul_refused(path, auditor);
	/* without the NUL */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?common_name=dev1", ca_id);
	http_expect(200, NULL, http_get(&in, path, auditor, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, serial);
	http_expect(200, NULL, http_get(&in, path, auditor, &r), &r);
	snprintf(path, sizeof(path), "/ca/%s/default.crt", ca_id);
	http_expect(200, NULL, http_get(&in, path, NULL, &r), &r);
	/* on EST too: in the CA id, the location, the query */
	snprintf(path, sizeof(path), "/est/%s%%00x/default/.well-known/est/cacerts", ca_id);
	assert_int_equal(est_request(&in, NULL, "GET", path, NULL, NULL, 0, &r), 400);
	assert_non_null(strstr((const char *)r.body, "%00"));
	http_response_free(&r);
	snprintf(path, sizeof(path), "/est/%s/default%%00x/.well-known/est/cacerts", ca_id);
	assert_int_equal(est_request(&in, NULL, "GET", path, NULL, NULL, 0, &r), 400);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est/cacerts?x=%%00", ca_id);
	assert_int_equal(est_request(&in, NULL, "GET", path, NULL, NULL, 0, &r), 400);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est/cacerts", ca_id);
	assert_int_equal(est_request(&in, NULL, "GET", path, NULL, NULL, 0, &r), 200);
	http_response_free(&r);
	X509_free(cert);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hsts_on_every_answer),
		cmocka_unit_test(test_est_description),
		cmocka_unit_test(test_content_length_with_transfer_encoding),
		cmocka_unit_test(test_nul_in_target_refused),
	};

	return fixture_run_tests(tests, &fx);
}
