/* What every model operation needs: configuration, the database pool and
 * the signer pool, and who is asking. Built once by the server. */
#ifndef EDGECA_MODEL_CONTEXT_H
#define EDGECA_MODEL_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "server/config.h"
#include "model/store/db.h"
#include "signer/client/client.h"

struct edgeca_ctx {
	const struct edgeca_config *cfg;
	struct db_pool *db;
	struct signer_pool *signer;
	/* seals webhook secrets (model/secretbox.h); loaded by `serve` */
	unsigned char secrets_key[32];
	bool has_secrets_key;
};

enum role { ROLE_NONE = 0, ROLE_AUDITOR, ROLE_REQUESTER, ROLE_PKI_ADMIN };

/* Token names are up to 100 characters of UTF-8 (up to 4 bytes each);
 * buffers are sized in bytes so a name is never cut inside a character. */
#define TOKEN_NAME_MAX 100
#define TOKEN_NAME_BYTES (4 * TOKEN_NAME_MAX + 1)
#define ACTOR_BYTES (sizeof("token:") + TOKEN_NAME_BYTES)

/* The CAs a token is limited to (model/token_scope.h): with limited
 * false, every CA; with limited true, only the n ids (lower-case UUIDs). */
#define TOKEN_CA_IDS_MAX 100
struct ca_scope {
	bool limited;
	size_t n;
	char ids[TOKEN_CA_IDS_MAX][37];
};

/* The authenticated caller. actor is what audit rows and certificates
 * record, e.g. "token:ci-pipeline" or "cli"; scope the CAs it may act on
 * (all zero, as for the command line and the scheduler: every CA). */
struct principal {
	enum role role;
	char token_id[37];
	char actor[ACTOR_BYTES];
	struct ca_scope scope;
};

const char *role_name(enum role r);
/* Returns ROLE_NONE for unknown names. */
enum role role_parse(const char *name);

edgeca_err ctx_open(struct edgeca_ctx *ctx, const struct edgeca_config *cfg,
                    struct edgeca_msg *msg);
void ctx_close(struct edgeca_ctx *ctx);

#endif
