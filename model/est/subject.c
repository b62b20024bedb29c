#include "model/est/internal/subject.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/csr.h"
#include "common/x509util.h"

/* The UTF-8 value of a name attribute (OPENSSL_free it), NULL when it
 * cannot be decoded or holds a NUL. */
static char *
entry_text(const X509_NAME_ENTRY *e)
{
	unsigned char *utf8 = NULL;
	int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));

	ERR_clear_error();
	if (len < 0 || strlen((char *)utf8) != (size_t)len) {
		OPENSSL_free(utf8);
		return NULL;
	}
	return (char *)utf8;
}

/* Whether want (type and value) is an attribute of name at or after
 * *from; *from moves past it. */
static bool
find_entry(const X509_NAME *name, const X509_NAME_ENTRY *want, const char *value, int *from)
{
	for (int j = *from; j < X509_NAME_entry_count(name); j++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, j);
		char *v;
		bool same;

		if (OBJ_cmp(X509_NAME_ENTRY_get_object(e), X509_NAME_ENTRY_get_object(want)) != 0)
			continue;
		v = entry_text(e);
		same = v != NULL && strcmp(v, value) == 0;
		OPENSSL_free(v);
		if (same) {
			*from = j + 1;
			return true;
		}
	}
	return false;
}

static edgeca_err
check_subject(X509_REQ *csr, X509 *client, struct edgeca_msg *msg)
{
	const X509_NAME *asked = X509_REQ_get_subject_name(csr);
	const X509_NAME *own = X509_get_subject_name(client);
	char shown[96], type[64];
	edgeca_err rc = EDGECA_OK;
	int from = 0;

	for (int i = 0; i < X509_NAME_entry_count(asked) && rc == EDGECA_OK; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(asked, i);
		char *v = entry_text(e);

		if (v == NULL) {
			rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
			                 "an attribute of the CSR's subject cannot be decoded as text");
			break;
		}
		if (!find_entry(own, e, v, &from)) {
			int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
			if (nid != NID_undef)
				snprintf(type, sizeof(type), "%s", OBJ_nid2sn(nid));
			else
				OBJ_obj2txt(type, sizeof(type), X509_NAME_ENTRY_get_object(e), 1);
			utf8_one_line(v, shown, sizeof(shown));
			rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "est-subject-mismatch",
			                 "the CSR's subject attribute %s=\"%s\" is not in the client "
			                 "certificate's subject%s (subject_policy match_client_cert: a "
			                 "device asks only for attributes of its own subject, in their "
			                 "order)",
			                 type, shown, from > 0 ? " after the attributes before it" : "");
		}
		OPENSSL_free(v);
	}
	return rc;
}

/* Whether gn (DNS or IP) is one of names, or the CN. */
static bool
san_known(const GENERAL_NAME *gn, const GENERAL_NAMES *names, const char *cn)
{
	const ASN1_STRING *s = gn->type == GEN_DNS ? gn->d.dNSName : gn->d.iPAddress;
	ASN1_OCTET_STRING *cn_ip = NULL;
	bool known = false;

	for (int i = 0; i < sk_GENERAL_NAME_num(names) && !known; i++) {
		const GENERAL_NAME *o = sk_GENERAL_NAME_value(names, i);
		if (o->type != gn->type)
			continue;
		known = gn->type == GEN_DNS
		            ? ASN1_STRING_length(o->d.dNSName) == ASN1_STRING_length(s) &&
		                  strncasecmp((const char *)ASN1_STRING_get0_data(o->d.dNSName),
		                              (const char *)ASN1_STRING_get0_data(s),
		                              (size_t)ASN1_STRING_length(s)) == 0
		            : ASN1_STRING_cmp(o->d.iPAddress, s) == 0;
	}
	if (!known && cn != NULL && gn->type == GEN_DNS)
		known = (size_t)ASN1_STRING_length(s) == strlen(cn) &&
		        strncasecmp((const char *)ASN1_STRING_get0_data(s), cn, strlen(cn)) == 0;
	if (!known && cn != NULL && gn->type == GEN_IPADD && (cn_ip = a2i_IPADDRESS(cn)) != NULL)
		known = ASN1_STRING_cmp(cn_ip, s) == 0;
	ERR_clear_error();
	ASN1_OCTET_STRING_free(cn_ip);
	return known;
}

/* "DNS:name" or "IP:address" on one line, for a message. */
static void
san_show(const GENERAL_NAME *gn, char *out, size_t len)
{
	const ASN1_STRING *s = gn->type == GEN_DNS ? gn->d.dNSName : gn->d.iPAddress;
	int n = ASN1_STRING_length(s);
	char text[128], addr[64];

	if (gn->type == GEN_DNS) {
		snprintf(text, sizeof(text), "DNS:%.*s", n < 100 ? n : 100,
		         (const char *)ASN1_STRING_get0_data(s));
	} else if ((n == 4 || n == 16) &&
	           inet_ntop(n == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), addr,
	                     sizeof(addr)) != NULL) {
		snprintf(text, sizeof(text), "IP:%s", addr);
	} else {
		snprintf(text, sizeof(text), "IP:(%d bytes)", n);
	}
	utf8_one_line(text, out, len);
}

static edgeca_err
check_alt_names(X509_REQ *csr, X509 *client, const char *cn, struct edgeca_msg *msg)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *asked = NULL, *own = NULL;
	char shown[160];
	int crit = -1;
	edgeca_err rc;

	if ((rc = csr_extensions(csr, &exts, msg)) != EDGECA_OK)
		return rc;
	asked = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL) : NULL;
	if (asked == NULL && crit != -1) { /* present but unreadable, or twice */
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                 "the CSR's subjectAltName cannot be decoded");
		goto out;
	}
	own = X509_get_ext_d2i(client, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; i < sk_GENERAL_NAME_num(asked) && rc == EDGECA_OK; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(asked, i);

		if ((gn->type != GEN_DNS && gn->type != GEN_IPADD) || san_known(gn, own, cn))
			continue;
		san_show(gn, shown, sizeof(shown));
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "est-subject-mismatch",
		                 "the CSR's subjectAltName %s is neither the client certificate's CN "
		                 "nor among its subject alternative names (subject_policy "
		                 "match_client_cert: a device asks only for its own names)", shown);
	}
out:
	ERR_clear_error();
	GENERAL_NAMES_free(own);
	GENERAL_NAMES_free(asked);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

edgeca_err
est_subject_check(X509_REQ *csr, X509 *client, struct edgeca_msg *msg)
{
	char *cn = NULL;
	int count = 0;
	edgeca_err rc;

	if ((rc = check_subject(csr, client, msg)) != EDGECA_OK)
		return rc;
	if (x509_name_common_name(X509_get_subject_name(client), &cn, &count) != 0)
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "est-subject-mismatch",
		                   "the client certificate's CN cannot be decoded");
	rc = check_alt_names(csr, client, cn, msg);
	free(cn);
	return rc;
}
