/* The dispatcher's check that a request uses only the query parameters
 * its route takes (api/rest/routes.c states them) and none twice: a
 * misspelt filter (?comon_name=) is refused, not silently ignored. Path
 * parameters (:ca_id) are not query parameters. Called by routes.c. */
#ifndef EDGECA_API_QUERY_H
#define EDGECA_API_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <ulfius.h>

#include "api/rest/routes.h"

/* True when route's operation reads the query parameter name (its
 * query list in api_routes[]); a route without one takes none. */
bool api_query_takes(const struct api_route *route, const char *name);

/* True when route serves public files (ROUTE_ANY_QUERY), whose queries are
 * ignored: relying parties add cache-busting ones. */
bool api_query_ignored(const struct api_route *route);

/* Checks the query of the raw request target (e.g. "/a?x=1&y=2") for
 * route: 0 when every parameter is one it takes, once (a list
 * parameter, such as the search's ca_id, may repeat); else 1 with detail
 * naming the first unknown or repeated parameter. */
int api_query_refused(const char *target, const struct api_route *route, char *detail,
                      size_t len);

#endif
