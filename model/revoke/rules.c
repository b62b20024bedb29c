/* The rules of revocation, pure: which reasons one may revoke with, what
 * a request does to a certificate in its current state, and who may ask. */
#include "model/revoke/revocation.h"

#include <string.h>

/* The CRLReason names one may revoke with: RFC 5280 5.3.1 without
 * removeFromCRL, which only delta CRLs use (a hold is released instead). */
static const char *const revocable[] = {
	"unspecified",          "keyCompromise",  "cACompromise",       "affiliationChanged",
	"superseded",           "cessationOfOperation", REVOCATION_HOLD, "privilegeWithdrawn",
	"aACompromise",         NULL,
};

#define REASON_LIST                                                                           \
	"unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "              \
	"cessationOfOperation, certificateHold, privilegeWithdrawn or aACompromise"

bool
revocation_reason_valid(const char *name)
{
	for (int i = 0; name != NULL && revocable[i] != NULL; i++)
		if (strcmp(revocable[i], name) == 0)
			return true;
	return false;
}

edgeca_err
revocation_check_reason(const char *reason, bool of_ca, struct edgeca_msg *msg)
{
	if (strcmp(reason, "removeFromCRL") == 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-revocation-reason",
		                   "removeFromCRL is not a reason to revoke: a certificateHold is "
		                   "released with POST .../unrevoke");
	if (!revocation_reason_valid(reason))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-revocation-reason",
		                   "reason must be " REASON_LIST);
	if (of_ca && strcmp(reason, REVOCATION_HOLD) == 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-revocation-reason",
		                   "a CA certificate is revoked for good: certificateHold is for "
		                   "end-entity certificates");
	return EDGECA_OK;
}

edgeca_err
revocation_decide(bool revoked, const char *reason, const char *requested, bool *change,
                  struct edgeca_msg *msg)
{
	*change = !revoked;
	if (!revoked || strcmp(reason, requested) == 0)
		return EDGECA_OK;
	/* a hold becomes permanent; a permanent revocation stays as it is */
	if (strcmp(reason, REVOCATION_HOLD) == 0) {
		*change = true;
		return EDGECA_OK;
	}
	return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "certificate-already-revoked",
	                   "the certificate is already revoked for good (%s); its reason cannot "
	                   "change", reason);
}

edgeca_err
revocation_decide_release(bool revoked, const char *reason, struct edgeca_msg *msg)
{
	if (!revoked)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "certificate-not-revoked",
		                   "the certificate is not revoked");
	if (strcmp(reason, REVOCATION_HOLD) != 0)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "certificate-not-on-hold",
		                   "the certificate is revoked for good (%s), not on hold: only a "
		                   "certificateHold can be released", reason);
	return EDGECA_OK;
}

edgeca_err
revocation_may_act(const struct principal *who, const char *requester, struct edgeca_msg *msg)
{
	if (who->role == ROLE_PKI_ADMIN ||
	    (who->role == ROLE_REQUESTER && strcmp(requester, who->actor) == 0))
		return EDGECA_OK;
	if (who->role == ROLE_REQUESTER)
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "forbidden",
		                   "a requester token may revoke and release only the certificates "
		                   "it requested");
	return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "forbidden",
	                   "the role %s may not revoke certificates", role_name(who->role));
}
