/* Renewal of subordinate CAs: by hand (ca_renew) and automatic, for the
 * scheduler's lifecycle thread (ca_renew_due). */
#ifndef EDGECA_MODEL_LIFECYCLE_RENEW_H
#define EDGECA_MODEL_LIFECYCLE_RENEW_H

#include <libpq-fe.h>

#include "model/ca/ca.h"

/* POST /api/v1/cas/{id}/renew: gives each active location (or the one
 * named by location, NULL for all) of an active subordinate a new signer
 * key (same algorithm and policy). Chained to an internal parent: a new
 * certificate signed by the parent, validity as at creation; the
 * replaced generation is kept (ca_location_history) and shown in
 * previous_certificates; audited ca.renew. Chained to an external root:
 * the key's CSR waits as the location's pending renewal (a location with
 * one keeps it), audited ca.renew.request and notified
 * renewal_requested, until ca_upload_certificate gets its certificate.
 * Each location is stored in its own transaction; a failure stops at
 * that location. Roots: INVALID (root-renewal). */
edgeca_err ca_renew(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                    const char *location, struct ca **out, struct edgeca_msg *msg);

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
