/* EST HTTP Basic under attack: wrong passwords from one address turn from
 * 401 into 429 (Retry-After) within a few attempts and are then refused
 * without a check, while the right password from that address after the
 * wait, from another address at once, and a client certificate at any
 * time still work; guesses spread over many addresses spend the CA's
 * budget, which holds back only anonymous clients that have not succeeded
 * lately; every refusal is logged with the client's address; and a flood
 * of Basic attempts from many addresses at once leaves the server's
 * memory flat (scrypt needs 16 MiB a check: only two run at once). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "common/encoding.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

/* fleet:correct horse battery / fleet:wrong password! */
#define GOOD "authorization: Basic ZmxlZXQ6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5"
#define BAD "authorization: Basic ZmxlZXQ6d3JvbmcgcGFzc3dvcmQh"
#define CA_BODY                                                                                  \
	"{\"common_name\": \"%s\", \"issuance\": {\"template\": \"client\"}, \"est\": "          \
	"{\"subject_policy\": \"any\", \"basic_auth\": {\"username\": \"fleet\", \"password\": " \
	"\"correct horse battery\"}}}"
/* the flood: clients at once, for this long, over this many CAs */
#define FLOOD_THREADS 16
#define FLOOD_SECONDS 8
#define FLOOD_CAS 8
#define PROXY "127.0.0.3"

static struct instance in;

static void
fixture_before(void)
{
#ifdef __SANITIZE_ADDRESS__
	{
		/* ASan keeps freed blocks in a quarantine (256 MiB) to catch use
		 * after free: without it the server's memory is what it holds */
		const char *old = getenv("ASAN_OPTIONS");
		char *opts = NULL;
		xasprintf(&opts, "%s%squarantine_size_mb=0", old ? old : "", old ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
		free(opts);
	}
#endif
	/* as many EST threads as the review's flood had clients */
	in.extra_env[0] = "EDGECA_EST_THREADS=16";
	in.extra_env[1] = "EDGECA_EST_TRUSTED_PROXIES=" PROXY;
}

static const struct fixture fx = {
	.in = &in,
	.name = "est_basic_throttle",
	.before = fixture_before,
};

static void
create_ca(const char *cn, char id[64], char base[512])
{
	char *body = NULL;

	xasprintf(&body, CA_BODY, cn);
	http_create_ca(&in, body, id);
	snprintf(base, 512, "/est/%s/default/.well-known/est", id);
	free(body);
}

/* simpleenroll of a fresh CSR from source with the given Authorization
 * line (NULL: none) and client certificate (NULL: none); the status, and
 * Retry-After in *retry_after (0 when absent). No test assertions: the
 * flood's threads call it. */
static long
post_extra(const char *base, const char *source, const char *auth, const char *const *extra,
           X509 *cert, EVP_PKEY *key, long *retry_after, bool *text)
{
	const char *headers[6] = {"content-type: application/pkcs10"};
	int h = 1;
	struct est_tls tls = {cert, NULL, key, source, 0};
	X509_REQ *csr = est_make_csr("fleet-device", false, NULL);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(csr, &der);
	char *b64 = base64_encode(der, (size_t)n, 64), path[600];
	struct http_response r;
	const char *ra;
	long status;

	if (auth != NULL)
		headers[h++] = auth;
	for (int i = 0; extra != NULL && extra[i] != NULL && h < 5; i++)
		headers[h++] = extra[i];
	snprintf(path, sizeof(path), "%s/simpleenroll", base);
	status = est_request(&in, &tls, "POST", path, headers, b64, strlen(b64), &r);
	ra = http_header(&r, "retry-after");
	*retry_after = ra ? strtol(ra, NULL, 10) : 0;
	*text = strcmp(r.content_type, "text/plain; charset=utf-8") == 0;
	http_response_free(&r);
	OPENSSL_free(der);
	free(b64);
	X509_REQ_free(csr);
	return status;
}

static long
post_enroll(const char *base, const char *source, const char *auth, X509 *cert, EVP_PKEY *key,
            long *retry_after, bool *text)
{
	return post_extra(base, source, auth, NULL, cert, key, retry_after, text);
}

/* The same, checking that a 429 says when to come back. */
static long
enroll_from(const char *base, const char *source, const char *auth, X509 *cert, EVP_PKEY *key,
            long *retry_after)
{
	long wait = 0, status;
	bool text = false;

	status = post_enroll(base, source, auth, cert, key, &wait, &text);
	if (status == 429) {
		assert_true(wait >= 1);
		assert_true(text);
	}
	if (retry_after != NULL)
		*retry_after = wait;
	return status;
}

/* From source with an X-Forwarded-For line, after a first one when given
 * (checked like enroll_from). */
static long
enroll_fwd2(const char *base, const char *source, const char *auth, const char *first,
            const char *forwarded_for)
{
	char line[128], line1[128];
	const char *extra[3] = {line, NULL, NULL};
	long wait = 0, status;
	bool text = false;

	snprintf(line, sizeof(line), "x-forwarded-for: %s", forwarded_for);
	if (first != NULL) {
		snprintf(line1, sizeof(line1), "X-Forwarded-For: %s", first);
		extra[0] = line1;
		extra[1] = line;
	}
	status = post_extra(base, source, auth, extra, NULL, NULL, &wait, &text);
	if (status == 429)
		assert_true(wait >= 1 && text);
	return status;
}

static long
enroll_fwd(const char *base, const char *source, const char *auth, const char *forwarded_for)
{
	return enroll_fwd2(base, source, auth, NULL, forwarded_for);
}

/* Whether the server's log has a line with all of the parts. */
static bool
log_has(const char *a, const char *b, const char *c)
{
	char path[256], *log, *line;
	size_t len = 0;
	bool found = false;

	snprintf(path, sizeof(path), "%s/server.log", in.data_dir);
	log = read_file(path, &len);
	for (line = strtok(log, "\n"); line != NULL && !found; line = strtok(NULL, "\n"))
		found = strstr(line, a) && strstr(line, b) && strstr(line, c);
	free(log);
	return found;
}

static void
test_address_throttled(void **state)
{
	char ca_id[64], base[512];
	EVP_PKEY *key = NULL;
	X509 *cert;
	long status = 0, wait = 0;
	int attempts = 0, n401 = 0;
	time_t start;

	(void)state;
	create_ca("Throttled Fleet CA", ca_id, base);
	cert = http_issue_cert(&in, ca_id, "fleet-device", &key, NULL);
	/* the right password works from the guesser's address beforehand */
	assert_int_equal(enroll_from(base, "127.0.0.11", GOOD, NULL, NULL, NULL), 200);
	/* wrong guesses: 401 at first, then 429 with Retry-After */
	start = time(NULL);
	while (attempts < 12 && (status = enroll_from(base, "127.0.0.11", BAD, NULL, NULL,
	                                              &wait)) == 401) {
		attempts++;
		n401++;
	}
	assert_int_equal(status, 429);
	assert_true(n401 >= 3 && n401 <= 8);
	assert_true(wait >= 1 && wait <= 600);
	/* refused unchecked meanwhile, the right password too: answers come
	 * at once, not after a password check each */
	for (int i = 0; i < 20; i++)
		assert_int_equal(enroll_from(base, "127.0.0.11", BAD, NULL, NULL, NULL), 429);
	assert_int_equal(enroll_from(base, "127.0.0.11", GOOD, NULL, NULL, &wait), 429);
	assert_true(time(NULL) - start < 60);
	/* a client certificate from that address is not held back */
	assert_int_equal(enroll_from(base, "127.0.0.11", NULL, cert, key, NULL), 200);
	/* nor is another address */
	assert_int_equal(enroll_from(base, "127.0.0.12", GOOD, NULL, NULL, NULL), 200);
	/* the refusals name the client's address, the CA and the reason */
	assert_true(log_has("client=127.0.0.11 ", ca_id, "(est-basic-auth)"));
	assert_true(log_has("client=127.0.0.11 ", ca_id, "(est-basic-throttled)"));
	/* after the wait the right password works from there again */
	sleep((unsigned)wait + 1);
	assert_int_equal(enroll_from(base, "127.0.0.11", GOOD, NULL, NULL, NULL), 200);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* Guesses from many addresses, each under its own limit, spend the CA's
 * budget: anonymous newcomers wait, but an address that succeeded before
 * and a client with a certificate (and the right password) go on. */
static void
test_ca_budget(void **state)
{
	char ca_id[64], base[512], addr[32];
	EVP_PKEY *key = NULL;
	X509 *cert;
	long status = 401, wait = 0;
	int guesses = 0;

	(void)state;
	create_ca("Budget Fleet CA", ca_id, base);
	cert = http_issue_cert(&in, ca_id, "budget-device", &key, NULL);
	assert_int_equal(enroll_from(base, "127.0.1.200", GOOD, NULL, NULL, NULL), 200);
	/* three guesses an address: never the address limit */
	for (int a = 1; a < 40 && status == 401; a++) {
		snprintf(addr, sizeof(addr), "127.0.1.%d", a);
		for (int i = 0; i < 3 && (status = enroll_from(base, addr, BAD, NULL, NULL, &wait)) ==
		                              401; i++)
			guesses++;
	}
	assert_int_equal(status, 429);
	assert_true(guesses >= 10 && guesses <= 40);
	assert_true(wait >= 1);
	/* a newcomer with the right password waits too ... */
	assert_int_equal(enroll_from(base, "127.0.1.201", GOOD, NULL, NULL, NULL), 429);
	/* ... but not a device that succeeded lately, nor one with a
	 * certificate */
	assert_int_equal(enroll_from(base, "127.0.1.200", GOOD, NULL, NULL, NULL), 200);
	assert_int_equal(enroll_from(base, "127.0.1.202", GOOD, cert, key, NULL), 200);
	assert_int_equal(enroll_from(base, "127.0.1.202", NULL, cert, key, NULL), 200);
	assert_true(log_has("client=127.0.1.201 ", ca_id, "(est-basic-throttled)"));
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* Through the trusted proxy the client is the address it forwards in
 * X-Forwarded-For (its last element): logged with the proxy's and
 * throttled on its own; from anyone else the header is ignored. */
static void
test_proxy_addresses(void **state)
{
	char ca_id[64], base[512], *log, path[256];
	size_t len = 0;
	long status = 401;
	int n401 = 0;

	(void)state;
	create_ca("Proxied Fleet CA", ca_id, base);
	assert_int_equal(enroll_fwd(base, PROXY, BAD, "203.0.113.7"), 401);
	assert_true(log_has("client=203.0.113.7 via-trusted-proxy=" PROXY " ", ca_id,
	                    "(est-basic-auth)"));
	assert_int_equal(enroll_fwd(base, PROXY, BAD, "192.0.2.50, 203.0.113.10"), 401);
	assert_true(log_has("client=203.0.113.10 via-trusted-proxy=" PROXY " ", ca_id,
	                    "(est-basic-auth)"));
	/* a line the client sent itself comes before the proxy's */
	assert_int_equal(enroll_fwd2(base, PROXY, BAD, "6.6.6.7", "203.0.113.11"), 401);
	assert_true(log_has("client=203.0.113.11 via-trusted-proxy=" PROXY " ", ca_id,
	                    "(est-basic-auth)"));
	/* not an address: the proxy's own stands for the client */
	assert_int_equal(enroll_fwd(base, PROXY, BAD, "evil\tclient=6.6.6.6"), 401);
	assert_true(log_has("client=" PROXY " via-trusted-proxy=" PROXY " ", ca_id,
	                    "(est-basic-auth)"));
	/* from elsewhere the header is nobody's word */
	assert_int_equal(enroll_fwd(base, "127.0.0.4", BAD, "198.51.100.9"), 401);
	assert_true(log_has("client=127.0.0.4 ", ca_id, "(est-basic-auth)"));
	snprintf(path, sizeof(path), "%s/server.log", in.data_dir);
	log = read_file(path, &len);
	assert_null(strstr(log, "198.51.100.9"));
	assert_null(strstr(log, "6.6.6.6"));
	assert_null(strstr(log, "6.6.6.7"));
	free(log);
	/* one forwarded client's guesses hold back that client only */
	while (n401 < 12 && (status = enroll_fwd(base, PROXY, BAD, "203.0.113.8")) == 401)
		n401++;
	assert_int_equal(status, 429);
	assert_int_equal(enroll_fwd(base, PROXY, GOOD, "203.0.113.8"), 429);
	assert_int_equal(enroll_fwd(base, PROXY, GOOD, "203.0.113.9"), 200);
}

struct flood {
	int thread;
	const char *base;
	int answers[600]; /* by status */
};

static void *
flood_thread(void *arg)
{
	struct flood *f = arg;
	time_t end = time(NULL) + FLOOD_SECONDS;
	char addr[32];

	/* each attempt from another address of the thread's own range, so
	 * that many reach a password check */
	for (int i = 0; time(NULL) < end; i++) {
		long s, wait;
		bool text;
		snprintf(addr, sizeof(addr), "127.%d.0.%d", 10 + f->thread, 1 + i % 200);
		s = post_enroll(f->base, addr, BAD, NULL, NULL, &wait, &text);
		f->answers[s >= 0 && s < 600 ? s : 0]++;
	}
	return NULL;
}

/* kB of a "VmHWM:" or "VmRSS:" line of the server's /proc status. */
static long
server_kb(const char *field)
{
	char path[64], *status, *p;
	size_t len = 0;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)in.server_pid);
	status = read_file(path, &len);
	if ((p = strstr(status, field)) != NULL)
		kb = strtol(p + strlen(field), NULL, 10);
	free(status);
	return kb;
}

static void
test_flood_memory(void **state)
{
	static struct flood floods[FLOOD_THREADS];
	static char bases[FLOOD_CAS][512], ids[FLOOD_CAS][64];
	pthread_t threads[FLOOD_THREADS];
	char cn[64];
	EVP_PKEY *key = NULL;
	X509 *cert;
	long hwm_before, hwm_after, rss_after;
	int checked = 0, throttled = 0, other = 0;

	(void)state;
	for (int i = 0; i < FLOOD_CAS; i++) {
		snprintf(cn, sizeof(cn), "Flooded CA %d", i);
		create_ca(cn, ids[i], bases[i]);
	}
	hwm_before = server_kb("VmHWM:");
	assert_true(hwm_before > 0);
	for (int i = 0; i < FLOOD_THREADS; i++) {
		memset(&floods[i], 0, sizeof(floods[i]));
		floods[i].thread = i;
		floods[i].base = bases[i % FLOOD_CAS];
		assert_int_equal(pthread_create(&threads[i], NULL, flood_thread, &floods[i]), 0);
	}
	for (int i = 0; i < FLOOD_THREADS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	hwm_after = server_kb("VmHWM:");
	rss_after = server_kb("VmRSS:");
	for (int i = 0; i < FLOOD_THREADS; i++)
		for (int s = 0; s < 600; s++) {
			if (s == 401)
				checked += floods[i].answers[s];
			else if (s == 429)
				throttled += floods[i].answers[s];
			else
				other += floods[i].answers[s];
		}
	print_message("flood: %d checked (401), %d throttled (429), %d other; VmHWM %ld -> %ld "
	              "kB, VmRSS %ld kB\n", checked, throttled, other, hwm_before, hwm_after,
	              rss_after);
	/* every answer a refusal, many after a real check, 16 asking at a
	 * time (429 once a CA's budget is spent) */
	assert_int_equal(other, 0);
	assert_true(checked >= 2 * FLOOD_THREADS);
	/* 16 checks at once took 16 x 16 MiB and more; two at once 32 MiB */
	assert_true(hwm_after - hwm_before < 100 * 1024);
	/* the server still serves, a device with a certificate at once
	 * (the flood may have spent the CA's Basic budget: 429 for newcomers) */
	cert = http_issue_cert(&in, ids[0], "flooded-device", &key, NULL);
	assert_int_equal(enroll_from(bases[0], "127.0.0.99", NULL, cert, key, NULL), 200);
	X509_free(cert);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_memory),
		cmocka_unit_test(test_address_throttled),
		cmocka_unit_test(test_ca_budget),
		cmocka_unit_test(test_proxy_addresses),
	};

	return fixture_run_tests(tests, &fx);
}
