/* CRLs end to end against the real server, signer and PostgreSQL:
 * revocation through the API reaches the CRL (reason, number growing,
 * signature checked with OpenSSL and with the openssl command line), hold
 * and release, forced CRLs, the public distribution point with caching
 * and 304, CRLs turned off, custom distribution points and CRL settings
 * changed on an existing CA. When CRLs are made: test_crl_schedule.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/timeutil.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/process.h"
#include "tests/integration/public_crl.h"

#define PUBLIC_URL "https://ca.example.test:8443"
/* the base of the CRL and issuer URLs certificates carry */
#define PKI_URL "http://pki.example.test"

static struct instance in;

static const struct fixture fx = {
	.in = &in,
	.name = "crl",
	.env = {
		"EDGECA_PUBLIC_URL=" PUBLIC_URL,
		"EDGECA_PUBLIC_PKI_URL=" PKI_URL,
		"EDGECA_CRL_DELAY_MS=300",
	},
};

/* ---- helpers --------------------------------------------------------------- */

static void
write_der_crl_pem(X509_CRL *crl, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509_CRL(f, crl), 1);
	fclose(f);
}

static void
write_cert_pem(X509 *x, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
}

/* ---- tests ---------------------------------------------------------------- */

/* Revoke -> the next CRL holds the serial with its reason, verifies with
 * the CA's key (OpenSSL and `openssl crl -verify`), and `openssl verify
 * -crl_check` refuses the revoked certificate and accepts another; CRL
 * numbers grow; the CRL is v2 with the CA's subject and AKI. */
static void
test_revocation_reaches_crl(void **state)
{
	char ca_id[64], serial_a[80], serial_b[80], dir[256];
	struct http_response r = http_post_expect(
		&in, "/api/v1/cas", "{\"common_name\": \"CRL Root\", \"issuance\": {\"template\": "
		"\"client\"}}", 201);
	X509 *ca = pem_cert(http_json_str(&r, "certificate_pem")), *a, *b;
	X509_CRL *first, *crl, *later;
	X509_REVOKED *e;
	AUTHORITY_KEYID *akid;
	const ASN1_OCTET_STRING *skid;
	long n1, n2;

	assert_non_null(ca);
	snprintf(ca_id, sizeof(ca_id), "%s", http_json_str(&r, "id"));
	http_response_free(&r);
	/* a CA publishes its first CRL without anyone asking */
	first = public_crl_wait_newer(&in, ca_id, "default.crl", 0, NULL);
	n1 = crl_number(first);
	/* no entries: RFC 5280 leaves the revokedCertificates list out */
	assert_null(X509_CRL_get_REVOKED(first));
	a = http_issue_cert(&in, ca_id, "crl-dev-a", NULL, serial_a);
	b = http_issue_cert(&in, ca_id, "crl-dev-b", NULL, serial_b);
	http_revoke(&in, ca_id, serial_a, "keyCompromise");

	crl = public_crl_wait_newer(&in, ca_id, "default.crl", n1, serial_a);
	n2 = crl_number(crl);
	assert_true(n2 > n1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)), 0);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	e = crl_entry(crl, serial_a);
	assert_int_equal(crl_entry_reason(e), CRL_REASON_KEY_COMPROMISE);
	assert_null(crl_entry(crl, serial_b));
	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
	skid = X509_get0_subject_key_id(ca);
	assert_non_null(akid);
	assert_non_null(skid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, skid), 0);
	AUTHORITY_KEYID_free(akid);
	assert_true(X509_cmp_time(X509_CRL_get0_nextUpdate(crl), NULL) > 0);

	/* the openssl command line, as a relying party would use it */
	snprintf(dir, sizeof(dir), "%s/crl-cli", in.data_dir);
	assert_int_equal(process_sh("mkdir -p '%s'", dir), 0);
	{
		char p_ca[300], p_crl[300], p_a[300], p_b[300];
		snprintf(p_ca, sizeof(p_ca), "%s/ca.pem", dir);
		snprintf(p_crl, sizeof(p_crl), "%s/crl.pem", dir);
		snprintf(p_a, sizeof(p_a), "%s/a.pem", dir);
		snprintf(p_b, sizeof(p_b), "%s/b.pem", dir);
		write_cert_pem(ca, p_ca);
		write_cert_pem(a, p_a);
		write_cert_pem(b, p_b);
		write_der_crl_pem(crl, p_crl);
		assert_int_equal(process_sh("openssl crl -in '%s' -CAfile '%s' -noout -verify "
		                            "2>/dev/null", p_crl, p_ca), 0);
		assert_int_not_equal(process_sh("openssl verify -crl_check -CAfile '%s' "
		                                "-CRLfile '%s' '%s' >/dev/null 2>&1",
		                                p_ca, p_crl, p_a), 0);
		assert_int_equal(process_sh("openssl verify -crl_check -CAfile '%s' -CRLfile '%s' "
		                            "'%s' >/dev/null 2>&1", p_ca, p_crl, p_b), 0);
	}

	/* a second revocation: a newer CRL with both */
	http_revoke(&in, ca_id, serial_b, "superseded");
	later = public_crl_wait_newer(&in, ca_id, "default.crl", n2, serial_b);
	assert_non_null(crl_entry(later, serial_a));
	assert_int_equal(crl_entry_reason(crl_entry(later, serial_b)), CRL_REASON_SUPERSEDED);
	X509_CRL_free(later);
	X509_CRL_free(crl);
	X509_CRL_free(first);
	X509_free(a);
	X509_free(b);
	X509_free(ca);
}

/* Hold appears with its reason, release takes the entry out of the next
 * CRL. */
static void
test_hold_and_release(void **state)
{
	char ca_id[64], serial[80], path[200];
	X509 *x;
	X509_CRL *held, *released;
	struct http_response r;

	http_create_ca(&in, "{\"common_name\": \"Hold Root\", \"issuance\": {\"template\": "
	               "\"client\"}}", ca_id);
	x = http_issue_cert(&in, ca_id, "hold-dev", NULL, serial);
	X509_CRL_free(public_crl_wait_newer(&in, ca_id, "default.crl", 0, NULL));
	http_revoke(&in, ca_id, serial, "certificateHold");
	held = public_crl_wait_newer(&in, ca_id, "default.crl", 0, serial);
	assert_int_equal(crl_entry_reason(crl_entry(held, serial)), CRL_REASON_CERTIFICATE_HOLD);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/unrevoke", ca_id, serial);
	r = http_post_expect(&in, path, "{}", 200);
	http_response_free(&r);
	released = public_crl_wait_newer(&in, ca_id, "default.crl", crl_number(held), NULL);
	assert_non_null(released);
	assert_null(crl_entry(released, serial));
	X509_CRL_free(released);
	X509_CRL_free(held);
	X509_free(x);
}

/* The distribution point: public DER with ETag, Last-Modified,
 * Cache-Control within nextUpdate and Expires; 304 for If-None-Match and
 * If-Modified-Since; PEM for API clients; a forced CRL is the next number;
 * a requester may not force one; unknown locations are 404. Certificates
 * carry the URL. */
static void
test_distribution_and_force(void **state)
{
	char ca_id[64], serial[80], path[200], etag[200], lm[200], header[300], requester[128];
	const char *hdrs[2] = {header, NULL};
	struct http_response r;
	X509_CRL *crl;
	X509 *x;
	STACK_OF(DIST_POINT) *cdp;
	long n, max_age = -1;
	const char *cc;

	http_create_ca(&in, "{\"common_name\": \"Dist Root\", \"issuance\": {\"template\": "
	               "\"client\"}}", ca_id);
	crl = public_crl_wait_newer(&in, ca_id, "default.crl", 0, NULL);
	n = crl_number(crl);
	X509_CRL_free(crl);

	/* the CDP of an issued certificate names this URL */
	x = http_issue_cert(&in, ca_id, "dist-dev", NULL, serial);
	cdp = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	assert_non_null(cdp);
	{
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(cdp, 0)->distpoint->name.fullname, 0);
		char want[300];
		snprintf(want, sizeof(want), PKI_URL "/crl/%s/default.crl", ca_id);
		assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
		                    want);
	}
	sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
	X509_free(x);

	snprintf(path, sizeof(path), "/crl/%s/default.crl", ca_id);
	assert_int_equal(http_get(&in, path, NULL, &r), 200);
	assert_string_equal(r.content_type, "application/pkix-crl");
	assert_non_null(http_header(&r, "etag"));
	assert_non_null(http_header(&r, "last-modified"));
	assert_non_null(http_header(&r, "expires"));
	snprintf(etag, sizeof(etag), "%s", http_header(&r, "etag"));
	snprintf(lm, sizeof(lm), "%s", http_header(&r, "last-modified"));
	cc = http_header(&r, "cache-control");
	assert_non_null(cc);
	assert_non_null(strstr(cc, "public"));
	assert_int_equal(sscanf(strstr(cc, "max-age=") + 8, "%ld", &max_age), 1);
	assert_true(max_age > 0 && max_age <= 600);
	http_response_free(&r);

	snprintf(header, sizeof(header), "If-None-Match: %s", etag);
	assert_int_equal(http_call_h(&in, "GET", path, NULL, NULL, NULL, 0, hdrs, &r), 304);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(http_header(&r, "etag"), etag);
	http_response_free(&r);
	snprintf(header, sizeof(header), "If-None-Match: \"0000\"");
	assert_int_equal(http_call_h(&in, "GET", path, NULL, NULL, NULL, 0, hdrs, &r), 200);
	http_response_free(&r);
	snprintf(header, sizeof(header), "If-Modified-Since: %s", lm);
	assert_int_equal(http_call_h(&in, "GET", path, NULL, NULL, NULL, 0, hdrs, &r), 304);
	http_response_free(&r);
	snprintf(header, sizeof(header), "If-Modified-Since: Thu, 01 Jan 2004 00:00:00 GMT");
	assert_int_equal(http_call_h(&in, "GET", path, NULL, NULL, NULL, 0, hdrs, &r), 200);
	http_response_free(&r);

	/* API clients: DER by default, PEM on request */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(r.content_type, "application/pkix-crl");
	http_response_free(&r);
	snprintf(header, sizeof(header), "Accept: application/x-pem-file");
	assert_int_equal(http_call_h(&in, "GET", path, in.admin_token, NULL, NULL, 0, hdrs, &r), 200);
	assert_string_equal(r.content_type, "application/x-pem-file");
	assert_non_null(strstr((const char *)r.body, "-----BEGIN X509 CRL-----"));
	http_response_free(&r);
	assert_int_equal(http_get(&in, path, NULL, &r), 401);
	http_response_free(&r);

	/* forced: the next number, at once */
	r = http_post_expect(&in, path, "{}", 201);
	assert_int_equal(json_integer_value(json_object_get(r.json, "crl_number")), n + 1);
	assert_string_equal(http_json_str(&r, "location"), "default");
	http_response_free(&r);
	crl = public_crl_fetch(&in, ca_id, "default.crl");
	assert_int_equal(crl_number(crl), n + 1);
	X509_CRL_free(crl);
	instance_token(&in, "requester", "crl-requester", requester, sizeof(requester));
	http_expect(403, NULL, http_post_json(&in, path, requester, "{}", &r), &r);
	http_expect(404, NULL,
	            http_post_json(&in, path, in.admin_token, "{\"location\": \"nowhere\"}", &r), &r);
	snprintf(path, sizeof(path), "/crl/%s/nowhere.crl", ca_id);
	http_expect(404, NULL, http_get(&in, path, NULL, &r), &r);
	snprintf(path, sizeof(path), "/crl/%s/default.pem", ca_id);
	http_expect(404, NULL, http_get(&in, path, NULL, &r), &r);
	http_expect(404, NULL,
	            http_get(&in, "/crl/00000000-0000-4000-8000-000000000000/default.crl", NULL, &r),
	            &r);
}

/* crl.enabled false: no CRL, no CDP in certificates; a custom
 * distribution point replaces edgeca's URL. */
static void
test_disabled_and_custom(void **state)
{
	char off_id[64], custom_id[64], serial[80], path[200];
	struct http_response r;
	X509 *x;
	STACK_OF(DIST_POINT) *cdp;

	http_create_ca(&in, "{\"common_name\": \"No CRL Root\", \"issuance\": {\"template\": "
	               "\"client\"}, \"crl\": {\"enabled\": false}}", off_id);
	x = http_issue_cert(&in, off_id, "off-dev", NULL, serial);
	assert_null(X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL));
	X509_free(x);
	snprintf(path, sizeof(path), "/crl/%s/default.crl", off_id);
	http_expect(404, "crl-disabled", http_get(&in, path, NULL, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", off_id);
	http_expect(404, "crl-disabled", http_post_json(&in, path, in.admin_token, "{}", &r), &r);

	http_create_ca(&in, "{\"common_name\": \"Custom CDP Root\", \"issuance\": {\"template\": "
	               "\"client\"}, \"crl\": {\"distribution_point\": "
	               "\"http://pki.example.test/devices.crl\"}}", custom_id);
	x = http_issue_cert(&in, custom_id, "custom-dev", NULL, serial);
	cdp = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	assert_non_null(cdp);
	assert_string_equal(
	    (const char *)ASN1_STRING_get0_data(
	        sk_GENERAL_NAME_value(sk_DIST_POINT_value(cdp, 0)->distpoint->name.fullname, 0)
	            ->d.uniformResourceIdentifier),
	    "http://pki.example.test/devices.crl");
	sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
	X509_free(x);
}

/* The CDP URL of x, or "" when it has none (static buffer). */
static const char *
cdp_of(X509 *x)
{
	static char url[300];
	STACK_OF(DIST_POINT) *cdp = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);

	url[0] = '\0';
	if (cdp != NULL) {
		GENERAL_NAME *gn =
			sk_GENERAL_NAME_value(sk_DIST_POINT_value(cdp, 0)->distpoint->name.fullname, 0);
		snprintf(url, sizeof(url), "%s",
		         (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
	}
	sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
	return url;
}

static long
patch_ca(const char *ca_id, const char *body, struct http_response *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca_id);
	return http_call(&in, "PATCH", path, in.admin_token, "application/json", body,
	                 strlen(body), r);
}

/* PATCH crl: CRLs turned on and off, validity, overlap and distribution
 * point changed on an existing CA; checked, audited, in force for the
 * next CRL and the next certificate. */
static void
test_settings_changed(void **state)
{
	char ca_id[64], serial[80], path[200], want[300], *n;
	struct http_response r;
	X509_CRL *crl;
	X509 *x;
	time_t this_update, next_update;
	json_t *crl_json;

	(void)state;
	http_create_ca(&in, "{\"common_name\": \"Later CRL Root\", \"issuance\": {\"template\": "
	               "\"client\"}, \"crl\": {\"enabled\": false}}", ca_id);
	assert_int_equal(patch_ca(ca_id, "{\"crl\": {\"enabled\": true, \"validity_days\": 2}}",
	                          &r), 200);
	crl_json = json_object_get(r.json, "crl");
	assert_true(json_is_true(json_object_get(crl_json, "enabled")));
	assert_int_equal(json_integer_value(json_object_get(crl_json, "validity_days")), 2);
	assert_int_equal(json_integer_value(json_object_get(crl_json, "overlap_hours")), 12);
	http_response_free(&r);
	/* the scheduler makes the first CRL, of the new validity */
	crl = public_crl_wait_newer(&in, ca_id, "default.crl", 0, NULL);
	assert_int_equal(asn1_time_to_time_t(X509_CRL_get0_lastUpdate(crl), &this_update), 0);
	assert_int_equal(asn1_time_to_time_t(X509_CRL_get0_nextUpdate(crl), &next_update), 0);
	assert_int_equal(next_update - this_update, 2 * 86400);
	X509_CRL_free(crl);
	x = http_issue_cert(&in, ca_id, "later-dev", NULL, serial);
	snprintf(want, sizeof(want), PKI_URL "/crl/%s/default.crl", ca_id);
	assert_string_equal(cdp_of(x), want);
	X509_free(x);

	/* checked as at creation; a refused change leaves the overlap as it was */
	http_expect(422, "invalid-field",
	            patch_ca(ca_id, "{\"crl\": {\"overlap_hours\": 48}}", &r), &r);
	http_expect(422, "invalid-field",
	            patch_ca(ca_id, "{\"crl\": {\"distribution_point\": \"ftp://x\"}}", &r), &r);
	http_expect(400, "unknown-field", patch_ca(ca_id, "{\"crl\": {\"size\": 1}}", &r), &r);
	assert_int_equal(patch_ca(ca_id, "{\"crl\": {\"distribution_point\": "
	                                 "\"http://pki.example.test/later.crl\"}}", &r), 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "crl"),
	                                                    "overlap_hours")), 12);
	http_response_free(&r);
	x = http_issue_cert(&in, ca_id, "custom-later-dev", NULL, serial);
	assert_string_equal(cdp_of(x), "http://pki.example.test/later.crl");
	X509_free(x);

	/* not off while certificates naming the CRL are valid */
	http_expect(409, "crl-in-use", patch_ca(ca_id, "{\"crl\": {\"enabled\": false}}", &r), &r);
	crl = public_crl_fetch(&in, ca_id, "default.crl");
	assert_non_null(crl); /* still published */
	X509_CRL_free(crl);
	n = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE action = 'ca.update_crl' "
	                      "AND object_id = '%s'", ca_id);
	assert_string_equal(n, "2");
	free(n);

	/* a CA whose certificates name no CRL: off, no CDP in new ones, no
	 * CRL served */
	http_create_ca(&in, "{\"common_name\": \"Brief CRL Root\", \"issuance\": {\"template\": "
	               "\"client\"}}", ca_id);
	assert_int_equal(patch_ca(ca_id, "{\"crl\": {\"enabled\": false}}", &r), 200);
	http_response_free(&r);
	x = http_issue_cert(&in, ca_id, "off-later-dev", NULL, serial);
	assert_string_equal(cdp_of(x), "");
	X509_free(x);
	snprintf(path, sizeof(path), "/crl/%s/default.crl", ca_id);
	http_expect(404, "crl-disabled", http_get(&in, path, NULL, &r), &r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revocation_reaches_crl),
		cmocka_unit_test(test_hold_and_release),
		cmocka_unit_test(test_distribution_and_force),
		cmocka_unit_test(test_disabled_and_custom),
		cmocka_unit_test(test_settings_changed),
	};

	return fixture_run_tests(tests, &fx);
}
