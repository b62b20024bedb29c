/* Revocation of CA locations and whole CAs: one transaction with the
 * CA's and its locations' rows locked; a location chained to a parent CA
 * of this edgeca is also revoked as the parent's certificate. */
#include "model/revoke/revocation.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/x509util.h"
#include "model/ca/store.h"
#include "model/cert/store.h"
#include "model/ocsp/ocsp.h"
#include "model/store/audit.h"
#include "model/store/db.h"
#include "signer/proto/protocol.h"

/* A location chained to a parent CA of this edgeca is a certificate of
 * that parent: revoked as one (inserted when the parent's table does not
 * hold it yet), so that the parent's CRL lists it. A permanent revocation
 * already there stays. */
/* The parent's key that signed x, and its location: of the parent's
 * current and previous certificates (the location that signed loc's
 * first), the one whose key verifies x's signature. */
static edgeca_err
parent_issuer_key(PGconn *c, const struct ca *ca, const struct ca_location *loc, X509 *x,
                  char key_id[SIGNER_KEY_ID_BYTES], char location[64], struct edgeca_msg *msg)
{
	struct db_param p[2] = {{ca->parent_ca_id, 0, false}, {loc->parent_location, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	key_id[0] = '\0';
	rc = db_exec(c, "SELECT signer_key_id, certificate_der, name, name = $2 AS first "
	                "FROM ca_locations WHERE ca_id = $1 AND certificate_der IS NOT NULL "
	                "UNION ALL SELECT signer_key_id, certificate_der, location, location = $2 "
	                "FROM ca_location_history WHERE ca_id = $1 ORDER BY first DESC",
	             p, 2, &r, "find the parent's key", msg);
	for (int i = 0; rc == EDGECA_OK && key_id[0] == '\0' && i < PQntuples(r); i++) {
		unsigned char *der = NULL;
		size_t len = 0;
		X509 *issuer = NULL;

		if (db_get_bytea(r, i, "certificate_der", &der, &len) == 0 &&
		    (issuer = x509_from_der(der, len)) != NULL &&
		    X509_verify(x, X509_get0_pubkey(issuer)) == 1) {
			snprintf(key_id, 65, "%s", db_get(r, i, "signer_key_id"));
			snprintf(location, 64, "%s", db_get(r, i, "name"));
		}
		X509_free(issuer);
		free(der);
	}
	if (rc == EDGECA_OK && key_id[0] == '\0')
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                 "no key of the parent's location %s signed location %s",
		                 loc->parent_location, loc->name);
	ERR_clear_error();
	PQclear(r);
	return rc;
}

static edgeca_err
revoke_at_parent(PGconn *c, const struct principal *who, const struct ca *ca,
                 const struct ca_location *loc, const char *reason, struct edgeca_msg *msg)
{
	X509 *x = x509_from_der(loc->cert_der, loc->cert_len);
	char *subject = NULL, *cn = NULL, issuer_key[SIGNER_KEY_ID_BYTES], issuer_loc[64];
	struct key_desc key = {0};
	struct cert_revoked_ca rec;
	int n_cn = 0;
	edgeca_err rc;

	if (x == NULL || (subject = x509_name_string(X509_get_subject_name(x))) == NULL ||
	    x509_name_common_name(X509_get_subject_name(x), &cn, &n_cn) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                 "cannot read the certificate of location %s", loc->name);
		goto out;
	}
	if ((rc = parent_issuer_key(c, ca, loc, x, issuer_key, issuer_loc, msg)) != EDGECA_OK)
		goto out;
	pkey_describe(X509_get0_pubkey(x), &key);
	rec = (struct cert_revoked_ca){
		.ca_id = ca->parent_ca_id, .location = issuer_loc, .serial = loc->serial,
		.subject = subject, .common_name = cn, .key_algorithm = key.name,
		.not_before = loc->not_before, .not_after = loc->not_after,
		.requester = ca->created_by, .der = loc->cert_der, .der_len = loc->cert_len,
		.reason = reason, .revoked_by = who->actor, .issuer_key_id = issuer_key,
	};
	rc = cert_store_revoked_ca(c, &rec, msg);
out:
	ERR_clear_error();
	X509_free(x);
	free(subject);
	free(cn);
	return rc;
}

static edgeca_err
revoke_location(PGconn *c, const struct principal *who, const struct ca *ca,
                struct ca_location *loc, const char *reason, struct edgeca_msg *msg)
{
	edgeca_err rc;

	rc = ca_store_location_revoked(c, ca->id, loc->name, reason, who->actor, msg);
	if (rc == EDGECA_OK && ca->chaining == CA_CHAINING_INTERNAL && ca->parent_ca_id[0] &&
	    loc->parent_location[0] && loc->cert_der != NULL && loc->serial[0])
		rc = revoke_at_parent(c, who, ca, loc, reason, msg);
	/* the certificates renewals replaced are still valid: revoked too */
	for (size_t i = 0; rc == EDGECA_OK && loc->parent_location[0] && i < loc->n_previous; i++) {
		const struct ca_prev_cert *prev = &loc->previous[i];
		struct ca_location old = {0};

		snprintf(old.name, sizeof(old.name), "%s", loc->name);
		snprintf(old.parent_location, sizeof(old.parent_location), "%s",
		         loc->parent_location);
		snprintf(old.serial, sizeof(old.serial), "%s", prev->serial);
		old.cert_der = prev->der; /* borrowed */
		old.cert_len = prev->der_len;
		old.not_before = prev->not_before;
		old.not_after = prev->not_after;
		rc = revoke_at_parent(c, who, ca, &old, reason, msg);
	}
	if (rc == EDGECA_OK)
		loc->status = LOCATION_REVOKED;
	return rc;
}

/* The CA's state from its locations: active when one is, waiting when
 * one waits for its certificate, revoked when all are. */
static enum ca_status
status_from_locations(const struct ca *ca)
{
	bool pending = false;

	for (size_t i = 0; i < ca->n_locations; i++) {
		if (ca->locations[i].status == LOCATION_ACTIVE)
			return CA_STATUS_ACTIVE;
		pending = pending || ca->locations[i].status == LOCATION_PENDING_CHAINING;
	}
	return pending ? CA_STATUS_PENDING_CHAINING : CA_STATUS_REVOKED;
}

/* The stored reason of a revoked location, from the rows of reasons. */
static const char *
stored_reason(const PGresult *reasons, const char *name)
{
	for (int i = 0; i < PQntuples(reasons); i++)
		if (strcmp(db_get(reasons, i, "name"), name) == 0)
			return db_get(reasons, i, "revocation_reason");
	return NULL;
}

/* Revokes what the request names in ca (loaded after its row was locked);
 * names receives the locations revoked now, comma-separated. */
static edgeca_err
revoke_targets(PGconn *c, const struct principal *who, struct ca *ca, const char *location,
               const char *reason, char *names, size_t names_len, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{ca->id, 0, false}};
	PGresult *reasons = NULL;
	bool known = false, on_record = false;
	edgeca_err rc;

	names[0] = '\0';
	rc = db_exec(c, "SELECT name, revocation_reason FROM ca_locations WHERE ca_id = $1 "
	                "AND status = 'revoked'", p, 1, &reasons, "read location revocations", msg);
	for (size_t i = 0; rc == EDGECA_OK && i < ca->n_locations; i++) {
		struct ca_location *loc = &ca->locations[i];
		const char *stored;

		if (location != NULL && strcmp(loc->name, location) != 0)
			continue;
		known = true;
		if (loc->status != LOCATION_REVOKED) {
			if ((rc = revoke_location(c, who, ca, loc, reason, msg)) == EDGECA_OK)
				snprintf(names + strlen(names), names_len - strlen(names), "%s%s",
				         names[0] ? "," : "", loc->name);
			continue;
		}
		stored = stored_reason(reasons, loc->name);
		on_record = on_record || (stored != NULL && strcmp(stored, reason) == 0);
		/* revoking the whole CA leaves earlier location revocations as they are */
		if (location != NULL && !on_record)
			rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "location-already-revoked",
			                 "location %s is already revoked (%s); its reason cannot change",
			                 loc->name, stored ? stored : "unknown");
	}
	if (rc == EDGECA_OK && location != NULL && !known)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                 "CA %s has no location %s", ca->id, location);
	if (rc == EDGECA_OK && location == NULL && names[0] == '\0' &&
	    ca->status == CA_STATUS_REVOKED && !on_record)
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-already-revoked",
		                 "CA %s is already revoked, not for %s; its reason cannot change",
		                 ca->id, reason);
	PQclear(reasons);
	return rc;
}

/* Writes the CA's new state and the audit row of the revocation. */
static edgeca_err
store_ca_revocation(PGconn *c, const struct principal *who, const struct ca *ca,
                    const char *location, const char *reason, const char *names,
                    enum ca_status status, struct edgeca_msg *msg)
{
	const char *details[8] = {"reason", reason, "locations", names,
	                          "status", ca_status_name(status),
	                          "parent_ca_id", ca->parent_ca_id};
	edgeca_err rc = EDGECA_OK;

	if (status != ca->status)
		rc = ca_store_status(c, ca->id, status, msg);
	if (rc == EDGECA_OK)
		rc = audit_write(c, who->actor, location ? "ca.revoke_location" : "ca.revoke", "ca",
		                 ca->id, details, ca->parent_ca_id[0] ? 8 : 6, msg);
	return rc;
}

struct revoke_args {
	const struct principal *who;
	const char *ca_id;
	const char *location; /* NULL: the whole CA */
	const char *why;
	char names[CA_MAX_LOCATIONS * 65]; /* the locations it revoked */
	enum ca_status status;             /* the CA's status after it */
	bool changed;
};

/* The revocation of ca_revoke inside its transaction. */
static edgeca_err
revoke_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct revoke_args *a = arg;
	const char *ca_id = a->ca_id;
	struct db_param p[1] = {{ca_id, 0, false}};
	struct ca *ca = NULL;
	PGresult *r = NULL;
	edgeca_err rc;

	/* the CA's row, locked: revocations of one CA happen one at a time */
	if ((rc = db_exec(c, "SELECT id FROM cas WHERE id = $1 FOR UPDATE", p, 1, &r, "lock CA",
	                  msg)) != EDGECA_OK)
		goto out;
	if (PQntuples(r) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
		goto out;
	}
	/* and its locations' rows: an issuance storing a certificate holds its
	 * location's row FOR KEY SHARE (cert_store_insert), so it either
	 * commits before this revocation or finds the location revoked */
	if ((rc = db_exec(c, "SELECT 1 FROM ca_locations WHERE ca_id = $1 FOR UPDATE", p, 1, NULL,
	                  "lock the CA's locations", msg)) != EDGECA_OK)
		goto out;
	if ((rc = ca_store_load_full(c, ca_id, &ca, msg)) != EDGECA_OK ||
	    (rc = revoke_targets(c, a->who, ca, a->location, a->why, a->names, sizeof(a->names),
	                         msg)) != EDGECA_OK)
		goto out;
	a->status = status_from_locations(ca);
	/* revoking some locations neither enables a disabled CA nor leaves it
	 * waiting for a certificate (which would issue again once one came) */
	if (a->status != CA_STATUS_REVOKED && ca->status == CA_STATUS_DISABLED)
		a->status = CA_STATUS_DISABLED;
	if (a->names[0] == '\0' && a->status == ca->status)
		goto out; /* nothing to change: the answer is the CA as it is */
	rc = store_ca_revocation(c, a->who, ca, a->location, a->why, a->names, a->status, msg);
	/* every server drops its OCSP answers at the commit */
	if (rc == EDGECA_OK)
		rc = ocsp_notify(c, NULL, NULL, msg);
	a->changed = rc == EDGECA_OK;
out:
	PQclear(r);
	ca_free(ca);
	return rc;
}

/* The revocation in one transaction (revoke_on); its log line and the
 * answer follow the commit. */
edgeca_err
ca_revoke(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
          const char *location, const char *reason, struct ca **out, struct edgeca_msg *msg)
{
	struct revoke_args a = {.who = who, .ca_id = ca_id, .location = location,
	                        .why = reason ? reason : "unspecified"};
	edgeca_err rc;

	*out = NULL;
	if ((rc = revocation_check_reason(a.why, true, msg)) != EDGECA_OK ||
	    (rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK ||
	    (rc = db_with_tx(ctx->db, revoke_on, &a, msg)) != EDGECA_OK)
		return rc;
	if (a.changed) /* this server's, before the answer */
		ocsp_cache_flush(ctx->ocsp_cache);
	if (a.changed)
		log_info("ca_revoke: ca=%s locations=%s reason=%s status=%s by %s", ca_id, a.names,
		         a.why, ca_status_name(a.status), who->actor);
	/* the answer, read after the commit as every other read shows it */
	return ca_get(ctx, ca_id, out, msg);
}
