/* Idempotency keys (table idempotency_keys): a request's key reserved
 * before it runs, then the first 2xx answer kept for 24 hours (its body
 * sealed under the server's key file, common/secretbox.h) or the
 * reservation released. SQL only; the HTTP rules are in
 * api/rest/idempotency.c; the purge runs in server/scheduler.c. */
#ifndef EDGECA_MODEL_IDEMPOTENCY_H
#define EDGECA_MODEL_IDEMPOTENCY_H

#include <stddef.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/secretbox.h"

struct db_pool;

#define IDEM_KEY_MAX 255       /* bytes of a key, not counting its NUL */
#define IDEM_FINGERPRINT_LEN 32 /* SHA-256 */
#define IDEM_TTL_HOURS 24
/* A reservation still running after this long is taken to be abandoned
 * (its server stopped mid-request) and the key may run again: no request
 * is answered after so long (api/listen deadlines are far shorter). */
#define IDEM_ABANDONED_MINUTES 15

/* A kept answer: the status, the headers replayed with it (NULL when the
 * answer had none) and the body. */
struct idem_answer {
	int status;
	char *content_type;
	char *location;
	char *etag;
	unsigned char *body;
	size_t body_len;
};

/* Frees the members of a (a may be NULL) and zeroes it. */
void idem_answer_clear(struct idem_answer *a);

enum idem_outcome {
	IDEM_RESERVED,    /* the key is this request's: run it, then finish or release */
	IDEM_REPLAY,      /* the same request ran before: answer *answer */
	IDEM_MISMATCH,    /* the key was used for another request */
	IDEM_IN_PROGRESS, /* the first request with the key is still running */
};

/* A reservation: whose key it is and the claim that proves it. */
struct idem_claim {
	const char *principal;
	const char *key;
	char claim[UUID_TEXT_BYTES];
};

/* Reserves c->principal's key c->key for a request with fingerprint fp,
 * unless it is held for less than 24 hours; a key older than that, or a
 * reservation abandoned for IDEM_ABANDONED_MINUTES, is taken over.
 * Returns: EDGECA_OK with *out set (IDEM_RESERVED: c->claim is set;
 * IDEM_REPLAY: *answer is filled, clear it after); EDGECA_ERR_UNAVAILABLE
 * (database); EDGECA_ERR_INTERNAL (a kept answer that does not open). */
edgeca_err idem_reserve(struct db_pool *p, const unsigned char seal_key[SECRETBOX_KEY_LEN],
                        struct idem_claim *c, const unsigned char fp[IDEM_FINGERPRINT_LEN],
                        enum idem_outcome *out, struct idem_answer *answer,
                        struct edgeca_msg *msg);

/* Keeps a (a 2xx answer) as the answer of c's reservation.
 * Returns: EDGECA_OK; EDGECA_ERR_CONFLICT when the reservation is no
 * longer c's; EDGECA_ERR_UNAVAILABLE (database). */
edgeca_err idem_finish(struct db_pool *p, const unsigned char seal_key[SECRETBOX_KEY_LEN],
                       const struct idem_claim *c, const struct idem_answer *a,
                       struct edgeca_msg *msg);

/* Gives c's reservation up, so that the key runs again next time (a row
 * no longer c's is left alone). */
edgeca_err idem_release(struct db_pool *p, const struct idem_claim *c, struct edgeca_msg *msg);

/* Deletes the keys older than 24 hours; *n gets how many. */
edgeca_err idem_purge(struct db_pool *p, long *n, struct edgeca_msg *msg);

#endif
