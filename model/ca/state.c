/* Disabling, enabling and deleting CAs. A disabled CA keeps its row and
 * locations; cas.status says 'disabled' (cas.disabled_* when, by whom and
 * why), so every issuance path that requires an active CA (and the
 * certificate INSERT's own check) refuses it, while what follows
 * locations (CRLs, OCSP, revocation) goes on. */
#include "model/ca/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "model/auth/token_scope.h"
#include "model/ca/store.h"
#include "model/store/audit.h"
#include "model/store/db.h"
#include "model/store/signer_keys.h"

struct state_args {
	const struct principal *who;
	const char *ca_id;
	const char *reason; /* disable only */
	bool disable;
	bool changed;
	/* delete only: the records of the CA's keys, taken away */
	struct signer_key_gone *gone;
	size_t n_gone;
};

/* The CA's stored status, its row locked for the rest of the transaction. */
static edgeca_err
lock_status(PGconn *c, const char *ca_id, enum ca_status *status, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{ca_id, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "SELECT status FROM cas WHERE id = $1 FOR UPDATE", p, 1, &r, "lock CA",
	             msg);
	if (rc == EDGECA_OK && PQntuples(r) != 1)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	else if (rc == EDGECA_OK && !ca_status_parse(db_get(r, 0, "status"), status))
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "CA %s has an unknown status", ca_id);
	PQclear(r);
	return rc;
}

/* Disable or enable inside its transaction. */
static edgeca_err
state_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct state_args *a = arg;
	struct db_param p[3] = {{a->ca_id, 0, false}, {a->who->actor, 0, false},
	                        {a->reason, 0, false}};
	const char *details[2] = {"reason", a->reason};
	enum ca_status status = CA_STATUS_ACTIVE;
	edgeca_err rc;

	if ((rc = lock_status(c, a->ca_id, &status, msg)) != EDGECA_OK)
		return rc;
	if (status == CA_STATUS_REVOKED)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-revoked",
		                   "CA %s is revoked; it can be neither disabled nor enabled",
		                   a->ca_id);
	if (a->disable && status == CA_STATUS_PENDING_CHAINING)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "CA %s waits for its certificate and issues nothing yet; a CA "
		                   "that never issued anything can be deleted instead", a->ca_id);
	/* already so: answered as it is, nothing changes, nothing audited */
	if (status != (a->disable ? CA_STATUS_ACTIVE : CA_STATUS_DISABLED))
		return EDGECA_OK;
	/* who, when and why, with the status: the CA's `disabled` member */
	if ((rc = (a->disable
	               ? db_exec(c, "UPDATE cas SET status = 'disabled', disabled_at = now(), "
	                            "disabled_by = $2, disabled_reason = $3 WHERE id = $1",
	                         p, 3, NULL, "disable CA", msg)
	               : db_exec(c, "UPDATE cas SET status = CASE WHEN EXISTS (SELECT 1 FROM "
	                            "ca_locations l WHERE l.ca_id = $1 AND l.status = 'active') "
	                            "THEN 'active' ELSE 'pending_chaining' END, disabled_at = NULL, "
	                            "disabled_by = NULL, disabled_reason = NULL WHERE id = $1",
	                         p, 1, NULL, "enable CA", msg))) != EDGECA_OK ||
	    (rc = audit_write(c, a->who->actor, a->disable ? "ca.disable" : "ca.enable", "ca",
	                      a->ca_id, details, a->reason != NULL ? 2 : 0, msg)) != EDGECA_OK)
		return rc;
	a->changed = true;
	return EDGECA_OK;
}

/* A reason an operator can read in the audit trail: printable text of at
 * most CA_DISABLE_REASON_MAX characters (Jansson has checked the UTF-8). */
static edgeca_err
check_reason(const char *reason, struct edgeca_msg *msg)
{
	size_t chars = 0;

	if (reason == NULL)
		return EDGECA_OK;
	for (const unsigned char *s = (const unsigned char *)reason; *s != '\0'; s++) {
		if (*s < 0x20 || *s == 0x7f)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "reason: control characters are not allowed");
		chars += (*s & 0xc0) != 0x80;
	}
	if (chars == 0 || chars > CA_DISABLE_REASON_MAX)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "reason: 1 to %d characters", CA_DISABLE_REASON_MAX);
	return EDGECA_OK;
}

static edgeca_err
change_state(struct edgeca_ctx *ctx, struct state_args *a, struct ca **out,
             struct edgeca_msg *msg)
{
	edgeca_err rc;

	*out = NULL;
	if ((rc = db_check_id(a->ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK ||
	    (rc = check_reason(a->reason, msg)) != EDGECA_OK ||
	    (rc = db_with_tx(ctx->db, state_on, a, msg)) != EDGECA_OK)
		return rc;
	if (a->changed)
		log_info("%s: ca=%s by %s", a->disable ? "ca_disable" : "ca_enable", a->ca_id,
		         a->who->actor);
	return ca_get(ctx, a->ca_id, out, msg);
}

edgeca_err
ca_disable(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
           const char *reason, struct ca **out, struct edgeca_msg *msg)
{
	struct state_args a = {who, ca_id, reason, true, false, NULL, 0};

	return change_state(ctx, &a, out, msg);
}

edgeca_err
ca_enable(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
          struct ca **out, struct edgeca_msg *msg)
{
	struct state_args a = {who, ca_id, NULL, false, false, NULL, 0};

	return change_state(ctx, &a, out, msg);
}

/* What the CA has made or has recorded about it, each a reason it stays:
 * the rows of every table that names it, but its own. */
static const struct {
	const char *column;
	const char *what;
} usages[] = {
	{"certificates", "certificates"},
	{"subordinates", "subordinate CAs"},
	{"crls", "CRLs"},
	{"ocsp", "an OCSP responder"},
	{"renewals", "renewed keys"},
	{"notifications", "lifecycle notifications"},
};

#define USAGE_SQL                                                                            \
	"SELECT EXISTS (SELECT 1 FROM certificates WHERE ca_id = $1) AS certificates,"          \
	" EXISTS (SELECT 1 FROM cas WHERE parent_ca_id = $1) AS subordinates,"                  \
	" EXISTS (SELECT 1 FROM crls WHERE ca_id = $1)"                                         \
	" OR EXISTS (SELECT 1 FROM crl_history WHERE ca_id = $1)"                               \
	" OR EXISTS (SELECT 1 FROM delta_crls WHERE ca_id = $1)"                                \
	" OR EXISTS (SELECT 1 FROM crl_numbers WHERE ca_id = $1) AS crls,"                      \
	" EXISTS (SELECT 1 FROM ocsp_responders WHERE ca_id = $1) AS ocsp,"                     \
	" EXISTS (SELECT 1 FROM ca_location_history WHERE ca_id = $1) AS renewals,"             \
	" EXISTS (SELECT 1 FROM notifications WHERE ca_id = $1) AS notifications,"              \
	" (SELECT array_agg(k) FROM (SELECT signer_key_id AS k FROM ca_locations"              \
	"   WHERE ca_id = $1 UNION SELECT renewal_signer_key_id FROM ca_locations"             \
	"   WHERE ca_id = $1 AND renewal_signer_key_id IS NOT NULL) ks) AS keys"

/* Refuses a CA that has made anything, naming what (USAGE_SQL's row). */
static edgeca_err
check_unused(const PGresult *r, const char *ca_id, struct edgeca_msg *msg)
{
	char what[160] = "";

	for (size_t i = 0; i < sizeof(usages) / sizeof(usages[0]); i++) {
		const char *v = db_get(r, 0, usages[i].column);

		if (v != NULL && strcmp(v, "t") == 0)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%s",
			         what[0] ? ", " : "", usages[i].what);
	}
	if (what[0] == '\0')
		return EDGECA_OK;
	return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-has-issued",
	                   "CA %s cannot be deleted: it has %s (disable it instead)", ca_id, what);
}

/* The deletion inside its transaction. */
static edgeca_err
delete_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct state_args *a = arg;
	struct db_param p[1] = {{a->ca_id, 0, false}};
	enum ca_status status = CA_STATUS_ACTIVE;
	const char *details[4] = {"status", NULL, "keys_deleted", NULL};
	char n_keys[24];
	const char *keys;
	PGresult *r = NULL;
	edgeca_err rc;

	if ((rc = lock_status(c, a->ca_id, &status, msg)) != EDGECA_OK)
		goto out;
	/* the locations too: an issuance holds its location's row while it
	 * stores a certificate, so it commits first (and is seen here) or
	 * finds the location gone */
	if ((rc = db_exec(c, "SELECT 1 FROM ca_locations WHERE ca_id = $1 FOR UPDATE", p, 1, NULL,
	                  "lock the CA's locations", msg)) != EDGECA_OK ||
	    (rc = db_exec(c, USAGE_SQL, p, 1, &r, "look for what the CA issued", msg)) != EDGECA_OK ||
	    (rc = check_unused(r, a->ca_id, msg)) != EDGECA_OK)
		goto out;
	keys = db_get(r, 0, "keys");
	signer_keys_gone_free(a->gone, a->n_gone); /* a transaction tried again */
	a->gone = NULL;
	a->n_gone = 0;
	if ((rc = token_scope_forget_ca(c, a->ca_id, msg)) != EDGECA_OK ||
	    (rc = db_exec(c, "DELETE FROM ca_est_anchors WHERE ca_id = $1", p, 1, NULL,
	                  "delete the CA's EST anchors", msg)) != EDGECA_OK ||
	    (rc = db_exec(c, "DELETE FROM ca_locations WHERE ca_id = $1", p, 1, NULL,
	                  "delete the CA's locations", msg)) != EDGECA_OK ||
	    (rc = db_exec(c, "DELETE FROM cas WHERE id = $1", p, 1, NULL, "delete the CA",
	                  msg)) != EDGECA_OK ||
	    (keys != NULL && (rc = signer_keys_delete(c, keys, &a->gone, &a->n_gone, msg)) != EDGECA_OK))
		goto out;
	snprintf(n_keys, sizeof(n_keys), "%zu", a->n_gone);
	details[1] = ca_status_name(status);
	details[3] = n_keys;
	rc = audit_write(c, a->who->actor, "ca.delete", "ca", a->ca_id, details, 4, msg);
out:
	PQclear(r);
	return rc;
}

/* After the deletion has committed: each of the CA's keys destroyed by
 * the signer, so that it leaves the signer's memory and, for a key in a
 * PKCS#11 token, the token. The deletion stands whatever the signer says;
 * a key it could not destroy is logged (docs/behaviour.md). */
static void
destroy_keys(struct edgeca_ctx *ctx, const char *ca_id, const struct signer_key_gone *gone,
             size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct edgeca_msg why = {0};

		if (signer_key_destroy(ctx->signer, gone[i].key_id, gone[i].rec.data, gone[i].rec.len,
		                       &why) == EDGECA_OK)
			log_info("ca_delete: ca=%s: signer key %s destroyed", ca_id, gone[i].key_id);
		else
			log_warn("ca_delete: ca=%s: signer key %s not destroyed: %s (the CA is deleted; "
			         "the key stays in a signer until it restarts, or in its token)",
			         ca_id, gone[i].key_id, why.detail);
	}
}

edgeca_err
ca_delete(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
          struct edgeca_msg *msg)
{
	struct state_args a = {who, ca_id, NULL, false, false, NULL, 0};
	edgeca_err rc;

	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK ||
	    (rc = db_with_tx(ctx->db, delete_on, &a, msg)) != EDGECA_OK)
		goto out;
	log_info("ca_delete: ca=%s by %s", ca_id, who->actor);
	destroy_keys(ctx, ca_id, a.gone, a.n_gone);
out:
	signer_keys_gone_free(a.gone, a.n_gone);
	return rc;
}
