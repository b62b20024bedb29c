/* Pieces shared by the files of model/est/; not for other callers. */
#ifndef EDGECA_MODEL_EST_INTERNAL_H
#define EDGECA_MODEL_EST_INTERNAL_H

#include <libpq-fe.h>

#include "model/ca/ca.h"
#include "model/est/est.h"

/* Loads the CA and location an EST request is for (t), on c.
 * Returns: EDGECA_OK; EDGECA_ERR_NOT_FOUND for anything unknown and for a
 * CA that does not serve EST (ca-not-found, est-label-not-found,
 * est-disabled, location-not-found, location-not-active).
 * Ownership: *ca is the caller's (ca_free); *loc points into it. */
edgeca_err est_load(PGconn *c, const struct est_target *t, struct ca **ca,
                    const struct ca_location **loc, struct edgeca_msg *msg);

#endif
