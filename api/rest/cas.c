/* /api/v1/cas: create, list and read CAs and download their certificate. */
#include <stdlib.h>
#include <string.h>

#include "api/rest/etag.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "common/encoding.h"
#include "model/ca/ca.h"

static const char *const top_fields[] = {
	"kind", "common_name", "friendly_name", "organization", "organizational_unit", "country",
	"key_algorithm", "validity_days", "not_after", "lifecycle", "crl", "issuance",
	"path_length", "locations", "parent_ca_id", "est", "import", "ocsp", NULL};
static const char *const lifecycle_fields[] = {"notification_emails", "webhook_url", "action",
                                               "threshold_percent", NULL};
static const char *const crl_fields[] = {"enabled", "validity_days", "overlap_hours", "delta",
                                         "distribution_point", NULL};
static const char *const issuance_fields[] = {"template", "allowed_templates",
                                              "max_validity_days", "name_rules", NULL};
static const char *const name_rules_fields[] = {"subject_attributes", "common_name",
                                                "dns_names", "ip_ranges", NULL};
static const char *const import_fields[] = {"key_record", "certificate_pem", "chain_pem",
                                            NULL};

/* The import member (an existing CA's sealed key and certificate), if
 * given, into *im, with r->import pointing at it. */
static edgeca_err
parse_import(const json_t *j, struct ca_create_req *r, struct ca_import_req *im,
             struct edgeca_msg *msg)
{
	const json_t *o = NULL;
	edgeca_err rc;

	if ((rc = json_opt_object(j, "import", "", &o, msg)) != EDGECA_OK || o == NULL)
		return rc;
	if ((rc = json_only(o, import_fields, "import.", msg)) ||
	    (rc = json_opt_string(o, "key_record", "import.", &im->key_record, msg)) ||
	    (rc = json_opt_string(o, "certificate_pem", "import.", &im->certificate_pem, msg)) ||
	    (rc = json_opt_string(o, "chain_pem", "import.", &im->chain_pem, msg)))
		return rc;
	if (im->key_record == NULL || im->certificate_pem == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "import needs key_record and certificate_pem");
	r->import = im;
	return EDGECA_OK;
}

/* issuance.name_rules (an object or null) into r; lists[k] receive owned
 * arrays of borrowed strings, as parse_create's. */
static edgeca_err
parse_name_rules(const json_t *iss, struct ca_create_req *r, const char **lists[NR_LISTS],
                 struct edgeca_msg *msg)
{
	const json_t *nr = NULL;
	edgeca_err rc;

	if ((rc = json_opt_object(iss, "name_rules", "issuance.", &nr, msg)) != EDGECA_OK ||
	    nr == NULL)
		return rc;
	if ((rc = json_only(nr, name_rules_fields, "issuance.name_rules.", msg)) != EDGECA_OK)
		return rc;
	r->has_name_rules = true;
	for (int k = 0; k < NR_LISTS; k++) {
		rc = json_opt_strings(nr, name_rule_keys[k], "issuance.name_rules.", &lists[k],
		                      &r->n_name_rules[k], msg);
		if (rc != EDGECA_OK)
			return rc;
		r->name_rules[k] = lists[k];
	}
	return EDGECA_OK;
}

/* Reads the JSON body into req; *emails, *templates, *locations and
 * *anchors are owned arrays of borrowed strings (free them; the strings
 * live in j). */
static edgeca_err
parse_create(const json_t *j, struct ca_create_req *r, struct ca_import_req *im,
             const char ***emails, const char ***templates, const char ***locations,
             const char ***anchors, const char **rules[NR_LISTS], struct edgeca_msg *msg)
{
	const json_t *lc = NULL, *crl = NULL, *iss = NULL, *est = NULL, *oc = NULL;
	edgeca_err rc;

	if ((rc = json_only(j, top_fields, "", msg)) ||
	    (rc = json_opt_string(j, "kind", "", &r->kind, msg)) ||
	    (rc = json_opt_string(j, "common_name", "", &r->common_name, msg)) ||
	    (rc = json_opt_string(j, "friendly_name", "", &r->friendly_name, msg)) ||
	    (rc = json_opt_string(j, "organization", "", &r->organization, msg)) ||
	    (rc = json_opt_string(j, "organizational_unit", "", &r->organizational_unit, msg)) ||
	    (rc = json_opt_string(j, "country", "", &r->country, msg)) ||
	    (rc = json_opt_string(j, "key_algorithm", "", &r->key_algorithm, msg)) ||
	    (rc = json_opt_long(j, "validity_days", "", &r->validity_days, msg)) ||
	    (rc = json_opt_time(j, "not_after", "", &r->has_not_after, &r->not_after, msg)) ||
	    (rc = json_opt_long(j, "path_length", "", &r->path_length, msg)) ||
	    (rc = json_opt_string(j, "parent_ca_id", "", &r->parent_ca_id, msg)) ||
	    (rc = json_opt_strings(j, "locations", "", locations, &r->n_locations, msg)) ||
	    (rc = json_opt_object(j, "lifecycle", "", &lc, msg)) ||
	    (rc = json_opt_object(j, "crl", "", &crl, msg)) ||
	    (rc = json_opt_object(j, "ocsp", "", &oc, msg)) ||
	    (rc = json_opt_object(j, "issuance", "", &iss, msg)) ||
	    (rc = json_opt_object(j, "est", "", &est, msg)) ||
	    (rc = parse_import(j, r, im, msg)))
		return rc;
	if ((est != NULL && (rc = api_parse_est(est, &r->est, anchors, msg)) != EDGECA_OK) ||
	    (oc != NULL && (rc = api_parse_ocsp(oc, &r->ocsp, msg)) != EDGECA_OK))
		return rc;
	if (lc != NULL &&
	    ((rc = json_only(lc, lifecycle_fields, "lifecycle.", msg)) ||
	     (rc = json_opt_strings(lc, "notification_emails", "lifecycle.", emails,
	                            &r->n_notification_emails, msg)) ||
	     (rc = json_opt_string(lc, "webhook_url", "lifecycle.", &r->webhook_url, msg)) ||
	     (rc = json_opt_string(lc, "action", "lifecycle.", &r->lifecycle_action, msg)) ||
	     (rc = json_opt_long(lc, "threshold_percent", "lifecycle.", &r->threshold_percent, msg))))
		return rc;
	if (crl != NULL &&
	    ((rc = json_only(crl, crl_fields, "crl.", msg)) ||
	     (rc = json_opt_bool(crl, "enabled", "crl.", &r->crl_enabled, msg)) ||
	     (rc = json_opt_long(crl, "validity_days", "crl.", &r->crl_validity_days, msg)) ||
	     (rc = json_opt_long(crl, "overlap_hours", "crl.", &r->crl_overlap_hours, msg)) ||
	     (rc = json_opt_string(crl, "distribution_point", "crl.", &r->crl_distribution_point,
	                           msg)) ||
	     (rc = api_parse_crl_delta(crl, &r->crl_delta_enabled, &r->crl_delta_interval_minutes,
	                               msg))))
		return rc;
	if (iss != NULL &&
	    ((rc = json_only(iss, issuance_fields, "issuance.", msg)) ||
	     (rc = json_opt_string(iss, "template", "issuance.", &r->template, msg)) ||
	     (rc = json_opt_strings(iss, "allowed_templates", "issuance.", templates,
	                            &r->n_allowed_templates, msg)) ||
	     (rc = json_opt_long(iss, "max_validity_days", "issuance.", &r->max_validity_days,
	                         msg)) ||
	     (rc = parse_name_rules(iss, r, rules, msg))))
		return rc;
	r->notification_emails = *emails;
	r->allowed_templates = *templates;
	r->locations = *locations;
	return EDGECA_OK;
}

void
api_cas_create(struct api_call *call)
{
	struct ca_create_req r;
	struct ca_import_req im = {NULL, NULL, NULL};
	struct edgeca_msg msg = {0};
	const char **emails = NULL, **templates = NULL, **locations = NULL, **anchors = NULL;
	const char **rules[NR_LISTS] = {NULL};
	struct ca *ca = NULL;
	json_t *j = NULL;
	char location[128];
	edgeca_err rc;

	ca_create_req_init(&r);
	if ((rc = api_json_object(call->req, &j, &msg)) != EDGECA_OK ||
	    (rc = parse_create(j, &r, &im, &emails, &templates, &locations, &anchors, rules,
	                       &msg)) != EDGECA_OK ||
	    (rc = ca_create(call->ctx, &call->who, &r, &ca, &msg)) != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		goto out;
	}
	snprintf(location, sizeof(location), "/api/v1/cas/%s", ca->id);
	u_map_put(call->resp->map_header, "Location", location);
	api_json_ca(call, 201, ca);
out:
	free(emails);
	free(templates);
	free(locations);
	free(anchors);
	for (int k = 0; k < NR_LISTS; k++)
		free(rules[k]);
	json_decref(j);
	ca_free(ca);
}

void
api_cas_list(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct ca_list list;
	long limit = -1;
	json_t *items;
	edgeca_err rc;

	if ((rc = api_query_long(call->req, "limit", &limit, &msg)) != EDGECA_OK ||
	    (rc = ca_list(call->ctx, &call->who, limit, api_query(call->req, "cursor"), &list,
	                  &msg)) != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	items = json_array();
	for (size_t i = 0; items && i < list.n; i++)
		items = render_append(items, render_ca(list.items[i], &call->ctx->settings));
	api_json(call->resp, 200, render_page(items, list.next_cursor));
	ca_list_free(&list);
}

void
api_cas_get(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	edgeca_err rc;

	rc = ca_get(call->ctx, u_map_get(call->req->map_url, "ca_id"), &ca, &msg);
	if (rc != EDGECA_OK)
		api_problem(call->resp, rc, &msg, call->path);
	else
		api_answer_tagged(call, render_ca(ca, &call->ctx->settings));
	ca_free(ca);
}

void
api_cas_certificate(struct api_call *call)
{
	static const char *const offers[] = {"application/x-pem-file", "application/pkix-cert",
	                                     NULL};
	const struct ca_location *loc;
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	char *pem = NULL;
	edgeca_err rc;

	rc = ca_get(call->ctx, u_map_get(call->req->map_url, "ca_id"), &ca, &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	loc = ca_find_location(ca, NULL);
	if (loc == NULL || loc->cert_der == NULL) {
		api_problem_text(call->resp, EDGECA_ERR_CONFLICT, "ca-not-active",
		                 "the CA has no active certificate yet", call->path);
		goto out;
	}
	switch (api_negotiate(call->req, offers)) {
	case 0:
		break;
	case 1:
		api_body(call->resp, 200, "application/pkix-cert", loc->cert_der, loc->cert_len);
		goto out;
	default:
		api_problem_text(call->resp, EDGECA_ERR_FORMAT_UNAVAILABLE, "not-acceptable",
		                 "the certificate is available as application/x-pem-file or "
		                 "application/pkix-cert", call->path);
		goto out;
	}
	pem = pem_encode("CERTIFICATE", loc->cert_der, loc->cert_len);
	if (pem == NULL) {
		api_problem_text(call->resp, EDGECA_ERR_INTERNAL, NULL, "out of memory", call->path);
		goto out;
	}
	api_body(call->resp, 200, "application/x-pem-file", pem, strlen(pem));
out:
	free(pem);
	ca_free(ca);
}
