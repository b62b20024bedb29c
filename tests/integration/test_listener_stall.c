/* Clients that stop in the middle of a TLS handshake: each listener (API
 * and EST) gets connections that send their ClientHello and then nothing.
 * While they hang, the server must sleep, not spin: its CPU time over a
 * few seconds stays close to what it uses idle, and afterwards it answers
 * as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define STALLED_PER_LISTENER 8
#define WATCH_SECONDS 3
/* CPU seconds the stalled connections may add over the idle server's
 * use in the same time. A server that spins while it waits burns up to
 * both cores: about 2 * WATCH_SECONDS. */
#define EXTRA_CPU_ALLOWED 0.5

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "listener_stall",
};

/* User and system CPU seconds the process has used so far. */
static double
cpu_seconds(pid_t pid)
{
	char path[64], *text, *p;
	unsigned long utime = 0, stime = 0;
	size_t len = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = read_file(path, &len);
	/* the fields after the command name, which ends with the last ')' */
	p = strrchr(text, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	                        &utime, &stime),
	                 2);
	free(text);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

struct stalled {
	int fd;
	SSL *ssl;
};

/* A connection that sends its ClientHello and stops there: the server
 * answers with its part of the handshake and waits for the client's. The
 * client reads from an empty memory BIO, so it never sees that answer. */
static void
stall(SSL_CTX *ctx, unsigned port, struct stalled *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	BIO *never = BIO_new(BIO_s_mem()), *sock;
	int rc;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(connect(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	sock = BIO_new_socket(s->fd, BIO_NOCLOSE);
	s->ssl = SSL_new(ctx);
	assert_non_null(never);
	assert_non_null(sock);
	assert_non_null(s->ssl);
	BIO_set_mem_eof_return(never, -1); /* empty: "try again", not end of file */
	SSL_set_bio(s->ssl, never, sock);
	rc = SSL_connect(s->ssl);
	assert_int_equal(SSL_get_error(s->ssl, rc), SSL_ERROR_WANT_READ);
}

static double
cpu_over_watch(void)
{
	double before = cpu_seconds(in.server_pid);

	sleep(WATCH_SECONDS);
	return cpu_seconds(in.server_pid) - before;
}

static void
test_stalled_handshakes_cost_no_cpu(void **state)
{
	struct stalled s[2 * STALLED_PER_LISTENER];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct http_response r = {0};
	double idle, stalled;

	(void)state;
	assert_non_null(ctx);
	idle = cpu_over_watch();
	for (int i = 0; i < 2 * STALLED_PER_LISTENER; i++)
		stall(ctx, i % 2 ? in.est_port : in.api_port, &s[i]);
	/* the server has had time to answer every ClientHello */
	usleep(300000);
	stalled = cpu_over_watch();
	print_message("server CPU over %d s: idle %.2f s, with %d stalled handshakes %.2f s\n",
	              WATCH_SECONDS, idle, 2 * STALLED_PER_LISTENER, stalled);
	assert_true(stalled < idle + EXTRA_CPU_ALLOWED);
	for (int i = 0; i < 2 * STALLED_PER_LISTENER; i++) {
		SSL_free(s[i].ssl);
		close(s[i].fd);
	}
	SSL_CTX_free(ctx);
	ERR_clear_error();
	/* still serving */
	assert_int_equal(http_get(&in, "/readyz", NULL, &r), 200);
	http_response_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_handshakes_cost_no_cpu),
	};

	return fixture_run_tests(tests, &fx);
}
