/* Renewal of a subordinate CA chained to an external root (played by the
 * openssl command line): POST /api/v1/cas/{id}/renew makes a new key and
 * CSR per location (the same again when repeated), notified as
 * renewal_requested by e-mail and webhook with the CSR; an upload signed
 * for another key is refused; the certificate the root signed for the
 * renewal's CSR rolls the location over (certificates issued afterwards
 * chain to it, those issued before still verify with the previous one,
 * each key's CRL is served); the scheduler requests the renewal of an
 * auto_renew CA once (and makes its notification if missing), also with
 * two server instances; a revoked location drops its pending renewal. */
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
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tests/integration/external_root.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/integration/public_crl.h"
#include "tests/integration/sinks.h"

#define PUBLIC_URL "https://ca.example.test:8443"

static struct instance in;
static struct external_root root;
static struct sink *smtp, *hook;
static char smtp_port_env[64];

static void
fixture_before(void)
{
	smtp = smtp_sink_start();
	hook = webhook_sink_start();
	assert_non_null(smtp);
	assert_non_null(hook);
	snprintf(smtp_port_env, sizeof(smtp_port_env), "EDGECA_SMTP_PORT=%u", sink_port(smtp));
	in.extra_env[0] = "EDGECA_PUBLIC_URL=" PUBLIC_URL;
	in.extra_env[1] = "EDGECA_CRL_DELAY_MS=300";
	in.extra_env[2] = "EDGECA_SCHEDULER_INTERVAL=1";
	in.extra_env[3] = "EDGECA_SMTP_HOST=127.0.0.1";
	in.extra_env[4] = smtp_port_env;
	in.extra_env[5] = "EDGECA_SMTP_FROM=edgeca@ca.example.test";
}

static void
fixture_ready(void)
{
	external_root_make(&root);
}

static void
fixture_done(void)
{
	external_root_free(&root);
}

static void
fixture_after(void)
{
	sink_stop(smtp);
	sink_stop(hook);
}

static const struct fixture fx = {
	.in = &in,
	.name = "renewal_external",
	.before = fixture_before,
	.ready = fixture_ready,
	.done = fixture_done,
	.after = fixture_after,
};

/* ---- helpers --------------------------------------------------------------- */

/* The pending renewal's CSR (PEM) of location name in a CA answer, or
 * NULL when the location's renewal is null. */
static const char *
renewal_csr(const struct http_response *r, const char *name)
{
	json_t *rn = json_object_get(http_location(r, name), "renewal");

	assert_non_null(rn);
	if (json_is_null(rn))
		return NULL;
	assert_string_equal(json_string_value(json_object_get(rn, "status")), "pending");
	assert_non_null(json_string_value(json_object_get(rn, "requested_at")));
	return json_string_value(json_object_get(rn, "csr"));
}

static struct http_response
get_ca(const char *ca_id)
{
	struct http_response r;
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	return r;
}

static char *
get_csr(const char *ca_id, const char *location)
{
	struct http_response r;
	char path[160], *pem;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/%s/csr", ca_id, location);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(r.content_type, "application/pkcs10");
	xasprintf(&pem, "%.*s", (int)r.body_len, r.body);
	http_response_free(&r);
	return pem;
}

static long
upload(const char *ca_id, const char *location, const char *pem, struct http_response *r)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/%s/certificate", ca_id, location);
	return http_call(&in, "POST", path, in.admin_token, "application/pem-certificate-chain",
	                 pem, strlen(pem), r);
}

/* Has the external root sign the location's CSR (days of validity) and
 * uploads it with the root as its chain; expects 200. */
static void
chain_location(const char *ca_id, const char *location, int days)
{
	char *csr = get_csr(ca_id, location), *signed_pem = external_root_sign(&root, csr,
	                                                                         EXTERNAL_CA_EXT,
	                                                                         days), *bundle;
	struct http_response r;

	xasprintf(&bundle, "%s%s", signed_pem, root.pem);
	assert_int_equal(upload(ca_id, location, bundle, &r), 200);
	assert_string_equal(http_json_str(&r, "chaining"), "external");
	http_response_free(&r);
	free(bundle);
	free(signed_pem);
	free(csr);
}

static struct http_response
renew(const char *ca_id, const char *body, long want)
{
	char path[160];

	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", ca_id);
	return http_post_expect(&in, path, body, want);
}

/* Issues a device certificate from location; its PEM in pem, serial in
 * serial. */
static X509 *
issue_device(const char *ca_id, const char *location, const char *cn, char **pem,
             char serial[80])
{
	struct http_response r = http_issue(&in, ca_id, location, cn);
	X509 *x = pem_cert(http_json_str(&r, "certificate_pem"));

	assert_non_null(x);
	*pem = strdup(http_json_str(&r, "certificate_pem"));
	snprintf(serial, 80, "%s", http_json_str(&r, "serial_number"));
	http_response_free(&r);
	return x;
}

static EVP_PKEY *
csr_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509_REQ *req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	EVP_PKEY *k;

	assert_non_null(req);
	k = X509_REQ_get_pubkey(req);
	assert_non_null(k);
	X509_REQ_free(req);
	BIO_free(b);
	return k;
}

/* How many audit rows action has for ca. */
static int
audit_count(const char *ca_id, const char *action)
{
	char *n = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE action = '%s' AND "
	                       "object_id = '%s'", action, ca_id);
	int count = atoi(n);

	free(n);
	return count;
}

/* The CA's notifications of kind, as "location,location". */
static void
notified(const char *ca_id, const char *kind, char *out, size_t len)
{
	struct http_response r;
	char path[128];
	json_t *item;
	size_t i;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/api/v1/cas/%s/notifications", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	json_array_foreach(json_object_get(r.json, "items"), i, item)
		if (strcmp(json_string_value(json_object_get(item, "kind")), kind) == 0)
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "," : "",
			         json_string_value(json_object_get(item, "location")));
	http_response_free(&r);
}

/* The first record of s holding both needles, waiting up to 20 s. */
static char *
wait_record(struct sink *s, const char *a, const char *b)
{
	for (int i = 0; i < 200; i++) {
		for (size_t k = 0; k < sink_count(s); k++) {
			char *rec = sink_get(s, k);
			if (rec != NULL && strstr(rec, a) != NULL && strstr(rec, b) != NULL)
				return rec;
			free(rec);
		}
		usleep(100000);
	}
	fail_msg("nothing with %s and %s arrived", a, b);
	return NULL;
}

/* ---- tests ----------------------------------------------------------------- */

/* A renewal by hand, from its request to the rolled-over location. */
static void
test_renew_by_hand(void **state)
{
	char ca_id[64], body[512], s_before[80], s_pending[80], s_after[80], where[128];
	char *csr_eu, *csr_us, *csr_served, *old_csr, *wrong, *good, *bundle;
	char *before_pem, *pending_pem, *after_pem, *old_ca_pem, *new_ca_pem;
	struct http_response r;
	X509 *old_ca, *new_ca, *before, *pending, *after, *prev;
	X509_CRL *old_crl, *new_crl;
	EVP_PKEY *k;

	(void)state;
	snprintf(body, sizeof(body),
	         "{\"kind\": \"subordinate\", \"common_name\": \"Plant CA\", \"organization\": "
	         "\"Contoso\", \"locations\": [\"eu\", \"us\"], \"lifecycle\": "
	         "{\"notification_emails\": [\"pki@example.test\"], "
	         "\"webhook_url\": \"http://127.0.0.1:%u/hook\"}}", sink_port(hook));
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	webhook_sink_secret(hook, json_string_value(json_object_get(json_object_get(r.json,
	                                                            "lifecycle"), "webhook_secret")));
	http_response_free(&r);
	old_csr = get_csr(ca_id, "eu");
	chain_location(ca_id, "eu", 365);
	chain_location(ca_id, "us", 365);
	r = get_ca(ca_id);
	assert_null(renewal_csr(&r, "eu"));
	old_ca = http_location_cert(&r, "eu");
	http_response_free(&r);
	before = issue_device(ca_id, "eu", "device-before", &before_pem, s_before);

	/* one location: a new key and its CSR wait; the certificate stays */
	r = renew(ca_id, "{\"location\": \"eu\"}", 200);
	assert_string_equal(http_json_str(&r, "chaining"), "external");
	assert_non_null(renewal_csr(&r, "eu"));
	csr_eu = strdup(renewal_csr(&r, "eu"));
	assert_null(renewal_csr(&r, "us"));
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(http_location(&r, "eu"), "renewal"), "requested_by")),
	                    "token:admin");
	prev = http_location_cert(&r, "eu");
	assert_int_equal(X509_cmp(prev, old_ca), 0);
	X509_free(prev);
	assert_int_equal(json_array_size(json_object_get(http_location(&r, "eu"),
	                                                 "previous_certificates")), 0);
	http_response_free(&r);
	k = csr_key(csr_eu);
	assert_int_not_equal(EVP_PKEY_eq(k, X509_get0_pubkey(old_ca)), 1);
	EVP_PKEY_free(k);
	assert_string_not_equal(csr_eu, old_csr);
	/* the CSR is served where the first one was */
	csr_served = get_csr(ca_id, "eu");
	assert_string_equal(csr_served, csr_eu);
	free(csr_served);

	/* again: the same CSR, no new key; every active location when none is named */
	r = renew(ca_id, "{}", 200);
	assert_string_equal(renewal_csr(&r, "eu"), csr_eu);
	assert_non_null(renewal_csr(&r, "us"));
	csr_us = strdup(renewal_csr(&r, "us"));
	http_response_free(&r);
	r = renew(ca_id, "{\"location\": \"eu\"}", 200);
	assert_string_equal(renewal_csr(&r, "eu"), csr_eu);
	assert_string_equal(renewal_csr(&r, "us"), csr_us);
	http_response_free(&r);
	assert_int_equal(audit_count(ca_id, "ca.renew.request"), 2);

	/* notified once per location, by e-mail and webhook, with the CSR */
	notified(ca_id, "renewal_requested", where, sizeof(where));
	assert_string_equal(where, "eu,us");
	{
		char *mail = wait_record(smtp, ca_id, "/locations/eu/csr"), *event, *csr_crlf;
		const char *ev_body;
		json_t *ev;

		assert_non_null(strstr(mail, "RCPT TO:<pki@example.test>"));
		assert_non_null(strstr(mail, "location eu waits for its renewed certificate"));
		assert_non_null(strstr(mail, "/locations/eu/certificate"));
		csr_crlf = strdup(csr_eu);
		*strstr(csr_crlf, "\n") = '\0'; /* the first line: the PEM header */
		assert_non_null(strstr(mail, csr_crlf));
		free(csr_crlf);
		free(mail);
		event = wait_record(hook, "\"renewal_requested\"", "\"location\":\"eu\"");
		ev_body = sink_body(event);
		ev = json_loads(ev_body, 0, NULL);
		assert_non_null(ev);
		assert_string_equal(json_string_value(json_object_get(ev, "csr")), csr_eu);
		assert_string_equal(json_string_value(json_object_get(ev, "ca_id")), ca_id);
		/* the receiver verified every event's signature */
		assert_int_equal(webhook_sink_unverified(hook, NULL, 0), 0);
		json_decref(ev);
		free(event);
	}

	/* while it waits, the location issues with its current key */
	pending = issue_device(ca_id, "eu", "device-pending", &pending_pem, s_pending);
	assert_int_equal(X509_check_issued(old_ca, pending), X509_V_OK);

	/* a certificate for another key, no CA, or one without SKI is refused */
	wrong = external_root_sign(&root, old_csr, EXTERNAL_CA_EXT, 365);
	http_expect(422, "certificate-key-mismatch", upload(ca_id, "eu", wrong, &r), &r);
	free(wrong);
	wrong = external_root_sign(&root, csr_us, EXTERNAL_CA_EXT, 365);
	http_expect(422, "certificate-key-mismatch", upload(ca_id, "eu", wrong, &r), &r);
	free(wrong);
	wrong = external_root_sign(&root, csr_eu, "[v3]\nbasicConstraints=critical,CA:FALSE\n"
	                           "keyUsage=critical,digitalSignature\n", 365);
	http_expect(422, "not-a-ca-certificate", upload(ca_id, "eu", wrong, &r), &r);
	free(wrong);
	wrong = external_root_sign(&root, csr_eu, EXTERNAL_CA_EXT_NO_SKI, 365);
	http_expect(422, "ca-certificate-no-ski", upload(ca_id, "eu", wrong, &r), &r);
	free(wrong);
	r = get_ca(ca_id);
	assert_string_equal(renewal_csr(&r, "eu"), csr_eu); /* still waiting */
	http_response_free(&r);

	/* the root signs the renewal's CSR: the location rolls over */
	good = external_root_sign(&root, csr_eu, EXTERNAL_CA_EXT, 730);
	xasprintf(&bundle, "%s%s", good, root.pem);
	assert_int_equal(upload(ca_id, "eu", bundle, &r), 200);
	assert_null(renewal_csr(&r, "eu"));
	assert_non_null(renewal_csr(&r, "us"));
	new_ca = http_location_cert(&r, "eu");
	assert_int_not_equal(X509_cmp(new_ca, old_ca), 0);
	k = csr_key(csr_eu);
	assert_int_equal(EVP_PKEY_eq(k, X509_get0_pubkey(new_ca)), 1);
	EVP_PKEY_free(k);
	assert_int_equal(json_array_size(json_object_get(http_location(&r, "eu"),
	                                                 "previous_certificates")), 1);
	prev = pem_cert(json_string_value(json_object_get(
		json_array_get(json_object_get(http_location(&r, "eu"), "previous_certificates"), 0),
		"certificate_pem")));
	assert_int_equal(X509_cmp(prev, old_ca), 0);
	X509_free(prev);
	http_response_free(&r);
	assert_int_equal(audit_count(ca_id, "ca.renew"), 1);
	/* the same again: no renewal waits any more */
	http_expect(409, "already-chained", upload(ca_id, "eu", bundle, &r), &r);
	free(bundle);
	free(good);
	/* the CSR served is the one of the current certificate */
	csr_served = get_csr(ca_id, "eu");
	assert_string_equal(csr_served, csr_eu);
	free(csr_served);

	/* after: chains to the new certificate; before: still to the old one */
	after = issue_device(ca_id, "eu", "device-after", &after_pem, s_after);
	assert_int_equal(X509_check_issued(new_ca, after), X509_V_OK);
	old_ca_pem = cert_pem(old_ca);
	new_ca_pem = cert_pem(new_ca);
	assert_true(external_root_verifies(&root, new_ca_pem, after_pem));
	assert_false(external_root_verifies(&root, old_ca_pem, after_pem));
	assert_true(external_root_verifies(&root, old_ca_pem, before_pem));
	assert_true(external_root_verifies(&root, old_ca_pem, pending_pem));
	assert_false(external_root_verifies(&root, new_ca_pem, before_pem));
	{
		char path[160];
		STACK_OF(X509) *chain;
		snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/eu/chain", ca_id);
		assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
		chain = pem_certs((const char *)r.body);
		assert_int_equal(sk_X509_num(chain), 2);
		assert_int_equal(X509_cmp(sk_X509_value(chain, 0), new_ca), 0);
		assert_int_equal(verify_chain(after, chain, root.cert), X509_V_OK);
		sk_X509_pop_free(chain, X509_free);
		http_response_free(&r);
	}

	/* each key publishes the CRL of what it issued, signed by itself */
	http_revoke(&in, ca_id, s_before, "keyCompromise");
	http_revoke(&in, ca_id, s_after, "keyCompromise");
	old_crl = public_crl_wait_listing(&in, ca_id, "eu.crl", before);
	new_crl = public_crl_wait_listing(&in, ca_id, "eu.2.crl", after);
	assert_int_equal(X509_CRL_verify(old_crl, X509_get0_pubkey(old_ca)), 1);
	assert_int_equal(X509_CRL_verify(new_crl, X509_get0_pubkey(new_ca)), 1);
	X509_CRL_free(old_crl);
	X509_CRL_free(new_crl);

	/* revoking a location drops its pending renewal */
	{
		char path[160];
		snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/us/revoke", ca_id);
		r = http_post_expect(&in, path, "{\"reason\": \"superseded\"}", 200);
		assert_null(renewal_csr(&r, "us"));
		http_response_free(&r);
		snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", ca_id);
		http_expect(409, "location-not-active",
		            http_post_json(&in, path, in.admin_token, "{\"location\": \"us\"}", &r),
		            &r);
	}

	free(before_pem);
	free(pending_pem);
	free(after_pem);
	free(old_ca_pem);
	free(new_ca_pem);
	free(csr_eu);
	free(csr_us);
	free(old_csr);
	X509_free(before);
	X509_free(pending);
	X509_free(after);
	X509_free(old_ca);
	X509_free(new_ca);
}

/* Who may ask, and what is not renewed this way. */
static void
test_renew_refused(void **state)
{
	char ca_id[64], path[160], requester[128];
	struct http_response r;

	(void)state;
	http_create_ca(&in, "{\"kind\": \"subordinate\", \"common_name\": \"Half CA\", "
	                    "\"locations\": [\"a\", \"b\"]}", ca_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", ca_id);
	/* nothing chained yet */
	http_expect(409, "ca-not-active", http_post_json(&in, path, in.admin_token, "{}", &r), &r);
	chain_location(ca_id, "a", 365);
	/* a location still waiting for its first certificate */
	http_expect(409, "location-not-active",
	            http_post_json(&in, path, in.admin_token, "{\"location\": \"b\"}", &r), &r);
	instance_token(&in, "requester", "external-renewal-requester", requester,
	               sizeof(requester));
	http_expect(403, NULL, http_post_json(&in, path, requester, "{}", &r), &r);
	/* every active location: only a */
	r = renew(ca_id, "{}", 200);
	assert_non_null(renewal_csr(&r, "a"));
	assert_null(renewal_csr(&r, "b"));
	http_response_free(&r);
}

/* An auto_renew CA whose certificate can no longer cover its
 * max_validity_days gets its renewal requested by the scheduler, once,
 * and is left alone after the rollover. */
static void
test_auto_request(void **state)
{
	char ca_id[64], where[128], *csr, *good;
	struct http_response r;
	const char *pending;

	(void)state;
	http_create_ca(&in, "{\"kind\": \"subordinate\", \"common_name\": \"Auto External CA\", "
	                    "\"issuance\": {\"max_validity_days\": 30}, "
	                    "\"lifecycle\": {\"action\": \"auto_renew\"}}", ca_id);
	chain_location(ca_id, "default", 10);
	for (int i = 0; i < 200; i++) {
		notified(ca_id, "renewal_requested", where, sizeof(where));
		if (where[0])
			break;
		usleep(100000);
	}
	assert_string_equal(where, "default");
	r = get_ca(ca_id);
	pending = renewal_csr(&r, "default");
	assert_non_null(pending);
	csr = strdup(pending);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(http_location(&r, "default"), "renewal"),
	                        "requested_by")), "scheduler");
	http_response_free(&r);
	sleep(3); /* several passes: requested once */
	r = get_ca(ca_id);
	assert_string_equal(renewal_csr(&r, "default"), csr);
	http_response_free(&r);
	assert_int_equal(audit_count(ca_id, "ca.renew.request"), 1);
	notified(ca_id, "renewal_requested", where, sizeof(where));
	assert_string_equal(where, "default");
	/* a request whose notification is missing gets it, with the same CSR */
	free(instance_sql(&in, "DELETE FROM notification_deliveries WHERE notification_id IN "
	                  "(SELECT id FROM notifications WHERE ca_id = '%s' AND "
	                  "kind = 'renewal_requested')", ca_id));
	free(instance_sql(&in, "DELETE FROM notifications WHERE ca_id = '%s' AND "
	                  "kind = 'renewal_requested'", ca_id));
	for (int i = 0; i < 200; i++) {
		notified(ca_id, "renewal_requested", where, sizeof(where));
		if (where[0])
			break;
		usleep(100000);
	}
	assert_string_equal(where, "default");
	r = get_ca(ca_id);
	assert_string_equal(renewal_csr(&r, "default"), csr);
	http_response_free(&r);
	assert_int_equal(audit_count(ca_id, "ca.renew.request"), 1);

	/* a certificate long enough: nothing more is requested */
	good = external_root_sign(&root, csr, EXTERNAL_CA_EXT, 3000);
	assert_int_equal(upload(ca_id, "default", good, &r), 200);
	assert_null(renewal_csr(&r, "default"));
	http_response_free(&r);
	sleep(3);
	r = get_ca(ca_id);
	assert_null(renewal_csr(&r, "default"));
	assert_int_equal(json_array_size(json_object_get(http_location(&r, "default"),
	                                                 "previous_certificates")), 1);
	http_response_free(&r);
	assert_int_equal(audit_count(ca_id, "ca.renew.request"), 1);
	assert_int_equal(audit_count(ca_id, "ca.renew"), 1);
	free(good);
	free(csr);
}

/* Two server instances on one database and signer: each due location's
 * renewal is requested once, by one of them. */
static void
test_auto_request_two_instances(void **state)
{
	char ids[4][64], where[128];
	struct instance peer;

	(void)state;
	for (int i = 0; i < 4; i++) {
		char body[256];
		snprintf(body, sizeof(body), "{\"kind\": \"subordinate\", \"common_name\": "
		         "\"Shared External %d\", \"issuance\": {\"max_validity_days\": 30}, "
		         "\"lifecycle\": {\"action\": \"auto_renew\"}}", i);
		http_create_ca(&in, body, ids[i]);
	}
	instance_start_peer(&peer, &in);
	for (int i = 0; i < 4; i++)
		chain_location(ids[i], "default", 10);
	for (int i = 0; i < 4; i++) {
		for (int k = 0; k < 200; k++) {
			notified(ids[i], "renewal_requested", where, sizeof(where));
			if (where[0])
				break;
			usleep(100000);
		}
		assert_string_equal(where, "default");
	}
	sleep(3); /* several more passes of both instances */
	for (int i = 0; i < 4; i++) {
		notified(ids[i], "renewal_requested", where, sizeof(where));
		assert_string_equal(where, "default");
		assert_int_equal(audit_count(ids[i], "ca.renew.request"), 1);
	}
	instance_destroy_peer(&peer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renew_by_hand),
		cmocka_unit_test(test_renew_refused),
		cmocka_unit_test(test_auto_request),
		cmocka_unit_test(test_auto_request_two_instances),
	};

	return fixture_run_tests(tests, &fx);
}
