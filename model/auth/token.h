/* API tokens: 256-bit random secrets handed out once and stored as SHA-256
 * digests, each with a role (pki_admin, requester, auditor), optionally
 * the e-mail address lifecycle notifications reach (pki_admin only) and
 * optionally the list of CAs it is limited to (model/auth/token_scope.h). */
#ifndef EDGECA_MODEL_TOKEN_H
#define EDGECA_MODEL_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <libpq-fe.h>

#include "common/encoding.h"
#include "model/auth/principal.h"
#include "model/core/context.h"
#include "model/store/cursor.h"

#define TOKEN_SECRET_MAX 64
#define TOKEN_EMAIL_BYTES 255 /* 254 bytes, the limit of email_valid */

struct token_info {
	char id[UUID_TEXT_BYTES];
	char name[TOKEN_NAME_BYTES];
	enum role role;
	time_t created_at;
	time_t expires_at; /* 0: never */
	char created_by[ACTOR_BYTES];
	char email[TOKEN_EMAIL_BYTES]; /* "" when none */
	struct ca_scope scope;         /* not limited: every CA */
};

struct token_list {
	struct token_info *items;
	size_t n;
	char next_cursor[CURSOR_MAX]; /* "" at the end */
};

/* Creates a token (email: NULL for none; ca_ids: the n CAs it is limited
 * to, NULL for every CA), audited as token.create; secret receives the
 * only copy of its value.
 * Returns: EDGECA_OK; EDGECA_ERR_INVALID (invalid-field: name, role,
 * email, expiry, ca_ids); EDGECA_ERR_CONFLICT (token-name-taken). */
edgeca_err token_create(struct edgeca_ctx *ctx, const struct principal *who, const char *name,
                        enum role role, const char *email, const char *const *ca_ids,
                        size_t n_ca_ids, time_t expires_at, struct token_info *out,
                        char secret[TOKEN_SECRET_MAX], struct edgeca_msg *msg);

/* Maps a presented secret to its principal; EDGECA_ERR_UNAUTHENTICATED when
 * unknown, malformed or expired. */
edgeca_err token_authenticate(struct edgeca_ctx *ctx, const char *secret,
                              struct principal *out, struct edgeca_msg *msg);

/* Fills out from row i of a query of api_tokens' id, name, role and
 * TOKEN_SCOPE_COLUMNS (model/auth/token_scope.h).
 * Returns: EDGECA_OK; EDGECA_ERR_INTERNAL when its CA list is malformed. */
edgeca_err token_principal_from_row(const PGresult *r, int i, struct principal *out,
                                    struct edgeca_msg *msg);

edgeca_err token_list(struct edgeca_ctx *ctx, long limit, const char *cursor,
                      struct token_list *out, struct edgeca_msg *msg);
void token_list_free(struct token_list *l);

edgeca_err token_get(struct edgeca_ctx *ctx, const char *id, struct token_info *out,
                     struct edgeca_msg *msg);

/* What a token.update changes: its e-mail address (NULL clears it), its
 * CAs (ca_ids NULL: every CA), or both. */
/* A condition a change of a token must meet (an If-Match entity tag):
 * holds() is given the token as token_get reads it, under its row lock. */
struct token_precondition {
	bool (*holds)(const struct token_info *current, const void *arg);
	const void *arg;
};

struct token_update_req {
	const struct token_precondition *pre; /* NULL: none */
	bool set_email;
	const char *email;
	bool set_ca_ids;
	const char *const *ca_ids;
	size_t n_ca_ids;
};

/* Changes a token as req says, audited as token.update (with the old and
 * the new CA list when they change); out receives the changed token.
 * Returns: EDGECA_OK; EDGECA_ERR_NOT_FOUND (token-not-found);
 * EDGECA_ERR_INVALID (invalid-field: email, ca_ids); EDGECA_ERR_PRECONDITION
 * (precondition-failed: req->pre does not hold, nothing changed). */
edgeca_err token_update(struct edgeca_ctx *ctx, const struct principal *who, const char *id,
                        const struct token_update_req *req, struct token_info *out,
                        struct edgeca_msg *msg);

edgeca_err token_delete(struct edgeca_ctx *ctx, const struct principal *who, const char *id,
                        struct edgeca_msg *msg);

#endif
