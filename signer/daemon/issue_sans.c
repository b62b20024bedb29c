/* The subject alternative names of an issued certificate: what the
 * template copies from the CSR, checked name by name (see
 * internal/issue_sans.h). */
#include "signer/daemon/internal/issue_sans.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/csr.h"
#include "common/log.h"
#include "common/x509util.h"

#define MAX_SANS 100
#define MAX_SAN_BYTES 8192

static bool
san_has_dns(const GENERAL_NAMES *names, const char *dns)
{
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type == GEN_DNS &&
		    (size_t)ASN1_STRING_length(gn->d.dNSName) == strlen(dns) &&
		    strncasecmp((const char *)ASN1_STRING_get0_data(gn->d.dNSName), dns,
		                strlen(dns)) == 0)
			return true;
	}
	return false;
}

static bool
san_has_ip(const GENERAL_NAMES *names, const ASN1_OCTET_STRING *ip)
{
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type == GEN_IPADD && ASN1_STRING_cmp(gn->d.iPAddress, ip) == 0)
			return true;
	}
	return false;
}

static bool
san_dns_acceptable(const ASN1_IA5STRING *s)
{
	char name[256];
	int len = ASN1_STRING_length(s);
	const char *p;

	if (len <= 0 || len >= (int)sizeof(name))
		return false;
	memcpy(name, ASN1_STRING_get0_data(s), (size_t)len);
	name[len] = '\0';
	if (strlen(name) != (size_t)len)
		return false;
	p = name;
	/* one leading wildcard label, over at least two labels (not "*.com") */
	if (strncmp(p, "*.", 2) == 0) {
		p += 2;
		if (strchr(p, '.') == NULL)
			return false;
	}
	return dns_name_valid(p);
}

edgeca_err
issue_build_sans(const struct tpl_def *t, X509_REQ *req, const char *cn, GENERAL_NAMES **out,
                 struct edgeca_msg *msg)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *in = NULL, *names = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_OCTET_STRING *cn_ip = NULL;
	size_t san_bytes = 0;
	edgeca_err rc;

	*out = NULL;
	names = GENERAL_NAMES_new();
	if (names == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	rc = csr_extensions(req, &exts, msg);
	if (rc != EDGECA_OK)
		goto out;
	if (t->copy_sans && exts != NULL) {
		int idx = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);
		if (idx >= 0) {
			in = X509V3_EXT_d2i(sk_X509_EXTENSION_value(exts, idx));
			if (in == NULL) {
				rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
				                 "the CSR's subjectAltName cannot be decoded");
				goto out;
			}
		}
		for (int i = 0; in != NULL && i < sk_GENERAL_NAME_num(in); i++) {
			const GENERAL_NAME *src = sk_GENERAL_NAME_value(in, i);
			if (src->type == GEN_DNS && !san_dns_acceptable(src->d.dNSName)) {
				rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-invalid-san",
				                 "a DNS name in the CSR's subjectAltName is not a valid "
				                 "host name");
				goto out;
			}
			if (src->type == GEN_IPADD && ASN1_STRING_length(src->d.iPAddress) != 4 &&
			    ASN1_STRING_length(src->d.iPAddress) != 16) {
				rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-invalid-san",
				                 "an IP address in the CSR's subjectAltName is malformed");
				goto out;
			}
			if (src->type != GEN_DNS && src->type != GEN_IPADD)
				continue;
			san_bytes += (size_t)ASN1_STRING_length(src->type == GEN_DNS ? src->d.dNSName
			                                                              : src->d.iPAddress);
			if (sk_GENERAL_NAME_num(names) >= MAX_SANS || san_bytes > MAX_SAN_BYTES) {
				rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-invalid-san",
				                 "the CSR asks for more than %d subject alternative names "
				                 "or more than %d bytes of them", MAX_SANS, MAX_SAN_BYTES);
				goto out;
			}
			if ((gn = GENERAL_NAME_dup(src)) == NULL || !sk_GENERAL_NAME_push(names, gn)) {
				rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			gn = NULL;
		}
	}
	if (t->cn_as_dns && cn != NULL && (cn_ip = a2i_IPADDRESS(cn)) != NULL) {
		/* an IP address is never a dNSName (RFC 5280): write it as one */
		ERR_clear_error();
		if (!san_has_ip(names, cn_ip)) {
			gn = GENERAL_NAME_new();
			if (gn == NULL) {
				rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			GENERAL_NAME_set0_value(gn, GEN_IPADD, cn_ip);
			cn_ip = NULL;
			if (!sk_GENERAL_NAME_insert(names, gn, 0)) {
				rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			gn = NULL;
		}
	} else if (t->cn_as_dns && cn != NULL && dns_name_valid(cn) && !san_has_dns(names, cn)) {
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
		ERR_clear_error();
		gn = GENERAL_NAME_new();
		if (ia5 == NULL || gn == NULL || ASN1_STRING_set(ia5, cn, (int)strlen(cn)) != 1) {
			ASN1_IA5STRING_free(ia5);
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		/* The CN comes first: it is the name devices are known by. */
		if (!sk_GENERAL_NAME_insert(names, gn, 0)) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		gn = NULL;
	}
	*out = names;
	names = NULL;
	rc = EDGECA_OK;
out:
	ASN1_OCTET_STRING_free(cn_ip);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(names);
	GENERAL_NAMES_free(in);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}
