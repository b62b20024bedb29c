#include "tests/integration/est_client.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/buf.h"
#include "common/encoding.h"

static int
connect_to(unsigned port, const char *source_ip)
{
	struct sockaddr_in sa = {0}, src = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (source_ip != NULL) {
		src.sin_family = AF_INET;
		inet_pton(AF_INET, source_ip, &src.sin_addr);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			close(fd);
			return -1;
		}
	}
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

long
est_parse_head(const unsigned char *data, size_t len, struct http_response *out,
           long *content_length)
{
	const char *p = (const char *)data, *end = NULL;
	int status = 0;

	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(data + i, "\r\n\r\n", 4) == 0) {
			end = p + i;
			break;
		}
	if (end == NULL || sscanf(p, "HTTP/1.1 %d", &status) != 1)
		return -1;
	out->status = status;
	*content_length = -1;
	p = strstr(p, "\r\n") + 2;
	while (p < end && out->nheaders < HTTP_MAX_HEADERS) {
		const char *eol = strstr(p, "\r\n"), *colon = memchr(p, ':', (size_t)(eol - p));
		size_t n;
		if (colon != NULL && (n = (size_t)(colon - p)) < sizeof(out->names[0])) {
			const char *v = colon + 1;
			for (size_t i = 0; i < n; i++)
				out->names[out->nheaders][i] = (char)tolower((unsigned char)p[i]);
			out->names[out->nheaders][n] = '\0';
			while (*v == ' ')
				v++;
			snprintf(out->values[out->nheaders], sizeof(out->values[0]), "%.*s",
			         (int)(eol - v), v);
			if (strcmp(out->names[out->nheaders], "content-type") == 0)
				snprintf(out->content_type, sizeof(out->content_type), "%.159s",
				         out->values[out->nheaders]);
			if (strcmp(out->names[out->nheaders], "content-length") == 0)
				*content_length = strtol(out->values[out->nheaders], NULL, 10);
			out->nheaders++;
		}
		p = eol + 2;
	}
	return (long)(end + 4 - (const char *)data);
}

/* est_request, the body made by make_body after the handshake when it
 * is given. */
static long
exchange(struct instance *in, const struct est_tls *tls, const char *method, const char *path,
         const char *const *headers, const void *body, size_t len, est_body_fn make_body,
         void *arg, struct http_response *out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	struct buf req = {0}, resp = {0};
	unsigned char chunk[16384];
	long head = -1, content_length = -1;
	int fd = -1, n;
	char *made = NULL;

	memset(out, 0, sizeof(*out));
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_load_verify_locations(ctx, in->ca_file, NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (tls != NULL && tls->max_tls_version)
		SSL_CTX_set_max_proto_version(ctx, tls->max_tls_version);
	if (tls != NULL && tls->cert != NULL) {
		assert_int_equal(SSL_CTX_use_certificate(ctx, tls->cert), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(ctx, tls->key), 1);
		for (int i = 0; tls->chain && i < sk_X509_num(tls->chain); i++)
			assert_int_equal(SSL_CTX_add1_chain_cert(ctx, sk_X509_value(tls->chain, i)), 1);
	}
	fd = connect_to(in->est_port, tls ? tls->source_ip : NULL);
	if (fd < 0)
		goto out;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	SSL_set1_host(ssl, "localhost");
	if (SSL_connect(ssl) != 1)
		goto out;
	if (make_body != NULL) {
		if ((made = make_body(ssl, arg)) == NULL)
			goto out;
		body = made;
		len = strlen(made);
	}
	buf_printf(&req, "%s %s HTTP/1.1\r\nhost: localhost:%u\r\n", method, path, in->est_port);
	for (int i = 0; headers && headers[i]; i++)
		buf_printf(&req, "%s\r\n", headers[i]);
	if (body != NULL)
		buf_printf(&req, "content-length: %zu\r\n", len);
	buf_printf(&req, "\r\n");
	if (body != NULL)
		buf_append(&req, body, len);
	if (SSL_write(ssl, req.data, (int)req.len) != (int)req.len)
		goto out;
	/* Read the head, then exactly Content-Length bytes: a client like
	 * libest needs the length to be right. */
	while ((n = SSL_read(ssl, chunk, sizeof(chunk))) > 0) {
		buf_append(&resp, chunk, (size_t)n);
		if (head < 0) {
			out->nheaders = 0;
			head = est_parse_head(resp.data, resp.len, out, &content_length);
		}
		if (head >= 0 && (out->status == 204 || strcmp(method, "HEAD") == 0 ||
		                  (content_length >= 0 &&
		                   resp.len >= (size_t)head + (size_t)content_length)))
			break;
	}
	if (head < 0 || (strcmp(method, "HEAD") != 0 && content_length >= 0 &&
	                 resp.len != (size_t)head + (size_t)content_length)) {
		out->status = 0; /* short, long or headless: a client would fail */
		goto out;
	}
	if (strcmp(method, "HEAD") != 0 && resp.len > (size_t)head) {
		out->body_len = resp.len - (size_t)head;
		out->body = malloc(out->body_len + 1);
		assert_non_null(out->body);
		memcpy(out->body, resp.data + head, out->body_len);
		out->body[out->body_len] = '\0';
	}
	http_record("est", method, path, out);
out:
	ERR_clear_error();
	if (ssl != NULL) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(ctx);
	buf_free(&req);
	buf_free(&resp);
	free(made);
	return out->status;
}

long
est_request(struct instance *in, const struct est_tls *tls, const char *method,
            const char *path, const char *const *headers, const void *body, size_t len,
            struct http_response *out)
{
	return exchange(in, tls, method, path, headers, body, len, NULL, NULL, out);
}

long
est_request_made(struct instance *in, const struct est_tls *tls, const char *method,
                 const char *path, const char *const *headers, est_body_fn make_body, void *arg,
                 struct http_response *out)
{
	return exchange(in, tls, method, path, headers, NULL, 0, make_body, arg, out);
}

long
est_aziot_enroll(struct instance *in, const struct est_tls *tls, const char *base,
                 X509_REQ *csr, struct http_response *out)
{
	static const char *const headers[] = {"content-type: application/pkcs10",
	                                      "content-transfer-encoding: base64", NULL};
	unsigned char *der = NULL;
	int der_len = i2d_X509_REQ(csr, &der);
	char *b64 = der_len > 0 ? base64_encode(der, (size_t)der_len, 64) : NULL;
	char path[512];
	long status;

	assert_non_null(b64);
	snprintf(path, sizeof(path), "%s%ssimpleenroll", base,
	         base[strlen(base) - 1] == '/' ? "" : "/");
	status = est_request(in, tls, "POST", path, headers, b64, strlen(b64), out);
	OPENSSL_free(der);
	free(b64);
	return status;
}

struct cacerts_job {
	struct instance *in;
	const struct est_tls *tls;
	char path[512];
	struct http_response *out;
};

static void *
cacerts_thread(void *arg)
{
	struct cacerts_job *job = arg;

	est_request(job->in, job->tls, "GET", job->path, NULL, NULL, 0, job->out);
	return NULL;
}

void
est_aziot_issue(struct instance *in, const struct est_tls *tls, const char *base,
                X509_REQ *csr, struct http_response *enroll, struct http_response *cacerts)
{
	struct cacerts_job job = {in, tls, "", cacerts};
	pthread_t t;

	snprintf(job.path, sizeof(job.path), "%s%scacerts", base,
	         base[strlen(base) - 1] == '/' ? "" : "/");
	assert_int_equal(pthread_create(&t, NULL, cacerts_thread, &job), 0);
	est_aziot_enroll(in, tls, base, csr, enroll);
	assert_int_equal(pthread_join(t, NULL), 0);
}

STACK_OF(X509) *
est_pkcs7_certs(const struct http_response *r)
{
	unsigned char *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	STACK_OF(X509) *out = NULL, *certs;
	PKCS7 *p7 = NULL;

	if (r->body == NULL ||
	    base64_decode((const char *)r->body, r->body_len, true, &der, &len) != 0)
		return NULL;
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	if (p7 != NULL && p == der + len && PKCS7_type_is_signed(p7) &&
	    (certs = p7->d.sign->cert) != NULL) {
		out = sk_X509_new_null();
		for (int i = 0; out && i < sk_X509_num(certs); i++) {
			X509 *x = sk_X509_value(certs, i);
			X509_up_ref(x);
			sk_X509_push(out, x);
		}
	}
	PKCS7_free(p7);
	free(der);
	return out;
}

X509_REQ *
est_make_csr(const char *cn, bool ask_client_auth, EVP_PKEY **key)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(req);
	assert_non_null(k);
	if (cn != NULL)
		X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
		                           (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_version(req, X509_REQ_VERSION_1);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, k);
	if (ask_client_auth) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, "clientAuth");
		sk_X509_EXTENSION_push(exts, ext);
		X509_REQ_add_extensions(req, exts);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	X509_NAME_free(name);
	if (key != NULL)
		*key = k;
	else
		EVP_PKEY_free(k);
	return req;
}

const char *
est_url_path(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? strchr(p + 3, '/') : NULL;
	return p ? p : url;
}

void
est_ca_base(const struct http_response *ca, char out[512])
{
	const json_t *urls = json_object_get(json_object_get(ca->json, "est"), "urls");
	const char *url = json_string_value(json_object_get(json_array_get(urls, 0), "url"));

	assert_non_null(url);
	snprintf(out, 512, "%s", est_url_path(url));
}

void
est_expect_reason(const char *reason, const char *part)
{
	if (reason == NULL || strstr(reason, part) == NULL)
		fail_msg("reason \"%s\" does not mention \"%s\"", reason ? reason : "", part);
}
