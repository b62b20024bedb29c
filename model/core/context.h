/* What every model operation needs: configuration, the database pool and
 * the signer pool, and who is asking. Built once by the server. */
#ifndef EDGECA_MODEL_CONTEXT_H
#define EDGECA_MODEL_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "server/config.h"
#include "model/store/db.h"
#include "model/auth/principal.h"
#include "signer/client/client.h"

struct edgeca_ctx {
	const struct edgeca_config *cfg;
	struct db_pool *db;
	struct signer_pool *signer;
	/* seals webhook secrets (model/secretbox.h); loaded by `serve` */
	unsigned char secrets_key[32];
	bool has_secrets_key;
};

#endif
