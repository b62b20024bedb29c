#include "model/migrate.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "model/db.h"

/* An arbitrary constant shared by every edgeca server. */
#define MIGRATE_LOCK_ID "4242017"

static int
sha256_hex(const unsigned char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int md_len = sizeof(md);

	if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1)
		return -1;
	hex_encode(md, md_len, out);
	return 0;
}

static int
migration_version(const char *name)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return name[4] == '_' ? v : -1;
}

static edgeca_err
apply_one(PGconn *c, const struct edgeca_embedded_file *f, int version, const char *digest,
          struct edgeca_msg *msg)
{
	char vtext[16];
	struct db_param p[3];
	PGresult *r;
	edgeca_err rc;

	rc = db_begin(c, msg);
	if (rc != EDGECA_OK)
		return rc;
	/* PQexec runs the file's several statements in this transaction. */
	r = PQexec(c, (const char *)f->data);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "migration %s failed: %s", f->name,
		                 PQresultErrorMessage(r));
		PQclear(r);
		db_rollback(c);
		return rc;
	}
	PQclear(r);
	snprintf(vtext, sizeof(vtext), "%d", version);
	p[0] = (struct db_param){vtext, 0, false};
	p[1] = (struct db_param){f->name, 0, false};
	p[2] = (struct db_param){digest, 0, false};
	rc = db_exec(c, "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)",
	             p, 3, NULL, "record migration", msg);
	if (rc == EDGECA_OK)
		rc = db_commit(c, msg);
	if (rc != EDGECA_OK)
		db_rollback(c);
	return rc;
}

edgeca_err
migrate_run(PGconn *c, const struct edgeca_embedded_file *files, int *applied,
            struct edgeca_msg *msg)
{
	PGresult *known = NULL;
	int max_known = 0, max_db = 0;
	edgeca_err rc;

	*applied = 0;
	rc = db_exec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_ID ")", NULL, 0, NULL,
	             "migration lock", msg);
	if (rc != EDGECA_OK)
		return rc;
	rc = db_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                " version integer PRIMARY KEY, name text NOT NULL,"
	                " sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
	             NULL, 0, NULL, "create schema_migrations", msg);
	if (rc != EDGECA_OK)
		goto out;
	rc = db_exec(c, "SELECT version, name, sha256 FROM schema_migrations ORDER BY version",
	             NULL, 0, &known, "read schema_migrations", msg);
	if (rc != EDGECA_OK)
		goto out;
	for (const struct edgeca_embedded_file *f = files; f->name != NULL; f++) {
		char digest[65];
		int version = migration_version(f->name), row = -1;

		if (version < 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                 "migration file %s is not named NNNN_name.sql", f->name);
			goto out;
		}
		if (sha256_hex(f->data, f->len, digest) != 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot hash %s", f->name);
			goto out;
		}
		max_known = version;
		for (int i = 0; i < PQntuples(known); i++)
			if (db_get_ll(known, i, "version") == version)
				row = i;
		if (row >= 0) {
			if (strcmp(db_get(known, row, "sha256"), digest) != 0) {
				rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
				                 "migration %s was applied with a different text; "
				                 "applied migrations must never change", f->name);
				goto out;
			}
			continue;
		}
		rc = apply_one(c, f, version, digest, msg);
		if (rc != EDGECA_OK)
			goto out;
		log_info("migrate_run: applied %s", f->name);
		(*applied)++;
	}
	for (int i = 0; i < PQntuples(known); i++)
		if (db_get_ll(known, i, "version") > max_db)
			max_db = (int)db_get_ll(known, i, "version");
	if (max_db > max_known)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                 "the database schema (version %d) is newer than this edgeca "
		                 "(version %d)", max_db, max_known);
out:
	PQclear(known);
	PQclear(PQexec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_ID ")"));
	return rc;
}
