/* Pieces shared by the files of model/ca/; not for other callers (the
 * build refuses them elsewhere). */
#ifndef EDGECA_MODEL_CA_INTERNAL_H
#define EDGECA_MODEL_CA_INTERNAL_H

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "model/auth/principal.h"
#include "model/ca/ca.h"

/* "a,b,c": the templates as the signer's key policy takes them; NULL
 * when out of memory. */
char *ca_join_templates(char **v);

/* A signer key for each location of ca (creation), under the CA's
 * algorithm and policy: a root's signs its own certificate for subject
 * until not_after, a subordinate's gets a CSR for it. */
edgeca_err ca_keys_for_locations(struct edgeca_ctx *ctx, struct ca *ca,
                                 const unsigned char *subject_der, size_t subject_len,
                                 time_t not_after, struct edgeca_msg *msg);

/* Fills loc's certificate fields from DER; takes der on success only. */
edgeca_err ca_location_take_cert(struct ca_location *loc, unsigned char *der, size_t len,
                                 struct edgeca_msg *msg);

/* "root", ... the CA's state after its locations changed: active when one
 * of them is, else waiting for a certificate; a disabled CA stays
 * disabled. */
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
edgeca_err ca_ocsp_update_locked(PGconn *c, const struct principal *who, struct ca *ca,
                                 const struct ca_ocsp_req *req, struct edgeca_msg *msg);
edgeca_err ca_lifecycle_update_locked(const struct edgeca_ctx *ctx, PGconn *c,
                                      const struct principal *who, struct ca *ca,
                                      const struct ca_lifecycle_req *req,
                                      struct edgeca_msg *msg);

/* The checks of a CA certificate signed outside edgeca (an upload, an
 * import): CA:TRUE, keyUsage keyCertSign (and cRLSign when the CA makes
 * CRLs), subjectKeyIdentifier, valid at now, a path length that leaves
 * the CA's CA templates possible, subject equal to subject unless NULL,
 * and chain (the issuers, the last one the anchor) verifying it when not
 * empty; each refusal with its own slug. */
edgeca_err ca_check_external_cert(X509 *cert, STACK_OF(X509) *chain, const struct ca *ca,
                                  const X509_NAME *subject, time_t now, struct edgeca_msg *msg);

/* Has the signer bind a CA certificate (DER) to key_id; the same
 * certificate again completes an upload or import whose database write
 * failed after the signer had bound it. */
edgeca_err ca_install_external_cert(struct edgeca_ctx *ctx, const char *key_id,
                                    const unsigned char *der, size_t len,
                                    struct edgeca_msg *msg);

/* ca_create with req->import set (model/ca/import.c). */
edgeca_err ca_import(struct edgeca_ctx *ctx, const struct principal *who,
                     const struct ca_create_req *req, struct ca **out, struct edgeca_msg *msg);

/* The issuers' certificates, in order, as the PEM chain a location keeps
 * ("" when none); NULL when out of memory. */
char *ca_chain_pem_of(STACK_OF(X509) *chain);

#endif
