/* Revocation: of issued certificates (RFC 5280 reasons; certificateHold
 * alone can be released), of a CA location by its parent and of a whole
 * CA. Each state change is one transaction with its audit row and marks
 * the certificate row it changes with the transaction's id
 * (crl_change_xid), which is how the CRL scheduler learns that a CRL is
 * stale; a revocation never writes any other row, so its cost does not
 * grow with the number of revoked certificates. Called by api/rest/revoke.c. */
#ifndef EDGECA_MODEL_REVOCATION_H
#define EDGECA_MODEL_REVOCATION_H

#include <stdbool.h>
#include <time.h>

#include "model/auth/principal.h"
#include "model/ca/ca.h"
#include "model/cert/certificate.h"
#include "model/core/context.h"

#define REVOCATION_HOLD "certificateHold"

/* A revocation request; reason NULL means "unspecified". */
struct cert_revoke_req {
	const char *reason;
	bool has_invalidity_date;
	time_t invalidity_date;
};

/* True when name is an RFC 5280 reason one may revoke with (every
 * CRLReason name except removeFromCRL). */
bool revocation_reason_valid(const char *name);

/* Checks a reason one revokes with: a revocable name (not removeFromCRL),
 * and for a CA (of_ca) never certificateHold. Pure.
 * Returns: EDGECA_OK; EDGECA_ERR_INVALID (invalid-revocation-reason). */
edgeca_err revocation_check_reason(const char *reason, bool of_ca, struct edgeca_msg *msg);

/* What a revocation request does to a certificate whose stored state is
 * revoked (with reason) or not: *change true when it must be written;
 * false (and EDGECA_OK) when it already holds, which makes a repeated
 * request a no-op. A permanent revocation is never changed (409). Pure. */
edgeca_err revocation_decide(bool revoked, const char *reason, const char *requested,
                             bool *change, struct edgeca_msg *msg);
/* The same for a release: only a certificateHold can be released. Pure. */
edgeca_err revocation_decide_release(bool revoked, const char *reason,
                                     struct edgeca_msg *msg);
/* Whether who may revoke or release a certificate requested by
 * requester: pki_admin any, requester its own only. Pure. */
edgeca_err revocation_may_act(const struct principal *who, const char *requester,
                              struct edgeca_msg *msg);

/* Revokes a certificate of the CA (serial as cert_get takes it) and
 * returns it as it then is; a repeated request with the reason it already
 * has changes nothing and audits nothing. */
edgeca_err cert_revoke(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                       const char *serial, const struct cert_revoke_req *req,
                       struct certificate **out, struct edgeca_msg *msg);
/* Releases a certificateHold: the certificate is valid again. */
edgeca_err cert_unrevoke(struct edgeca_ctx *ctx, const struct principal *who,
                         const char *ca_id, const char *serial, struct certificate **out,
                         struct edgeca_msg *msg);

/* Revokes one location of a CA (location given) or every location and the
 * CA itself (location NULL), with reason (NULL: unspecified; never
 * certificateHold). A location chained to a parent CA of this edgeca is
 * also revoked as a certificate of that parent, so it appears on the
 * parent's CRL. A CA left without an active or pending location is
 * revoked. Returns the CA as it then is. pki_admin only (checked by the
 * caller's route). */
edgeca_err ca_revoke(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                     const char *location, const char *reason, struct ca **out,
                     struct edgeca_msg *msg);

#endif
