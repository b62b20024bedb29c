#include "model/store/signer_keys.h"

#include <stdio.h>
#include <stdlib.h>

#include "model/store/db.h"

struct store_args {
	const char *key_id;
	uint32_t version;
	const unsigned char *rec;
	size_t len;
};

static edgeca_err
store_work(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	const struct store_args *a = arg;
	char version[16];
	struct db_param p[3] = {{a->key_id, 0, false}, {version, 0, false},
	                        {(const char *)a->rec, (int)a->len, true}};
	PGresult *r = NULL;
	edgeca_err rc;

	snprintf(version, sizeof(version), "%u", a->version);
	rc = db_exec(c,
	             "INSERT INTO signer_keys (key_id, record_version, record) VALUES ($1, $2, $3) "
	             "ON CONFLICT (key_id) DO UPDATE SET record_version = EXCLUDED.record_version, "
	             "record = EXCLUDED.record, updated_at = now() "
	             "WHERE signer_keys.record_version < EXCLUDED.record_version",
	             p, 3, &r, "store the signer key record", msg);
	PQclear(r);
	return rc;
}

edgeca_err
signer_keys_store(struct db_pool *db, const char *key_id, uint32_t version,
                  const unsigned char *rec, size_t len, struct edgeca_msg *msg)
{
	struct store_args a = {key_id, version, rec, len};

	return db_with(db, store_work, &a, msg);
}

struct fetch_args {
	const char *key_id;
	struct buf *rec;
};

static edgeca_err
fetch_work(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct fetch_args *a = arg;
	struct db_param p[1] = {{a->key_id, 0, false}};
	unsigned char *der = NULL;
	size_t len = 0;
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "SELECT record FROM signer_keys WHERE key_id = $1", p, 1, &r,
	             "read the signer key record", msg);
	if (rc != EDGECA_OK)
		goto out;
	if (PQntuples(r) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-not-found",
		                 "no record of signer key %s in the database", a->key_id);
		goto out;
	}
	if (db_get_bytea(r, 0, "record", &der, &len) != 0 || buf_append(a->rec, der, len) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the signer key record");
out:
	free(der);
	PQclear(r);
	return rc;
}

edgeca_err
signer_keys_fetch(struct db_pool *db, const char *key_id, struct buf *rec,
                  struct edgeca_msg *msg)
{
	struct fetch_args a = {key_id, rec};

	return db_with(db, fetch_work, &a, msg);
}

void
signer_keys_gone_free(struct signer_key_gone *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		buf_free(&v[i].rec);
	free(v);
}

edgeca_err
signer_keys_delete(PGconn *c, const char *key_ids, struct signer_key_gone **gone, size_t *n,
                   struct edgeca_msg *msg)
{
	struct db_param p[1] = {{key_ids, 0, false}};
	struct signer_key_gone *v = NULL;
	unsigned char *der = NULL;
	size_t len = 0, rows = 0;
	PGresult *r = NULL;
	edgeca_err rc;

	*gone = NULL;
	*n = 0;
	rc = db_exec(c, "DELETE FROM signer_keys WHERE key_id = ANY ($1::text[]) "
	                "RETURNING key_id, record",
	             p, 1, &r, "delete signer key records", msg);
	if (rc != EDGECA_OK)
		goto out;
	rows = (size_t)PQntuples(r);
	if (rows > 0 && (v = calloc(rows, sizeof(*v))) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < rows; i++) {
		const char *id = db_get(r, (int)i, "key_id");

		if (id == NULL || db_get_bytea(r, (int)i, "record", &der, &len) != 0 ||
		    buf_append(&v[i].rec, der, len) != 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                 "cannot read a deleted signer key record");
			goto out;
		}
		snprintf(v[i].key_id, sizeof(v[i].key_id), "%s", id);
		free(der);
		der = NULL;
	}
	*gone = v;
	*n = rows;
	v = NULL;
out:
	free(der);
	signer_keys_gone_free(v, rows);
	PQclear(r);
	return rc;
}
