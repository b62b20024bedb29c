/* RFC 9457 problem details (statuses from api/listen/status.h), and
 * helpers that set JSON and text responses. */
#ifndef EDGECA_API_PROBLEM_H
#define EDGECA_API_PROBLEM_H

#include <jansson.h>
#include <ulfius.h>

#include "api/listen/status.h"
#include "common/error.h"

#define PROBLEM_TYPE_PREFIX "urn:edgeca:problem:"


/* Sets status and an application/problem+json body:
 * {type, title, status, detail, instance}. */
void api_problem(struct _u_response *resp, edgeca_err code, const struct edgeca_msg *msg,
                 const char *instance);
/* The same with a literal slug and detail. */
void api_problem_text(struct _u_response *resp, edgeca_err code, const char *slug,
                      const char *detail, const char *instance);

/* A problem with members of its own beside the standard ones (/readyz:
 * "database", "signer"); takes ownership of members. */
void api_problem_members(struct _u_response *resp, edgeca_err code, const char *slug,
                         const char *detail, const char *instance, json_t *members);

/* Sets Retry-After (0: API_RETRY_AFTER_S). Every 503 problem carries one:
 * this value when set before, API_RETRY_AFTER_S otherwise. */
void api_retry_after(struct _u_response *resp, unsigned seconds);

/* A problem with an explicit status and title (405, ...). */
void api_problem_raw(struct _u_response *resp, int status, const char *title, const char *slug,
                     const char *detail, const char *instance);

/* Sets status and the JSON body (takes ownership of j). */
void api_json(struct _u_response *resp, int status, json_t *j);
/* Sets status, Content-Type and a copy of the body. */
void api_body(struct _u_response *resp, int status, const char *content_type,
              const void *body, size_t len);

#endif
