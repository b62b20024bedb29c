#include "model/est/internal/auth.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/metrics.h"
#include "common/password.h"
#include "common/x509_cache.h"
#include "common/x509util.h"
#include "model/store/db.h"
#include "model/est/internal/throttle.h"

/* Whether a certificate this CA issued is still good. */
static const struct db_stmt cert_status_stmt = {
	STMT_EST_CERT_STATUS, "SELECT status, template FROM certificates WHERE ca_id = $1 AND serial = $2"};
static const struct db_stmt anchors_stmt = {
	STMT_EST_ANCHORS, "SELECT certificate_der FROM ca_est_anchors WHERE ca_id = $1 ORDER BY position"};
/* The certificates renewals replaced, while they are valid: what they
 * issued still authenticates until it expires. */
static const struct db_stmt previous_stmt = {
	STMT_EST_PREVIOUS_CA_CERTS,
	"SELECT h.certificate_der FROM ca_location_history h JOIN ca_locations l "
	"ON l.ca_id = h.ca_id AND l.name = h.location WHERE h.ca_id = $1 AND h.not_after > now() "
	"AND l.status <> 'revoked' ORDER BY h.location, h.generation DESC"};

void
est_identity_clear(struct est_identity *id)
{
	X509_free(id->cert);
	free(id->cn);
	memset(id, 0, sizeof(*id));
}

static const char *
verify_reason(int err, int depth)
{
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return depth == 0 ? "the client certificate has expired"
		                  : "a CA certificate in the client certificate's chain has expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return depth == 0 ? "the client certificate is not valid yet"
		                  : "a CA certificate in the client certificate's chain is not valid "
		                    "yet";
	case X509_V_ERR_INVALID_PURPOSE:
		return depth == 0 ? "the client certificate may not be used for TLS client "
		                    "authentication (its extended key usage lacks clientAuth, or its "
		                    "key usage allows neither digitalSignature nor keyAgreement)"
		                  : "a CA certificate in the client certificate's chain may not "
		                    "vouch for TLS clients (its extended key usage lacks clientAuth)";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return "the client certificate is not issued by this CA nor by one of its EST "
		       "bootstrap trust anchors";
	case X509_V_ERR_INVALID_CA:
		return "a certificate in the client certificate's chain is not a CA certificate";
	case X509_V_ERR_CERT_REVOKED:
		return "the client certificate is revoked";
	default:
		return NULL;
	}
}

edgeca_err
est_verify_cert(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors, time_t now,
                struct edgeca_msg *msg)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *vctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	edgeca_err rc = EDGECA_OK;
	int err;

	if (store == NULL || vctx == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(anchors); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(anchors, i)) != 1) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot load trust anchors");
			goto out;
		}
	/* A device authenticates with an end-entity certificate; a CA
	 * certificate (e.g. an IoT Edge device's Edge CA) is no client
	 * identity, even where its key usage would pass the TLS check. */
	if (X509_check_ca(leaf) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
		                 "the client certificate is a CA certificate, not a device's");
		goto out;
	}
	if (X509_STORE_CTX_init(vctx, store, leaf, untrusted) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot verify");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(vctx);
	/* The CA's own (intermediate) certificate is a trust anchor here. */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_time(param, now);
	X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_CLIENT);
	if (X509_verify_cert(vctx) != 1) {
		const char *reason;
		err = X509_STORE_CTX_get_error(vctx);
		reason = verify_reason(err, X509_STORE_CTX_get_error_depth(vctx));
		rc = reason ? edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate", "%s",
		                          reason)
		            : edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
		                          "the client certificate does not verify: %s",
		                          X509_verify_cert_error_string(err));
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(store);
	return rc;
}

/* The CA's location certificates (any location that has one). */
static STACK_OF(X509) *
location_certs(const struct ca *ca)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	for (size_t i = 0; sk != NULL && i < ca->n_locations; i++) {
		const struct ca_location *loc = &ca->locations[i];
		X509 *x;
		if (loc->cert_der == NULL || loc->status == LOCATION_REVOKED)
			continue;
		x = x509_cache_get(loc->cert_der, loc->cert_len);
		if (x == NULL || !sk_X509_push(sk, x)) {
			X509_free(x);
			sk_X509_pop_free(sk, X509_free);
			return NULL;
		}
	}
	return sk;
}

/* The certificates stmt selects for this CA, added to sk (a new stack
 * when sk is NULL); NULL on failure, with sk freed. */
static STACK_OF(X509) *
load_certs(PGconn *c, const struct ca *ca, const struct db_stmt *stmt, STACK_OF(X509) *sk,
           struct edgeca_msg *msg)
{
	struct db_param p[1] = {{ca->id, 0, false}};
	PGresult *r = NULL;

	if (db_exec_prepared(c, stmt, p, 1, &r, "load EST trust", msg) != EDGECA_OK) {
		sk_X509_pop_free(sk, X509_free);
		return NULL;
	}
	if (sk == NULL)
		sk = sk_X509_new_null();
	if (sk != NULL && db_get_certs(r, "certificate_der", sk) != 0) {
		sk_X509_pop_free(sk, X509_free);
		sk = NULL;
	}
	PQclear(r);
	if (sk == NULL)
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the EST trust anchors");
	return sk;
}

/* A certificate of this CA that its current certificates do not verify
 * may come from one a renewal replaced: verified again with those added.
 * The first refusal stands when there is none. */
static edgeca_err
verify_with_previous(PGconn *c, const struct ca *ca, X509 *leaf, STACK_OF(X509) *untrusted,
                     STACK_OF(X509) **anchors, time_t now, edgeca_err first,
                     struct edgeca_msg *msg)
{
	int before = sk_X509_num(*anchors);

	*anchors = load_certs(c, ca, &previous_stmt, *anchors, msg);
	if (*anchors == NULL)
		return EDGECA_ERR_INTERNAL;
	if (sk_X509_num(*anchors) == before)
		return first;
	return est_verify_cert(leaf, untrusted, *anchors, now, msg);
}

/* A certificate of this CA must be one the database holds, still valid. */
static edgeca_err
check_issued(PGconn *c, const struct ca *ca, X509 *leaf, struct edgeca_msg *msg)
{
	char serial[SERIAL_HEX_MAX];
	struct db_param p[2] = {{ca->id, 0, false}, {serial, 0, false}};
	enum cert_status status = CERT_VALID;
	PGresult *r = NULL;
	edgeca_err rc;

	if (asn1_integer_hex(X509_get0_serialNumber(leaf), serial) != 0)
		return edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
		                   "the client certificate's serial number cannot be read");
	rc = db_exec_prepared(c, &cert_status_stmt, p, 2, &r, "check client certificate", msg);
	if (rc != EDGECA_OK)
		return rc;
	if (PQntuples(r) != 1)
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
		                 "the client certificate (serial %s) is not one this CA issued", serial);
	else if (!cert_status_parse(db_get(r, 0, "status"), &status) || status != CERT_VALID)
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
		                 "the client certificate (serial %s) is %s", serial,
		                 db_get(r, 0, "status"));
	else if (strcmp(db_get(r, 0, "template"), "dps_verification") == 0)
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
		                 "a DPS verification certificate does not authenticate");
	PQclear(r);
	return rc;
}

static edgeca_err
auth_certificate(PGconn *c, const struct ca *ca, const struct est_client *client, time_t now,
                 struct est_identity *id, struct edgeca_msg *msg)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null(), *anchors = NULL;
	X509 *leaf = x509_from_der(client->chain[0], client->chain_len[0]);
	const struct ca_location *primary = ca_find_location(ca, NULL);
	X509 *ca_cert = NULL;
	bool ours = false;
	edgeca_err rc;
	int count = 0;

	if (leaf == NULL || untrusted == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
		                 "the client certificate cannot be read");
		goto out;
	}
	for (size_t i = 1; i < client->chain_n; i++) {
		X509 *x = x509_from_der(client->chain[i], client->chain_len[i]);
		if (x == NULL || !sk_X509_push(untrusted, x)) {
			X509_free(x);
			rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
			                 "a certificate of the client's chain cannot be read");
			goto out;
		}
	}
	/* All locations of a CA share its subject: the leaf's issuer name says
	 * whether it is one of ours; the key identifiers pick the location. */
	if (primary != NULL && (ca_cert = x509_cache_get(primary->cert_der, primary->cert_len)))
		ours = X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(ca_cert)) == 0;
	if (ours) {
		anchors = location_certs(ca);
		id->how = "issued";
	} else if (ca->est.n_anchors > 0) {
		anchors = load_certs(c, ca, &anchors_stmt, NULL, msg);
		id->how = "bootstrap";
		if (anchors == NULL) {
			rc = EDGECA_ERR_INTERNAL;
			goto out;
		}
	} else {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
		                 "the client certificate is not issued by this CA, and the CA has no "
		                 "EST bootstrap trust anchors");
		goto out;
	}
	if (anchors == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	rc = est_verify_cert(leaf, untrusted, anchors, now, msg);
	if (rc == EDGECA_ERR_UNAUTHENTICATED && ours)
		rc = verify_with_previous(c, ca, leaf, untrusted, &anchors, now, rc, msg);
	if (rc != EDGECA_OK || (ours && (rc = check_issued(c, ca, leaf, msg)) != EDGECA_OK))
		goto out;
	if (x509_name_common_name(X509_get_subject_name(leaf), &id->cn, &count) != 0 || count > 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-client-certificate",
		                 "the client certificate's subject has an unreadable or repeated CN");
		goto out;
	}
	id->cert = leaf;
	leaf = NULL;
out:
	X509_free(leaf);
	X509_free(ca_cert);
	sk_X509_pop_free(untrusted, X509_free);
	sk_X509_pop_free(anchors, X509_free);
	return rc;
}

/* How long a Basic check waits for a scrypt slot before the request is
 * answered 503 instead: slots come free every few tens of ms. */
#define SCRYPT_WAIT_MS 5000

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sets the Retry-After of msg to wait_ms in whole seconds (at least 1). */
static unsigned
retry_after(struct edgeca_msg *msg, uint64_t wait_ms)
{
	unsigned s = (unsigned)((wait_ms + 999) / 1000);

	s = s ? s : 1;
	if (msg != NULL)
		msg->retry_after = s;
	return s;
}

/* Whom the throttle counts a check against: the certificate that
 * authenticated the request, else the client's address. */
static void
throttle_key(const struct est_client *client, const struct est_identity *id,
             struct est_throttle_key *key)
{
	if (id->cert != NULL)
		est_throttle_key_cert(client->chain[0], client->chain_len[0], key);
	else if (client->address == NULL || est_throttle_key_address(client->address, key) != 0)
		memset(key, 0, sizeof(*key)); /* all unknown addresses share one entry */
}

/* Checks the Basic credentials under the throttle (model/est/internal/throttle.h):
 * a client that failed too often, or an anonymous one when the CA's
 * credential has had too many failures, is refused before any scrypt. */
static edgeca_err
auth_password(const struct ca *ca, const struct est_client *client,
              const struct est_identity *id, struct edgeca_msg *msg)
{
	struct est_throttle *t = est_throttle_shared();
	struct est_throttle_key key;
	struct est_throttle_ticket ticket;
	enum est_throttle_verdict v;
	enum password_result pw;
	uint64_t wait_ms = 0;
	bool user_ok;

	if (ca->est.basic_password_hash == NULL)
		return edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-basic-auth",
		                   "this CA accepts no HTTP Basic credentials over EST");
	if (t == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	throttle_key(client, id, &key);
	v = est_throttle_admit(t, &key, id->cert == NULL, ca->id, monotonic_ms(), &ticket, &wait_ms);
	if (v == EST_THROTTLE_CLIENT_WAIT)
		return edgeca_fail(msg, EDGECA_ERR_THROTTLED, "est-basic-throttled",
		                   "too many wrong HTTP Basic credentials from this client; retry in "
		                   "%u s", retry_after(msg, wait_ms));
	if (v == EST_THROTTLE_CA_WAIT)
		return edgeca_fail(msg, EDGECA_ERR_THROTTLED, "est-basic-throttled",
		                   "too many wrong HTTP Basic credentials for this CA; retry in %u s "
		                   "(clients with a certificate, or that succeeded lately, go on)",
		                   retry_after(msg, wait_ms));
	/* Both checks always run: the answer's timing says nothing of which
	 * one failed. */
	user_ok = strcmp(client->basic_user, ca->est.basic_username) == 0;
	pw = password_check(client->basic_password, ca->est.basic_password_hash, SCRYPT_WAIT_MS);
	if (pw == PASSWORD_BUSY) {
		est_throttle_done(t, &ticket, EST_THROTTLE_ABANDONED, monotonic_ms());
		retry_after(msg, 1000);
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "est-busy",
		                   "too many HTTP Basic checks at once; retry shortly");
	}
	est_throttle_done(t, &ticket,
	                  user_ok && pw == PASSWORD_MATCH ? EST_THROTTLE_OK : EST_THROTTLE_FAILED,
	                  monotonic_ms());
	if (!user_ok || pw != PASSWORD_MATCH)
		return edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-basic-auth",
		                   "wrong HTTP Basic user name or password");
	return EDGECA_OK;
}

edgeca_err
est_authenticate(PGconn *c, const struct ca *ca, const struct est_client *client, time_t now,
                 struct est_identity *id, struct edgeca_msg *msg)
{
	char serial[SERIAL_HEX_MAX] = "";
	edgeca_err rc;

	memset(id, 0, sizeof(*id));
	if (client->chain_n == 0 && client->basic_user == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "est-no-credentials",
		                 "a TLS client certificate is required (or HTTP Basic credentials, "
		                 "where the CA has them)");
		goto fail;
	}
	if (client->chain_n > 0 &&
	    (rc = auth_certificate(c, ca, client, now, id, msg)) != EDGECA_OK)
		goto fail;
	if (client->basic_user != NULL) {
		if ((rc = auth_password(ca, client, id, msg)) != EDGECA_OK)
			goto fail;
		id->by_password = true;
		if (id->cert == NULL)
			id->how = "basic";
	}
	if (id->cert != NULL) {
		asn1_integer_hex(X509_get0_serialNumber(id->cert), serial);
		snprintf(id->actor, sizeof(id->actor), "est:%s:%s:%.100s%s", id->how, serial,
		         id->cn ? id->cn : "", id->by_password ? "+basic" : "");
	} else {
		snprintf(id->actor, sizeof(id->actor), "est:basic:%s", client->basic_user);
	}
	return EDGECA_OK;
fail:
	/* refusals only, not a database outage; the slug is one of a few
	 * fixed names: a label, never the detail */
	if (rc == EDGECA_ERR_UNAUTHENTICATED || rc == EDGECA_ERR_THROTTLED)
		metrics_est_auth_failure(edgeca_msg_slug(msg, rc));
	est_identity_clear(id);
	return rc;
}
