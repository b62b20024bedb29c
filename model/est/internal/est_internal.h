/* Pieces shared by the files of model/est/; not for other callers. */
#ifndef EDGECA_MODEL_EST_INTERNAL_H
#define EDGECA_MODEL_EST_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

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

struct est_identity;

/* est_load on a connection of ctx's pool and, when client is not NULL,
 * est_authenticate of client at now into *id on the same connection; the
 * connection is given back before it returns, so that none is held while
 * the signer signs.
 * Returns: those of est_load and est_authenticate; EDGECA_ERR_UNAVAILABLE.
 * Ownership: as est_load's; *ca may be set also on failure (ca_free). */
edgeca_err est_load_pooled(struct edgeca_ctx *ctx, const struct est_target *t,
                           const struct est_client *client, time_t now,
                           struct est_identity *id, struct ca **ca,
                           const struct ca_location **loc, struct edgeca_msg *msg);

#endif
