/* /api/v1/tokens: API tokens, for pki_admin tokens that are not limited
 * to CAs (api/rest/auth.c). */
#include <stdlib.h>
#include <string.h>

#include "api/rest/etag.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "model/auth/token.h"

static const char *const token_fields[] = {"name", "role", "email", "expires_at", "ca_ids",
                                           NULL};
static const char *const token_patch_fields[] = {"email", "ca_ids", NULL};

void
api_tokens_create(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct token_info t;
	const char *name = NULL, *role = NULL, *email = NULL, **ca_ids = NULL;
	char secret[TOKEN_SECRET_MAX], location[128];
	bool has_expiry = false;
	time_t expires_at = 0;
	long n_ca_ids = 0;
	json_t *j = NULL, *out;
	edgeca_err rc;

	if ((rc = api_json_object(call->req, &j, &msg)) ||
	    (rc = json_only(j, token_fields, "", &msg)) ||
	    (rc = json_opt_string(j, "name", "", &name, &msg)) ||
	    (rc = json_opt_string(j, "role", "", &role, &msg)) ||
	    (rc = json_opt_string(j, "email", "", &email, &msg)) ||
	    (rc = json_opt_time(j, "expires_at", "", &has_expiry, &expires_at, &msg)) ||
	    (rc = json_opt_strings(j, "ca_ids", "", &ca_ids, &n_ca_ids, &msg)))
		goto fail;
	if (name == NULL || role == NULL) {
		rc = edgeca_fail(&msg, EDGECA_ERR_INVALID, "missing-field", "name and role are required");
		goto fail;
	}
	rc = token_create(call->ctx, &call->who, name, role_parse(role), email, ca_ids,
	                  (size_t)n_ca_ids, has_expiry ? expires_at : 0, &t, secret, &msg);
	if (rc != EDGECA_OK)
		goto fail;
	out = render_token(&t);
	if (out != NULL)
		json_object_set_new(out, "token", json_string(secret));
	memset(secret, 0, sizeof(secret));
	snprintf(location, sizeof(location), "/api/v1/tokens/%s", t.id);
	u_map_put(call->resp->map_header, "Location", location);
	api_json(call->resp, 201, out);
	free(ca_ids);
	json_decref(j);
	return;
fail:
	api_problem(call->resp, rc, &msg, call->path);
	free(ca_ids);
	json_decref(j);
}

void
api_tokens_list(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct token_list list;
	long limit = -1;
	json_t *items;
	edgeca_err rc;

	if ((rc = api_query_long(call->req, "limit", &limit, &msg)) != EDGECA_OK ||
	    (rc = token_list(call->ctx, limit, api_query(call->req, "cursor"), &list, &msg)) !=
	        EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	items = json_array();
	for (size_t i = 0; items && i < list.n; i++)
		items = render_append(items, render_token(&list.items[i]));
	api_json(call->resp, 200, render_page(items, list.next_cursor));
	token_list_free(&list);
}

void
api_tokens_get(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct token_info t;
	edgeca_err rc;

	rc = token_get(call->ctx, u_map_get(call->req->map_url, "token_id"), &t, &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	api_answer_tagged(call, render_token(&t));
}

/* PATCH {"email": "..." | null, "ca_ids": [...] | null}: what a token's
 * holder may need changed without a new secret; members left out stay. */
void
api_tokens_update(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct token_update_req req = {0};
	struct token_info t;
	struct token_precondition pre = {api_etag_token_holds, NULL};
	const char **ca_ids = NULL, *if_match = NULL;
	long n_ca_ids = 0;
	json_t *j = NULL;
	edgeca_err rc;

	if ((rc = api_if_match(call->req, &if_match, &msg)) ||
	    (rc = api_json_object(call->req, &j, &msg)) ||
	    (rc = json_only(j, token_patch_fields, "", &msg)) ||
	    (rc = json_patch_nonempty(j, token_patch_fields, true, &msg)) ||
	    (rc = json_opt_string(j, "email", "", &req.email, &msg)) ||
	    (rc = json_opt_strings(j, "ca_ids", "", &ca_ids, &n_ca_ids, &msg)))
		goto out;
	req.set_email = json_object_get(j, "email") != NULL;
	req.set_ca_ids = json_object_get(j, "ca_ids") != NULL;
	req.ca_ids = ca_ids;
	req.n_ca_ids = (size_t)n_ca_ids;
	pre.arg = if_match;
	req.pre = if_match != NULL ? &pre : NULL;
	rc = token_update(call->ctx, &call->who, u_map_get(call->req->map_url, "token_id"), &req,
	                  &t, &msg);
out:
	if (rc == EDGECA_OK)
		api_json_tagged(call->resp, 200, render_token(&t));
	else
		api_problem(call->resp, rc, &msg, call->path);
	free(ca_ids);
	json_decref(j);
}

void
api_tokens_delete(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	rc = token_delete(call->ctx, &call->who, u_map_get(call->req->map_url, "token_id"), &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	call->resp->status = 204;
}
