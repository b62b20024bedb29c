/* Issuance: the one path by which every certificate edgeca hands out
 * comes to be (REST, EST, the DPS helpers): authorized, signed by the
 * signer with no database connection held, then stored with its audit
 * row before it is returned. */
#include "model/cert/certificate.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csr.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/timeutil.h"
#include "model/ca/store.h"
#include "model/cert/issuance.h"
#include "model/cert/issue_policy.h"
#include "model/cert/store.h"
#include "model/core/context.h"
#include "model/store/db.h"
#include "signer/proto/templates.h"

/* A serial collision is astronomically unlikely with 126 random bits; a
 * few attempts make it impossible in practice, and the database refuses
 * a reused serial in any case. */
#define ISSUE_ATTEMPTS 3

edgeca_err
cert_resolve_validity(const struct cert_issue_req *req, int max_validity_days,
                      time_t issuer_not_after, time_t now, time_t *not_after, char *warning,
                      size_t warning_len, struct edgeca_msg *msg)
{
	time_t max_end = now + (time_t)max_validity_days * 86400;
	char when[RFC3339_LEN];

	warning[0] = '\0';
	rfc3339_format(issuer_not_after, when);
	if (issuer_not_after <= now)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-expired",
		                   "the issuing CA certificate expired at %s", when);
	if (req->validity_days != CA_FIELD_UNSET && req->has_not_after)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "give validity_days or not_after, not both");
	if (req->validity_days != CA_FIELD_UNSET) {
		if (req->validity_days < 1)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "validity_days must be at least 1");
		if (req->validity_days > max_validity_days)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "validity-exceeds-policy",
			                   "validity_days %ld exceeds the CA's maximum of %d days",
			                   req->validity_days, max_validity_days);
		*not_after = now + (time_t)req->validity_days * 86400;
	} else if (req->has_not_after) {
		if (req->not_after <= now)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "not_after must be in the future");
		if (req->not_after > max_end)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "validity-exceeds-policy",
			                   "not_after is beyond the CA's maximum validity of %d days",
			                   max_validity_days);
		*not_after = req->not_after;
	} else {
		*not_after = max_end;
		if (max_end > issuer_not_after) {
			*not_after = issuer_not_after;
			snprintf(warning, warning_len,
			         "validity shortened from the CA's maximum of %d days to %lld days: a "
			         "certificate may not outlive its issuer, which expires at %s",
			         max_validity_days, (long long)((issuer_not_after - now) / 86400), when);
		}
		return EDGECA_OK;
	}
	if (*not_after > issuer_not_after)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "validity-exceeds-issuer",
		                   "the certificate would outlive its issuing CA, which expires at %s",
		                   when);
	return EDGECA_OK;
}

void
cert_take_issued(struct certificate *cert, struct signer_issued *issued)
{
	cert->der = issued->der;
	cert->der_len = issued->der_len;
	cert->subject = issued->subject;
	cert->common_name = issued->common_name;
	cert->sans = issued->sans;
	snprintf(cert->serial, sizeof(cert->serial), "%s", issued->serial);
	snprintf(cert->key_algorithm, sizeof(cert->key_algorithm), "%s", issued->key_algorithm);
	cert->not_before = issued->not_before;
	cert->not_after = issued->not_after;
	memset(issued, 0, sizeof(*issued));
}

static char **
one_warning(const char *w)
{
	char **v = calloc(2, sizeof(char *));

	if (v != NULL && w[0] != '\0' && (v[0] = strdup(w)) == NULL) {
		free(v);
		return NULL;
	}
	return v;
}

/* Stores cert, just signed: on a connection taken only now, so that no
 * database connection waits for the signer. */
static edgeca_err
store_signed(struct edgeca_ctx *ctx, struct certificate *cert, const char *actor,
             const char *action, long path_length, bool *serial_taken, struct edgeca_msg *msg)
{
	PGconn *c = NULL;
	edgeca_err rc;

	*serial_taken = false;
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	rc = cert_store_insert(c, cert, actor, action, path_length, serial_taken, msg);
	db_release(ctx->db, c);
	return rc;
}

/* cert_sign_and_store, and cert_issue for a subordinate CA: path_length is
 * asked of the signer for a CA template (-1: none) and recorded with
 * action; channel ("rest", "est") labels the issuance count. */
static edgeca_err
sign_and_store(struct edgeca_ctx *ctx, const char *actor, const char *channel,
               const struct ca *ca, const struct ca_location *loc, const struct tpl_def *t, long path_length,
               const char *action, const unsigned char *csr_der, size_t csr_len,
               time_t not_after, struct certificate **out, struct edgeca_msg *msg)
{
	char crl_url[PUBLIC_URL_BYTES], aia_url[PUBLIC_URL_BYTES], ocsp_url[PUBLIC_URL_BYTES];
	char delta_url[PUBLIC_URL_BYTES];
	struct signer_issue_opts opts = {.path_length = path_length,
	                                 .crl_url = crl_url,
	                                 .aia_url = aia_url,
	                                 .ocsp_url = ocsp_url,
	                                 .freshest_crl_url = delta_url};
	struct signer_issued issued = {0};
	struct certificate *cert = NULL;
	bool serial_taken = false;
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	ca_issuer_urls(&ctx->settings, ca, loc, crl_url, aia_url);
	ca_ocsp_url(&ctx->settings, ca, ocsp_url);
	crl_delta_public_url(&ctx->settings, ca, loc, delta_url);
	for (int attempt = 1; attempt <= ISSUE_ATTEMPTS; attempt++) {
		cert_free(cert);
		cert = calloc(1, sizeof(*cert));
		if (cert == NULL) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		snprintf(cert->ca_id, sizeof(cert->ca_id), "%s", ca->id);
		snprintf(cert->location, sizeof(cert->location), "%s", loc->name);
		snprintf(cert->issuer_key_id, sizeof(cert->issuer_key_id), "%s", loc->key_id);
		snprintf(cert->template, sizeof(cert->template), "%s", t->name);
		cert->status = CERT_VALID;
		snprintf(cert->requester, sizeof(cert->requester), "%s", actor);
		rc = signer_issue(ctx->signer, loc->key_id, t->name, csr_der, csr_len, not_after,
		                  &opts, &issued, msg);
		if (rc != EDGECA_OK)
			goto out;
		cert_take_issued(cert, &issued);
		rc = store_signed(ctx, cert, actor, action, path_length, &serial_taken, msg);
		if (!serial_taken)
			break;
		log_warn("cert_issue: ca=%s serial %s already used; signing again", ca->id,
		         cert->serial);
	}
	if (rc != EDGECA_OK) {
		/* the signature log has a line for it: signed, never handed out */
		log_warn("cert_issue: ca=%s location=%s serial=%s signed but not stored: %s", ca->id,
		         loc->name, cert->serial, msg ? msg->detail : "");
		goto out;
	}
	metrics_cert_issued(ca->id, t->name, channel);
	*out = cert;
	cert = NULL;
out:
	signer_issued_free(&issued);
	cert_free(cert);
	return rc;
}

edgeca_err
cert_sign_and_store(struct edgeca_ctx *ctx, const char *actor, const char *channel,
                    const struct ca *ca, const struct ca_location *loc, const struct tpl_def *t,
                    const unsigned char *csr_der, size_t csr_len, time_t not_after,
                    struct certificate **out, struct edgeca_msg *msg)
{
	return sign_and_store(ctx, actor, channel, ca, loc, t, -1, "certificate.issue", csr_der,
	                      csr_len, not_after, out, msg);
}

edgeca_err
cert_issue(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
           const struct cert_issue_req *req, struct certificate **out, struct edgeca_msg *msg)
{
	const struct ca_location *loc;
	const struct tpl_def *t;
	struct certificate *cert = NULL;
	struct ca *ca = NULL;
	unsigned char *csr_der = NULL;
	size_t csr_len = 0;
	char warning[512];
	time_t not_after;
	PGconn *c = NULL;
	edgeca_err rc;

	*out = NULL;
	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
		return rc;
	rc = db_acquire(ctx->db, &c, msg);
	if (rc != EDGECA_OK)
		return rc;
	if ((rc = ca_store_load(c, ca_id, &ca, msg)) == EDGECA_OK &&
	    (rc = issue_location(ca, req->location, &loc, msg)) == EDGECA_OK)
		rc = req->subordinate ? issue_subordinate_rule(ca, req->path_length, &t, msg)
		                      : issue_authorize(c, who, ca, req, &t, msg);
	/* the connection goes back before the signer is asked: storing takes
	 * one again, and checks the CA and location are still active */
	db_release(ctx->db, c);
	if (rc != EDGECA_OK)
		goto out;
	/* The signer checks the CSR's content (structure, signature, key,
	 * subject) for every certificate it signs; here only its armour. */
	rc = csr_to_der(req->csr, req->csr_len, &csr_der, &csr_len, msg);
	if (rc != EDGECA_OK)
		goto out;
	rc = cert_resolve_validity(req, ca->max_validity_days, loc->not_after, time(NULL),
	                           &not_after, warning, sizeof(warning), msg);
	if (rc != EDGECA_OK ||
	    (rc = sign_and_store(ctx, who->actor, "rest", ca, loc, t,
	                         req->subordinate ? req->path_length : -1,
	                         req->subordinate ? "ca.sign_subordinate" : "certificate.issue",
	                         csr_der, csr_len, not_after, &cert, msg)) != EDGECA_OK)
		goto out;
	if (req->subordinate)
		log_info("cert_issue: ca=%s location=%s serial=%s subordinate CA with path_length=%ld "
		         "by %s", ca->id, loc->name, cert->serial, req->path_length, who->actor);
	cert->chain_pem = ca_chain_pem(ca, loc);
	cert->warnings = one_warning(warning);
	if (cert->chain_pem == NULL || cert->warnings == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	*out = cert;
	cert = NULL;
out:
	free(csr_der);
	cert_free(cert);
	ca_free(ca);
	return rc;
}
