/* CA lifecycle notifications, the pure part: which notification a CA
 * location is due (threshold, reminders at 90/95/99 % of its lifetime,
 * expiry), the retry schedule of deliveries, the webhook event and its
 * signature, and the e-mail text. Used by the scheduler and by tests. */
#ifndef EDGECA_MODEL_LIFECYCLE_H
#define EDGECA_MODEL_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/encoding.h"

#define LIFECYCLE_MAX_ATTEMPTS 5
/* "t=" up to 20 digits ",v1=" 64 hex digits, NUL */
#define LIFECYCLE_SIGNATURE_LEN (sizeof("t=,v1=") + 20 + 64)

/* A delivery claimed for sending, with what its message says. */
struct notice {
	long long delivery_id;
	char channel[16];        /* email or webhook */
	char **recipients;       /* email: NULL-terminated */
	char *url;               /* webhook */
	int attempts;            /* made before this one */
	char notification_id[UUID_TEXT_BYTES];
	char kind[32];
	char ca_id[UUID_TEXT_BYTES];
	char *ca_name;           /* the CA's friendly name */
	char ca_kind[16];        /* root or subordinate */
	char action[16];         /* notify or auto_renew */
	char chaining[16];       /* self, internal, external */
	int threshold_percent;
	char location[64];
	char *subject;
	time_t not_after;
	time_t due_at;
	time_t created_at;
	/* crl_generation_failed only: the key whose CRL failed, the error and
	 * the nextUpdate of the CRL it serves (0: none yet) */
	int generation;
	char *error;
	time_t crl_next_update;
	char *csr_pem;           /* renewal_requested: the CSR to be signed; else NULL */
	unsigned char *sealed_secret; /* the CA's webhook secret, sealed; NULL if none */
	size_t sealed_len;
};

void notice_free(struct notice *n);

/* The most advanced notification a location with this lifetime and
 * threshold is due at now, or NULL; *due_at receives its due time.
 * Earlier ones it supersedes are not sent (a CA created late in its
 * lifetime gets one message, not five); reminders at or below the
 * threshold are covered by threshold_reached. */
const char *lifecycle_due_kind(time_t not_before, time_t not_after, int threshold_percent,
                               time_t now, time_t *due_at);

/* Whether a location with this lifetime, in a CA issuing for at most
 * max_validity_days, can no longer issue a certificate of that length at
 * now (a certificate may not outlive its issuer) while it is still valid:
 * issuance_shortened. Only for a certificate that outlives
 * max_validity_days, so that there was a time when it could; *due_at
 * receives the moment it stopped. */
bool lifecycle_issuance_shortened(time_t not_before, time_t not_after, int max_validity_days,
                                  time_t now, time_t *due_at);

/* Milliseconds to wait after the failed attempt number attempts (1 for
 * the first): base, 2 base, 4 base ..., at most six hours. */
long long lifecycle_backoff_ms(unsigned base_ms, int attempts);

/* The X-Edgeca-Signature of a webhook attempt signed at t (unix seconds):
 * "t=<t>,v1=<hex HMAC-SHA256 under secret of "<t>.<body>">", t in
 * decimal. Covering the time lets receivers refuse a captured delivery
 * replayed later; each attempt is signed anew. Returns 0, or -1 (t
 * negative, out of memory). */
int lifecycle_signature(const char *secret, time_t t, const unsigned char *body, size_t len,
                        char out[LIFECYCLE_SIGNATURE_LEN]);

/* The webhook event (JSON, malloc'ed). */
char *lifecycle_event_json(const struct notice *n);

/* The e-mail (headers and plain-text body, CRLF lines, malloc'ed). */
char *lifecycle_email(const struct notice *n, const char *from, time_t now);

#endif
