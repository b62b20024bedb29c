/* Which CAs EST accepts client certificates from, as certificates whose
 * subjects the EST listener names in its TLS certificate request (a hint
 * for clients that choose their certificate by it). Read-only; called by
 * the EST listener's refresh thread. Whom a request authenticates stays
 * model/est/auth.c's decision. */
#ifndef EDGECA_MODEL_EST_CLIENT_CAS_H
#define EDGECA_MODEL_EST_CLIENT_CAS_H

#include <openssl/x509.h>
#include <stddef.h>

#include "model/core/context.h"

/* Of every active CA with EST enabled: the certificate of each active
 * location, then its EST bootstrap trust anchors still within validity,
 * then the certificates renewals replaced at its active locations that
 * are still within validity (what they issued still authenticates). In
 * that order, CAs by creation; at most max certificates, several of them
 * may share a subject (all locations of a CA do).
 * Returns: EDGECA_OK; EDGECA_ERR_UNAVAILABLE (database), EDGECA_ERR_INTERNAL.
 * Ownership: *out is the caller's (sk_X509_pop_free). */
edgeca_err est_client_ca_certs(struct edgeca_ctx *ctx, size_t max, STACK_OF(X509) **out,
                               struct edgeca_msg *msg);

#endif
