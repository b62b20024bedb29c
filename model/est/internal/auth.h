/* EST client authentication (model-internal). edgeca decides itself, with
 * OpenSSL and the current database state, whom a TLS client certificate
 * or HTTP Basic credential stands for: the TLS library only proved that
 * the client holds the certificate's key. */
#ifndef EDGECA_MODEL_EST_AUTH_H
#define EDGECA_MODEL_EST_AUTH_H

#include <libpq-fe.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <time.h>

#include "model/auth/principal.h"
#include "model/ca/ca.h"
#include "model/est/est.h"

struct est_identity {
	X509 *cert;        /* the authenticated client certificate; NULL for Basic alone */
	char *cn;          /* its common name; NULL when it has none */
	bool by_password;  /* HTTP Basic credentials were checked too (or alone) */
	const char *how;   /* "issued", "bootstrap" or "basic" */
	char actor[ACTOR_BYTES];
};

/* Authenticates client for ca at time now:
 * - a certificate issued by one of the CA's locations (the leaf alone is
 *   enough) that the database knows and has not revoked; or
 * - a certificate that chains to one of the CA's bootstrap trust anchors;
 * - HTTP Basic credentials matching the CA's, alone or with either.
 * Certificates must be within validity and, when they carry extended key
 * usage, allow clientAuth. EDGECA_ERR_UNAUTHENTICATED with the reason when
 * nothing acceptable was presented. Basic credentials are checked under
 * the throttle of model/est/internal/throttle.h: EDGECA_ERR_THROTTLED when it
 * refuses them unchecked, EDGECA_ERR_UNAVAILABLE when no scrypt slot came
 * free in time; both with msg->retry_after set. */
edgeca_err est_authenticate(PGconn *c, const struct ca *ca, const struct est_client *client,
                            time_t now, struct est_identity *id, struct edgeca_msg *msg);
void est_identity_clear(struct est_identity *id);

/* Verifies leaf (with the untrusted certificates the client sent) up to
 * one of anchors at time now for TLS client use; an anchor need not be a
 * root. EDGECA_ERR_UNAUTHENTICATED with a readable reason when it fails. */
edgeca_err est_verify_cert(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors,
                           time_t now, struct edgeca_msg *msg);

#endif
