/* Building and signing certificates inside the signer. The caller gives a
 * CSR (or, for a root, a subject), a template and a notAfter; everything
 * else (serial, extensions, issuer, notBefore) is decided here under the
 * key's policy. */
#ifndef EDGECA_SIGNER_ISSUE_H
#define EDGECA_SIGNER_ISSUE_H

#include <openssl/x509.h>
#include <time.h>

#include "common/error.h"
#include "signer/keystore.h"
#include "signer/templates.h"

/* Seconds certificates are backdated, for devices whose clocks run late. */
#define ISSUE_BACKDATE_SECONDS 60

/* Issues a certificate for req under template t signed by key. Checks the
 * CSR again (signature, key type, subject) and the key's policy. */
edgeca_err issue_certificate(struct keystore *ks, struct signer_key *key,
                             const struct tpl_def *t, X509_REQ *req, time_t not_after,
                             time_t now, X509 **out, struct edgeca_msg *msg);

/* Self-signs the key's root CA certificate; allowed once per key. */
edgeca_err issue_self_signed(struct keystore *ks, struct signer_key *key,
                             X509_NAME *subject, time_t not_after, time_t now, X509 **out,
                             struct edgeca_msg *msg);

#endif
