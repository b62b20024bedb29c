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

/* CsrAttrs (RFC 7030 4.5.2) for a required key algorithm (alg: EC-P256,
 * EC-P384, RSA-<bits>, or "" for none): the key type with its curve or
 * size, and the signature algorithm to use; with pop, the
 * challengePassword OID, which asks for the TLS channel binding there
 * (RFC 7030 3.5). Returns 0, or -1 (unknown alg, out of memory).
 * Ownership: *der is the caller's (free). */
int est_csrattrs_encode(const char *alg, bool pop, unsigned char **der, size_t *len);

#endif
