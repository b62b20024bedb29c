/* Pieces shared by the model/ca*.c files (creation, chaining, renewal);
 * not for other callers. */
#ifndef EDGECA_MODEL_CA_INTERNAL_H
#define EDGECA_MODEL_CA_INTERNAL_H

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "model/ca/ca.h"

/* "a,b,c": the templates as the signer's key policy takes them; NULL
 * when out of memory. */
char *ca_join_templates(char **v);

/* Fills loc's certificate fields from DER; takes der on success only. */
edgeca_err ca_location_take_cert(struct ca_location *loc, unsigned char *der, size_t len,
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

/* Renewal (model/ca_renew.c): a new signer key with the CA's algorithm
 * and policy, as at creation, and its CSR for the subject of loc's
 * current certificate. */
edgeca_err ca_renewal_key_and_csr(struct edgeca_ctx *ctx, const struct ca *ca,
                                  const struct ca_location *loc, char key_id[65],
                                  unsigned char **csr, size_t *csr_len, struct edgeca_msg *msg);
/* Keeps the location's current generation (still holding old_key) in
 * ca_location_history and switches it to loc's new key, certificate,
 * CSR and chain (generation + 1, no pending renewal), audited ca.renew,
 * in one transaction. A location renewed or revoked meanwhile is a
 * CONFLICT (renewal-conflict). */
edgeca_err ca_renewal_store(PGconn *c, const struct principal *who, const struct ca *ca,
                            const struct ca_location *loc, const char *old_key,
                            const char *old_serial, struct edgeca_msg *msg);

/* Renewal of externally chained CAs (model/ca_renew_external.c): asks for
 * the renewal of the location named (NULL: every active one) of ca, each
 * location in its own transaction and notified as renewal_requested;
 * a location with a pending renewal keeps it. */
edgeca_err ca_renewal_request_all(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
                                  const struct ca *ca, const char *location,
                                  struct edgeca_msg *msg);
/* The certificate the external root signed for loc's pending renewal:
 * taken as ca_take_uploaded takes it, then the location rolls over to the
 * new key as by ca_renewal_store. */
edgeca_err ca_renewal_complete(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
                               const struct ca *ca, struct ca_location *loc, X509 *cert,
                               STACK_OF(X509) *chain, struct edgeca_msg *msg);

/* Loads the CA parent_id names in a request: an unknown one is a 422
 * ("parent-not-found"), not a 404 of the request's own resource. */
edgeca_err ca_load_parent(PGconn *c, const char *parent_id, struct ca **parent,
                          struct edgeca_msg *msg);

/* "root", ... the CA's state after its locations changed: active when one
 * of them is. */
void ca_update_status(struct ca *ca);

/* Applies req's EST settings to ca->est (creating: on top of the
 * defaults) and checks them against the CA's policy; hashes a new Basic
 * password and parses new anchors (*anchors_given then set). */
edgeca_err ca_est_resolve(const struct ca_est_req *req, struct ca *ca, bool creating, time_t now,
                          bool *anchors_given, struct edgeca_msg *msg);
/* Writes ca->est (and, when anchors_given, replaces the anchors) inside
 * the caller's transaction. */
edgeca_err ca_est_store(PGconn *c, const struct ca *ca, bool anchors_given,
                        struct edgeca_msg *msg);

/* Gives ca (stored, with ca->webhook_url set) a new webhook secret:
 * sealed under the server's key into the database inside the caller's
 * transaction, in clear in ca->new_webhook_secret. With webhook_url NULL,
 * removes URL and secret. */
edgeca_err ca_store_webhook(const struct edgeca_ctx *ctx, PGconn *c, struct ca *ca,
                            struct edgeca_msg *msg);

/* The audited changes of PATCH, each inside ca_update's transaction with
 * the CA's row locked: ca is changed and its new settings stored. */
edgeca_err ca_est_update_locked(PGconn *c, const struct principal *who, struct ca *ca,
                                const struct ca_est_req *req, struct edgeca_msg *msg);
edgeca_err ca_crl_update_locked(PGconn *c, const struct principal *who, struct ca *ca,
                                const struct ca_crl_req *req, struct edgeca_msg *msg);
edgeca_err ca_lifecycle_update_locked(const struct edgeca_ctx *ctx, PGconn *c,
                                      const struct principal *who, struct ca *ca,
                                      const struct ca_lifecycle_req *req,
                                      struct edgeca_msg *msg);

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
