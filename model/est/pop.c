#include "model/est/internal/pop.h"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"

/* RFC 2985 5.4.1 limits challengePassword to 255 characters. */
#define CHALLENGE_MAX 255

/* The CSR's challengePassword as UTF-8 (malloc'ed, OPENSSL_free) in
 * *out, NULL when it has none. */
static edgeca_err
challenge_password(X509_REQ *csr, unsigned char **out, struct edgeca_msg *msg)
{
	int at = X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, -1);
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *value;
	int n;

	*out = NULL;
	if (at < 0)
		return EDGECA_OK;
	attr = X509_REQ_get_attr(csr, at);
	if (X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, at) >= 0 || attr == NULL ||
	    X509_ATTRIBUTE_count(attr) != 1 || (value = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR's challengePassword attribute must hold one value, once");
	/* DirectoryString (RFC 2985): any of the string types */
	switch (value->type) {
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_UTF8STRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_T61STRING:
	case V_ASN1_BMPSTRING:
	case V_ASN1_UNIVERSALSTRING:
		break;
	default:
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR's challengePassword is not a character string");
	}
	n = ASN1_STRING_to_UTF8(out, value->value.asn1_string);
	ERR_clear_error();
	if (n < 0 || n > CHALLENGE_MAX || (size_t)n != strlen((const char *)*out)) {
		OPENSSL_free(*out);
		*out = NULL;
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR's challengePassword is unreadable or longer than %d "
		                   "characters", CHALLENGE_MAX);
	}
	return EDGECA_OK;
}

edgeca_err
est_pop_check(const struct ca *ca, X509_REQ *csr, const struct est_client *client,
              struct edgeca_msg *msg)
{
	unsigned char *given = NULL;
	char *want = NULL;
	edgeca_err rc;

	if ((rc = challenge_password(csr, &given, msg)) != EDGECA_OK)
		goto out;
	if (given == NULL) {
		if (ca->est.require_pop_linking)
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "est-pop-linking-required",
			                 "this CA requires the CSR's challengePassword to be the TLS "
			                 "channel binding of the connection, base64-encoded (tls-unique "
			                 "under TLS 1.2, tls-exporter under TLS 1.3; RFC 7030 3.5)");
		goto out;
	}
	if (client->binding_len == 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "est-pop-linking-unavailable",
		                 "the CSR's challengePassword cannot be checked: a request through a "
		                 "reverse proxy carries no TLS channel binding of the device's "
		                 "connection (RFC 7030 3.5)");
		goto out;
	}
	want = base64_encode(client->binding, client->binding_len, 0);
	if (want == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (strlen(want) != strlen((const char *)given) ||
	    CRYPTO_memcmp(want, given, strlen(want)) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "est-pop-linking-mismatch",
		                 "the CSR's challengePassword is not the %s channel binding of this "
		                 "TLS connection, base64-encoded: the CSR was not made for this "
		                 "connection (RFC 7030 3.5)", client->binding_type);
out:
	OPENSSL_free(given);
	free(want);
	return rc;
}
