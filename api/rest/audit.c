/* GET /api/v1/audit: the audit trail, newest first, in cursor pages, with
 * filters on the stored columns (actor, action, object_type, object_id)
 * and a time range. */
#include <stdio.h>
#include <string.h>

#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "model/store/audit.h"

/* The longest filter value: far above any actor, action or object edgeca
 * writes, so that longer is a mistake, not a search. */
#define AUDIT_FILTER_MAX 256

/* Refuses filter values too long to match anything, naming the
 * parameter (the dispatcher refuses parameters the operation does not
 * take, api/rest/query.c). */
static edgeca_err
check_params(const struct _u_request *req, struct edgeca_msg *msg)
{
	const char **keys = u_map_enum_keys(req->map_url);

	for (size_t i = 0; keys != NULL && keys[i] != NULL; i++) {
		const char *v = u_map_get(req->map_url, keys[i]);

		if (v != NULL && strlen(v) > AUDIT_FILTER_MAX)
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
			                   "the query parameter %s is longer than %d bytes", keys[i],
			                   AUDIT_FILTER_MAX);
	}
	return EDGECA_OK;
}

static json_t *
render_event(const struct audit_event *e)
{
	json_t *details = json_loads(e->details, JSON_REJECT_DUPLICATES, NULL);
	char id[24];

	if (details == NULL)
		return NULL;
	snprintf(id, sizeof(id), "%lld", e->id);
	return json_pack("{s:s, s:o, s:s, s:s, s:{s:s, s:s}, s:o}", "id", id, "at",
	                 render_time(e->at), "actor", e->actor, "action", e->action, "object",
	                 "type", e->object_type, "id", e->object_id, "details", details);
}

void
api_audit_list(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct audit_filter f = {0};
	struct audit_list list = {0};
	const char *ids[TOKEN_CA_IDS_MAX];
	long limit = -1;
	json_t *items;
	edgeca_err rc;

	f.actor = api_query(call->req, "actor");
	f.action = api_query(call->req, "action");
	f.object_type = api_query(call->req, "object_type");
	f.object_id = api_query(call->req, "object_id");
	f.limited = call->who.scope.limited;
	for (size_t i = 0; f.limited && i < call->who.scope.n; i++)
		ids[f.n_ca_ids++] = call->who.scope.ids[i];
	f.ca_ids = ids;
	if ((rc = check_params(call->req, &msg)) != EDGECA_OK ||
	    (rc = api_query_long(call->req, "limit", &limit, &msg)) != EDGECA_OK ||
	    (rc = api_query_time(call->req, "since", &f.has_since, &f.since, &msg)) != EDGECA_OK ||
	    (rc = api_query_time(call->req, "until", &f.has_until, &f.until, &msg)) != EDGECA_OK)
		goto out;
	if (f.has_since && f.has_until && f.until < f.since) {
		rc = edgeca_fail(&msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                 "the query parameter until is before since");
		goto out;
	}
	if ((rc = audit_list(call->ctx->db, &f, limit, api_query(call->req, "cursor"), &list,
	                     &msg)) != EDGECA_OK)
		goto out;
	items = json_array();
	for (size_t i = 0; items != NULL && i < list.n; i++)
		items = render_append(items, render_event(&list.items[i]));
	api_json(call->resp, 200, render_page(items, list.next_cursor));
out:
	if (rc != EDGECA_OK)
		api_problem(call->resp, rc, &msg, call->path);
	audit_list_free(&list);
}
