/* Bearer-token authentication of API requests. */
#ifndef EDGECA_API_AUTH_H
#define EDGECA_API_AUTH_H

#include <ulfius.h>

#include "api/routes.h"

/* Authenticates the request and checks access; on failure the response
 * holds the 401/403 problem and the function returns -1. */
int api_authorize(struct api_call *call, enum api_access access);

#endif
