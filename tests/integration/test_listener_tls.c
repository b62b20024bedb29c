/* The listeners' own certificate while the server runs, against the real
 * server, signer and PostgreSQL: a certificate due for renewal is renewed
 * and presented by both listeners from the next connection on, without a
 * restart, still verifying with the service CA for the server's names;
 * one that is not due is left alone. */
#include <setjmp.h>
#include <signal.h>
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

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "listener_tls",
	.env = {
		"EDGECA_TLS_CHECK_INTERVAL=1",
		/* every listener certificate (397 days) is due at once */
		"EDGECA_TLS_RENEW_BEFORE_DAYS=397",
	},
};

/* The certificate a listener on port presents, verified with the service
 * CA for host 127.0.0.1 (the handshake fails otherwise); NULL if none. */
static X509 *
presented(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	X509 *cert = NULL;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ctx == NULL || fd < 0 || SSL_CTX_load_verify_locations(ctx, in.ca_file, NULL) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || (ssl = SSL_new(ctx)) == NULL)
		goto out;
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1") != 1 ||
	    SSL_set_fd(ssl, fd) != 1 ||
	    SSL_connect(ssl) != 1)
		goto out;
	cert = SSL_get1_peer_certificate(ssl);
	SSL_shutdown(ssl);
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return cert;
}

/* Waits up to 15 s for the listener on port to present a certificate
 * other than old; returns it. */
static X509 *
wait_renewed(unsigned port, X509 *old)
{
	for (int i = 0; i < 150; i++) {
		X509 *now = presented(port);
		assert_non_null(now);
		if (X509_cmp(now, old) != 0)
			return now;
		X509_free(now);
		usleep(100000);
	}
	fail_msg("the listener on port %u kept its certificate for 15 s", port);
	return NULL;
}

/* A due certificate is renewed while the server runs and both listeners
 * present the new one, for the same names, from the service CA. */
static void
test_due_certificate_renewed_live(void **state)
{
	X509 *api_before, *api_after, *est_before, *est_after;
	struct http_response r = {0};
	pid_t pid = in.server_pid;

	(void)state;
	api_before = presented(in.api_port);
	est_before = presented(in.est_port);
	assert_non_null(api_before);
	assert_non_null(est_before);
	api_after = wait_renewed(in.api_port, api_before);
	est_after = wait_renewed(in.est_port, est_before);
	/* a new key too, the same host names */
	assert_int_not_equal(EVP_PKEY_eq(X509_get0_pubkey(api_before), X509_get0_pubkey(api_after)),
	                     1);
	assert_int_equal(X509_check_host(api_after, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(est_after, "127.0.0.1", 0), 1);
	/* the same server process, still answering */
	assert_int_equal(in.server_pid, pid);
	assert_int_equal(kill(pid, 0), 0);
	assert_int_equal(http_get(&in, "/readyz", NULL, &r), 200);
	http_response_free(&r);
	X509_free(api_before);
	X509_free(api_after);
	X509_free(est_before);
	X509_free(est_after);
}

/* A certificate and its key as PEM files (malloc'ed). */
struct pair {
	char *cert, *key;
};

/* A matching certificate and key of the listener, as the service writes
 * them into <data dir>/tls (read until both belong together). */
static struct pair
listener_pair(void)
{
	char cp[300], kp[300];
	struct pair p = {0};

	snprintf(cp, sizeof(cp), "%s/tls/server.pem", in.data_dir);
	snprintf(kp, sizeof(kp), "%s/tls/server.key", in.data_dir);
	for (int i = 0; i < 100; i++) {
		BIO *b;
		EVP_PKEY *key = NULL;
		X509 *x = NULL;
		bool ok;
		p.cert = read_file(cp, NULL);
		p.key = read_file(kp, NULL);
		if (p.cert != NULL && (b = BIO_new_mem_buf(p.cert, -1)) != NULL) {
			x = PEM_read_bio_X509(b, NULL, NULL, NULL);
			BIO_free(b);
		}
		if (p.key != NULL && (b = BIO_new_mem_buf(p.key, -1)) != NULL) {
			key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
			BIO_free(b);
		}
		ok = x != NULL && key != NULL && X509_check_private_key(x, key) == 1;
		ERR_clear_error();
		X509_free(x);
		EVP_PKEY_free(key);
		if (ok)
			return p;
		free(p.cert);
		free(p.key);
		usleep(50000);
	}
	fail_msg("no matching listener certificate and key in %s/tls", in.data_dir);
	return p;
}

static void
write_text(const char *path, const char *text)
{
	char tmp[320];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	assert_non_null(f = fopen(tmp, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* The PEM of the certificate a listener presents. */
static bool
presents(unsigned port, const char *cert_pem)
{
	BIO *b = BIO_new_mem_buf(cert_pem, -1);
	X509 *want = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	X509 *now = presented(port);
	bool same = want != NULL && now != NULL && X509_cmp(want, now) == 0;

	BIO_free(b);
	X509_free(want);
	X509_free(now);
	return same;
}

/* With EDGECA_TLS_CERT / EDGECA_TLS_KEY, replaced files are presented
 * without a restart once both are in place; a certificate without its
 * key (a replacement half done) is not taken. */
static void
test_configured_files_reloaded(void **state)
{
	char dir[] = "/tmp/edgeca-listener-XXXXXX", cert[200], key[200];
	static char cert_env[240], key_env[240];
	struct pair one, two;
	bool seen = false;

	(void)state;
	one = listener_pair();
	for (int i = 0; i < 150 && !seen; i++) { /* the service renews every second here */
		two = listener_pair();
		seen = strcmp(one.cert, two.cert) != 0;
		if (!seen) {
			free(two.cert);
			free(two.key);
			usleep(100000);
		}
	}
	assert_true(seen);
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/listener.pem", dir);
	snprintf(key, sizeof(key), "%s/listener.key", dir);
	write_text(cert, one.cert);
	write_text(key, one.key);
	snprintf(cert_env, sizeof(cert_env), "EDGECA_TLS_CERT=%s", cert);
	snprintf(key_env, sizeof(key_env), "EDGECA_TLS_KEY=%s", key);
	in.extra_env[2] = cert_env;
	in.extra_env[3] = key_env;
	instance_stop_server(&in);
	instance_start_server(&in);
	assert_true(presents(in.api_port, one.cert));
	/* half a replacement: the new certificate, the old key */
	write_text(cert, two.cert);
	sleep(3);
	assert_true(presents(in.api_port, one.cert));
	assert_true(presents(in.est_port, one.cert));
	/* the key follows: taken at the next look */
	write_text(key, two.key);
	for (int i = 0; i < 100 && !presents(in.api_port, two.cert); i++)
		usleep(100000);
	assert_true(presents(in.api_port, two.cert));
	assert_true(presents(in.est_port, two.cert));
	in.extra_env[2] = NULL;
	instance_stop_server(&in);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	free(one.cert);
	free(one.key);
	free(two.cert);
	free(two.key);
	instance_start_server(&in);
}

/* A certificate that is not due stays, check after check. */
static void
test_certificate_not_due_kept(void **state)
{
	X509 *first, *later;

	(void)state;
	in.extra_env[1] = "EDGECA_TLS_RENEW_BEFORE_DAYS=30";
	instance_stop_server(&in);
	instance_start_server(&in);
	first = presented(in.api_port);
	assert_non_null(first);
	sleep(3); /* three checks */
	later = presented(in.api_port);
	assert_non_null(later);
	assert_int_equal(X509_cmp(first, later), 0);
	X509_free(first);
	X509_free(later);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_certificate_renewed_live),
		cmocka_unit_test(test_configured_files_reloaded),
		cmocka_unit_test(test_certificate_not_due_kept),
	};

	return fixture_run_tests(tests, &fx);
}
