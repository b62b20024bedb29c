/* Signing an external subordinate CA's CSR: the one way a CA of edgeca
 * issues a subordinate_ca certificate to a key it does not hold, always
 * with an explicit path length. The certificate is stored, revocable and
 * on the CRL like every other, and audited as ca.sign_subordinate.
 * Called by api/subordinates.c (pki_admin only, checked by its route). */
#ifndef EDGECA_MODEL_CERT_SUBORDINATE_H
#define EDGECA_MODEL_CERT_SUBORDINATE_H

#include "model/certificate.h"

#define SUBORDINATE_MAX_PATH_LENGTH 16

struct cert_subordinate_req {
	struct cert_issue_req issue; /* csr, validity and location; template unused */
	long path_length;            /* CA_FIELD_UNSET when not given */
};

void cert_subordinate_req_init(struct cert_subordinate_req *r);

/* Has the CA sign the CSR under subordinate_ca with req's path length and
 * stores the certificate with its audit row.
 * Returns: EDGECA_OK; EDGECA_ERR_INVALID (missing-field, invalid-field for
 * the path length; template-not-allowed when the CA does not allow
 * subordinate_ca; the validity errors of issuance; path-length-exceeded
 * and the CSR checks, from the signer); EDGECA_ERR_NOT_FOUND
 * (ca-not-found); EDGECA_ERR_CONFLICT (ca-not-active, ca-revoked,
 * location-revoked, also when the location is revoked while the signer
 * signs, and then nothing is stored).
 * Ownership: *out is the caller's (cert_free).
 * Locks: as every issuance, the issuing location's row FOR KEY SHARE
 * while the certificate is stored (cert_store_insert); no database
 * connection is held while the signer signs. */
edgeca_err cert_sign_subordinate(struct edgeca_ctx *ctx, const struct principal *who,
                                 const char *ca_id, const struct cert_subordinate_req *req,
                                 struct certificate **out, struct edgeca_msg *msg);

#endif
