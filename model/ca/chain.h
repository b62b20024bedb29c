/* Chaining of subordinate CAs: the building blocks the modules above
 * model/ca/ use (renewal and uploads, model/lifecycle/): loading a parent,
 * the checks and signing of an internal chaining, and taking the
 * certificate an external root signed. Chaining as an operation of its
 * own is ca_chain_to_parent (model/ca/ca.h). */
#ifndef EDGECA_MODEL_CA_CHAIN_H
#define EDGECA_MODEL_CA_CHAIN_H

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "model/auth/principal.h"
#include "model/ca/ca.h"

/* Loads the CA parent_id names in a request: an unknown one is a 422
 * ("parent-not-found"), not a 404 of the request's own resource. */
edgeca_err ca_load_parent(PGconn *c, const char *parent_id, struct ca **parent,
                          struct edgeca_msg *msg);

/* The notAfter of the parent location that signs the child's location
 * (0 when there is none). */
time_t ca_signing_not_after(const struct ca *parent, const char *location);
/* Checks that parent may sign child's location named location (NULL:
 * every location waiting in pending_chaining) now and settles the
 * validity against the parent locations that will sign them (the one of
 * the same name when active, else the parent's first active): *not_after
 * 0 (not given) becomes the longest they and the parent's policy allow,
 * at most 1,825 days; a given one beyond those limits is refused. */
edgeca_err ca_check_parent(const struct ca *child, const struct ca *parent, const char *location,
                           time_t now, time_t *not_after, struct edgeca_msg *msg);

/* Has the parent's signer key sign every pending location of child and
 * installs each certificate in child's key. Stops at the first failure;
 * the locations done so far are marked active. */
edgeca_err ca_sign_by_parent(struct edgeca_ctx *ctx, struct ca *child, const struct ca *parent,
                             time_t not_after, struct edgeca_msg *msg);

/* An uploaded certificate (cert, then the chain given after it) for the
 * request csr of signer key key_id at location loc: checked as every
 * upload is (key, CA, subject, validity, path length, chain), bound to
 * the key in the signer (the same certificate again completes a binding
 * whose storage failed) and set as loc's certificate and chain; loc's
 * key and status are the caller's. */
edgeca_err ca_take_uploaded(struct edgeca_ctx *ctx, const struct ca *ca, struct ca_location *loc,
                            const char *key_id, const unsigned char *csr, size_t csr_len,
                            X509 *cert, STACK_OF(X509) *chain, struct edgeca_msg *msg);

/* The first certificate of a location waiting in pending_chaining, from
 * an external root: taken as ca_take_uploaded takes it, then the location
 * is active and the CA chained externally, stored with its audit row
 * (ca.certificate.upload) in one transaction on c.
 * Returns: EDGECA_OK; EDGECA_ERR_CONFLICT (already-chained) for a location
 * that waits for no certificate; the errors of ca_take_uploaded. */
edgeca_err ca_chain_uploaded(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
                             struct ca *ca, struct ca_location *loc, X509 *cert,
                             STACK_OF(X509) *chain, struct edgeca_msg *msg);

#endif
