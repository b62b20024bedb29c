/* PostgreSQL persistence of issued certificates (model-internal). */
#ifndef EDGECA_MODEL_CERT_STORE_H
#define EDGECA_MODEL_CERT_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "model/cert/certificate.h"

/* Inserts cert and its audit row (action: certificate.issue, or
 * ca.sign_subordinate with the path_length asked for; -1: none) in one
 * statement (atomic), provided its CA and location are still active;
 * fills id and created_at.
 * Returns: EDGECA_OK; EDGECA_ERR_CONFLICT with *serial_taken when the
 * serial is taken; EDGECA_ERR_CONFLICT ca-revoked, location-revoked or
 * ca-not-active when the CA or location is no longer active (nothing is
 * stored); database errors.
 * Locks: the location's row FOR KEY SHARE, which every revocation
 * conflicts with (ca_revoke locks the rows FOR UPDATE), in the insert's
 * own transaction. */
edgeca_err cert_store_insert(PGconn *c, struct certificate *cert, const char *actor,
                             const char *action, long path_length, bool *serial_taken,
                             struct edgeca_msg *msg);

edgeca_err cert_store_get(PGconn *c, const char *ca_id, const char *serial,
                          struct certificate **out, struct edgeca_msg *msg);

edgeca_err cert_store_list(PGconn *c, const char *ca_id, const struct cert_filter *f,
                           long long after, long limit, struct certificate ***items, size_t *n,
                           bool *more, struct edgeca_msg *msg);

/* Whether the CA issued a device certificate (template client or ssl)
 * whose common name is cn and whose status is valid now (see
 * certificate.h): how an IoT Edge CA request names a known device. */
edgeca_err cert_store_has_valid_device(PGconn *c, const char *ca_id, const char *cn, bool *found,
                                       struct edgeca_msg *msg);

#endif
