/* edgeca on two machines: pair A (server and signer) and pair B, each with
 * its own data directory, ports and signer, on one PostgreSQL and with
 * copies of one KEK and one secrets key (instance_start_pair). Every CA is
 * served by both pairs whichever created it: REST issuance, revocation,
 * CRLs and EST enrollment through B, also once A is gone entirely.
 * Serials stay distinct and each CA key's CRL numbers only grow, whichever
 * pair built the CRL. The pairs' schedulers side by side:
 * test_two_schedulers.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "tests/integration/est_client.h"
#include "tests/integration/public_crl.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

#define MAX_CERTS 16
#define MAX_CRLS 16

static struct instance a, b;

/* Every certificate issued, whichever pair and protocol issued it, and
 * the keys made for them: freed at the end, also when a test fails. */
static X509 *issued[MAX_CERTS];
static EVP_PKEY *keys[MAX_CERTS];
static size_t n_issued, n_keys;

/* The CRL numbers seen of one CA location, in the order they were built. */
struct crl_numbers {
	long seen[MAX_CRLS];
	size_t n;
};

static int
setup(void **state)
{
	(void)state;
	http_set_test_name("two_machines");
	a.extra_env[0] = "EDGECA_CRL_DELAY_MS=300";
	instance_start(&a);
	instance_start_pair(&b, &a);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_issued; i++)
		X509_free(issued[i]);
	for (size_t i = 0; i < n_keys; i++)
		EVP_PKEY_free(keys[i]);
	instance_destroy_pair(&b);
	instance_destroy(&a);
	return 0;
}

static void
keep(X509 *x)
{
	assert_non_null(x);
	assert_true(n_issued < MAX_CERTS);
	issued[n_issued++] = x;
}

static EVP_PKEY *
keep_key(EVP_PKEY *k)
{
	assert_non_null(k);
	assert_true(n_keys < MAX_CERTS);
	keys[n_keys++] = k;
	return k;
}

/* Fails the test with an answer's status and body, r freed. */
static void
refused(const char *what, const struct instance *in, long status, struct http_response *r)
{
	char body[600];

	snprintf(body, sizeof(body), "%.*s", (int)r->body_len,
	         r->body != NULL ? (const char *)r->body : "");
	http_response_free(r);
	fail_msg("%s through %s: %ld %s", what, in->base_url, status, body);
}

/* A certificate of ca_id for a new key (borrowed, in *key when not
 * NULL), issued from a CSR through in; the problem's detail in the
 * failure when it is refused. */
static X509 *
issue(struct instance *in, const char *ca_id, const char *cn, EVP_PKEY **key, char serial[80])
{
	EVP_PKEY *k = NULL;
	char path[128], *csr = make_csr("EC-P256", cn, NULL, &k);
	struct http_response r;
	long status;
	X509 *x;

	keep_key(k);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	status = http_call(in, "POST", path, in->admin_token, "application/pkcs10", csr, strlen(csr),
	                   &r);
	free(csr);
	if (status != 201) {
		snprintf(path, sizeof(path), "issuance under CA %s", ca_id);
		refused(path, in, status, &r);
	}
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	if (serial != NULL)
		snprintf(serial, 80, "%s", http_json_str(&r, "serial_number"));
	http_response_free(&r);
	keep(x);
	if (key != NULL)
		*key = k;
	return x;
}

/* A certificate of ca_id issued and revoked through in; its serial in
 * serial. */
static void
issue_revoked(struct instance *in, const char *ca_id, const char *cn, const char *reason,
              char serial[80])
{
	issue(in, ca_id, cn, NULL, serial);
	http_revoke(in, ca_id, serial, reason);
}

static void
create_ca(struct instance *in, const char *body, char id[64])
{
	struct http_response r;
	long status = http_call(in, "POST", "/api/v1/cas", in->admin_token, "application/json",
	                        body, strlen(body), &r);

	if (status != 201)
		refused("CA creation", in, status, &r);
	snprintf(id, 64, "%s", http_json_str(&r, "id"));
	http_response_free(&r);
}

/* Waits for a CRL of ca_id through in numbered above the last seen that
 * lists serial (any CRL when NULL), and records its number. */
static void
crl_through(struct instance *in, const char *ca_id, const char *serial, struct crl_numbers *nums)
{
	long after = nums->n > 0 ? nums->seen[nums->n - 1] : 0;
	X509_CRL *crl = public_crl_wait_newer(in, ca_id, "default.crl", after, serial);

	assert_true(nums->n < MAX_CRLS);
	nums->seen[nums->n] = crl_number(crl);
	assert_true(nums->seen[nums->n] > after);
	nums->n++;
	X509_CRL_free(crl);
}

/* simpleenroll through in's EST listener as aziot does, authenticated by
 * cert/key (a certificate edgeca issued); a new key (borrowed, in
 * *new_key) for the same CN. */
static X509 *
est_enroll(struct instance *in, const char *base, X509 *cert, EVP_PKEY *key, const char *cn,
           EVP_PKEY **new_key)
{
	struct est_tls tls = {.cert = cert, .key = key};
	X509_REQ *csr = est_make_csr(cn, true, new_key);
	struct http_response r;
	STACK_OF(X509) *certs;
	long status;
	X509 *x;

	keep_key(*new_key);
	status = est_aziot_enroll(in, &tls, base, csr, &r);
	X509_REQ_free(csr);
	if (status != 200)
		refused("simpleenroll", in, status, &r);
	certs = est_pkcs7_certs(&r);
	http_response_free(&r);
	assert_non_null(certs);
	x = sk_X509_shift(certs);
	sk_X509_pop_free(certs, X509_free);
	keep(x);
	return x;
}

/* Each CA key's CRL numbers in crl_history are distinct, whichever pair
 * built them. */
static void
crl_numbers_distinct(const char *ca_id)
{
	char *dup = instance_sql(&a, "SELECT count(*) - count(DISTINCT crl_number) FROM crl_history "
	                         "WHERE ca_id = '%s'", ca_id);

	assert_non_null(dup);
	assert_string_equal(dup, "0");
	free(dup);
}

static void
test_every_ca_through_either_pair(void **state)
{
	char root_id[64], sub_id[64], b_root_id[64], body[512], est_base[512], serial[80];
	struct crl_numbers root_crls = {0}, sub_crls = {0};
	EVP_PKEY *dev_key = NULL, *est_key = NULL, *est_key2 = NULL; /* keys[]' */
	X509 *dev, *enrolled;

	(void)state;
	/* through A: a root issuing devices and subordinates, and an issuing
	 * CA under it */
	create_ca(&a, "{\"common_name\": \"Two Machines Root\", \"issuance\": {\"template\": "
	              "\"client\", \"allowed_templates\": [\"client\", \"subordinate_ca\"]}}",
	          root_id);
	snprintf(body, sizeof(body), "{\"kind\": \"subordinate\", \"common_name\": \"Two Machines "
	         "Devices CA\", \"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"client\"}}",
	         root_id);
	create_ca(&a, body, sub_id);
	snprintf(est_base, sizeof(est_base), "/est/%s/default/.well-known/est", sub_id);
	crl_through(&a, root_id, NULL, &root_crls);
	crl_through(&a, sub_id, NULL, &sub_crls);

	/* through B: issuance under each, a revocation, its CRL, EST */
	issue_revoked(&b, root_id, "two-root-dev", "keyCompromise", serial);
	crl_through(&b, root_id, serial, &root_crls);
	dev = issue(&b, sub_id, "two-dev-1", &dev_key, NULL);
	issue_revoked(&b, sub_id, "two-dev-revoked", "superseded", serial);
	crl_through(&b, sub_id, serial, &sub_crls);
	enrolled = est_enroll(&b, est_base, dev, dev_key, "two-dev-1", &est_key);

	/* a CA created through B, used through A */
	create_ca(&b, "{\"common_name\": \"Created On B Root\", \"issuance\": {\"template\": "
	              "\"client\"}}", b_root_id);
	issue_revoked(&a, b_root_id, "b-root-dev", "keyCompromise", serial);

	/* A gone entirely: B alone serves everything */
	instance_stop_server(&a);
	instance_stop_signer(&a);
	issue_revoked(&b, sub_id, "two-dev-after", "keyCompromise", serial);
	crl_through(&b, sub_id, serial, &sub_crls);
	issue_revoked(&b, root_id, "two-root-dev-after", "keyCompromise", serial);
	crl_through(&b, root_id, serial, &root_crls);
	est_enroll(&b, est_base, enrolled, est_key, "two-dev-1", &est_key2);

	/* serials distinct across both pairs; CRL numbers of each key
	 * strictly increasing (crl_through) and never used twice */
	for (size_t i = 0; i < n_issued; i++)
		for (size_t j = i + 1; j < n_issued; j++)
			assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(issued[i]),
			                                      X509_get0_serialNumber(issued[j])), 0);
	crl_numbers_distinct(root_id);
	crl_numbers_distinct(sub_id);
	crl_numbers_distinct(b_root_id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_ca_through_either_pair),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
