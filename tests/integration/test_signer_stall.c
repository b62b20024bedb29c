/* A signer that stops answering (SIGSTOP: hung, not dead). With many
 * issuance requests waiting on it, both listeners keep answering what
 * needs no signer (/healthz, /readyz naming the signer, reads, EST
 * cacerts) within seconds, issuance past the listener's signer gate is
 * refused at once with 503 signer-unavailable and Retry-After, every
 * request gets an answer and every 201 is stored. And a location revoked
 * while a certificate of it waits for its signature gets nothing stored
 * or handed out: REST issuance, DPS verification certificates and EST
 * enrollment answer 409. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

/* Issuance requests sent while the signer is stopped, one every
 * STAGGER_MS: all at once, several could land on one worker thread before
 * it blocks, and wait with it (libmicrohttpd gives each thread its own
 * connections). */
#define ISSUERS 48
#define STAGGER_MS 100
/* "Within seconds": a few on an idle machine, but a sanitizer build on a
 * loaded one takes tens (every refused request is a TLS handshake on the
 * threads left free); yet below the 60 s the server used to wait for the
 * signer, and far below the signer's deadline here, after which
 * everything would answer anyway. */
#define ANSWER_BOUND_S 45.0
#define SIGNER_TIMEOUT "EDGECA_SIGNER_TIMEOUT=120"
/* Of the harness's 4 API threads, 2 wait on the signer at most: the other
 * 2 serve everything else (the default, a quarter, would leave one). */
#define MAX_WAITING "EDGECA_SIGNER_MAX_WAITING=2"

static struct instance in;
static char ca_id[64], auditor[128], requester[128], serial[80];
static atomic_bool signer_stopped;
/* a device of the CA, to enroll over EST */
static X509 *stall_device;
static EVP_PKEY *stall_key;

static void
resume_signer(void)
{
	if (atomic_exchange(&signer_stopped, false))
		assert_int_equal(kill(in.signer_pid, SIGCONT), 0);
}

static void
stop_signer(void)
{
	atomic_store(&signer_stopped, true);
	assert_int_equal(kill(in.signer_pid, SIGSTOP), 0);
}

/* After every test, passed or failed: the signer goes on. */
static int
resume(void **state)
{
	(void)state;
	if (atomic_exchange(&signer_stopped, false))
		kill(in.signer_pid, SIGCONT);
	return 0;
}

static void
fixture_before(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
fixture_ready(void)
{
	stall_device = http_issue_cert(&in, ca_id, "stall-before", &stall_key, serial);
}

static void
fixture_done(void)
{
	resume(NULL);
	X509_free(stall_device);
	EVP_PKEY_free(stall_key);
}

static const struct fixture fx = {
	.in = &in,
	.name = "signer_stall",
	.env = {SIGNER_TIMEOUT, MAX_WAITING},
	.tokens = {
		{"auditor", "stall-auditor", auditor, sizeof(auditor)},
		{"requester", "stall-requester", requester, sizeof(requester)},
	},
	.ca_json = "{\"common_name\": \"Stall Root\", \"issuance\": "
	           "{\"template\": \"client\"}}",
	.ca_id = ca_id,
	.before = fixture_before,
	.ready = fixture_ready,
	.done = fixture_done,
	.after = curl_global_cleanup,
};

static long count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One number from the database (as the schema's owner). */
static long
count(const char *fmt, ...)
{
	char sql[512], *v;
	va_list ap;
	long n;

	va_start(ap, fmt);
	assert_true(vsnprintf(sql, sizeof(sql), fmt, ap) < (int)sizeof(sql));
	va_end(ap);
	v = instance_sql(&in, "%s", sql);
	n = v ? strtol(v, NULL, 10) : -1;
	free(v);
	return n;
}

/* ---- a stopped signer under load ---------------------------------------- */

struct issuance {
	pthread_t thread;
	char path[128];
	const char *csr;
	struct http_response r;
	double started, took;
};

/* File-scope: threads still running after a failed assertion write here,
 * not into a stack frame that is gone. */
static struct issuance xs[ISSUERS];
static pthread_mutex_t answered_lock = PTHREAD_MUTEX_INITIALIZER;
static int answered;

static void *
issue_one(void *arg)
{
	struct issuance *x = arg;

	x->started = now_s();
	http_call_unrecorded(&in, "POST", x->path, requester, "application/pkcs10", x->csr,
	                     strlen(x->csr), &x->r);
	pthread_mutex_lock(&answered_lock);
	x->took = now_s() - x->started;
	answered++;
	pthread_mutex_unlock(&answered_lock);
	return NULL;
}

/* A request that needs no signer answers, quickly: GET path on the API
 * listener (token may be NULL), or on the EST listener when est. */
static void
expect_quick(const char *path, const char *token, bool est, long want,
             struct http_response *r)
{
	struct est_tls anonymous = {0};
	double t = now_s();
	long got = est ? est_request(&in, &anonymous, "GET", path, NULL, NULL, 0, r)
	               : http_get(&in, path, token, r);

	t = now_s() - t;
	print_message("GET %s: %ld in %.2f s\n", path, got, t);
	if (got != want)
		fail_msg("GET %s: expected %ld, got %ld", path, want, got);
	if (t > ANSWER_BOUND_S)
		fail_msg("GET %s took %.1f s with the signer stopped", path, t);
}

static void
probe_reads(void)
{
	struct http_response r;
	char path[256];
	const char *signer;

	expect_quick("/healthz", NULL, false, 200, &r);
	http_response_free(&r);
	expect_quick("/readyz", NULL, false, 503, &r);
	/* it names the part that is down, and says when to come back */
	assert_string_equal(http_problem_type(&r), "not-ready");
	assert_string_equal(http_json_str(&r, "database"), "ok");
	signer = http_json_str(&r, "signer");
	assert_non_null(signer);
	assert_true(strncmp(signer, "not answering", 13) == 0);
	assert_non_null(http_header(&r, "retry-after"));
	print_message("readyz: %s\n", http_json_str(&r, "detail"));
	http_response_free(&r);
	expect_quick("/api/v1/cas?limit=1", auditor, false, 200, &r);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, serial);
	expect_quick(path, auditor, false, 200, &r);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/est/%s/default/.well-known/est/cacerts", ca_id);
	expect_quick(path, NULL, true, 200, &r);
	http_response_free(&r);
}

/* EST enrollment needs the signer: refused at once, with Retry-After. */
static void
est_enroll_refused(void)
{
	struct est_tls tls = {.cert = stall_device, .key = stall_key};
	X509_REQ *csr = est_make_csr("stall-before", false, NULL);
	struct http_response r;
	char base[200];
	double t = now_s();
	long status;

	snprintf(base, sizeof(base), "/est/%s/default/.well-known/est", ca_id);
	status = est_aziot_enroll(&in, &tls, base, csr, &r);
	t = now_s() - t;
	print_message("EST simpleenroll: %ld in %.2f s: %.*s", status, t, (int)r.body_len,
	              r.body ? (const char *)r.body : "");
	assert_int_equal(status, 503);
	assert_true(t < ANSWER_BOUND_S);
	assert_non_null(http_header(&r, "retry-after"));
	assert_true(atoi(http_header(&r, "retry-after")) >= 1);
	assert_non_null(strstr((const char *)r.body, "signer"));
	http_response_free(&r);
	X509_REQ_free(csr);
}

/* The answers that came while the signer was stopped: refusals, each
 * with Retry-After, each quick. */
static int
check_early_refusals(void)
{
	bool done[ISSUERS];
	int early = 0;

	pthread_mutex_lock(&answered_lock);
	for (int i = 0; i < ISSUERS; i++)
		done[i] = xs[i].took > 0; /* else still waiting */
	pthread_mutex_unlock(&answered_lock);
	for (int i = 0; i < ISSUERS; i++) {
		const char *retry = done[i] ? http_header(&xs[i].r, "retry-after") : NULL;
		if (!done[i])
			continue;
		early++;
		if (xs[i].r.status != 503 || strcmp(http_problem_type(&xs[i].r), "signer-unavailable"))
			fail_msg("request %d: %ld %s while the signer was stopped", i, xs[i].r.status,
			         http_problem_type(&xs[i].r));
		if (retry == NULL || atoi(retry) < 1)
			fail_msg("request %d: a 503 without Retry-After", i);
		if (xs[i].took > ANSWER_BOUND_S)
			fail_msg("request %d: refused only after %.1f s", i, xs[i].took);
	}
	return early;
}

static void
test_stopped_signer_degrades(void **state)
{
	char *csr = make_csr("EC-P256", "stall-device", NULL, NULL);
	int early = 0, created = 0;
	double until;

	(void)state;
	memset(xs, 0, sizeof(xs));
	stop_signer();
	for (int i = 0; i < ISSUERS; i++) {
		snprintf(xs[i].path, sizeof(xs[i].path), "/api/v1/cas/%s/certificates", ca_id);
		xs[i].csr = csr;
		assert_int_equal(pthread_create(&xs[i].thread, NULL, issue_one, &xs[i]), 0);
		sleep_ms(STAGGER_MS);
	}
	probe_reads();
	est_enroll_refused();
	/* the requests beyond the gate are refused without waiting for the
	 * signer's deadline */
	for (until = now_s() + ANSWER_BOUND_S; now_s() < until; sleep_ms(100)) {
		pthread_mutex_lock(&answered_lock);
		early = answered;
		pthread_mutex_unlock(&answered_lock);
		if (early >= ISSUERS / 2)
			break;
	}
	early = check_early_refusals();
	print_message("%d of %d issuance requests refused while the signer was stopped\n", early,
	              ISSUERS);
	assert_true(early >= ISSUERS / 2);
	resume_signer();
	for (int i = 0; i < ISSUERS; i++)
		assert_int_equal(pthread_join(xs[i].thread, NULL), 0);
	/* every request got an answer; every certificate handed out is stored */
	for (int i = 0; i < ISSUERS; i++) {
		http_record("api", "POST", xs[i].path, &xs[i].r);
		if (xs[i].r.status == 201) {
			const char *s = http_json_str(&xs[i].r, "serial_number");
			assert_non_null(s);
			assert_int_equal(count("SELECT count(*) FROM certificates WHERE ca_id = '%s' "
			                       "AND serial = '%s'", ca_id, s), 1);
			created++;
		} else if (xs[i].r.status != 503) {
			fail_msg("request %d: %ld", i, xs[i].r.status);
		}
		http_response_free(&xs[i].r);
	}
	print_message("%d created once the signer went on\n", created);
	/* and issuance works again */
	for (until = now_s() + ANSWER_BOUND_S;; sleep_ms(250)) {
		struct http_response r;
		long status = http_call(&in, "POST", xs[0].path, requester, "application/pkcs10", csr,
		                        strlen(csr), &r);
		http_response_free(&r);
		if (status == 201)
			break;
		if (status != 503 || now_s() > until)
			fail_msg("issuance after the signer went on: %ld", status);
	}
	free(csr);
}

/* ---- a revocation while the signer signs -------------------------------- */

enum signing_path { VIA_REST, VIA_DPS, VIA_EST };

struct meanwhile {
	pthread_t thread;
	const char *ca;
	struct http_response ready, revoke;
	char revoke_path[160];
	bool saw_stall;
};

/* Waits until the request is with the signer (pooled calls wait in vain:
 * /readyz says "not answering for N s"), revokes the location, which needs
 * no signer, and lets the signer go on. */
static void *
revoke_meanwhile(void *arg)
{
	static const char body[] = "{\"reason\": \"cessationOfOperation\"}";
	struct meanwhile *m = arg;
	double until = now_s() + 15;

	/* the request first: arriving together, both connections could go
	 * to one worker thread, the probe then waiting behind the request */
	sleep_ms(500);
	while (!m->saw_stall && now_s() < until) {
		const char *signer;
		http_response_free(&m->ready);
		http_call_unrecorded(&in, "GET", "/readyz", NULL, NULL, NULL, 0, &m->ready);
		signer = http_json_str(&m->ready, "signer");
		m->saw_stall = signer != NULL && strncmp(signer, "not answering for", 17) == 0;
		if (!m->saw_stall)
			sleep_ms(200);
	}
	snprintf(m->revoke_path, sizeof(m->revoke_path),
	         "/api/v1/cas/%s/locations/default/revoke", m->ca);
	http_call_unrecorded(&in, "POST", m->revoke_path, in.admin_token, "application/json", body,
	                     strlen(body), &m->revoke);
	resume_signer();
	return NULL;
}

/* The signer-bound request of path for ca, made while the location is
 * revoked; returns its status, the answer in r. */
static long
request(enum signing_path via, const char *ca, const struct est_tls *tls,
        struct http_response *r)
{
	char path[200];
	long status;

	if (via == VIA_REST) {
		char *csr = make_csr("EC-P256", "race-device", NULL, NULL);
		snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?location=default", ca);
		status = http_call(&in, "POST", path, requester, "application/pkcs10", csr,
		                   strlen(csr), r);
		free(csr);
	} else if (via == VIA_DPS) {
		snprintf(path, sizeof(path), "/api/v1/cas/%s/verification-certificate", ca);
		status = http_post_json(&in, path, in.admin_token,
		                        "{\"verification_code\": \"4A1B2C3D\"}", r);
	} else {
		X509_REQ *csr = est_make_csr("race-device", false, NULL);
		snprintf(path, sizeof(path), "/est/%s/default/.well-known/est", ca);
		status = est_aziot_enroll(&in, tls, path, csr, r);
		X509_REQ_free(csr);
	}
	return status;
}

static void
race(enum signing_path via, const char *name)
{
	char ca[64], body[300];
	struct meanwhile m = {0};
	struct est_tls tls = {0};
	struct http_response r;
	EVP_PKEY *key = NULL;
	X509 *device = NULL;
	long status, before;

	/* CRLs off: no CRL the scheduler makes waits on the stopped signer
	 * too, which could make it stalled before the request comes */
	if (via == VIA_REST) {
		/* a subordinate of two locations: the one revoked is not the CA */
		char root[64];
		http_create_ca(&in, "{\"common_name\": \"Race Root\", \"crl\": {\"enabled\": "
		                    "false}}", root);
		snprintf(body, sizeof(body), "{\"kind\": \"subordinate\", \"common_name\": \"Race "
		         "%s\", \"parent_ca_id\": \"%s\", \"locations\": [\"default\", \"backup\"], "
		         "\"issuance\": {\"template\": \"client\"}, \"crl\": {\"enabled\": false}}",
		         name, root);
	} else {
		snprintf(body, sizeof(body), "{\"common_name\": \"Race %s\", \"issuance\": "
		         "{\"template\": \"client\"}, \"crl\": {\"enabled\": false}}", name);
	}
	http_create_ca(&in, body, ca);
	if (via == VIA_EST) {
		device = http_issue_cert(&in, ca, "race-device", &key, NULL);
		tls.cert = device;
		tls.key = key;
	}
	before = count("SELECT count(*) FROM certificates WHERE ca_id = '%s'", ca);
	m.ca = ca;
	stop_signer();
	assert_int_equal(pthread_create(&m.thread, NULL, revoke_meanwhile, &m), 0);
	status = request(via, ca, &tls, &r);
	assert_int_equal(pthread_join(m.thread, NULL), 0);
	http_record("api", "GET", "/readyz", &m.ready);
	http_record("api", "POST", m.revoke_path, &m.revoke);
	print_message("%s: %ld %.*s\n", name, status, (int)r.body_len,
	              r.body ? (const char *)r.body : "");
	assert_int_equal(m.revoke.status, 200);
	/* signed, but neither stored nor handed out */
	assert_int_equal(status, 409);
	if (via == VIA_EST)
		assert_non_null(strstr((const char *)r.body, "revoked"));
	else /* the CA's only location revoked is the CA revoked */
		assert_string_equal(http_problem_type(&r),
		                    via == VIA_REST ? "location-revoked" : "ca-revoked");
	assert_int_equal(count("SELECT count(*) FROM certificates WHERE ca_id = '%s'", ca),
	                 before);
	assert_int_equal(count("SELECT count(*) FROM audit_events WHERE action = "
	                       "'certificate.issue' AND details->>'ca_id' = '%s'", ca),
	                 before);
	/* and the revocation came while the request waited on the signer */
	assert_true(m.saw_stall);
	http_response_free(&r);
	http_response_free(&m.ready);
	http_response_free(&m.revoke);
	X509_free(device);
	EVP_PKEY_free(key);
}

static void
test_revocation_while_signing_rest(void **state)
{
	(void)state;
	race(VIA_REST, "REST");
}

static void
test_revocation_while_signing_dps(void **state)
{
	(void)state;
	race(VIA_DPS, "DPS");
}

static void
test_revocation_while_signing_est(void **state)
{
	(void)state;
	race(VIA_EST, "EST");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_stopped_signer_degrades, resume),
		cmocka_unit_test_teardown(test_revocation_while_signing_rest, resume),
		cmocka_unit_test_teardown(test_revocation_while_signing_dps, resume),
		cmocka_unit_test_teardown(test_revocation_while_signing_est, resume),
	};

	return fixture_run_tests(tests, &fx);
}
