/* The query parameters each operation of the API listener takes, and the
 * dispatcher's check that a request uses no other and none twice: a
 * misspelt filter (?comon_name=) is refused, not silently ignored. Path
 * parameters (:ca_id) are not query parameters. Called by routes.c. */
#ifndef EDGECA_API_QUERY_H
#define EDGECA_API_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <ulfius.h>

#include "api/rest/routes.h"

/* True when the operation served by handler reads the query parameter
 * name; a handler not in the table takes none. */
bool api_query_takes(api_handler handler, const char *name);

/* True when handler serves public files (/ca/, /crl/), whose queries are
 * ignored: relying parties add cache-busting ones. */
bool api_query_ignored(api_handler handler);

/* Checks the query of the raw request target (e.g. "/a?x=1&y=2") for
 * handler: 0 when every parameter is one it takes, once (a list
 * parameter, such as the search's ca_id, may repeat); else 1 with detail
 * naming the first unknown or repeated parameter. */
int api_query_refused(const char *target, api_handler handler, char *detail, size_t len);

#endif
