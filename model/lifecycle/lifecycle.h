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
#include "model/ca/ca.h"
#include "model/core/names.h"

#define LIFECYCLE_MAX_ATTEMPTS 5
/* "t=" up to 20 digits ",v1=" 64 hex digits, NUL */
#define LIFECYCLE_SIGNATURE_LEN (sizeof("t=,v1=") + 20 + 64)

/* The kinds of notification (the notifications.kind CHECK constraint):
 * points of a location's lifetime first, then events. */
enum notification_kind {
	NOTIFY_THRESHOLD_REACHED,
	NOTIFY_REMINDER_90,
	NOTIFY_REMINDER_95,
	NOTIFY_REMINDER_99,
	NOTIFY_EXPIRED,
	NOTIFY_RENEWED,
	NOTIFY_RENEWAL_FAILED,
	NOTIFY_RENEWAL_REQUESTED,
	NOTIFY_CRL_GENERATION_FAILED,
	NOTIFY_ISSUANCE_SHORTENED,
};
EDGECA_NAMES_DECLARE(notification_kind, enum notification_kind);

/* How a notification is delivered (notification_deliveries.channel). */
enum delivery_channel { CHANNEL_EMAIL, CHANNEL_WEBHOOK };
EDGECA_NAMES_DECLARE(delivery_channel, enum delivery_channel);

/* Where a delivery stands (notification_deliveries.state). */
enum delivery_state { DELIVERY_PENDING, DELIVERY_SENDING, DELIVERY_DELIVERED, DELIVERY_FAILED,
                      DELIVERY_NOT_CONFIGURED };
EDGECA_NAMES_DECLARE(delivery_state, enum delivery_state);

/* A delivery claimed for sending, with what its message says. */
struct notice {
	long long delivery_id;
	enum delivery_channel channel;
	char **recipients;       /* email: NULL-terminated */
	char *url;               /* webhook */
	int attempts;            /* made before this one */
	char notification_id[UUID_TEXT_BYTES];
	enum notification_kind kind;
	char ca_id[UUID_TEXT_BYTES];
	char *ca_name;           /* the CA's friendly name */
	enum ca_kind ca_kind;
	enum ca_lifecycle_action action;
	enum ca_chaining chaining;
	bool ca_disabled;        /* the scheduler renews no disabled CA */
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
 * threshold is due at now into *kind (false: none is); *due_at receives
 * its due time.
 * Earlier ones it supersedes are not sent (a CA created late in its
 * lifetime gets one message, not five); reminders at or below the
 * threshold are covered by threshold_reached. */
bool lifecycle_due_kind(time_t not_before, time_t not_after, int threshold_percent, time_t now,
                        enum notification_kind *kind, time_t *due_at);

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
