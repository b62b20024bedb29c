/* A key's first CRL exists when the operation that made it publish
 * answers, against the real server, signer and PostgreSQL: a root's
 * creation, a subordinate chained at creation and by POST .../chain, an
 * upload from an external root (first certificate and renewal), a renewal
 * by an internal parent, CRLs turned on by PATCH. The scheduler is slowed
 * down (no revocation is due for ten minutes, no lifecycle pass for a
 * day), and each distribution point is fetched the moment the answer
 * arrives: it serves a CRL that verifies with the CA certificate, and a
 * relying party checking a certificate the CA issued finds it there. A
 * first CRL that cannot be made (signer down) leaves the operation done,
 * says so in the answer's warnings, and is made by the scheduler later. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509v3.h>

#include "tests/integration/external_root.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/integration/public_crl.h"

static struct instance in;
static struct external_root root;

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

static const struct fixture fx = {
	.in = &in,
	.name = "crl_first",
	.env = {
		"EDGECA_SCHEDULER_INTERVAL=86400",
		"EDGECA_CRL_DELAY_MS=600000",
	},
	.ready = fixture_ready,
	.done = fixture_done,
};

/* ---- helpers --------------------------------------------------------------- */

/* Fails unless an operation's answer r has an empty warnings array. */
static void
expect_no_warnings(const struct http_response *r)
{
	json_t *w = json_object_get(r->json, "warnings");

	assert_true(json_is_array(w));
	assert_int_equal(json_array_size(w), 0);
}

/* The CRL served at file of ca_id right now, which must exist, verify with
 * the CA certificate ca and be issued by it, and list nothing yet. */
static X509_CRL *
served_crl(const char *ca_id, const char *file, X509 *ca)
{
	X509_CRL *crl = public_crl_fetch(&in, ca_id, file);

	if (crl == NULL)
		fail_msg("CA %s: %s answers 404 right after the operation answered", ca_id, file);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)), 0);
	assert_true(X509_cmp_time(X509_CRL_get0_nextUpdate(crl), NULL) > 0);
	assert_null(X509_CRL_get_REVOKED(crl)); /* empty: the list is left out */
	return crl;
}

/* What a relying party that checks CRLs decides for leaf under anchor,
 * through the CA certificates untrusted, with crls (leaf's issuer's
 * first): X509_V_OK or the error. */
static int
verify_with_crls(X509 *leaf, STACK_OF(X509) *untrusted, X509 *anchor, X509_CRL *const *crls,
                 int n_crls, bool whole_chain)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;

	assert_non_null(store);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(store, anchor), 1);
	for (int i = 0; i < n_crls; i++)
		assert_int_equal(X509_STORE_add_crl(store, crls[i]), 1);
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
	                                (whole_chain ? X509_V_FLAG_CRL_CHECK_ALL : 0));
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

/* Creates a CA from body (its answer without warnings); id receives its
 * id. Returns its CA certificate, NULL while it waits to be chained. */
static X509 *
create(const char *body, char id[64])
{
	struct http_response r = http_post_expect(&in, "/api/v1/cas", body, 201);
	const char *pem = http_json_str(&r, "certificate_pem");
	X509 *x = pem != NULL ? pem_cert(pem) : NULL;

	expect_no_warnings(&r);
	snprintf(id, 64, "%s", http_json_str(&r, "id"));
	assert_true(pem == NULL || x != NULL);
	http_response_free(&r);
	return x;
}

static char *
get_csr(const char *ca_id)
{
	struct http_response r;
	char path[160], *pem;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/default/csr", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	xasprintf(&pem, "%.*s", (int)r.body_len, r.body);
	http_response_free(&r);
	return pem;
}

/* Has the external root sign the CSR the default location waits with and
 * uploads it with the root as chain (200, no warnings); the location's
 * certificate in the answer. */
static X509 *
upload_signed(const char *ca_id)
{
	char *csr = get_csr(ca_id), *pem = external_root_sign(&root, csr, EXTERNAL_CA_EXT, 365);
	char *bundle, path[256];
	struct http_response r;
	X509 *x;

	xasprintf(&bundle, "%s%s", pem, root.pem);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/default/certificate", ca_id);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token,
	                           "application/pem-certificate-chain", bundle, strlen(bundle), &r),
	                 200);
	expect_no_warnings(&r);
	x = http_location_cert(&r, "default");
	http_response_free(&r);
	free(bundle);
	free(pem);
	free(csr);
	return x;
}

static long
patch(struct instance *inst, const char *path, const char *json, struct http_response *r)
{
	return http_call(inst, "PATCH", path, inst->admin_token, "application/json", json,
	                 strlen(json), r);
}

/* ---- tests ----------------------------------------------------------------- */

/* A root CA: its CRL is served as soon as its creation answers, and a
 * relying party checking the first certificate it issues finds it there
 * and accepts the certificate. */
static void
test_root_creation(void **state)
{
	struct http_response r;
	char ca_id[64], path[160];
	X509 *ca, *leaf;
	X509_CRL *crl;

	(void)state;
	ca = create("{\"common_name\": \"First CRL Root\", \"issuance\": {\"template\": "
	            "\"client\"}}", ca_id);
	crl = served_crl(ca_id, "default.crl", ca);
	leaf = http_issue_cert(&in, ca_id, "first-crl-device", NULL, NULL);
	assert_int_equal(verify_with_crls(leaf, NULL, ca, &crl, 1, false), X509_V_OK);
	/* API clients see the same CRL */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	http_response_free(&r);
	/* reads carry no warnings: only the answers of operations do */
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_null(json_object_get(r.json, "warnings"));
	http_response_free(&r);
	X509_CRL_free(crl);
	X509_free(leaf);
	X509_free(ca);
}

/* Subordinates chained inside edgeca, at creation and by POST .../chain:
 * each location's CRL is served when the answer arrives, and a device
 * certificate checked with the CRLs of the whole chain verifies. */
static void
test_internal_chaining(void **state)
{
	char root_id[64], sub_id[64], later_id[64], body[512], path[160];
	struct http_response r;
	X509 *root_ca, *sub_ca, *later_ca, *leaf;
	X509_CRL *crls[2];
	STACK_OF(X509) *untrusted = sk_X509_new_null();

	(void)state;
	root_ca = create("{\"common_name\": \"First CRL Parent\"}", root_id);
	snprintf(body, sizeof(body), "{\"kind\": \"subordinate\", \"common_name\": \"First CRL "
	         "Issuing\", \"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"client\"}}",
	         root_id);
	sub_ca = create(body, sub_id);
	crls[0] = served_crl(sub_id, "default.crl", sub_ca);
	crls[1] = served_crl(root_id, "default.crl", root_ca);
	leaf = http_issue_cert(&in, sub_id, "first-crl-sub-device", NULL, NULL);
	assert_int_equal(sk_X509_push(untrusted, sub_ca), 1);
	assert_int_equal(verify_with_crls(leaf, untrusted, root_ca, crls, 2, true), X509_V_OK);
	X509_CRL_free(crls[0]);

	/* created waiting, then chained: no CRL before, one at the answer */
	assert_null(create("{\"kind\": \"subordinate\", \"common_name\": \"First CRL Later\"}",
	                   later_id));
	snprintf(path, sizeof(path), "/crl/%s/default.crl", later_id);
	http_expect(404, "crl-not-found", http_get(&in, path, NULL, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/chain", later_id);
	snprintf(body, sizeof(body), "{\"parent_ca_id\": \"%s\"}", root_id);
	r = http_post_expect(&in, path, body, 200);
	expect_no_warnings(&r);
	later_ca = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(later_ca);
	http_response_free(&r);
	X509_CRL_free(served_crl(later_id, "default.crl", later_ca));

	X509_CRL_free(crls[1]);
	sk_X509_free(untrusted);
	X509_free(later_ca);
	X509_free(leaf);
	X509_free(sub_ca);
	X509_free(root_ca);
}

/* A subordinate renewed by its internal parent: the new key's CRL
 * (default.2.crl) is served when the renewal answers, signed by the new
 * certificate, and the first key's CRL is still served. */
static void
test_internal_renewal(void **state)
{
	char root_id[64], sub_id[64], body[512], path[160];
	struct http_response r;
	X509 *first, *renewed;

	(void)state;
	X509_free(create("{\"common_name\": \"Renewing Parent\"}", root_id));
	snprintf(body, sizeof(body), "{\"kind\": \"subordinate\", \"common_name\": \"Renewed "
	         "Issuing\", \"parent_ca_id\": \"%s\"}", root_id);
	first = create(body, sub_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", sub_id);
	r = http_post_expect(&in, path, "{}", 200);
	expect_no_warnings(&r);
	renewed = http_location_cert(&r, "default");
	http_response_free(&r);
	assert_int_not_equal(X509_cmp(first, renewed), 0);
	X509_CRL_free(served_crl(sub_id, "default.2.crl", renewed));
	X509_CRL_free(served_crl(sub_id, "default.crl", first));
	X509_free(renewed);
	X509_free(first);
}

/* A subordinate under an external root: the uploaded certificate
 * activates the location and its CRL is served when the upload answers;
 * the same for the certificate of a renewal. */
static void
test_external_uploads(void **state)
{
	char ca_id[64], path[160];
	struct http_response r;
	X509 *first, *renewed;

	(void)state;
	assert_null(create("{\"kind\": \"subordinate\", \"common_name\": \"First CRL Plant\"}",
	                   ca_id));
	first = upload_signed(ca_id);
	X509_CRL_free(served_crl(ca_id, "default.crl", first));

	/* the renewal waits for the root: no new CRL until its upload */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", ca_id);
	r = http_post_expect(&in, path, "{}", 200);
	expect_no_warnings(&r);
	http_response_free(&r);
	assert_null(public_crl_fetch(&in, ca_id, "default.2.crl"));
	renewed = upload_signed(ca_id);
	assert_int_not_equal(X509_cmp(first, renewed), 0);
	X509_CRL_free(served_crl(ca_id, "default.2.crl", renewed));
	X509_free(renewed);
	X509_free(first);
}

/* CRLs turned on by PATCH: the CRL is served when the PATCH answers;
 * a PATCH of other settings says nothing about CRLs. */
static void
test_patch_turns_crls_on(void **state)
{
	char ca_id[64], path[160];
	struct http_response r;
	X509 *ca;

	(void)state;
	ca = create("{\"common_name\": \"Late CRL Root\", \"crl\": {\"enabled\": false}}", ca_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(patch(&in, path, "{\"crl\": {\"enabled\": true}}", &r), 200);
	expect_no_warnings(&r);
	http_response_free(&r);
	X509_CRL_free(served_crl(ca_id, "default.crl", ca));
	assert_int_equal(patch(&in, path, "{\"lifecycle\": {\"threshold_percent\": 70}}", &r),
	                 200);
	assert_null(json_object_get(r.json, "warnings"));
	http_response_free(&r);
	X509_free(ca);
}

/* With the signer down, CRLs turned on cannot get their first CRL: the
 * change is made (200), the answer's warnings say which CRL failed and
 * why, the server logs it, the scheduler notifies crl_generation_failed,
 * and it makes the CRL once the signer is back. An instance whose
 * scheduler retries every second plays the scheduler here. */
static void
test_first_crl_failure(void **state)
{
	struct instance quick = {0};
	char ca_id[64], path[160], logpath[300], *log, *n;
	struct http_response r;
	const char *warning;
	X509_CRL *crl = NULL;

	(void)state;
	quick.extra_env[0] = "EDGECA_SCHEDULER_INTERVAL=1";
	instance_start(&quick);
	assert_int_equal(http_post_json(&quick, "/api/v1/cas", quick.admin_token,
	                                "{\"common_name\": \"Failing First CRL\", "
	                                "\"crl\": {\"enabled\": false}}", &r), 201);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	instance_stop_signer(&quick);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	assert_int_equal(patch(&quick, path, "{\"crl\": {\"enabled\": true}}", &r), 200);
	assert_true(json_is_true(json_object_get(json_object_get(r.json, "crl"), "enabled")));
	assert_int_equal(json_array_size(json_object_get(r.json, "warnings")), 1);
	warning = json_string_value(json_array_get(json_object_get(r.json, "warnings"), 0));
	assert_non_null(strstr(warning, "first CRL of location default (key generation 1)"));
	assert_non_null(strstr(warning, "signer"));
	assert_non_null(strstr(warning, "crl_generation_failed"));
	http_response_free(&r);
	snprintf(path, sizeof(path), "/crl/%s/default.crl", ca_id);
	http_expect(404, "crl-not-found", http_get(&quick, path, NULL, &r), &r);
	snprintf(logpath, sizeof(logpath), "%s/server.log", quick.data_dir);
	log = read_file(logpath, NULL);
	assert_non_null(strstr(log, "ca_first_crls: ca="));
	free(log);
	/* the scheduler keeps at it: notified once, made with the signer back */
	for (int i = 0; i < 80; i++) {
		n = instance_sql(&quick, "SELECT count(*) FROM notifications WHERE ca_id = '%s' AND "
		                         "kind = 'crl_generation_failed'", ca_id);
		if (strcmp(n, "1") == 0)
			break;
		free(n);
		n = NULL;
		usleep(250000);
	}
	assert_non_null(n);
	free(n);
	instance_start_signer(&quick);
	for (int i = 0; i < 200 && crl == NULL; i++) {
		crl = public_crl_fetch(&quick, ca_id, "default.crl");
		if (crl == NULL)
			usleep(100000);
	}
	assert_non_null(crl);
	n = instance_sql(&quick, "SELECT created_by FROM crl_history WHERE ca_id = '%s'", ca_id);
	assert_string_equal(n, "scheduler");
	free(n);
	X509_CRL_free(crl);
	instance_destroy(&quick);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_creation),
		cmocka_unit_test(test_internal_chaining),
		cmocka_unit_test(test_internal_renewal),
		cmocka_unit_test(test_external_uploads),
		cmocka_unit_test(test_patch_turns_crls_on),
		cmocka_unit_test(test_first_crl_failure),
	};

	return fixture_run_tests(tests, &fx);
}
