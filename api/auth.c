#include "api/auth.h"

#include <string.h>
#include <strings.h>

#include "api/problem.h"
#include "model/token.h"

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

int
api_authorize(struct api_call *call, enum api_access access)
{
	const char *h = u_map_get_case(call->req->map_header, "Authorization");
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	if (access == ACCESS_PUBLIC)
		return 0;
	if (h == NULL) {
		u_map_put(call->resp->map_header, "WWW-Authenticate", "Bearer realm=\"edgeca\"");
		api_problem_text(call->resp, EDGECA_ERR_UNAUTHORIZED, "missing-token",
		                 "this endpoint needs an API token: Authorization: Bearer <token>",
		                 call->path);
		return -1;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		u_map_put(call->resp->map_header, "WWW-Authenticate",
		          "Bearer realm=\"edgeca\", error=\"invalid_request\"");
		api_problem_text(call->resp, EDGECA_ERR_UNAUTHORIZED, "invalid-token",
		                 "the Authorization header must use the Bearer scheme", call->path);
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	rc = token_authenticate(call->ctx, h, &call->who, &msg);
	if (rc != EDGECA_OK) {
		if (rc == EDGECA_ERR_UNAUTHORIZED)
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
		api_problem_text(call->resp, EDGECA_ERR_FORBIDDEN, "forbidden", detail, call->path);
		return -1;
	}
	return 0;
}
