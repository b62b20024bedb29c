/* RFC 7030 3.5, linking identity and proof-of-possession (model-internal:
 * called by est_enroll). A CSR's challengePassword, when it has one, must
 * be the base64 of the TLS channel binding of the connection the request
 * came on, which proves the CSR was made for this authenticated
 * connection and not relayed from another one. */
#ifndef EDGECA_MODEL_EST_POP_H
#define EDGECA_MODEL_EST_POP_H

#include <openssl/x509.h>

#include "model/ca/ca.h"
#include "model/est/est.h"

/* Checks csr's challengePassword against client's channel binding: none
 * is fine unless the CA sets est.require_pop_linking. Returns EDGECA_OK;
 * EDGECA_ERR_INVALID (EST 400) with slug est-pop-linking-required (none,
 * and the CA requires it), est-pop-linking-mismatch (not this
 * connection's) or est-pop-linking-unavailable (the request has no
 * binding to check: it came through a reverse proxy);
 * EDGECA_ERR_MALFORMED (csr-malformed) for an attribute that is not one
 * string, or that appears twice. */
edgeca_err est_pop_check(const struct ca *ca, X509_REQ *csr, const struct est_client *client,
                         struct edgeca_msg *msg);

#endif
