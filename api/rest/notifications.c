/* CA lifecycle notifications over REST: every one, or one CA's, with the
 * state of each channel's delivery. */
#include <stdlib.h>

#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "model/lifecycle/notification.h"

static json_t *
render_strings(char **v)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && v && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
render_delivery(const struct delivery_view *d)
{
	json_t *j = json_pack("{s:s, s:s, s:i, s:o, s:o, s:o}", "channel",
	                      delivery_channel_name(d->channel), "state",
	                      delivery_state_name(d->state), "attempts", d->attempts, "next_attempt_at",
	                      render_time(d->next_attempt_at), "last_error",
	                      d->last_error ? json_string(d->last_error) : json_null(),
	                      "delivered_at", render_time(d->delivered_at));

	if (j == NULL)
		return NULL;
	if ((d->url != NULL && json_object_set_new(j, "url", json_string(d->url)) != 0) ||
	    (d->url == NULL &&
	     json_object_set_new(j, "recipients", render_strings(d->recipients)) != 0)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *
render_notification(const struct notification_view *v)
{
	json_t *deliveries = json_array(), *j;

	for (size_t i = 0; deliveries && i < v->n_deliveries; i++)
		deliveries = render_append(deliveries, render_delivery(&v->deliveries[i]));
	if (deliveries == NULL)
		return NULL;
	j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "id", v->id, "kind",
	              notification_kind_name(v->kind),
	              "ca_id", v->ca_id, "location", v->location, "not_after",
	              render_time(v->not_after), "due_at", render_time(v->due_at), "created_at",
	              render_time(v->created_at), "deliveries", deliveries);
	/* a CRL failure's details (crl_generation_failed only) */
	if (j != NULL && v->error != NULL &&
	    (json_object_set_new(j, "generation", json_integer(v->generation)) != 0 ||
	     json_object_set_new(j, "error", json_string(v->error)) != 0 ||
	     json_object_set_new(j, "crl_next_update", render_time(v->crl_next_update)) != 0)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

void
api_notifications_list(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct notification_list list;
	long limit = -1;
	json_t *items;
	edgeca_err rc;

	if ((rc = api_query_long(call->req, "limit", &limit, &msg)) != EDGECA_OK ||
	    (rc = notification_list(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"),
	                            limit, api_query(call->req, "cursor"), &list, &msg)) !=
	        EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	items = json_array();
	for (size_t i = 0; items && i < list.n; i++)
		items = render_append(items, render_notification(&list.items[i]));
	api_json(call->resp, 200, render_page(items, list.next_cursor));
	notification_list_free(&list);
}
