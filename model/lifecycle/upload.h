/* The one entry point for a CA certificate an external root signed: the
 * first chaining of a location (model/ca/chain.h) or the completion of a
 * pending renewal (model/lifecycle/internal/renew_internal.h). */
#ifndef EDGECA_MODEL_LIFECYCLE_UPLOAD_H
#define EDGECA_MODEL_LIFECYCLE_UPLOAD_H

#include <stddef.h>

#include "model/auth/principal.h"
#include "model/ca/ca.h"

/* Installs the certificate an external root signed for a location's CSR,
 * or, for an active location with a pending renewal, for the renewal's
 * CSR (the location then rolls over to the new key as an internal
 * renewal does); pem holds the certificate, optionally followed by its
 * issuer chain. */
edgeca_err ca_upload_certificate(struct edgeca_ctx *ctx, const struct principal *who,
                                 const char *ca_id, const char *location,
                                 const unsigned char *pem, size_t len, struct ca **out,
                                 struct edgeca_msg *msg);

#endif
