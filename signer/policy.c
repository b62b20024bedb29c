#include "signer/policy.h"

#include <openssl/x509v3.h>

#include "common/timeutil.h"

edgeca_err
policy_validate(const struct signer_policy *p, struct edgeca_msg *msg)
{
	if (p->templates == 0 || p->templates >= (1u << TPL_COUNT_))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
		                   "the policy names no known template");
	if (p->max_validity_days < 1 || p->max_validity_days > POLICY_MAX_VALIDITY_DAYS)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
		                   "max_validity_days must be between 1 and %d",
		                   POLICY_MAX_VALIDITY_DAYS);
	if (p->path_length < -1 || p->path_length > 16)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
		                   "path_length must be between 0 and 16");
	if (p->path_length == 0 && tpl_mask_has_ca(p->templates))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
		                   "a path length of 0 forbids issuing CA certificates, but the "
		                   "policy allows a CA template");
	return EDGECA_OK;
}

/* A key of a CA made through the API: its policy names a template users
 * choose (the service CA's names only tls_server). */
static bool
policy_is_api_ca(const struct signer_policy *p)
{
	for (int i = 0; i < TPL_COUNT_; i++)
		if ((p->templates & (1u << i)) && tpl_get((enum tpl_id)i)->user_selectable)
			return true;
	return false;
}

edgeca_err
policy_check_issue(const struct signer_policy *p, const X509 *issuer, const struct tpl_def *t,
                   time_t not_after, time_t now, struct edgeca_msg *msg)
{
	time_t issuer_not_after, issuer_not_before, max_end;
	char when[RFC3339_LEN];
	long pathlen;

	if (issuer == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "this key has no CA certificate yet and cannot issue");
	if (!(p->templates & (1u << t->id)) && !(t->any_ca_key && policy_is_api_ca(p)))
		return edgeca_fail(msg, EDGECA_ERR_FORBIDDEN, "template-not-allowed",
		                   "the CA's policy does not allow the template %s", t->name);
	if (t->max_validity_days > 0 && not_after > now + (time_t)t->max_validity_days * 86400)
		return edgeca_fail(msg, EDGECA_ERR_FORBIDDEN, "validity-exceeds-policy",
		                   "a %s certificate is valid for at most %d days", t->name,
		                   t->max_validity_days);
	if (t->is_ca) {
		pathlen = X509_get_pathlen((X509 *)issuer);
		if (pathlen == 0 || p->path_length == 0)
			return edgeca_fail(msg, EDGECA_ERR_FORBIDDEN, "path-length-exceeded",
			                   "the CA's path length constraint is 0: it cannot issue CA "
			                   "certificates");
	}
	if (asn1_time_to_time_t(X509_get0_notAfter(issuer), &issuer_not_after) != 0 ||
	    asn1_time_to_time_t(X509_get0_notBefore(issuer), &issuer_not_before) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "the CA certificate's validity "
		                   "cannot be read");
	if (now >= issuer_not_after || now < issuer_not_before)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-expired",
		                   "the CA certificate is not valid now");
	if (not_after <= now)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "validity-invalid",
		                   "the requested notAfter is not in the future");
	max_end = now + (time_t)p->max_validity_days * 86400;
	if (not_after > max_end)
		return edgeca_fail(msg, EDGECA_ERR_FORBIDDEN, "validity-exceeds-policy",
		                   "the requested validity exceeds the CA's maximum of %u days",
		                   p->max_validity_days);
	if (not_after > issuer_not_after) {
		rfc3339_format(issuer_not_after, when);
		return edgeca_fail(msg, EDGECA_ERR_FORBIDDEN, "validity-exceeds-issuer",
		                   "the requested notAfter is after the CA certificate's own "
		                   "notAfter (%s)", when);
	}
	return EDGECA_OK;
}

edgeca_err
policy_check_crl(const struct signer_policy *p, const X509 *cert, struct edgeca_msg *msg)
{
	if (cert == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "this key has no CA certificate yet and cannot sign CRLs");
	if (!policy_is_api_ca(p))
		return edgeca_fail(msg, EDGECA_ERR_FORBIDDEN, "crl-not-allowed",
		                   "this key signs no CRLs (it is not the key of a CA made through "
		                   "the API)");
	if ((X509_get_extension_flags((X509 *)cert) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage((X509 *)cert) & KU_CRL_SIGN))
		return edgeca_fail(msg, EDGECA_ERR_FORBIDDEN, "crl-sign-not-allowed",
		                   "the CA certificate's keyUsage does not include cRLSign");
	return EDGECA_OK;
}
