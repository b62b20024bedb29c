/* Changing a CA over REST: PATCH /api/v1/cas/{ca_id} with "est" (also
 * read at creation), "lifecycle" and "crl", and the EST URLs of its
 * locations. */
#include <stdlib.h>
#include <string.h>

#include "api/rest/etag.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "model/ca/ca.h"

static const char *const est_fields[] = {"enabled", "label", "default", "template",
                                         "validity_days", "subject_policy", "key_algorithm",
                                         "basic_auth", "bootstrap_trust",
                                         "require_pop_linking", NULL};
static const char *const basic_fields[] = {"username", "password", NULL};
static const char *const patch_fields[] = {"est", "lifecycle", "crl", "ocsp", NULL};
static const char *const crl_fields[] = {"enabled", "validity_days", "overlap_hours", "delta",
                                         "distribution_point", NULL};
static const char *const ocsp_fields[] = {"enabled", "validity_seconds", "delegated_responder",
                                          "responder_validity_days", NULL};
static const char *const lifecycle_fields[] = {"notification_emails", "webhook_url", "action",
                                               "threshold_percent", NULL};

static bool
is_null(const json_t *obj, const char *key)
{
	return json_is_null(json_object_get(obj, key));
}

edgeca_err
api_parse_est(const json_t *j, struct ca_est_req *r, const char ***anchors,
              struct edgeca_msg *msg)
{
	const json_t *basic = NULL, *trust = json_object_get(j, "bootstrap_trust");
	edgeca_err rc;

	if ((rc = json_only(j, est_fields, "est.", msg)) ||
	    (rc = json_opt_bool(j, "enabled", "est.", &r->enabled, msg)) ||
	    (rc = json_opt_string(j, "label", "est.", &r->label, msg)) ||
	    (rc = json_opt_bool(j, "default", "est.", &r->is_default, msg)) ||
	    (rc = json_opt_string(j, "template", "est.", &r->template, msg)) ||
	    (rc = json_opt_long(j, "validity_days", "est.", &r->validity_days, msg)) ||
	    (rc = json_opt_string(j, "subject_policy", "est.", &r->subject_policy, msg)) ||
	    (rc = json_opt_string(j, "key_algorithm", "est.", &r->key_algorithm, msg)) ||
	    (rc = json_opt_object(j, "basic_auth", "est.", &basic, msg)) ||
	    (rc = json_opt_strings(j, "bootstrap_trust", "est.", anchors, &r->n_anchors_pem, msg)) ||
	    (rc = json_opt_bool(j, "require_pop_linking", "est.", &r->require_pop_linking, msg)))
		return rc;
	/* null: back to the default (no label, the CA's maximum, any key) */
	r->label_null = is_null(j, "label");
	r->validity_days_null = is_null(j, "validity_days");
	r->key_algorithm_null = is_null(j, "key_algorithm");
	if (is_null(j, "require_pop_linking"))
		r->require_pop_linking = 0;
	r->anchors_pem = *anchors;
	r->has_anchors = trust != NULL;
	r->has_basic_auth = json_object_get(j, "basic_auth") != NULL;
	if (basic != NULL &&
	    ((rc = json_only(basic, basic_fields, "est.basic_auth.", msg)) ||
	     (rc = json_opt_string(basic, "username", "est.basic_auth.", &r->basic_username, msg)) ||
	     (rc = json_opt_string(basic, "password", "est.basic_auth.", &r->basic_password, msg))))
		return rc;
	if (basic != NULL && (r->basic_username == NULL || r->basic_password == NULL))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "missing-field",
		                   "est.basic_auth needs username and password (null removes it)");
	return EDGECA_OK;
}

static edgeca_err
parse_lifecycle(const json_t *j, struct ca_lifecycle_req *r, const char ***emails,
                struct edgeca_msg *msg)
{
	edgeca_err rc;

	if ((rc = json_only(j, lifecycle_fields, "lifecycle.", msg)) ||
	    (rc = json_opt_strings(j, "notification_emails", "lifecycle.", emails, &r->n_emails,
	                           msg)) ||
	    (rc = json_opt_string(j, "webhook_url", "lifecycle.", &r->webhook_url, msg)) ||
	    (rc = json_opt_string(j, "action", "lifecycle.", &r->action, msg)) ||
	    (rc = json_opt_long(j, "threshold_percent", "lifecycle.", &r->threshold_percent, msg)))
		return rc;
	r->emails = *emails;
	r->emails_null = is_null(j, "notification_emails");
	r->webhook_url_null = is_null(j, "webhook_url");
	r->action_null = is_null(j, "action");
	r->threshold_null = is_null(j, "threshold_percent");
	return EDGECA_OK;
}

static edgeca_err
parse_crl(const json_t *j, struct ca_crl_req *r, struct edgeca_msg *msg)
{
	edgeca_err rc;

	if ((rc = json_only(j, crl_fields, "crl.", msg)) ||
	    (rc = json_opt_bool(j, "enabled", "crl.", &r->enabled, msg)) ||
	    (rc = json_opt_long(j, "validity_days", "crl.", &r->validity_days, msg)) ||
	    (rc = json_opt_long(j, "overlap_hours", "crl.", &r->overlap_hours, msg)) ||
	    (rc = json_opt_string(j, "distribution_point", "crl.", &r->distribution_point, msg)) ||
	    (rc = api_parse_crl_delta(j, &r->delta_enabled, &r->delta_interval_minutes, msg)))
		return rc;
	r->distribution_point_null = is_null(j, "distribution_point");
	return EDGECA_OK;
}

edgeca_err
api_parse_ocsp(const json_t *j, struct ca_ocsp_req *r, struct edgeca_msg *msg)
{
	edgeca_err rc;

	(void)((rc = json_only(j, ocsp_fields, "ocsp.", msg)) ||
	       (rc = json_opt_bool(j, "enabled", "ocsp.", &r->enabled, msg)) ||
	       (rc = json_opt_long(j, "validity_seconds", "ocsp.", &r->validity_seconds, msg)) ||
	       (rc = json_opt_bool(j, "delegated_responder", "ocsp.", &r->delegated_responder,
	                           msg)) ||
	       (rc = json_opt_long(j, "responder_validity_days", "ocsp.", &r->responder_validity_days,
	                           msg)));
	return rc;
}

/* "est", "lifecycle", "crl" and "ocsp" are applied together, or none. */
void
api_cas_update(struct api_call *call)
{
	const char *id = u_map_get(call->req->map_url, "ca_id");
	struct ca_est_req r;
	struct ca_lifecycle_req lr;
	struct ca_crl_req cr;
	struct ca_ocsp_req orq;
	struct edgeca_msg msg = {0};
	const char **anchors = NULL, **emails = NULL;
	const json_t *est = NULL, *lc = NULL, *crl = NULL, *oc = NULL;
	struct api_ca_match match = {NULL, &call->ctx->settings};
	struct ca_precondition pre = {api_etag_ca_holds, &match};
	struct ca *ca = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	ca_est_req_init(&r);
	ca_lifecycle_req_init(&lr);
	ca_crl_req_init(&cr);
	ca_ocsp_req_init(&orq);
	if ((rc = api_if_match(call->req, &match.field, &msg)) != EDGECA_OK ||
	    (rc = api_json_object(call->req, &j, &msg)) != EDGECA_OK ||
	    (rc = json_only(j, patch_fields, "", &msg)) != EDGECA_OK ||
	    (rc = json_patch_nonempty(j, patch_fields, false, &msg)) != EDGECA_OK ||
	    (rc = json_opt_object(j, "est", "", &est, &msg)) != EDGECA_OK ||
	    (rc = json_opt_object(j, "lifecycle", "", &lc, &msg)) != EDGECA_OK ||
	    (rc = json_opt_object(j, "crl", "", &crl, &msg)) != EDGECA_OK ||
	    (rc = json_opt_object(j, "ocsp", "", &oc, &msg)) != EDGECA_OK ||
	    (est != NULL && (rc = api_parse_est(est, &r, &anchors, &msg)) != EDGECA_OK) ||
	    (lc != NULL && (rc = parse_lifecycle(lc, &lr, &emails, &msg)) != EDGECA_OK) ||
	    (crl != NULL && (rc = parse_crl(crl, &cr, &msg)) != EDGECA_OK) ||
	    (oc != NULL && (rc = api_parse_ocsp(oc, &orq, &msg)) != EDGECA_OK) ||
	    (rc = ca_update(call->ctx, &call->who, id,
	                    est != NULL || (lc == NULL && crl == NULL && oc == NULL) ? &r : NULL,
	                    lc != NULL ? &lr : NULL, crl != NULL ? &cr : NULL,
	                    oc != NULL ? &orq : NULL, match.field != NULL ? &pre : NULL, &ca,
	                    &msg)) != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		goto out;
	}
	api_json_ca(call, 200, ca);
out:
	free(anchors);
	free(emails);
	json_decref(j);
	ca_free(ca);
}

void
api_cas_est_urls(struct api_call *call)
{
	api_answer_ca(call, render_est_urls);
}

static const char *const delta_fields[] = {"enabled", "interval_minutes", NULL};

edgeca_err
api_parse_crl_delta(const json_t *crl, int *enabled, long *interval_minutes,
                    struct edgeca_msg *msg)
{
	const json_t *d = NULL;
	edgeca_err rc;

	if ((rc = json_opt_object(crl, "delta", "crl.", &d, msg)) != EDGECA_OK || d == NULL)
		return rc;
	if ((rc = json_only(d, delta_fields, "crl.delta.", msg)) ||
	    (rc = json_opt_bool(d, "enabled", "crl.delta.", enabled, msg)) ||
	    (rc = json_opt_long(d, "interval_minutes", "crl.delta.", interval_minutes, msg)))
		return rc;
	return EDGECA_OK;
}
