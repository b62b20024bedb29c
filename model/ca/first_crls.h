/* The first CRLs of the keys an operation made publish: called by the CA
 * operations (creation, chaining, CRLs turned on) and by those above
 * model/ca/ (renewal, uploads). */
#ifndef EDGECA_MODEL_CA_FIRST_CRLS_H
#define EDGECA_MODEL_CA_FIRST_CRLS_H

#include <libpq-fe.h>

#include "model/ca/ca.h"

/* Makes the first CRL of every key of ca (stored) that publishes CRLs
 * (crl.enabled, its location active) and has none yet, on c (not in a
 * transaction), after the operation that made the key publish has
 * committed: creation, chaining, an uploaded certificate, a renewal,
 * CRLs turned on. Never undoes that operation: a CRL that cannot be made
 * is logged and noted in ca->warnings (made an array, empty when all went
 * well), and left to the scheduler, which retries it and notifies
 * crl_generation_failed. Audited as crl.generate by actor. */
void ca_first_crls(struct edgeca_ctx *ctx, PGconn *c, const char *actor, struct ca *ca);

#endif
