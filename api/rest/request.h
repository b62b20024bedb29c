/* Reading requests: media types, strict JSON bodies (unknown members are
 * refused, types are checked with the member's name in the message) and
 * query parameters. */
#ifndef EDGECA_API_REQUEST_H
#define EDGECA_API_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>
#include <ulfius.h>

#include "common/error.h"

/* True when the request's Content-Type is type (parameters ignored,
 * case-insensitive). */
bool api_content_type_is(const struct _u_request *req, const char *type);

/* Parses an application/json object body. */
edgeca_err api_json_object(const struct _u_request *req, json_t **out, struct edgeca_msg *msg);

/* Refuses members of obj not in allowed (NULL-terminated). where names the
 * object in messages ("" for the top level, "lifecycle." ...). */
edgeca_err json_only(const json_t *obj, const char *const *allowed, const char *where,
                     struct edgeca_msg *msg);

/* Refuses a PATCH body that changes nothing: none of fields (NULL-terminated)
 * present, where a null member counts as absent unless null_is_value.
 * Returns: EDGECA_OK; EDGECA_ERR_MALFORMED ("empty-patch") naming fields. */
edgeca_err json_patch_nonempty(const json_t *obj, const char *const *fields, bool null_is_value,
                               struct edgeca_msg *msg);

/* Optional members: leave *out untouched when absent (or null); fail with
 * a message naming where+key when the type is wrong. */
edgeca_err json_opt_string(const json_t *obj, const char *key, const char *where,
                           const char **out, struct edgeca_msg *msg);
edgeca_err json_opt_long(const json_t *obj, const char *key, const char *where, long *out,
                         struct edgeca_msg *msg);
edgeca_err json_opt_bool(const json_t *obj, const char *key, const char *where, int *out,
                         struct edgeca_msg *msg);
edgeca_err json_opt_time(const json_t *obj, const char *key, const char *where, bool *has,
                         time_t *out, struct edgeca_msg *msg);
/* An array of strings: *items is malloc'ed (free it), the strings borrowed. */
edgeca_err json_opt_strings(const json_t *obj, const char *key, const char *where,
                            const char ***items, long *n, struct edgeca_msg *msg);
edgeca_err json_opt_object(const json_t *obj, const char *key, const char *where,
                           const json_t **out, struct edgeca_msg *msg);

/* Query parameters. */
const char *api_query(const struct _u_request *req, const char *name);
edgeca_err api_query_long(const struct _u_request *req, const char *name, long *out,
                          struct edgeca_msg *msg);
edgeca_err api_query_time(const struct _u_request *req, const char *name, bool *has,
                          time_t *out, struct edgeca_msg *msg);

/* Picks the offer (NULL-terminated media types, preferred first) the
 * Accept header rates highest, honouring q-values and wildcards. 0 when
 * there is no Accept header, -1 when nothing offered is acceptable. */
int api_negotiate(const struct _u_request *req, const char *const *offers);

#endif
