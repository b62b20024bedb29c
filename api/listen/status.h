/* The one table where an edgeca_err becomes an HTTP status, for both
 * listeners: the REST API's problem details (api/rest/problem.h) and the
 * EST answers (api/est/est.h). */
#ifndef EDGECA_API_LISTEN_STATUS_H
#define EDGECA_API_LISTEN_STATUS_H

#include "common/error.h"

/* Retry-After of a 503 when nothing better is known: a few seconds. */
#define API_RETRY_AFTER_S 5

/* The status of code, and its reason phrase; 500 for an unknown code. */
int api_status_of(edgeca_err code);
const char *api_status_title(edgeca_err code);

/* The problem type a caller sees for a failure: msg's slug (the signer's
 * only when the API documents it), else the code's default. */
const char *api_slug_of(const struct edgeca_msg *msg, edgeca_err code);

#endif
