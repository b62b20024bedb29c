/* The one error type of edgeca. Every model and signer-client function
 * returns an edgeca_err and, on failure, fills a struct edgeca_msg with a
 * problem type slug and a detail sentence meant for the API caller.
 * The codes say what went wrong, in edgeca's terms; api/listen/status.c
 * maps them to HTTP statuses in one table. */
#ifndef EDGECA_COMMON_ERROR_H
#define EDGECA_COMMON_ERROR_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
	EDGECA_OK = 0,
	EDGECA_ERR_MALFORMED,          /* the input cannot be parsed */
	EDGECA_ERR_INVALID,            /* well-formed, but a rule refuses it */
	EDGECA_ERR_UNAUTHENTICATED,    /* no credentials, or credentials not recognised */
	EDGECA_ERR_NOT_PERMITTED,      /* the caller is known but may not do this */
	EDGECA_ERR_NOT_FOUND,          /* the object named does not exist */
	EDGECA_ERR_CONFLICT,           /* the object's state forbids it, or a duplicate */
	EDGECA_ERR_OVERSIZED,          /* the input is larger than edgeca accepts */
	EDGECA_ERR_FORMAT_UNSUPPORTED, /* the input is in a format edgeca does not read */
	EDGECA_ERR_FORMAT_UNAVAILABLE, /* no format the caller accepts can be produced */
	EDGECA_ERR_THROTTLED,          /* too many attempts: try again later */
	EDGECA_ERR_UNAVAILABLE,        /* the database or the signer cannot be reached */
	EDGECA_ERR_PRECONDITION,       /* the caller's precondition (If-Match) does not hold */
	EDGECA_ERR_INTERNAL,           /* a bug or an unexpected failure */
} edgeca_err;

struct edgeca_msg {
	char type[48];     /* problem slug, e.g. "csr-bad-signature"; "" = default of the code */
	char detail[512];
	unsigned retry_after; /* seconds a refused client should wait; 0 when not said */
	/* type is another process's slug (the signer's): api/ shows it to
	 * callers only when it documents it (api/listen/status.c) */
	bool type_internal;
};

/* Records the failure in msg (which may be NULL) and returns code.
 * type is a slug or NULL for the code's default. */
edgeca_err edgeca_fail(struct edgeca_msg *msg, edgeca_err code, const char *type,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void edgeca_msg_clear(struct edgeca_msg *msg);

/* The name of a code as a slug ("malformed-request", ...): the default
 * problem type of the API and the signer protocol's default ERROR_TYPE. */
const char *edgeca_err_slug(edgeca_err code);
/* msg's slug, or the code's default when msg has none. */
const char *edgeca_msg_slug(const struct edgeca_msg *msg, edgeca_err code);

#endif
