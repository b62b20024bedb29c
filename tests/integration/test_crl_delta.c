/* Delta CRLs end to end against the real server, signer and PostgreSQL: a
 * CA with crl.delta on publishes a delta CRL per key at .delta.crl, whose
 * Delta CRL Indicator names the complete CRL it completes; a revocation
 * reaches the delta while the complete CRL stays as it was, and `openssl
 * verify -use_deltas` refuses the certificate with both; the complete CRL
 * and new certificates name the delta in Freshest CRL; a released hold is
 * removeFromCRL; the next complete CRL absorbs the changes and the next
 * delta is empty. The setting on creation and PATCH, audited, and the
 * delta through the API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/process.h"
#include "tests/integration/public_crl.h"

#define PUBLIC_URL "https://ca.example.test:8443"
/* the base of the CRL, delta CRL and issuer URLs certificates carry */
#define PKI_URL "http://pki.example.test"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "crl_delta",
	.env = {
		"EDGECA_PUBLIC_URL=" PUBLIC_URL,
		"EDGECA_PUBLIC_PKI_URL=" PKI_URL,
		"EDGECA_CRL_DELAY_MS=300",
	},
};

/* ---- helpers --------------------------------------------------------------- */

/* The Delta CRL Indicator's base number, -1 when absent; it must be
 * critical. */
static long
delta_base(X509_CRL *crl)
{
	int crit = -2;
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL);
	long v = -1;

	if (n != NULL) {
		assert_int_equal(crit, 1);
		v = ASN1_INTEGER_get(n);
	}
	ASN1_INTEGER_free(n);
	return v;
}

/* The one URL of a Freshest CRL extension (ext_d2i of a CRL or a
 * certificate), "" when there is none. */
static const char *
freshest_url(STACK_OF(DIST_POINT) *dps)
{
	static char url[512];
	GENERAL_NAME *gn;

	url[0] = '\0';
	if (dps == NULL)
		return url;
	assert_int_equal(sk_DIST_POINT_num(dps), 1);
	gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->distpoint->name.fullname, 0);
	assert_int_equal(gn->type, GEN_URI);
	snprintf(url, sizeof(url), "%s",
	         (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return url;
}

static void
write_pem(const char *path, X509 *x, X509_CRL *c1, X509_CRL *c2)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (x != NULL)
		assert_int_equal(PEM_write_X509(f, x), 1);
	if (c1 != NULL)
		assert_int_equal(PEM_write_X509_CRL(f, c1), 1);
	if (c2 != NULL)
		assert_int_equal(PEM_write_X509_CRL(f, c2), 1);
	fclose(f);
}

/* `openssl verify -crl_check [-use_deltas]` of leaf under ca with the CRLs
 * in crls; its exit status. */
static int
openssl_verify(X509 *ca, X509 *leaf, X509_CRL *base, X509_CRL *delta, bool use_deltas)
{
	char p_ca[300], p_leaf[300], p_crl[300], cmd[1200];

	snprintf(p_ca, sizeof(p_ca), "%s/delta-ca.pem", in.data_dir);
	snprintf(p_leaf, sizeof(p_leaf), "%s/delta-leaf.pem", in.data_dir);
	snprintf(p_crl, sizeof(p_crl), "%s/delta-crls.pem", in.data_dir);
	write_pem(p_ca, ca, NULL, NULL);
	write_pem(p_leaf, leaf, NULL, NULL);
	write_pem(p_crl, NULL, base, delta);
	snprintf(cmd, sizeof(cmd), "openssl verify -crl_check %s -CAfile '%s' -CRLfile '%s' '%s' "
	         ">/dev/null 2>&1", use_deltas ? "-use_deltas" : "", p_ca, p_crl, p_leaf);
	return process_run(cmd);
}

static long
patch_ca(const char *ca_id, const char *body, struct http_response *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	return http_call(&in, "PATCH", path, in.admin_token, "application/json", body,
	                 strlen(body), r);
}

/* A delta CRL numbered above after whose base is base (any when < 0) and
 * that lists serial (anything when NULL); waits up to 20 s. */
static X509_CRL *
wait_delta(const char *ca_id, long after, long base, const char *serial)
{
	for (int i = 0; i < 200; i++) {
		X509_CRL *d = public_crl_fetch(&in, ca_id, "default.delta.crl");
		if (d != NULL && crl_number(d) > after && (base < 0 || delta_base(d) == base) &&
		    (serial == NULL || crl_entry(d, serial) != NULL))
			return d;
		X509_CRL_free(d);
		usleep(100000);
	}
	fail_msg("no delta CRL of CA %s above %ld on base %ld listing %s within 20 s", ca_id,
	         after, base, serial ? serial : "anything");
	return NULL;
}

static long
force_base(const char *ca_id)
{
	char path[128];
	struct http_response r;
	long n;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);
	r = http_post_expect(&in, path, "{}", 201);
	n = (long)json_integer_value(json_object_get(r.json, "crl_number"));
	http_response_free(&r);
	return n;
}

/* ---- tests ---------------------------------------------------------------- */

static void
test_delta_cycle(void **state)
{
	char ca_id[64], want[300], serial_a[80], serial_b[80], path[200];
	struct http_response r = http_post_expect(
		&in, "/api/v1/cas", "{\"common_name\": \"Delta Root\", \"issuance\": {\"template\": "
		"\"client\"}, \"crl\": {\"delta\": {\"enabled\": true, \"interval_minutes\": 5}}}", 201);
	X509 *ca = pem_cert(http_json_str(&r, "certificate_pem")), *a, *b;
	X509_CRL *base, *delta, *d2, *base2, *d3, *base3, *d4;
	const json_t *d = json_object_get(json_object_get(r.json, "crl"), "delta");
	long nb, nd;

	assert_non_null(ca);
	assert_true(json_is_true(json_object_get(d, "enabled")));
	assert_int_equal(json_integer_value(json_object_get(d, "interval_minutes")), 5);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	snprintf(want, sizeof(want), PKI_URL "/crl/%s/default.delta.crl", ca_id);

	/* the complete CRL names the delta; the delta names the complete CRL */
	base = public_crl_wait_newer(&in, ca_id, "default.crl", 0, NULL);
	nb = crl_number(base);
	assert_string_equal(freshest_url(X509_CRL_get_ext_d2i(base, NID_freshest_crl, NULL, NULL)),
	                    want);
	assert_int_equal(delta_base(base), -1);
	delta = wait_delta(ca_id, 0, nb, NULL);
	assert_true(crl_number(delta) > nb);
	{ /* the URL certificates name: the plain-HTTP listener serves it */
		struct http_response pr;
		const unsigned char *p;
		X509_CRL *plain;
		char file[160];

		snprintf(file, sizeof(file), "/crl/%s/default.delta.crl", ca_id);
		assert_int_equal(http_pki_call(&in, "GET", file, NULL, NULL, 0, NULL, &pr), 200);
		assert_string_equal(pr.content_type, "application/pkix-crl");
		p = pr.body;
		plain = d2i_X509_CRL(NULL, &p, (long)pr.body_len);
		assert_non_null(plain);
		assert_true(delta_base(plain) > 0);
		assert_true(crl_number(plain) >= crl_number(delta));
		X509_CRL_free(plain);
		http_response_free(&pr);
	}
	assert_null(X509_CRL_get_REVOKED(delta));
	assert_int_equal(X509_CRL_verify(delta, X509_get0_pubkey(ca)), 1);
	assert_null(X509_CRL_get_ext_d2i(delta, NID_freshest_crl, NULL, NULL));

	/* new certificates name the delta too */
	a = http_issue_cert(&in, ca_id, "delta-dev-a", NULL, serial_a);
	b = http_issue_cert(&in, ca_id, "delta-dev-b", NULL, serial_b);
	assert_string_equal(freshest_url(X509_get_ext_d2i(a, NID_freshest_crl, NULL, NULL)), want);

	/* a revocation reaches the delta; the complete CRL stays as it was */
	http_revoke(&in, ca_id, serial_a, "keyCompromise");
	d2 = wait_delta(ca_id, crl_number(delta), nb, serial_a);
	assert_int_equal(crl_entry_reason(crl_entry(d2, serial_a)), 1);
	assert_null(crl_entry(d2, serial_b));
	X509_CRL_free(base);
	base = public_crl_fetch(&in, ca_id, "default.crl");
	assert_int_equal(crl_number(base), nb);
	assert_null(crl_entry(base, serial_a));
	/* relying parties: the complete CRL alone accepts a, with the delta
	 * OpenSSL refuses it; b passes either way */
	assert_int_equal(openssl_verify(ca, a, base, NULL, false), 0);
	assert_int_not_equal(openssl_verify(ca, a, base, d2, true), 0);
	assert_int_equal(openssl_verify(ca, b, base, d2, true), 0);

	/* b held, absorbed by a complete CRL, then released: removeFromCRL */
	http_revoke(&in, ca_id, serial_b, "certificateHold");
	X509_CRL_free(wait_delta(ca_id, crl_number(d2), nb, serial_b));
	nb = force_base(ca_id);
	base2 = public_crl_wait_newer(&in, ca_id, "default.crl", nb - 1, serial_b);
	assert_non_null(crl_entry(base2, serial_a));
	assert_int_equal(crl_entry_reason(crl_entry(base2, serial_b)), 6);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/unrevoke", ca_id, serial_b);
	r = http_post_expect(&in, path, "{}", 200);
	http_response_free(&r);
	d3 = wait_delta(ca_id, nb, nb, serial_b);
	assert_int_equal(crl_entry_reason(crl_entry(d3, serial_b)), 8);
	assert_null(crl_entry(d3, serial_a)); /* in the complete CRL now */
	assert_int_equal(openssl_verify(ca, b, base2, d3, true), 0);
	assert_int_not_equal(openssl_verify(ca, b, base2, NULL, false), 0);

	/* the next complete CRL absorbs the release; its delta is empty */
	nb = force_base(ca_id);
	base3 = public_crl_wait_newer(&in, ca_id, "default.crl", nb - 1, NULL);
	assert_null(crl_entry(base3, serial_b));
	assert_non_null(crl_entry(base3, serial_a));
	d4 = wait_delta(ca_id, nb, nb, NULL);
	assert_null(X509_CRL_get_REVOKED(d4));
	nd = crl_number(d4);
	assert_true(nd > nb);

	/* the delta through the API: GET ?delta=true and a forced one */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl?delta=true", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(r.content_type, "application/pkix-crl");
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);
	r = http_post_expect(&in, path, "{\"delta\": true}", 201);
	assert_true(json_integer_value(json_object_get(r.json, "crl_number")) > nd);
	assert_int_equal(json_integer_value(json_object_get(r.json, "delta_base")), nb);
	assert_string_equal(http_json_str(&r, "url"), want);
	http_response_free(&r);

	X509_CRL_free(d4);
	X509_CRL_free(base3);
	X509_CRL_free(d3);
	X509_CRL_free(base2);
	X509_CRL_free(d2);
	X509_CRL_free(delta);
	X509_CRL_free(base);
	X509_free(a);
	X509_free(b);
	X509_free(ca);
}

/* crl.delta on an existing CA: checked, audited, a complete CRL naming
 * the delta made at once, new certificates naming it; off again: a
 * complete CRL without it at once, no delta served, none named. */
static void
test_delta_settings(void **state)
{
	char ca_id[64], serial[80], path[200];
	struct http_response r;
	X509_CRL *base;
	X509 *x;
	long nb;

	http_create_ca(&in, "{\"common_name\": \"Delta Later Root\", \"issuance\": "
	               "{\"template\": \"client\"}}", ca_id);
	base = public_crl_wait_newer(&in, ca_id, "default.crl", 0, NULL);
	nb = crl_number(base);
	assert_string_equal(freshest_url(X509_CRL_get_ext_d2i(base, NID_freshest_crl, NULL, NULL)),
	                    "");
	X509_CRL_free(base);
	snprintf(path, sizeof(path), "/crl/%s/default.delta.crl", ca_id);
	http_expect(404, "crl-delta-disabled", http_get(&in, path, NULL, &r), &r);
	/* the plain-HTTP listener answers the same */
	http_expect(404, "crl-delta-disabled",
	            http_pki_call(&in, "GET", path, NULL, NULL, 0, NULL, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);
	r = http_post_expect(&in, path, "{\"delta\": true}", 404);
	http_response_free(&r);

	http_expect(422, "invalid-field",
	            patch_ca(ca_id, "{\"crl\": {\"delta\": {\"interval_minutes\": 4}}}", &r), &r);
	http_expect(400, "unknown-field",
	            patch_ca(ca_id, "{\"crl\": {\"delta\": {\"every\": 5}}}", &r), &r);
	http_expect(422, "invalid-field",
	            patch_ca(ca_id, "{\"crl\": {\"enabled\": false, \"delta\": {\"enabled\": "
	                     "true}}}", &r), &r);
	assert_int_equal(patch_ca(ca_id, "{\"crl\": {\"delta\": {\"enabled\": true}}}", &r), 200);
	assert_true(json_is_true(json_object_get(
		json_object_get(json_object_get(r.json, "crl"), "delta"), "enabled")));
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(json_object_get(r.json, "crl"), "delta"), "interval_minutes")), 60);
	http_response_free(&r);
	{
		char *n = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE action = "
		                       "'ca.update_crl' AND object_id = '%s' AND details->>"
		                       "'delta_enabled' = 'true'", ca_id);
		assert_non_null(n);
		assert_string_equal(n, "1");
		free(n);
	}
	/* the complete CRL is made again at once, naming the delta, which
	 * comes on it; new certificates name it too */
	base = public_crl_wait_newer(&in, ca_id, "default.crl", nb, NULL);
	nb = crl_number(base);
	assert_true(strstr(freshest_url(X509_CRL_get_ext_d2i(base, NID_freshest_crl, NULL, NULL)),
	                   "/default.delta.crl") != NULL);
	X509_CRL_free(base);
	X509_CRL_free(wait_delta(ca_id, 0, nb, NULL));
	x = http_issue_cert(&in, ca_id, "delta-later-dev", NULL, serial);
	assert_true(strstr(freshest_url(X509_get_ext_d2i(x, NID_freshest_crl, NULL, NULL)),
	                   "/default.delta.crl") != NULL);
	X509_free(x);
	/* turned off: the complete CRL is made again without it, no delta */
	assert_int_equal(patch_ca(ca_id, "{\"crl\": {\"delta\": {\"enabled\": false}}}", &r), 200);
	http_response_free(&r);
	base = public_crl_wait_newer(&in, ca_id, "default.crl", nb, NULL);
	assert_string_equal(freshest_url(X509_CRL_get_ext_d2i(base, NID_freshest_crl, NULL, NULL)),
	                    "");
	X509_CRL_free(base);
	snprintf(path, sizeof(path), "/crl/%s/default.delta.crl", ca_id);
	http_expect(404, "crl-delta-disabled", http_get(&in, path, NULL, &r), &r);
	/* the plain-HTTP listener answers the same */
	http_expect(404, "crl-delta-disabled",
	            http_pki_call(&in, "GET", path, NULL, NULL, 0, NULL, &r), &r);
	x = http_issue_cert(&in, ca_id, "delta-off-dev", NULL, serial);
	assert_string_equal(freshest_url(X509_get_ext_d2i(x, NID_freshest_crl, NULL, NULL)), "");
	X509_free(x);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl?delta=maybe", ca_id);
	http_expect(422, "invalid-field", http_get(&in, path, in.admin_token, &r), &r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_cycle),
		cmocka_unit_test(test_delta_settings),
	};

	return fixture_run_tests(tests, &fx);
}
