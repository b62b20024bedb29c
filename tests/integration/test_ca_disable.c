/* Disabling, enabling and deleting CAs: a disabled CA refuses REST
 * issuance (JSON and raw CSR, 409 ca-disabled) and EST enrollment (403)
 * while its CRL, EST cacerts, OCSP and revocations go on; its `disabled`
 * member says when, by whom and why until it is enabled (or revoked);
 * enabled again it issues; each change is audited once. A CA that issued is not deleted
 * (409 ca-has-issued); a fresh pending_chaining subordinate is, with the
 * sealed records of its keys; only a pki_admin may do any of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "common/timeutil.h"
#include "signer/proto/protocol.h"
#include "tests/integration/est_client.h"
#include "tests/integration/external_root.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/signer_wire.h"

static struct instance in;
static char requester[128], auditor[128];
static char root_id[64], ca_id[64], est_base[512];
static X509 *ca_cert;

static void
fixture_ready(void)
{
	struct http_response r;
	char *body;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Disable Issuing CA\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"client\"}}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	est_ca_base(&r, est_base);
	ca_cert = pem_cert(json_string_value(json_object_get(
		json_array_get(json_object_get(r.json, "locations"), 0), "certificate_pem")));
	assert_non_null(ca_cert);
	http_response_free(&r);
	free(body);
}

static void
fixture_done(void)
{
	X509_free(ca_cert);
}

static const struct fixture fx = {
	.in = &in,
	.name = "ca_disable",
	.tokens = {
		{"requester", "req-disable", requester, sizeof(requester)},
		{"auditor", "aud-disable", auditor, sizeof(auditor)},
	},
	.ca_json = "{\"common_name\": \"Disable Root\"}",
	.ca_id = root_id,
	.ready = fixture_ready,
	.done = fixture_done,
};

/* POST /api/v1/cas/{id}/<verb> with body (NULL: none) as token. */
static long
ca_post(const char *id, const char *verb, const char *token, const char *body,
        struct http_response *r)
{
	char path[160];

	snprintf(path, sizeof(path), "/api/v1/cas/%s/%s", id, verb);
	return http_call(&in, "POST", path, token, body ? "application/json" : NULL, body,
	                 body ? strlen(body) : 0, r);
}

/* The answer is the CA with its ETag: the one a GET of it answers now, so
 * a portal can PATCH with If-Match right after. */
static void
expect_status(const char *id, const char *verb, const char *body, const char *status)
{
	struct http_response r, g;
	char path[160];

	assert_int_equal(ca_post(id, verb, in.admin_token, body, &r), 200);
	assert_string_equal(http_json_str(&r, "status"), status);
	assert_string_equal(http_json_str(&r, "id"), id);
	assert_non_null(http_header(&r, "ETag"));
	snprintf(path, sizeof(path), "/api/v1/cas/%s", id);
	assert_int_equal(http_get(&in, path, in.admin_token, &g), 200);
	assert_non_null(http_header(&g, "ETag"));
	assert_string_equal(http_header(&r, "ETag"), http_header(&g, "ETag"));
	http_response_free(&g);
	http_response_free(&r);
}

/* How many audit events of action are about CA id. */
static size_t
audit_count(const char *action, const char *id, const char *want_reason)
{
	struct http_response r;
	const json_t *items;
	size_t n;
	char *path;

	xasprintf(&path, "/api/v1/audit?action=%s&object_type=ca&object_id=%s", action, id);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	free(path);
	items = json_object_get(r.json, "items");
	assert_true(json_is_array(items));
	n = json_array_size(items);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(items, i);

		assert_string_equal(json_string_value(json_object_get(e, "actor")), "token:admin");
		if (want_reason != NULL)
			assert_string_equal(json_string_value(json_object_get(
				                    json_object_get(e, "details"), "reason")),
			                    want_reason);
	}
	http_response_free(&r);
	return n;
}

/* REST issuance of a fresh CSR, as JSON or as a raw CSR; returns the status. */
static long
issue(bool raw, const char *slug)
{
	char path[128], *csr = make_csr("EC-P256", "disabled-device", NULL, NULL), *text = NULL;
	json_t *j = json_pack("{s:s}", "csr", csr);
	struct http_response r;
	long st;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	if (raw) {
		st = http_call(&in, "POST", path, in.admin_token, "application/pkcs10", csr,
		               strlen(csr), &r);
	} else {
		text = json_dumps(j, 0);
		st = http_call(&in, "POST", path, in.admin_token, "application/json", text,
		               strlen(text), &r);
	}
	if (slug != NULL)
		http_expect(st, slug, st, &r);
	else
		http_response_free(&r);
	json_decref(j);
	free(text);
	free(csr);
	return st;
}

/* simpleenroll as aziot does, authenticated with device/key, for a CSR
 * with the device's CN; the answer's text must mention reason_part when
 * given. */
static long
enroll(X509 *device, EVP_PKEY *key, const char *cn, const char *reason_part)
{
	struct est_tls tls = {device, NULL, key, NULL, 0};
	EVP_PKEY *new_key = NULL;
	X509_REQ *csr = est_make_csr(cn, true, &new_key);
	struct http_response r;
	long st = est_aziot_enroll(&in, &tls, est_base, csr, &r);

	if (reason_part != NULL)
		est_expect_reason((const char *)r.body, reason_part);
	http_response_free(&r);
	X509_REQ_free(csr);
	EVP_PKEY_free(new_key);
	return st;
}

/* The OCSP status of x (issued by the CA) from the PKI listener. */
static int
ocsp_status(X509 *x)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, x, ca_cert);
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	struct http_response r;
	int len, st, reason = -1;

	assert_non_null(req);
	assert_non_null(id);
	assert_non_null(OCSP_request_add0_id(req, id));
	assert_true((len = i2d_OCSP_REQUEST(req, &der)) > 0);
	assert_int_equal(http_pki_call(&in, "POST", "/ocsp", "application/ocsp-request", der,
	                               (size_t)len, NULL, &r), 200);
	p = r.body;
	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)r.body_len));
	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_non_null(bs = OCSP_response_get1_basic(resp));
	st = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), &reason, NULL, NULL, NULL);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	http_response_free(&r);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return st;
}

/* Whether the DER CRL in r lists serial (hex). */
static bool
crl_lists(const struct http_response *r, const char *serial)
{
	const unsigned char *p = r->body;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)r->body_len);
	STACK_OF(X509_REVOKED) *revoked;
	bool found = false;

	assert_non_null(crl);
	revoked = X509_CRL_get_REVOKED(crl);
	for (int i = 0; !found && i < sk_X509_REVOKED_num(revoked); i++)
		found = serial_is(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)),
		                  serial);
	X509_CRL_free(crl);
	return found;
}

/* The CA's `disabled` member as a GET by the auditor answers it: absent
 * (by NULL), or when (an RFC 3339 time, not before since), by whom and why
 * (reason NULL: null). */
static void
expect_disabled(const char *id, time_t since, const char *by, const char *reason)
{
	struct http_response r;
	const json_t *d;
	char path[160];
	time_t at = 0;

	snprintf(path, sizeof(path), "/api/v1/cas/%s", id);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	d = json_object_get(r.json, "disabled");
	if (by == NULL) {
		assert_null(d);
		http_response_free(&r);
		return;
	}
	assert_true(json_is_object(d));
	assert_int_equal(json_object_size(d), 3);
	assert_int_equal(rfc3339_parse(json_string_value(json_object_get(d, "at")), &at), 0);
	assert_true(at >= since);
	assert_string_equal(json_string_value(json_object_get(d, "by")), by);
	if (reason != NULL)
		assert_string_equal(json_string_value(json_object_get(d, "reason")), reason);
	else
		assert_true(json_is_null(json_object_get(d, "reason")));
	http_response_free(&r);
}

static void
test_disable_and_enable(void **state)
{
	EVP_PKEY *key = NULL, *key2 = NULL;
	char serial[80], path[160];
	X509 *device = http_issue_cert(&in, ca_id, "device-before", &key, serial), *device2;
	struct http_response r;
	time_t before = time(NULL) - 1; /* the database's clock may round down */

	(void)state;
	assert_int_equal(enroll(device, key, "device-before", NULL), 200);
	assert_int_equal(ocsp_status(device), V_OCSP_CERTSTATUS_GOOD);
	expect_disabled(ca_id, 0, NULL, NULL);

	expect_status(ca_id, "disable", "{\"reason\": \"key ceremony pending\"}", "disabled");
	expect_disabled(ca_id, before, "token:admin", "key ceremony pending");
	/* again: answered as it is, not audited twice, the first reason kept */
	expect_status(ca_id, "disable", NULL, "disabled");
	assert_int_equal(audit_count("ca.disable", ca_id, "key ceremony pending"), 1);
	expect_disabled(ca_id, before, "token:admin", "key ceremony pending");
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_string_equal(http_json_str(&r, "status"), "disabled");
	http_response_free(&r);

	/* issues nothing: REST (JSON and raw CSR) and EST */
	assert_int_equal(issue(false, "ca-disabled"), 409);
	assert_int_equal(issue(true, "ca-disabled"), 409);
	assert_int_equal(enroll(device, key, "device-before", "disabled"), 403);
	/* while what it published goes on: EST cacerts, its CRL, OCSP, revocation */
	{
		struct est_tls none = {NULL, NULL, NULL, NULL, 0};
		char cacerts[600];

		snprintf(cacerts, sizeof(cacerts), "%s/cacerts", est_base);
		assert_int_equal(est_request(&in, &none, "GET", cacerts, NULL, NULL, 0, &r), 200);
		http_response_free(&r);
	}
	http_revoke(&in, ca_id, serial, "keyCompromise");
	assert_int_equal(ocsp_status(device), V_OCSP_CERTSTATUS_REVOKED);
	/* a CRL made now lists the revocation */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);
	assert_int_equal(http_post_json(&in, path, in.admin_token, "{}", &r) / 100, 2);
	http_response_free(&r);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_true(crl_lists(&r, serial));
	http_response_free(&r);

	expect_status(ca_id, "enable", NULL, "active");
	expect_disabled(ca_id, 0, NULL, NULL);
	expect_status(ca_id, "enable", "{}", "active");
	assert_int_equal(audit_count("ca.enable", ca_id, NULL), 1);
	device2 = http_issue_cert(&in, ca_id, "device-after", &key2, NULL);
	assert_int_equal(enroll(device2, key2, "device-after", NULL), 200);

	X509_free(device);
	X509_free(device2);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
}

static void
test_bad_requests(void **state)
{
	struct http_response r;
	char reason[260];

	(void)state;
	assert_int_equal(ca_post(ca_id, "disable", in.admin_token, "{\"why\": \"x\"}", &r), 400);
	http_response_free(&r);
	memset(reason, 'a', 201);
	reason[201] = '\0';
	{
		char *body;

		xasprintf(&body, "{\"reason\": \"%s\"}", reason);
		assert_int_equal(ca_post(ca_id, "disable", in.admin_token, body, &r), 422);
		http_expect(422, "invalid-field", r.status, &r);
		free(body);
	}
	assert_int_equal(ca_post(ca_id, "enable", in.admin_token, "{\"reason\": \"x\"}", &r), 400);
	http_response_free(&r);
	assert_int_equal(ca_post("00000000-0000-4000-8000-000000000000", "disable",
	                         in.admin_token, NULL, &r), 404);
	http_expect(404, "ca-not-found", r.status, &r);
	/* still active: nothing above changed it */
	expect_status(ca_id, "enable", NULL, "active");
}

static void
test_roles(void **state)
{
	const char *tokens[] = {requester, auditor};
	struct http_response r;
	char path[160];

	(void)state;
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(ca_post(ca_id, "disable", tokens[i], NULL, &r), 403);
		http_expect(403, NULL, r.status, &r);
		assert_int_equal(ca_post(ca_id, "enable", tokens[i], NULL, &r), 403);
		http_expect(403, NULL, r.status, &r);
		assert_int_equal(http_call(&in, "DELETE", path, tokens[i], NULL, NULL, 0, &r), 403);
		http_expect(403, NULL, r.status, &r);
	}
	assert_int_equal(audit_count("ca.delete", ca_id, NULL), 0);
}

static void
test_delete(void **state)
{
	struct http_response r;
	char sub_id[64], path[160], *n, *keys, *ids, *save = NULL;

	(void)state;
	/* a CA that issued stays */
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_call(&in, "DELETE", path, in.admin_token, NULL, NULL, 0, &r), 409);
	assert_non_null(strstr(http_json_str(&r, "detail"), "certificates"));
	http_expect(409, "ca-has-issued", r.status, &r);
	/* the root signed the issuing CA */
	snprintf(path, sizeof(path), "/api/v1/cas/%s", root_id);
	assert_int_equal(http_call(&in, "DELETE", path, in.admin_token, NULL, NULL, 0, &r), 409);
	assert_non_null(strstr(http_json_str(&r, "detail"), "subordinate CAs"));
	http_expect(409, "ca-has-issued", r.status, &r);

	/* a subordinate waiting for an external root's signature */
	r = http_post_expect(&in, "/api/v1/cas", "{\"kind\": \"subordinate\", \"common_name\": "
	                     "\"Never Chained CA\", \"locations\": [\"eu\", \"us\"]}", 201);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	assert_string_equal(http_json_str(&r, "status"), "pending_chaining");
	http_response_free(&r);
	keys = instance_sql(&in, "SELECT string_agg(quote_literal(signer_key_id), ',') "
	                         "FROM ca_locations WHERE ca_id = '%s'", sub_id);
	assert_non_null(keys);
	n = instance_sql(&in, "SELECT count(*) FROM signer_keys WHERE key_id IN (%s)", keys);
	assert_string_equal(n, "2");
	free(n);
	ids = instance_sql(&in, "SELECT string_agg(signer_key_id, ' ') FROM ca_locations "
	                        "WHERE ca_id = '%s'", sub_id);
	assert_non_null(ids);
	/* it issues nothing, so it cannot be disabled */
	assert_int_equal(ca_post(sub_id, "disable", in.admin_token, NULL, &r), 409);
	http_expect(409, "ca-not-active", r.status, &r);

	snprintf(path, sizeof(path), "/api/v1/cas/%s", sub_id);
	assert_int_equal(http_call(&in, "DELETE", path, auditor, NULL, NULL, 0, &r), 403);
	http_expect(403, NULL, r.status, &r);
	assert_int_equal(http_call(&in, "DELETE", path, in.admin_token, NULL, NULL, 0, &r), 204);
	assert_int_equal(r.body_len, 0);
	http_response_free(&r);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 404);
	http_expect(404, "ca-not-found", r.status, &r);
	assert_int_equal(http_call(&in, "DELETE", path, in.admin_token, NULL, NULL, 0, &r), 404);
	http_expect(404, "ca-not-found", r.status, &r);
	/* its keys are gone from the store every signer loads them from */
	n = instance_sql(&in, "SELECT count(*) FROM signer_keys WHERE key_id IN (%s)", keys);
	assert_string_equal(n, "0");
	free(n);
	free(keys);
	assert_int_equal(audit_count("ca.delete", sub_id, NULL), 1);
	/* and from the signer, which held them since it made them */
	for (char *key = strtok_r(ids, " ", &save); key != NULL; key = strtok_r(NULL, " ", &save)) {
		int fd = wire_connect(in.signer_socket);
		struct signer_writer w;
		struct signer_msg reply;

		signer_writer_init(&w, SIGNER_OP_KEY_INFO);
		signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
		assert_int_equal(wire_exchange(fd, &w, &reply), 0);
		wire_expect_error(&reply, SIGNER_E_NOT_FOUND, "key-destroyed");
		close(fd);
	}
	free(ids);
}

/* Revoking one location of a disabled CA leaves it disabled; revoking it
 * all makes it revoked, which enable cannot undo. */
static void
test_revoked_wins(void **state)
{
	struct http_response r;
	char id[64], *body;
	time_t before = time(NULL) - 1;

	(void)state;
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Two Sites CA\", "
	          "\"parent_ca_id\": \"%s\", \"locations\": [\"eu\", \"us\"], "
	          "\"issuance\": {\"template\": \"client\"}}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(id, sizeof(id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	free(body);
	/* without a reason: reason null */
	expect_status(id, "disable", NULL, "disabled");
	expect_disabled(id, before, "token:admin", NULL);
	expect_status(id, "locations/us/revoke", "{\"reason\": \"superseded\"}", "disabled");
	expect_disabled(id, before, "token:admin", NULL);
	/* revoked wins: no longer disabled, the member goes */
	expect_status(id, "revoke", "{\"reason\": \"cessationOfOperation\"}", "revoked");
	expect_disabled(id, 0, NULL, NULL);
	assert_int_equal(ca_post(id, "enable", in.admin_token, NULL, &r), 409);
	http_expect(409, "ca-revoked", r.status, &r);
	assert_int_equal(ca_post(id, "disable", in.admin_token, NULL, &r), 409);
	http_expect(409, "ca-revoked", r.status, &r);
}

/* Has root sign the CSR location loc of the externally chained CA id waits
 * with and uploads it (200); the CA's status in the answer is want. */
static void
upload_location(const struct external_root *root, const char *id, const char *loc,
                const char *want)
{
	struct http_response r;
	char path[200], *csr, *pem, *bundle;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/%s/csr", id, loc);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	xasprintf(&csr, "%.*s", (int)r.body_len, (const char *)r.body);
	http_response_free(&r);
	pem = external_root_sign(root, csr, EXTERNAL_CA_EXT, 365);
	xasprintf(&bundle, "%s%s", pem, root->pem);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/%s/certificate", id, loc);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token,
	                           "application/pem-certificate-chain", bundle, strlen(bundle), &r),
	                 200);
	assert_string_equal(http_json_str(&r, "status"), want);
	http_response_free(&r);
	free(bundle);
	free(pem);
	free(csr);
}

/* Disabled lasts until enable, whatever its locations do: an externally
 * chained CA with three locations, one chained, is disabled; revoking
 * that one, chaining another and revoking it too leave it disabled (not
 * waiting for a certificate, which would make it issue again once one
 * came); enable then finds no chained location and leaves it waiting;
 * the last upload makes it active. */
static void
test_disabled_until_enabled(void **state)
{
	struct external_root root;
	struct http_response r;
	char id[64];
	time_t before = time(NULL) - 1;

	(void)state;
	external_root_make(&root);
	r = http_post_expect(&in, "/api/v1/cas", "{\"kind\": \"subordinate\", "
	                     "\"common_name\": \"Offline Chained CA\", "
	                     "\"locations\": [\"eu\", \"us\", \"ap\"], "
	                     "\"issuance\": {\"template\": \"client\"}}", 201);
	assert_string_equal(http_json_str(&r, "status"), "pending_chaining");
	snprintf(id, sizeof(id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	upload_location(&root, id, "eu", "active");
	expect_status(id, "disable", "{\"reason\": \"site audit\"}", "disabled");
	expect_status(id, "locations/eu/revoke", "{\"reason\": \"superseded\"}", "disabled");
	expect_disabled(id, before, "token:admin", "site audit");
	upload_location(&root, id, "us", "disabled");
	expect_status(id, "locations/us/revoke", "{\"reason\": \"superseded\"}", "disabled");
	expect_disabled(id, before, "token:admin", "site audit");
	expect_status(id, "enable", NULL, "pending_chaining");
	expect_disabled(id, 0, NULL, NULL);
	upload_location(&root, id, "ap", "active");
	external_root_free(&root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disable_and_enable),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_revoked_wins),
		cmocka_unit_test(test_disabled_until_enabled),
		cmocka_unit_test(test_delete),
	};

	return fixture_run_tests(tests, &fx);
}
