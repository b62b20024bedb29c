/* The signer keys of a CA's locations, for the modules above model/ca/
 * (renewal, model/lifecycle/): a new key under the CA's algorithm and
 * policy and its CSR. */
#ifndef EDGECA_MODEL_CA_KEYS_H
#define EDGECA_MODEL_CA_KEYS_H

#include "model/ca/ca.h"
#include "signer/proto/protocol.h"

/* Renewal: a new signer key with the CA's algorithm
 * and policy, as at creation, and its CSR for the subject of loc's
 * current certificate. */
edgeca_err ca_renewal_key_and_csr(struct edgeca_ctx *ctx, const struct ca *ca,
                                  const struct ca_location *loc, char key_id[SIGNER_KEY_ID_BYTES],
                                  unsigned char **csr, size_t *csr_len, struct edgeca_msg *msg);

#endif
