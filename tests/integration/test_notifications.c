/* CA lifecycle notifications end to end against the real server, signer
 * and PostgreSQL, with an SMTP sink and a webhook receiver of the test
 * (sinks.c): the threshold e-mail and signed webhook of a CA near its
 * threshold, lifecycle changes with PATCH, e-mail to the CA's addresses
 * and to valid pki_admin tokens' (never other roles), the notice of a CA
 * that issues shortened certificates, and e-mail without SMTP. How
 * deliveries are retried, claimed and taken over:
 * test_notifications_delivery.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "common/timeutil.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/integration/lifecycle.h"
#include "tests/support/pki.h"
#include "tests/integration/sinks.h"

static struct instance in;
static struct lifecycle_env env;

static int
setup(void **state)
{
	http_set_test_name("notifications");
	lifecycle_start(&in, &env);
	return 0;
}

static int
teardown(void **state)
{
	lifecycle_stop(&in, &env);
	return 0;
}

/* ---- tests ----------------------------------------------------------------- */

/* A CA past its threshold: one e-mail to its addresses and one signed
 * webhook event, with the CA's name, location and notAfter; the API shows
 * both delivered; the secret is shown at creation only. */
static void
test_threshold_email_and_webhook(void **state)
{
	struct sink *hook = webhook_sink_start();
	struct http_response r = lifecycle_expiring_ca(
		&in, "Lifecycle Root",
		"[\"pki@example.com\", \"refused@example.com\", \"ops@example.com\"]", hook),
		g = {0};
	char ca_id[64], secret[80], not_after[40], path[128], auditor[128], requester[128];
	char *mail, *event;
	json_t *ev, *items, *n, *email;

	assert_non_null(hook);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	snprintf(not_after, sizeof(not_after), "%s", http_json_str(&r, "not_after"));
	snprintf(secret, sizeof(secret), "%s",
	         json_string_value(json_object_get(json_object_get(r.json, "lifecycle"),
	                                           "webhook_secret")));
	assert_int_equal(strlen(secret), 64);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &g), 200);
	assert_null(json_object_get(json_object_get(g.json, "lifecycle"), "webhook_secret"));
	assert_non_null(strstr(json_string_value(json_object_get(
		                       json_object_get(g.json, "lifecycle"), "webhook_url")),
	                       "/hook"));
	http_response_free(&g);

	mail = sink_wait_for(env.smtp, ca_id, 0, 20);
	assert_non_null(strstr(mail, "MAIL FROM:<edgeca@ca.example.test>"));
	assert_non_null(strstr(mail, "RCPT TO:<pki@example.com>"));
	assert_non_null(strstr(mail, "RCPT TO:<ops@example.com>"));
	/* a mailbox the server refuses keeps the others from nothing */
	assert_null(strstr(mail, "RCPT TO:<refused@example.com>"));
	assert_non_null(strstr(mail, "Subject: [edgeca] CA \"Lifecycle Root CA\" location default "
	                             "expires soon"));
	assert_non_null(strstr(mail, "Lifecycle Root CA"));
	assert_non_null(strstr(mail, not_after));
	assert_non_null(strstr(mail, "has reached 1 % of its lifetime"));
	assert_non_null(strstr(mail, "What you must do:"));
	event = sink_wait_for(hook, ca_id, 0, 20);
	assert_non_null(strstr(event, "POST /hook HTTP/1.1"));
	sink_expect_signature(event, secret);
	ev = json_loads(sink_body(event), 0, NULL);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "kind")), "threshold_reached");
	assert_string_equal(json_string_value(json_object_get(ev, "ca_id")), ca_id);
	assert_string_equal(json_string_value(json_object_get(ev, "ca_name")), "Lifecycle Root CA");
	assert_string_equal(json_string_value(json_object_get(ev, "location")), "default");
	assert_string_equal(json_string_value(json_object_get(ev, "not_after")), not_after);

	items = lifecycle_wait_state(&in, ca_id, "webhook", "delivered", 10);
	json_decref(items);
	items = lifecycle_wait_state(&in, ca_id, "email", "delivered", 10);
	assert_int_equal(json_array_size(items), 1);
	n = json_array_get(items, 0);
	assert_string_equal(json_string_value(json_object_get(n, "id")),
	                    json_string_value(json_object_get(ev, "id")));
	assert_string_equal(json_string_value(json_object_get(n, "kind")), "threshold_reached");
	email = lifecycle_delivery(n, "email");
	assert_int_equal(json_integer_value(json_object_get(email, "attempts")), 1);
	assert_int_equal(json_array_size(json_object_get(email, "recipients")), 3);
	assert_non_null(json_string_value(json_object_get(email, "delivered_at")));
	json_decref(items);

	/* a few more intervals: nothing is sent twice */
	sleep(3);
	assert_int_equal(sink_count_with(env.smtp, ca_id), 1);
	assert_int_equal(sink_count_with(hook, ca_id), 1);

	/* auditors read notifications, requesters may not */
	instance_token(&in, "auditor", "lc-auditor", auditor, sizeof(auditor));
	instance_token(&in, "requester", "lc-requester", requester, sizeof(requester));
	assert_int_equal(http_get(&in, "/api/v1/notifications?limit=1", auditor, &g), 200);
	assert_int_equal(json_array_size(json_object_get(g.json, "items")), 1);
	http_response_free(&g);
	http_expect(403, "forbidden", http_get(&in, "/api/v1/notifications", requester, &g), &g);
	http_expect(404, "ca-not-found",
	            http_get(&in, "/api/v1/cas/00000000-0000-4000-8000-000000000000/notifications",
	                     auditor, &g), &g);
	http_expect(400, "invalid-cursor",
	            http_get(&in, "/api/v1/notifications?cursor=%21", auditor, &g), &g);
	json_decref(ev);
	free(mail);
	free(event);
	sink_stop(hook);
}

static long
patch(const char *ca_id, const char *json, struct http_response *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	return http_call(&in, "PATCH", path, in.admin_token, "application/json", json,
	                 strlen(json), r);
}

/* PATCH "lifecycle": members changed one by one, null resets, a new
 * webhook URL gets a new secret shown once, refusals are precise. */
static void
test_patch_lifecycle(void **state)
{
	struct http_response r = {0};
	char ca_id[64], first[80];
	json_t *lc;

	http_create_ca(&in, "{\"common_name\": \"Patch Root\"}", ca_id);
	assert_int_equal(patch(ca_id, "{\"lifecycle\": {\"webhook_url\": "
	                              "\"https://hooks.example.test/pki\", \"threshold_percent\": 70, "
	                              "\"notification_emails\": [\"a@example.com\"]}}", &r), 200);
	lc = json_object_get(r.json, "lifecycle");
	assert_string_equal(json_string_value(json_object_get(lc, "webhook_url")),
	                    "https://hooks.example.test/pki");
	assert_int_equal(json_integer_value(json_object_get(lc, "threshold_percent")), 70);
	assert_string_equal(json_string_value(json_object_get(lc, "action")), "notify");
	snprintf(first, sizeof(first), "%s",
	         json_string_value(json_object_get(lc, "webhook_secret")));
	assert_int_equal(strlen(first), 64);
	http_response_free(&r);
	/* other members alone: no secret shown, the webhook kept */
	assert_int_equal(patch(ca_id, "{\"lifecycle\": {\"threshold_percent\": null}}", &r), 200);
	lc = json_object_get(r.json, "lifecycle");
	assert_null(json_object_get(lc, "webhook_secret"));
	assert_int_equal(json_integer_value(json_object_get(lc, "threshold_percent")), 80);
	assert_string_equal(json_string_value(json_object_get(lc, "webhook_url")),
	                    "https://hooks.example.test/pki");
	assert_int_equal(json_array_size(json_object_get(lc, "notification_emails")), 1);
	http_response_free(&r);
	/* a new URL, a new secret */
	assert_int_equal(patch(ca_id, "{\"lifecycle\": {\"webhook_url\": "
	                              "\"http://127.0.0.1:9/other\"}}", &r), 200);
	lc = json_object_get(r.json, "lifecycle");
	assert_int_equal(strlen(json_string_value(json_object_get(lc, "webhook_secret"))), 64);
	assert_string_not_equal(json_string_value(json_object_get(lc, "webhook_secret")), first);
	http_response_free(&r);
	/* null removes the webhook and the addresses */
	assert_int_equal(patch(ca_id, "{\"lifecycle\": {\"webhook_url\": null, "
	                              "\"notification_emails\": null}}", &r), 200);
	lc = json_object_get(r.json, "lifecycle");
	assert_true(json_is_null(json_object_get(lc, "webhook_url")));
	assert_int_equal(json_array_size(json_object_get(lc, "notification_emails")), 0);
	http_response_free(&r);
	free(instance_sql(&in, "SELECT 1")); /* the database answers */
	{
		char *sealed = instance_sql(&in, "SELECT count(*) FROM cas WHERE id = '%s' AND "
		                        "lifecycle_webhook_secret IS NULL", ca_id);
		assert_string_equal(sealed, "1");
		free(sealed);
	}
	/* refusals */
	http_expect(422, "root-auto-renew",
	            patch(ca_id, "{\"lifecycle\": {\"action\": \"auto_renew\"}}", &r), &r);
	http_expect(422, "invalid-field",
	            patch(ca_id, "{\"lifecycle\": {\"threshold_percent\": 100}}", &r), &r);
	http_expect(422, "invalid-field",
	            patch(ca_id, "{\"lifecycle\": {\"notification_emails\": [\"nobody\"]}}", &r), &r);
	http_expect(422, "invalid-field",
	            patch(ca_id, "{\"lifecycle\": {\"webhook_url\": \"ftp://x.example/a\"}}", &r),
	            &r);
	http_expect(400, NULL, patch(ca_id, "{\"lifecycle\": {\"treshold_percent\": 5}}", &r), &r);
	http_expect(400, NULL, patch(ca_id, "{\"lifecycle\": {\"action\": 5}}", &r), &r);
	/* est and lifecycle together: both or neither */
	http_expect(422, "invalid-field",
	            patch(ca_id, "{\"est\": {\"label\": \"atomic-label\"}, "
	                         "\"lifecycle\": {\"threshold_percent\": 0}}", &r), &r);
	assert_int_equal(patch(ca_id, "{\"lifecycle\": {}}", &r), 200);
	assert_true(json_is_null(json_object_get(json_object_get(r.json, "est"), "label")));
	http_response_free(&r);
	assert_int_equal(patch(ca_id, "{\"est\": {\"label\": \"combined-label\"}, "
	                              "\"lifecycle\": {\"threshold_percent\": 60}}", &r), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "est"),
	                                                      "label")), "combined-label");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "lifecycle"),
	                                                    "threshold_percent")), 60);
	http_response_free(&r);
	{
		char *audit = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE object_id = '%s' AND "
		                       "action = 'ca.update_lifecycle'", ca_id);
		assert_string_equal(audit, "6");
		free(audit);
		audit = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE object_id = '%s' AND "
		                 "action = 'ca.update_est'", ca_id);
		assert_string_equal(audit, "1");
		free(audit);
	}
}

/* Creates a token of role with e-mail address email (JSON: a quoted string
 * or null) on inst; its id in id. */
static void
mailed_token(struct instance *inst, const char *name, const char *role, const char *email,
             char id[64])
{
	struct http_response r = {0};
	char body[256];

	snprintf(body, sizeof(body), "{\"name\": \"%s\", \"role\": \"%s\", \"email\": %s}", name,
	         role, email);
	assert_int_equal(http_post_json(inst, "/api/v1/tokens", inst->admin_token, body, &r), 201);
	snprintf(id, 64, "%s", http_json_str(&r, "id"));
	http_response_free(&r);
}

/* How many times needle occurs in s. */
static size_t
occurrences(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Fails unless the e-mail delivery of ca_id's first notification has
 * exactly the recipients want (NULL-terminated), in that order. */
static void
expect_recipients(struct instance *inst, const char *ca_id, const char *const *want)
{
	json_t *items = lifecycle_notifications(inst, ca_id);
	json_t *got = json_object_get(lifecycle_delivery(json_array_get(items, 0), "email"), "recipients");
	size_t n = 0;

	while (want[n] != NULL) {
		assert_string_equal(json_string_value(json_array_get(got, n)), want[n]);
		n++;
	}
	assert_int_equal(json_array_size(got), n);
	json_decref(items);
}

/* Lifecycle e-mails go to the CA's addresses and those of valid pki_admin
 * tokens, each address once whatever its case; never to other roles or to
 * expired tokens. A CA without addresses mails the pki_admins; with
 * nobody to mail there is no e-mail delivery. */
static void
test_pki_admins_mailed(void **state)
{
	static const char *const both[] = {"pki@example.com", "Admin@Example.org", NULL};
	static const char *const admins[] = {"Admin@Example.org", "PKI@EXAMPLE.COM", NULL};
	struct http_response r = {0};
	char admin[64], dup[64], other[64], ca_id[64], path[128];
	char *mail;
	json_t *items;

	mailed_token(&in, "mailed-admin", "pki_admin", "\"Admin@Example.org\"", admin);
	mailed_token(&in, "mailed-admin-2", "pki_admin", "\"PKI@EXAMPLE.COM\"", dup);
	mailed_token(&in, "stale-admin", "pki_admin", "\"stale@example.org\"", other);
	free(instance_sql(&in, "UPDATE api_tokens SET expires_at = now() - interval '1 minute' "
	                       "WHERE id = '%s'", other));
	mailed_token(&in, "mailed-requester", "requester", "\"requester@example.org\"", other);
	mailed_token(&in, "mailed-auditor", "auditor", "\"auditor@example.org\"", other);

	r = lifecycle_expiring_ca(&in, "Mailed Root", "[\"pki@example.com\"]", NULL);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	mail = sink_wait_for(env.smtp, ca_id, 0, 20);
	assert_non_null(strstr(mail, "RCPT TO:<pki@example.com>"));
	assert_non_null(strstr(mail, "RCPT TO:<Admin@Example.org>"));
	assert_int_equal(occurrences(mail, "RCPT TO:"), 2);
	assert_null(strstr(mail, "requester@example.org"));
	assert_null(strstr(mail, "auditor@example.org"));
	assert_null(strstr(mail, "stale@example.org"));
	free(mail);
	json_decref(lifecycle_wait_state(&in, ca_id, "email", "delivered", 10));
	expect_recipients(&in, ca_id, both);

	r = lifecycle_expiring_ca(&in, "Admins Only Root", "[]", NULL);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	mail = sink_wait_for(env.smtp, ca_id, 0, 20);
	assert_non_null(strstr(mail, "RCPT TO:<Admin@Example.org>"));
	assert_non_null(strstr(mail, "RCPT TO:<PKI@EXAMPLE.COM>"));
	assert_int_equal(occurrences(mail, "RCPT TO:"), 2);
	free(mail);
	json_decref(lifecycle_wait_state(&in, ca_id, "email", "delivered", 10));
	expect_recipients(&in, ca_id, admins);

	/* one address cleared, the other token deleted: nobody to mail */
	snprintf(path, sizeof(path), "/api/v1/tokens/%s", admin);
	http_expect(200, NULL, http_call(&in, "PATCH", path, in.admin_token, "application/json",
	                                 "{\"email\": null}", 15, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/tokens/%s", dup);
	http_expect(204, NULL, http_call(&in, "DELETE", path, in.admin_token, NULL, NULL, 0, &r), &r);
	r = lifecycle_expiring_ca(&in, "Unmailed Root", "[]", NULL);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	for (int i = 0; i < 80; i++) {
		items = lifecycle_notifications(&in, ca_id);
		if (json_array_size(items) > 0)
			break;
		json_decref(items);
		items = NULL;
		usleep(250000);
	}
	assert_non_null(items);
	assert_null(lifecycle_delivery(json_array_get(items, 0), "email"));
	json_decref(items);
	assert_int_equal(sink_count_with(env.smtp, ca_id), 0);
}

/* A CA whose certificate outlives its max_validity_days, within that many
 * days of its notAfter: issuance_shortened, once, e-mailed; what it issues
 * ends at its notAfter. */
static void
test_issuance_shortened(void **state)
{
	char body[512], na[32], ca_id[64], *mail, *csr, path[128], *kinds;
	time_t t = time(NULL) + 86400 - 30, got_na;
	struct http_response r;
	struct tm tm;
	X509 *x;

	(void)state;
	gmtime_r(&t, &tm);
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* backdated a minute: it lives a day and a few seconds, one day of
	 * which is too long for it now */
	snprintf(body, sizeof(body),
	         "{\"common_name\": \"Short Issuing Root\", \"not_after\": \"%s\", "
	         "\"issuance\": {\"template\": \"client\", \"max_validity_days\": 1}, "
	         "\"lifecycle\": {\"notification_emails\": [\"short@example.com\"], "
	         "\"threshold_percent\": 99}}", na);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	mail = sink_wait_for(env.smtp, ca_id, 0, 20);
	assert_non_null(strstr(mail, "issues shortened certificates"));
	assert_non_null(strstr(mail, "RCPT TO:<short@example.com>"));
	free(mail);
	sleep(2); /* more passes: once */
	assert_int_equal(sink_count_with(env.smtp, ca_id), 1);
	{
		json_t *items = lifecycle_notifications(&in, ca_id);
		kinds = json_dumps(items, 0);
		json_decref(items);
	}
	assert_non_null(strstr(kinds, "\"issuance_shortened\""));
	assert_null(strstr(kinds, "threshold_reached"));
	free(kinds);
	/* a device certificate asked for a day gets the CA's notAfter */
	csr = make_csr("EC-P256", "short-dev", NULL, NULL);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(x);
	assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(x), &got_na), 0);
	assert_int_equal(got_na, t);
	X509_free(x);
	http_response_free(&r);
	free(csr);
}

/* Without EDGECA_SMTP_HOST a notification is still stored, its e-mail
 * delivery marked not_configured and never attempted; so is one whose
 * only recipient is a pki_admin. */
static void
test_email_not_configured(void **state)
{
	static const char *const quiet[] = {"quiet-admin@example.com", NULL};
	struct instance bare = {0};
	struct http_response r = {0};
	char ca_id[64], body[512], na[32], token_id[64];
	time_t t = time(NULL) + 3700;
	struct tm tm;
	json_t *items = NULL, *d;

	bare.extra_env[0] = "EDGECA_SCHEDULER_INTERVAL=1";
	instance_start(&bare);
	gmtime_r(&t, &tm);
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(body, sizeof(body),
	         "{\"common_name\": \"Quiet Root\", \"not_after\": \"%s\", \"lifecycle\": "
	         "{\"notification_emails\": [\"pki@example.com\"], \"threshold_percent\": 1}}", na);
	assert_int_equal(http_post_json(&bare, "/api/v1/cas", bare.admin_token, body, &r), 201);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	items = lifecycle_wait_state(&bare, ca_id, "email", "not_configured", 20);
	d = lifecycle_delivery(json_array_get(items, 0), "email");
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "kind")),
	                    "threshold_reached");
	json_decref(items);

	/* a CA without addresses: its pki_admin's address, not_configured too */
	mailed_token(&bare, "quiet-admin", "pki_admin", "\"quiet-admin@example.com\"", token_id);
	snprintf(body, sizeof(body),
	         "{\"common_name\": \"Quiet Admins Root\", \"not_after\": \"%s\", \"lifecycle\": "
	         "{\"threshold_percent\": 1}}", na);
	assert_int_equal(http_post_json(&bare, "/api/v1/cas", bare.admin_token, body, &r), 201);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	json_decref(lifecycle_wait_state(&bare, ca_id, "email", "not_configured", 20));
	expect_recipients(&bare, ca_id, quiet);
	instance_destroy(&bare);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_email_and_webhook),
		cmocka_unit_test(test_patch_lifecycle),
		cmocka_unit_test(test_pki_admins_mailed),
		cmocka_unit_test(test_issuance_shortened),
		cmocka_unit_test(test_email_not_configured),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
