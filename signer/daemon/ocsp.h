/* OCSP in the signer (see "OCSP" in signer/PROTOCOL.md): OCSP_SIGN, which
 * checks a ResponseData the server built and signs it with a CA key or
 * with a responder key of that CA, and the responder keys themselves
 * (made for one CA key, certified by it, signing nothing but its OCSP
 * responses). Called by the signer's service only. */
#ifndef EDGECA_SIGNER_OCSP_H
#define EDGECA_SIGNER_OCSP_H

#include <openssl/x509.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "signer/daemon/keystore.h"
#include "signer/daemon/service.h"
#include "signer/proto/protocol.h"

/* Seconds producedAt and thisUpdate may be off the signer's clock, and
 * the longest nextUpdate - thisUpdate. At most 64 SingleResponses. */
#define OCSP_CLOCK_SKEW 600
#define OCSP_MAX_VALIDITY (7 * 86400)
#define OCSP_MAX_RESPONSES 64

/* What OCSP_SIGN needs of a key (struct signer_key's ocsp), made once
 * on its first OCSP_SIGN: one allocation, freed with free(). */
struct ocsp_key_cache;

/* Checks tbs, a DER ResponseData, against everything the signer demands
 * of a response key may sign at time now, and signs it. On success basic
 * (appended to) holds the DER BasicOCSPResponse; for a responder key it
 * carries the responder's certificate in certs.
 * Returns: EDGECA_OK; EDGECA_ERR_MALFORMED (ocsp-response-malformed: not
 * strict DER or not a ResponseData); EDGECA_ERR_INVALID (ocsp-response-
 * invalid: a check failed, named in msg); EDGECA_ERR_NOT_PERMITTED
 * (ocsp-not-allowed: the key is not a CA key made through the API nor a
 * responder key); EDGECA_ERR_CONFLICT (ca-not-active: no certificate). */
edgeca_err ocsp_sign(struct keystore *ks, struct signer_key *key, const unsigned char *tbs,
                     size_t tbs_len, time_t now, struct buf *basic, struct edgeca_msg *msg);

/* OCSP_SIGN: KEY_ID, RESPONSE_DATA in; BASIC_RESPONSE out. */
edgeca_err ocsp_op_sign(struct signer_service *s, const struct signer_msg *req,
                        struct signer_writer *w, struct edgeca_msg *msg);

/* The policy of a new responder key for the CA key ca_id (held: else
 * key-record-needed): p gets the CA key's id and a reference to its
 * certificate (the caller frees it).
 * Returns: EDGECA_OK; NOT_FOUND (key-record-needed, key-not-found);
 * CONFLICT (ca-not-active); NOT_PERMITTED (ocsp-not-allowed: the key is
 * no CA key made through the API). */
edgeca_err ocsp_responder_policy(struct keystore *ks, const char *ca_id, struct signer_policy *p,
                                 struct edgeca_msg *msg);

/* KEY_CREATE with ISSUER_KEY_ID: reads ALGORITHM into algorithm and
 * the policy as ocsp_responder_policy; MALFORMED when the request also
 * carries a CA key's policy fields. */
edgeca_err ocsp_key_create_policy(struct keystore *ks, const struct signer_msg *req,
                                  char *algorithm, size_t algorithm_len, struct signer_policy *p,
                                  struct edgeca_msg *msg);

/* Refuses ISSUE, SELF_SIGN and CRL_BEGIN on a responder key
 * (NOT_PERMITTED, ocsp-key-only); lets everything else through (a key
 * not held is the operation's to answer). */
edgeca_err ocsp_role_check(struct keystore *ks, const struct signer_msg *req,
                           struct edgeca_msg *msg);

/* CERT_INSTALL on a responder key: cert must carry its public key, be
 * signed by its CA key's certificate, have extendedKeyUsage
 * id-kp-OCSPSigning and id-pkix-ocsp-nocheck, and be valid now
 * (ocsp-certificate-invalid otherwise). */
edgeca_err ocsp_install_certificate(struct keystore *ks, struct signer_key *key, X509 *cert,
                                    time_t now, struct edgeca_msg *msg);

#endif
