/* CA lifecycle notifications in PostgreSQL: creating the due ones (each
 * exactly once, whatever the number of server instances: a UNIQUE key
 * and INSERT ... ON CONFLICT DO NOTHING), claiming their deliveries
 * (FOR UPDATE SKIP LOCKED, with a claim that expires so that a crashed
 * instance's work is taken up again), recording outcomes with retries,
 * and the listings of the API. */
#ifndef EDGECA_MODEL_NOTIFICATION_H
#define EDGECA_MODEL_NOTIFICATION_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

#include "common/encoding.h"
#include "model/auth/principal.h"
#include "model/core/context.h"
#include "model/store/cursor.h"
#include "model/lifecycle/lifecycle.h"

/* Creates the notifications due at now for every active CA location with
 * one delivery per configured channel; *created counts the new ones. */
edgeca_err notification_create_due(PGconn *c, const struct model_settings *settings, time_t now,
                                   size_t *created, struct edgeca_msg *msg);

/* Creates the notification kind (renewed, renewal_failed,
 * crl_generation_failed: an event rather
 * than a point of the lifetime) of the location in row i of r, which has
 * the columns ca_id, name, not_after (epoch seconds: the certificate it
 * is about), lifecycle_notification_emails and lifecycle_webhook_url,
 * and for crl_generation_failed generation, error and crl_next_update
 * (epoch seconds or NULL); once per (location, kind, not_after): *made
 * false when it existed. */
edgeca_err notification_create_event(PGconn *c, const struct model_settings *settings,
                                     const PGresult *r, int i, enum notification_kind kind,
                                     time_t due_at,
                                     bool *made, struct edgeca_msg *msg);

/* Creates the renewal_requested notification of the location's pending
 * renewal (external chaining), carrying its CSR, due when it was
 * requested: once per certificate the renewal replaces. *made is false
 * when it existed, or when the location has no pending renewal. */
edgeca_err notification_create_renewal_request(PGconn *c, const struct model_settings *settings,
                                               const char *ca_id, const char *location,
                                               bool *made, struct edgeca_msg *msg);

/* Claims up to max deliveries for instance me (pending and due, or sending
 * under an expired claim) for claim_s seconds. *out: n notices
 * (notice_free each, then free the array). */
edgeca_err notification_claim(PGconn *c, const char *me, unsigned claim_s, size_t max,
                              struct notice **out, size_t *n, struct edgeca_msg *msg);

/* Records the outcome of sending n: delivered, or the failure error and
 * either a next attempt after the backoff or, after the last attempt,
 * failed. Nothing changes when me no longer holds the claim. */
edgeca_err notification_record(PGconn *c, const char *me, const struct notice *n,
                               const char *error, unsigned base_ms, struct edgeca_msg *msg);

/* Hands a claimed delivery back unsent (the server stops), no attempt
 * counted. */
edgeca_err notification_release(PGconn *c, const char *me, const struct notice *n,
                                struct edgeca_msg *msg);

struct delivery_view {
	enum delivery_channel channel;
	char **recipients; /* email */
	char *url;         /* webhook */
	enum delivery_state state;
	int attempts;
	time_t next_attempt_at; /* 0 unless pending */
	char *last_error;       /* NULL when none */
	time_t delivered_at;    /* 0 unless delivered */
};

struct notification_view {
	char id[UUID_TEXT_BYTES];
	long long seq;
	enum notification_kind kind;
	char ca_id[UUID_TEXT_BYTES];
	char location[64];
	time_t not_after;
	time_t due_at;
	time_t created_at;
	int generation;          /* crl_generation_failed: the key; else 0 */
	char *error;             /* crl_generation_failed: what failed; else NULL */
	time_t crl_next_update;  /* crl_generation_failed: the CRL served; 0: none */
	struct delivery_view deliveries[2];
	size_t n_deliveries;
};

struct notification_list {
	struct notification_view *items;
	size_t n;
	char next_cursor[CURSOR_MAX];
};

/* Every notification (ca_id NULL) or a CA's, oldest first; of the CAs
 * who may see only (a token limited to CAs: those CAs'). */
edgeca_err notification_list(struct edgeca_ctx *ctx, const struct principal *who,
                             const char *ca_id, long limit, const char *cursor,
                             struct notification_list *out, struct edgeca_msg *msg);
void notification_list_free(struct notification_list *l);

#endif
