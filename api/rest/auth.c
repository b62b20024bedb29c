#include "api/rest/auth.h"

#include <string.h>
#include <strings.h>

#include "api/rest/cookie.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "common/log.h"
#include "model/auth/session.h"
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
	       route->handler == api_audit_list || route->handler == api_cert_search ||
	       route->handler == api_sessions_current || route->handler == api_sessions_end;
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

/* Methods that change state: with the session cookie they need the
 * session's X-CSRF-Token, since a browser sends the cookie by itself. */
static bool
unsafe_method(const char *verb)
{
	return strcmp(verb, "GET") != 0 && strcmp(verb, "HEAD") != 0 &&
	       strcmp(verb, "OPTIONS") != 0;
}

/* Authenticates by the session cookie value (docs/security.md): its
 * token's principal, and for an unsafe method the CSRF token checked. */
static int
session_authorize(struct api_call *call, const char *cookie)
{
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	rc = session_authenticate(call->ctx, cookie, &call->who, &call->session, &msg);
	if (rc == EDGECA_ERR_UNAUTHENTICATED)
		u_map_put(call->resp->map_header, "WWW-Authenticate", "Bearer realm=\"edgeca\"");
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return -1;
	}
	call->by_session = true;
	log_context_principal(call->who.actor);
	if (unsafe_method(call->req->http_verb) &&
	    !session_csrf_matches(&call->session,
	                          u_map_get_case(call->req->map_header, "X-CSRF-Token"))) {
		api_problem_text(call->resp, EDGECA_ERR_NOT_PERMITTED, "csrf-token-invalid",
		                 "a change made with the session cookie needs the session's "
		                 "X-CSRF-Token header",
		                 call->path);
		return -1;
	}
	return 0;
}

/* The session cookie of the request: 1 (in cookie), 0 (none) or -1 with
 * the 401 problem (malformed, or sent twice with different values). */
static int
session_cookie(struct api_call *call, char *cookie, size_t len)
{
	int found = api_cookie_get(u_map_get_case(call->req->map_header, "Cookie"),
	                           "edgeca_session", cookie, len);

	if (found < 0) {
		u_map_put(call->resp->map_header, "WWW-Authenticate", "Bearer realm=\"edgeca\"");
		api_problem_text(call->resp, EDGECA_ERR_UNAUTHENTICATED, "invalid-session",
		                 "the edgeca_session cookie is malformed or given twice", call->path);
	}
	return found;
}

int
api_authorize(struct api_call *call, const struct api_route *route)
{
	const char *h = u_map_get_case(call->req->map_header, "Authorization");
	enum api_access access = route->access;
	struct edgeca_msg msg = {0};
	char cookie[SESSION_SECRET_MAX];
	int found = 0;
	edgeca_err rc;

	if (access == ACCESS_PUBLIC)
		return 0;
	/* a bearer token wins over a cookie: a script's explicit credential */
	if (h == NULL && (found = session_cookie(call, cookie, sizeof(cookie))) != 0) {
		if (found < 0 || session_authorize(call, cookie) != 0)
			return -1;
		goto authenticated;
	}
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
authenticated:
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
