/* CRL scheduling end to end against the real server, signer and
 * PostgreSQL: coalescing of a burst of revocations, entries of expired
 * certificates dropped after one CRL validity, refresh before nextUpdate
 * minus the overlap, and two server instances on one database making one
 * CRL per due time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/integration/public_crl.h"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "crl_schedule",
	.env = {
		"EDGECA_PUBLIC_URL=https://ca.example.test:8443",
		"EDGECA_CRL_DELAY_MS=300",
	},
};

/* 100 revocations in a burst: a few CRLs, the last holding all 100. */
static void
test_coalescing(void **state)
{
	char ca_id[64], serials[100][80], *made, *gap;
	struct timespec t0, t1;
	X509_CRL *crl;
	long before, burst_ms;

	http_create_ca(&in, "{\"common_name\": \"Burst Root\", \"issuance\": {\"template\": "
	               "\"client\"}}", ca_id);
	for (int i = 0; i < 100; i++) {
		char cn[32];
		snprintf(cn, sizeof(cn), "burst-%d", i);
		X509_free(http_issue_cert(&in, ca_id, cn, NULL, serials[i]));
	}
	crl = public_crl_wait_newer(&in, ca_id, "default.crl", 0, NULL);
	before = crl_number(crl);
	X509_CRL_free(crl);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100; i++)
		http_revoke(&in, ca_id, serials[i], "cessationOfOperation");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	burst_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	crl = NULL;
	for (int i = 0; i < 200 && crl == NULL; i++) {
		crl = public_crl_fetch(&in, ca_id, "default.crl");
		if (crl == NULL || sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) != 100) {
			X509_CRL_free(crl);
			crl = NULL;
			usleep(100000);
		}
	}
	assert_non_null(crl);
	for (int i = 0; i < 100; i++)
		assert_non_null(crl_entry(crl, serials[i]));
	/* every CRL made since is in the history: never two within
	 * EDGECA_CRL_DELAY_MS (300 here) of each other, however slowly the
	 * burst arrived (less the few milliseconds a revocation's transaction
	 * may straddle a CRL's snapshot), so at most one per 300 ms of the
	 * burst and one after it; and far fewer than the revocations when they
	 * came faster than one per delay (on a loaded machine they may not) */
	made = instance_sql(&in, "SELECT count(*) FROM crl_history "
	                    "WHERE ca_id = '%s' AND crl_number > %ld", ca_id, before);
	gap = instance_sql(&in, "SELECT floor(min(gap_ms)) FROM (SELECT extract(epoch FROM created_at - "
	               "lag(created_at) OVER (ORDER BY crl_number)) * 1000 AS gap_ms "
	               "FROM crl_history WHERE ca_id = '%s' AND crl_number >= %ld) g",
	               ca_id, before);
	assert_non_null(made);
	assert_non_null(gap);
	assert_true(atoi(made) >= 1);
	assert_true(atoi(made) <= burst_ms / 250 + 2);
	if (burst_ms < 10000)
		assert_true(atoi(made) < 50);
	if (atoi(made) > 0)
		assert_true(atol(gap) >= 250);
	assert_int_equal(crl_number(crl), before + atoi(made));
	free(gap);
	free(made);
	X509_CRL_free(crl);
}

/* An entry leaves the CRL once a CRL issued after its certificate's
 * expiry has listed it (RFC 5280 5.1.2.6): edgeca keeps it for one CRL
 * validity (7 days here) past notAfter, then drops it, which keeps the
 * CRLs of long-lived fleets small. */
static void
test_expired_entries_dropped(void **state)
{
	char ca_id[64], old_serial[80], live_serial[80], path[200];
	struct http_response r;
	X509_CRL *crl;
	long n;

	http_create_ca(&in, "{\"common_name\": \"Expiry Root\", \"issuance\": {\"template\": "
	               "\"client\"}}", ca_id);
	X509_free(http_issue_cert(&in, ca_id, "old-dev", NULL, old_serial));
	X509_free(http_issue_cert(&in, ca_id, "live-dev", NULL, live_serial));
	http_revoke(&in, ca_id, old_serial, "keyCompromise");
	http_revoke(&in, ca_id, live_serial, "keyCompromise");
	crl = public_crl_wait_newer(&in, ca_id, "default.crl", 0, live_serial);
	assert_non_null(crl_entry(crl, old_serial));
	n = crl_number(crl);
	X509_CRL_free(crl);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);

	/* expired an hour ago: still listed */
	free(instance_sql(&in, "UPDATE certificates SET not_before = now() - interval '30 days', "
	              "not_after = now() - interval '1 hour' WHERE ca_id = '%s' AND serial = '%s'",
	              ca_id, old_serial));
	r = http_post_expect(&in, path, "{}", 201);
	http_response_free(&r);
	crl = public_crl_fetch(&in, ca_id, "default.crl");
	assert_true(crl_number(crl) > n);
	n = crl_number(crl);
	assert_non_null(crl_entry(crl, old_serial));
	X509_CRL_free(crl);

	/* expired more than a CRL validity ago: dropped */
	free(instance_sql(&in, "UPDATE certificates SET not_after = now() - interval '7 days 1 hour' "
	              "WHERE ca_id = '%s' AND serial = '%s'", ca_id, old_serial));
	r = http_post_expect(&in, path, "{}", 201);
	http_response_free(&r);
	crl = public_crl_fetch(&in, ca_id, "default.crl");
	assert_true(crl_number(crl) > n);
	assert_null(crl_entry(crl, old_serial));
	assert_non_null(crl_entry(crl, live_serial));
	X509_CRL_free(crl);
}

/* A CRL whose nextUpdate minus the overlap has passed is replaced by the
 * scheduler without any revocation. */
static void
test_refresh_before_next_update(void **state)
{
	char ca_id[64];
	X509_CRL *crl, *fresh;
	long n;

	http_create_ca(&in, "{\"common_name\": \"Refresh Root\", \"issuance\": {\"template\": "
	               "\"client\"}, \"crl\": {\"validity_days\": 1, \"overlap_hours\": 2}}", ca_id);
	crl = public_crl_wait_newer(&in, ca_id, "default.crl", 0, NULL);
	n = crl_number(crl);
	/* as if the stored CRL were about to expire: inside the overlap */
	free(instance_sql(&in, "UPDATE crls SET next_update = now() + interval '90 minutes' "
	                  "WHERE ca_id = '%s'", ca_id));
	fresh = public_crl_wait_newer(&in, ca_id, "default.crl", n, NULL);
	assert_true(X509_cmp_time(X509_CRL_get0_nextUpdate(fresh), &(time_t){time(NULL) + 20 * 3600})
	            > 0);
	X509_CRL_free(fresh);
	X509_CRL_free(crl);
}

/* Two server instances on one database and signer: for every due time
 * one CRL, numbers unique and consecutive. */
static void
test_two_instances(void **state)
{
	struct instance peer;
	char ca_id[64], serial[80], *dup, *count;
	X509_CRL *crl;
	long n;

	instance_start_peer(&peer, &in);
	http_create_ca(&in, "{\"common_name\": \"Shared Root\", \"issuance\": {\"template\": "
	               "\"client\"}}", ca_id);
	crl = public_crl_wait_newer(&in, ca_id, "default.crl", 0, NULL);
	X509_free(http_issue_cert(&in, ca_id, "shared-dev", NULL, serial));
	n = crl_number(crl);
	X509_CRL_free(crl);
	for (int round = 0; round < 3; round++) {
		free(instance_sql(&in, "UPDATE crls SET next_update = now() + interval '1 minute' "
		              "WHERE ca_id = '%s'", ca_id));
		crl = public_crl_wait_newer(&in, ca_id, "default.crl", n, NULL);
		n = crl_number(crl);
		X509_CRL_free(crl);
		usleep(1500000); /* both schedulers have looked again */
	}
	dup = instance_sql(&in, "SELECT count(*) - count(DISTINCT crl_number) FROM crl_history "
	               "WHERE ca_id = '%s'", ca_id);
	assert_string_equal(dup, "0");
	/* one initial CRL and one per refresh: nobody made one twice */
	count = instance_sql(&in, "SELECT count(*) FROM crl_history WHERE ca_id = '%s'", ca_id);
	assert_string_equal(count, "4");
	free(dup);
	free(count);
	instance_destroy_peer(&peer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalescing),
		cmocka_unit_test(test_expired_entries_dropped),
		cmocka_unit_test(test_refresh_before_next_update),
		cmocka_unit_test(test_two_instances),
	};

	return fixture_run_tests(tests, &fx);
}
