#include "api/rest/problem.h"

#include <stdio.h>
#include <string.h>

#include "api/listen/status.h"
#include "common/log.h"

void
api_body(struct _u_response *resp, int status, const char *content_type, const void *body,
         size_t len)
{
	u_map_put(resp->map_header, "Content-Type", content_type);
	if (ulfius_set_binary_body_response(resp, (unsigned)status, len ? body : "", len) != U_OK)
		resp->status = 500;
}

void
api_json(struct _u_response *resp, int status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (text == NULL) {
		json_decref(j);
		api_problem_text(resp, EDGECA_ERR_INTERNAL, NULL, "cannot encode the response", NULL);
		return;
	}
	api_body(resp, status, "application/json", text, strlen(text));
	free(text);
	json_decref(j);
}

void
api_retry_after(struct _u_response *resp, unsigned seconds)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", seconds > 0 ? seconds : API_RETRY_AFTER_S);
	u_map_put(resp->map_header, "Retry-After", text);
}

/* The problem document with members (may be NULL) added to it. */
static void
problem(struct _u_response *resp, int status, const char *title, const char *slug,
        const char *detail, const char *instance, json_t *members)
{
	char type[128];
	json_t *j;
	char *text;

	snprintf(type, sizeof(type), PROBLEM_TYPE_PREFIX "%s", slug);
	j = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status", status,
	              "detail", detail ? detail : title);
	if (j == NULL) /* a detail that is not UTF-8 */
		j = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status", status,
		              "detail", title);
	if (j != NULL && instance != NULL && json_object_set_new(j, "instance",
	                                                         json_string(instance)) != 0)
		json_object_del(j, "instance");
	/* the request's id, to find its log lines */
	if (j != NULL && log_context_request_id()[0] != '\0' &&
	    json_object_set_new(j, "request_id", json_string(log_context_request_id())) != 0)
		json_object_del(j, "request_id");
	if (j != NULL && members != NULL && json_object_update_missing(j, members) != 0) {
		json_decref(j);
		j = NULL;
	}
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL) {
		/* out of memory: a fixed document, so errors stay problem+json */
		static const char fallback[] =
		    "{\"type\":\"" PROBLEM_TYPE_PREFIX "internal-error\",\"title\":"
		    "\"Internal Server Error\",\"status\":500,\"detail\":\"internal error\"}";

		api_body(resp, 500, "application/problem+json", fallback, sizeof(fallback) - 1);
		return;
	}
	/* every 503 says when to come back */
	if (status == 503 && u_map_get_case(resp->map_header, "Retry-After") == NULL)
		api_retry_after(resp, API_RETRY_AFTER_S);
	api_body(resp, status, "application/problem+json", text, strlen(text));
	free(text);
	if (status >= 500)
		log_error("api: %d %s at %s", status, detail ? detail : "", instance ? instance : "");
}

void
api_problem_raw(struct _u_response *resp, int status, const char *title, const char *slug,
                const char *detail, const char *instance)
{
	problem(resp, status, title, slug, detail, instance, NULL);
}

void
api_problem_members(struct _u_response *resp, edgeca_err code, const char *slug,
                    const char *detail, const char *instance, json_t *members)
{

	problem(resp, api_status_of(code), api_status_title(code), slug, detail, instance, members);
	json_decref(members);
}

void
api_problem_text(struct _u_response *resp, edgeca_err code, const char *slug,
                 const char *detail, const char *instance)
{
	api_problem_raw(resp, api_status_of(code), api_status_title(code),
	                slug ? slug : edgeca_err_slug(code), detail, instance);
}

void
api_problem(struct _u_response *resp, edgeca_err code, const struct edgeca_msg *msg,
            const char *instance)
{
	api_problem_text(resp, code, api_slug_of(msg, code),
	                 msg && msg->detail[0] ? msg->detail : NULL, instance);
}
