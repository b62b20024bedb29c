/* Notification e-mail over protected SMTP against the real server, signer
 * and PostgreSQL, with TLS SMTP sinks of the test (sinks.c) holding a
 * certificate made here by openssl: STARTTLS and implicit TLS deliver,
 * with the credentials only inside TLS, and the refusals that keep mail
 * and password from travelling unprotected: STARTTLS required but not
 * offered, and a server certificate that the configured CAs do not
 * vouch for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/integration/sinks.h"

static struct instance in;
static char dir[] = "/tmp/edgeca-smtp-tls-XXXXXX";
static char cert_file[128], key_file[128], port_env[64], ca_file_env[200];

static void
fixture_before(void)
{
	char *cmd;

	assert_non_null(mkdtemp(dir));
	snprintf(cert_file, sizeof(cert_file), "%s/mail.pem", dir);
	snprintf(key_file, sizeof(key_file), "%s/mail.key", dir);
	/* the mail server's certificate, for the address edgeca connects to */
	xasprintf(&cmd, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	                "-keyout %s -out %s -days 2 -subj /CN=mail.edgeca.test "
	                "-addext subjectAltName=IP:127.0.0.1 2>/dev/null",
	          key_file, cert_file);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	snprintf(ca_file_env, sizeof(ca_file_env), "EDGECA_SMTP_CA_FILE=%s", cert_file);
	in.extra_env[0] = "EDGECA_SCHEDULER_INTERVAL=1";
	in.extra_env[1] = "EDGECA_SMTP_HOST=127.0.0.1";
	in.extra_env[2] = "EDGECA_SMTP_FROM=edgeca@ca.example.test";
	in.extra_env[3] = "EDGECA_WEBHOOK_RETRY_BASE_MS=100";
	in.extra_env[4] = "EDGECA_SMTP_USER=edgeca-mailer";
	in.extra_env[5] = "EDGECA_SMTP_PASSWORD=mail-s3cret";
	in.extra_env[6] = port_env;
	snprintf(port_env, sizeof(port_env), "EDGECA_SMTP_PORT=1");
	in.extra_env[7] = "EDGECA_SMTP_TLS=starttls";
	in.extra_env[8] = ca_file_env;
}

static void
fixture_after(void)
{
	char *cmd;

	xasprintf(&cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
}

static const struct fixture fx = {
	.in = &in,
	.name = "smtp_tls",
	.before = fixture_before,
	.after = fixture_after,
};

/* Restarts the server sending to port with tls mode, trusting the test's
 * certificate when trust_ca. */
static void
configure(unsigned port, const char *tls, bool trust_ca)
{
	static char tls_env[64];

	snprintf(port_env, sizeof(port_env), "EDGECA_SMTP_PORT=%u", port);
	snprintf(tls_env, sizeof(tls_env), "EDGECA_SMTP_TLS=%s", tls);
	in.extra_env[7] = tls_env;
	in.extra_env[8] = trust_ca ? ca_file_env : NULL;
	instance_stop_server(&in);
	instance_start_server(&in);
}

/* A root past its 1 % threshold at once, mailing address; its id. */
static void
create_mailing_ca(const char *name, const char *address, char id[64])
{
	char body[512], na[32];
	time_t t = time(NULL) + 3700;
	struct http_response r;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(body, sizeof(body),
	         "{\"common_name\": \"%s\", \"not_after\": \"%s\", \"lifecycle\": "
	         "{\"notification_emails\": [\"%s\"], \"threshold_percent\": 1}}",
	         name, na, address);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(id, 64, "%s", http_json_str(&r, "id"));
	http_response_free(&r);
}

/* The e-mail delivery of ca's first notification once it is final
 * (delivered or failed), waiting up to 30 s; a new reference. */
static json_t *
final_email_delivery(const char *ca)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/cas/%s/notifications", ca);
	for (int i = 0; i < 300; i++) {
		struct http_response r = {0};
		json_t *n, *d, *found = NULL;
		size_t k;

		assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
		n = json_array_get(json_object_get(r.json, "items"), 0);
		json_array_foreach(json_object_get(n, "deliveries"), k, d) {
			const char *st = json_string_value(json_object_get(d, "state"));
			if (strcmp(json_string_value(json_object_get(d, "channel")), "email") == 0 &&
			    (strcmp(st, "delivered") == 0 || strcmp(st, "failed") == 0))
				found = json_incref(d);
		}
		http_response_free(&r);
		if (found != NULL)
			return found;
		usleep(100000);
	}
	fail_msg("CA %s: the e-mail delivery did not end in 30 s", ca);
	return NULL;
}

static const char *
member(json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));

	return v != NULL ? v : "";
}

/* The one message of sink, checked to have come through TLS with the
 * credentials, to address. */
static void
expect_protected_message(struct sink *s, const char *address)
{
	char *rec, rcpt[128];

	assert_int_equal(sink_count(s), 1);
	rec = sink_get(s, 0);
	assert_non_null(rec);
	assert_true(strncmp(rec, "TLS: TLSv1.", 11) == 0);
	assert_non_null(strstr(rec, "\nAUTH edgeca-mailer mail-s3cret\n"));
	snprintf(rcpt, sizeof(rcpt), "RCPT TO:<%s>", address);
	assert_non_null(strstr(rec, rcpt));
	assert_non_null(strstr(rec, "Subject: "));
	free(rec);
}

/* EDGECA_SMTP_TLS=starttls: the plain connection is upgraded before the
 * credentials and the message are sent. */
static void
test_starttls_delivers(void **state)
{
	struct sink *s = smtp_sink_start_tls(SMTP_SINK_STARTTLS, cert_file, key_file);
	char ca[64];
	json_t *d;

	(void)state;
	assert_non_null(s);
	configure(sink_port(s), "starttls", true);
	create_mailing_ca("STARTTLS Root", "starttls@example.com", ca);
	d = final_email_delivery(ca);
	assert_string_equal(member(d, "state"), "delivered");
	expect_protected_message(s, "starttls@example.com");
	json_decref(d);
	sink_stop(s);
}

/* EDGECA_SMTP_TLS=tls: TLS from the first byte (smtps). */
static void
test_implicit_tls_delivers(void **state)
{
	struct sink *s = smtp_sink_start_tls(SMTP_SINK_IMPLICIT, cert_file, key_file);
	char ca[64];
	json_t *d;

	(void)state;
	assert_non_null(s);
	configure(sink_port(s), "tls", true);
	create_mailing_ca("SMTPS Root", "smtps@example.com", ca);
	d = final_email_delivery(ca);
	assert_string_equal(member(d, "state"), "delivered");
	expect_protected_message(s, "smtps@example.com");
	json_decref(d);
	sink_stop(s);
}

/* A server that does not offer STARTTLS gets neither the password nor the
 * message: the delivery fails after its attempts, saying why. */
static void
test_starttls_required(void **state)
{
	struct sink *s = smtp_sink_start();
	char ca[64];
	json_t *d;

	(void)state;
	assert_non_null(s);
	configure(sink_port(s), "starttls", true);
	create_mailing_ca("No STARTTLS Root", "plain@example.com", ca);
	d = final_email_delivery(ca);
	assert_string_equal(member(d, "state"), "failed");
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 5);
	assert_non_null(strstr(member(d, "last_error"), "SMTP 127.0.0.1:"));
	assert_int_equal(sink_count(s), 0);
	json_decref(d);
	sink_stop(s);
}

/* Without EDGECA_SMTP_CA_FILE the system's CAs decide, and they do not
 * vouch for the test's certificate: nothing is sent. */
static void
test_untrusted_server_refused(void **state)
{
	struct sink *s = smtp_sink_start_tls(SMTP_SINK_IMPLICIT, cert_file, key_file);
	char ca[64];
	json_t *d;

	(void)state;
	assert_non_null(s);
	configure(sink_port(s), "tls", false);
	create_mailing_ca("Untrusted Mail Root", "untrusted@example.com", ca);
	d = final_email_delivery(ca);
	assert_string_equal(member(d, "state"), "failed");
	assert_non_null(strstr(member(d, "last_error"), "certificate"));
	assert_int_equal(sink_count(s), 0);
	json_decref(d);
	sink_stop(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttls_delivers),
		cmocka_unit_test(test_implicit_tls_delivers),
		cmocka_unit_test(test_starttls_required),
		cmocka_unit_test(test_untrusted_server_refused),
	};

	return fixture_run_tests(tests, &fx);
}
