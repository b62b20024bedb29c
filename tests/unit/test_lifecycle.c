/* Unit tests of model/lifecycle: which notification is due along a CA
 * location's lifetime, the retry schedule, the webhook signature over the
 * time and the body (checked against `openssl dgst -sha256 -hmac`), the
 * webhook event and the e-mail text, also of a renewal waiting for an
 * external root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "model/ca/ca.h"
#include "model/lifecycle/lifecycle.h"

#define T0 1700000000

/* The name of the kind due, NULL when none is. */
static const char *
due_at(time_t not_before, time_t not_after, int threshold, time_t now, time_t *at)
{
	enum notification_kind kind = NOTIFY_ISSUANCE_SHORTENED; /* never due by lifetime */

	if (!lifecycle_due_kind(not_before, not_after, threshold, now, &kind, at)) {
		/* none due leaves the kind alone */
		assert_int_equal(kind, NOTIFY_ISSUANCE_SHORTENED);
		return NULL;
	}
	return notification_kind_name(kind);
}

static const char *
due(int threshold, double percent_passed, time_t *at)
{
	/* a lifetime of 100000 s: one percent is 1000 s */
	return due_at(T0, T0 + 100000, threshold, T0 + (time_t)(percent_passed * 1000), at);
}

static void
test_due_kind(void **state)
{
	time_t at;

	assert_null(due(80, 79.99, &at));
	assert_int_equal(at, 0);
	assert_string_equal(due(80, 80, &at), "threshold_reached");
	assert_int_equal(at, T0 + 80000);
	assert_string_equal(due(80, 89.9, &at), "threshold_reached");
	assert_string_equal(due(80, 90, &at), "reminder_90");
	assert_int_equal(at, T0 + 90000);
	assert_string_equal(due(80, 94, &at), "reminder_90");
	assert_string_equal(due(80, 95, &at), "reminder_95");
	assert_string_equal(due(80, 99, &at), "reminder_99");
	assert_int_equal(at, T0 + 99000);
	assert_string_equal(due(80, 100, &at), "expired");
	assert_int_equal(at, T0 + 100000);
	assert_string_equal(due(80, 250, &at), "expired");
	/* reminders at or below the threshold are covered by it */
	assert_string_equal(due(95, 95, &at), "threshold_reached");
	assert_string_equal(due(95, 98, &at), "threshold_reached");
	assert_string_equal(due(95, 99, &at), "reminder_99");
	assert_string_equal(due(99, 99.5, &at), "threshold_reached");
	assert_string_equal(due(1, 1, &at), "threshold_reached");
	assert_int_equal(at, T0 + 1000);
	assert_null(due(1, 0.5, &at));
	/* a late start sends the latest step only */
	assert_string_equal(due(10, 96, &at), "reminder_95");
	/* an empty lifetime has no notifications */
	assert_null(due_at(T0, T0, 80, T0 + 5, &at));
	/* a short lifetime: 300 s at 1 % is due 3 s in */
	assert_string_equal(due_at(T0, T0 + 300, 1, T0 + 3, &at), "threshold_reached");
	assert_int_equal(at, T0 + 3);
}

/* issuance_shortened: from max_validity_days before notAfter until it,
 * only for a certificate that lives longer than that. */
static void
test_issuance_shortened(void **state)
{
	const time_t day = 86400, nb = T0, na = T0 + 100 * day;
	time_t at = 0;

	(void)state;
	assert_false(lifecycle_issuance_shortened(nb, na, 30, na - 30 * day - 1, &at));
	assert_true(lifecycle_issuance_shortened(nb, na, 30, na - 30 * day, &at));
	assert_int_equal(at, na - 30 * day);
	assert_true(lifecycle_issuance_shortened(nb, na, 30, na - 1, &at));
	assert_false(lifecycle_issuance_shortened(nb, na, 30, na, &at)); /* expired */
	/* a certificate that never outlived the maximum could never issue it */
	assert_false(lifecycle_issuance_shortened(nb, nb + 30 * day, 30, nb + day, &at));
	assert_false(lifecycle_issuance_shortened(nb, nb + 20 * day, 30, nb + day, &at));
	assert_true(lifecycle_issuance_shortened(nb, nb + 30 * day + 1, 30, nb + 2, &at));
}

static void
test_backoff(void **state)
{
	assert_int_equal(lifecycle_backoff_ms(30000, 1), 30000);
	assert_int_equal(lifecycle_backoff_ms(30000, 2), 60000);
	assert_int_equal(lifecycle_backoff_ms(30000, 3), 120000);
	assert_int_equal(lifecycle_backoff_ms(30000, 4), 240000);
	assert_int_equal(lifecycle_backoff_ms(200, 4), 1600);
	/* capped at six hours, without overflow */
	assert_int_equal(lifecycle_backoff_ms(30000, 40), 6LL * 3600 * 1000);
	assert_int_equal(lifecycle_backoff_ms(86400000, 1), 6LL * 3600 * 1000);
	assert_int_equal(LIFECYCLE_MAX_ATTEMPTS, 5);
}

static void
test_signature_and_secret(void **state)
{
	char sig[LIFECYCLE_SIGNATURE_LEN], again[LIFECYCLE_SIGNATURE_LEN],
		s1[CA_WEBHOOK_SECRET_LEN + 1], s2[CA_WEBHOOK_SECRET_LEN + 1];
	const unsigned char *body = (const unsigned char *)"{\"a\":1}";

	/* printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key */
	assert_int_equal(lifecycle_signature("key", T0, body, 7, sig), 0);
	assert_string_equal(sig, "t=1700000000,v1=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca"
	                         "313cb52e22e6ad03");
	/* the same body signed a second later: another signature, so a
	 * captured one moved to a fresh time does not verify */
	assert_int_equal(lifecycle_signature("key", T0 + 1, body, 7, again), 0);
	assert_string_equal(again, "t=1700000001,v1=ac282d739e25be582bf7a9c2166c50870eacc71f9e42"
	                           "60fe2822885f6fcf09f7");
	assert_string_not_equal(strchr(sig, ','), strchr(again, ','));
	/* the body is covered byte for byte, and only len bytes of it */
	assert_int_equal(lifecycle_signature("key", T0, (const unsigned char *)"{\"a\":2}", 7,
	                                     again), 0);
	assert_string_not_equal(sig, again);
	assert_int_equal(lifecycle_signature("key", T0, (const unsigned char *)"{\"a\":1}  ", 7,
	                                     again), 0);
	assert_string_equal(sig, again);
	/* another secret, another signature; the epoch itself is a time */
	assert_int_equal(lifecycle_signature("other", T0, body, 7, again), 0);
	assert_string_not_equal(sig, again);
	/* printf '%s' '0.{"a":1}' | openssl dgst -sha256 -hmac key */
	assert_int_equal(lifecycle_signature("key", 0, body, 7, again), 0);
	assert_string_equal(again, "t=0,v1=a7821e6b0312e1d4f4f0e821c3d4242ae798b76e0112dbe081ce26b6"
	                           "92a6e2ac");
	assert_int_equal(lifecycle_signature("key", -1, body, 7, again), -1);
	/* the longest time fits */
	assert_int_equal(lifecycle_signature("key", (time_t)INT64_MAX, body, 7, again), 0);
	assert_int_equal(strlen(again), strlen("t=9223372036854775807,v1=") + 64);

	assert_int_equal(ca_webhook_secret_new(s1), 0);
	assert_int_equal(ca_webhook_secret_new(s2), 0);
	assert_int_equal(strlen(s1), 64);
	assert_int_equal(strspn(s1, "0123456789abcdef"), 64);
	assert_string_not_equal(s1, s2);
}

static void
fill(struct notice *n, char **recipients)
{
	memset(n, 0, sizeof(*n));
	n->channel = CHANNEL_EMAIL;
	n->recipients = recipients;
	snprintf(n->notification_id, sizeof(n->notification_id),
	         "5f0c7a52-1111-4a4a-9b9b-0123456789ab");
	n->kind = NOTIFY_THRESHOLD_REACHED;
	snprintf(n->ca_id, sizeof(n->ca_id), "2b1f5876-73f0-4518-af2d-d81abd34d2bd");
	n->ca_name = "Plant Issuing CA";
	n->ca_kind = CA_KIND_SUBORDINATE;
	n->action = CA_ACTION_NOTIFY;
	n->chaining = CA_CHAINING_INTERNAL;
	n->threshold_percent = 80;
	snprintf(n->location, sizeof(n->location), "plant-a");
	n->subject = "CN=Plant Issuing CA,O=Example";
	n->not_after = T0 + 100000;
	n->due_at = T0 + 80000;
	n->created_at = T0 + 80001;
}

static void
test_event_json(void **state)
{
	struct notice n;
	json_error_t err;
	json_t *j;
	char *s;

	fill(&n, NULL);
	s = lifecycle_event_json(&n);
	assert_non_null(s);
	j = json_loads(s, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "id")), n.notification_id);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "threshold_reached");
	assert_string_equal(json_string_value(json_object_get(j, "ca_id")), n.ca_id);
	assert_string_equal(json_string_value(json_object_get(j, "ca_name")), "Plant Issuing CA");
	assert_string_equal(json_string_value(json_object_get(j, "location")), "plant-a");
	assert_string_equal(json_string_value(json_object_get(j, "subject")), n.subject);
	assert_string_equal(json_string_value(json_object_get(j, "not_after")),
	                    "2023-11-16T02:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "due_at")),
	                    "2023-11-15T20:26:40Z");
	assert_non_null(json_object_get(j, "created_at"));
	assert_int_equal(json_object_size(j), 9);
	json_decref(j);
	free(s);
}

static void
test_email(void **state)
{
	char *to[] = {"pki@example.com", "ops@example.com", NULL}, *m;
	struct notice n;

	fill(&n, to);
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "From: edgeca@ca.example\r\n"));
	assert_non_null(strstr(m, "To: pki@example.com, ops@example.com\r\n"));
	assert_non_null(strstr(m, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(m, "Subject: [edgeca] CA \"Plant Issuing CA\" location plant-a "
	                          "expires soon\r\n"));
	assert_non_null(strstr(m, "\r\n\r\nThe subordinate CA \"Plant Issuing CA\" (id "
	                          "2b1f5876-73f0-4518-af2d-d81abd34d2bd), location plant-a, has "
	                          "reached 80 % of its lifetime"));
	assert_non_null(strstr(m, "Subject:   CN=Plant Issuing CA,O=Example\r\n"));
	assert_non_null(strstr(m, "notAfter:  2023-11-16T02:00:00Z\r\n"));
	assert_non_null(strstr(m, "What edgeca does: nothing beyond notifying"));
	assert_non_null(strstr(m, "What you must do: renew this CA (POST /api/v1/cas/"
	                          "2b1f5876-73f0-4518-af2d-d81abd34d2bd/renew)"));
	free(m);

	/* the outcomes of an automatic renewal */
	n.kind = NOTIFY_RENEWED;
	n.action = CA_ACTION_AUTO_RENEW;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "location plant-a was renewed\r\n"));
	assert_non_null(strstr(m, "was RENEWED automatically"));
	assert_non_null(strstr(m, "What edgeca did: the location now issues with a new key"));
	free(m);
	n.kind = NOTIFY_RENEWAL_FAILED;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "location plant-a could not be renewed\r\n"));
	assert_non_null(strstr(m, "could NOT be renewed automatically"));
	assert_non_null(strstr(m, "POST /api/v1/cas/2b1f5876-73f0-4518-af2d-d81abd34d2bd/renew"));
	assert_null(strstr(m, "\n\n"));
	free(m);
	/* a CA that now issues certificates shorter than its maximum */
	n.kind = NOTIFY_ISSUANCE_SHORTENED;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "location plant-a issues shortened certificates\r\n"));
	assert_non_null(strstr(m, "can no longer issue certificates of the CA's full "
	                          "max_validity_days"));
	assert_non_null(strstr(m, "renews this CA automatically when its threshold is reached"));
	assert_non_null(strstr(m, "renew this CA now (POST /api/v1/cas/"
	                          "2b1f5876-73f0-4518-af2d-d81abd34d2bd/renew)"));
	assert_null(strstr(m, "\n\n"));
	free(m);
	/* a reminder: the percentage is the kind's */
	n.kind = NOTIFY_REMINDER_95;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "location plant-a, has reached 95 % of its lifetime.\r\n"));
	assert_non_null(strstr(m, "  Event:     reminder_95 (id "
	                          "5f0c7a52-1111-4a4a-9b9b-0123456789ab)\r\n"));
	assert_non_null(strstr(m, "Message-ID: <5f0c7a52-1111-4a4a-9b9b-0123456789ab.email@edgeca>"
	                          "\r\n"));
	free(m);
	n.kind = NOTIFY_THRESHOLD_REACHED;

	/* a root that expired; a name outside ASCII is encoded in the header */
	n.kind = NOTIFY_EXPIRED;
	n.ca_kind = CA_KIND_ROOT;
	n.ca_name = "Wurzel-CA M\xc3\xbcnchen";
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "Subject: =?UTF-8?B?"));
	assert_non_null(strstr(m, "has EXPIRED"));
	assert_non_null(strstr(m, "create a new root CA, distribute its certificate"));
	assert_null(strstr(m, "\n\n")); /* CRLF line ends only */
	free(m);
}

/* crl_generation_failed: the event carries the key, the error and the
 * nextUpdate of the CRL served (null when there is none yet). */
static void
test_crl_failure_event_json(void **state)
{
	struct notice n;
	json_t *j;
	char *s;

	fill(&n, NULL);
	n.kind = NOTIFY_CRL_GENERATION_FAILED;
	n.generation = 2;
	n.error = "the signer is not reachable";
	n.crl_next_update = T0 + 3600;
	s = lifecycle_event_json(&n);
	assert_non_null(s);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "crl_generation_failed");
	assert_int_equal(json_integer_value(json_object_get(j, "generation")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	                    "the signer is not reachable");
	assert_string_equal(json_string_value(json_object_get(j, "crl_next_update")),
	                    "2023-11-14T23:13:20Z");
	assert_int_equal(json_object_size(j), 12);
	json_decref(j);
	free(s);
	n.crl_next_update = 0;
	s = lifecycle_event_json(&n);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "crl_next_update")));
	json_decref(j);
	free(s);
}

/* The e-mail of a CRL failure: which key, what failed, when relying
 * parties start to reject, what to do. */
static void
test_crl_failure_email(void **state)
{
	char *to[] = {"pki@example.com", NULL}, *m;
	struct notice n;

	fill(&n, to);
	n.kind = NOTIFY_CRL_GENERATION_FAILED;
	n.generation = 3;
	n.error = "the signer is not reachable";
	n.crl_next_update = T0 + 3600;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "Subject: [edgeca] CA \"Plant Issuing CA\" location plant-a "
	                          "could not publish its CRL\r\n"));
	assert_non_null(strstr(m, "location plant-a, could NOT publish a new CRL for its key of "
	                          "generation 3.\r\n"));
	assert_non_null(strstr(m, "Key:       generation 3 of location plant-a\r\n"));
	assert_non_null(strstr(m, "Error:     the signer is not reachable\r\n"));
	assert_non_null(strstr(m, "nextUpdate 2023-11-14T23:13:20Z: relying parties"));
	assert_non_null(strstr(m, "What you must do: check that the signer"));
	assert_non_null(strstr(m, "POST /api/v1/cas/2b1f5876-73f0-4518-af2d-d81abd34d2bd/crl "
	                          "with {\"location\": \"plant-a\"}"));
	/* not the lines of a certificate's lifetime */
	assert_null(strstr(m, "notAfter:"));
	assert_null(strstr(m, "renew this CA"));
	assert_null(strstr(m, "\n\n"));
	free(m);
	n.crl_next_update = 0;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "This key has no CRL yet"));
	free(m);
}

#define CSR_PEM                                                                                \
	"-----BEGIN CERTIFICATE REQUEST-----\n"                                                  \
	"MIHRMHkCAQAwFzEVMBMGA1UEAwwMRXhhbXBsZSBQbGFudCBDQTBZMBMGByqGSM49\n"                     \
	"AgEGCCqGSM49AwEHA0IABK==\n"                                                             \
	"-----END CERTIFICATE REQUEST-----\n"

/* A requested renewal (external root): the event carries the CSR, the
 * e-mail says where to fetch it and where the signed certificate goes,
 * and includes it with CRLF lines. */
static void
test_renewal_requested(void **state)
{
	char *to[] = {"pki@example.com", NULL}, *m, *s;
	struct notice n;
	json_t *j;

	fill(&n, to);
	n.kind = NOTIFY_RENEWAL_REQUESTED;
	n.chaining = CA_CHAINING_EXTERNAL;
	n.csr_pem = CSR_PEM;
	s = lifecycle_event_json(&n);
	assert_non_null(s);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "renewal_requested");
	assert_string_equal(json_string_value(json_object_get(j, "csr")), CSR_PEM);
	assert_int_equal(json_object_size(j), 10);
	json_decref(j);
	free(s);

	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "Subject: [edgeca] CA \"Plant Issuing CA\" location plant-a "
	                          "waits for its renewed certificate\r\n"));
	assert_non_null(strstr(m, "is being RENEWED: the CSR of its new key waits to be signed by "
	                          "the external root"));
	assert_non_null(strstr(m, "GET /api/v1/cas/2b1f5876-73f0-4518-af2d-d81abd34d2bd/"
	                          "locations/plant-a/csr\r\n"));
	assert_non_null(strstr(m, "POST /api/v1/cas/2b1f5876-73f0-4518-af2d-d81abd34d2bd/"
	                          "locations/plant-a/certificate\r\n"));
	assert_non_null(strstr(m, "\r\n-----BEGIN CERTIFICATE REQUEST-----\r\n"
	                          "MIHRMHkCAQAwFzEVMBMGA1UEAwwMRXhhbXBsZSBQbGFudCBDQTBZMBMGByqGSM49\r\n"
	                          "AgEGCCqGSM49AwEHA0IABK==\r\n"
	                          "-----END CERTIFICATE REQUEST-----\r\n"));
	assert_null(strstr(m, "\n\n"));
	free(m);

	/* other events carry no CSR; an auto_renew CA chained externally is
	 * told its renewal is requested, not done */
	n.kind = NOTIFY_THRESHOLD_REACHED;
	n.action = CA_ACTION_AUTO_RENEW;
	n.csr_pem = NULL;
	s = lifecycle_event_json(&n);
	assert_non_null(s);
	assert_null(strstr(s, "\"csr\""));
	free(s);
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "edgeca requests its renewal (a renewal_requested notification"));
	free(m);
	n.chaining = CA_CHAINING_INTERNAL;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "edgeca renews it (a renewed or renewal_failed notification"));
	free(m);
	/* a disabled CA is not renewed, and its warning says so */
	n.ca_disabled = true;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_null(strstr(m, "edgeca renews it"));
	assert_non_null(strstr(m, "is disabled: edgeca does not renew it while it is disabled"));
	free(m);
	/* nor does it issue: the shortened-issuance warning says so */
	n.kind = NOTIFY_ISSUANCE_SHORTENED;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_null(strstr(m, "it keeps issuing"));
	assert_non_null(strstr(m, "the CA is disabled and issues nothing"));
	free(m);
	n.ca_disabled = false;
	m = lifecycle_email(&n, "edgeca@ca.example", T0);
	assert_non_null(m);
	assert_non_null(strstr(m, "it keeps issuing"));
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renewal_requested),
		cmocka_unit_test(test_due_kind),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_issuance_shortened),
		cmocka_unit_test(test_signature_and_secret),
		cmocka_unit_test(test_event_json),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_crl_failure_event_json),
		cmocka_unit_test(test_crl_failure_email),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
