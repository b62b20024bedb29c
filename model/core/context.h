/* What every model operation needs: the database pool, the signer pool,
 * the key sealing webhook secrets and the few settings the domain reads.
 * The server fills it from its configuration (server/context.c); nothing
 * in model/ reads the configuration itself. Who is asking travels beside
 * it as a struct principal (model/auth/principal.h). */
#ifndef EDGECA_MODEL_CONTEXT_H
#define EDGECA_MODEL_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "model/store/db.h"
#include "signer/client/client.h"

/* A URL edgeca publishes (CRL distribution point, CA issuers): the
 * public URL and a path under it, with its NUL. */
#define PUBLIC_URL_BYTES 1100

/* The settings of the domain, borrowed from the server's configuration. */
struct model_settings {
	const char *public_url;       /* base of the HTTPS API, no trailing slash */
	const char *public_pki_url;   /* base of CRL and CA certificate URLs, no trailing slash */
	const char *public_est_url;   /* base of EST URLs, no trailing slash */
	const char *default_location; /* a CA's location when its request names none */
	unsigned crl_delay_ms;        /* how long a revocation's CRL waits for the rest of a burst */
	bool email_configured;        /* notifications get an e-mail delivery */
	unsigned session_ttl_s;       /* a portal session's lifetime, seconds */
};

struct ocsp_cache;
struct ocsp_issuers;

struct edgeca_ctx {
	struct model_settings settings;
	struct db_pool *db;
	struct signer_pool *signer;
	/* the OCSP responder's memory (model/ocsp); NULL outside the server */
	struct ocsp_cache *ocsp_cache;
	struct ocsp_issuers *ocsp_issuers;
	/* seals webhook secrets (common/secretbox.h); loaded by `serve` */
	unsigned char secrets_key[32];
	bool has_secrets_key;
};

#endif
