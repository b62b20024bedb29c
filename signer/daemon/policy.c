#include "signer/daemon/policy.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "common/timeutil.h"
#include "common/x509util.h"

edgeca_err
policy_validate(const struct signer_policy *p, struct edgeca_msg *msg)
{
	if (p->ocsp_ca_key[0] != '\0' || p->ocsp_ca_cert != NULL)
		return p->templates == 0 && p->ocsp_ca_key[0] != '\0' && p->ocsp_ca_cert != NULL &&
		               p->path_length == -1 && p->names == NULL
		           ? EDGECA_OK
		           : edgeca_fail(msg, EDGECA_ERR_INVALID, "policy-invalid",
		                         "an OCSP responder key has no other policy");
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

bool
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
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "template-not-allowed",
		                   "the CA's policy does not allow the template %s", t->name);
	if (t->max_validity_days > 0 && not_after > now + (time_t)t->max_validity_days * 86400)
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "validity-exceeds-policy",
		                   "a %s certificate is valid for at most %d days", t->name,
		                   t->max_validity_days);
	if (t->is_ca) {
		pathlen = X509_get_pathlen((X509 *)issuer);
		if (pathlen == 0 || p->path_length == 0)
			return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "path-length-exceeded",
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
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "validity-exceeds-policy",
		                   "the requested validity exceeds the CA's maximum of %u days",
		                   p->max_validity_days);
	if (not_after > issuer_not_after) {
		rfc3339_format(issuer_not_after, when);
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "validity-exceeds-issuer",
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
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "crl-not-allowed",
		                   "this key signs no CRLs (it is not the key of a CA made through "
		                   "the API)");
	if ((X509_get_extension_flags((X509 *)cert) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage((X509 *)cert) & KU_CRL_SIGN))
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "crl-sign-not-allowed",
		                   "the CA certificate's keyUsage does not include cRLSign");
	return EDGECA_OK;
}

/* The subject's attribute types and its CN under the rules. */
static edgeca_err
check_subject_names(const struct name_rules *r, const X509_NAME *name, struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_OK;

	for (int i = 0; i < X509_NAME_entry_count(name) && rc == EDGECA_OK; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : "an unknown attribute";
		unsigned char *utf8 = NULL;
		int len;

		if (nid == NID_undef || !name_rules_allow_attribute(r, sn)) {
			rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "name-not-allowed",
			                 "the CA's name rules allow no %s attribute in the subject "
			                 "(subject_attributes)", sn);
			break;
		}
		if (nid != NID_commonName)
			continue;
		len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
		ERR_clear_error();
		if (len < 0 || strlen((char *)utf8) != (size_t)len)
			rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "name-not-allowed",
			                 "the subject's CN cannot be read as text");
		else if (!name_rules_allow_cn(r, (char *)utf8))
			rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "name-not-allowed",
			                 "the CA's name rules do not allow the common name \"%.64s\" "
			                 "(common_name)", (char *)utf8);
		OPENSSL_free(utf8);
	}
	return rc;
}

static edgeca_err
check_dns(const struct name_rules *r, const ASN1_IA5STRING *dns, struct edgeca_msg *msg)
{
	const unsigned char *d = ASN1_STRING_get0_data(dns);
	int len = ASN1_STRING_length(dns);
	char text[256];

	if (len <= 0 || (size_t)len >= sizeof(text) || memchr(d, 0, (size_t)len) != NULL)
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "name-not-allowed",
		                   "a DNS name cannot be checked against the CA's name rules");
	memcpy(text, d, (size_t)len);
	text[len] = '\0';
	if (!name_rules_allow_dns(r, text))
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "name-not-allowed",
		                   "the CA's name rules do not allow the DNS name %s (dns_names)",
		                   text);
	return EDGECA_OK;
}

static edgeca_err
check_ip(const struct name_rules *r, const ASN1_OCTET_STRING *ip, struct edgeca_msg *msg)
{
	const unsigned char *d = ASN1_STRING_get0_data(ip);
	int len = ASN1_STRING_length(ip);
	char text[64] = "of that length";

	if (len > 0 && name_rules_allow_ip(r, d, (size_t)len))
		return EDGECA_OK;
	if (len == 4 || len == 16)
		inet_ntop(len == 4 ? AF_INET : AF_INET6, d, text, sizeof(text));
	return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "name-not-allowed",
	                   "the CA's name rules do not allow the IP address %s (ip_ranges)", text);
}

/* The subjectAltNames written into cert under the rules. */
static edgeca_err
check_alt_names(const struct name_rules *r, const X509 *cert, struct edgeca_msg *msg)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	edgeca_err rc = EDGECA_OK;

	ERR_clear_error();
	for (int i = 0; i < sk_GENERAL_NAME_num(sans) && rc == EDGECA_OK; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type == GEN_DNS)
			rc = check_dns(r, gn->d.dNSName, msg);
		else if (gn->type == GEN_IPADD)
			rc = check_ip(r, gn->d.iPAddress, msg);
		else /* the signer writes DNS and IP names only */
			rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "name-not-allowed",
			                 "a subjectAltName of another type cannot be checked against the "
			                 "CA's name rules");
	}
	GENERAL_NAMES_free(sans);
	return rc;
}

edgeca_err
policy_check_names(const struct signer_policy *p, const struct tpl_def *t, const X509 *cert,
                   struct edgeca_msg *msg)
{
	edgeca_err rc;

	/* CA certificates come from CA flows, a DPS verification certificate
	 * carries a code and the CA's own key, edgeca's listener certificate
	 * comes from the service CA: the rules name devices. */
	if (p->names == NULL || t->is_ca || !t->user_selectable)
		return EDGECA_OK;
	rc = check_subject_names(p->names, X509_get_subject_name(cert), msg);
	if (rc == EDGECA_OK)
		rc = check_alt_names(p->names, cert, msg);
	return rc;
}
