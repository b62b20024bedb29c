/* The OCSP responder on the plain-HTTP PKI listener, through real
 * clients: `openssl ocsp` at the AIA OCSP URL a leaf carries (good,
 * revoked with its reason right after the API revokes, good again after
 * a hold is released, unknown, nonces echoed), nonce answers right after
 * revocations through this server and through a second one (the
 * statuses servers remember), the RFC 5019 GET form and
 * its caching headers with curl's library, GnuTLS `ocsptool`, a delegated
 * responder, the per-CA settings, and hostile requests after which the
 * listener still answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/encoding.h"
#include "tests/support/certs.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/support/process.h"

static struct instance in;
static char root_id[64], sub_id[64], dlg_id[64];
static X509 *root_cert, *sub_cert, *dlg_cert;
static char *dir;
static char root_pem[256], sub_pem[256], dlg_pem[256];

static void
write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
}

/* A subordinate of the root; its certificate into *cert. */
static void
make_sub(const char *cn, const char *extra, char id[64], X509 **cert)
{
	struct http_response r;
	char *body;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"%s\", "
	                 "\"parent_ca_id\": \"%s\", \"validity_days\": 730%s}", cn, root_id, extra);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	free(body);
	snprintf(id, 64, "%s", http_json_str(&r, "id"));
	*cert = http_location_cert(&r, "default");
	http_response_free(&r);
}

static void
fixture_ready(void)
{
	struct http_response r;

	r = http_post_expect(&in, "/api/v1/cas",
	                     "{\"common_name\": \"OCSP Root\", \"validity_days\": 3650, "
	                     "\"issuance\": {\"template\": \"subordinate_ca\"}}", 201);
	snprintf(root_id, sizeof(root_id), "%s", http_json_str(&r, "id"));
	root_cert = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(root_cert);
	http_response_free(&r);
	make_sub("OCSP Issuing CA", "", sub_id, &sub_cert);
	make_sub("OCSP Delegated CA", ", \"ocsp\": {\"delegated_responder\": true}", dlg_id,
	         &dlg_cert);
	dir = t_tmpdir();
	snprintf(root_pem, sizeof(root_pem), "%s/root.pem", dir);
	snprintf(sub_pem, sizeof(sub_pem), "%s/sub.pem", dir);
	snprintf(dlg_pem, sizeof(dlg_pem), "%s/dlg.pem", dir);
	write_pem(root_pem, root_cert);
	write_pem(sub_pem, sub_cert);
	write_pem(dlg_pem, dlg_cert);
}

static void
fixture_done(void)
{
	X509_free(root_cert);
	X509_free(sub_cert);
	X509_free(dlg_cert);
	t_rmtree(dir);
}

static const struct fixture fx = {
	.in = &in,
	.name = "ocsp",
	.env = {"EDGECA_SCHEDULER_INTERVAL=1"},
	.ready = fixture_ready,
	.done = fixture_done,
};

/* Runs cmd (stderr with stdout); returns its exit status, output in out. */
static int
run(const char *cmd, char *out, size_t len)
{
	char *full;
	int st;

	xasprintf(&full, "%s 2>&1", cmd);
	st = process_run_into(full, out, len);
	free(full);
	return st;
}

/* A leaf of ca_id into <dir>/<name>.pem; its serial into serial. */
static X509 *
leaf(const char *ca_id, const char *name, char serial[80], char path[256])
{
	X509 *x = http_issue_cert(&in, ca_id, name, NULL, serial);

	snprintf(path, 256, "%s/%s.pem", dir, name);
	write_pem(path, x);
	return x;
}

/* openssl ocsp for the certificate at cert (or serial "0x.." when cert
 * begins with "0x") issued by issuer, at the leaf's AIA URL; more: other
 * options. Returns the status word ("good", "revoked", "unknown") and
 * fails unless the response verified; the whole output in out. */
static const char *
openssl_ocsp(const char *issuer, const char *cert, const char *url, const char *more,
             char *out, size_t len)
{
	char cmd[2048], *line, want[300];

	snprintf(cmd, sizeof(cmd), "openssl ocsp -issuer %s %s %s -url %s -CAfile %s %s", issuer,
	         strncmp(cert, "0x", 2) == 0 ? "-serial" : "-cert", cert, url, root_pem, more);
	if (run(cmd, out, len) != 0)
		fail_msg("%s: %s", cmd, out);
	if (strstr(out, "Response verify OK") == NULL)
		fail_msg("not verified: %s", out);
	snprintf(want, sizeof(want), "%s: ", cert);
	line = strstr(out, want);
	assert_non_null(line);
	line += strlen(want);
	if (strncmp(line, "good", 4) == 0)
		return "good";
	if (strncmp(line, "revoked", 7) == 0)
		return "revoked";
	if (strncmp(line, "unknown", 7) == 0)
		return "unknown";
	fail_msg("no status: %s", out);
	return NULL;
}

static void
unrevoke(const char *ca_id, const char *serial)
{
	char path[256];
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/unrevoke", ca_id, serial);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, NULL, NULL, 0, &r), 200);
	http_response_free(&r);
}

static void
test_statuses(void **state)
{
	char serial[80], path[256], url[512], out[8192];
	X509 *x = leaf(sub_id, "ocsp-leaf-1", serial, path);
	char expected[600];

	cert_first_url(x, NID_ad_OCSP, url, sizeof(url));
	instance_pki_url(&in, "/ocsp", expected, sizeof(expected));
	assert_string_equal(url, expected);
	assert_string_equal(openssl_ocsp(sub_pem, path, url, "-no_nonce", out, sizeof(out)), "good");
	/* cached now; the revocation must not be hidden by it */
	assert_string_equal(openssl_ocsp(sub_pem, path, url, "-no_nonce", out, sizeof(out)), "good");
	http_revoke(&in, sub_id, serial, "keyCompromise");
	assert_string_equal(openssl_ocsp(sub_pem, path, url, "-no_nonce", out, sizeof(out)),
	                    "revoked");
	assert_non_null(strstr(out, "Reason: keyCompromise"));
	assert_non_null(strstr(out, "Revocation Time:"));
	X509_free(x);

	/* a hold, and its release */
	x = leaf(sub_id, "ocsp-leaf-2", serial, path);
	assert_string_equal(openssl_ocsp(sub_pem, path, url, "-no_nonce", out, sizeof(out)), "good");
	http_revoke(&in, sub_id, serial, "certificateHold");
	assert_string_equal(openssl_ocsp(sub_pem, path, url, "-no_nonce", out, sizeof(out)),
	                    "revoked");
	assert_non_null(strstr(out, "Reason: certificateHold"));
	unrevoke(sub_id, serial);
	assert_string_equal(openssl_ocsp(sub_pem, path, url, "-no_nonce", out, sizeof(out)), "good");
	X509_free(x);

	/* a serial never issued */
	assert_string_equal(openssl_ocsp(sub_pem, "0x0123456789abcdef0123", url, "-no_nonce", out,
	                                 sizeof(out)), "unknown");
	/* the subordinate's own certificate, at the root */
	assert_string_equal(openssl_ocsp(root_pem, sub_pem, url, "-no_nonce", out, sizeof(out)),
	                    "good");
}

static void
test_nonce(void **state)
{
	char serial[80], path[256], url[512], out[8192];
	X509 *x = leaf(sub_id, "ocsp-nonce", serial, path);

	cert_first_url(x, NID_ad_OCSP, url, sizeof(url));
	/* openssl checks the nonce it sent comes back (a warning otherwise) */
	for (int i = 0; i < 3; i++) {
		assert_string_equal(openssl_ocsp(sub_pem, path, url, "-nonce -resp_text", out,
		                                 sizeof(out)), "good");
		assert_null(strstr(out, "WARNING"));
		assert_null(strstr(out, "Nonce Verify error"));
		assert_non_null(strstr(out, "OCSP Nonce:"));
	}
	X509_free(x);
}

/* The DER request openssl makes for cert (no nonce), read back. */
static unsigned char *
request_der(const char *issuer, const char *cert, size_t *len)
{
	char cmd[1024], out[4096], reqf[300];
	unsigned char *der;

	snprintf(reqf, sizeof(reqf), "%s/req.der", dir);
	snprintf(cmd, sizeof(cmd), "openssl ocsp -issuer %s -cert %s -no_nonce -reqout %s", issuer,
	         cert, reqf);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	der = (unsigned char *)read_file(reqf, len);
	return der;
}

/* The status of the single answer in an OCSPResponse body. */
static int
response_status(const struct http_response *r, int *cert_status)
{
	const unsigned char *p = r->body;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)r->body_len);
	OCSP_BASICRESP *bs;
	int st;

	assert_non_null(resp);
	st = OCSP_response_status(resp);
	*cert_status = -1;
	if (st == OCSP_RESPONSE_STATUS_SUCCESSFUL && (bs = OCSP_response_get1_basic(resp)) != NULL) {
		OCSP_SINGLERESP *s = OCSP_resp_get0(bs, 0);
		*cert_status = OCSP_single_get0_status(s, NULL, NULL, NULL, NULL);
		OCSP_BASICRESP_free(bs);
	}
	OCSP_RESPONSE_free(resp);
	return st;
}

/* GET /ocsp/<b64>, escaped or not. */
static long
ocsp_get(const unsigned char *der, size_t len, bool escape, const char *const *headers,
         struct http_response *r)
{
	char *b64 = base64_encode(der, len, 0), path[8192];
	size_t o = snprintf(path, sizeof(path), "/ocsp/");
	long st;

	for (const char *c = b64; *c; c++) {
		if (escape && (*c == '/' || *c == '+' || *c == '='))
			o += snprintf(path + o, sizeof(path) - o, "%%%02X", *c);
		else
			path[o++] = *c;
	}
	path[o] = '\0';
	st = http_pki_call(&in, "GET", path, NULL, NULL, 0, headers, r);
	free(b64);
	return st;
}

static void
test_get_and_caching(void **state)
{
	char serial[80], path[256], etag[600], inm[700];
	X509 *x = leaf(sub_id, "ocsp-get", serial, path);
	size_t len;
	unsigned char *der = request_der(sub_pem, path, &len);
	struct http_response r, r2;
	const char *hdrs[2] = {inm, NULL};
	int cs;

	assert_int_equal(ocsp_get(der, len, true, NULL, &r), 200);
	assert_string_equal(r.content_type, "application/ocsp-response");
	assert_int_equal(response_status(&r, &cs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_GOOD);
	assert_non_null(strstr(http_header(&r, "cache-control"), "max-age="));
	assert_non_null(strstr(http_header(&r, "cache-control"), "public, no-transform, must-revalidate"));
	assert_non_null(http_header(&r, "last-modified"));
	assert_non_null(http_header(&r, "expires"));
	snprintf(etag, sizeof(etag), "%s", http_header(&r, "etag"));
	assert_int_equal(strlen(etag), 66);
	/* the same answer, unescaped this time, from the cache */
	assert_int_equal(ocsp_get(der, len, false, NULL, &r2), 200);
	assert_string_equal(http_header(&r2, "etag"), etag);
	assert_int_equal(r2.body_len, r.body_len);
	assert_memory_equal(r2.body, r.body, r.body_len);
	http_response_free(&r2);
	/* and by POST */
	assert_int_equal(http_pki_call(&in, "POST", "/ocsp", "application/ocsp-request", der, len,
	                               NULL, &r2), 200);
	assert_string_equal(http_header(&r2, "etag"), etag);
	http_response_free(&r2);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	assert_int_equal(ocsp_get(der, len, true, hdrs, &r2), 304);
	http_response_free(&r2);
	/* revoked: a new answer at once */
	http_revoke(&in, sub_id, serial, "superseded");
	assert_int_equal(ocsp_get(der, len, true, hdrs, &r2), 200);
	assert_int_equal(response_status(&r2, &cs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_REVOKED);
	assert_string_not_equal(http_header(&r2, "etag"), etag);
	http_response_free(&r2);
	http_response_free(&r);
	free(der);
	X509_free(x);
}

/* POSTs a request for x (issued by issuer) with a fresh nonce to in's
 * plain-HTTP listener; checks the answer is successful, uncached and
 * echoes the nonce. Returns the certificate's status (V_OCSP_CERTSTATUS_*),
 * the revocation reason in *reason. */
static int
nonce_post(struct instance *to, X509 *x, X509 *issuer, int *reason)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, x, issuer);
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	struct http_response r;
	int len, st;

	assert_non_null(req);
	assert_non_null(id);
	assert_non_null(OCSP_request_add0_id(req, id));
	assert_int_equal(OCSP_request_add1_nonce(req, NULL, 16), 1);
	assert_true((len = i2d_OCSP_REQUEST(req, &der)) > 0);
	assert_int_equal(http_pki_call(to, "POST", "/ocsp", "application/ocsp-request", der,
	                               (size_t)len, NULL, &r), 200);
	assert_string_equal(http_header(&r, "cache-control"), "no-cache, no-store");
	p = r.body;
	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)r.body_len));
	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_non_null(bs = OCSP_response_get1_basic(resp));
	assert_int_equal(OCSP_check_nonce(req, bs), 1);
	*reason = -1;
	st = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), reason, NULL, NULL, NULL);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	http_response_free(&r);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return st;
}

/* Nonce answers for a known certificate come from the statuses this
 * process remembers; a revocation, an unrevocation and a revocation with
 * another reason each show in the very next nonce answer. */
static void
test_nonce_status_cache(void **state)
{
	char serial[80], path[256];
	X509 *x = leaf(sub_id, "ocsp-nonce-cache", serial, path);
	int reason;

	for (int i = 0; i < 3; i++)
		assert_int_equal(nonce_post(&in, x, sub_cert, &reason), V_OCSP_CERTSTATUS_GOOD);
	http_revoke(&in, sub_id, serial, "certificateHold");
	assert_int_equal(nonce_post(&in, x, sub_cert, &reason), V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
	unrevoke(sub_id, serial);
	assert_int_equal(nonce_post(&in, x, sub_cert, &reason), V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(nonce_post(&in, x, sub_cert, &reason), V_OCSP_CERTSTATUS_GOOD);
	http_revoke(&in, sub_id, serial, "keyCompromise");
	assert_int_equal(nonce_post(&in, x, sub_cert, &reason), V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	X509_free(x);
}

/* A second server on the same database remembers the status too; a
 * revocation through the first reaches it by NOTIFY, so that its nonce
 * answers say revoked moments later (never good again). */
static void
test_nonce_status_two_servers(void **state)
{
	struct instance b;
	char serial[80], path[256];
	X509 *x = leaf(sub_id, "ocsp-nonce-two", serial, path);
	int reason = -1, st = V_OCSP_CERTSTATUS_GOOD;

	instance_start_pair(&b, &in);
	for (int i = 0; i < 3; i++)
		assert_int_equal(nonce_post(&b, x, sub_cert, &reason), V_OCSP_CERTSTATUS_GOOD);
	http_revoke(&in, sub_id, serial, "superseded");
	for (int i = 0; i < 50 && st == V_OCSP_CERTSTATUS_GOOD; i++) {
		if ((st = nonce_post(&b, x, sub_cert, &reason)) == V_OCSP_CERTSTATUS_GOOD)
			sleep_ms(100);
	}
	assert_int_equal(st, V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_SUPERSEDED);
	for (int i = 0; i < 3; i++)
		assert_int_equal(nonce_post(&b, x, sub_cert, &reason), V_OCSP_CERTSTATUS_REVOKED);
	instance_destroy_pair(&b);
	X509_free(x);
}

static void
test_gnutls(void **state)
{
	char serial[80], path[256], cmd[2048], url[512], respf[300];
	static char out[65536];
	X509 *x = leaf(sub_id, "ocsp-gnutls", serial, path);

	cert_first_url(x, NID_ad_OCSP, url, sizeof(url));
	snprintf(respf, sizeof(respf), "%s/gnutls.der", dir);
	snprintf(cmd, sizeof(cmd), "ocsptool --ask=%s --load-issuer=%s --load-cert=%s "
	         "--load-signer=%s --outfile=%s", url, sub_pem, path, sub_pem, respf);
	run(cmd, out, sizeof(out));
	if (strstr(out, "Certificate Status: good") == NULL ||
	    strstr(out, "Verifying OCSP Response: Success") == NULL)
		fail_msg("%s: %s", cmd, out);
	http_revoke(&in, sub_id, serial, "affiliationChanged");
	run(cmd, out, sizeof(out));
	if (strstr(out, "Certificate Status: revoked") == NULL ||
	    strstr(out, "Verifying OCSP Response: Success") == NULL)
		fail_msg("%s: %s", cmd, out);
	/* the saved response, verified again offline (-e) */
	snprintf(cmd, sizeof(cmd), "ocsptool -e --load-signer=%s --infile=%s", sub_pem, respf);
	run(cmd, out, sizeof(out));
	if (strstr(out, "Verifying OCSP Response: Success") == NULL)
		fail_msg("%s: %s", cmd, out);
	X509_free(x);
}

static void
test_delegated(void **state)
{
	char serial[80], path[256], url[512], out[8192], more[400], *n, *old;
	X509 *x = leaf(dlg_id, "ocsp-delegated", serial, path);

	cert_first_url(x, NID_ad_OCSP, url, sizeof(url));
	/* the responder's certificate comes in the answer; its issuer, the
	 * delegating CA, is given as an untrusted intermediate */
	snprintf(more, sizeof(more), "-no_nonce -verify_other %s -resp_text", dlg_pem);
	assert_string_equal(openssl_ocsp(dlg_pem, path, url, more, out, sizeof(out)), "good");
	assert_non_null(strstr(out, "OCSP Responder"));
	assert_non_null(strstr(out, "OCSP Signing"));
	assert_non_null(strstr(out, "OCSP No Check"));
	http_revoke(&in, dlg_id, serial, "keyCompromise");
	assert_string_equal(openssl_ocsp(dlg_pem, path, url, more, out, sizeof(out)), "revoked");
	n = instance_sql(&in, "SELECT count(*) FROM audit_events WHERE action = "
	                      "'ocsp.responder_issue' AND object_id = '%s'", dlg_id);
	assert_string_equal(n, "1");
	free(n);
	/* a responder in the last third of its life: the scheduler renews it */
	old = instance_sql(&in, "SELECT signer_key_id FROM ocsp_responders WHERE ca_id = '%s'",
	                   dlg_id);
	free(instance_sql(&in, "UPDATE ocsp_responders SET not_before = now() - interval '6 days', "
	                       "not_after = now() + interval '1 day' WHERE ca_id = '%s'", dlg_id));
	for (int i = 0; i < 100; i++) {
		n = instance_sql(&in, "SELECT signer_key_id FROM ocsp_responders WHERE ca_id = '%s' "
		                      "AND not_after > now() + interval '6 days'", dlg_id);
		if (n != NULL)
			break;
		sleep_ms(100);
	}
	assert_non_null(n);
	assert_string_not_equal(n, old);
	free(n);
	free(old);
	assert_string_equal(openssl_ocsp(dlg_pem, path, url, more, out, sizeof(out)), "revoked");
	X509_free(x);
}

/* PATCHes the subordinate's ocsp settings; the answer (freed by the caller). */
static struct http_response
patch_ocsp(const char *json, long want)
{
	char p[128];
	struct http_response r;

	snprintf(p, sizeof(p), "/api/v1/cas/%s", sub_id);
	assert_int_equal(http_call(&in, "PATCH", p, in.admin_token, "application/json", json,
	                           strlen(json), &r), want);
	return r;
}

static void
test_settings(void **state)
{
	char serial[80], path[256];
	X509 *x = leaf(sub_id, "ocsp-settings", serial, path);
	size_t len;
	unsigned char *der = request_der(sub_pem, path, &len);
	struct http_response r;
	int cs;

	r = patch_ocsp("{\"ocsp\": {\"validity_seconds\": 10}}", 422);
	http_response_free(&r);
	r = patch_ocsp("{\"ocsp\": {\"enabled\": false}}", 200);
	assert_false(json_is_true(json_object_get(json_object_get(r.json, "ocsp"), "enabled")));
	http_response_free(&r);
	/* the notification reaches this server's LISTEN within moments */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(ocsp_get(der, len, true, NULL, &r), 200);
		if (response_status(&r, &cs) == OCSP_RESPONSE_STATUS_UNAUTHORIZED)
			break;
		http_response_free(&r);
		sleep_ms(100);
	}
	assert_int_equal(response_status(&r, &cs), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	http_response_free(&r);
	r = patch_ocsp("{\"ocsp\": {\"enabled\": true, \"validity_seconds\": 600}}", 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "ocsp"),
	                                                    "validity_seconds")), 600);
	http_response_free(&r);
	free(der);
	X509_free(x);
}

/* A request for n serials of the subordinate with md. */
static unsigned char *
make_request(const EVP_MD *md, int n, X509 *issuer, size_t *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;

	for (int i = 0; i < n; i++) {
		ASN1_INTEGER *s = ASN1_INTEGER_new();
		ASN1_INTEGER_set(s, 1000 + i);
		assert_non_null(OCSP_request_add0_id(req, OCSP_cert_id_new(md,
		                X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer), s)));
		ASN1_INTEGER_free(s);
	}
	*len = (size_t)i2d_OCSP_REQUEST(req, &der);
	OCSP_REQUEST_free(req);
	return der;
}

/* POSTs body; the OCSP status of the answer (or -HTTP status). */
static int
post_status(const void *body, size_t len, const char *type)
{
	struct http_response r;
	long st = http_pki_call(&in, "POST", "/ocsp", type, body, len, NULL, &r);
	int cs, ocsp;

	if (st != 200) {
		assert_string_equal(r.content_type, "application/problem+json");
		http_response_free(&r);
		return (int)-st;
	}
	assert_string_equal(r.content_type, "application/ocsp-response");
	ocsp = response_status(&r, &cs);
	http_response_free(&r);
	return ocsp;
}

static void
test_hostile(void **state)
{
	size_t len;
	unsigned char *der = make_request(EVP_sha1(), 1, sub_cert, &len), *big;
	EVP_PKEY *k = t_key("EC-P256");
	X509 *stranger = t_ca_cert(k, "Not edgeca's", -1, time(NULL) - 60, time(NULL) + 3600);
	struct http_response r;
	const char *type = "application/ocsp-request";

	assert_int_equal(post_status(der, len, type), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(post_status(der, len - 3, type), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	assert_int_equal(post_status(der, len, "text/plain"), -415);
	free(der);
	big = calloc(1, 1 << 20);
	assert_int_equal(post_status(big, 1 << 20, type), -413);
	free(big);
	der = make_request(EVP_md5(), 1, sub_cert, &len);
	assert_int_equal(post_status(der, len, type), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	free(der);
	der = make_request(EVP_sha256(), 21, sub_cert, &len);
	assert_int_equal(post_status(der, len, type), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	free(der);
	der = make_request(EVP_sha1(), 5000, sub_cert, &len);
	assert_true(post_status(der, len, type) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST ||
	            post_status(der, len, type) == -413);
	free(der);
	der = make_request(EVP_sha1(), 1, stranger, &len);
	assert_int_equal(post_status(der, len, type), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	free(der);
	/* two issuers in one request */
	{
		OCSP_REQUEST *req = OCSP_REQUEST_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();
		ASN1_INTEGER_set(s, 5);
		OCSP_request_add0_id(req, OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(sub_cert),
		                                           X509_get0_pubkey_bitstr(sub_cert), s));
		OCSP_request_add0_id(req, OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(root_cert),
		                                           X509_get0_pubkey_bitstr(root_cert), s));
		der = NULL;
		len = (size_t)i2d_OCSP_REQUEST(req, &der);
		assert_int_equal(post_status(der, len, type), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
		OPENSSL_free(der);
		OCSP_REQUEST_free(req);
		ASN1_INTEGER_free(s);
	}
	/* garbage in the GET form */
	assert_int_equal(http_pki_call(&in, "GET", "/ocsp/%%%%not-base64!!", NULL, NULL, 0, NULL, &r),
	                 200);
	assert_int_equal(response_status(&r, &(int){0}), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	http_response_free(&r);
	assert_int_equal(http_pki_call(&in, "GET", "/ocsp/MAA=", NULL, NULL, 0, NULL, &r), 200);
	assert_int_equal(response_status(&r, &(int){0}), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	http_response_free(&r);
	/* and still serving */
	der = make_request(EVP_sha256(), 2, sub_cert, &len);
	assert_int_equal(post_status(der, len, type), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	free(der);
	X509_free(stranger);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statuses),     cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_nonce_status_cache),
		cmocka_unit_test(test_nonce_status_two_servers),
		cmocka_unit_test(test_get_and_caching), cmocka_unit_test(test_gnutls),
		cmocka_unit_test(test_delegated),    cmocka_unit_test(test_settings),
		cmocka_unit_test(test_hostile),
	};
	return fixture_run_tests(tests, &fx);
}
