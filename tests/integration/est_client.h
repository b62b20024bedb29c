/* An EST client for the integration tests that writes requests byte for
 * byte as real clients do (OpenSSL TLS, a new connection per request, the
 * header names, order and casing given), so the tests reproduce
 * aziot-certd's requests exactly. Answers are recorded for the OpenAPI
 * conformance check like every other. */
#ifndef EDGECA_TEST_EST_CLIENT_H
#define EDGECA_TEST_EST_CLIENT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "tests/support/harness.h"
#include "tests/support/http.h"

/* The TLS client identity: cert NULL for none; chain sent after it. */
struct est_tls {
	X509 *cert;
	STACK_OF(X509) *chain;
	EVP_PKEY *key;
	const char *source_ip;  /* bind to this local address first (NULL: any) */
	int max_tls_version;    /* 0, or TLS1_2_VERSION (libest caps TLS at 1.2) */
};

/* One request on a fresh connection to the instance's EST port. headers
 * are "name: value" lines written as given after the request line and
 * Host (NULL-terminated, may be NULL); a body gets a Content-Length line.
 * Returns the status, 0 when the exchange failed at the TLS or HTTP
 * level. */
long est_request(struct instance *in, const struct est_tls *tls, const char *method,
                 const char *path, const char *const *headers, const void *body, size_t len,
                 struct http_response *out);

/* Makes a request body on the connection ssl once its handshake is done
 * (e.g. a CSR carrying the connection's TLS channel binding): malloc'ed
 * text, or NULL to give up the request. */
typedef char *(*est_body_fn)(SSL *ssl, void *arg);
/* est_request with the body made by make_body on the connection. */
long est_request_made(struct instance *in, const struct est_tls *tls, const char *method,
                      const char *path, const char *const *headers, est_body_fn make_body,
                      void *arg, struct http_response *out);

/* aziot-certd's simpleenroll: POST {url}/simpleenroll with lower-case
 * content-type and content-transfer-encoding, no Accept, the DER CSR in
 * base64 lines of 64 characters each ending in \n. base is the EST URL
 * path ending in /.well-known/est. */
long est_aziot_enroll(struct instance *in, const struct est_tls *tls, const char *base,
                      X509_REQ *csr, struct http_response *out);

/* aziot's issuance: simpleenroll and GET cacerts at once, on two
 * connections with the same identity. */
void est_aziot_issue(struct instance *in, const struct est_tls *tls, const char *base,
                     X509_REQ *csr, struct http_response *enroll, struct http_response *cacerts);

/* The certificates of a base64 PKCS#7 body, as aziot reads it (PEM
 * PKCS7, else whitespace stripped and base64-decoded), in order; NULL
 * when the body is neither. */
STACK_OF(X509) *est_pkcs7_certs(const struct http_response *r);

/* A fresh EC P-256 key and a CSR with CN cn (NULL: none), optionally
 * asking for EKU clientAuth as aziot's identity CSR does. */
X509_REQ *est_make_csr(const char *cn, bool ask_client_auth, EVP_PKEY **key);

/* Splits the head of an HTTP answer at data into out (status, headers
 * with lower-case names, content type); returns the body offset or -1
 * when the head is incomplete or malformed. *content_length is -1 when
 * the head has none. */
long est_parse_head(const unsigned char *data, size_t len, struct http_response *out,
                    long *content_length);
/* Fails the test unless an error answer's reason mentions part. */
void est_expect_reason(const char *reason, const char *part);

/* The path part of a URL ("https://h:p/x" -> "/x"). */
const char *est_url_path(const char *url);

/* The EST path of the first location of a CA answer (est.urls[0].url). */
void est_ca_base(const struct http_response *ca, char out[512]);

#endif
