#include "model/store/idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "model/store/db.h"

/* How often a reservation is tried when the row it met went away between
 * the insert and the read (released or expired meanwhile). */
#define RESERVE_TRIES 3

#define SQL_TEXT(x) #x
#define SQL_NUMBER(x) SQL_TEXT(x)
#define TTL_SQL "interval '" SQL_NUMBER(IDEM_TTL_HOURS) " hours'"
#define ABANDONED_SQL "interval '" SQL_NUMBER(IDEM_ABANDONED_MINUTES) " minutes'"

void
idem_answer_clear(struct idem_answer *a)
{
	if (a == NULL)
		return;
	free(a->content_type);
	free(a->location);
	free(a->etag);
	free(a->body);
	memset(a, 0, sizeof(*a));
}

/* The associated data of a sealed answer: the row it belongs to and the
 * reservation that wrote it, so a body copied to another row never opens. */
static void
seal_aad(const struct idem_claim *c, char *out, size_t len)
{
	snprintf(out, len, "idempotency:%s:%s:%s", c->principal, c->key, c->claim);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Fills answer from the kept row of r (opened with the row's claim). */
static edgeca_err
answer_from_row(const PGresult *r, const unsigned char seal_key[SECRETBOX_KEY_LEN],
                const struct idem_claim *c, struct idem_answer *answer, struct edgeca_msg *msg)
{
	struct idem_claim row = *c;
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	char aad[512];
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	snprintf(row.claim, sizeof(row.claim), "%s", db_get(r, 0, "claim"));
	seal_aad(&row, aad, sizeof(aad));
	answer->status = (int)db_get_ll(r, 0, "status");
	answer->content_type = dup_or_null(db_get(r, 0, "content_type"));
	answer->location = dup_or_null(db_get(r, 0, "location"));
	answer->etag = dup_or_null(db_get(r, 0, "etag"));
	if (db_get_bytea(r, 0, "body", &sealed, &sealed_len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read a kept answer");
		goto out;
	}
	rc = secretbox_open(seal_key, aad, sealed, sealed_len, &answer->body, &answer->body_len,
	                    msg);
out:
	free(sealed);
	if (rc != EDGECA_OK)
		idem_answer_clear(answer);
	return rc;
}

struct reserve_args {
	const unsigned char *seal_key;
	struct idem_claim *c;
	const unsigned char *fp;
	enum idem_outcome *out;
	struct idem_answer *answer;
	bool found; /* a reservation was made or a live row read */
};

/* One try: insert the reservation (or take over an expired or abandoned
 * one); else read the live row and compare. */
static edgeca_err
reserve_on(PGconn *conn, void *arg, struct edgeca_msg *msg)
{
	struct reserve_args *a = arg;
	struct db_param p[3] = {
		{a->c->principal, 0, false},
		{a->c->key, 0, false},
		{(const char *)a->fp, IDEM_FINGERPRINT_LEN, true},
	};
	PGresult *r = NULL;
	unsigned char *fp = NULL;
	size_t fp_len = 0;
	edgeca_err rc;

	a->found = false;
	rc = db_exec(conn,
	             "INSERT INTO idempotency_keys AS k (principal, key, fingerprint, state) "
	             "VALUES ($1, $2, $3, 'running') ON CONFLICT (principal, key) DO UPDATE "
	             "SET claim = gen_random_uuid(), fingerprint = EXCLUDED.fingerprint, "
	             "state = 'running', status = NULL, content_type = NULL, location = NULL, "
	             "etag = NULL, body = NULL, created_at = now() "
	             "WHERE k.created_at < now() - " TTL_SQL " OR (k.state = 'running' AND "
	             "k.created_at < now() - " ABANDONED_SQL ") RETURNING claim",
	             p, 3, &r, "idempotency key", msg);
	if (rc != EDGECA_OK)
		goto out;
	if (PQntuples(r) == 1) {
		snprintf(a->c->claim, sizeof(a->c->claim), "%s", db_get(r, 0, "claim"));
		*a->out = IDEM_RESERVED;
		a->found = true;
		goto out;
	}
	PQclear(r);
	r = NULL;
	rc = db_exec(conn,
	             "SELECT claim, fingerprint, state, status, content_type, location, etag, body "
	             "FROM idempotency_keys WHERE principal = $1 AND key = $2 "
	             "AND created_at >= now() - " TTL_SQL,
	             p, 2, &r, "idempotency key", msg);
	if (rc != EDGECA_OK || PQntuples(r) != 1)
		goto out;
	a->found = true;
	if (db_get_bytea(r, 0, "fingerprint", &fp, &fp_len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read an idempotency key");
		goto out;
	}
	if (fp_len != IDEM_FINGERPRINT_LEN || CRYPTO_memcmp(fp, a->fp, fp_len) != 0)
		*a->out = IDEM_MISMATCH;
	else if (strcmp(db_get(r, 0, "state"), "done") != 0)
		*a->out = IDEM_IN_PROGRESS;
	else if ((rc = answer_from_row(r, a->seal_key, a->c, a->answer, msg)) == EDGECA_OK)
		*a->out = IDEM_REPLAY;
out:
	free(fp);
	PQclear(r);
	return rc;
}

edgeca_err
idem_reserve(struct db_pool *p, const unsigned char seal_key[SECRETBOX_KEY_LEN],
             struct idem_claim *c, const unsigned char fp[IDEM_FINGERPRINT_LEN],
             enum idem_outcome *out, struct idem_answer *answer, struct edgeca_msg *msg)
{
	struct reserve_args a = {seal_key, c, fp, out, answer, false};
	edgeca_err rc = EDGECA_OK;

	memset(answer, 0, sizeof(*answer));
	c->claim[0] = '\0';
	/* a row that vanished between the two statements is tried again;
	 * one that keeps vanishing is another request's, still busy */
	*out = IDEM_IN_PROGRESS;
	for (int i = 0; i < RESERVE_TRIES && rc == EDGECA_OK && !a.found; i++)
		rc = db_with(p, reserve_on, &a, msg);
	return rc;
}

struct finish_args {
	const unsigned char *seal_key;
	const struct idem_claim *c;
	const struct idem_answer *a;
};

static edgeca_err
finish_on(PGconn *conn, void *arg, struct edgeca_msg *msg)
{
	struct finish_args *f = arg;
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	char aad[512], status[16];
	PGresult *r = NULL;
	edgeca_err rc;

	seal_aad(f->c, aad, sizeof(aad));
	snprintf(status, sizeof(status), "%d", f->a->status);
	rc = secretbox_seal(f->seal_key, aad, f->a->body, f->a->body_len, &sealed, &sealed_len,
	                    msg);
	if (rc == EDGECA_OK) {
		struct db_param p[8] = {
			{f->c->principal, 0, false},   {f->c->key, 0, false},
			{f->c->claim, 0, false},       {status, 0, false},
			{f->a->content_type, 0, false}, {f->a->location, 0, false},
			{f->a->etag, 0, false},        {(const char *)sealed, (int)sealed_len, true},
		};
		rc = db_exec(conn,
		             "UPDATE idempotency_keys SET state = 'done', status = $4, "
		             "content_type = $5, location = $6, etag = $7, body = $8 "
		             "WHERE principal = $1 AND key = $2 AND claim = $3::uuid "
		             "AND state = 'running'",
		             p, 8, &r, "idempotency key", msg);
	}
	if (rc == EDGECA_OK && strcmp(PQcmdTuples(r), "1") != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, NULL,
		                 "the idempotency key's reservation was taken over");
	PQclear(r);
	free(sealed);
	return rc;
}

edgeca_err
idem_finish(struct db_pool *p, const unsigned char seal_key[SECRETBOX_KEY_LEN],
            const struct idem_claim *c, const struct idem_answer *a, struct edgeca_msg *msg)
{
	struct finish_args f = {seal_key, c, a};

	return db_with(p, finish_on, &f, msg);
}

static edgeca_err
release_on(PGconn *conn, void *arg, struct edgeca_msg *msg)
{
	const struct idem_claim *c = arg;
	struct db_param p[3] = {
		{c->principal, 0, false}, {c->key, 0, false}, {c->claim, 0, false}};

	return db_exec(conn,
	               "DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 "
	               "AND claim = $3::uuid AND state = 'running'",
	               p, 3, NULL, "idempotency key", msg);
}

edgeca_err
idem_release(struct db_pool *p, const struct idem_claim *c, struct edgeca_msg *msg)
{
	return db_with(p, release_on, (void *)c, msg);
}

static edgeca_err
purge_on(PGconn *conn, void *arg, struct edgeca_msg *msg)
{
	long *n = arg;
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(conn, "DELETE FROM idempotency_keys WHERE created_at < now() - " TTL_SQL, NULL,
	             0, &r, "idempotency keys", msg);
	if (rc == EDGECA_OK)
		*n = atol(PQcmdTuples(r));
	PQclear(r);
	return rc;
}

edgeca_err
idem_purge(struct db_pool *p, long *n, struct edgeca_msg *msg)
{
	*n = 0;
	return db_with(p, purge_on, n, msg);
}
