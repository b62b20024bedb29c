/* The audit trail: one row per issuance and admin action, written in the
 * same transaction as the change it records (audit_events is append-only
 * in the database). */
#ifndef EDGECA_MODEL_AUDIT_H
#define EDGECA_MODEL_AUDIT_H

#include <libpq-fe.h>
#include <stddef.h>

#include "common/error.h"

/* details: alternating keys and values (n strings, n even) stored as a
 * JSON object of strings. */
edgeca_err audit_write(PGconn *c, const char *actor, const char *action,
                       const char *object_type, const char *object_id,
                       const char *const *details, size_t n, struct edgeca_msg *msg);

#endif
