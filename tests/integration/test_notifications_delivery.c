/* CA lifecycle notification deliveries end to end against the real
 * server, signer and PostgreSQL, with the SMTP sink and webhook receiver
 * of sinks.c: retries of a failing webhook until it is marked failed, two
 * instances delivering each notification once, a delivery claimed by an
 * instance killed with SIGKILL taken over by the other once the claim
 * expires, and a server stopped mid-send handing its delivery back. What
 * is notified, to whom, and how it is configured: test_notifications.c. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/integration/lifecycle.h"
#include "tests/integration/sinks.h"

static struct instance in;
static struct lifecycle_env env;

static int
setup(void **state)
{
	http_set_test_name("notifications_delivery");
	lifecycle_start(&in, &env);
	return 0;
}

static int
teardown(void **state)
{
	lifecycle_stop(&in, &env);
	return 0;
}

/* A webhook answering 500: retried with growing delays, then failed,
 * with the error and attempts visible through the API. */
static void
test_webhook_retries_then_fails(void **state)
{
	struct sink *hook = webhook_sink_start();
	struct http_response r;
	char ca_id[64];
	json_t *items, *d;
	bool saw_pending = false;

	assert_non_null(hook);
	webhook_sink_mode(hook, WEBHOOK_FAIL);
	r = lifecycle_expiring_ca(&in, "Failing Hook Root", "[]", hook);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	for (int i = 0; i < 120 && !saw_pending; i++) {
		items = lifecycle_notifications(&in, ca_id);
		d = json_array_size(items) ? lifecycle_delivery(json_array_get(items, 0), "webhook") : NULL;
		if (d != NULL && strcmp(json_string_value(json_object_get(d, "state")), "pending") == 0 &&
		    json_integer_value(json_object_get(d, "attempts")) >= 1) {
			saw_pending = true;
			assert_non_null(json_string_value(json_object_get(d, "next_attempt_at")));
			assert_non_null(strstr(json_string_value(json_object_get(d, "last_error")), "500"));
		}
		json_decref(items);
		usleep(100000);
	}
	assert_true(saw_pending);
	items = lifecycle_wait_state(&in, ca_id, "webhook", "failed", 40);
	d = lifecycle_delivery(json_array_get(items, 0), "webhook");
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 5);
	assert_non_null(strstr(json_string_value(json_object_get(d, "last_error")), "HTTP 500"));
	assert_true(json_is_null(json_object_get(d, "next_attempt_at")));
	assert_null(lifecycle_delivery(json_array_get(items, 0), "email")); /* no addresses, no e-mail */
	json_decref(items);
	assert_int_equal(sink_count_with(hook, ca_id), 5);
	/* each retry waits at least its backoff: 200, 400, 800, 1600 ms (and
	 * the next 1 s pass) */
	assert_int_equal(sink_count(hook), 5);
	for (size_t i = 1; i < 5; i++)
		assert_true(sink_time(hook, i) - sink_time(hook, i - 1) >= 0.2 * (1 << (i - 1)));
	sleep(2);
	assert_int_equal(sink_count_with(hook, ca_id), 5);
	sink_stop(hook);
}

/* Two instances on one database and signer: each notification is made
 * once and each e-mail and event sent once. */
static void
test_two_instances_exactly_once(void **state)
{
	struct sink *hook = webhook_sink_start();
	struct instance peer;
	char ids[6][64];

	assert_non_null(hook);
	instance_start_peer(&peer, &in);
	for (int i = 0; i < 6; i++) {
		char name[32];
		struct http_response r;
		snprintf(name, sizeof(name), "Shared Root %d", i);
		r = lifecycle_expiring_ca(&in, name, "[\"pki@example.com\"]", hook);
		snprintf(ids[i], sizeof(ids[i]), "%s", http_json_str(&r, "id"));
		http_response_free(&r);
	}
	for (int i = 0; i < 6; i++) {
		json_decref(lifecycle_wait_state(i % 2 ? &peer : &in, ids[i], "email", "delivered", 20));
		json_decref(lifecycle_wait_state(&in, ids[i], "webhook", "delivered", 20));
	}
	sleep(3); /* several more intervals of both instances */
	for (int i = 0; i < 6; i++) {
		char *n = instance_sql(&in, "SELECT count(*) FROM notifications WHERE ca_id = '%s'", ids[i]);
		assert_string_equal(n, "1");
		free(n);
		assert_int_equal(sink_count_with(env.smtp, ids[i]), 1);
		assert_int_equal(sink_count_with(hook, ids[i]), 1);
	}
	instance_destroy_peer(&peer);
	sink_stop(hook);
}

/* The instance sending a webhook is killed with SIGKILL while the
 * receiver holds the request: once the claim expires, the other instance
 * delivers it. */
static void
test_sigkill_claim_taken_over(void **state)
{
	struct sink *hook = webhook_sink_start();
	struct instance peer, *victim, *survivor;
	struct http_response r;
	char ca_id[64], *claimed, pid[32];
	int status;
	json_t *items, *d;

	assert_non_null(hook);
	webhook_sink_mode(hook, WEBHOOK_HANG);
	instance_start_peer(&peer, &in);
	r = lifecycle_expiring_ca(&in, "Crash Root", "[]", hook);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(sink_wait_for(hook, ca_id, 0, 20));
	claimed = instance_sql(&in, "SELECT claimed_by FROM notification_deliveries d "
	                       "JOIN notifications n "
	                   "ON n.id = d.notification_id WHERE n.ca_id = '%s' AND d.state = 'sending'",
	                   ca_id);
	assert_non_null(claimed);
	/* claimed_by is host:pid:random */
	snprintf(pid, sizeof(pid), ":%ld:", (long)peer.server_pid);
	victim = strstr(claimed, pid) != NULL ? &peer : &in;
	survivor = victim == &peer ? &in : &peer;
	assert_int_equal(kill(victim->server_pid, SIGKILL), 0);
	assert_int_equal(waitpid(victim->server_pid, &status, 0), victim->server_pid);
	assert_true(WIFSIGNALED(status));
	victim->server_pid = 0;
	webhook_sink_mode(hook, WEBHOOK_OK); /* the dead instance's request ends */

	items = lifecycle_wait_state(survivor, ca_id, "webhook", "delivered", 30);
	d = lifecycle_delivery(json_array_get(items, 0), "webhook");
	/* the killed attempt recorded nothing */
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 1);
	json_decref(items);
	assert_int_equal(sink_count_with(hook, ca_id), 2);
	free(claimed);
	if (victim == &in)
		instance_start_server(&in);
	instance_destroy_peer(&peer);
	sink_stop(hook);
}

/* A server stopped (SIGTERM) while a webhook hangs stops at once and
 * hands the delivery back unsent; after the restart it is delivered. */
static void
test_stop_mid_send(void **state)
{
	struct sink *hook = webhook_sink_start();
	struct http_response r;
	struct timespec t0, t1;
	char ca_id[64], *row;
	json_t *items, *d;

	assert_non_null(hook);
	webhook_sink_mode(hook, WEBHOOK_HANG);
	r = lifecycle_expiring_ca(&in, "Stopping Root", "[]", hook);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(sink_wait_for(hook, ca_id, 0, 20));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	instance_stop_server(&in);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5); /* not the 10 s webhook timeout */
	row = instance_sql(&in, "SELECT d.state || ',' || d.attempts || ',' || "
	                   "coalesce(d.claimed_by, '-') "
	               "FROM notification_deliveries d JOIN notifications n "
	               "ON n.id = d.notification_id WHERE n.ca_id = '%s'", ca_id);
	assert_string_equal(row, "pending,0,-");
	free(row);
	webhook_sink_mode(hook, WEBHOOK_OK);
	instance_start_server(&in);
	items = lifecycle_wait_state(&in, ca_id, "webhook", "delivered", 20);
	d = lifecycle_delivery(json_array_get(items, 0), "webhook");
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 1);
	json_decref(items);
	sink_stop(hook);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_retries_then_fails),
		cmocka_unit_test(test_two_instances_exactly_once),
		cmocka_unit_test(test_sigkill_claim_taken_over),
		cmocka_unit_test(test_stop_mid_send),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
