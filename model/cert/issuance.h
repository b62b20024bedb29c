/* The one path by which every certificate edgeca hands out comes to be:
 * the signer signs, the certificate is stored with its audit row, and only
 * then is it returned (model-internal; REST, EST and the DPS helpers use
 * it). */
#ifndef EDGECA_MODEL_ISSUANCE_H
#define EDGECA_MODEL_ISSUANCE_H

#include "model/cert/certificate.h"
#include "signer/proto/templates.h"

/* Has loc's key sign csr_der under template t until not_after and stores
 * the result (retrying with a new serial on the astronomically unlikely
 * collision). actor is recorded as requester and in the audit row;
 * channel ("rest", "est") labels the count of issued certificates.
 * The caller holds no database connection: none waits for the signer; the
 * store takes one afterwards.
 * Returns: EDGECA_OK; the signer's errors (signer-unavailable past
 * EDGECA_SIGNER_TIMEOUT); EDGECA_ERR_CONFLICT ca-revoked, location-revoked
 * or ca-not-active when the CA or location stopped being active while the
 * signer signed (the certificate is then neither stored nor returned).
 * Locks: the location's row FOR KEY SHARE in the insert's transaction
 * (cert_store_insert). */
edgeca_err cert_sign_and_store(struct edgeca_ctx *ctx, const char *actor, const char *channel,
                               const struct ca *ca, const struct ca_location *loc,
                               const struct tpl_def *t, const unsigned char *csr_der,
                               size_t csr_len, time_t not_after, struct certificate **out,
                               struct edgeca_msg *msg);

/* Fills the stored fields of cert from what the signer says it signed;
 * takes the DER and strings of issued. */
void cert_take_issued(struct certificate *cert, struct signer_issued *issued);

#endif
