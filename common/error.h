/* The one error type of edgeca. Every model and signer-client function
 * returns an edgeca_err and, on failure, fills a struct edgeca_msg with a
 * problem type slug and a detail sentence meant for the API caller.
 * api/problem.c maps the codes to HTTP statuses in one table. */
#ifndef EDGECA_COMMON_ERROR_H
#define EDGECA_COMMON_ERROR_H

#include <stddef.h>

typedef enum {
	EDGECA_OK = 0,
	EDGECA_ERR_MALFORMED,         /* request cannot be parsed: 400 */
	EDGECA_ERR_INVALID,           /* well-formed but refused: 422 */
	EDGECA_ERR_UNAUTHORIZED,      /* no or bad credentials: 401 */
	EDGECA_ERR_FORBIDDEN,         /* authenticated, not allowed: 403 */
	EDGECA_ERR_NOT_FOUND,         /* 404 */
	EDGECA_ERR_CONFLICT,          /* state conflict, duplicate: 409 */
	EDGECA_ERR_TOO_LARGE,         /* 413 */
	EDGECA_ERR_UNSUPPORTED_MEDIA, /* 415 */
	EDGECA_ERR_NOT_ACCEPTABLE,    /* 406 */
	EDGECA_ERR_TOO_MANY,          /* too many attempts, retry later: 429 */
	EDGECA_ERR_UNAVAILABLE,       /* database or signer unreachable: 503 */
	EDGECA_ERR_INTERNAL,          /* a bug or an unexpected failure: 500 */
} edgeca_err;

struct edgeca_msg {
	char type[48];     /* problem slug, e.g. "csr-bad-signature"; "" = default of the code */
	char detail[512];
	unsigned retry_after; /* seconds a refused client should wait; 0 when not said */
};

/* Records the failure in msg (which may be NULL) and returns code.
 * type is a slug or NULL for the code's default. */
edgeca_err edgeca_fail(struct edgeca_msg *msg, edgeca_err code, const char *type,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void edgeca_msg_clear(struct edgeca_msg *msg);

/* The default problem slug of a code ("malformed-request", ...). */
const char *edgeca_err_slug(edgeca_err code);
/* msg's slug, or the code's default when msg has none. */
const char *edgeca_msg_slug(const struct edgeca_msg *msg, edgeca_err code);

#endif
