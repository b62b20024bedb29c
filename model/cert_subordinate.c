#include "model/cert_subordinate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csr.h"
#include "common/log.h"
#include "model/ca_store.h"
#include "model/db.h"
#include "model/issuance.h"
#include "model/issue_policy.h"
#include "model/token.h"

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
	rc = ca_store_load(c, ca_id, &ca, msg);
	/* no connection waits for the signer: storing takes one again */
	db_release(ctx->db, c);
	if (rc != EDGECA_OK ||
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
	    (rc = cert_sign_and_store_ca(ctx, who->actor, ca, loc, req->path_length, csr_der,
	                                 csr_len, not_after, &cert, msg)) != EDGECA_OK ||
	    (rc = complete_answer(cert, ca, loc, warning, msg)) != EDGECA_OK)
		goto out;
	log_info("cert_sign_subordinate: ca=%s location=%s serial=%s path_length=%ld by %s", ca->id,
	         loc->name, cert->serial, req->path_length, who->actor);
	*out = cert;
	cert = NULL;
out:
	free(csr_der);
	cert_free(cert);
	ca_free(ca);
	return rc;
}
