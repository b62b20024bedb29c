/* The chains edgeca serves for a CA location: PEM, and a certs-only
 * PKCS#7 for EST and the API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/pkcs7_der.h"
#include "model/ca/ca.h"

char *
ca_chain_pem(const struct ca *ca, const struct ca_location *loc)
{
	struct buf b = {0};
	char *pem;

	(void)ca;
	if (loc->cert_der == NULL)
		return strdup("");
	pem = pem_encode("CERTIFICATE", loc->cert_der, loc->cert_len);
	if (pem == NULL || buf_append_str(&b, pem) != 0 ||
	    buf_append_str(&b, loc->chain_pem ? loc->chain_pem : "") != 0) {
		free(pem);
		buf_free(&b);
		return NULL;
	}
	free(pem);
	return (char *)buf_take(&b, NULL);
}

/* At most this many certificates above a location's own in its chain. */
#define MAX_CHAIN_CERTS 32

edgeca_err
ca_chain_pkcs7(const struct ca_location *loc, unsigned char **der, size_t *len,
               struct edgeca_msg *msg)
{
	static const char *const labels[] = {"CERTIFICATE", NULL};
	unsigned char *chain_der[MAX_CHAIN_CERTS] = {0};
	struct der_span certs[MAX_CHAIN_CERTS + 1];
	const char *text = loc->chain_pem ? loc->chain_pem : "", *end = text + strlen(text);
	size_t n = 0;
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	*der = NULL;
	*len = 0;
	if (loc->cert_der == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "location %s has no certificate yet", loc->name);
	certs[n++] = (struct der_span){loc->cert_der, loc->cert_len};
	/* The stored chain is PEM, checked when it was uploaded: its blocks'
	 * DER goes in as it is, without parsing a certificate. */
	while (text + strspn(text, " \t\r\n") < end) {
		const char *rest = NULL;
		if (n > MAX_CHAIN_CERTS ||
		    pem_decode(text, (size_t)(end - text), labels, NULL, &chain_der[n - 1],
		               &certs[n].len, &rest) != PEM_OK)
			goto out;
		certs[n].der = chain_der[n - 1];
		n++;
		text = rest ? rest : end;
	}
	if (pkcs7_certs_only_der(certs, n, der, len) == 0)
		rc = EDGECA_OK;
out:
	if (rc != EDGECA_OK)
		edgeca_fail(msg, rc, NULL, "cannot build the PKCS#7 chain of location %s", loc->name);
	for (size_t i = 0; i < MAX_CHAIN_CERTS; i++)
		free(chain_der[i]);
	return rc;
}
