/* Automatic renewal of subordinate CAs, for the scheduler's lifecycle
 * thread (renewal by hand is ca_renew in model/ca.h). */
#ifndef EDGECA_MODEL_CA_RENEW_H
#define EDGECA_MODEL_CA_RENEW_H

#include <libpq-fe.h>

#include "model/ca/ca.h"

/* The scheduler's automatic renewal, on connection c (its own): each
 * location of an active subordinate with lifecycle action auto_renew that
 * has passed its threshold, or can no longer issue a certificate of the
 * CA's full max_validity_days, is renewed as by ca_renew (actor
 * "scheduler"), by one instance at a time (a database advisory lock per
 * location, and a renewal only of the key seen due). Chained internally:
 * when the parent allows a later notAfter; each renewal or failure is
 * recorded once as a renewed / renewal_failed notification of the
 * replaced certificate. Chained to an external root: the renewal is
 * requested (a new key and CSR, notified as renewal_requested) unless one
 * is pending (then only its missing notification is made); a failure is
 * logged and tried again at the next pass.
 * *renewed counts the renewals done or requested. */
edgeca_err ca_renew_due(struct edgeca_ctx *ctx, PGconn *c, size_t *renewed,
                        struct edgeca_msg *msg);

#endif
