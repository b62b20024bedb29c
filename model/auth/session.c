#include "model/auth/session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digests.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "model/auth/token.h"
#include "model/auth/token_scope.h"
#include "model/store/audit.h"
#include "model/store/db.h"

#define SESSION_RANDOM_BYTES 32
#define IDLE_SQL "interval '1800 seconds'"
_Static_assert(SESSION_IDLE_S == 1800, "IDLE_SQL follows SESSION_IDLE_S");

static int
sha256(const char *s, unsigned char md[32])
{
	unsigned int len = 32;

	return EVP_Digest(s, strlen(s), md, &len, digest_sha256(), NULL) == 1 ? 0 : -1;
}

/* The CSRF token of a cookie secret: HMAC-SHA256 keyed by the secret, so
 * the session can hand it out again (a reloaded page) without storing it;
 * only its SHA-256 is stored. */
static int
csrf_derive(const char *cookie, char out[SESSION_SECRET_MAX])
{
	static const char label[] = "edgeca session csrf";
	unsigned char mac[32];
	unsigned int len = sizeof(mac);
	char *b64 = NULL;
	int rc = -1;

	out[0] = '\0';
	if (HMAC(digest_sha256(), cookie, (int)strlen(cookie), (const unsigned char *)label,
	         sizeof(label) - 1, mac, &len) == NULL ||
	    (b64 = base64url_encode(mac, len)) == NULL)
		goto out;
	snprintf(out, SESSION_SECRET_MAX, "%s", b64);
	rc = 0;
out:
	free(b64);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

/* A new 256-bit cookie secret, base64url. */
static int
secret_new(char out[SESSION_SECRET_MAX])
{
	unsigned char rnd[SESSION_RANDOM_BYTES];
	char *b64 = NULL;
	int rc = -1;

	out[0] = '\0';
	if (RAND_priv_bytes(rnd, sizeof(rnd)) != 1 || (b64 = base64url_encode(rnd, sizeof(rnd))) == NULL)
		goto out;
	snprintf(out, SESSION_SECRET_MAX, "%s", b64);
	OPENSSL_cleanse(b64, strlen(b64));
	rc = 0;
out:
	free(b64);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rc;
}

struct create_args {
	const struct principal *who;
	const unsigned char *cookie_md;
	const unsigned char *csrf_md;
	const char *expires;
	struct session_info *out;
};

static edgeca_err
create_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct create_args *a = arg;
	struct db_param p[4] = {{a->who->token_id, 0, false},
	                        {(const char *)a->cookie_md, 32, true},
	                        {(const char *)a->csrf_md, 32, true},
	                        {a->expires, 0, false}};
	const char *details[2] = {"token_id", a->who->token_id};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "INSERT INTO api_sessions (token_id, cookie_hash, csrf_hash, expires_at) "
	                "VALUES ($1, $2, $3, $4) RETURNING id",
	             p, 4, &r, "create session", msg);
	if (rc != EDGECA_OK)
		goto out;
	snprintf(a->out->id, sizeof(a->out->id), "%s", db_get(r, 0, "id"));
	rc = audit_write(c, a->who->actor, "session.create", "session", a->out->id, details, 2, msg);
out:
	PQclear(r);
	return rc;
}

edgeca_err
session_create(struct edgeca_ctx *ctx, const char *token, unsigned ttl_s,
               struct principal *who, struct session_info *out,
               char cookie[SESSION_SECRET_MAX], struct edgeca_msg *msg)
{
	struct token_info ti;
	unsigned char cookie_md[32], csrf_md[32];
	char expires[RFC3339_LEN];
	struct create_args a = {who, cookie_md, csrf_md, expires, out};
	time_t until = time(NULL) + (time_t)ttl_s;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	cookie[0] = '\0';
	if ((rc = token_authenticate(ctx, token, who, msg)) != EDGECA_OK ||
	    (rc = token_get(ctx, who->token_id, &ti, msg)) != EDGECA_OK)
		goto out;
	if (ti.expires_at != 0 && ti.expires_at < until)
		until = ti.expires_at;
	if (secret_new(cookie) != 0 || csrf_derive(cookie, out->csrf_token) != 0 ||
	    sha256(cookie, cookie_md) != 0 || sha256(out->csrf_token, csrf_md) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a session secret");
		goto out;
	}
	snprintf(out->token_name, sizeof(out->token_name), "%s", ti.name);
	out->expires_at = until;
	rfc3339_format(until, expires);
	rc = db_with_tx(ctx->db, create_on, &a, msg);
out:
	OPENSSL_cleanse(cookie_md, sizeof(cookie_md));
	if (rc != EDGECA_OK) {
		OPENSSL_cleanse(cookie, SESSION_SECRET_MAX);
		cookie[0] = '\0';
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

/* A live session's row, and its last_used_at moved to now only when it is
 * older than TOUCH_SQL: a read then writes (and waits for a commit to
 * disk) once a minute per session, not on every request. The idle timeout
 * counts from last_used_at, so it ends a session between IDLE_SQL minus
 * TOUCH_SQL and IDLE_SQL after its last request. */
#define TOUCH_SQL "interval '60 seconds'"
static const struct db_stmt authenticate_stmt = {
	STMT_SESSION_AUTHENTICATE,
	"WITH live AS (SELECT s.id AS session_id, s.last_used_at, "
	"encode(s.csrf_hash, 'hex') AS csrf_hash, "
	"extract(epoch FROM s.expires_at)::bigint AS expires_at, api_tokens.id, "
	"api_tokens.name, api_tokens.role, " TOKEN_SCOPE_COLUMNS " "
	"FROM api_sessions s JOIN api_tokens ON s.token_id = api_tokens.id "
	"WHERE s.cookie_hash = $1 AND s.ended_at IS NULL "
	"AND s.expires_at > now() AND s.last_used_at > now() - " IDLE_SQL " "
	"AND api_tokens.deleted_at IS NULL "
	"AND (api_tokens.expires_at IS NULL OR api_tokens.expires_at > now())), "
	"touched AS (UPDATE api_sessions u SET last_used_at = now() FROM live "
	"WHERE u.id = live.session_id AND live.last_used_at <= now() - " TOUCH_SQL ") "
	"SELECT * FROM live"};

struct authenticate_args {
	const unsigned char *md;
	struct principal *who;
	struct session_info *out;
};

static edgeca_err
authenticate_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct authenticate_args *a = arg;
	struct db_param p[1] = {{(const char *)a->md, 32, true}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec_prepared(c, &authenticate_stmt, p, 1, &r, "authenticate session", msg);
	if (rc != EDGECA_OK)
		goto out;
	if (PQntuples(r) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "invalid-session",
		                 "the session is unknown, ended or expired, or its token is: "
		                 "sign in again");
		goto out;
	}
	if ((rc = token_principal_from_row(r, 0, a->who, msg)) != EDGECA_OK)
		goto out;
	snprintf(a->out->id, sizeof(a->out->id), "%s", db_get(r, 0, "session_id"));
	snprintf(a->out->token_name, sizeof(a->out->token_name), "%s", db_get(r, 0, "name"));
	a->out->expires_at = (time_t)db_get_time(r, 0, "expires_at");
	snprintf(a->out->csrf_hash, sizeof(a->out->csrf_hash), "%s", db_get(r, 0, "csrf_hash"));
	if (strlen(a->out->csrf_hash) != 64) {
		log_error("session_authenticate: session=%s: its CSRF digest cannot be read",
		          a->out->id);
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "the session cannot be read");
	}
out:
	PQclear(r);
	return rc;
}

edgeca_err
session_authenticate(struct edgeca_ctx *ctx, const char *cookie, struct principal *who,
                     struct session_info *out, struct edgeca_msg *msg)
{
	unsigned char md[32];
	struct authenticate_args a = {md, who, out};
	size_t n = strlen(cookie);
	edgeca_err rc;

	memset(who, 0, sizeof(*who));
	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= SESSION_SECRET_MAX || sha256(cookie, md) != 0)
		return edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "invalid-session",
		                   "the session cookie is not a valid edgeca session");
	rc = db_with(ctx->db, authenticate_on, &a, msg);
	if (rc == EDGECA_OK && csrf_derive(cookie, out->csrf_token) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot derive the CSRF token");
	if (rc != EDGECA_OK) {
		memset(who, 0, sizeof(*who));
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

bool
session_csrf_matches(const struct session_info *s, const char *csrf)
{
	unsigned char md[32];
	char hex[65];

	if (csrf == NULL || strlen(csrf) >= SESSION_SECRET_MAX || strlen(s->csrf_hash) != 64 ||
	    sha256(csrf, md) != 0)
		return false;
	hex_encode(md, sizeof(md), hex);
	return CRYPTO_memcmp(hex, s->csrf_hash, 64) == 0;
}

struct end_args {
	const struct principal *who;
	const char *id;
};

static edgeca_err
end_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct end_args *a = arg;
	struct db_param p[1] = {{a->id, 0, false}};
	const char *details[2] = {"token_id", a->who->token_id};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "UPDATE api_sessions SET ended_at = now() WHERE id = $1 "
	                "AND ended_at IS NULL",
	             p, 1, &r, "end session", msg);
	if (rc != EDGECA_OK)
		goto out;
	if (atol(PQcmdTuples(r)) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAUTHENTICATED, "invalid-session",
		                 "the session has ended already");
		goto out;
	}
	rc = audit_write(c, a->who->actor, "session.end", "session", a->id, details, 2, msg);
out:
	PQclear(r);
	return rc;
}

edgeca_err
session_end(struct edgeca_ctx *ctx, const struct principal *who, const char *id,
            struct edgeca_msg *msg)
{
	struct end_args a = {who, id};

	return db_with_tx(ctx->db, end_on, &a, msg);
}

static edgeca_err
purge_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	long *n = arg;
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "DELETE FROM api_sessions WHERE ended_at IS NOT NULL "
	                "OR expires_at <= now() OR last_used_at <= now() - " IDLE_SQL " "
	                "OR token_id IN (SELECT id FROM api_tokens WHERE deleted_at IS NOT NULL "
	                "OR expires_at <= now())",
	             NULL, 0, &r, "purge sessions", msg);
	if (rc == EDGECA_OK)
		*n = atol(PQcmdTuples(r));
	PQclear(r);
	return rc;
}

edgeca_err
session_purge(struct edgeca_ctx *ctx, long *n, struct edgeca_msg *msg)
{
	*n = 0;
	return db_with(ctx->db, purge_on, n, msg);
}
