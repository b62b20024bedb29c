/* EST behind a reverse proxy: a client certificate forwarded in
 * X-SSL-Client-Cert (URL-encoded PEM, as nginx's $ssl_client_escaped_cert)
 * counts only from a trusted proxy address (127.0.0.2 here), and then the
 * proxy's own TLS certificate does not count as the device's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "common/encoding.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

#define PROXY "127.0.0.2"

static struct instance in;
static char ca_id[64], est_path[600];

static void
fixture_ready(void)
{
	snprintf(est_path, sizeof(est_path), "/est/%s/default/.well-known/est/simpleenroll", ca_id);
}

static const struct fixture fx = {
	.in = &in,
	.name = "est_proxy",
	.env = {
		"EDGECA_EST_TRUSTED_PROXIES=192.0.2.1, " PROXY,
	},
	.ca_json = "{\"common_name\": \"Proxied CA\", \"issuance\": {\"template\": "
	           "\"client\"}}",
	.ca_id = ca_id,
	.ready = fixture_ready,
};

/* PEM with every character nginx escapes in $ssl_client_escaped_cert
 * percent-encoded (newlines, '+', '/', '=', spaces). */
static char *
escaped_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;
	size_t o = 0;

	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n * 3 + 1);
	assert_non_null(out);
	for (long i = 0; i < n; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\n' || c == '+' || c == '/' || c == '=' || c == ' ')
			o += (size_t)sprintf(out + o, "%%%02X", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	BIO_free(b);
	return out;
}

static long
enroll(const char *source, X509 *tls_cert, EVP_PKEY *tls_key, const char *forwarded,
       const char *cn)
{
	const char *headers[3] = {"content-type: application/pkcs10", NULL, NULL};
	struct est_tls tls = {tls_cert, NULL, tls_key, source, 0};
	X509_REQ *csr = est_make_csr(cn, false, NULL);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(csr, &der);
	char *b64 = base64_encode(der, (size_t)n, 64), *line = NULL;
	struct http_response r;
	long status;

	if (forwarded != NULL) {
		xasprintf(&line, "x-ssl-client-cert: %s", forwarded);
		headers[1] = line;
	}
	status = est_request(&in, &tls, "POST", est_path, headers, b64, strlen(b64), &r);
	http_response_free(&r);
	free(line);
	free(b64);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	return status;
}

static X509 *
issued(const char *cn, EVP_PKEY **key)
{
	char path[160], *csr = make_csr("EC-P256", cn, NULL, key);
	struct http_response r;
	X509 *x;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	http_response_free(&r);
	free(csr);
	return x;
}

static void
test_forwarded_certificate(void **state)
{
	EVP_PKEY *dev_key = NULL, *proxy_key = NULL;
	X509 *dev = issued("proxied-device", &dev_key), *proxy = issued("proxy", &proxy_key);
	char *fwd = escaped_pem(dev);

	/* from the trusted proxy: the forwarded certificate authenticates */
	assert_int_equal(enroll(PROXY, NULL, NULL, fwd, "proxied-device"), 200);
	assert_int_equal(enroll(PROXY, NULL, NULL, fwd, "someone-else"), 403);
	/* the proxy's own certificate is not the device's */
	assert_int_equal(enroll(PROXY, proxy, proxy_key, NULL, "proxy"), 401);
	/* a garbled header is a bad request, not an anonymous one */
	assert_int_equal(enroll(PROXY, NULL, NULL, "-----BEGIN%20CERT%ZZ", "proxied-device"), 400);
	/* from anywhere else the header is ignored */
	assert_int_equal(enroll("127.0.0.1", NULL, NULL, fwd, "proxied-device"), 401);
	assert_int_equal(enroll("127.0.0.1", dev, dev_key, NULL, "proxied-device"), 200);
	free(fwd);
	X509_free(dev);
	X509_free(proxy);
	EVP_PKEY_free(dev_key);
	EVP_PKEY_free(proxy_key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forwarded_certificate),
	};

	return fixture_run_tests(tests, &fx);
}
