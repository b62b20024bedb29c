/* The EST subject rule match_client_cert (model-internal): what a device
 * may ask for in a CSR, given the client certificate it authenticated
 * with. Pure: model/est/enroll.c applies it once the CN is known to match. */
#ifndef EDGECA_MODEL_EST_SUBJECT_H
#define EDGECA_MODEL_EST_SUBJECT_H

#include <openssl/x509.h>

#include "common/error.h"

/* Checks that csr names nothing the client certificate does not: every
 * attribute of the CSR's subject appears, with the same type and value,
 * in the certificate's subject and in the same order (a subset is
 * enough), and every DNS and IP subjectAltName of the CSR is one of the
 * certificate's or is its CN (which the ssl template writes as a SAN).
 * Other name types are never copied into certificates and not looked at.
 * Returns: EDGECA_OK; EDGECA_ERR_NOT_PERMITTED, est-subject-mismatch, naming
 * the first name that differs; EDGECA_ERR_MALFORMED, csr-malformed, when
 * the CSR's names cannot be read. */
edgeca_err est_subject_check(X509_REQ *csr, X509 *client, struct edgeca_msg *msg);

#endif
