/* POST /api/v1/cas/{ca_id}/disable and /enable, DELETE /api/v1/cas/{ca_id}:
 * whether a CA issues, and removing one that never issued anything. */
#include "api/rest/etag.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "model/ca/state.h"

static const char *const disable_fields[] = {"reason", NULL};
static const char *const no_fields[] = {NULL};

/* An optional JSON body of the allowed members: no body is the same as
 * {}. *j receives the object, or NULL. */
static edgeca_err
optional_body(const struct _u_request *req, const char *const *fields, json_t **j,
              struct edgeca_msg *msg)
{
	edgeca_err rc;

	*j = NULL;
	if (req->binary_body_length == 0)
		return EDGECA_OK;
	if ((rc = api_json_object(req, j, msg)) != EDGECA_OK)
		return rc;
	return json_only(*j, fields, "", msg);
}

static void
answer(struct api_call *call, edgeca_err rc, const struct edgeca_msg *msg, struct ca *ca)
{
	if (rc != EDGECA_OK)
		api_problem(call->resp, rc, msg, call->path);
	else
		api_json_ca(call, 200, ca);
	ca_free(ca);
}

void
api_cas_disable(struct api_call *call)
{
	const char *reason = NULL;
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	if ((rc = optional_body(call->req, disable_fields, &j, &msg)) == EDGECA_OK &&
	    (j == NULL || (rc = json_opt_string(j, "reason", "", &reason, &msg)) == EDGECA_OK))
		rc = ca_disable(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"), reason,
		                &ca, &msg);
	answer(call, rc, &msg, ca);
	json_decref(j);
}

void
api_cas_enable(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	if ((rc = optional_body(call->req, no_fields, &j, &msg)) == EDGECA_OK)
		rc = ca_enable(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"), &ca,
		               &msg);
	answer(call, rc, &msg, ca);
	json_decref(j);
}

void
api_cas_delete(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	rc = ca_delete(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"), &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	call->resp->status = 204;
}
