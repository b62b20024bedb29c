/* The CAs an API token is limited to (table api_token_cas, flag
 * api_tokens.ca_scoped): checking a requested list, reading and writing
 * it with the token, and the test a request about one CA goes through.
 * Called by model/auth/token.c, the API's authorization and the listings that
 * show a caller only its CAs. */
#ifndef EDGECA_MODEL_TOKEN_SCOPE_H
#define EDGECA_MODEL_TOKEN_SCOPE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "model/auth/principal.h"
#include "model/core/context.h"

/* The columns ca_scoped and ca_ids (the ids joined by commas in the CAs'
 * creation order, NULL when none) of a SELECT or RETURNING over
 * api_tokens; token_scope_from_row reads them. */
#define TOKEN_SCOPE_COLUMNS                                                                    \
	"ca_scoped, (SELECT string_agg(s.ca_id::text, ',' ORDER BY sc.seq) FROM api_token_cas s " \
	"JOIN cas sc ON sc.id = s.ca_id WHERE s.token_id = api_tokens.id) AS ca_ids"

/* Checks a requested list of CA ids (ids NULL: every CA) and fills out
 * with it in canonical form: 1 to TOKEN_CA_IDS_MAX UUIDs, lower-cased,
 * each once. Whether they name CAs is checked by token_scope_write.
 * Returns: EDGECA_OK; EDGECA_ERR_INVALID (invalid-field) naming the id. */
edgeca_err token_scope_from_ids(const char *const *ids, size_t n, struct ca_scope *out,
                                struct edgeca_msg *msg);

/* True when s lets its holder act on the CA ca_id (any UUID case); false
 * for anything that is not a UUID when s is limited. */
bool token_scope_allows(const struct ca_scope *s, const char *ca_id);

/* s as a PostgreSQL array literal for "id = ANY($n::uuid[])", or NULL in
 * *out when s is not limited (every CA).
 * Ownership: *out is the caller's (free). */
edgeca_err token_scope_sql(const struct ca_scope *s, char **out, struct edgeca_msg *msg);

/* Fills s from row i's ca_scoped and ca_ids columns (TOKEN_SCOPE_COLUMNS).
 * Returns 0, or -1 when they are malformed or list too many ids. */
int token_scope_from_row(const PGresult *r, int i, struct ca_scope *s);

/* Makes s the scope of token token_id inside the caller's transaction.
 * Returns: EDGECA_OK; EDGECA_ERR_INVALID (invalid-field) naming the first
 * id that is no CA; database errors. */
edgeca_err token_scope_write(PGconn *c, const char *token_id, const struct ca_scope *s,
                             struct edgeca_msg *msg);

/* "all", or the ids joined by commas: the form audit rows record.
 * Ownership: the caller's (free); NULL when out of memory. */
char *token_scope_text(const struct ca_scope *s);

/* Takes the CA ca_id out of every token's list inside the caller's
 * transaction, before the CA is deleted. A token limited to it stays
 * limited (ca_scoped), to what remains: its scope only narrows. */
edgeca_err token_scope_forget_ca(PGconn *c, const char *ca_id, struct edgeca_msg *msg);

#endif
