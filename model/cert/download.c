/* An issued certificate as the files clients download (PEM, DER, PEM
 * chain, certs-only PKCS#7), from its DER and chain_pem. */
#include "model/cert/download.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/pkcs7_der.h"

/* The leaf's PEM, with chain_pem after it when chain is set. */
static edgeca_err
encode_pem(const struct certificate *c, bool chain, unsigned char **out, size_t *out_len,
           struct edgeca_msg *msg)
{
	char *pem = pem_encode("CERTIFICATE", c->der, c->der_len);
	struct buf b = {0};
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	if (pem == NULL || buf_append_str(&b, pem) != 0 ||
	    (chain && buf_append_str(&b, c->chain_pem ? c->chain_pem : "") != 0))
		goto out;
	*out = buf_take(&b, out_len);
	if (*out != NULL)
		rc = EDGECA_OK;
out:
	if (rc != EDGECA_OK)
		edgeca_fail(msg, rc, NULL, "out of memory");
	free(pem);
	buf_free(&b);
	return rc;
}

/* The leaf then the certificates of chain_pem, whose blocks go in as they
 * are stored: they were checked when the chain was made or uploaded. */
static edgeca_err
encode_pkcs7(const struct certificate *c, unsigned char **out, size_t *out_len,
             struct edgeca_msg *msg)
{
	if (pkcs7_with_pem_chain(c->der, c->der_len, c->chain_pem, out, out_len) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "cannot build the PKCS#7 of certificate %s", c->serial);
	return EDGECA_OK;
}

edgeca_err
cert_encode(const struct certificate *c, enum cert_format f, unsigned char **out,
            size_t *out_len, struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	*out = NULL;
	*out_len = 0;
	if (c->der == NULL || c->der_len == 0)
		return edgeca_fail(msg, rc, NULL, "certificate %s has no DER", c->serial);
	switch (f) {
	case CERT_FORMAT_PEM:
	case CERT_FORMAT_PEM_CHAIN:
		rc = encode_pem(c, f == CERT_FORMAT_PEM_CHAIN, out, out_len, msg);
		break;
	case CERT_FORMAT_DER:
		*out = malloc(c->der_len);
		if (*out == NULL) {
			rc = edgeca_fail(msg, rc, NULL, "out of memory");
			break;
		}
		memcpy(*out, c->der, c->der_len);
		*out_len = c->der_len;
		rc = EDGECA_OK;
		break;
	case CERT_FORMAT_PKCS7:
		rc = encode_pkcs7(c, out, out_len, msg);
		break;
	default:
		rc = edgeca_fail(msg, rc, NULL, "unknown certificate format");
	}
	return rc;
}
