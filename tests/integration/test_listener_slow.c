/* Slow clients on the listeners (API, EST and the plain-HTTP PKI one): one that sends its request a byte at a
 * time, never idle long enough for the idle timeout, is cut off once its
 * request has taken EDGECA_REQUEST_TIMEOUT; a client that makes request
 * after request on one connection, each in time, keeps it. */
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
#include <time.h>
#include <unistd.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define IDLE_TIMEOUT "2"
#define REQUEST_TIMEOUT 4
/* how long a trickling client may last before the test calls it kept */
#define GIVE_UP 15

static struct instance in;
static SSL_CTX *ctx;

static void
fixture_ready(void)
{
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
}

static void
fixture_done(void)
{
	SSL_CTX_free(ctx);
}

static const struct fixture fx = {
	.in = &in,
	.name = "listener_slow",
	.env = {
		"EDGECA_CONNECTION_TIMEOUT=" IDLE_TIMEOUT,
		"EDGECA_REQUEST_TIMEOUT=4",
	},
	.ready = fixture_ready,
	.done = fixture_done,
};

struct conn {
	int fd;
	SSL *ssl;
};

static void
open_tls(unsigned port, struct conn *c)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	c->ssl = SSL_new(ctx);
	assert_non_null(c->ssl);
	assert_int_equal(SSL_set_fd(c->ssl, c->fd), 1);
	assert_int_equal(SSL_connect(c->ssl), 1);
}

static void
close_tls(struct conn *c)
{
	SSL_free(c->ssl);
	close(c->fd);
	ERR_clear_error();
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Sends a request's headers a byte a second; returns how long the server
 * kept the connection (GIVE_UP when it never closed it). */
static double
trickle(unsigned port)
{
	static const char start[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
	struct timespec t0;
	struct conn c;
	double kept = GIVE_UP;

	open_tls(port, &c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(SSL_write(c.ssl, start, (int)strlen(start)), (int)strlen(start));
	while (seconds_since(&t0) < GIVE_UP) {
		sleep(1);
		if (SSL_write(c.ssl, "a", 1) != 1) {
			kept = seconds_since(&t0);
			break;
		}
	}
	close_tls(&c);
	return kept;
}

static void
test_trickling_request_cut_off(void **state)
{
	double api, est;

	(void)state;
	api = trickle(in.api_port);
	est = trickle(in.est_port);
	print_message("trickling clients kept: API %.1f s, EST %.1f s (limit %d s)\n", api, est,
	              REQUEST_TIMEOUT);
	/* cut after the limit (plus the watch's second and a write to notice) */
	assert_true(api >= REQUEST_TIMEOUT - 1 && api < REQUEST_TIMEOUT + 4);
	assert_true(est >= REQUEST_TIMEOUT - 1 && est < REQUEST_TIMEOUT + 4);
}

/* The same on the plain-HTTP PKI listener, without TLS. */
static double
trickle_plain(unsigned port)
{
	static const char start[] = "GET /crl/x/y.crl HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timespec t0;
	double kept = GIVE_UP;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(send(fd, start, strlen(start), MSG_NOSIGNAL), (ssize_t)strlen(start));
	while (seconds_since(&t0) < GIVE_UP) {
		sleep(1);
		if (send(fd, "a", 1, MSG_NOSIGNAL) != 1) {
			kept = seconds_since(&t0);
			break;
		}
	}
	close(fd);
	return kept;
}

static void
test_trickling_plain_request_cut_off(void **state)
{
	double pki;

	(void)state;
	pki = trickle_plain(in.pki_port);
	print_message("trickling client kept: PKI %.1f s (limit %d s)\n", pki, REQUEST_TIMEOUT);
	assert_true(pki >= REQUEST_TIMEOUT - 1 && pki < REQUEST_TIMEOUT + 4);
}

/* One GET of path on an open connection; returns the status. */
static int
request(struct conn *c, const char *path)
{
	char req[256], buf[4096];
	size_t got = 0;
	int status = 0;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
	if (SSL_write(c->ssl, req, (int)strlen(req)) != (int)strlen(req))
		return 0;
	/* the whole answer: its headers, then Content-Length bytes */
	for (;;) {
		char *end;
		int n = SSL_read(c->ssl, buf + got, (int)(sizeof(buf) - 1 - got));
		if (n <= 0)
			return 0;
		got += (size_t)n;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL) {
			const char *cl = strcasestr(buf, "content-length:");
			size_t body = cl ? strtoul(cl + 15, NULL, 10) : 0;
			if (got >= (size_t)(end + 4 - buf) + body)
				break;
		}
	}
	sscanf(buf, "HTTP/1.1 %d", &status);
	return status;
}

/* Requests every 1.5 s on one connection, each done in time, for twice
 * the limit. */
static void
keep_busy(unsigned port, const char *path, int status)
{
	struct timespec t0;
	struct conn c;
	int n = 0;

	open_tls(port, &c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (seconds_since(&t0) < 2 * REQUEST_TIMEOUT) {
		assert_int_equal(request(&c, path), status);
		n++;
		usleep(1500000);
	}
	assert_true(n >= 5);
	close_tls(&c);
}

static void
test_busy_connection_kept(void **state)
{
	(void)state;
	keep_busy(in.api_port, "/healthz", 200);
	/* no CA is the EST default: a 404, answered all the same */
	keep_busy(in.est_port, "/.well-known/est/cacerts", 404);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trickling_request_cut_off),
		cmocka_unit_test(test_trickling_plain_request_cut_off),
		cmocka_unit_test(test_busy_connection_kept),
	};

	return fixture_run_tests(tests, &fx);
}
