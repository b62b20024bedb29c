/* Sign-in sessions of the portal (table api_sessions): an API token
 * exchanged for a random cookie secret; a session acts as its token (role,
 * CA scope) until it ends, expires, idles out or its token goes. Called by
 * api/rest (sign-in, cookie authentication) and the scheduler (purge). */
#ifndef EDGECA_MODEL_AUTH_SESSION_H
#define EDGECA_MODEL_AUTH_SESSION_H

#include <stdbool.h>
#include <time.h>

#include "model/auth/principal.h"
#include "model/core/context.h"

#define SESSION_SECRET_MAX 64
/* A session unused for this long ends (docs/security.md). */
#define SESSION_IDLE_S 1800

struct session_info {
	char id[UUID_TEXT_BYTES];
	char token_name[TOKEN_NAME_BYTES];
	time_t expires_at;                  /* the latest it may last */
	char csrf_token[SESSION_SECRET_MAX]; /* derived from the cookie secret */
	char csrf_hash[65];                 /* the stored SHA-256 of csrf_token, hex */
};

/* Exchanges an API token for a session of ttl_s seconds (never past the
 * token's own expiry), audited as session.create by the token's actor;
 * cookie receives the only copy of the cookie's secret.
 * Returns: EDGECA_OK; EDGECA_ERR_UNAUTHENTICATED (invalid-token).
 * Ownership: who, out and cookie are filled in by the call. */
edgeca_err session_create(struct edgeca_ctx *ctx, const char *token, unsigned ttl_s,
                          struct principal *who, struct session_info *out,
                          char cookie[SESSION_SECRET_MAX], struct edgeca_msg *msg);

/* Maps a cookie secret to its live session and its token's principal, and
 * marks the session used.
 * Returns: EDGECA_OK; EDGECA_ERR_UNAUTHENTICATED (invalid-session: unknown,
 * ended, expired, idle too long, or its token deleted or expired). */
edgeca_err session_authenticate(struct edgeca_ctx *ctx, const char *cookie,
                                struct principal *who, struct session_info *out,
                                struct edgeca_msg *msg);

/* True when csrf is the session's CSRF token (compared in constant time). */
bool session_csrf_matches(const struct session_info *s, const char *csrf);

/* Ends session id, audited as session.end by who.
 * Returns: EDGECA_OK; EDGECA_ERR_UNAUTHENTICATED (invalid-session: ended). */
edgeca_err session_end(struct edgeca_ctx *ctx, const struct principal *who, const char *id,
                       struct edgeca_msg *msg);

/* Deletes the sessions that can no longer be used; *n: how many. */
edgeca_err session_purge(struct edgeca_ctx *ctx, long *n, struct edgeca_msg *msg);

#endif
