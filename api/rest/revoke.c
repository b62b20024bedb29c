/* Revocation endpoints: .../certificates/{serial}/revoke and /unrevoke,
 * .../locations/{location}/revoke and /api/v1/cas/{ca_id}/revoke. */
#include "api/rest/etag.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "model/revoke/revocation.h"

static const char *const cert_fields[] = {"reason", "invalidity_date", NULL};
static const char *const ca_fields[] = {"reason", NULL};
static const char *const no_fields[] = {NULL};

/* The body of a revocation: a JSON object of the allowed members; with
 * empty_ok, no body at all is the same as {}. *j receives the object. */
static edgeca_err
parse_body(const struct _u_request *req, const char *const *fields, bool empty_ok, json_t **j,
           struct edgeca_msg *msg)
{
	edgeca_err rc;

	*j = NULL;
	if (empty_ok && req->binary_body_length == 0)
		return EDGECA_OK;
	if ((rc = api_json_object(req, j, msg)) != EDGECA_OK)
		return rc;
	return json_only(*j, fields, "", msg);
}

/* The certificate (taken) as it now is, or the problem. */
static void
answer_certificate(struct api_call *call, edgeca_err rc, const struct edgeca_msg *msg,
                   struct certificate *cert)
{
	if (rc != EDGECA_OK)
		api_problem(call->resp, rc, msg, call->path);
	else
		api_json_tagged(call->resp, 200, render_certificate(cert, 1));
	cert_free(cert);
}

void
api_certificates_revoke(struct api_call *call)
{
	struct cert_revoke_req r = {NULL, false, 0};
	struct edgeca_msg msg = {0};
	struct certificate *cert = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	if ((rc = parse_body(call->req, cert_fields, false, &j, &msg)) == EDGECA_OK &&
	    (rc = json_opt_string(j, "reason", "", &r.reason, &msg)) == EDGECA_OK &&
	    (rc = json_opt_time(j, "invalidity_date", "", &r.has_invalidity_date,
	                        &r.invalidity_date, &msg)) == EDGECA_OK)
		rc = cert_revoke(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"),
		                 u_map_get(call->req->map_url, "serial"), &r, &cert, &msg);
	answer_certificate(call, rc, &msg, cert);
	json_decref(j);
}

void
api_certificates_unrevoke(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct certificate *cert = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	if ((rc = parse_body(call->req, no_fields, true, &j, &msg)) == EDGECA_OK)
		rc = cert_unrevoke(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"),
		                   u_map_get(call->req->map_url, "serial"), &cert, &msg);
	answer_certificate(call, rc, &msg, cert);
	json_decref(j);
}

/* location NULL: the whole CA. */
static void
revoke_ca(struct api_call *call, const char *location)
{
	const char *reason = NULL;
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	if ((rc = parse_body(call->req, ca_fields, false, &j, &msg)) == EDGECA_OK &&
	    (rc = json_opt_string(j, "reason", "", &reason, &msg)) == EDGECA_OK)
		rc = ca_revoke(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"),
		               location, reason, &ca, &msg);
	if (rc != EDGECA_OK)
		api_problem(call->resp, rc, &msg, call->path);
	else
		api_json_ca(call, 200, ca);
	json_decref(j);
	ca_free(ca);
}

void
api_cas_revoke(struct api_call *call)
{
	revoke_ca(call, NULL);
}

void
api_cas_revoke_location(struct api_call *call)
{
	revoke_ca(call, u_map_get(call->req->map_url, "location"));
}
