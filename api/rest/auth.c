#include "api/rest/auth.h"

#include <string.h>
#include <strings.h>

#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "common/log.h"
#include "model/auth/token.h"
#include "model/auth/token_scope.h"

static int
role_allows(enum role role, enum api_access access)
{
	switch (access) {
	case ACCESS_PUBLIC: return 1;
	case ACCESS_READ: return role != ROLE_NONE;
	case ACCESS_REQUEST: return role == ROLE_REQUESTER || role == ROLE_PKI_ADMIN;
	case ACCESS_ADMIN: return role == ROLE_PKI_ADMIN;
	case ACCESS_OVERSEE: return role == ROLE_PKI_ADMIN || role == ROLE_AUDITOR;
	}
	return 0;
}

/* The routes whose path names no CA that a token limited to CAs may
 * still use, because their handlers show it only its CAs' objects. */
static bool
filters_by_scope(const struct api_route *route)
{
	return route->handler == api_cas_list || route->handler == api_notifications_list ||
	       route->handler == api_audit_list || route->handler == api_cert_search;
}

/* A token limited to CAs acts on those CAs only: a route whose path names
 * a CA serves it for those CAs, a list that filters by them shows it only
 * theirs, and every other route (creating CAs, managing tokens: what is
 * not about one CA, and any route added later until it is listed above)
 * refuses it. Decided here for every route, so that no handler can
 * forget it. The CA id checked is the value the handler reads; anything
 * but one of the token's ids is refused. */
static int
scope_allows(struct api_call *call, const struct api_route *route)
{
	const char *ca_id;
	char detail[224];

	if (!call->who.scope.limited)
		return 1;
	if (strstr(route->path, "/:ca_id") != NULL) {
		ca_id = u_map_get(call->req->map_url, "ca_id");
		if (token_scope_allows(&call->who.scope, ca_id))
			return 1;
		snprintf(detail, sizeof(detail),
		         "this token is limited to certain CAs, and CA %.64s is not one of them",
		         ca_id != NULL ? ca_id : "");
		api_problem_text(call->resp, EDGECA_ERR_NOT_PERMITTED, "ca-out-of-scope", detail,
		                 call->path);
		return 0;
	}
	if (filters_by_scope(route))
		return 1;
	api_problem_text(call->resp, EDGECA_ERR_NOT_PERMITTED, "unscoped-token-required",
	                 "a token limited to CAs cannot do this: creating CAs and managing tokens "
	                 "are not about one CA, and only a pki_admin token without ca_ids may",
	                 call->path);
	return 0;
}

int
api_authorize(struct api_call *call, const struct api_route *route)
{
	const char *h = u_map_get_case(call->req->map_header, "Authorization");
	enum api_access access = route->access;
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	if (access == ACCESS_PUBLIC)
		return 0;
	if (h == NULL) {
		u_map_put(call->resp->map_header, "WWW-Authenticate", "Bearer realm=\"edgeca\"");
		api_problem_text(call->resp, EDGECA_ERR_UNAUTHENTICATED, "missing-token",
		                 "this endpoint needs an API token: Authorization: Bearer <token>",
		                 call->path);
		return -1;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		u_map_put(call->resp->map_header, "WWW-Authenticate",
		          "Bearer realm=\"edgeca\", error=\"invalid_request\"");
		api_problem_text(call->resp, EDGECA_ERR_UNAUTHENTICATED, "invalid-token",
		                 "the Authorization header must use the Bearer scheme", call->path);
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	rc = token_authenticate(call->ctx, h, &call->who, &msg);
	if (rc == EDGECA_OK)
		log_context_principal(call->who.actor);
	if (rc != EDGECA_OK) {
		if (rc == EDGECA_ERR_UNAUTHENTICATED)
			u_map_put(call->resp->map_header, "WWW-Authenticate",
			          "Bearer realm=\"edgeca\", error=\"invalid_token\"");
		api_problem(call->resp, rc, &msg, call->path);
		return -1;
	}
	if (!role_allows(call->who.role, access)) {
		char detail[160];
		snprintf(detail, sizeof(detail), "the role %s may not %s", role_name(call->who.role),
		         access == ACCESS_ADMIN     ? "administer edgeca (pki_admin only)"
		         : access == ACCESS_OVERSEE ? "read this (pki_admin or auditor only)"
		                                    : "submit requests (requester or pki_admin only)");
		api_problem_text(call->resp, EDGECA_ERR_NOT_PERMITTED, "forbidden", detail, call->path);
		return -1;
	}
	return scope_allows(call, route) ? 0 : -1;
}
