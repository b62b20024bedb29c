/* The TLS both listeners speak, against the real server, signer and
 * PostgreSQL, seen by an OpenSSL client that offers one thing at a time
 * (and would accept anything, @SECLEVEL=0): TLS 1.3 with AES-GCM or
 * ChaCha20-Poly1305, TLS 1.2 with ECDHE and those AEAD ciphers only;
 * nothing else handshakes, with the listener's own EC certificate or an
 * RSA one from EDGECA_TLS_CERT (no static RSA key exchange, no CBC, no
 * CCM, no finite-field DHE). The EST certificate request offers no SHA-1
 * signature algorithm, and a client's renegotiation is refused. */
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
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "listener_tls_policy",
};

static int
connect_port(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* A client context for exactly version that offers only ciphers (TLS
 * 1.2 and older: an OpenSSL cipher list; TLS 1.3: suites) and accepts
 * anything the server sends. */
static SSL_CTX *
client_ctx(int version, const char *ciphers)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char list[256];

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, version), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, version), 1);
	SSL_CTX_set_security_level(ctx, 0);
	if (version == TLS1_3_VERSION) {
		if (SSL_CTX_set_ciphersuites(ctx, ciphers) != 1)
			fail_msg("this OpenSSL does not know %s", ciphers);
	} else {
		snprintf(list, sizeof(list), "%s:@SECLEVEL=0", ciphers);
		if (SSL_CTX_set_cipher_list(ctx, list) != 1)
			fail_msg("this OpenSSL does not know %s", ciphers);
	}
	return ctx;
}

/* Whether a handshake with the listener on port succeeds when the client
 * offers only ciphers at version; the cipher agreed in agreed. */
static bool
handshake(unsigned port, int version, const char *ciphers, char agreed[64])
{
	SSL_CTX *ctx = client_ctx(version, ciphers);
	SSL *ssl = SSL_new(ctx);
	int fd = connect_port(port);
	bool ok;

	assert_non_null(ssl);
	SSL_set_fd(ssl, fd);
	ok = SSL_connect(ssl) == 1;
	snprintf(agreed, 64, "%s", ok ? SSL_get_cipher_name(ssl) : "");
	if (ok)
		SSL_shutdown(ssl);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return ok;
}

static const char *
version_name(int v)
{
	return v == TLS1_3_VERSION ? "TLS 1.3" : v == TLS1_2_VERSION ? "TLS 1.2"
	       : v == TLS1_1_VERSION ? "TLS 1.1" : "TLS 1.0";
}

struct offer {
	int version;
	const char *ciphers;
};

/* Each allowed offer handshakes on both listeners with that cipher, each
 * forbidden one on neither. */
static void
check_offers(const struct offer *allowed, size_t n_allowed, const struct offer *forbidden,
             size_t n_forbidden)
{
	const unsigned ports[] = {in.api_port, in.est_port};
	char agreed[64];

	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < n_allowed; i++) {
			if (!handshake(ports[p], allowed[i].version, allowed[i].ciphers, agreed))
				fail_msg("port %u: %s %s refused", ports[p],
				         version_name(allowed[i].version), allowed[i].ciphers);
			assert_string_equal(agreed, allowed[i].ciphers);
		}
		for (size_t i = 0; i < n_forbidden; i++)
			if (handshake(ports[p], forbidden[i].version, forbidden[i].ciphers, agreed))
				fail_msg("port %u: %s %s accepted (%s)", ports[p],
				         version_name(forbidden[i].version), forbidden[i].ciphers, agreed);
	}
}

/* What no listener speaks, whatever its certificate. */
static const struct offer never[] = {
	{TLS1_VERSION, "ALL"},
	{TLS1_1_VERSION, "ALL"},
	{TLS1_3_VERSION, "TLS_AES_128_CCM_SHA256"},
	{TLS1_3_VERSION, "TLS_AES_128_CCM_8_SHA256"},
};

static const struct offer tls13[] = {
	{TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384"},
	{TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256"},
	{TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256"},
};

/* The listeners' own EC certificate: ECDHE-ECDSA with AES-GCM or
 * ChaCha20-Poly1305 only. */
static void
test_suites_with_ec_certificate(void **state)
{
	static const struct offer allowed[] = {
		{TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384"},
		{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"},
		{TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305"},
	};
	static const struct offer forbidden[] = {
		{TLS1_2_VERSION, "ECDHE-ECDSA-AES256-SHA"},
		{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA"},
		{TLS1_2_VERSION, "ECDHE-ECDSA-AES256-SHA384"},
		{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256"},
		{TLS1_2_VERSION, "ECDHE-ECDSA-AES256-CCM"},
		{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-CCM"},
		{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-CCM8"},
		/* everything but the allowed ones at once */
		{TLS1_2_VERSION, "ALL:!ECDHE-ECDSA-AES256-GCM-SHA384:!ECDHE-ECDSA-AES128-GCM-SHA256:"
		                 "!ECDHE-ECDSA-CHACHA20-POLY1305"},
	};

	(void)state;
	check_offers(allowed, sizeof(allowed) / sizeof(allowed[0]), forbidden,
	             sizeof(forbidden) / sizeof(forbidden[0]));
	check_offers(tls13, sizeof(tls13) / sizeof(tls13[0]), never,
	             sizeof(never) / sizeof(never[0]));
}

/* What the EST listener's certificate request offered, seen from the
 * client's certificate callback. */
struct seen {
	bool asked;
	int sigalgs;
	int sha1;
};

static int
on_certificate_request(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct seen *s = SSL_get_app_data(ssl);
	int n = SSL_get_sigalgs(ssl, -1, NULL, NULL, NULL, NULL, NULL);

	(void)x509;
	(void)pkey;
	s->asked = true;
	s->sigalgs = n;
	for (int i = 0; i < n; i++) {
		int hash = NID_undef;
		SSL_get_sigalgs(ssl, i, NULL, &hash, NULL, NULL, NULL);
		if (hash == NID_sha1)
			s->sha1++;
	}
	return 0; /* no certificate */
}

static struct seen
certificate_request(unsigned port, int version)
{
	SSL_CTX *ctx = client_ctx(version, version == TLS1_3_VERSION ? "TLS_AES_128_GCM_SHA256"
	                                                             : "ALL");
	SSL *ssl = SSL_new(ctx);
	int fd = connect_port(port);
	struct seen s = {0};

	assert_non_null(ssl);
	SSL_CTX_set_client_cert_cb(ctx, on_certificate_request);
	SSL_set_app_data(ssl, &s);
	SSL_set_fd(ssl, fd);
	assert_int_equal(SSL_connect(ssl), 1);
	SSL_shutdown(ssl);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return s;
}

/* The EST certificate request offers signature algorithms, none of them
 * with SHA-1; the API listener asks for no certificate. */
static void
test_est_certificate_request_without_sha1(void **state)
{
	const int versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct seen s = certificate_request(in.est_port, versions[i]);
		assert_true(s.asked);
		if (s.sigalgs <= 0)
			fail_msg("%s: the certificate request offers no signature algorithm",
			         version_name(versions[i]));
		if (s.sha1 > 0)
			fail_msg("%s: the certificate request offers %d SHA-1 signature algorithms",
			         version_name(versions[i]), s.sha1);
		assert_false(certificate_request(in.api_port, versions[i]).asked);
	}
}

/* A client that renegotiates a TLS 1.2 connection loses it. */
static void
test_renegotiation_refused(void **state)
{
	const unsigned ports[] = {in.api_port, in.est_port};

	(void)state;
	for (size_t p = 0; p < 2; p++) {
		SSL_CTX *ctx = client_ctx(TLS1_2_VERSION, "ALL");
		SSL *ssl = SSL_new(ctx);
		int fd = connect_port(ports[p]);
		const char req[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
		char buf[256];

		SSL_set_fd(ssl, fd);
		assert_int_equal(SSL_connect(ssl), 1);
		if (SSL_renegotiate(ssl) == 1 && SSL_do_handshake(ssl) == 1 &&
		    SSL_write(ssl, req, (int)strlen(req)) > 0 && SSL_read(ssl, buf, sizeof(buf)) > 0)
			fail_msg("port %u: a renegotiated connection still answers", ports[p]);
		ERR_clear_error();
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		close(fd);
	}
}

static void
write_pem(const char *path, X509 *x, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (x != NULL)
		assert_int_equal(PEM_write_X509(f, x), 1);
	if (key != NULL)
		assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* An RSA listener certificate for key (localhost, 127.0.0.1) from ca,
 * with the key usages of a usual RSA server certificate: a signature
 * (ECDHE) and key encipherment (what static RSA key exchange needs). */
static X509 *
listener_cert(EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key)
{
	X509 *x = pki_make_cert("edgeca listener RSA", key, ca, ca_key, false, "serverAuth", 30);

	assert_non_null(x);
	X509_EXTENSION_free(X509_delete_ext(x, X509_get_ext_by_NID(x, NID_key_usage, -1)));
	add_ext(x, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment");
	add_ext(x, ca, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
	assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
	return x;
}

/* An RSA certificate from EDGECA_TLS_CERT: ECDHE-RSA with AES-GCM or
 * ChaCha20-Poly1305 only; no static RSA key exchange (no forward
 * secrecy), no CBC, no CCM, no DHE. */
static void
test_suites_with_rsa_certificate(void **state)
{
	static const struct offer allowed[] = {
		{TLS1_2_VERSION, "ECDHE-RSA-AES256-GCM-SHA384"},
		{TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256"},
		{TLS1_2_VERSION, "ECDHE-RSA-CHACHA20-POLY1305"},
	};
	static const struct offer forbidden[] = {
		{TLS1_2_VERSION, "AES256-GCM-SHA384"},
		{TLS1_2_VERSION, "AES128-GCM-SHA256"},
		{TLS1_2_VERSION, "AES256-CCM"},
		{TLS1_2_VERSION, "AES128-CCM"},
		{TLS1_2_VERSION, "AES256-SHA"},
		{TLS1_2_VERSION, "AES128-SHA"},
		{TLS1_2_VERSION, "AES256-SHA256"},
		{TLS1_2_VERSION, "ECDHE-RSA-AES256-SHA"},
		{TLS1_2_VERSION, "ECDHE-RSA-AES128-SHA"},
		{TLS1_2_VERSION, "ECDHE-RSA-AES256-SHA384"},
		{TLS1_2_VERSION, "DHE-RSA-AES256-GCM-SHA384"},
		{TLS1_2_VERSION, "DHE-RSA-AES128-GCM-SHA256"},
		{TLS1_2_VERSION, "DHE-RSA-CHACHA20-POLY1305"},
		{TLS1_2_VERSION, "DHE-RSA-AES256-CCM"},
		{TLS1_2_VERSION, "DHE-RSA-AES128-SHA"},
		{TLS1_2_VERSION, "ALL:!ECDHE-RSA-AES256-GCM-SHA384:!ECDHE-RSA-AES128-GCM-SHA256:"
		                 "!ECDHE-RSA-CHACHA20-POLY1305"},
	};
	char dir[] = "/tmp/edgeca-rsa-XXXXXX", cert[200], key[200], ca_path[200], saved_ca[200];
	static char cert_env[240], key_env[240];
	EVP_PKEY *ca_key = EVP_RSA_gen(2048), *rsa = EVP_RSA_gen(2048);
	X509 *ca, *leaf;
	struct http_response r;

	(void)state;
	assert_non_null(ca_key);
	assert_non_null(rsa);
	ca = pki_make_cert("Listener Test RSA CA", ca_key, NULL, NULL, true, NULL, 30);
	assert_non_null(ca);
	leaf = listener_cert(rsa, ca, ca_key);
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/listener.pem", dir);
	snprintf(key, sizeof(key), "%s/listener.key", dir);
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	write_pem(cert, leaf, NULL);
	write_pem(key, NULL, rsa);
	write_pem(ca_path, ca, NULL);
	snprintf(cert_env, sizeof(cert_env), "EDGECA_TLS_CERT=%s", cert);
	snprintf(key_env, sizeof(key_env), "EDGECA_TLS_KEY=%s", key);
	in.extra_env[0] = cert_env;
	in.extra_env[1] = key_env;
	/* the harness and the API client trust the listener's CA */
	snprintf(saved_ca, sizeof(saved_ca), "%s", in.ca_file);
	snprintf(in.ca_file, sizeof(in.ca_file), "%s", ca_path);
	instance_stop_server(&in);
	instance_start_server(&in);
	check_offers(allowed, sizeof(allowed) / sizeof(allowed[0]), forbidden,
	             sizeof(forbidden) / sizeof(forbidden[0]));
	check_offers(tls13, sizeof(tls13) / sizeof(tls13[0]), never,
	             sizeof(never) / sizeof(never[0]));
	/* with that certificate, the API answers as ever */
	http_expect(200, NULL, http_get(&in, "/readyz", NULL, &r), &r);
	in.extra_env[0] = NULL;
	in.extra_env[1] = NULL;
	instance_stop_server(&in);
	snprintf(in.ca_file, sizeof(in.ca_file), "%s", saved_ca);
	instance_start_server(&in);
	unlink(cert);
	unlink(key);
	unlink(ca_path);
	rmdir(dir);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(rsa);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suites_with_ec_certificate),
		cmocka_unit_test(test_est_certificate_request_without_sha1),
		cmocka_unit_test(test_renegotiation_refused),
		cmocka_unit_test(test_suites_with_rsa_certificate),
	};

	return fixture_run_tests(tests, &fx);
}
