/* PostgreSQL persistence of issued certificates (model-internal). */
#ifndef EDGECA_MODEL_CERT_STORE_H
#define EDGECA_MODEL_CERT_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "model/certificate.h"

/* Inserts cert and its audit row in one statement (atomic), provided its
 * CA and location are still active; fills id and created_at.
 * Returns: EDGECA_OK; EDGECA_ERR_CONFLICT with *serial_taken when the
 * serial is taken; EDGECA_ERR_CONFLICT ca-revoked, location-revoked or
 * ca-not-active when the CA or location is no longer active (nothing is
 * stored); database errors.
 * Locks: the location's row FOR SHARE, which every revocation conflicts
 * with, in the insert's own transaction. */
edgeca_err cert_store_insert(PGconn *c, struct certificate *cert, const char *actor,
                             bool *serial_taken, struct edgeca_msg *msg);

edgeca_err cert_store_get(PGconn *c, const char *ca_id, const char *serial,
                          struct certificate **out, struct edgeca_msg *msg);

edgeca_err cert_store_list(PGconn *c, const char *ca_id, const struct cert_filter *f,
                           long long after, long limit, struct certificate ***items, size_t *n,
                           bool *more, struct edgeca_msg *msg);

#endif
