/* Whether a CA issues: disabling and enabling it, and deleting a CA that
 * never issued anything. Called by the REST API (POST .../disable,
 * .../enable, DELETE /api/v1/cas/{id}); pki_admin only (the caller's route). */
#ifndef EDGECA_MODEL_CA_STATE_H
#define EDGECA_MODEL_CA_STATE_H

#include "common/error.h"
#include "model/auth/principal.h"
#include "model/ca/ca.h"
#include "model/core/context.h"

/* The longest reason ca_disable keeps (characters of UTF-8 text). */
#define CA_DISABLE_REASON_MAX 200

/* Disables an active CA (reason: NULL or up to CA_DISABLE_REASON_MAX
 * characters, kept in the audit row): it issues nothing until enabled,
 * while its CRLs, OCSP and revocations go on. A disabled CA is answered
 * as it is, with no audit row. Returns the CA as it then is.
 * Returns: EDGECA_OK; NOT_FOUND (ca-not-found); CONFLICT (ca-revoked,
 * ca-not-active: waiting for its certificate); INVALID (invalid-field). */
edgeca_err ca_disable(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                      const char *reason, struct ca **out, struct edgeca_msg *msg);

/* Enables a disabled CA again; any other CA but a revoked one is answered
 * as it is, with no audit row. Returns: EDGECA_OK; NOT_FOUND
 * (ca-not-found); CONFLICT (ca-revoked). */
edgeca_err ca_enable(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                     struct ca **out, struct edgeca_msg *msg);

/* Deletes a CA whose keys signed nothing but the CA's own certificate or
 * CSR: no certificate, no subordinate CA, no CRL (nor a CRL number
 * allocated), no OCSP responder, no renewal, no lifecycle notification.
 * Its locations, EST anchors, its place in token scopes and the sealed
 * records of its keys go with it, in one transaction; the audit trail
 * keeps ca.delete. Returns: EDGECA_OK; NOT_FOUND (ca-not-found);
 * CONFLICT (ca-has-issued, the detail names what). */
edgeca_err ca_delete(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                     struct edgeca_msg *msg);

#endif
