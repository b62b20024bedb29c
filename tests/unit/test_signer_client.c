/* Unit tests of the signer client's deadlines (signer/client/client.c,
 * signer/client/client_pool.c) against a fake signer: a Unix socket that takes
 * connections and never answers, as a stopped signer does. A call past its
 * deadline fails with signer-unavailable and its connection is closed,
 * never reused; calls that wait in vain make the pool report the signer
 * stalled; the readiness check uses its own connection and its own short
 * deadline, never the busy pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/timeutil.h"
#include "signer/client/client.h"
#include "tests/support/harness.h"

static char dir[64], sock_path[100];
static int listener = -1;

static int
setup(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/edgeca-unit-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	listener = socket(AF_UNIX, SOCK_STREAM, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listener, 64) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	close(listener);
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

/* The next connection the client made to the fake signer; -1 if none
 * comes within a second. */
static int
next_connection(void)
{
	struct timeval tv = {1, 0};

	setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return accept(listener, NULL, NULL);
}

/* Whether the client closed fd's other end (its request read, then end
 * of file), within a few seconds. */
static bool
closed_by_client(int fd)
{
	struct timeval tv = {5, 0};
	unsigned char b[4096];
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((n = recv(fd, b, sizeof(b), 0)) > 0)
		;
	return n == 0;
}

static edgeca_err
issue(struct signer_pool *p, struct edgeca_msg *msg)
{
	static const unsigned char csr[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	struct signer_issued out;
	edgeca_err rc = signer_issue(p, "00112233445566778899aabbccddeeff", "client", csr,
	                             sizeof(csr), time(NULL) + 3600, NULL, &out, msg);

	if (rc == EDGECA_OK)
		signer_issued_free(&out);
	return rc;
}

static void
test_call_past_its_deadline(void **state)
{
	struct signer_pool *p = NULL;
	struct edgeca_msg msg = {0};
	double t;
	int fd;

	(void)state;
	assert_int_equal(signer_pool_new(sock_path, 2, 500, &p, NULL), EDGECA_OK);
	t = now_s();
	assert_int_equal(issue(p, &msg), EDGECA_ERR_UNAVAILABLE);
	t = now_s() - t;
	assert_string_equal(msg.type, "signer-unavailable");
	assert_non_null(strstr(msg.detail, "did not answer in time"));
	assert_true(t >= 0.45);
	assert_true(t < 10.0); /* not the 60 s of before */
	/* its connection was closed ... */
	fd = next_connection();
	assert_true(fd >= 0);
	assert_true(closed_by_client(fd));
	close(fd);
	/* ... and the next call opens another */
	assert_int_equal(issue(p, &msg), EDGECA_ERR_UNAVAILABLE);
	fd = next_connection();
	assert_true(fd >= 0);
	assert_true(closed_by_client(fd));
	close(fd);
	assert_false(signer_pool_stalled(p, NULL, NULL));
	signer_pool_free(p);
}

struct stuck_call {
	struct signer_pool *p;
	edgeca_err rc;
};

static void *
call_in_thread(void *arg)
{
	struct stuck_call *c = arg;

	c->rc = issue(c->p, NULL);
	return NULL;
}

/* A call that waits in vain for over SIGNER_STALL_MS makes the signer
 * stalled: the pool says so (with the time until that call gives up),
 * and the readiness check answers at once without asking again. */
static void
test_stall_reported(void **state)
{
	struct signer_pool *p = NULL;
	struct stuck_call c = {0};
	struct timespec pause = {2, 500000000L};
	unsigned silent = 0, retry = 0;
	char text[96];
	pthread_t t;
	double took;
	int fd;

	(void)state;
	assert_int_equal(signer_pool_new(sock_path, 2, 6000, &p, NULL), EDGECA_OK);
	c.p = p;
	assert_int_equal(pthread_create(&t, NULL, call_in_thread, &c), 0);
	nanosleep(&pause, NULL);
	assert_true(signer_pool_stalled(p, &silent, &retry));
	assert_true(silent >= 2);
	assert_true(retry >= 1 && retry <= 4);
	took = now_s();
	assert_int_equal(signer_check(p, 1000, text, sizeof(text), &retry),
	                 EDGECA_ERR_UNAVAILABLE);
	took = now_s() - took;
	print_message("signer_check: %s (%.3f s)\n", text, took);
	assert_true(strncmp(text, "not answering for ", 18) == 0);
	assert_true(took < 0.9); /* it did not wait for its own ping */
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.rc, EDGECA_ERR_UNAVAILABLE);
	/* given up: nothing waits, nothing is stalled */
	assert_false(signer_pool_stalled(p, NULL, NULL));
	fd = next_connection();
	assert_true(fd >= 0);
	close(fd);
	signer_pool_free(p);
}

/* With every pooled connection taken, a call waits for one only until its
 * deadline, and the readiness check does not wait for one at all. */
static void
test_busy_pool(void **state)
{
	struct signer_pool *p = NULL;
	struct stuck_call c = {0};
	struct edgeca_msg msg = {0};
	struct timespec pause = {0, 200000000L};
	unsigned retry = 0;
	char text[96];
	pthread_t t;
	double took;
	int fd;

	(void)state;
	assert_int_equal(signer_pool_new(sock_path, 1, 1500, &p, NULL), EDGECA_OK);
	c.p = p;
	assert_int_equal(pthread_create(&t, NULL, call_in_thread, &c), 0);
	nanosleep(&pause, NULL);
	took = now_s();
	assert_int_equal(signer_check(p, 300, text, sizeof(text), &retry), EDGECA_ERR_UNAVAILABLE);
	took = now_s() - took;
	print_message("signer_check: %s (%.3f s)\n", text, took);
	assert_string_equal(text, "not answering within 300 ms");
	assert_true(took < 1.2);
	assert_int_equal(issue(p, &msg), EDGECA_ERR_UNAVAILABLE);
	assert_string_equal(msg.type, "signer-unavailable");
	assert_int_equal(pthread_join(t, NULL), 0);
	for (int i = 0; i < 2; i++) { /* the stuck call's and the check's, at least */
		fd = next_connection();
		assert_true(fd >= 0);
		close(fd);
	}
	signer_pool_free(p);
}

static void
test_no_signer(void **state)
{
	struct signer_pool *p = NULL;
	struct edgeca_msg msg = {0};
	unsigned retry = 0;
	char path[160], text[96];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.sock", dir);
	assert_int_equal(signer_pool_new(path, 1, 5000, &p, NULL), EDGECA_OK);
	assert_int_equal(signer_check(p, 1000, text, sizeof(text), &retry),
	                 EDGECA_ERR_UNAVAILABLE);
	assert_string_equal(text, "unreachable");
	assert_int_equal(issue(p, &msg), EDGECA_ERR_UNAVAILABLE);
	assert_non_null(strstr(msg.detail, "not reachable"));
	signer_pool_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_past_its_deadline),
		cmocka_unit_test(test_stall_reported),
		cmocka_unit_test(test_busy_pool),
		cmocka_unit_test(test_no_signer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
