/* Revocation through the API: revoke and its idempotent repeat (same
 * answer, no new audit row), hold and release, hold made permanent, a
 * permanent revocation that keeps its reason, roles (a requester revokes
 * its own certificates only), refused requests; a CA location revoked by
 * its parent (its certificate revoked at the parent too) and a whole CA,
 * which then issue nothing over REST or EST; EST refusing a client
 * certificate from the request after its revocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "common/encoding.h"
#include "common/timeutil.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char ca_id[64], requester_a[128], requester_b[128], auditor[128];

static const struct fixture fx = {
	.in = &in,
	.name = "revoke",
	.tokens = {
		{"requester", "requester-a", requester_a, sizeof(requester_a)},
		{"requester", "requester-b", requester_b, sizeof(requester_b)},
		{"auditor", "auditor-r", auditor, sizeof(auditor)},
	},
	.ca_json = "{\"common_name\": \"Revocation Root\", \"issuance\": "
	           "{\"template\": \"client\"}}",
	.ca_id = ca_id,
};

/* One number from the database (as the schema's owner); -1 for NULL. */
static long long
db_number(const char *fmt, ...)
{
	char sql[512], *v;
	va_list ap;
	long long n;

	va_start(ap, fmt);
	assert_true(vsnprintf(sql, sizeof(sql), fmt, ap) < (int)sizeof(sql));
	va_end(ap);
	v = instance_sql(&in, "%s", sql);
	n = v ? strtoll(v, NULL, 10) : -1;
	free(v);
	return n;
}

static long long
audit_count(const char *action, const char *object_id)
{
	return db_number("SELECT count(*) FROM audit_events WHERE action = '%s' "
	                 "AND object_id = '%s'", action, object_id);
}

/* The transaction that last changed the certificate's revocation state
 * (-1 when none). */
static long long
change_xid(const char *ca, const char *serial)
{
	return db_number("SELECT crl_change_xid::text::bigint FROM certificates "
	                 "WHERE ca_id = '%s' AND serial = '%s'", ca, serial);
}

/* Issues a client certificate for cn with token and returns it; serial
 * receives its serial, key (may be NULL) its key. */
static X509 *
issue(const char *ca, const char *token, const char *cn, char serial[80], EVP_PKEY **key)
{
	char path[160], *csr = make_csr("EC-P256", cn, NULL, key);
	struct http_response r;
	X509 *x;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca);
	assert_int_equal(http_call(&in, "POST", path, token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	snprintf(serial, 80, "%s", http_json_str(&r, "serial_number"));
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	http_response_free(&r);
	free(csr);
	return x;
}

/* POST .../certificates/{serial}/{verb} with body; returns the status. */
static long
cert_post(const char *ca, const char *serial, const char *verb, const char *token,
          const char *body, struct http_response *r)
{
	char path[400];

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/%s", ca, serial, verb);
	return http_call(&in, "POST", path, token, body ? "application/json" : NULL, body,
	                 body ? strlen(body) : 0, r);
}

static const char *
revocation_str(const struct http_response *r, const char *key)
{
	return json_string_value(json_object_get(json_object_get(r->json, "revocation"), key));
}

static void
expect(long want, const char *slug, const char *ca, const char *serial, const char *verb,
       const char *token, const char *body)
{
	struct http_response r;

	http_expect(want, slug, cert_post(ca, serial, verb, token, body, &r), &r);
}

static void
test_revoke_and_repeat(void **state)
{
	char serial[80], object[160], body[160], when[RFC3339_LEN], path[256];
	struct http_response first, again, r;
	X509 *x = issue(ca_id, in.admin_token, "revoke-dev-1", serial, NULL);
	long long xid;
	json_t *item;
	size_t i;
	bool listed = false;

	snprintf(object, sizeof(object), "%s/%s", ca_id, serial);
	rfc3339_format(time(NULL) - 5, when);
	snprintf(body, sizeof(body), "{\"reason\": \"keyCompromise\", \"invalidity_date\": \"%s\"}",
	         when);
	assert_int_equal(change_xid(ca_id, serial), -1);
	assert_int_equal(cert_post(ca_id, serial, "revoke", in.admin_token, body, &first), 200);
	assert_string_equal(http_json_str(&first, "status"), "revoked");
	assert_string_equal(revocation_str(&first, "reason"), "keyCompromise");
	assert_string_equal(revocation_str(&first, "invalidity_date"), when);
	assert_string_equal(revocation_str(&first, "revoked_by"), "token:admin");
	assert_non_null(revocation_str(&first, "revoked_at"));
	assert_non_null(http_json_str(&first, "certificate_pem"));
	assert_int_equal(audit_count("certificate.revoke", object), 1);
	xid = change_xid(ca_id, serial);
	assert_true(xid > 0);

	/* the same reason again, with or without a date: nothing changes */
	assert_int_equal(cert_post(ca_id, serial, "revoke", in.admin_token,
	                           "{\"reason\": \"keyCompromise\"}", &again), 200);
	assert_true(json_equal(first.json, again.json));
	assert_int_equal(audit_count("certificate.revoke", object), 1);
	assert_int_equal(change_xid(ca_id, serial), xid);
	http_response_free(&again);
	/* a permanent revocation keeps its reason */
	expect(409, "certificate-already-revoked", ca_id, serial, "revoke", in.admin_token,
	       "{\"reason\": \"superseded\"}");
	expect(409, "certificate-already-revoked", ca_id, serial, "revoke", in.admin_token,
	       "{\"reason\": \"certificateHold\"}");
	expect(409, "certificate-not-on-hold", ca_id, serial, "unrevoke", in.admin_token, NULL);
	assert_int_equal(audit_count("certificate.revoke", object), 1);

	/* read back, and in lists: revoked, never valid */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, serial);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_true(json_equal(first.json, r.json));
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=revoked", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	json_array_foreach(json_object_get(r.json, "items"), i, item) {
		assert_string_equal(json_string_value(json_object_get(item, "status")), "revoked");
		listed = listed || strcmp(json_string_value(json_object_get(item, "serial_number")),
		                          serial) == 0;
	}
	assert_true(listed);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=valid", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	json_array_foreach(json_object_get(r.json, "items"), i, item) {
		assert_string_not_equal(json_string_value(json_object_get(item, "serial_number")),
		                        serial);
		assert_true(json_is_null(json_object_get(item, "revocation")));
	}
	http_response_free(&r);
	http_response_free(&first);
	X509_free(x);
}

static void
test_default_reason_and_serial_forms(void **state)
{
	char serial[80], upper[200], *p = upper;
	struct http_response r;
	X509 *x = issue(ca_id, in.admin_token, "revoke-dev-2", serial, NULL);

	/* upper case with colons, as the certificate read does */
	for (size_t i = 0; serial[i]; i++) {
		if (i > 0 && (strlen(serial) - i) % 2 == 0)
			*p++ = ':';
		*p++ = (char)(serial[i] >= 'a' ? serial[i] - 32 : serial[i]);
	}
	*p = '\0';
	assert_int_equal(cert_post(ca_id, upper, "revoke", in.admin_token, "{}", &r), 200);
	assert_string_equal(revocation_str(&r, "reason"), "unspecified");
	assert_true(json_is_null(json_object_get(json_object_get(r.json, "revocation"),
	                                         "invalidity_date")));
	assert_string_equal(http_json_str(&r, "serial_number"), serial);
	http_response_free(&r);
	X509_free(x);
}

static void
test_hold_and_release(void **state)
{
	char serial[80], object[160];
	struct http_response r;
	X509 *x = issue(ca_id, in.admin_token, "hold-dev", serial, NULL);
	long long xid;

	snprintf(object, sizeof(object), "%s/%s", ca_id, serial);
	expect(409, "certificate-not-revoked", ca_id, serial, "unrevoke", in.admin_token, NULL);
	assert_int_equal(cert_post(ca_id, serial, "revoke", in.admin_token,
	                           "{\"reason\": \"certificateHold\"}", &r), 200);
	assert_string_equal(revocation_str(&r, "reason"), "certificateHold");
	http_response_free(&r);
	xid = change_xid(ca_id, serial);
	/* release: valid again, the change marked for the CRL, audited */
	assert_int_equal(cert_post(ca_id, serial, "unrevoke", in.admin_token, "{}", &r), 200);
	assert_string_equal(http_json_str(&r, "status"), "valid");
	assert_true(json_is_null(json_object_get(r.json, "revocation")));
	http_response_free(&r);
	assert_true(change_xid(ca_id, serial) > xid);
	assert_int_equal(audit_count("certificate.unrevoke", object), 1);
	expect(409, "certificate-not-revoked", ca_id, serial, "unrevoke", in.admin_token, NULL);

	/* hold again, then made permanent with another reason */
	expect(200, NULL, ca_id, serial, "revoke", in.admin_token,
	       "{\"reason\": \"certificateHold\"}");
	assert_int_equal(cert_post(ca_id, serial, "revoke", in.admin_token,
	                           "{\"reason\": \"cessationOfOperation\"}", &r), 200);
	assert_string_equal(revocation_str(&r, "reason"), "cessationOfOperation");
	assert_string_equal(http_json_str(&r, "status"), "revoked");
	http_response_free(&r);
	assert_int_equal(audit_count("certificate.revoke", object), 3);
	expect(409, "certificate-not-on-hold", ca_id, serial, "unrevoke", in.admin_token, NULL);
	expect(409, "certificate-already-revoked", ca_id, serial, "revoke", in.admin_token,
	       "{\"reason\": \"certificateHold\"}");
	X509_free(x);
}

static void
test_refused_requests(void **state)
{
	char serial[80], path[256], body[160], when[RFC3339_LEN];
	struct http_response r;
	X509 *x = issue(ca_id, in.admin_token, "refused-dev", serial, NULL);

	expect(422, "invalid-revocation-reason", ca_id, serial, "revoke", in.admin_token,
	       "{\"reason\": \"stolen\"}");
	expect(422, "invalid-revocation-reason", ca_id, serial, "revoke", in.admin_token,
	       "{\"reason\": \"removeFromCRL\"}");
	rfc3339_format(time(NULL) + 3600, when);
	snprintf(body, sizeof(body), "{\"invalidity_date\": \"%s\"}", when);
	expect(422, "invalid-field", ca_id, serial, "revoke", in.admin_token, body);
	expect(422, "invalid-field", ca_id, serial, "revoke", in.admin_token,
	       "{\"reason\": \"keyCompromise\", \"invalidity_date\": \"2001-01-01T00:00:00Z\"}");
	expect(400, "invalid-field-type", ca_id, serial, "revoke", in.admin_token,
	       "{\"invalidity_date\": \"yesterday\"}");
	expect(400, "malformed-json", ca_id, serial, "revoke", in.admin_token, "{\"reason\": ");
	expect(400, "malformed-json", ca_id, serial, "revoke", in.admin_token, "[]");
	expect(400, "malformed-json", ca_id, serial, "revoke", in.admin_token, "");
	expect(400, "unknown-field", ca_id, serial, "revoke", in.admin_token,
	       "{\"reason\": \"keyCompromise\", \"comment\": \"lost\"}");
	expect(400, "invalid-field-type", ca_id, serial, "revoke", in.admin_token,
	       "{\"reason\": 1}");
	expect(400, "unknown-field", ca_id, serial, "unrevoke", in.admin_token,
	       "{\"reason\": \"certificateHold\"}");
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/revoke", ca_id, serial);
	http_expect(415, "unsupported-media-type",
	            http_call(&in, "POST", path, in.admin_token, "text/plain", "keyCompromise", 13,
	                      &r), &r);
	/* unknown serial, not a serial, unknown CA */
	expect(404, "certificate-not-found", ca_id, "abcdef0123", "revoke", in.admin_token, "{}");
	expect(404, "certificate-not-found", ca_id, "not-hex", "revoke", in.admin_token, "{}");
	expect(404, "certificate-not-found", ca_id, "abcdef0123", "unrevoke", in.admin_token, NULL);
	expect(404, "ca-not-found", "3f0c8d4e-0b7b-4c1e-9d55-8a8f7f2b6e10", serial, "revoke",
	       in.admin_token, "{}");
	expect(404, "ca-not-found", "not-a-uuid", serial, "revoke", in.admin_token, "{}");
	/* none of it changed the certificate */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", ca_id, serial);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_string_equal(http_json_str(&r, "status"), "valid");
	http_response_free(&r);
	X509_free(x);
}

static void
test_roles(void **state)
{
	char serial[80], other[80];
	struct http_response r;
	X509 *x = issue(ca_id, requester_a, "requester-dev", serial, NULL);
	X509 *y = issue(ca_id, in.admin_token, "admin-dev", other, NULL);

	expect(403, "forbidden", ca_id, serial, "revoke", requester_b,
	       "{\"reason\": \"keyCompromise\"}");
	expect(403, "forbidden", ca_id, other, "revoke", requester_a, "{}");
	expect(403, "forbidden", ca_id, serial, "revoke", auditor, "{}");
	expect(401, "missing-token", ca_id, serial, "revoke", NULL, "{}");
	/* its own: revoke, release */
	assert_int_equal(cert_post(ca_id, serial, "revoke", requester_a,
	                           "{\"reason\": \"certificateHold\"}", &r), 200);
	assert_string_equal(revocation_str(&r, "revoked_by"), "token:requester-a");
	http_response_free(&r);
	expect(403, "forbidden", ca_id, serial, "unrevoke", requester_b, NULL);
	expect(403, "forbidden", ca_id, serial, "unrevoke", auditor, NULL);
	expect(200, NULL, ca_id, serial, "unrevoke", requester_a, NULL);
	/* a hold an admin placed on its certificate: released by an admin only */
	expect(200, NULL, ca_id, serial, "revoke", in.admin_token, "{\"reason\": \"certificateHold\"}");
	expect(403, "forbidden", ca_id, serial, "unrevoke", requester_a, NULL);
	expect(200, NULL, ca_id, serial, "unrevoke", in.admin_token, NULL);
	/* pki_admin: anything */
	expect(200, NULL, ca_id, serial, "revoke", in.admin_token, "{\"reason\": \"superseded\"}");
	X509_free(x);
	X509_free(y);
}

/* POST a JSON body to path as token; returns the status. */
static long
post(const char *path, const char *token, const char *body, struct http_response *r)
{
	return http_call(&in, "POST", path, token, "application/json", body, strlen(body), r);
}

static void
issue_expect(const char *ca, const char *location, long want, const char *slug)
{
	char path[160], *csr = make_csr("EC-P256", "after-revocation", NULL, NULL), *text;
	json_t *j = location ? json_pack("{s:s, s:s}", "csr", csr, "location", location)
	                     : json_pack("{s:s}", "csr", csr);
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca);
	text = json_dumps(j, 0);
	http_expect(want, slug, http_post_json(&in, path, in.admin_token, text, &r), &r);
	free(text);
	json_decref(j);
	free(csr);
}

/* The parent's record of a location's certificate: status and reason. */
static void
expect_at_parent(const char *parent, const char *serial, const char *reason)
{
	char path[256];
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s", parent, serial);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_string_equal(http_json_str(&r, "status"), "revoked");
	assert_string_equal(http_json_str(&r, "template"), "subordinate_ca");
	assert_string_equal(revocation_str(&r, "reason"), reason);
	http_response_free(&r);
	assert_true(change_xid(parent, serial) > 0);
}

static void
test_location_and_ca(void **state)
{
	char root_id[64], sub_id[64], path[256], west[80], east[80], *body;
	struct http_response r;

	http_create_ca(&in, "{\"common_name\": \"Revocation Fleet Root\"}", root_id);
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Revocable Issuing CA\", "
	                 "\"parent_ca_id\": \"%s\", \"locations\": [\"westeurope\", \"eastus\"], "
	                 "\"issuance\": {\"template\": \"client\"}}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	free(body);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	snprintf(west, sizeof(west), "%s", json_string_value(json_object_get(
	                                       http_location(&r, "westeurope"), "serial_number")));
	snprintf(east, sizeof(east), "%s", json_string_value(json_object_get(
	                                       http_location(&r, "eastus"), "serial_number")));
	http_response_free(&r);

	/* one location, by its parent's administrator */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/westeurope/revoke", sub_id);
	http_expect(403, "forbidden", post(path, requester_a, "{}", &r), &r);
	http_expect(422, "invalid-revocation-reason",
	            post(path, in.admin_token, "{\"reason\": \"certificateHold\"}", &r), &r);
	assert_int_equal(post(path, in.admin_token, "{\"reason\": \"keyCompromise\"}", &r), 200);
	assert_string_equal(json_string_value(json_object_get(http_location(&r, "westeurope"),
	                                                      "status")), "revoked");
	assert_string_equal(json_string_value(json_object_get(http_location(&r, "eastus"),
	                                                      "status")), "active");
	assert_string_equal(http_json_str(&r, "status"), "active");
	http_response_free(&r);
	assert_int_equal(audit_count("ca.revoke_location", sub_id), 1);
	expect_at_parent(root_id, west, "keyCompromise");
	/* idempotent; the reason stays */
	http_expect(200, NULL, post(path, in.admin_token, "{\"reason\": \"keyCompromise\"}", &r),
	            &r);
	assert_int_equal(audit_count("ca.revoke_location", sub_id), 1);
	http_expect(409, "location-already-revoked",
	            post(path, in.admin_token, "{\"reason\": \"superseded\"}", &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/northpole/revoke", sub_id);
	http_expect(404, "location-not-found", post(path, in.admin_token, "{}", &r), &r);
	/* the revoked location issues nothing; the other one still does */
	issue_expect(sub_id, "westeurope", 409, "location-revoked");
	issue_expect(sub_id, NULL, 201, NULL);

	/* the whole CA */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/revoke", sub_id);
	http_expect(403, "forbidden", post(path, requester_a, "{}", &r), &r);
	assert_int_equal(post(path, in.admin_token, "{\"reason\": \"cessationOfOperation\"}", &r),
	                 200);
	assert_string_equal(http_json_str(&r, "status"), "revoked");
	assert_string_equal(json_string_value(json_object_get(http_location(&r, "eastus"),
	                                                      "status")), "revoked");
	http_response_free(&r);
	assert_int_equal(audit_count("ca.revoke", sub_id), 1);
	expect_at_parent(root_id, east, "cessationOfOperation");
	expect_at_parent(root_id, west, "keyCompromise");
	issue_expect(sub_id, NULL, 409, "ca-revoked");
	issue_expect(sub_id, "eastus", 409, "ca-revoked");
	/* a repeat naming a reason on record changes nothing; another is refused */
	http_expect(200, NULL, post(path, in.admin_token, "{\"reason\": \"cessationOfOperation\"}",
	                            &r), &r);
	http_expect(200, NULL, post(path, in.admin_token, "{\"reason\": \"keyCompromise\"}", &r),
	            &r);
	assert_int_equal(audit_count("ca.revoke", sub_id), 1);
	http_expect(409, "ca-already-revoked",
	            post(path, in.admin_token, "{\"reason\": \"superseded\"}", &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/revoke",
	         "3f0c8d4e-0b7b-4c1e-9d55-8a8f7f2b6e10");
	http_expect(404, "ca-not-found", post(path, in.admin_token, "{}", &r), &r);
	/* nothing chains under it any more */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Under Revoked\", "
	                 "\"parent_ca_id\": \"%s\"}", sub_id);
	http_expect(409, "parent-not-active", post("/api/v1/cas", in.admin_token, body, &r), &r);
	free(body);
}

/* simpleenroll for cn with tls at the CA's default location, as aziot
 * sends it. */
static long
enroll(const char *ca, const struct est_tls *tls, const char *cn, char *reason, size_t len)
{
	X509_REQ *csr = est_make_csr(cn, false, NULL);
	char base[300];
	struct http_response r;
	long status;

	snprintf(base, sizeof(base), "/est/%s/default/.well-known/est", ca);
	status = est_aziot_enroll(&in, tls, base, csr, &r);
	snprintf(reason, len, "%.*s", (int)r.body_len, r.body ? (const char *)r.body : "");
	http_response_free(&r);
	X509_REQ_free(csr);
	return status;
}

static void
expect_reason(const char *reason, const char *part)
{
	if (strstr(reason, part) == NULL)
		fail_msg("reason \"%s\" does not mention \"%s\"", reason, part);
}

static void
test_est_after_revocation(void **state)
{
	char est_ca[64], serial[80], reason[512], path[200];
	EVP_PKEY *key = NULL;
	X509 *cert;
	struct est_tls tls = {0};
	struct http_response r;

	http_create_ca(&in, "{\"common_name\": \"EST Revocation CA\", \"issuance\": "
	                    "{\"template\": \"client\"}}", est_ca);
	cert = issue(est_ca, in.admin_token, "est-rev-dev", serial, &key);
	tls.cert = cert;
	tls.key = key;
	assert_int_equal(enroll(est_ca, &tls, "est-rev-dev", reason, sizeof(reason)), 200);
	/* on hold: refused from the next request; released: accepted again */
	expect(200, NULL, est_ca, serial, "revoke", in.admin_token,
	       "{\"reason\": \"certificateHold\"}");
	assert_int_equal(enroll(est_ca, &tls, "est-rev-dev", reason, sizeof(reason)), 401);
	expect_reason(reason, "revoked");
	expect(200, NULL, est_ca, serial, "unrevoke", in.admin_token, NULL);
	assert_int_equal(enroll(est_ca, &tls, "est-rev-dev", reason, sizeof(reason)), 200);
	expect(200, NULL, est_ca, serial, "revoke", in.admin_token,
	       "{\"reason\": \"keyCompromise\"}");
	assert_int_equal(enroll(est_ca, &tls, "est-rev-dev", reason, sizeof(reason)), 401);
	expect_reason(reason, "revoked");

	/* a revoked CA serves no EST at all */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/revoke", est_ca);
	http_expect(200, NULL, post(path, in.admin_token, "{\"reason\": \"cACompromise\"}", &r),
	            &r);
	issue_expect(est_ca, NULL, 409, "ca-revoked");
	assert_int_equal(enroll(est_ca, &tls, "est-rev-dev", reason, sizeof(reason)), 404);
	expect_reason(reason, "revoked");
	X509_free(cert);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoke_and_repeat),
		cmocka_unit_test(test_default_reason_and_serial_forms),
		cmocka_unit_test(test_hold_and_release),
		cmocka_unit_test(test_refused_requests),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_location_and_ca),
		cmocka_unit_test(test_est_after_revocation),
	};

	return fixture_run_tests(tests, &fx);
}
