/* Answers several handlers give the same way: a CA of the path, read and
 * rendered (its view, its EST URLs). */
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"

void
api_answer_ca(struct api_call *call,
              json_t *(*render)(const struct ca *ca, const struct model_settings *settings))
{
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	edgeca_err rc;

	rc = ca_get(call->ctx, u_map_get(call->req->map_url, "ca_id"), &ca, &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	api_json(call->resp, 200, render(ca, &call->ctx->settings));
	ca_free(ca);
}
