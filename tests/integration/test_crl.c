/* CRLs end to end against the real server, signer and PostgreSQL:
 * revocation through the API reaches the CRL (reason, number growing,
 * signature checked with OpenSSL and with the openssl command line),
 * forced CRLs, the public distribution point with caching and 304,
 * coalescing of a burst of revocations, refresh before nextUpdate minus
 * the overlap, and two server instances on one database making one CRL
 * per due time. */
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
#include "tests/integration/harness.h"
#include "tests/integration/http.h"
#include "tests/integration/pki.h"

#define PUBLIC_URL "https://ca.example.test:8443"

static struct instance in;

static int
setup(void **state)
{
	http_set_test_name("crl");
	in.extra_env[0] = "EDGECA_PUBLIC_URL=" PUBLIC_URL;
	in.extra_env[1] = "EDGECA_CRL_DELAY_MS=300";
	instance_start(&in);
	return 0;
}

static int
teardown(void **state)
{
	instance_destroy(&in);
	return 0;
}

/* ---- helpers --------------------------------------------------------------- */

static void
create_ca(const char *body, char id[64], X509 **cert)
{
	struct http_response r = http_post_expect(&in, "/api/v1/cas", body, 201);

	snprintf(id, 64, "%s", http_json_str(&r, "id"));
	if (cert != NULL) {
		*cert = pem_cert(http_json_str(&r, "certificate_pem"));
		assert_non_null(*cert);
	}
	http_response_free(&r);
}

/* Issues a client certificate; serial receives its serial (hex). */
static X509 *
issue(const char *ca_id, const char *cn, char serial[80])
{
	char path[128], *csr = make_csr("EC-P256", cn, NULL, NULL), *text;
	json_t *j = json_pack("{s:s}", "csr", csr);
	struct http_response r;
	X509 *x;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	text = json_dumps(j, 0);
	r = http_post_expect(&in, path, text, 201);
	snprintf(serial, 80, "%s", http_json_str(&r, "serial_number"));
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(x);
	http_response_free(&r);
	json_decref(j);
	free(text);
	free(csr);
	return x;
}

static void
revoke_cert(const char *ca_id, const char *serial, const char *reason)
{
	char path[200], body[100];
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/revoke", ca_id, serial);
	snprintf(body, sizeof(body), "{\"reason\": \"%s\"}", reason);
	r = http_post_expect(&in, path, body, 200);
	http_response_free(&r);
}

/* The current CRL from the public distribution point; NULL on 404. */
static X509_CRL *
fetch_crl(const char *ca_id, const char *location)
{
	char path[200];
	struct http_response r;
	const unsigned char *p;
	X509_CRL *crl = NULL;
	long status;

	snprintf(path, sizeof(path), "/crl/%s/%s.crl", ca_id, location);
	status = http_get(&in, path, NULL, &r);
	if (status == 200) {
		assert_string_equal(r.content_type, "application/pkix-crl");
		p = r.body;
		crl = d2i_X509_CRL(NULL, &p, (long)r.body_len);
		assert_non_null(crl);
		assert_ptr_equal(p, r.body + r.body_len);
	} else {
		assert_int_equal(status, 404);
	}
	http_response_free(&r);
	return crl;
}

static long
crl_number(X509_CRL *crl)
{
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	long v;

	assert_non_null(n);
	v = ASN1_INTEGER_get(n);
	ASN1_INTEGER_free(n);
	return v;
}

/* The entry of serial (hex as the API writes it) or NULL. */
static X509_REVOKED *
crl_entry(X509_CRL *crl, const char *serial)
{
	STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);

	for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
		X509_REVOKED *e = sk_X509_REVOKED_value(revoked, i);
		if (serial_is(X509_REVOKED_get0_serialNumber(e), serial))
			return e;
	}
	return NULL;
}

static int
entry_reason(X509_REVOKED *e)
{
	ASN1_ENUMERATED *r = X509_REVOKED_get_ext_d2i(e, NID_crl_reason, NULL, NULL);
	int v = r ? (int)ASN1_ENUMERATED_get(r) : -1;

	ASN1_ENUMERATED_free(r);
	return v;
}

/* Waits up to 20 s for a CRL newer than after that holds serial (or,
 * serial NULL, any newer one). */
static X509_CRL *
wait_crl(const char *ca_id, long after, const char *serial)
{
	for (int i = 0; i < 200; i++) {
		X509_CRL *crl = fetch_crl(ca_id, "default");
		if (crl != NULL && crl_number(crl) > after && (serial == NULL || crl_entry(crl, serial)))
			return crl;
		X509_CRL_free(crl);
		usleep(100000);
	}
	fail_msg("no CRL after number %ld with %s appeared", after, serial ? serial : "anything");
	return NULL;
}

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

/* Runs a shell command; returns its exit status. */
static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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
	X509 *ca = NULL, *a, *b;
	X509_CRL *first, *crl, *later;
	X509_REVOKED *e;
	AUTHORITY_KEYID *akid;
	const ASN1_OCTET_STRING *skid;
	long n1, n2;

	create_ca("{\"common_name\": \"CRL Root\", \"issuance\": {\"template\": \"client\"}}", ca_id,
	          &ca);
	/* a CA publishes its first CRL without anyone asking */
	first = wait_crl(ca_id, 0, NULL);
	n1 = crl_number(first);
	/* no entries: RFC 5280 leaves the revokedCertificates list out */
	assert_null(X509_CRL_get_REVOKED(first));
	a = issue(ca_id, "crl-dev-a", serial_a);
	b = issue(ca_id, "crl-dev-b", serial_b);
	revoke_cert(ca_id, serial_a, "keyCompromise");

	crl = wait_crl(ca_id, n1, serial_a);
	n2 = crl_number(crl);
	assert_true(n2 > n1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)), 0);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	e = crl_entry(crl, serial_a);
	assert_int_equal(entry_reason(e), CRL_REASON_KEY_COMPROMISE);
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
	assert_int_equal(sh("mkdir -p '%s'", dir), 0);
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
		assert_int_equal(sh("openssl crl -in '%s' -CAfile '%s' -noout -verify 2>/dev/null",
		                    p_crl, p_ca), 0);
		assert_int_not_equal(sh("openssl verify -crl_check -CAfile '%s' -CRLfile '%s' '%s' "
		                        ">/dev/null 2>&1", p_ca, p_crl, p_a), 0);
		assert_int_equal(sh("openssl verify -crl_check -CAfile '%s' -CRLfile '%s' '%s' "
		                    ">/dev/null 2>&1", p_ca, p_crl, p_b), 0);
	}

	/* a second revocation: a newer CRL with both */
	revoke_cert(ca_id, serial_b, "superseded");
	later = wait_crl(ca_id, n2, serial_b);
	assert_non_null(crl_entry(later, serial_a));
	assert_int_equal(entry_reason(crl_entry(later, serial_b)), CRL_REASON_SUPERSEDED);
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

	create_ca("{\"common_name\": \"Hold Root\", \"issuance\": {\"template\": \"client\"}}", ca_id,
	          NULL);
	x = issue(ca_id, "hold-dev", serial);
	X509_CRL_free(wait_crl(ca_id, 0, NULL));
	revoke_cert(ca_id, serial, "certificateHold");
	held = wait_crl(ca_id, 0, serial);
	assert_int_equal(entry_reason(crl_entry(held, serial)), CRL_REASON_CERTIFICATE_HOLD);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/unrevoke", ca_id, serial);
	r = http_post_expect(&in, path, "{}", 200);
	http_response_free(&r);
	for (int i = 0; i < 200; i++) {
		released = fetch_crl(ca_id, "default");
		if (crl_number(released) > crl_number(held))
			break;
		X509_CRL_free(released);
		released = NULL;
		usleep(100000);
	}
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

	create_ca("{\"common_name\": \"Dist Root\", \"issuance\": {\"template\": \"client\"}}", ca_id,
	          NULL);
	crl = wait_crl(ca_id, 0, NULL);
	n = crl_number(crl);
	X509_CRL_free(crl);

	/* the CDP of an issued certificate names this URL */
	x = issue(ca_id, "dist-dev", serial);
	cdp = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	assert_non_null(cdp);
	{
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(cdp, 0)->distpoint->name.fullname, 0);
		char want[300];
		snprintf(want, sizeof(want), PUBLIC_URL "/crl/%s/default.crl", ca_id);
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
	crl = fetch_crl(ca_id, "default");
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

	create_ca("{\"common_name\": \"No CRL Root\", \"issuance\": {\"template\": \"client\"},"
	          " \"crl\": {\"enabled\": false}}", off_id, NULL);
	x = issue(off_id, "off-dev", serial);
	assert_null(X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL));
	X509_free(x);
	snprintf(path, sizeof(path), "/crl/%s/default.crl", off_id);
	http_expect(404, "crl-disabled", http_get(&in, path, NULL, &r), &r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", off_id);
	http_expect(404, "crl-disabled", http_post_json(&in, path, in.admin_token, "{}", &r), &r);

	create_ca("{\"common_name\": \"Custom CDP Root\", \"issuance\": {\"template\": \"client\"},"
	          " \"crl\": {\"distribution_point\": \"http://pki.example.test/devices.crl\"}}",
	          custom_id, NULL);
	x = issue(custom_id, "custom-dev", serial);
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
	create_ca("{\"common_name\": \"Later CRL Root\", \"issuance\": {\"template\": "
	          "\"client\"}, \"crl\": {\"enabled\": false}}", ca_id, NULL);
	assert_int_equal(patch_ca(ca_id, "{\"crl\": {\"enabled\": true, \"validity_days\": 2}}",
	                          &r), 200);
	crl_json = json_object_get(r.json, "crl");
	assert_true(json_is_true(json_object_get(crl_json, "enabled")));
	assert_int_equal(json_integer_value(json_object_get(crl_json, "validity_days")), 2);
	assert_int_equal(json_integer_value(json_object_get(crl_json, "overlap_hours")), 12);
	http_response_free(&r);
	/* the scheduler makes the first CRL, of the new validity */
	crl = wait_crl(ca_id, 0, NULL);
	assert_int_equal(asn1_time_to_time_t(X509_CRL_get0_lastUpdate(crl), &this_update), 0);
	assert_int_equal(asn1_time_to_time_t(X509_CRL_get0_nextUpdate(crl), &next_update), 0);
	assert_int_equal(next_update - this_update, 2 * 86400);
	X509_CRL_free(crl);
	x = issue(ca_id, "later-dev", serial);
	snprintf(want, sizeof(want), PUBLIC_URL "/crl/%s/default.crl", ca_id);
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
	x = issue(ca_id, "custom-later-dev", serial);
	assert_string_equal(cdp_of(x), "http://pki.example.test/later.crl");
	X509_free(x);

	/* not off while certificates naming the CRL are valid */
	http_expect(409, "crl-in-use", patch_ca(ca_id, "{\"crl\": {\"enabled\": false}}", &r), &r);
	crl = fetch_crl(ca_id, "default");
	assert_non_null(crl); /* still published */
	X509_CRL_free(crl);
	n = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE action = 'ca.update_crl' "
	                      "AND object_id = '%s'", ca_id);
	assert_string_equal(n, "2");
	free(n);

	/* a CA whose certificates name no CRL: off, no CDP in new ones, no
	 * CRL served */
	create_ca("{\"common_name\": \"Brief CRL Root\", \"issuance\": {\"template\": "
	          "\"client\"}}", ca_id, NULL);
	assert_int_equal(patch_ca(ca_id, "{\"crl\": {\"enabled\": false}}", &r), 200);
	http_response_free(&r);
	x = issue(ca_id, "off-later-dev", serial);
	assert_string_equal(cdp_of(x), "");
	X509_free(x);
	snprintf(path, sizeof(path), "/crl/%s/default.crl", ca_id);
	http_expect(404, "crl-disabled", http_get(&in, path, NULL, &r), &r);
}

/* 100 revocations in a burst: a few CRLs, the last holding all 100. */
static void
test_coalescing(void **state)
{
	char ca_id[64], serials[100][80], *made, *gap;
	struct timespec t0, t1;
	X509_CRL *crl;
	long before, burst_ms;

	create_ca("{\"common_name\": \"Burst Root\", \"issuance\": {\"template\": \"client\"}}", ca_id,
	          NULL);
	for (int i = 0; i < 100; i++) {
		char cn[32];
		snprintf(cn, sizeof(cn), "burst-%d", i);
		X509_free(issue(ca_id, cn, serials[i]));
	}
	crl = wait_crl(ca_id, 0, NULL);
	before = crl_number(crl);
	X509_CRL_free(crl);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100; i++)
		revoke_cert(ca_id, serials[i], "cessationOfOperation");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	burst_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	crl = NULL;
	for (int i = 0; i < 200 && crl == NULL; i++) {
		crl = fetch_crl(ca_id, "default");
		if (crl == NULL || sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) != 100) {
			X509_CRL_free(crl);
			crl = NULL;
			usleep(100000);
		}
	}
	assert_non_null(crl);
	for (int i = 0; i < 100; i++)
		assert_non_null(crl_entry(crl, serials[i]));
	/* every CRL made since is in the history: never two within
	 * EDGECA_CRL_DELAY_MS (300 here) of each other, however slowly the
	 * burst arrived (less the few milliseconds a revocation's transaction
	 * may straddle a CRL's snapshot), so at most one per 300 ms of the
	 * burst and one after it; and far fewer than the revocations when they
	 * came faster than one per delay (on a loaded machine they may not) */
	made = instance_sql(&in, "SELECT count(*) FROM crl_history "
	                    "WHERE ca_id = '%s' AND crl_number > %ld", ca_id, before);
	gap = instance_sql(&in, "SELECT floor(min(gap_ms)) FROM (SELECT extract(epoch FROM created_at - "
	               "lag(created_at) OVER (ORDER BY crl_number)) * 1000 AS gap_ms "
	               "FROM crl_history WHERE ca_id = '%s' AND crl_number >= %ld) g",
	               ca_id, before);
	assert_non_null(made);
	assert_non_null(gap);
	assert_true(atoi(made) >= 1);
	assert_true(atoi(made) <= burst_ms / 250 + 2);
	if (burst_ms < 10000)
		assert_true(atoi(made) < 50);
	if (atoi(made) > 0)
		assert_true(atol(gap) >= 250);
	assert_int_equal(crl_number(crl), before + atoi(made));
	free(gap);
	free(made);
	X509_CRL_free(crl);
}

/* An entry leaves the CRL once a CRL issued after its certificate's
 * expiry has listed it (RFC 5280 5.1.2.6): edgeca keeps it for one CRL
 * validity (7 days here) past notAfter, then drops it, which keeps the
 * CRLs of long-lived fleets small. */
static void
test_expired_entries_dropped(void **state)
{
	char ca_id[64], old_serial[80], live_serial[80], path[200];
	struct http_response r;
	X509_CRL *crl;
	long n;

	create_ca("{\"common_name\": \"Expiry Root\", \"issuance\": {\"template\": \"client\"}}",
	          ca_id, NULL);
	X509_free(issue(ca_id, "old-dev", old_serial));
	X509_free(issue(ca_id, "live-dev", live_serial));
	revoke_cert(ca_id, old_serial, "keyCompromise");
	revoke_cert(ca_id, live_serial, "keyCompromise");
	crl = wait_crl(ca_id, 0, live_serial);
	assert_non_null(crl_entry(crl, old_serial));
	n = crl_number(crl);
	X509_CRL_free(crl);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", ca_id);

	/* expired an hour ago: still listed */
	free(instance_sql(&in, "UPDATE certificates SET not_before = now() - interval '30 days', "
	              "not_after = now() - interval '1 hour' WHERE ca_id = '%s' AND serial = '%s'",
	              ca_id, old_serial));
	r = http_post_expect(&in, path, "{}", 201);
	http_response_free(&r);
	crl = fetch_crl(ca_id, "default");
	assert_true(crl_number(crl) > n);
	n = crl_number(crl);
	assert_non_null(crl_entry(crl, old_serial));
	X509_CRL_free(crl);

	/* expired more than a CRL validity ago: dropped */
	free(instance_sql(&in, "UPDATE certificates SET not_after = now() - interval '7 days 1 hour' "
	              "WHERE ca_id = '%s' AND serial = '%s'", ca_id, old_serial));
	r = http_post_expect(&in, path, "{}", 201);
	http_response_free(&r);
	crl = fetch_crl(ca_id, "default");
	assert_true(crl_number(crl) > n);
	assert_null(crl_entry(crl, old_serial));
	assert_non_null(crl_entry(crl, live_serial));
	X509_CRL_free(crl);
}

/* A CRL whose nextUpdate minus the overlap has passed is replaced by the
 * scheduler without any revocation. */
static void
test_refresh_before_next_update(void **state)
{
	char ca_id[64];
	X509_CRL *crl, *fresh;
	long n;

	create_ca("{\"common_name\": \"Refresh Root\", \"issuance\": {\"template\": \"client\"},"
	          " \"crl\": {\"validity_days\": 1, \"overlap_hours\": 2}}", ca_id, NULL);
	crl = wait_crl(ca_id, 0, NULL);
	n = crl_number(crl);
	/* as if the stored CRL were about to expire: inside the overlap */
	free(instance_sql(&in, "UPDATE crls SET next_update = now() + interval '90 minutes' "
	                  "WHERE ca_id = '%s'", ca_id));
	fresh = wait_crl(ca_id, n, NULL);
	assert_true(X509_cmp_time(X509_CRL_get0_nextUpdate(fresh), &(time_t){time(NULL) + 20 * 3600})
	            > 0);
	X509_CRL_free(fresh);
	X509_CRL_free(crl);
}

/* Two server instances on one database and signer: for every due time
 * one CRL, numbers unique and consecutive. */
static void
test_two_instances(void **state)
{
	struct instance peer;
	char ca_id[64], serial[80], *dup, *count;
	X509_CRL *crl;
	long n;

	instance_start_peer(&peer, &in);
	create_ca("{\"common_name\": \"Shared Root\", \"issuance\": {\"template\": \"client\"}}",
	          ca_id, NULL);
	crl = wait_crl(ca_id, 0, NULL);
	X509_free(issue(ca_id, "shared-dev", serial));
	n = crl_number(crl);
	X509_CRL_free(crl);
	for (int round = 0; round < 3; round++) {
		free(instance_sql(&in, "UPDATE crls SET next_update = now() + interval '1 minute' "
		              "WHERE ca_id = '%s'", ca_id));
		crl = wait_crl(ca_id, n, NULL);
		n = crl_number(crl);
		X509_CRL_free(crl);
		usleep(1500000); /* both schedulers have looked again */
	}
	dup = instance_sql(&in, "SELECT count(*) - count(DISTINCT crl_number) FROM crl_history "
	               "WHERE ca_id = '%s'", ca_id);
	assert_string_equal(dup, "0");
	/* one initial CRL and one per refresh: nobody made one twice */
	count = instance_sql(&in, "SELECT count(*) FROM crl_history WHERE ca_id = '%s'", ca_id);
	assert_string_equal(count, "4");
	free(dup);
	free(count);
	instance_destroy_peer(&peer);
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
		cmocka_unit_test(test_coalescing),
		cmocka_unit_test(test_expired_entries_dropped),
		cmocka_unit_test(test_refresh_before_next_update),
		cmocka_unit_test(test_two_instances),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
