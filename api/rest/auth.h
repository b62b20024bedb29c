/* Bearer-token authentication of API requests. */
#ifndef EDGECA_API_AUTH_H
#define EDGECA_API_AUTH_H

#include <ulfius.h>

#include "api/rest/routes.h"

/* Authenticates the request and checks the route's access: the token's
 * role, and for a token limited to CAs the CA the path names (or that the
 * route filters by the token's CAs); on failure the response holds the
 * 401/403 problem and the function returns -1. */
int api_authorize(struct api_call *call, const struct api_route *route);

#endif
