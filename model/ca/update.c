/* PATCH of a CA: its EST, lifecycle and CRL settings changed in one
 * transaction under the CA's row lock, each part audited; the EST part
 * is here, the others in update_lifecycle.c and update_crl.c. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "model/ca/first_crls.h"
#include "model/ca/internal/ca_internal.h"
#include "model/ca/store.h"
#include "model/store/audit.h"
#include "model/store/db.h"

struct update_args {
	struct edgeca_ctx *ctx;
	const struct principal *who;
	const char *ca_id;
	const struct ca_est_req *est;
	const struct ca_lifecycle_req *lifecycle;
	const struct ca_crl_req *crl;
	const struct ca_ocsp_req *ocsp;
	const struct ca_precondition *pre;
	char *secret;   /* a webhook secret the update made: shown once */
	struct ca *out; /* the answer */
};

/* a->pre against the CA as ca_get shows it, read under the row lock the
 * caller holds: a change committed since the caller's read fails it. */
static edgeca_err
check_precondition(PGconn *c, const struct update_args *a, struct edgeca_msg *msg)
{
	struct ca *now = NULL;
	edgeca_err rc;

	if (a->pre == NULL)
		return EDGECA_OK;
	if ((rc = ca_store_load_full(c, a->ca_id, &now, msg)) == EDGECA_OK &&
	    !a->pre->holds(now, a->pre->arg))
		rc = edgeca_fail(msg, EDGECA_ERR_PRECONDITION, "precondition-failed",
		                 "CA %s changed since the entity tag given in If-Match was read: "
		                 "read it again and reapply the change", a->ca_id);
	ca_free(now);
	return rc;
}

/* The update inside its transaction. The row lock orders concurrent
 * updates of one CA. */
static edgeca_err
update_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct update_args *a = arg;
	struct db_param p[1] = {{a->ca_id, 0, false}};
	struct ca *ca = NULL;
	PGresult *r = NULL;
	edgeca_err rc;

	if ((rc = db_exec(c, "SELECT 1 FROM cas WHERE id = $1 FOR UPDATE", p, 1, &r, "lock CA",
	                  msg)) == EDGECA_OK &&
	    (rc = check_precondition(c, a, msg)) == EDGECA_OK &&
	    (rc = ca_store_load(c, a->ca_id, &ca, msg)) == EDGECA_OK &&
	    (a->est == NULL || (rc = ca_est_update_locked(c, a->who, ca, a->est, msg)) == EDGECA_OK) &&
	    (a->lifecycle == NULL || (rc = ca_lifecycle_update_locked(a->ctx, c, a->who, ca,
	                                                              a->lifecycle, msg)) == EDGECA_OK) &&
	    (a->crl == NULL || (rc = ca_crl_update_locked(c, a->who, ca, a->crl, msg)) == EDGECA_OK) &&
	    (a->ocsp == NULL || (rc = ca_ocsp_update_locked(c, a->who, ca, a->ocsp, msg)) == EDGECA_OK)) {
		a->secret = ca->new_webhook_secret;
		ca->new_webhook_secret = NULL;
	}
	PQclear(r);
	ca_free(ca);
	return rc;
}

/* After the commit: read back what is stored, as every other read shows
 * it, and make the first CRLs of keys that now publish them. */
static edgeca_err
answer_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct update_args *a = arg;
	edgeca_err rc = ca_store_load_full(c, a->ca_id, &a->out, msg);

	if (rc == EDGECA_OK) {
		a->out->new_webhook_secret = a->secret;
		a->secret = NULL;
		if (a->crl != NULL)
			ca_first_crls(a->ctx, c, a->who->actor, a->out);
	}
	return rc;
}

edgeca_err
ca_update(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
          const struct ca_est_req *est, const struct ca_lifecycle_req *lifecycle,
          const struct ca_crl_req *crl, const struct ca_ocsp_req *ocsp,
          const struct ca_precondition *pre, struct ca **out, struct edgeca_msg *msg)
{
	struct update_args a = {ctx, who, ca_id, est, lifecycle, crl, ocsp, pre, NULL, NULL};
	edgeca_err rc;

	*out = NULL;
	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK ||
	    (rc = db_with_tx(ctx->db, update_on, &a, msg)) != EDGECA_OK)
		goto out;
	log_info("ca_update: ca=%s%s%s%s%s by %s", ca_id, est ? " est" : "",
	         lifecycle ? " lifecycle" : "", crl ? " crl" : "", ocsp ? " ocsp" : "", who->actor);
	if ((rc = db_with(ctx->db, answer_on, &a, msg)) == EDGECA_OK) {
		*out = a.out;
		a.out = NULL;
	}
out:
	if (a.secret != NULL)
		OPENSSL_cleanse(a.secret, strlen(a.secret));
	free(a.secret);
	ca_free(a.out);
	return rc;
}

/* The names of the members req sets, for the audit row. */
static void
changed_fields(const struct ca_est_req *r, char *out, size_t len)
{
	const struct {
		bool set;
		const char *name;
	} f[] = {
		{r->enabled >= 0, "enabled"},
		{r->label != NULL || r->label_null, "label"},
		{r->is_default >= 0, "default"},
		{r->template != NULL, "template"},
		{r->validity_days != CA_FIELD_UNSET || r->validity_days_null, "validity_days"},
		{r->subject_policy != NULL, "subject_policy"},
		{r->key_algorithm != NULL || r->key_algorithm_null, "key_algorithm"},
		{r->has_basic_auth, "basic_auth"},
		{r->has_anchors, "bootstrap_trust"},
		{r->require_pop_linking >= 0, "require_pop_linking"},
	};

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].set)
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "," : "",
			         f[i].name);
}

edgeca_err
ca_est_update_locked(PGconn *c, const struct principal *who, struct ca *ca,
                     const struct ca_est_req *req, struct edgeca_msg *msg)
{
	const char *details[10];
	char fields[192], anchors[16];
	bool anchors_given = false;
	edgeca_err rc;

	if ((rc = ca_est_resolve(req, ca, false, time(NULL), &anchors_given, msg)) != EDGECA_OK ||
	    (rc = ca_est_store(c, ca, anchors_given, msg)) != EDGECA_OK)
		return rc;
	changed_fields(req, fields, sizeof(fields));
	snprintf(anchors, sizeof(anchors), "%zu", ca->est.n_anchors);
	details[0] = "fields";
	details[1] = fields;
	details[2] = "enabled";
	details[3] = ca->est.enabled ? "true" : "false";
	details[4] = "basic_auth_username";
	details[5] = ca->est.basic_username;
	details[6] = "bootstrap_anchors";
	details[7] = anchors;
	details[8] = "require_pop_linking";
	details[9] = ca->est.require_pop_linking ? "true" : "false";
	return audit_write(c, who->actor, "ca.update_est", "ca", ca->id, details, 10, msg);
}
