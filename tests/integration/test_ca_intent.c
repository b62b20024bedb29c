/* CA certificates only by intent: a requester token never gets a CA
 * certificate over REST, whatever the template is called or defaulted to;
 * a pki_admin gets an IoT Edge CA certificate only for a device the CA
 * knows, and signs an external subordinate's CSR only through its own
 * operation, always with a path length; a subordinate edgeca chains that
 * may sign no CA template gets pathlen 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509v3.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

static struct instance in;
static char requester[128], auditor[128];
static char root_id[64], edge_id[64];

static void
fixture_ready(void)
{
	char *body;

	/* the issuing CA docs/est.md recommends for IoT Edge fleets */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Edge Fleet CA\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"client\", "
	          "\"allowed_templates\": [\"client\", \"iot_edge_ca\"]}}", root_id);
	http_create_ca(&in, body, edge_id);
	free(body);
}

static const struct fixture fx = {
	.in = &in,
	.name = "ca_intent",
	.tokens = {
		{"requester", "req1", requester, sizeof(requester)},
		{"auditor", "aud1", auditor, sizeof(auditor)},
	},
	/* a root created with defaults: its template is subordinate_ca */
	.ca_json = "{\"common_name\": \"Default Root\"}",
	.ca_id = root_id,
	.ready = fixture_ready,
};

/* POSTs a new key's CSR with CN cn to ca_id's path (e.g. "certificates")
 * as token: JSON with the members extra ("" for none, else starting with
 * a comma) or, when query is given, raw application/pkcs10 with that
 * query. Returns the status; the answer in *r. */
static long
post_csr(const char *token, const char *ca_id, const char *what, const char *cn,
         const char *extra, const char *query, EVP_PKEY **key, struct http_response *r)
{
	char *csr = make_csr("EC-P256", cn, NULL, key), *path, *body = NULL;
	long status;

	if (query != NULL) {
		xasprintf(&path, "/api/v1/cas/%s/%s%s", ca_id, what, query);
		status = http_call(&in, "POST", path, token, "application/pkcs10", csr, strlen(csr), r);
	} else {
		json_t *j = json_pack("{s:s}", "csr", csr);
		char *text = json_dumps(j, 0);

		xasprintf(&path, "/api/v1/cas/%s/%s", ca_id, what);
		/* the members after csr go in as given */
		text[strlen(text) - 1] = '\0';
		xasprintf(&body, "%s%s}", text, extra);
		status = http_call(&in, "POST", path, token, "application/json", body, strlen(body), r);
		free(text);
		json_decref(j);
	}
	free(body);
	free(path);
	free(csr);
	return status;
}

/* Expects want and, when slug is given, that problem type. */
static void
expect(long want, const char *slug, const char *token, const char *ca_id, const char *what,
       const char *cn, const char *extra, const char *query)
{
	struct http_response r;

	http_expect(want, slug, post_csr(token, ca_id, what, cn, extra, query, NULL, &r), &r);
}

static char *
count_sql(const char *where)
{
	return instance_sql(&in, "SELECT count(*) FROM certificates WHERE %s", where);
}

/* HIGH-1: a requester gets no CA certificate, neither from a root's
 * default template nor by naming subordinate_ca or iot_edge_ca; it still
 * gets device certificates. Nothing refused is stored. */
static void
test_requester_never_gets_a_ca_certificate(void **state)
{
	char *n;

	(void)state;
	/* (a) the default root: no template, the default is subordinate_ca */
	expect(403, "ca-certificate-forbidden", requester, root_id, "certificates", "Evil Sub CA",
	       NULL, "");
	expect(403, "ca-certificate-forbidden", requester, root_id, "certificates", "Evil Sub CA",
	       "", NULL);
	expect(403, "ca-certificate-forbidden", requester, root_id, "certificates", "Evil Sub CA",
	       NULL, "?template=subordinate_ca");
	expect(403, "ca-certificate-forbidden", requester, root_id, "certificates", "Evil Sub CA",
	       ", \"template\": \"subordinate_ca\"", NULL);
	/* (b) the Edge CA template, for any CN, a known device's included */
	X509_free(http_issue_cert(&in, edge_id, "edge-device-victim", NULL, NULL));
	expect(403, "ca-certificate-forbidden", requester, edge_id, "certificates",
	       "Totally Not A CA", NULL, "?template=iot_edge_ca");
	expect(403, "ca-certificate-forbidden", requester, edge_id, "certificates",
	       "aziot-edge CA some-other-device", ", \"template\": \"iot_edge_ca\"", NULL);
	expect(403, "ca-certificate-forbidden", requester, edge_id, "certificates",
	       "aziot-edge CA edge-device-victim", ", \"template\": \"iot_edge_ca\"", NULL);
	/* a CA template the CA does not even allow: still the role's answer */
	expect(403, "ca-certificate-forbidden", requester, edge_id, "certificates", "Evil Sub CA",
	       ", \"template\": \"subordinate_ca\"", NULL);
	/* device certificates as before */
	expect(201, NULL, requester, edge_id, "certificates", "edge-device-002", "", NULL);
	expect(201, NULL, requester, edge_id, "certificates", "edge-device-003", NULL, "");
	n = count_sql("requester = 'token:req1' AND template IN ('subordinate_ca', 'iot_edge_ca')");
	assert_string_equal(n, "0");
	free(n);
}

/* Over REST an IoT Edge CA certificate goes to a pki_admin, for one CN
 * "aziot-edge CA <device id>" of a device holding a valid certificate of
 * this CA: not for any CN, an unknown, revoked or expired device, or a CA
 * certificate's CN. */
static void
test_admin_edge_ca_only_for_a_known_device(void **state)
{
	const char *tpl = ", \"template\": \"iot_edge_ca\"";
	char serial[80], other_id[64], *n;
	struct http_response r;
	EVP_PKEY *key = NULL;
	X509 *device, *edge;

	(void)state;
	expect(422, "iot-edge-ca-subject", in.admin_token, edge_id, "certificates",
	       "Totally Not A CA", tpl, NULL);
	expect(422, "iot-edge-ca-subject", in.admin_token, edge_id, "certificates",
	       "aziot-edge CA ", tpl, NULL);
	expect(422, "iot-edge-ca-unknown-device", in.admin_token, edge_id, "certificates",
	       "aziot-edge CA unknown-device", tpl, NULL);
	device = http_issue_cert(&in, edge_id, "edge-device-001", &key, serial);
	assert_int_equal(post_csr(in.admin_token, edge_id, "certificates",
	                          "aziot-edge CA edge-device-001", tpl, NULL, NULL, &r),
	                 201);
	assert_string_equal(http_json_str(&r, "template"), "iot_edge_ca");
	edge = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_int_equal(X509_check_ca(edge), 1);
	assert_int_equal(X509_get_pathlen(edge), 0);
	http_response_free(&r);
	/* the Edge CA certificate itself is no device */
	expect(422, "iot-edge-ca-unknown-device", in.admin_token, edge_id, "certificates",
	       "aziot-edge CA aziot-edge CA edge-device-001", tpl, NULL);
	/* an expired device certificate (its notAfter moved into the past) */
	n = instance_sql(&in, "UPDATE certificates SET not_after = now() - interval '1 second' "
	                      "WHERE ca_id = '%s' AND serial = '%s' RETURNING 1", edge_id, serial);
	free(n);
	expect(422, "iot-edge-ca-unknown-device", in.admin_token, edge_id, "certificates",
	       "aziot-edge CA edge-device-001", tpl, NULL);
	/* a revoked one */
	X509_free(http_issue_cert(&in, edge_id, "edge-device-004", NULL, serial));
	expect(201, NULL, in.admin_token, edge_id, "certificates", "aziot-edge CA edge-device-004",
	       tpl, NULL);
	http_revoke(&in, edge_id, serial, "keyCompromise");
	expect(422, "iot-edge-ca-unknown-device", in.admin_token, edge_id, "certificates",
	       "aziot-edge CA edge-device-004", tpl, NULL);
	/* a device of another CA of this edgeca */
	http_create_ca(&in, "{\"common_name\": \"Other Devices Root\", \"issuance\": "
	                    "{\"template\": \"client\"}}", other_id);
	X509_free(http_issue_cert(&in, other_id, "other-device", NULL, NULL));
	expect(422, "iot-edge-ca-unknown-device", in.admin_token, edge_id, "certificates",
	       "aziot-edge CA other-device", tpl, NULL);
	X509_free(edge);
	X509_free(device);
	EVP_PKEY_free(key);
}

/* The audit rows of one certificate of ca_id, as "action,action". */
static char *
audit_actions(const char *ca_id, const char *serial)
{
	return instance_sql(&in, "SELECT string_agg(action, ',' ORDER BY id) FROM audit_events "
	                         "WHERE object_type = 'certificate' AND object_id = '%s/%s'",
	                    ca_id, serial);
}

/* A pki_admin signs an external subordinate CA's CSR, with the path
 * length it asks: the chain verifies, the path length holds for relying
 * parties, the certificate is stored, listed, revocable and audited as
 * ca.sign_subordinate. Anything else is refused with its reason. */
static void
test_sign_external_subordinate(void **state)
{
	char constrained[64], client_ca[64], serial[80], path[200], *s;
	EVP_PKEY *sub_key = NULL, *leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509 *root, *sub, *leaf, *below;
	struct http_response r;

	(void)state;
	http_create_ca(&in, "{\"common_name\": \"Constrained Root\", \"path_length\": 1}",
	               constrained);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificate", constrained);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	root = pem_cert((const char *)r.body);
	http_response_free(&r);
	assert_int_equal(post_csr(in.admin_token, constrained, "subordinate-certificates",
	                          "Appliance Issuing CA", ", \"path_length\": 0, "
	                          "\"validity_days\": 365", NULL, &sub_key, &r),
	                 201);
	assert_string_equal(http_json_str(&r, "template"), "subordinate_ca");
	assert_string_equal(http_json_str(&r, "status"), "valid");
	snprintf(serial, sizeof(serial), "%s", http_json_str(&r, "serial_number"));
	assert_non_null(http_header(&r, "location"));
	sub = pem_cert(http_json_str(&r, "certificate_pem"));
	http_response_free(&r);
	assert_int_equal(X509_check_ca(sub), 1);
	assert_int_equal(X509_get_pathlen(sub), 0);
	assert_int_equal(verify_chain(sub, NULL, root), X509_V_OK);
	/* what the subordinate signs chains to the root; a CA below it does not */
	leaf = pki_make_cert("appliance-device-1", leaf_key, sub, sub_key, false, "clientAuth", 30);
	assert_true(sk_X509_push(untrusted, sub) > 0);
	assert_int_equal(verify_chain(leaf, untrusted, root), X509_V_OK);
	below = pki_make_cert("Rogue Below", leaf_key, sub, sub_key, true, NULL, 30);
	X509_free(leaf);
	leaf = pki_make_cert("rogue-device", leaf_key, below, leaf_key, false, "clientAuth", 30);
	assert_true(sk_X509_push(untrusted, below) > 0);
	assert_int_equal(verify_chain(leaf, untrusted, root), X509_V_ERR_PATH_LENGTH_EXCEEDED);
	/* audited as its own action, not as an ordinary issuance */
	s = audit_actions(constrained, serial);
	assert_string_equal(s, "ca.sign_subordinate");
	free(s);
	s = instance_sql(&in, "SELECT details->>'path_length' || ' ' || (details->>'subject') "
	                      "FROM audit_events WHERE action = 'ca.sign_subordinate' "
	                      "AND object_id = '%s/%s'", constrained, serial);
	assert_string_equal(s, "0 CN=Appliance Issuing CA");
	free(s);
	/* listed with its template, and revocable like any certificate */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates?status=valid", constrained);
	assert_int_equal(http_get(&in, path, auditor, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	                        json_object_get(r.json, "items"), 0), "serial_number")), serial);
	http_response_free(&r);
	http_revoke(&in, constrained, serial, "cACompromise");
	/* the raw form, the path length in the query */
	expect(201, NULL, in.admin_token, constrained, "subordinate-certificates", "Raw Sub CA", NULL,
	       "?path_length=0&validity_days=30");
	/* refusals */
	expect(422, "path-length-exceeded", in.admin_token, constrained, "subordinate-certificates",
	       "Greedy Sub CA", ", \"path_length\": 1", NULL);
	expect(422, "missing-field", in.admin_token, constrained, "subordinate-certificates",
	       "No Length CA", "", NULL);
	expect(422, "missing-field", in.admin_token, constrained, "subordinate-certificates",
	       "No Length CA", NULL, "");
	expect(422, "invalid-field", in.admin_token, root_id, "subordinate-certificates",
	       "Long Sub CA", ", \"path_length\": 17", NULL);
	expect(400, "unknown-field", in.admin_token, root_id, "subordinate-certificates",
	       "Typed Sub CA", ", \"path_length\": 0, \"template\": \"client\"", NULL);
	expect(400, "invalid-parameter", in.admin_token, root_id, "subordinate-certificates",
	       "Typed Sub CA", NULL, "?path_length=0&template=client");
	expect(403, "forbidden", requester, root_id, "subordinate-certificates", "Evil Sub CA",
	       ", \"path_length\": 0", NULL);
	expect(403, "forbidden", auditor, root_id, "subordinate-certificates", "Evil Sub CA",
	       ", \"path_length\": 0", NULL);
	http_create_ca(&in, "{\"common_name\": \"Device Root\", \"issuance\": {\"template\": "
	                    "\"client\"}}", client_ca);
	expect(422, "template-not-allowed", in.admin_token, client_ca, "subordinate-certificates",
	       "Any Sub CA", ", \"path_length\": 0", NULL);
	/* and issuance no longer makes subordinate CAs, for anyone */
	expect(422, "subordinate-ca-not-issued-here", in.admin_token, root_id, "certificates",
	       "Admin Sub CA", "", NULL);
	expect(400, "unknown-field", in.admin_token, root_id, "certificates", "Admin Sub CA",
	       ", \"path_length\": 0", NULL);
	s = instance_sql(&in, "SELECT count(*) FROM certificates WHERE ca_id = '%s' AND "
	                      "template = 'subordinate_ca' AND status = 'valid'", constrained);
	assert_string_equal(s, "1"); /* the raw one; the first is revoked */
	free(s);
	sk_X509_free(untrusted);
	X509_free(leaf);
	X509_free(below);
	X509_free(sub);
	X509_free(root);
	EVP_PKEY_free(sub_key);
	EVP_PKEY_free(leaf_key);
}

/* The pathLenConstraint of location name's certificate in a CA answer. */
static long
location_pathlen(const struct http_response *r, const char *name)
{
	X509 *x = http_location_cert(r, name);
	long n = X509_get_pathlen(x);

	X509_free(x);
	return n;
}

/* A subordinate edgeca chains (at creation, later with /chain, at
 * renewal) whose policy allows no CA template gets pathlen 0, as a root
 * does; one that may sign Edge CAs keeps the most its parent allows. */
static void
test_client_only_subordinate_gets_pathlen_0(void **state)
{
	char *body, path[160], pending_id[64];
	struct http_response r;

	(void)state;
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Client Only CA\", "
	          "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"client\"}}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	free(body);
	assert_int_equal(location_pathlen(&r, "default"), 0);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", http_json_str(&r, "id"));
	http_response_free(&r);
	r = http_post_expect(&in, path, "{}", 200);
	assert_int_equal(location_pathlen(&r, "default"), 0);
	http_response_free(&r);
	/* chained after its creation */
	http_create_ca(&in, "{\"kind\": \"subordinate\", \"common_name\": \"Later Client CA\", "
	                    "\"issuance\": {\"template\": \"ssl\"}}", pending_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/chain", pending_id);
	xasprintf(&body, "{\"parent_ca_id\": \"%s\"}", root_id);
	r = http_post_expect(&in, path, body, 200);
	free(body);
	assert_int_equal(location_pathlen(&r, "default"), 0);
	http_response_free(&r);
	/* the Edge fleet CA may sign iot_edge_ca: unconstrained below this root */
	snprintf(path, sizeof(path), "/api/v1/cas/%s", edge_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_int_equal(location_pathlen(&r, "default"), -1);
	http_response_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requester_never_gets_a_ca_certificate),
		cmocka_unit_test(test_admin_edge_ca_only_for_a_known_device),
		cmocka_unit_test(test_sign_external_subordinate),
		cmocka_unit_test(test_client_only_subordinate_gets_pathlen_0),
	};
	return fixture_run_tests(tests, &fx);
}
