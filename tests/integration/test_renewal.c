/* Renewal of a subordinate CA chained to an internal parent
 * (POST /api/v1/cas/{id}/renew): each location gets a new key and
 * certificate from the parent, certificates issued afterwards chain to the
 * new one, certificates issued before still verify with the old one (kept
 * in previous_certificates), each key publishes the CRL of what it issued
 * at the distribution point its certificates name, the scheduler's
 * automatic renewal (once, notified as renewed, or renewal_failed when the
 * parent allows no gain), and the refusals (root, waiting CA, unknown
 * location, roles). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "common/timeutil.h"
#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"
#include "tests/integration/public_crl.h"

#define PUBLIC_URL "https://ca.example.test:8443"
/* the base of the CRL and issuer URLs certificates carry */
#define PKI_URL "http://pki.example.test"

static struct instance in;
static char root_id[64];
static X509 *root_cert;

static void
fixture_ready(void)
{
	struct http_response r;

	r = http_post_expect(&in, "/api/v1/cas",
	                     "{\"common_name\": \"Renewal Root\", \"validity_days\": 3650, "
	                     "\"issuance\": {\"template\": \"subordinate_ca\"}}", 201);
	snprintf(root_id, sizeof(root_id), "%s", http_json_str(&r, "id"));
	root_cert = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(root_cert);
	http_response_free(&r);
}

static void
fixture_done(void)
{
	X509_free(root_cert);
}

static const struct fixture fx = {
	.in = &in,
	.name = "renewal",
	.env = {
		"EDGECA_PUBLIC_URL=" PUBLIC_URL,
		"EDGECA_PUBLIC_PKI_URL=" PKI_URL,
		"EDGECA_CRL_DELAY_MS=300",
		"EDGECA_SCHEDULER_INTERVAL=1",
	},
	.ready = fixture_ready,
	.done = fixture_done,
};

/* Issues a device certificate from location of ca; its chain in chain,
 * its serial in serial (when not NULL). */
static X509 *
issue_device_serial(const char *ca, const char *location, const char *cn,
                    STACK_OF(X509) **chain, char serial[80])
{
	struct http_response r = http_issue(&in, ca, location, cn);
	X509 *x = pem_cert(http_json_str(&r, "certificate_pem"));

	assert_non_null(x);
	*chain = pem_certs(http_json_str(&r, "chain_pem"));
	assert_non_null(*chain);
	if (serial != NULL)
		snprintf(serial, 80, "%s", http_json_str(&r, "serial_number"));
	http_response_free(&r);
	return x;
}

static X509 *
issue_device(const char *ca, const char *location, const char *cn, STACK_OF(X509) **chain)
{
	return issue_device_serial(ca, location, cn, chain, NULL);
}

/* The previous_certificates of location name in a CA answer. */
static json_t *
previous_of(const struct http_response *r, const char *name)
{
	return json_object_get(http_location(r, name), "previous_certificates");
}

static X509 *
previous_cert(const struct http_response *r, const char *name, size_t i)
{
	json_t *p = json_array_get(previous_of(r, name), i);
	X509 *x;

	assert_non_null(p);
	x = pem_cert(json_string_value(json_object_get(p, "certificate_pem")));
	assert_non_null(x);
	return x;
}

/* One-certificate untrusted stack. */
static STACK_OF(X509) *
just(X509 *x)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	assert_non_null(s);
	assert_true(sk_X509_push(s, x) > 0);
	return s;
}

static void
test_renew_internal(void **state)
{
	char sub_id[64], path[160], *body;
	STACK_OF(X509) *chain_before, *chain_after, *s;
	X509 *west, *east, *new_west, *new_east, *before, *after, *prev;
	struct http_response r;
	time_t old_na, new_na;

	(void)state;
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Renewed Issuing CA\", "
	                "\"parent_ca_id\": \"%s\", \"locations\": [\"westeurope\", \"eastus\"], "
	                "\"validity_days\": 730}", root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	free(body);
	snprintf(sub_id, sizeof(sub_id), "%s", http_json_str(&r, "id"));
	assert_int_equal(json_array_size(previous_of(&r, "westeurope")), 0);
	west = http_location_cert(&r, "westeurope");
	east = http_location_cert(&r, "eastus");
	http_response_free(&r);
	before = issue_device(sub_id, "westeurope", "device-before", &chain_before);

	/* one location: a new key and certificate from the root */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", sub_id);
	r = http_post_expect(&in, path, "{\"location\": \"westeurope\"}", 200);
	new_west = http_location_cert(&r, "westeurope");
	new_east = http_location_cert(&r, "eastus");
	assert_int_not_equal(X509_cmp(new_west, west), 0);
	assert_int_not_equal(EVP_PKEY_eq(X509_get0_pubkey(new_west), X509_get0_pubkey(west)), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(new_west),
	                               X509_get_subject_name(west)), 0);
	assert_int_equal(X509_cmp(new_east, east), 0); /* not asked for */
	assert_int_equal(json_array_size(previous_of(&r, "westeurope")), 1);
	assert_int_equal(json_array_size(previous_of(&r, "eastus")), 0);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_array_get(previous_of(&r, "westeurope"), 0), "generation")), 1);
	prev = previous_cert(&r, "westeurope", 0);
	assert_int_equal(X509_cmp(prev, west), 0);
	X509_free(prev);
	http_response_free(&r);
	s = sk_X509_new_null();
	assert_int_equal(verify_chain(new_west, s, root_cert), X509_V_OK);
	sk_X509_free(s);
	assert_int_equal(X509_check_ca(new_west), 1);
	/* validity as at creation: the longest the root allows (at most 1825 days) */
	assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(west), &old_na), 0);
	assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(new_west), &new_na), 0);
	assert_true(new_na >= old_na && new_na <= time(NULL) + 1825 * 86400);

	/* after: chains to the new certificate, not the old one */
	after = issue_device(sub_id, "westeurope", "device-after", &chain_after);
	assert_int_equal(X509_check_issued(new_west, after), X509_V_OK);
	assert_int_not_equal(X509_check_issued(west, after), X509_V_OK);
	assert_int_equal(X509_cmp(sk_X509_value(chain_after, 0), new_west), 0);
	assert_int_equal(verify_chain(after, chain_after, root_cert), X509_V_OK);
	s = just(west);
	assert_int_not_equal(verify_chain(after, s, root_cert), X509_V_OK);
	sk_X509_free(s);
	/* before: still verifies with the old certificate, which is valid */
	assert_int_equal(verify_chain(before, chain_before, root_cert), X509_V_OK);
	s = just(west);
	assert_int_equal(verify_chain(before, s, root_cert), X509_V_OK);
	sk_X509_free(s);
	s = just(new_west);
	assert_int_not_equal(verify_chain(before, s, root_cert), X509_V_OK);
	sk_X509_free(s);

	/* the reads show the rollover */
	snprintf(path, sizeof(path), "/api/v1/cas/%s", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_int_equal(json_array_size(previous_of(&r, "westeurope")), 1);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/locations/westeurope/chain", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	s = pem_certs((const char *)r.body);
	assert_int_equal(X509_cmp(sk_X509_value(s, 0), new_west), 0);
	sk_X509_pop_free(s, X509_free);
	http_response_free(&r);

	/* an empty body renews every active location, newest generation first */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", sub_id);
	assert_int_equal(http_call(&in, "POST", path, in.admin_token, NULL, NULL, 0, &r), 200);
	assert_int_equal(json_array_size(previous_of(&r, "westeurope")), 2);
	assert_int_equal(json_array_size(previous_of(&r, "eastus")), 1);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_array_get(previous_of(&r, "westeurope"), 0), "generation")), 2);
	prev = previous_cert(&r, "westeurope", 0);
	assert_int_equal(X509_cmp(prev, new_west), 0);
	X509_free(prev);
	prev = previous_cert(&r, "eastus", 0);
	assert_int_equal(X509_cmp(prev, east), 0);
	X509_free(prev);
	http_response_free(&r);
	assert_int_equal(http_get(&in, "/api/v1/cas", in.admin_token, &r), 200);
	http_response_free(&r);

	/* audited once per location renewed, with both serials */
	{
		char sql[256];
		PGconn *c = PQconnectdb(in.admin_database_url);
		PGresult *res;

		snprintf(sql, sizeof(sql), "SELECT count(*), count(DISTINCT details->>'previous_serial') "
		         "FROM audit_events WHERE action = 'ca.renew' AND object_id = '%s'", sub_id);
		res = PQexec(c, sql);
		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		assert_string_equal(PQgetvalue(res, 0, 0), "3");
		assert_string_equal(PQgetvalue(res, 0, 1), "3");
		PQclear(res);
		PQfinish(c);
	}

	/* refusals */
	http_expect(404, "location-not-found",
	            http_post_json(&in, path, in.admin_token, "{\"location\": \"nowhere\"}", &r), &r);
	http_expect(400, "unknown-field",
	            http_post_json(&in, path, in.admin_token, "{\"locations\": \"eastus\"}", &r), &r);

	sk_X509_pop_free(chain_before, X509_free);
	sk_X509_pop_free(chain_after, X509_free);
	X509_free(before);
	X509_free(after);
	X509_free(west);
	X509_free(east);
	X509_free(new_west);
	X509_free(new_east);
}

static void
test_renew_refused(void **state)
{
	char path[160], pending_id[64], requester[128];
	struct http_response r;

	(void)state;
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", root_id);
	http_expect(422, "root-renewal", http_post_json(&in, path, in.admin_token, "{}", &r), &r);
	http_create_ca(&in, "{\"kind\": \"subordinate\", \"common_name\": \"Waiting CA\"}",
	               pending_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", pending_id);
	http_expect(409, "ca-not-active", http_post_json(&in, path, in.admin_token, "{}", &r), &r);
	http_expect(404, "ca-not-found",
	            http_post_json(&in, "/api/v1/cas/00000000-0000-4000-8000-000000000000/renew",
	                           in.admin_token, "{}", &r), &r);
	instance_token(&in, "requester", "renewal-requester", requester, sizeof(requester));
	http_expect(403, NULL, http_post_json(&in, path, requester, "{}", &r), &r);
	http_expect(401, NULL, http_post_json(&in, path, NULL, "{}", &r), &r);
}

/* What OpenSSL says of leaf under root, through issuer, checking the
 * leaf's revocation with crl. */
static int
verify_with_crl(X509 *leaf, X509 *issuer, X509_CRL *crl)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = just(issuer);
	int err;

	assert_non_null(store);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(store, root_cert), 1);
	assert_int_equal(X509_STORE_add_crl(store, crl), 1);
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
	err = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
	return err;
}

static bool
names_crl(X509 *x, const char *url)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	bool found = false;

	for (int i = 0; i < sk_DIST_POINT_num(dps) && !found; i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *names = dp->distpoint ? dp->distpoint->name.fullname : NULL;
		for (int k = 0; k < sk_GENERAL_NAME_num(names) && !found; k++) {
			GENERAL_NAME *n = sk_GENERAL_NAME_value(names, k);
			found = n->type == GEN_URI &&
			        strcmp((const char *)ASN1_STRING_get0_data(n->d.uniformResourceIdentifier),
			               url) == 0;
		}
	}
	CRL_DIST_POINTS_free(dps);
	return found;
}

/* A subordinate named cn under the root: its id into sub_id, its CA
 * certificate. */
static X509 *
create_sub(const char *cn, char sub_id[64])
{
	struct http_response r;
	char *body;
	X509 *ca;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"%s\", "
	                 "\"parent_ca_id\": \"%s\"}", cn, root_id);
	r = http_post_expect(&in, "/api/v1/cas", body, 201);
	free(body);
	snprintf(sub_id, 64, "%s", http_json_str(&r, "id"));
	ca = http_location_cert(&r, "default");
	http_response_free(&r);
	return ca;
}

/* Renews sub_id by hand; its new CA certificate. */
static X509 *
renew_by_hand(const char *sub_id)
{
	struct http_response r;
	char path[160];
	X509 *ca;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/renew", sub_id);
	r = http_post_expect(&in, path, "{}", 200);
	ca = http_location_cert(&r, "default");
	http_response_free(&r);
	return ca;
}

/* Each key publishes the CRL of the certificates it issued, at the
 * distribution point they name; the old key's until they have expired. */
static void
test_renewal_crls(void **state)
{
	char sub_id[64], path[200], url[300], s_before[80], s_after[80];
	STACK_OF(X509) *chain;
	X509 *old_ca, *new_ca, *before, *after;
	X509_CRL *old_crl, *new_crl;
	struct http_response r;

	(void)state;
	old_ca = create_sub("CRL Issuing CA", sub_id);
	before = issue_device_serial(sub_id, "default", "crl-before", &chain, s_before);
	sk_X509_pop_free(chain, X509_free);
	new_ca = renew_by_hand(sub_id);
	after = issue_device_serial(sub_id, "default", "crl-after", &chain, s_after);
	sk_X509_pop_free(chain, X509_free);

	/* the distribution point of the key that issued each */
	snprintf(url, sizeof(url), PKI_URL "/crl/%s/default.crl", sub_id);
	assert_true(names_crl(before, url));
	snprintf(url, sizeof(url), PKI_URL "/crl/%s/default.2.crl", sub_id);
	assert_true(names_crl(after, url));
	assert_false(names_crl(before, url));
	/* and the issuer certificate of that key (AIA), served for good */
	snprintf(url, sizeof(url), PKI_URL "/ca/%s/default.crt", sub_id);
	assert_true(ext_has_url(before, NID_info_access, url));
	snprintf(url, sizeof(url), PKI_URL "/ca/%s/default.2.crt", sub_id);
	assert_true(ext_has_url(after, NID_info_access, url));
	assert_false(ext_has_url(before, NID_info_access, url));
	for (int gen = 1; gen <= 2; gen++) {
		const unsigned char *p;
		X509 *served;
		if (gen == 1)
			snprintf(path, sizeof(path), "/ca/%s/default.crt", sub_id);
		else
			snprintf(path, sizeof(path), "/ca/%s/default.%d.crt", sub_id, gen);
		assert_int_equal(http_get(&in, path, NULL, &r), 200);
		assert_string_equal(r.content_type, "application/pkix-cert");
		p = r.body;
		assert_non_null(served = d2i_X509(NULL, &p, (long)r.body_len));
		assert_int_equal(X509_cmp(served, gen == 1 ? old_ca : new_ca), 0);
		assert_int_equal(X509_check_issued(served, gen == 1 ? before : after), X509_V_OK);
		X509_free(served);
		http_response_free(&r);
	}
	snprintf(path, sizeof(path), "/ca/%s/default.3.crt", sub_id);
	http_expect(404, "not-found", http_get(&in, path, NULL, &r), &r);
	snprintf(path, sizeof(path), "/ca/%s/default.02.crt", sub_id);
	http_expect(404, "not-found", http_get(&in, path, NULL, &r), &r);

	http_revoke(&in, sub_id, s_before, "keyCompromise");
	http_revoke(&in, sub_id, s_after, "keyCompromise");
	old_crl = public_crl_wait_listing(&in, sub_id, "default.crl", before);
	new_crl = public_crl_wait_listing(&in, sub_id, "default.2.crl", after);
	/* each signed by its own key, listing only what that key issued */
	assert_int_equal(X509_CRL_verify(old_crl, X509_get0_pubkey(old_ca)), 1);
	assert_int_equal(X509_CRL_verify(new_crl, X509_get0_pubkey(new_ca)), 1);
	assert_int_not_equal(X509_CRL_verify(new_crl, X509_get0_pubkey(old_ca)), 1);
	assert_false(crl_lists(old_crl, after));
	assert_false(crl_lists(new_crl, before));
	/* OpenSSL, checking revocation, finds each revoked through its own CRL */
	assert_int_equal(verify_with_crl(before, old_ca, old_crl), X509_V_ERR_CERT_REVOKED);
	assert_int_equal(verify_with_crl(after, new_ca, new_crl), X509_V_ERR_CERT_REVOKED);
	/* the API's CRL of the location is its current key's */
	snprintf(path, sizeof(path), "/api/v1/cas/%s/crl", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	{
		const unsigned char *p = r.body;
		X509_CRL *current = d2i_X509_CRL(NULL, &p, (long)r.body_len);
		assert_non_null(current);
		assert_int_equal(X509_CRL_verify(current, X509_get0_pubkey(new_ca)), 1);
		X509_CRL_free(current);
	}
	http_response_free(&r);
	/* no such generation, or not spelled as the URLs are */
	snprintf(path, sizeof(path), "/crl/%s/default.3.crl", sub_id);
	http_expect(404, NULL, http_get(&in, path, NULL, &r), &r);
	snprintf(path, sizeof(path), "/crl/%s/default.02.crl", sub_id);
	http_expect(404, "not-found", http_get(&in, path, NULL, &r), &r);

	X509_CRL_free(old_crl);
	X509_CRL_free(new_crl);
	X509_free(before);
	X509_free(after);
	X509_free(old_ca);
	X509_free(new_ca);
}

/* The kinds of a CA's notifications, "," separated. */
static void
notification_kinds(const char *ca, char *out, size_t len)
{
	char path[160];
	struct http_response r;
	json_t *item;
	size_t i;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/api/v1/cas/%s/notifications", ca);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	json_array_foreach(json_object_get(r.json, "items"), i, item)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "",
		         json_string_value(json_object_get(item, "kind")));
	http_response_free(&r);
}

/* Waits up to 20 s until ca's notifications include kind. */
static void
wait_notification(const char *ca, const char *kind, char *kinds, size_t len)
{
	for (int i = 0; i < 200; i++) {
		notification_kinds(ca, kinds, len);
		if (strstr(kinds, kind) != NULL)
			return;
		usleep(100000);
	}
	fail_msg("no %s notification for CA %s (has: %s)", kind, ca, kinds);
}

static size_t
n_previous(const char *ca)
{
	char path[160];
	struct http_response r;
	size_t n;

	snprintf(path, sizeof(path), "/api/v1/cas/%s", ca);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	n = json_array_size(previous_of(&r, "default"));
	http_response_free(&r);
	return n;
}

/* A subordinate of root (through instance at) set to auto_renew, valid one
 * day while it may issue for 30: due for renewal at once. */
static void
create_due_sub(struct instance *at, const char *cn, char id[64])
{
	char *body;

	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"%s\", "
	                "\"parent_ca_id\": \"%s\", \"validity_days\": 1, "
	                "\"issuance\": {\"max_validity_days\": 30}, "
	                "\"lifecycle\": {\"action\": \"auto_renew\"}}", cn, root_id);
	http_create_ca(at, body, id);
	free(body);
}

/* A subordinate set to auto_renew that can no longer issue certificates
 * of its full max_validity_days renews itself, once; one that a renewal
 * would not help waits for its threshold; one whose parent allows nothing
 * later is reported as renewal_failed. */
static void
test_auto_renew(void **state)
{
	char sub_id[64], steady_id[64], short_id[64], child_id[64], kinds[512], path[160], *body;
	char *old_id, *new_id = NULL;
	struct http_response r;
	X509 *now_cert;
	time_t na;

	(void)state;
	create_due_sub(&in, "Auto CA", sub_id);
	wait_notification(sub_id, "renewed", kinds, sizeof(kinds));
	assert_null(strstr(kinds, "renewal_failed"));
	assert_int_equal(n_previous(sub_id), 1);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", sub_id);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	now_cert = http_location_cert(&r, "default");
	http_response_free(&r);
	assert_int_equal(asn1_time_to_time_t(X509_get0_notAfter(now_cert), &na), 0);
	assert_true(na > time(NULL) + 30 * 86400); /* no longer due */
	X509_free(now_cert);
	sleep(3); /* several passes: renewed once */
	assert_int_equal(n_previous(sub_id), 1);
	/* a renewal whose notification was never made (the instance stopped
	 * right after the renewal's commit) is notified at the next pass */
	old_id = instance_sql(&in, "DELETE FROM notifications WHERE ca_id = '%s' AND kind = "
	                      "'renewed' RETURNING id", sub_id);
	assert_non_null(old_id);
	/* made again by a pass (one may come before this read: the new row's
	 * id tells it from the deleted one) */
	for (int i = 0; i < 200 && new_id == NULL; i++) {
		new_id = instance_sql(&in, "SELECT id FROM notifications WHERE ca_id = '%s' AND "
		                      "kind = 'renewed' AND id <> '%s'", sub_id, old_id);
		if (new_id == NULL)
			usleep(100000);
	}
	assert_non_null(new_id);
	free(old_id);
	free(new_id);
	assert_int_equal(n_previous(sub_id), 1);

	/* A CA that issues for as long as its parent lets it live (1825 days
	 * both) can never issue its full max_validity_days for long: renewing
	 * would not change that, so it waits for its threshold instead of
	 * being renewed at every pass. */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Steady CA\", "
	                "\"parent_ca_id\": \"%s\", \"issuance\": {\"template\": \"subordinate_ca\"}, "
	                "\"lifecycle\": {\"action\": \"auto_renew\"}}", root_id);
	http_create_ca(&in, body, steady_id);
	free(body);
	sleep(4); /* four passes */
	assert_int_equal(n_previous(steady_id), 0);
	notification_kinds(steady_id, kinds, sizeof(kinds));
	assert_null(strstr(kinds, "renewed"));
	assert_null(strstr(kinds, "renewal_failed"));

	/* below a parent that expires in two days, nothing can be gained */
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Short Parent\", "
	                "\"parent_ca_id\": \"%s\", \"validity_days\": 2, "
	                "\"issuance\": {\"template\": \"subordinate_ca\"}}", root_id);
	http_create_ca(&in, body, short_id);
	free(body);
	xasprintf(&body, "{\"kind\": \"subordinate\", \"common_name\": \"Doomed CA\", "
	                "\"parent_ca_id\": \"%s\", "
	                "\"lifecycle\": {\"action\": \"auto_renew\"}}", short_id);
	http_create_ca(&in, body, child_id);
	free(body);
	wait_notification(child_id, "renewal_failed", kinds, sizeof(kinds));
	assert_null(strstr(kinds, "renewed"));
	assert_int_equal(n_previous(child_id), 0);
}

/* Two server instances on one database and signer: each due location is
 * renewed once, by one of them. */
static void
test_auto_renew_two_instances(void **state)
{
	char ids[4][64], kinds[512], sql[512];
	struct instance peer;

	(void)state;
	instance_start_peer(&peer, &in);
	for (int i = 0; i < 4; i++) {
		char cn[32];
		snprintf(cn, sizeof(cn), "Shared %d", i);
		create_due_sub(i % 2 ? &peer : &in, cn, ids[i]);
	}
	for (int i = 0; i < 4; i++)
		wait_notification(ids[i], "renewed", kinds, sizeof(kinds));
	sleep(3); /* several more passes of both instances */
	for (int i = 0; i < 4; i++) {
		PGconn *c = PQconnectdb(in.admin_database_url);
		PGresult *res;

		assert_int_equal(n_previous(ids[i]), 1);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_events WHERE action = "
		         "'ca.renew' AND object_id = '%s'", ids[i]);
		res = PQexec(c, sql);
		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		assert_string_equal(PQgetvalue(res, 0, 0), "1");
		PQclear(res);
		PQfinish(c);
	}
	instance_destroy_peer(&peer);
}

/* Revoking a renewed CA revokes, at its parent, the certificates the
 * renewals replaced as well as the current one: all are on the root's CRL. */
static void
test_revoke_renewed(void **state)
{
	char sub_id[64], path[160];
	struct http_response r;
	X509 *old_ca, *new_ca;
	X509_CRL *crl;

	(void)state;
	old_ca = create_sub("Revoked Renewed CA", sub_id);
	new_ca = renew_by_hand(sub_id);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/revoke", sub_id);
	r = http_post_expect(&in, path, "{\"reason\": \"keyCompromise\"}", 200);
	http_response_free(&r);
	crl = public_crl_wait_listing(&in, root_id, "default.crl", old_ca);
	X509_CRL_free(crl);
	crl = public_crl_wait_listing(&in, root_id, "default.crl", new_ca);
	assert_true(crl_lists(crl, old_ca));
	X509_CRL_free(crl);
	X509_free(old_ca);
	X509_free(new_ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renew_internal),
		cmocka_unit_test(test_renew_refused),
		cmocka_unit_test(test_renewal_crls),
		cmocka_unit_test(test_auto_renew),
		cmocka_unit_test(test_auto_renew_two_instances),
		cmocka_unit_test(test_revoke_renewed),
	};
	return fixture_run_tests(tests, &fx);
}
