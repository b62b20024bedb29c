#include "api/rest/cors.h"

#include <stdio.h>
#include <string.h>

#include "api/rest/problem.h"

/* True when the comma-separated list holds token (exact, as HTTP method
 * names and these header names are written). */
static bool
list_has(const char *list, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = list; p != NULL && *p != '\0';) {
		p += strspn(p, " ,");
		if (strncmp(p, token, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		p = strchr(p, ',');
	}
	return false;
}

void
api_vary_add(struct _u_response *resp, const char *field)
{
	const char *vary = u_map_get_case(resp->map_header, "Vary");
	char both[128];

	if (vary == NULL || vary[0] == '\0') {
		u_map_put(resp->map_header, "Vary", field);
		return;
	}
	if (list_has(vary, field))
		return;
	snprintf(both, sizeof(both), "%s, %s", vary, field);
	u_map_put(resp->map_header, "Vary", both);
}

void
api_cors_answer(const struct cors_origins *c, const struct _u_request *req,
                struct _u_response *resp)
{
	const char *allowed;

	if (c == NULL)
		return;
	/* the answer differs with Origin even when it carries no CORS header */
	api_vary_add(resp, "Origin");
	allowed = cors_origin_allowed(c, u_map_get_case(req->map_header, "Origin"));
	if (allowed == NULL)
		return;
	u_map_put(resp->map_header, "Access-Control-Allow-Origin", allowed);
	u_map_put(resp->map_header, "Access-Control-Expose-Headers", API_CORS_EXPOSE_HEADERS);
}

bool
api_cors_is_preflight(const struct _u_request *req)
{
	return strcmp(req->http_verb, "OPTIONS") == 0 &&
	       u_map_has_key_case(req->map_header, "Origin") &&
	       u_map_has_key_case(req->map_header, "Access-Control-Request-Method");
}

void
api_cors_preflight(const struct cors_origins *c, const struct _u_request *req,
                   struct _u_response *resp, const char *allow)
{
	const char *origin = u_map_get_case(req->map_header, "Origin");
	const char *method = u_map_get_case(req->map_header, "Access-Control-Request-Method");
	char detail[192];

	if (cors_origin_allowed(c, origin) == NULL) {
		snprintf(detail, sizeof(detail),
		         "pages of this origin may not call the API (EDGECA_CORS_ORIGINS)");
		api_problem_text(resp, EDGECA_ERR_NOT_PERMITTED, "origin-not-allowed", detail,
		                 req->url_path);
		return;
	}
	if (method == NULL || !list_has(allow, method)) {
		u_map_put(resp->map_header, "Allow", allow);
		snprintf(detail, sizeof(detail), "%.32s is not allowed here; allowed: %s",
		         method != NULL ? method : "", allow);
		api_problem_raw(resp, 405, "Method Not Allowed", "method-not-allowed", detail,
		                req->url_path);
		return;
	}
	u_map_put(resp->map_header, "Access-Control-Allow-Methods", allow);
	u_map_put(resp->map_header, "Access-Control-Allow-Headers", API_CORS_ALLOW_HEADERS);
	u_map_put(resp->map_header, "Access-Control-Max-Age", API_CORS_MAX_AGE);
	resp->status = 204;
}
