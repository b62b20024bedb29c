/* Who asks: the roles of API tokens and the authenticated caller every
 * model operation is given (token, command line or scheduler). */
#ifndef EDGECA_MODEL_AUTH_PRINCIPAL_H
#define EDGECA_MODEL_AUTH_PRINCIPAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/encoding.h"

enum role { ROLE_NONE = 0, ROLE_AUDITOR, ROLE_REQUESTER, ROLE_PKI_ADMIN };

/* Token names are up to 100 characters of UTF-8 (up to 4 bytes each);
 * buffers are sized in bytes so a name is never cut inside a character. */
#define TOKEN_NAME_MAX 100
#define TOKEN_NAME_BYTES (4 * TOKEN_NAME_MAX + 1)
#define ACTOR_BYTES (sizeof("token:") + TOKEN_NAME_BYTES)

/* The CAs a token is limited to (model/auth/token_scope.h): with limited
 * false, every CA; with limited true, only the n ids (lower-case UUIDs). */
#define TOKEN_CA_IDS_MAX 100
struct ca_scope {
	bool limited;
	size_t n;
	char ids[TOKEN_CA_IDS_MAX][UUID_TEXT_BYTES];
};

/* The authenticated caller. actor is what audit rows and certificates
 * record, e.g. "token:ci-pipeline" or "cli"; scope the CAs it may act on
 * (all zero, as for the command line and the scheduler: every CA). */
struct principal {
	enum role role;
	char token_id[UUID_TEXT_BYTES];
	char actor[ACTOR_BYTES];
	struct ca_scope scope;
};

const char *role_name(enum role r);
/* Returns ROLE_NONE for unknown names. */
enum role role_parse(const char *name);

#endif
