/* crl_generation_failed end to end against the real server, signer and
 * PostgreSQL, with the SMTP sink and webhook receiver of sinks.c: with the
 * signer stopped, a revocation's CRL cannot be made; two server instances
 * retrying it make one notification, mailed and sent as a signed webhook
 * event naming the key, the error and the nextUpdate of the CRL still
 * served; the signer back, the CRL lists the revoked certificate, and a
 * later failure is a new incident. A forced CRL that fails answers its
 * caller and notifies nobody. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/x509v3.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/integration/sinks.h"

static struct instance in;
static struct sink *smtp;
static char smtp_port_env[64], key_env[256];

static void
fixture_before(void)
{
	smtp = smtp_sink_start();
	assert_non_null(smtp);
	snprintf(smtp_port_env, sizeof(smtp_port_env), "EDGECA_SMTP_PORT=%u", sink_port(smtp));
	in.extra_env[0] = "EDGECA_SCHEDULER_INTERVAL=1";
	in.extra_env[1] = "EDGECA_CRL_DELAY_MS=300";
	in.extra_env[2] = "EDGECA_SMTP_HOST=127.0.0.1";
	in.extra_env[3] = smtp_port_env;
	in.extra_env[4] = "EDGECA_SMTP_FROM=edgeca@ca.example.test";
	in.extra_env[5] = "EDGECA_WEBHOOK_RETRY_BASE_MS=200";
}

static void
fixture_ready(void)
{
	/* peers share the first instance's key file, as documented */
	snprintf(key_env, sizeof(key_env), "EDGECA_SECRETS_KEY_FILE=%s/secrets.key", in.data_dir);
	in.extra_env[6] = key_env;
}

static void
fixture_after(void)
{
	sink_stop(smtp);
}

static const struct fixture fx = {
	.in = &in,
	.name = "crl_failure",
	.before = fixture_before,
	.ready = fixture_ready,
	.after = fixture_after,
};

/* ---- helpers --------------------------------------------------------------- */

static void
issue(const char *ca_id, const char *cn, char serial[80])
{
	char path[128], *csr = make_csr("EC-P256", cn, NULL, NULL), *text;
	json_t *j = json_pack("{s:s}", "csr", csr);
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	text = json_dumps(j, 0);
	r = http_post_expect(&in, path, text, 201);
	snprintf(serial, 80, "%s", http_json_str(&r, "serial_number"));
	http_response_free(&r);
	json_decref(j);
	free(text);
	free(csr);
}

static void
revoke_cert(const char *ca_id, const char *serial)
{
	char path[200];
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/revoke", ca_id, serial);
	r = http_post_expect(&in, path, "{\"reason\": \"keyCompromise\"}", 200);
	http_response_free(&r);
}

/* Whether the current CRL of the CA's default location (public URL)
 * lists serial (NULL: whether there is a CRL at all). */
static bool
crl_lists(const char *ca_id, const char *serial)
{
	char path[200];
	struct http_response r;
	const unsigned char *p;
	X509_CRL *crl = NULL;
	bool found = false;

	snprintf(path, sizeof(path), "/crl/%s/default.crl", ca_id);
	if (http_get(&in, path, NULL, &r) == 200) {
		p = r.body;
		crl = d2i_X509_CRL(NULL, &p, (long)r.body_len);
		assert_non_null(crl);
		found = serial == NULL;
		for (int i = 0; !found && i < sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)); i++) {
			X509_REVOKED *e = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), i);
			found = serial_is(X509_REVOKED_get0_serialNumber(e), serial);
		}
	}
	X509_CRL_free(crl);
	http_response_free(&r);
	return found;
}

static void
wait_crl_lists(const char *ca_id, const char *serial, int timeout_s)
{
	for (int i = 0; i < timeout_s * 10; i++) {
		if (crl_lists(ca_id, serial))
			return;
		usleep(100000);
	}
	fail_msg("CA %s: no CRL listing %s after %d s", ca_id, serial ? serial : "anything",
	         timeout_s);
}

/* The nextUpdate of the CA's current CRL as the API writes times. */
static char *
served_next_update(const char *ca_id)
{
	return instance_sql(&in, "SELECT to_char(next_update AT TIME ZONE 'UTC', "
	                         "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM crls WHERE ca_id = '%s'",
	                    ca_id);
}

/* The CA's notifications (admin). */
static json_t *
notifications(const char *ca_id)
{
	struct http_response r = {0};
	char path[128];
	json_t *items;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/notifications", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	items = json_incref(json_object_get(r.json, "items"));
	http_response_free(&r);
	return items;
}

/* Waits for the CA to have n notifications; returns them. */
static json_t *
wait_notifications(const char *ca_id, size_t n, int timeout_s)
{
	for (int i = 0; i < timeout_s * 4; i++) {
		json_t *items = notifications(ca_id);
		if (json_array_size(items) >= n)
			return items;
		json_decref(items);
		usleep(250000);
	}
	fail_msg("CA %s: fewer than %zu notifications after %d s", ca_id, n, timeout_s);
	return NULL;
}

static char *
count_sql(const char *ca_id)
{
	return instance_sql(&in, "SELECT count(*) FROM notifications WHERE ca_id = '%s' AND "
	                         "kind = 'crl_generation_failed'", ca_id);
}

/* ---- tests ----------------------------------------------------------------- */

static void
test_signer_down_notified_once(void **state)
{
	struct sink *hook = webhook_sink_start();
	struct instance peer;
	struct http_response r;
	char body[512], ca_id[64], secret[80], serial[80], serial2[80], path[128];
	char *next_update, *next_update2, *event, *mail, *n;
	json_t *items, *ev, *item;

	assert_non_null(hook);
	snprintf(body, sizeof(body),
	         "{\"common_name\": \"CRL Failure Root\", \"friendly_name\": \"CRL Failure Root CA\", "
	         "\"issuance\": {\"template\": \"client\"}, "
	         "\"lifecycle\": {\"notification_emails\": [\"pki@example.com\"], "
	         "\"webhook_url\": \"http://127.0.0.1:%u/hook\"}}", sink_port(hook));
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	snprintf(secret, sizeof(secret), "%s",
	         json_string_value(json_object_get(json_object_get(r.json, "lifecycle"),
	                                           "webhook_secret")));
	webhook_sink_secret(hook, secret);
	http_response_free(&r);
	wait_crl_lists(ca_id, NULL, 20); /* the first CRL */
	next_update = served_next_update(ca_id);
	assert_non_null(next_update);
	issue(ca_id, "crl-failure-dev", serial);
	instance_start_peer(&peer, &in);

	instance_stop_signer(&in);
	/* a forced CRL that fails answers its caller, and notifies nobody:
	 * the CRL served is not due */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);
	http_expect(503, "signer-unavailable", http_post_json(&in, path, in.admin_token, "{}", &r),
	            &r);
	sleep(2);
	items = notifications(ca_id);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);

	/* a revocation's CRL cannot be made: one notification */
	revoke_cert(ca_id, serial);
	items = wait_notifications(ca_id, 1, 20);
	item = json_array_get(items, 0);
	assert_string_equal(json_string_value(json_object_get(item, "kind")),
	                    "crl_generation_failed");
	assert_string_equal(json_string_value(json_object_get(item, "location")), "default");
	assert_string_equal(json_string_value(json_object_get(item, "not_after")), next_update);
	assert_string_equal(json_string_value(json_object_get(item, "crl_next_update")), next_update);
	assert_int_equal(json_integer_value(json_object_get(item, "generation")), 1);
	assert_non_null(strstr(json_string_value(json_object_get(item, "error")), "signer"));
	json_decref(items);

	event = sink_wait_for(hook, ca_id, 0, 20);
	sink_expect_signature(event, secret);
	ev = json_loads(sink_body(event), 0, NULL);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "kind")), "crl_generation_failed");
	assert_string_equal(json_string_value(json_object_get(ev, "ca_id")), ca_id);
	assert_string_equal(json_string_value(json_object_get(ev, "ca_name")), "CRL Failure Root CA");
	assert_string_equal(json_string_value(json_object_get(ev, "location")), "default");
	assert_int_equal(json_integer_value(json_object_get(ev, "generation")), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "crl_next_update")), next_update);
	assert_string_equal(json_string_value(json_object_get(ev, "not_after")), next_update);
	assert_non_null(strstr(json_string_value(json_object_get(ev, "error")), "signer"));

	mail = sink_wait_for(smtp, ca_id, 0, 20);
	assert_non_null(strstr(mail, "RCPT TO:<pki@example.com>"));
	assert_non_null(strstr(mail, "Subject: [edgeca] CA \"CRL Failure Root CA\" location "
	                             "default could not publish its CRL"));
	assert_non_null(strstr(mail, "could NOT publish a new CRL for its key of generation 1"));
	assert_non_null(strstr(mail, json_string_value(json_object_get(ev, "error"))));
	assert_non_null(strstr(mail, next_update));
	assert_non_null(strstr(mail, path)); /* POST /api/v1/cas/<id>/crl */

	/* both instances keep retrying (every second here): nothing more */
	sleep(4);
	n = count_sql(ca_id);
	assert_string_equal(n, "1");
	free(n);
	assert_int_equal(sink_count_with(hook, ca_id), 1);
	assert_int_equal(sink_count_with(smtp, ca_id), 1);
	instance_destroy_peer(&peer);

	/* the signer back: the CRL lists the revoked certificate */
	instance_start_signer(&in);
	wait_crl_lists(ca_id, serial, 20);
	next_update2 = served_next_update(ca_id);
	assert_string_not_equal(next_update2, next_update);

	/* a later failure is a new incident */
	issue(ca_id, "crl-failure-dev-2", serial2);
	instance_stop_signer(&in);
	revoke_cert(ca_id, serial2);
	items = wait_notifications(ca_id, 2, 20);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "not_after")),
	                    next_update2);
	json_decref(items);
	free(sink_wait_for(hook, ca_id, 1, 20));
	sleep(2);
	n = count_sql(ca_id);
	assert_string_equal(n, "2");
	free(n);
	instance_start_signer(&in);
	wait_crl_lists(ca_id, serial2, 20);

	json_decref(ev);
	free(event);
	free(mail);
	free(next_update);
	free(next_update2);
	sink_stop(hook);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signer_down_notified_once),
	};

	return fixture_run_tests(tests, &fx);
}
