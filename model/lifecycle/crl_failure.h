/* crl_generation_failed notifications: when the scheduler cannot make a
 * CRL that is due (a refresh before nextUpdate minus the overlap, or
 * revocations it lacks), the location is notified once per incident. An
 * incident is keyed by the nextUpdate of the CRL the key serves (the
 * notAfter of the key's certificate when it has none), so that retries
 * and other instances find it made and a later failure, after a CRL was
 * published, is a new one. Database only: never needs the signer. Called
 * by the scheduler's CRL thread. */
#ifndef EDGECA_MODEL_CRL_FAILURE_H
#define EDGECA_MODEL_CRL_FAILURE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "model/core/context.h"
#include "model/crl/crl.h"

/* Records that the CRL of key d could not be made because of error, on
 * connection c (not in a transaction), unless the CRL is no longer due
 * (another instance made it meanwhile) or the incident is notified
 * already: *made tells whether this call created the notification. */
edgeca_err crl_failure_notify(PGconn *c, const struct model_settings *settings,
                              const struct crl_due *d, const char *error, bool *made,
                              struct edgeca_msg *msg);

#endif
