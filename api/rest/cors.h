/* The API listener's headers that depend on request headers: CORS for
 * pages of the origins in EDGECA_CORS_ORIGINS (docs/clients.md), and
 * the Vary header, which routes.c also extends with Accept on the answers
 * of ROUTE_NEGOTIATED routes. Called by routes.c. */
#ifndef EDGECA_API_CORS_H
#define EDGECA_API_CORS_H

#include <stdbool.h>
#include <ulfius.h>

#include "api/listen/cors.h"

/* How long a browser may keep a preflight's answer, in seconds: a change
 * of EDGECA_CORS_ORIGINS reaches every browser within it. */
#define API_CORS_MAX_AGE "600"

/* What a portal sends beyond the CORS-safelisted request headers. */
#define API_CORS_ALLOW_HEADERS \
	"Authorization, Content-Type, Accept, If-Match, If-None-Match, Idempotency-Key, " \
	"X-Request-Id, X-CSRF-Token"
/* What a portal reads beyond the CORS-safelisted response headers. */
#define API_CORS_EXPOSE_HEADERS \
	"ETag, Location, Retry-After, X-Request-Id, Idempotency-Replayed, Content-Disposition"

/* Adds the CORS headers to any answer of the listener: Vary: Origin when
 * CORS is on (c not NULL), and for an allowed Origin,
 * Access-Control-Allow-Origin and Access-Control-Expose-Headers. Never
 * Access-Control-Allow-Credentials: edgeca's callers send bearer tokens. */
void api_cors_answer(const struct cors_origins *c, const struct _u_request *req,
                     struct _u_response *resp);

/* True when req is a CORS preflight: OPTIONS with Origin and
 * Access-Control-Request-Method. */
bool api_cors_is_preflight(const struct _u_request *req);

/* Answers a preflight for a path that routes serve with the methods in
 * allow ("GET, HEAD, POST"): 204 with the allowed methods and headers;
 * 403 origin-not-allowed for an origin not in c (or CORS off); 405 with
 * Allow for a method the path does not serve. */
void api_cors_preflight(const struct cors_origins *c, const struct _u_request *req,
                        struct _u_response *resp, const char *allow);

/* Adds field to the response's Vary header unless it is there already. */
void api_vary_add(struct _u_response *resp, const char *field);

#endif
