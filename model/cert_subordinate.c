#include "model/cert_subordinate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csr.h"
#include "common/log.h"
#include "model/ca_store.h"
#include "model/cert_store.h"
#include "model/db.h"
#include "model/issuance.h"
#include "model/issue_policy.h"
#include "model/token.h"

/* As for every issuance: a serial collision is astronomically unlikely,
 * and the database refuses a reused serial in any case. */
#define SIGN_ATTEMPTS 3

void
cert_subordinate_req_init(struct cert_subordinate_req *r)
{
	cert_issue_req_init(&r->issue);
	r->path_length = CA_FIELD_UNSET;
}

static edgeca_err
check_path_length(long path_length, struct edgeca_msg *msg)
{
	if (path_length == CA_FIELD_UNSET)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "missing-field",
		                   "path_length is required: how many CAs may follow the subordinate "
		                   "(0: it issues end-entity certificates only)");
	if (path_length < 0 || path_length > SUBORDINATE_MAX_PATH_LENGTH)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "path_length must be between 0 and %d", SUBORDINATE_MAX_PATH_LENGTH);
	return EDGECA_OK;
}

/* Stores cert in one transaction while its issuing location is locked:
 * a revocation of the location either comes first (then nothing is
 * stored) or waits until the certificate is, and then covers it. */
static edgeca_err
store_locked(PGconn *c, const struct principal *who, struct certificate *cert, long path_length,
             struct edgeca_msg *msg)
{
	struct db_param p[2] = {{cert->ca_id, 0, false}, {cert->location, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	if ((rc = db_begin(c, msg)) != EDGECA_OK)
		return rc;
	/* the CA's row first, as ca_revoke locks it before the locations */
	rc = db_exec(c, "SELECT 1 FROM cas WHERE id = $1 FOR KEY SHARE", p, 1, NULL, "lock CA", msg);
	if (rc == EDGECA_OK)
		rc = db_exec(c, "SELECT status FROM ca_locations WHERE ca_id = $1 AND name = $2 "
		                "FOR SHARE", p, 2, &r, "lock the issuing location", msg);
	if (rc == EDGECA_OK && (PQntuples(r) != 1 || strcmp(db_get(r, 0, "status"), "active") != 0))
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "location-revoked",
		                 "location %s of CA %s was revoked while the certificate was signed; "
		                 "it is not stored", cert->location, cert->ca_id);
	if (rc == EDGECA_OK)
		rc = cert_store_insert_subordinate(c, cert, who->actor, path_length, msg);
	if (rc == EDGECA_OK)
		rc = db_commit(c, msg);
	else
		db_rollback(c);
	PQclear(r);
	return rc;
}

/* The signer signs under subordinate_ca with the path length; signed
 * again with a new serial on the (theoretical) collision. */
static edgeca_err
sign_and_store(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
               const struct ca *ca, const struct ca_location *loc, const unsigned char *csr,
               size_t csr_len, time_t not_after, long path_length, struct certificate **out,
               struct edgeca_msg *msg)
{
	char crl_url[1100], aia_url[1100];
	struct signer_issue_opts opts = {path_length, crl_url, aia_url};
	struct signer_issued issued = {0};
	struct certificate *cert = NULL;
	edgeca_err rc = EDGECA_OK;

	*out = NULL;
	ca_issuer_urls(ctx->cfg, ca, loc, crl_url, aia_url);
	for (int attempt = 1; attempt <= SIGN_ATTEMPTS; attempt++) {
		cert_free(cert);
		if ((cert = calloc(1, sizeof(*cert))) == NULL) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		snprintf(cert->ca_id, sizeof(cert->ca_id), "%s", ca->id);
		snprintf(cert->location, sizeof(cert->location), "%s", loc->name);
		snprintf(cert->issuer_key_id, sizeof(cert->issuer_key_id), "%s", loc->key_id);
		snprintf(cert->template, sizeof(cert->template), "subordinate_ca");
		snprintf(cert->status, sizeof(cert->status), "valid");
		snprintf(cert->requester, sizeof(cert->requester), "%s", who->actor);
		if ((rc = signer_issue(ctx->signer, loc->key_id, "subordinate_ca", csr, csr_len,
		                       not_after, &opts, &issued, msg)) != EDGECA_OK)
			goto out;
		cert_take_issued(cert, &issued);
		rc = store_locked(c, who, cert, path_length, msg);
		if (rc != EDGECA_ERR_CONFLICT || msg == NULL || strcmp(msg->type, "conflict") != 0)
			break;
		log_warn("cert_sign_subordinate: ca=%s serial %s already used; signing again", ca->id,
		         cert->serial);
	}
	if (rc != EDGECA_OK)
		goto out;
	*out = cert;
	cert = NULL;
out:
	signer_issued_free(&issued);
	cert_free(cert);
	return rc;
}

/* chain_pem and warnings of the answer (warning "" for none). */
static edgeca_err
complete_answer(struct certificate *cert, const struct ca *ca, const struct ca_location *loc,
                const char *warning, struct edgeca_msg *msg)
{
	cert->chain_pem = ca_chain_pem(ca, loc);
	cert->warnings = calloc(2, sizeof(char *));
	if (cert->chain_pem == NULL || cert->warnings == NULL ||
	    (warning[0] != '\0' && (cert->warnings[0] = strdup(warning)) == NULL))
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	return EDGECA_OK;
}

edgeca_err
cert_sign_subordinate(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                      const struct cert_subordinate_req *req, struct certificate **out,
                      struct edgeca_msg *msg)
{
	const struct ca_location *loc;
	struct certificate *cert = NULL;
	struct ca *ca = NULL;
	unsigned char *csr_der = NULL;
	size_t csr_len = 0;
	char warning[512];
	time_t not_after;
	PGconn *c = NULL;
	edgeca_err rc;

	*out = NULL;
	if ((rc = check_path_length(req->path_length, msg)) != EDGECA_OK)
		return rc;
	if (!uuid_valid(ca_id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	if ((rc = ca_store_load(c, ca_id, &ca, msg)) != EDGECA_OK ||
	    (rc = issue_location(ca, req->issue.location, &loc, msg)) != EDGECA_OK)
		goto out;
	if (!ca_allows_template(ca, "subordinate_ca")) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "template-not-allowed",
		                 "the CA's policy does not allow the subordinate_ca template");
		goto out;
	}
	/* the signer checks the CSR's content and the path length itself */
	if ((rc = csr_to_der(req->issue.csr, req->issue.csr_len, &csr_der, &csr_len, msg)) !=
	        EDGECA_OK ||
	    (rc = cert_resolve_validity(&req->issue, ca->max_validity_days, loc->not_after,
	                                time(NULL), &not_after, warning, sizeof(warning), msg)) !=
	        EDGECA_OK ||
	    (rc = sign_and_store(ctx, c, who, ca, loc, csr_der, csr_len, not_after,
	                         req->path_length, &cert, msg)) != EDGECA_OK ||
	    (rc = complete_answer(cert, ca, loc, warning, msg)) != EDGECA_OK)
		goto out;
	log_info("cert_sign_subordinate: ca=%s location=%s serial=%s path_length=%ld by %s", ca->id,
	         loc->name, cert->serial, req->path_length, who->actor);
	*out = cert;
	cert = NULL;
out:
	if (c != NULL)
		db_release(ctx->db, c);
	free(csr_der);
	cert_free(cert);
	ca_free(ca);
	return rc;
}
