/* Revocation and release of issued certificates: one transaction each,
 * the certificate's row locked, the change decided by the rules and
 * written with its audit row. */
#include "model/revoke/revocation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/x509util.h"
#include "model/cert/store.h"
#include "model/ocsp/ocsp.h"
#include "model/store/db.h"

/* No row for (ca_id, serial): which of the two is unknown. */
static edgeca_err
cert_missing(PGconn *c, const char *ca_id, const char *serial, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{ca_id, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "SELECT 1 FROM cas WHERE id = $1", p, 1, &r, "find CA", msg);
	if (rc == EDGECA_OK)
		rc = PQntuples(r) != 1
		         ? edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id)
		         : edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "certificate-not-found",
		                       "CA %s has no certificate with serial %s", ca_id, serial);
	PQclear(r);
	return rc;
}

/* Decides and writes a revocation (req given) or a release (req NULL) of
 * the locked row r; *changed false when the request changes nothing. */
static edgeca_err
cert_apply(PGconn *c, const struct principal *who, const PGresult *r,
           const struct cert_revoke_req *req, const char *reason, bool *changed,
           struct edgeca_msg *msg)
{
	const char *stored = db_get(r, 0, "revocation_reason");
	enum cert_status status = CERT_VALID;
	bool revoked = cert_status_parse(db_get(r, 0, "status"), &status) && status == CERT_REVOKED;
	edgeca_err rc;

	*changed = false;
	stored = stored ? stored : "";
	if ((rc = revocation_may_act(who, db_get(r, 0, "requester"), msg)) != EDGECA_OK)
		return rc;
	if (req == NULL) {
		if ((rc = revocation_decide_release(revoked, stored, msg)) != EDGECA_OK)
			return rc;
		/* a hold someone else placed (e.g. an admin investigating) is
		 * released by an admin only */
		if (who->role != ROLE_PKI_ADMIN && db_get(r, 0, "revoked_by") != NULL &&
		    strcmp(db_get(r, 0, "revoked_by"), who->actor) != 0)
			return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "forbidden",
			                   "this hold was placed by %s; a requester token releases only "
			                   "the holds it placed itself", db_get(r, 0, "revoked_by"));
		*changed = true;
		return cert_store_release(c, db_get(r, 0, "id"), who->actor, stored, msg);
	}
	if ((rc = revocation_decide(revoked, stored, reason, changed, msg)) != EDGECA_OK ||
	    !*changed)
		return rc;
	if (req->has_invalidity_date && req->invalidity_date < db_get_time(r, 0, "not_before")) {
		*changed = false;
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "invalidity_date is before the certificate's notBefore");
	}
	return cert_store_revoke(c, db_get(r, 0, "id"), reason,
	                         req->has_invalidity_date ? &req->invalidity_date : NULL, who->actor,
	                         revoked ? stored : NULL, msg);
}

struct change_args {
	const struct principal *who;
	const char *ca_id;
	const char *serial; /* canonical */
	const struct cert_revoke_req *req; /* NULL: lift a hold */
	const char *reason;
	bool changed;
	char issuer_key_id[SIGNER_KEY_ID_BYTES]; /* of the row, when changed */
};

/* Inside the transaction: lock the row, decide, write with the audit
 * row. */
static edgeca_err
change_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct change_args *a = arg;
	PGresult *r = NULL;
	edgeca_err rc;

	if ((rc = cert_store_lock_revocation(c, a->ca_id, a->serial, &r, msg)) == EDGECA_OK)
		rc = PQntuples(r) != 1
		         ? cert_missing(c, a->ca_id, a->serial, msg)
		         : cert_apply(c, a->who, r, a->req, a->reason, &a->changed, msg);
	/* every server drops its OCSP answers about it at the commit */
	if (rc == EDGECA_OK && a->changed) {
		snprintf(a->issuer_key_id, sizeof(a->issuer_key_id), "%s",
		         db_get(r, 0, "issuer_key_id"));
		rc = ocsp_notify(c, a->issuer_key_id, a->serial, msg);
	}
	PQclear(r);
	return rc;
}

/* One transaction (change_on). The answer is read afterwards, the same
 * whether anything changed or not. */
static edgeca_err
cert_change(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
            const char *serial, const struct cert_revoke_req *req, struct certificate **out,
            struct edgeca_msg *msg)
{
	const char *reason = req && req->reason ? req->reason : "unspecified";
	char canonical[SERIAL_HEX_MAX];
	struct change_args a = {who, ca_id, canonical, req, reason, false, ""};
	edgeca_err rc;

	*out = NULL;
	if (req != NULL && (rc = revocation_check_reason(reason, false, msg)) != EDGECA_OK)
		return rc;
	if (req != NULL && req->has_invalidity_date && req->invalidity_date > time(NULL))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "invalidity_date is in the future");
	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
		return rc;
	if (serial_hex_normalize(serial, canonical) != 0)
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "certificate-not-found",
		                   "\"%s\" is not a serial number (hex digits)", serial);
	if ((rc = db_with_tx(ctx->db, change_on, &a, msg)) != EDGECA_OK)
		return rc;
	if (a.changed) /* this server's, before the answer */
		ocsp_cache_forget(ctx->ocsp_cache, a.issuer_key_id, canonical);
	if (a.changed)
		log_info("%s: ca=%s serial=%s%s%s by %s", req ? "cert_revoke" : "cert_unrevoke",
		         ca_id, canonical, req ? " reason=" : "", req ? reason : "", who->actor);
	return cert_get(ctx, ca_id, canonical, out, msg);
}

edgeca_err
cert_revoke(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
            const char *serial, const struct cert_revoke_req *req, struct certificate **out,
            struct edgeca_msg *msg)
{
	return cert_change(ctx, who, ca_id, serial, req, out, msg);
}

edgeca_err
cert_unrevoke(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
              const char *serial, struct certificate **out, struct edgeca_msg *msg)
{
	return cert_change(ctx, who, ca_id, serial, NULL, out, msg);
}
