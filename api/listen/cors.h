/* The origins a browser page may call the API from (EDGECA_CORS_ORIGINS):
 * parsed and checked once at start-up by the configuration, then read by
 * the API listener's dispatcher for every request with an Origin header. */
#ifndef EDGECA_API_CORS_ORIGINS_H
#define EDGECA_API_CORS_ORIGINS_H

#include <stdbool.h>

#include "common/error.h"

/* The most origins, and the longest one, edgeca takes. */
#define CORS_ORIGINS_MAX 32
#define CORS_ORIGIN_MAX_LEN 255

struct cors_origins {
	bool any;     /* "*": every origin, never with credentials */
	size_t n;
	char **origins; /* exact, lower-case scheme://host[:port] */
};

/* Parses a comma-separated list of exact origins (scheme://host[:port],
 * http or https, lower case, no path), or "*" alone. Blanks around the
 * commas are ignored; empty or NULL: *out is NULL (no CORS).
 * Returns: EDGECA_OK; EDGECA_ERR_INVALID with msg naming the bad origin.
 * Ownership: *out is the caller's (cors_origins_free). */
edgeca_err cors_origins_parse(const char *list, struct cors_origins **out,
                              struct edgeca_msg *msg);
void cors_origins_free(struct cors_origins *c);

/* The Access-Control-Allow-Origin value for a request's Origin header:
 * "*" (any), the origin itself when listed, else NULL (c NULL: none). */
const char *cors_origin_allowed(const struct cors_origins *c, const char *origin);

#endif
