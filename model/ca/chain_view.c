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

edgeca_err
ca_chain_pkcs7(const struct ca_location *loc, unsigned char **der, size_t *len,
               struct edgeca_msg *msg)
{
	*der = NULL;
	*len = 0;
	if (loc->cert_der == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "location %s has no certificate yet", loc->name);
	/* The stored chain is PEM, checked when it was made or uploaded. */
	if (pkcs7_with_pem_chain(loc->cert_der, loc->cert_len, loc->chain_pem, der, len) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "cannot build the PKCS#7 chain of location %s", loc->name);
	return EDGECA_OK;
}
