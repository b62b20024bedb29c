#include "model/auth/token.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digests.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/x509util.h"
#include "model/store/audit.h"
#include "model/store/db.h"
#include "common/email.h"
#include "model/auth/token_scope.h"

#define TOKEN_PREFIX "edgeca_"
#define TOKEN_RANDOM_BYTES 32

static int
token_digest(const char *secret, unsigned char md[32])
{
	unsigned int len = 32;

	return EVP_Digest(secret, strlen(secret), md, &len, digest_sha256(), NULL) == 1 ? 0 : -1;
}

static edgeca_err
validate_name(const char *name, struct edgeca_msg *msg)
{
	size_t n = utf8_length(name);

	if (!utf8_valid(name) || strlen(name) >= TOKEN_NAME_BYTES || n == 0 || n > TOKEN_NAME_MAX)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "name must have 1 to %d characters", TOKEN_NAME_MAX);
	if (utf8_has_control(name))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "name must not contain control or invisible characters");
	if (utf8_has_outer_space(name))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "name must not begin or end with white space");
	return EDGECA_OK;
}

static edgeca_err
validate_email(const char *email, struct edgeca_msg *msg)
{
	if (email != NULL && !email_valid(email))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "email is not an e-mail address");
	return EDGECA_OK;
}

/* Fills t from row i (TOKEN_COLUMNS); -1 when its CA list is malformed. */
static int
row_to_info(const PGresult *r, int i, struct token_info *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", db_get(r, i, "id"));
	snprintf(t->name, sizeof(t->name), "%s", db_get(r, i, "name"));
	t->role = role_parse(db_get(r, i, "role"));
	t->created_at = (time_t)db_get_time(r, i, "created_at");
	t->expires_at = (time_t)db_get_time(r, i, "expires_at");
	snprintf(t->created_by, sizeof(t->created_by), "%s", db_get(r, i, "created_by"));
	if (db_get(r, i, "email") != NULL)
		snprintf(t->email, sizeof(t->email), "%s", db_get(r, i, "email"));
	return token_scope_from_row(r, i, &t->scope);
}

/* row_to_info into out, or the error of a malformed row. */
static edgeca_err
read_info(const PGresult *r, int i, struct token_info *out, struct edgeca_msg *msg)
{
	if (row_to_info(r, i, out) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "token %s: its CA list cannot be read", db_get(r, i, "id"));
	return EDGECA_OK;
}

#define TOKEN_COLUMNS                                                                          \
	"id, name, role, extract(epoch FROM created_at)::bigint AS created_at, "                 \
	"extract(epoch FROM expires_at)::bigint AS expires_at, created_by, email, seq, "         \
	TOKEN_SCOPE_COLUMNS

struct create_args {
	const struct principal *who;
	const char *name;
	enum role role;
	const char *email;
	const struct ca_scope *scope;
	const unsigned char *md; /* the secret's digest, 32 bytes */
	const char *expires;     /* NULL: never */
	struct token_info *out;
};

/* The insertion of token_create, with its CA list and audit event, inside
 * its transaction. */
static edgeca_err
create_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	const struct create_args *a = arg;
	char id[UUID_TEXT_BYTES], *cas = NULL;
	struct db_param p[6] = {{a->name, 0, false},
	                        {role_name(a->role), 0, false},
	                        {(const char *)a->md, 32, true},
	                        {a->expires, 0, false},
	                        {a->who->actor, 0, false},
	                        {a->email, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "INSERT INTO api_tokens (name, role, token_hash, expires_at, created_by, "
	                "email) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
	             p, 6, &r, "create token", msg);
	if (rc != EDGECA_OK)
		goto out;
	snprintf(id, sizeof(id), "%s", db_get(r, 0, "id"));
	PQclear(r);
	r = NULL;
	p[0] = (struct db_param){id, 0, false};
	if (a->scope->limited && (rc = token_scope_write(c, id, a->scope, msg)) != EDGECA_OK)
		goto out;
	rc = db_exec(c, "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE id = $1", p, 1, &r,
	             "read the new token", msg);
	if (rc != EDGECA_OK || (rc = read_info(r, 0, a->out, msg)) != EDGECA_OK)
		goto out;
	if ((cas = token_scope_text(&a->out->scope)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	} else {
		const char *details[] = {"name",  a->name,       "role",   role_name(a->role),
		                         "email", a->out->email, "ca_ids", cas};
		rc = audit_write(c, a->who->actor, "token.create", "token", a->out->id, details, 8,
		                 msg);
		free(cas);
	}
out:
	PQclear(r);
	return rc;
}

edgeca_err
token_create(struct edgeca_ctx *ctx, const struct principal *who, const char *name,
             enum role role, const char *email, const char *const *ca_ids, size_t n_ca_ids,
             time_t expires_at, struct token_info *out, char secret[TOKEN_SECRET_MAX],
             struct edgeca_msg *msg)
{
	unsigned char rnd[TOKEN_RANDOM_BYTES], md[32];
	char expires[RFC3339_LEN], *b64 = NULL;
	struct ca_scope scope;
	struct create_args a = {who, name, role, email, &scope, md, NULL, out};
	edgeca_err rc;

	secret[0] = '\0';
	if ((rc = validate_name(name, msg)) != EDGECA_OK ||
	    (rc = validate_email(email, msg)) != EDGECA_OK ||
	    (rc = token_scope_from_ids(ca_ids, n_ca_ids, &scope, msg)) != EDGECA_OK)
		return rc;
	if (role == ROLE_NONE)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "role must be pki_admin, requester or auditor");
	if (expires_at != 0 && expires_at <= time(NULL))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "expires_at must be in the future");
	if (RAND_priv_bytes(rnd, sizeof(rnd)) != 1 ||
	    (b64 = base64url_encode(rnd, sizeof(rnd))) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot generate a token");
	snprintf(secret, TOKEN_SECRET_MAX, TOKEN_PREFIX "%s", b64);
	free(b64);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (token_digest(secret, md) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot hash the token");
		goto out;
	}
	if (expires_at != 0) {
		rfc3339_format(expires_at, expires);
		a.expires = expires;
	}
	rc = db_with_tx(ctx->db, create_on, &a, msg);
out:
	if (rc == EDGECA_ERR_CONFLICT)
		edgeca_fail(msg, rc, "token-name-taken",
		            "a token named \"%s\" exists or existed: names are never reused, since "
		            "certificates and audit entries name their requester by it", name);
	if (rc != EDGECA_OK) {
		OPENSSL_cleanse(secret, TOKEN_SECRET_MAX);
		secret[0] = '\0';
	}
	return rc;
}

static const struct db_stmt authenticate_stmt = {
	STMT_TOKEN_AUTHENTICATE, "SELECT id, name, role, " TOKEN_SCOPE_COLUMNS " FROM api_tokens "
	   "WHERE token_hash = $1 AND deleted_at IS NULL "
	   "AND (expires_at IS NULL OR expires_at > now())"};

struct authenticate_args {
	const unsigned char *md;
	struct principal *out;
};

edgeca_err
token_principal_from_row(const PGresult *r, int i, struct principal *out,
                         struct edgeca_msg *msg)
{
	if (token_scope_from_row(r, i, &out->scope) != 0) {
		log_error("token_authenticate: token=%s: its CA list cannot be read",
		          db_get(r, i, "id"));
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "the token's CA list cannot be read");
	}
	out->role = role_parse(db_get(r, i, "role"));
	snprintf(out->token_id, sizeof(out->token_id), "%s", db_get(r, i, "id"));
	snprintf(out->actor, sizeof(out->actor), "token:%s", db_get(r, i, "name"));
	return EDGECA_OK;
}

/* The live token whose hash is a->md (32 bytes), as a principal. */
static edgeca_err
authenticate_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct authenticate_args *a = arg;
	struct db_param p[1] = {{(const char *)a->md, 32, true}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec_prepared(c, &authenticate_stmt, p, 1, &r, "authenticate", msg);
	if (rc != EDGECA_OK)
		goto out;
	if (PQntuples(r) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "invalid-token",
		                 "the bearer token is unknown, deleted or expired");
		goto out;
	}
	rc = token_principal_from_row(r, 0, a->out, msg);
out:
	PQclear(r);
	return rc;
}

edgeca_err
token_authenticate(struct edgeca_ctx *ctx, const char *secret, struct principal *out,
                   struct edgeca_msg *msg)
{
	unsigned char md[32];
	struct authenticate_args a = {md, out};
	size_t n = strlen(secret);
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if (n < strlen(TOKEN_PREFIX) || n >= TOKEN_SECRET_MAX ||
	    strncmp(secret, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 || token_digest(secret, md) != 0)
		return edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "invalid-token",
		                   "the bearer token is not a valid edgeca token");
	rc = db_with(ctx->db, authenticate_on, &a, msg);
	if (rc != EDGECA_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

struct list_args {
	struct page_sql pg;
	struct token_list *out;
};

/* A page of tokens after seq a->pg.after, at most a->pg.page of them, and the
 * cursor of the next page when there is one. */
static edgeca_err
list_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct list_args *a = arg;
	struct db_param p[2] = {{a->pg.after, 0, false}, {a->pg.rows, 0, false}};
	struct token_list *out = a->out;
	PGresult *r = NULL;
	int rows;
	edgeca_err rc;

	rc = db_exec(c, "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE seq > $1 "
	                "AND deleted_at IS NULL ORDER BY seq LIMIT $2", p, 2, &r, "list tokens", msg);
	if (rc != EDGECA_OK)
		goto out;
	rows = PQntuples(r);
	out->n = (size_t)(rows > a->pg.page ? a->pg.page : rows);
	out->items = calloc(out->n ? out->n : 1, sizeof(*out->items));
	if (out->items == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < out->n && rc == EDGECA_OK; i++)
		rc = read_info(r, (int)i, &out->items[i], msg);
	if (rc == EDGECA_OK && rows > a->pg.page)
		cursor_encode(db_get_ll(r, (int)a->pg.page - 1, "seq"), out->next_cursor);
out:
	PQclear(r);
	return rc;
}

edgeca_err
token_list(struct edgeca_ctx *ctx, long limit, const char *cursor, struct token_list *out,
           struct edgeca_msg *msg)
{
	struct list_args a = {.out = out};
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = page_sql_read(limit, cursor, &a.pg, msg)) != EDGECA_OK)
		return rc;
	rc = db_with(ctx->db, list_on, &a, msg);
	if (rc != EDGECA_OK)
		token_list_free(out);
	return rc;
}

void
token_list_free(struct token_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	memset(l, 0, sizeof(*l));
}

struct get_args {
	const char *id;
	struct token_info *out;
};

/* A token that is not deleted. */
static edgeca_err
get_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct get_args *a = arg;
	struct db_param p[1] = {{a->id, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE id = $1 "
	                "AND deleted_at IS NULL", p, 1, &r,
	             "read token", msg);
	if (rc == EDGECA_OK && PQntuples(r) != 1)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "token-not-found", "no token %s", a->id);
	if (rc == EDGECA_OK)
		rc = read_info(r, 0, a->out, msg);
	PQclear(r);
	return rc;
}

edgeca_err
token_get(struct edgeca_ctx *ctx, const char *id, struct token_info *out, struct edgeca_msg *msg)
{
	struct get_args a = {id, out};
	edgeca_err rc;

	if ((rc = db_check_id(id, "token-not-found", "token", msg)) == EDGECA_OK)
		rc = db_with(ctx->db, get_on, &a, msg);
	return rc;
}

struct change_args {
	const struct principal *who;
	const char *id;
	const struct token_update_req *req; /* NULL: the deletion */
	const struct ca_scope *scope;
	struct token_info now; /* the token as the change left it */
};

/* The change of token_change inside its transaction. */
static edgeca_err
change_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct change_args *a = arg;
	const struct token_update_req *req = a->req;
	const char *id = a->id, *details[8];
	char *old_cas = NULL, *new_cas = NULL;
	struct token_info old;
	struct db_param p[3];
	PGresult *r = NULL;
	size_t n = 0;
	edgeca_err rc;

	p[0] = (struct db_param){id, 0, false};
	/* locked first, then read: the old CA list is the one this change
	 * replaces, also when another change of the token just committed */
	rc = db_exec(c, "SELECT id FROM api_tokens WHERE id = $1 AND deleted_at IS NULL "
	                "FOR UPDATE", p, 1, &r, "lock token", msg);
	if (rc == EDGECA_OK && PQntuples(r) != 1)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "token-not-found", "no token %s", id);
	PQclear(r);
	r = NULL;
	if (rc != EDGECA_OK ||
	    (rc = db_exec(c, "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE id = $1", p, 1, &r,
	                  "read token", msg)) != EDGECA_OK ||
	    (rc = read_info(r, 0, &old, msg)) != EDGECA_OK)
		goto out;
	PQclear(r);
	r = NULL;
	if (req != NULL && req->pre != NULL && !req->pre->holds(&old, req->pre->arg)) {
		rc = edgeca_fail(msg, EDGECA_ERR_PRECONDITION, "precondition-failed",
		                 "token %s changed since the entity tag given in If-Match was read: "
		                 "read it again and reapply the change", id);
		goto out;
	}
	if (req == NULL) { /* kept as a tombstone: the name is never given to another token */
		p[1] = (struct db_param){a->who->actor, 0, false};
		rc = db_exec(c, "UPDATE api_tokens SET deleted_at = now(), deleted_by = $2, "
		                "email = NULL WHERE id = $1 RETURNING " TOKEN_COLUMNS, p, 2, &r,
		             "delete token", msg);
	} else {
		if (req->set_ca_ids && (rc = token_scope_write(c, id, a->scope, msg)) != EDGECA_OK)
			goto out;
		p[1] = (struct db_param){req->set_email ? "true" : "false", 0, false};
		p[2] = (struct db_param){req->email, 0, false};
		rc = db_exec(c, "UPDATE api_tokens SET email = CASE WHEN $2::boolean THEN $3 "
		                "ELSE email END WHERE id = $1 RETURNING " TOKEN_COLUMNS, p, 3, &r,
		             "update token", msg);
	}
	if (rc != EDGECA_OK || (rc = read_info(r, 0, &a->now, msg)) != EDGECA_OK)
		goto out;
	details[n++] = "name";
	details[n++] = old.name;
	if (req != NULL && req->set_email) {
		details[n++] = "email";
		details[n++] = req->email != NULL ? req->email : "";
	}
	if (req != NULL && req->set_ca_ids) {
		/* both as stored: in the CAs' creation order */
		if ((old_cas = token_scope_text(&old.scope)) == NULL ||
		    (new_cas = token_scope_text(&a->now.scope)) == NULL) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		details[n++] = "old_ca_ids";
		details[n++] = old_cas;
		details[n++] = "ca_ids";
		details[n++] = new_cas;
	}
	rc = audit_write(c, a->who->actor, req != NULL ? "token.update" : "token.delete", "token",
	                 id, details, n, msg);
out:
	free(old_cas);
	free(new_cas);
	PQclear(r);
	return rc;
}

/* Writes an update (req; scope: the checked new CA list when
 * req->set_ca_ids) or, with req NULL, the deletion of token id, in one
 * transaction with its audit event: the token's name, and for an update
 * what changed: the new e-mail ("" when cleared), the old and the new CA
 * list. out, when non-NULL, receives the token as it was left. */
static edgeca_err
token_change(struct edgeca_ctx *ctx, const struct principal *who, const char *id,
             const struct token_update_req *req, const struct ca_scope *scope,
             struct token_info *out, struct edgeca_msg *msg)
{
	struct change_args a = {.who = who, .id = id, .req = req, .scope = scope};
	edgeca_err rc;

	if ((rc = db_check_id(id, "token-not-found", "token", msg)) == EDGECA_OK &&
	    (rc = db_with_tx(ctx->db, change_on, &a, msg)) == EDGECA_OK && out != NULL)
		*out = a.now;
	return rc;
}

edgeca_err
token_update(struct edgeca_ctx *ctx, const struct principal *who, const char *id,
             const struct token_update_req *req, struct token_info *out, struct edgeca_msg *msg)
{
	struct ca_scope scope;
	edgeca_err rc;

	if (!req->set_email && !req->set_ca_ids)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "missing-field",
		                   "give email or ca_ids (null clears the address, or lifts the "
		                   "limit to CAs)");
	if ((req->set_email && (rc = validate_email(req->email, msg)) != EDGECA_OK) ||
	    (rc = token_scope_from_ids(req->set_ca_ids ? req->ca_ids : NULL, req->n_ca_ids, &scope,
	                               msg)) != EDGECA_OK)
		return rc;
	return token_change(ctx, who, id, req, &scope, out, msg);
}

edgeca_err
token_delete(struct edgeca_ctx *ctx, const struct principal *who, const char *id,
             struct edgeca_msg *msg)
{
	return token_change(ctx, who, id, NULL, NULL, NULL, msg);
}
