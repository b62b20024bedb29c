/* A CA's name rules (issuance.name_rules) with the real server, signer and
 * database: how they are given and shown, what they refuse over REST and
 * over EST, that the signer refuses a name outside them whatever the
 * server asks (a compromised server speaking the protocol itself), and
 * that a renewal's new key carries them too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "signer/proto/protocol.h"
#include "tests/integration/est_client.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/signer_wire.h"

#define RULES_JSON                                                                            \
	"{\"subject_attributes\": [\"CN\", \"O\"], "                                          \
	"\"common_name\": [\"*.Devices.Contoso.com\", \"gw-*\"], "                          \
	"\"dns_names\": [\"*.devices.contoso.com\"], "                                        \
	"\"ip_ranges\": [\"10.20.0.0/16\", \"2001:DB8::/32\"]}"
#define RULES_TEXT                                                                            \
	"subject_attributes=CN,O;common_name=*.devices.contoso.com,gw-*;"                    \
	"dns_names=*.devices.contoso.com;ip_ranges=10.20.0.0/16,2001:db8::/32"

static struct instance in;
static char root_id[64], ca_id[64], est_base[512];

static void
fixture_ready(void)
{
	struct http_response r;
	char *body;

	http_create_ca(&in, "{\"common_name\": \"Names Root\", \"issuance\": {\"template\": "
	                    "\"subordinate_ca\", \"allowed_templates\": [\"subordinate_ca\"]}}",
	               root_id);
	/* EST under subject_policy any, so that only the name rules decide */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Contoso Devices\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"ssl\", "
	          "\"allowed_templates\": [\"ssl\", \"client\"], \"name_rules\": " RULES_JSON "}, "
	          "\"est\": {\"template\": \"ssl\", \"subject_policy\": \"any\"}}",
	          root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	est_ca_base(&r, est_base);
	http_response_free(&r);
	free(body);
}

static const struct fixture fx = {
	.in = &in,
	.name = "ca_name_rules",
	.ready = fixture_ready,
};

/* The CA's issuance.name_rules as compact JSON text (malloc'ed). */
static char *
rules_of(const char *id)
{
	struct http_response r;
	char path[128], *text;

	snprintf(path, sizeof(path), "/api/v1/cas/%s", id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	text = json_dumps(json_object_get(json_object_get(r.json, "issuance"), "name_rules"),
	                  JSON_COMPACT | JSON_ENCODE_ANY);
	http_response_free(&r);
	return text;
}

static void
test_given_checked_and_shown(void **state)
{
	static const struct {
		const char *rules;
		long status;
		const char *slug, *names;
	} bad[] = {
		{"{\"dns_names\": [\"bad name.example\"]}", 422, "invalid-field",
		 "issuance.name_rules.dns_names[0]"},
		{"{\"common_name\": [\"ok\", \"with space\"]}", 422, "invalid-field",
		 "issuance.name_rules.common_name[1]"},
		{"{\"ip_ranges\": [\"10.0.0.1/8\"]}", 422, "invalid-field",
		 "issuance.name_rules.ip_ranges[0]"},
		{"{\"ip_ranges\": [\"10.0.0.0\"]}", 422, "invalid-field", "ip_ranges[0]"},
		{"{\"subject_attributes\": [\"CN\", \"businessCategory\"]}", 422, "invalid-field",
		 "subject_attributes[1]"},
		{"{\"subject_attributes\": [\"O\"]}", 422, "invalid-field", "include CN"},
		{"{\"common_name\": []}", 422, "invalid-field", "common_name"},
		{"{\"dns_names\": [\"a.example\", \"A.example\"]}", 422, "invalid-field", "repeats"},
		{"{\"dns_names\": [\"a.example\"], \"colour\": []}", 400, "unknown-field", "colour"},
		{"{\"dns_names\": \"a.example\"}", 400, "invalid-field-type", "dns_names"},
		{"[\"a.example\"]", 400, "invalid-field-type", "name_rules"},
	};
	struct http_response r;
	char *body, *text, id[64], list[4096] = "";
	const char *detail;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		xasprintf(&body, "{\"common_name\": \"Bad Rules\", \"issuance\": {\"template\": "
		          "\"client\", \"name_rules\": %s}}", bad[i].rules);
		http_post_json(&in, "/api/v1/cas", in.admin_token, body, &r);
		detail = http_json_str(&r, "detail");
		if (r.status != bad[i].status || detail == NULL || strstr(detail, bad[i].names) == NULL)
			fail_msg("%s: %ld %s", bad[i].rules, r.status, detail ? detail : "");
		http_expect(bad[i].status, bad[i].slug, r.status, &r);
		free(body);
	}
	/* 33 patterns, and rules on a CA that issues no leaf template */
	for (int i = 0; i <= 32; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"d%d.example\"",
		         i ? ", " : "", i);
	xasprintf(&body, "{\"common_name\": \"Bad Rules\", \"issuance\": {\"template\": "
	          "\"client\", \"name_rules\": {\"dns_names\": [%s]}}}", list);
	http_expect(422, "invalid-field", http_post_json(&in, "/api/v1/cas", in.admin_token, body, &r),
	            &r);
	free(body);
	http_expect(422, "invalid-field",
	            http_post_json(&in, "/api/v1/cas", in.admin_token,
	                           "{\"common_name\": \"Bad Rules\", \"issuance\": {\"name_rules\": "
	                           "{\"dns_names\": []}}}", &r), &r);
	/* shown in canonical form; null when none; {} restricts nothing */
	text = rules_of(ca_id);
	assert_string_equal(text, "{\"subject_attributes\":[\"CN\",\"O\"],\"common_name\":"
	                          "[\"*.devices.contoso.com\",\"gw-*\"],\"dns_names\":"
	                          "[\"*.devices.contoso.com\"],\"ip_ranges\":[\"10.20.0.0/16\","
	                          "\"2001:db8::/32\"]}");
	free(text);
	text = rules_of(root_id);
	assert_string_equal(text, "null");
	free(text);
	http_create_ca(&in, "{\"common_name\": \"Empty Rules\", \"issuance\": {\"template\": "
	                    "\"client\", \"name_rules\": {}}}", id);
	text = rules_of(id);
	assert_string_equal(text, "null");
	free(text);
	http_create_ca(&in, "{\"common_name\": \"Partial Rules\", \"issuance\": {\"template\": "
	                    "\"client\", \"name_rules\": {\"ip_ranges\": []}}}", id);
	text = rules_of(id);
	assert_string_equal(text, "{\"subject_attributes\":null,\"common_name\":null,"
	                          "\"dns_names\":null,\"ip_ranges\":[]}");
	free(text);
	/* stored and audited with the creation */
	text = instance_sql(&in, "SELECT issuance_name_rules FROM cas WHERE id = '%s'", ca_id);
	assert_string_equal(text, RULES_TEXT);
	free(text);
	text = instance_sql(&in, "SELECT details->>'name_rules' FROM audit_events WHERE action = "
	                         "'ca.create' AND object_id = '%s'", ca_id);
	assert_string_equal(text, RULES_TEXT);
	free(text);
}

/* POSTs a CSR with subject and SANs under template tpl; the status. */
static long
issue_rest(const char *subject, const char *sans, const char *tpl, const char *slug,
           const char *what)
{
	char *pem = make_csr_subject(subject, sans, NULL), path[160];
	struct http_response r;
	const char *detail;
	long status;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?template=%s", ca_id, tpl);
	status = http_call(&in, "POST", path, in.admin_token, "application/pkcs10", pem,
	                   strlen(pem), &r);
	detail = http_json_str(&r, "detail");
	if (what != NULL && (detail == NULL || strstr(detail, what) == NULL))
		fail_msg("%s %s: \"%s\" does not name %s", subject, sans ? sans : "",
		         detail ? detail : "", what);
	http_expect(status, slug, status, &r);
	free(pem);
	return status;
}

static void
test_rest_issuance(void **state)
{
	assert_int_equal(issue_rest("/O=Contoso/CN=s1.devices.contoso.com",
	                            "DNS:s2.devices.contoso.com,IP:10.20.1.1,IP:2001:db8::1", "ssl",
	                            NULL, NULL),
	                 201);
	assert_int_equal(issue_rest("/CN=gw-plant4", NULL, "client", NULL, NULL), 201);
	assert_int_equal(issue_rest("/CN=dev2", NULL, "client", "name-not-allowed", "dev2"), 422);
	assert_int_equal(issue_rest("/CN=a.b.devices.contoso.com", NULL, "client",
	                            "name-not-allowed", "a.b.devices.contoso.com"),
	                 422);
	assert_int_equal(issue_rest("/CN=s1.devices.contoso.com", "DNS:login.microsoftonline.com",
	                            "ssl", "name-not-allowed", "login.microsoftonline.com"),
	                 422);
	assert_int_equal(issue_rest("/CN=s1.devices.contoso.com", "IP:10.0.0.1", "ssl",
	                            "name-not-allowed", "10.0.0.1"),
	                 422);
	assert_int_equal(issue_rest("/OU=PKI Administrators/CN=s1.devices.contoso.com", NULL,
	                            "client", "name-not-allowed", "OU"),
	                 422);
	/* the ssl template writes the CN as a DNS name: gw-* is no DNS pattern */
	assert_int_equal(issue_rest("/CN=gw-plant4", NULL, "ssl", "name-not-allowed",
	                            "DNS name gw-plant4"),
	                 422);
}

/* simpleenroll presenting cert/key of a CSR with subject and SANs. */
static long
enroll(X509 *cert, EVP_PKEY *key, const char *subject, const char *sans, const char *what)
{
	struct est_tls tls = {cert, NULL, key, NULL, 0};
	char *pem = make_csr_subject(subject, sans, NULL);
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509_REQ *req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	struct http_response r;
	long status = est_aziot_enroll(&in, &tls, est_base, req, &r);

	if (what != NULL && (r.body == NULL || strstr((char *)r.body, what) == NULL))
		fail_msg("%s: \"%s\" does not name %s", subject, r.body ? (char *)r.body : "", what);
	http_response_free(&r);
	X509_REQ_free(req);
	BIO_free(b);
	free(pem);
	return status;
}

/* Over EST the signer's refusal is a 400, like every CSR edgeca will not
 * sign (RFC 7030 4.2.3). */
static void
test_est_enrollment(void **state)
{
	EVP_PKEY *key = NULL;
	X509 *device = http_issue_cert(&in, ca_id, "s0.devices.contoso.com", &key, NULL);

	assert_int_equal(enroll(device, key, "/CN=s3.devices.contoso.com", "IP:10.20.9.9", NULL),
	                 200);
	assert_int_equal(enroll(device, key, "/CN=evil.example.com", NULL, "evil.example.com"),
	                 400);
	assert_int_equal(enroll(device, key, "/CN=s3.devices.contoso.com", "DNS:*.corp.example.com",
	                        "*.corp.example.com"),
	                 400);
	assert_int_equal(enroll(device, key, "/CN=s3.devices.contoso.com", "IP:192.168.1.1",
	                        "192.168.1.1"),
	                 400);
	assert_int_equal(enroll(device, key, "/C=US/CN=s3.devices.contoso.com", NULL, "C attribute"),
	                 400);
	X509_free(device);
	EVP_PKEY_free(key);
}

/* The KEY_INFO of key: its NAME_RULES text, "" when it has none. */
static void
key_rules(int fd, const char *key, char *out, size_t len)
{
	struct signer_writer w;
	struct signer_msg reply;

	signer_writer_init(&w, SIGNER_OP_KEY_INFO);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key);
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	if (signer_get_str(&reply, SIGNER_TAG_NAME_RULES, out, len) != 0)
		out[0] = '\0';
	signer_msg_free(&reply);
}

/* What a compromised server could do: talk to the signer itself. The
 * CA's key refuses names outside its rules, and no request widens them. */
static void
test_signer_refuses_outside_rules(void **state)
{
	char key[65], text[2048], other[65];
	char *evil = make_csr("EC-P256", "login.microsoftonline.com", NULL, NULL);
	char *evil_san = make_csr("EC-P256", "s9.devices.contoso.com", "IP:10.0.0.1", NULL);
	char *good = make_csr("EC-P256", "s9.devices.contoso.com", NULL, NULL);
	struct signer_writer w;
	struct signer_msg reply;
	int fd = wire_connect(in.signer_socket);

	wire_key_of(&in, ca_id, NULL, key);
	key_rules(fd, key, text, sizeof(text));
	assert_string_equal(text, RULES_TEXT);
	assert_int_equal(wire_issue(fd, key, "ssl", evil, time(NULL) + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "name-not-allowed");
	assert_int_equal(wire_issue(fd, key, "client", evil, time(NULL) + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "name-not-allowed");
	assert_int_equal(wire_issue(fd, key, "ssl", evil_san, time(NULL) + 86400, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_POLICY, "name-not-allowed");
	assert_int_equal(wire_issue(fd, key, "ssl", good, time(NULL) + 86400, &reply), 0);
	assert_int_equal(reply.type, SIGNER_REPLY_OK);
	signer_msg_free(&reply);
	/* a key made without rules has none; malformed rules make no key */
	wire_key_create(fd, "client", 30, other);
	key_rules(fd, other, text, sizeof(text));
	assert_string_equal(text, "");
	signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
	signer_put_str(&w, SIGNER_TAG_ALGORITHM, "EC-P256");
	signer_put_str(&w, SIGNER_TAG_TEMPLATES, "client");
	signer_put_u32(&w, SIGNER_TAG_MAX_VALIDITY_DAYS, 30);
	signer_put_str(&w, SIGNER_TAG_NAME_RULES, "dns_names=*.example;dns_names=*");
	assert_int_equal(wire_exchange(fd, &w, &reply), 0);
	wire_expect_error(&reply, SIGNER_E_INVALID, "policy-invalid");
	close(fd);
	free(evil);
	free(evil_san);
	free(good);
}

/* A renewal makes the location a new signer key: it carries the rules. */
static void
test_renewal_key_keeps_rules(void **state)
{
	char before[65], after[65], text[2048], path[160];
	struct http_response r;
	int fd;

	wire_key_of(&in, ca_id, NULL, before);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", ca_id);
	assert_int_equal(http_post_json(&in, path, in.admin_token, "{}", &r), 200);
	http_response_free(&r);
	wire_key_of(&in, ca_id, NULL, after);
	assert_string_not_equal(before, after);
	fd = wire_connect(in.signer_socket);
	key_rules(fd, after, text, sizeof(text));
	assert_string_equal(text, RULES_TEXT);
	close(fd);
	assert_int_equal(issue_rest("/CN=dev2", NULL, "client", "name-not-allowed", "dev2"), 422);
	assert_int_equal(issue_rest("/CN=s5.devices.contoso.com", NULL, "client", NULL, NULL), 201);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_given_checked_and_shown),
		cmocka_unit_test(test_rest_issuance),
		cmocka_unit_test(test_est_enrollment),
		cmocka_unit_test(test_signer_refuses_outside_rules),
		cmocka_unit_test(test_renewal_key_keeps_rules),
	};
	return fixture_run_tests(tests, &fx);
}
