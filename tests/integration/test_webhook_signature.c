/* Webhook signatures that cover the time of each attempt, against the real
 * server, signer and PostgreSQL, with the webhook receiver of sinks.c,
 * which checks every delivery as docs/lifecycle.md tells receivers to (HMAC over
 * "<t>.<body>" compared in constant time, t within five minutes of its
 * clock): a delivery carries X-Edgeca-Signature t=<unix seconds>,v1=<hex>
 * signed when it was sent; a captured delivery moved to a new time, or
 * replayed unchanged later, does not verify; a retry is signed anew, with
 * its own time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "common/timeutil.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/integration/sinks.h"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "webhook_signature",
	.env = {
		"EDGECA_SCHEDULER_INTERVAL=1",
		/* a retry comes at least 1.5 s after the failed attempt: in
		 * another second */
		"EDGECA_WEBHOOK_RETRY_BASE_MS=1500",
	},
};

/* ---- helpers --------------------------------------------------------------- */

/* A root CA past its threshold at once (1 % of a life of an hour), whose
 * webhook is hook; the sink is told its secret, also copied to secret. */
static void
create_notified_ca(const char *name, struct sink *hook, char ca_id[64], char secret[80])
{
	char body[512], na[RFC3339_LEN];
	struct http_response r;

	rfc3339_format(time(NULL) + 3700, na);
	snprintf(body, sizeof(body),
	         "{\"common_name\": \"%s\", \"not_after\": \"%s\", \"lifecycle\": "
	         "{\"webhook_url\": \"http://127.0.0.1:%u/hook\", \"threshold_percent\": 1}}",
	         name, na, sink_port(hook));
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(ca_id, 64, "%s", http_json_str(&r, "id"));
	snprintf(secret, 80, "%s", json_string_value(json_object_get(
	                               json_object_get(r.json, "lifecycle"), "webhook_secret")));
	assert_int_equal(strlen(secret), 64);
	webhook_sink_secret(hook, secret);
	http_response_free(&r);
}

/* The t and the v1 of a record's X-Edgeca-Signature, which must have the
 * form edgeca sends: "t=<digits>,v1=<64 lower-case hex digits>". */
static long long
signed_at(const char *record, char v1[65])
{
	char header[256], digits[32];
	long long t = -1;
	int used = 0;

	assert_non_null(sink_header(record, "X-Edgeca-Signature", header, sizeof(header)));
	assert_int_equal(sscanf(header, "t=%31[0-9],v1=%64[0-9a-f]%n", digits, v1, &used), 2);
	assert_int_equal((size_t)used, strlen(header));
	assert_int_equal(strlen(v1), 64);
	t = strtoll(digits, NULL, 10);
	return t;
}

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

/* POSTs body to the sink with signature as X-Edgeca-Signature, as an
 * attacker replaying a captured delivery would. */
static void
post_to_sink(struct sink *s, const char *signature, const char *body)
{
	char url[64], header[300];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", sink_port(s));
	snprintf(header, sizeof(header), "X-Edgeca-Signature: %s", signature);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, header);
	assert_non_null(h);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_HTTPHEADER, h), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_POSTFIELDS, body), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

/* ---- tests ----------------------------------------------------------------- */

/* A delivery is signed with the time it was sent: t is the receiver's
 * clock give or take a minute, and the signature verifies over t and the
 * exact body. */
static void
test_delivery_signed_with_its_time(void **state)
{
	struct sink *hook = webhook_sink_start();
	char ca_id[64], secret[80], v1[65], why[200] = "";
	long long t;
	time_t before = time(NULL);
	char *event;

	(void)state;
	assert_non_null(hook);
	create_notified_ca("Signed Hook Root", hook, ca_id, secret);
	event = sink_wait_for(hook, ca_id, 0, 30);
	t = signed_at(event, v1);
	assert_true(t >= (long long)before - 60 && t <= (long long)time(NULL) + 60);
	sink_expect_signature(event, secret);
	assert_int_equal(webhook_sink_unverified(hook, why, sizeof(why)), 0);
	free(event);
	sink_stop(hook); /* fails unless every delivery verified */
}

/* What a network attacker who captured a delivery can do with it: moved
 * to a fresh time, its signature no longer matches; replayed unchanged
 * later than five minutes, it is stale; the body-only form of old
 * versions carries no time and is refused. A receiver (the sink) finds
 * the moved replay unverifiable. */
static void
test_replay_does_not_verify(void **state)
{
	struct sink *hook = webhook_sink_start(), *victim = webhook_sink_start();
	char ca_id[64], secret[80], v1[65], header[256], moved[256], why[200] = "", *event;
	const char *body;
	long long t;

	(void)state;
	assert_non_null(hook);
	assert_non_null(victim);
	create_notified_ca("Replayed Hook Root", hook, ca_id, secret);
	event = sink_wait_for(hook, ca_id, 0, 30);
	body = sink_body(event);
	t = signed_at(event, v1);
	assert_non_null(sink_header(event, "X-Edgeca-Signature", header, sizeof(header)));

	/* as sent: verifies at its time and for five minutes */
	assert_int_equal(webhook_verify(header, body, secret, (time_t)t, why, sizeof(why)), 0);
	assert_int_equal(webhook_verify(header, body, secret, (time_t)t + 300, why, sizeof(why)),
	                 0);
	/* unchanged, later: stale */
	assert_int_equal(webhook_verify(header, body, secret, (time_t)t + 301, why, sizeof(why)),
	                 -2);
	assert_non_null(strstr(why, "receiver's clock"));
	/* moved to a new time (the same body and v1): the HMAC differs */
	snprintf(moved, sizeof(moved), "t=%lld,v1=%s", t + 600, v1);
	assert_int_equal(webhook_verify(moved, body, secret, (time_t)t + 600, why, sizeof(why)),
	                 -1);
	assert_non_null(strstr(why, "HMAC"));
	/* the same time, another body: the HMAC differs */
	assert_int_equal(webhook_verify(header, "{\"kind\":\"expired\"}", secret, (time_t)t, why,
	                                sizeof(why)), -1);
	/* the signature form of older versions, over the body alone */
	assert_int_equal(webhook_verify("sha256=00", body, secret, (time_t)t, why, sizeof(why)), -2);

	/* sent to a receiver that knows the secret, a minute on (fresh to its
	 * clock): not verified */
	webhook_sink_secret(victim, secret);
	snprintf(moved, sizeof(moved), "t=%lld,v1=%s", t + 60, v1);
	post_to_sink(victim, moved, body);
	assert_int_equal(sink_count(victim), 1);
	assert_int_equal(webhook_sink_unverified(victim, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "HMAC"));
	sink_clear(victim); /* the refused replay is no delivery of edgeca's */
	sink_stop(victim);
	assert_int_equal(webhook_sink_unverified(hook, NULL, 0), 0);
	free(event);
	sink_stop(hook);
}

/* A failed delivery is retried with a new signature of its own time; the
 * receiver verifies every attempt. */
static void
test_retry_signed_anew(void **state)
{
	struct sink *hook = webhook_sink_start();
	char ca_id[64], secret[80], v1_first[65], v1_retry[65], *first, *retry;
	long long t_first, t_retry;

	(void)state;
	assert_non_null(hook);
	webhook_sink_mode(hook, WEBHOOK_FAIL);
	create_notified_ca("Retried Hook Root", hook, ca_id, secret);
	first = sink_wait_for(hook, ca_id, 0, 30);
	retry = sink_wait_for(hook, ca_id, 1, 30);
	webhook_sink_mode(hook, WEBHOOK_OK);
	/* the same event, signed again later */
	assert_string_equal(sink_body(first), sink_body(retry));
	t_first = signed_at(first, v1_first);
	t_retry = signed_at(retry, v1_retry);
	assert_true(t_retry > t_first);
	assert_string_not_equal(v1_first, v1_retry);
	sink_expect_signature(first, secret);
	sink_expect_signature(retry, secret);
	assert_int_equal(webhook_sink_unverified(hook, NULL, 0), 0);
	free(first);
	free(retry);
	sink_stop(hook);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_signed_with_its_time),
		cmocka_unit_test(test_replay_does_not_verify),
		cmocka_unit_test(test_retry_signed_anew),
	};

	return fixture_run_tests(tests, &fx);
}
