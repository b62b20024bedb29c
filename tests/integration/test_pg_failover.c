/* PostgreSQL failover under load: edgeca on a multi-host connection string
 * (a primary and its synchronous streaming standby, pg-pair.sh, with
 * target_session_attrs=read-write) keeps issuing from several threads
 * while the primary is stopped (immediate) and the standby promoted.
 * Every answer during the outage is a 201 or a 503 problem with
 * Retry-After, within the client's timeout; issuance works again within
 * FAILOVER_BOUND_S without a restart (same server process); every
 * certificate answered 201 is in the new primary; and the scheduler, on
 * connections of its own, makes the CRL of a revocation there. A restart
 * of the database while the server is idle costs no request at all: the
 * pooled connections it ended are replaced before they are used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/process.h"

#define ISSUERS 4
#define MAX_ANSWERS 20000
/* 201s before the primary goes, and how long it stays gone before the
 * standby is promoted: requests meet a database that is not there. */
#define BEFORE_STOP 20
#define OUTAGE_MS 1500
/* the bound of the brief: serving again within seconds */
#define FAILOVER_BOUND_S 30.0
/* no request may hang: an unanswered one (status 0) fails the test */
#define CLIENT_TIMEOUT_S 30L

static struct instance in;
static char ca_id[64], requester[128];
static char pair_dir[] = "/tmp/edgeca-pgpair-XXXXXX";
static bool pair_started;

struct answer {
	long status;
	bool problem_ok; /* a 503: problem+json, its status member, Retry-After */
	char serial[80]; /* a 201's */
	char detail[200];
};

/* File-scope: issuing threads write here. */
static struct answer answers[MAX_ANSWERS];
static atomic_int n_answers;
static atomic_int n_created;
static atomic_bool stop_issuing;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
/* one answer of each status, for the OpenAPI conformance log */
static struct http_response kept_201, kept_503;
static char issue_path[128];

/* Runs pg-pair.sh with command on the pair's directory. */
static int
pair(const char *command)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "'%s/tests/integration/pg-pair.sh' %s '%s' >&2",
	         getenv("EDGECA_TEST_SRC_DIR"), command, pair_dir);
	return process_run(cmd);
}

static void
fixture_before(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	assert_non_null(getenv("EDGECA_TEST_SRC_DIR"));
	assert_non_null(mkdtemp(pair_dir));
	assert_int_equal(chmod(pair_dir, 0711), 0); /* the cluster's user passes through */
	pair_started = true;
	if (pair("start") != 0)
		fail_msg("the PostgreSQL primary and standby did not start");
	snprintf(in.pg_server, sizeof(in.pg_server),
	         "host=%s/a/run,%s/b/run port=5432,5433 target_session_attrs=read-write",
	         pair_dir, pair_dir);
	http_set_timeout(CLIENT_TIMEOUT_S);
}

static void
fixture_after(void)
{
	if (pair_started && pair("destroy") != 0)
		fprintf(stderr, "could not remove the PostgreSQL pair in %s\n", pair_dir);
	http_response_free(&kept_201);
	http_response_free(&kept_503);
	curl_global_cleanup();
}

static const struct fixture fx = {
	.in = &in,
	.name = "pg_failover",
	.tokens = {{"requester", "failover-requester", requester, sizeof(requester)}},
	.ca_json = "{\"common_name\": \"Failover Root\", \"issuance\": "
	           "{\"template\": \"client\"}}",
	.ca_id = ca_id,
	.before = fixture_before,
	.after = fixture_after,
};

/* Keeps the first answer of its status (201 or 503) for the exchange log;
 * true when it did (r is then kept's). */
static bool
keep(struct http_response *r)
{
	struct http_response *kept = r->status == 201 ? &kept_201 : &kept_503;
	bool took = false;

	pthread_mutex_lock(&kept_lock);
	if ((r->status == 201 || r->status == 503) && kept->status == 0) {
		*kept = *r;
		took = true;
	}
	pthread_mutex_unlock(&kept_lock);
	return took;
}

/* One issuance; its answer is noted in answers[]. Returns the status. */
static long
issue(const char *cn)
{
	char *csr = make_csr("EC-P256", cn, NULL, NULL);
	struct http_response r;
	int i = atomic_fetch_add(&n_answers, 1);
	struct answer *a = i < MAX_ANSWERS ? &answers[i] : NULL;
	long status = http_call_unrecorded(&in, "POST", issue_path, requester,
	                                   "application/pkcs10", csr, strlen(csr), &r);

	if (a != NULL) {
		const char *serial = http_json_str(&r, "serial_number");
		a->status = status;
		if (status == 201 && serial != NULL) {
			snprintf(a->serial, sizeof(a->serial), "%s", serial);
			atomic_fetch_add(&n_created, 1);
		}
		a->problem_ok = status == 503 &&
		                strcmp(r.content_type, "application/problem+json") == 0 &&
		                json_integer_value(json_object_get(r.json, "status")) == 503 &&
		                http_header(&r, "retry-after") != NULL &&
		                atoi(http_header(&r, "retry-after")) >= 1;
		snprintf(a->detail, sizeof(a->detail), "%.*s", (int)r.body_len,
		         r.body ? (const char *)r.body : "");
	}
	if (!keep(&r))
		http_response_free(&r);
	free(csr);
	return status;
}

static void *
issuer(void *arg)
{
	char cn[64];

	for (int n = 0; !atomic_load(&stop_issuing) && atomic_load(&n_answers) < MAX_ANSWERS;
	     n++) {
		snprintf(cn, sizeof(cn), "failover-%d-%d", (int)(intptr_t)arg, n);
		issue(cn);
	}
	return NULL;
}

/* Waits until at least n certificates were answered 201 (by bound_s). */
static bool
created_at_least(int n, double bound_s)
{
	double until = now_s() + bound_s;

	while (atomic_load(&n_created) < n && now_s() < until)
		sleep_ms(50);
	return atomic_load(&n_created) >= n;
}

/* The serials of every certificate in the database the server's URL
 * leads to now (the new primary), sorted (malloc'ed; n in *n). */
static char **
stored_serials(int *n)
{
	PGconn *c = PQconnectdb(in.admin_database_url);
	PGresult *r;
	char **v;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("the new primary: %s", PQerrorMessage(c));
	r = PQexec(c, "SELECT serial FROM certificates ORDER BY serial");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("certificates: %s", PQerrorMessage(c));
	*n = PQntuples(r);
	v = calloc((size_t)*n + 1, sizeof(*v));
	assert_non_null(v);
	for (int i = 0; i < *n; i++) {
		v[i] = strdup(PQgetvalue(r, i, 0));
		assert_non_null(v[i]);
	}
	PQclear(r);
	PQfinish(c);
	return v;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The serial of the last certificate answered 201 (of the first n). */
static const char *
last_serial(int n)
{
	for (int i = n - 1; i >= 0; i--)
		if (answers[i].status == 201)
			return answers[i].serial;
	fail_msg("no certificate was issued");
	return NULL;
}

/* Waits (bound_s) for a CRL of the CA with an entry, made by the scheduler. */
static bool
crl_with_entries(double bound_s)
{
	double until = now_s() + bound_s;
	char *v = NULL;

	do {
		free(v);
		sleep_ms(200);
		v = instance_sql(&in, "SELECT count(*) FROM crl_history WHERE ca_id = '%s' AND "
		                 "entries > 0 AND created_by = 'scheduler'", ca_id);
	} while ((v == NULL || strcmp(v, "0") == 0) && now_s() < until);
	if (v != NULL && strcmp(v, "0") != 0) {
		free(v);
		return true;
	}
	free(v);
	return false;
}

static void
failover_under_load(void **state)
{
	pthread_t threads[ISSUERS];
	pid_t server = in.server_pid;
	double stopped, promoted, back = -1;
	int n, n_stored, n_201 = 0, n_503 = 0;
	char **stored;
	struct http_response r;

	(void)state;
	snprintf(issue_path, sizeof(issue_path), "/api/v1/cas/%s/certificates", ca_id);
	for (intptr_t i = 0; i < ISSUERS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, issuer, (void *)i), 0);
	if (!created_at_least(BEFORE_STOP, 60))
		fail_msg("fewer than %d certificates issued before the failover", BEFORE_STOP);

	assert_int_equal(pair("stop-primary"), 0);
	stopped = now_s();
	sleep_ms(OUTAGE_MS);
	assert_int_equal(pair("promote"), 0);
	promoted = now_s();
	print_message("primary stopped; standby promoted %.2f s later\n", promoted - stopped);

	/* serving again: a certificate asked for now is issued */
	while (now_s() - promoted < FAILOVER_BOUND_S) {
		if (issue("failover-probe") == 201) {
			back = now_s();
			break;
		}
		sleep_ms(100);
	}
	if (back < 0)
		fail_msg("no certificate issued within %.0f s of the promotion", FAILOVER_BOUND_S);
	print_message("issuing again %.2f s after the promotion (%.2f s after the primary "
	              "stopped)\n", back - promoted, back - stopped);
	/* some more load on the new primary, then the end */
	n = atomic_load(&n_created);
	if (!created_at_least(n + 2 * ISSUERS, FAILOVER_BOUND_S))
		fail_msg("issuance did not go on after the failover");
	atomic_store(&stop_issuing, true);
	for (int i = 0; i < ISSUERS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);

	/* (a) every answer a 201 or a 503 problem with Retry-After */
	n = atomic_load(&n_answers);
	if (n > MAX_ANSWERS)
		n = MAX_ANSWERS;
	for (int i = 0; i < n; i++) {
		if (answers[i].status == 201 && answers[i].serial[0] != '\0')
			n_201++;
		else if (answers[i].status == 503 && answers[i].problem_ok)
			n_503++;
		else
			fail_msg("answer %d: status %ld (0: none within %ld s): %s", i,
			         answers[i].status, CLIENT_TIMEOUT_S, answers[i].detail);
	}
	print_message("%d answers: %d certificates issued, %d refused with 503\n", n, n_201,
	              n_503);
	/* the answers' form, for the OpenAPI conformance check */
	http_record("api", "POST", issue_path, &kept_201);
	http_record("api", "POST", issue_path, &kept_503);

	/* (c) every certificate answered 201 is in the new primary */
	stored = stored_serials(&n_stored);
	for (int i = 0; i < n; i++) {
		char *key = answers[i].serial;
		if (answers[i].status == 201 &&
		    bsearch(&key, stored, (size_t)n_stored, sizeof(*stored), cmp_str) == NULL)
			fail_msg("certificate %s was answered 201 but is not in the new primary", key);
	}
	for (int i = 0; i < n_stored; i++)
		free(stored[i]);
	free(stored);

	/* the scheduler made it too: a revocation now gets its CRL */
	http_revoke(&in, ca_id, last_serial(n), "keyCompromise");
	if (!crl_with_entries(FAILOVER_BOUND_S))
		fail_msg("no CRL by the scheduler within %.0f s of a revocation after the failover",
		         FAILOVER_BOUND_S);

	/* (d) the same server process, ready */
	assert_int_equal(in.server_pid, server);
	assert_int_equal(waitpid(server, NULL, WNOHANG), 0);
	assert_int_equal(kill(server, 0), 0);
	http_expect(200, NULL, http_get(&in, "/readyz", NULL, &r), &r);
}

/* After failover_under_load: the new primary restarted while no request
 * runs; the next requests find fresh connections, not the ended ones. */
static void
restart_while_idle(void **state)
{
	struct http_response r;
	int before = atomic_load(&n_answers);

	(void)state;
	assert_int_equal(pair("restart"), 0);
	for (int i = 0; i < 3 * ISSUERS; i++) {
		char cn[64];
		long status;
		snprintf(cn, sizeof(cn), "after-restart-%d", i);
		status = issue(cn);
		if (status != 201)
			fail_msg("issuance %d after the restart: %ld: %s", i, status,
			         answers[before + i].detail);
	}
	http_expect(200, NULL, http_get(&in, "/readyz", NULL, &r), &r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failover_under_load),
		cmocka_unit_test(restart_while_idle),
	};

	return fixture_run_tests(tests, &fx);
}
