/* Pieces shared by the files of model/lifecycle/; not for other callers. */
#ifndef EDGECA_MODEL_LIFECYCLE_RENEW_INTERNAL_H
#define EDGECA_MODEL_LIFECYCLE_RENEW_INTERNAL_H

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "model/auth/principal.h"
#include "model/ca/ca.h"

/* ca_renew (expect_key NULL), and for the scheduler (expect_key: the key
 * of location it saw due) only when nobody renewed the location
 * meanwhile and the renewal is worth it: CONFLICT renewal-conflict,
 * renewal-no-gain or renewal-not-useful otherwise.
 * Ownership: *out is the caller's (ca_free). */
edgeca_err lifecycle_renew(struct edgeca_ctx *ctx, const struct principal *who,
                           const char *ca_id, const char *location, const char *expect_key,
                           struct ca **out, struct edgeca_msg *msg);

/* Renewal of externally chained CAs (renew_external.c): asks for
 * the renewal of the location named (NULL: every active one) of ca, each
 * location in its own transaction and notified as renewal_requested;
 * a location with a pending renewal keeps it. */
edgeca_err ca_renewal_request_all(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
                                  const struct ca *ca, const char *location,
                                  struct edgeca_msg *msg);
/* The certificate the external root signed for loc's pending renewal:
 * taken as ca_take_uploaded takes it, then the location rolls over to the
 * new key as by ca_renewal_store. */
edgeca_err ca_renewal_complete(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
                               const struct ca *ca, struct ca_location *loc, X509 *cert,
                               STACK_OF(X509) *chain, struct edgeca_msg *msg);

#endif
