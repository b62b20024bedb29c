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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include "tests/integration/harness.h"
#include "tests/integration/http.h"

static struct instance in;

static int
setup(void **state)
{
	(void)state;
	http_set_test_name("listener_tls");
	in.extra_env[0] = "EDGECA_TLS_CHECK_INTERVAL=1";
	/* every listener certificate (397 days) is due at once */
	in.extra_env[1] = "EDGECA_TLS_RENEW_BEFORE_DAYS=397";
	instance_start(&in);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	instance_destroy(&in);
	return 0;
}

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
		cmocka_unit_test(test_certificate_not_due_kept),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
