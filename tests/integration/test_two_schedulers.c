/* Two pairs (server and signer, instance_start_pair) on one PostgreSQL run
 * their schedulers side by side: each lifecycle notification exists once
 * and each of its deliveries reaches the receiver once, whichever pair
 * made or sent it, and no delivery is sent by both at once, however slow
 * its receiver; each CRL number of a CA key is used once. What two
 * pairs serve: test_two_machines.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/integration/lifecycle.h"
#include "tests/integration/sinks.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define N_CAS 6

static struct instance a, b;

static int
setup(void **state)
{
	(void)state;
	http_set_test_name("two_schedulers");
	a.extra_env[0] = "EDGECA_SCHEDULER_INTERVAL=1";
	a.extra_env[1] = "EDGECA_WEBHOOK_RETRY_BASE_MS=200";
	a.extra_env[2] = "EDGECA_CLAIM_SECONDS=3";
	a.extra_env[3] = "EDGECA_CRL_DELAY_MS=300";
	instance_start(&a);
	instance_start_pair(&b, &a);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	instance_destroy_pair(&b);
	instance_destroy(&a);
	return 0;
}

/* CAs past their threshold from the start, with a webhook each: both
 * schedulers find every one due at once, several passes over. */
static void
test_notification_delivered_once(void **state)
{
	struct sink *hook = webhook_sink_start();
	char ids[N_CAS][64];

	(void)state;
	assert_non_null(hook);
	for (int i = 0; i < N_CAS; i++) {
		char name[32];
		struct http_response r;
		snprintf(name, sizeof(name), "Two Schedulers Root %d", i);
		r = lifecycle_expiring_ca(&a, name, "[]", hook);
		snprintf(ids[i], sizeof(ids[i]), "%s", http_json_str(&r, "id"));
		http_response_free(&r);
	}
	for (int i = 0; i < N_CAS; i++)
		json_decref(lifecycle_wait_state(i % 2 ? &b : &a, ids[i], "webhook", "delivered", 30));
	sleep(4); /* several more passes of both schedulers, a claim's length */
	for (int i = 0; i < N_CAS; i++) {
		char *n = instance_sql(&a, "SELECT count(*) FROM notifications WHERE ca_id = '%s'",
		                       ids[i]);
		char *attempts = instance_sql(&a, "SELECT d.attempts FROM notification_deliveries d "
		                              "JOIN notifications n ON n.id = d.notification_id "
		                              "WHERE n.ca_id = '%s'", ids[i]);
		assert_string_equal(n, "1");
		assert_string_equal(attempts, "1");
		assert_int_equal(sink_count_with(hook, ids[i]), 1);
		free(n);
		free(attempts);
	}
	/* each CA's CRLs, whichever scheduler made them, numbered once */
	for (int i = 0; i < N_CAS; i++) {
		char *dup = instance_sql(&a, "SELECT count(*) - count(DISTINCT crl_number) "
		                         "FROM crl_history WHERE ca_id = '%s'", ids[i]);
		assert_string_equal(dup, "0");
		free(dup);
	}
	sink_stop(hook);
}

/* A receiver slower than the claim (3 s; the webhook timeout is 10 s):
 * the instance sending gives up before its claim runs out and records the
 * attempt, so the other instance never claims the delivery (and sends it
 * again) while the first still waits for the answer. */
static void
test_send_ends_within_claim(void **state)
{
	struct sink *hook = webhook_sink_start();
	struct http_response r;
	char ca_id[64], *first = NULL, *row = NULL;
	static const char sql[] =
		"SELECT d.attempts || ' ' || coalesce(d.claimed_by, '-') "
		"FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id "
		"WHERE n.ca_id = '%s' AND d.channel = 'webhook'";

	(void)state;
	assert_non_null(hook);
	webhook_sink_mode(hook, WEBHOOK_HANG);
	r = lifecycle_expiring_ca(&a, "Slow Receiver Root", "[]", hook);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(sink_wait_for(hook, ca_id, 0, 20));
	first = instance_sql(&a, sql, ca_id);
	assert_non_null(first);
	assert_true(strncmp(first, "0 ", 2) == 0);
	/* until the first attempt is recorded, only its sender holds it */
	for (int i = 0; i < 300; i++) {
		free(row);
		row = instance_sql(&a, sql, ca_id);
		assert_non_null(row);
		if (strncmp(row, "0 ", 2) != 0)
			break;
		assert_string_equal(row, first);
		sleep_ms(100);
	}
	assert_true(strncmp(row, "0 ", 2) != 0);
	webhook_sink_mode(hook, WEBHOOK_OK);
	json_decref(lifecycle_wait_state(&a, ca_id, "webhook", "delivered", 30));
	free(first);
	free(row);
	sink_stop(hook);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notification_delivered_once),
		cmocka_unit_test(test_send_ends_within_claim),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
