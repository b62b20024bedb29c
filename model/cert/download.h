/* An issued certificate in the file forms clients download: PEM, DER, the
 * PEM chain and a certs-only PKCS#7. Pure encoding of what cert_get
 * returned (no I/O); for the API's certificate downloads. */
#ifndef EDGECA_MODEL_CERT_DOWNLOAD_H
#define EDGECA_MODEL_CERT_DOWNLOAD_H

#include <stddef.h>

#include "common/error.h"
#include "model/cert/certificate.h"

enum cert_format {
	CERT_FORMAT_PEM,       /* the certificate alone, PEM */
	CERT_FORMAT_DER,       /* the certificate alone, DER */
	CERT_FORMAT_PEM_CHAIN, /* the certificate, then its chain_pem */
	CERT_FORMAT_PKCS7,     /* the same certificates as a DER certs-only PKCS#7 */
};

/* The chain is the certificate's chain_pem (cert_get): its issuing
 * location's certificate up to and including the root, as GET
 * /api/v1/cas/{id}/locations/{location}/chain serves it.
 * Returns: EDGECA_OK with *out malloc'ed (the caller frees it);
 * EDGECA_ERR_INTERNAL when c has no DER, its chain does not decode, or
 * memory runs out. */
edgeca_err cert_encode(const struct certificate *c, enum cert_format f, unsigned char **out,
                       size_t *out_len, struct edgeca_msg *msg);

#endif
