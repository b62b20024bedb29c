/* /api/v1/sessions: the portal's sign-in. An API token is exchanged for a
 * session cookie (HttpOnly, Secure, SameSite=Strict) and a CSRF token;
 * api/rest/auth.c then accepts the cookie in place of the token. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "model/auth/session.h"

#define COOKIE_ATTRIBUTES "Path=/; Secure; HttpOnly; SameSite=Strict"

static const char *const session_fields[] = {"token", NULL};

/* The session's view: role, token name, expiry and CSRF token. */
static json_t *
render_session(const struct principal *who, const struct session_info *s)
{
	return json_pack("{s:s, s:s, s:o, s:s}", "role", role_name(who->role), "token_name",
	                 s->token_name, "expires_at", render_time(s->expires_at), "csrf_token",
	                 s->csrf_token);
}

void
api_sessions_create(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct principal who;
	struct session_info s;
	char cookie[SESSION_SECRET_MAX], header[SESSION_SECRET_MAX + 128] = "";
	const char *token = NULL;
	json_t *j = NULL;
	long max_age;
	edgeca_err rc;

	memset(&s, 0, sizeof(s));
	cookie[0] = '\0';
	if ((rc = api_json_object(call->req, &j, &msg)) ||
	    (rc = json_only(j, session_fields, "", &msg)) ||
	    (rc = json_opt_string(j, "token", "", &token, &msg)))
		goto out;
	if (token == NULL) {
		rc = edgeca_fail(&msg, EDGECA_ERR_INVALID, "missing-field", "token is required");
		goto out;
	}
	rc = session_create(call->ctx, token, call->ctx->settings.session_ttl_s, &who, &s, cookie,
	                    &msg);
	if (rc != EDGECA_OK)
		goto out;
	max_age = (long)(s.expires_at - time(NULL));
	snprintf(header, sizeof(header), "edgeca_session=%s; " COOKIE_ATTRIBUTES "; Max-Age=%ld",
	         cookie, max_age > 0 ? max_age : 0);
	u_map_put(call->resp->map_header, "Set-Cookie", header);
	api_json(call->resp, 201, render_session(&who, &s));
out:
	if (rc == EDGECA_ERR_UNAUTHENTICATED)
		u_map_put(call->resp->map_header, "WWW-Authenticate", "Bearer realm=\"edgeca\"");
	if (rc != EDGECA_OK)
		api_problem(call->resp, rc, &msg, call->path);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(header, sizeof(header));
	json_decref(j);
}

/* A bearer caller has no session: these operations need the cookie. */
static bool
has_session(struct api_call *call)
{
	if (call->by_session)
		return true;
	u_map_put(call->resp->map_header, "WWW-Authenticate", "Bearer realm=\"edgeca\"");
	api_problem_text(call->resp, EDGECA_ERR_UNAUTHENTICATED, "invalid-session",
	                 "this operation is about a session: send its cookie edgeca_session, "
	                 "not an Authorization header", call->path);
	return false;
}

void
api_sessions_current(struct api_call *call)
{
	if (has_session(call))
		api_json(call->resp, 200, render_session(&call->who, &call->session));
}

void
api_sessions_end(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	if (!has_session(call))
		return;
	rc = session_end(call->ctx, &call->who, call->session.id, &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	u_map_put(call->resp->map_header, "Set-Cookie",
	          "edgeca_session=; " COOKIE_ATTRIBUTES "; Max-Age=0");
	call->resp->status = 204;
}
