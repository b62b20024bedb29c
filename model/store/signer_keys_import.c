#include "model/store/signer_keys_import.h"

#include <stdio.h>
#include <stdlib.h>

#include "model/store/db.h"

struct claim_args {
	const char *key_id;
	uint32_t version;
	const unsigned char *rec;
	size_t len;
	bool *inserted;
};

static edgeca_err
claim_work(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	const struct claim_args *a = arg;
	char version[16];
	struct db_param p[3] = {{a->key_id, 0, false}, {version, 0, false},
	                        {(const char *)a->rec, (int)a->len, true}};
	PGresult *r = NULL;
	edgeca_err rc;

	snprintf(version, sizeof(version), "%u", a->version);
	rc = db_exec(c,
	             "INSERT INTO signer_keys (key_id, record_version, record) VALUES ($1, $2, $3) "
	             "ON CONFLICT (key_id) DO NOTHING RETURNING key_id",
	             p, 3, &r, "store the imported key record", msg);
	if (rc != EDGECA_OK)
		goto out;
	*a->inserted = PQntuples(r) == 1;
	if (*a->inserted)
		goto out;
	PQclear(r);
	r = NULL;
	rc = db_exec(c, "SELECT 1 FROM signer_keys WHERE key_id = $1 AND record = $3 "
	                "AND record_version = $2",
	             p, 3, &r, "compare the imported key record", msg);
	if (rc == EDGECA_OK && PQntuples(r) != 1)
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-id-in-use",
		                 "signer key %s has a record already: import the key again "
		                 "(edgeca-signer import-key gives it a new id)", a->key_id);
out:
	PQclear(r);
	return rc;
}

edgeca_err
signer_keys_claim(struct db_pool *db, const char *key_id, uint32_t version,
                  const unsigned char *rec, size_t len, bool *inserted, struct edgeca_msg *msg)
{
	struct claim_args a = {key_id, version, rec, len, inserted};

	*inserted = false;
	return db_with_tx(db, claim_work, &a, msg);
}

struct unclaim_args {
	const char *key_id;
	const unsigned char *rec;
	size_t len;
};

static edgeca_err
unclaim_work(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	const struct unclaim_args *a = arg;
	struct db_param p[2] = {{a->key_id, 0, false}, {(const char *)a->rec, (int)a->len, true}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "DELETE FROM signer_keys WHERE key_id = $1 AND record = $2", p, 2, &r,
	             "remove the imported key record", msg);
	PQclear(r);
	return rc;
}

edgeca_err
signer_keys_unclaim(struct db_pool *db, const char *key_id, const unsigned char *rec,
                    size_t len, struct edgeca_msg *msg)
{
	struct unclaim_args a = {key_id, rec, len};

	return db_with(db, unclaim_work, &a, msg);
}
