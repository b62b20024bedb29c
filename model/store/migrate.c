#include "model/store/migrate.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digests.h"
#include "common/encoding.h"
#include "common/log.h"
#include "model/store/db.h"

/* An arbitrary constant shared by every edgeca server. */
#define MIGRATE_LOCK_ID "4242017"

static int
sha256_hex(const unsigned char *data, size_t len, char out[SHA256_HEX_BYTES])
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

/* Compares the compiled-in migrations with the database's record. Sets
 * *pending when some are missing; fails when they disagree. */
static edgeca_err
check_applied(PGconn *c, const struct edgeca_embedded_file *files, bool *pending,
              struct edgeca_msg *msg)
{
	PGresult *known = NULL, *exists = NULL;
	int max_known = 0, max_db = 0;
	edgeca_err rc;

	*pending = true;
	rc = db_exec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL AS present", NULL, 0,
	             &exists, "look for schema_migrations", msg);
	if (rc != EDGECA_OK || strcmp(db_get(exists, 0, "present"), "t") != 0)
		goto out;
	rc = db_exec(c, "SELECT version, name, sha256 FROM schema_migrations ORDER BY version",
	             NULL, 0, &known, "read schema_migrations", msg);
	if (rc != EDGECA_OK)
		goto out;
	*pending = false;
	for (const struct edgeca_embedded_file *f = files; f->name != NULL; f++) {
		char digest[SHA256_HEX_BYTES];
		int version = migration_version(f->name), row = -1;

		if (version < 0 || sha256_hex(f->data, f->len, digest) != 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                 "migration file %s is not named NNNN_name.sql", f->name);
			goto out;
		}
		max_known = version;
		for (int i = 0; i < PQntuples(known); i++)
			if (db_get_ll(known, i, "version") == version)
				row = i;
		if (row < 0) {
			*pending = true;
		} else if (strcmp(db_get(known, row, "sha256"), digest) != 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                 "migration %s was applied with a different text; applied "
			                 "migrations must never change", f->name);
			goto out;
		}
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
	PQclear(exists);
	return rc;
}

/* What the API server's role may do: read and write the tables, add audit
 * rows, read the migration record; nothing else. */
static edgeca_err
grant_app_role(PGconn *c, const char *role, struct edgeca_msg *msg)
{
	char *ident = PQescapeIdentifier(c, role, strlen(role)), *sql = NULL;
	PGresult *r = NULL;
	edgeca_err rc = EDGECA_OK;
	size_t need;

	if (ident == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "bad role name %s", role);
	need = 8 * strlen(ident) + 1024;
	sql = malloc(need);
	if (sql == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	snprintf(sql, need,
	         "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %s; "
	         "REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %s; "
	         "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM %s; "
	         "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %s",
	         ident, ident, ident, ident);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot grant rights to role %s: %s",
		                 role, PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
out:
	PQclear(r);
	free(sql);
	PQfreemem(ident);
	return rc;
}

edgeca_err
migrate_run(PGconn *c, const struct edgeca_embedded_file *files, const char *app_role,
            int *applied, struct edgeca_msg *msg)
{
	bool pending = true, locked = false;
	edgeca_err rc;

	*applied = 0;
	rc = check_applied(c, files, &pending, msg);
	if (rc != EDGECA_OK || !pending)
		goto grant;
	rc = db_exec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_ID ")", NULL, 0, NULL,
	             "migration lock", msg);
	if (rc != EDGECA_OK)
		goto out;
	locked = true;
	rc = db_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                " version integer PRIMARY KEY, name text NOT NULL,"
	                " sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
	             NULL, 0, NULL, "create schema_migrations", msg);
	if (rc != EDGECA_OK) {
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		            "the schema needs migrations and this database role may not apply them: "
		            "run `edgeca-server migrate` as the schema's owner");
		goto out;
	}
	/* Another server may have migrated while we waited for the lock. */
	for (const struct edgeca_embedded_file *f = files; f->name != NULL; f++) {
		struct db_param p[1] = {{f->name, 0, false}};
		PGresult *r = NULL;
		char digest[SHA256_HEX_BYTES];
		bool done;

		rc = db_exec(c, "SELECT 1 FROM schema_migrations WHERE name = $1", p, 1, &r,
		             "read schema_migrations", msg);
		done = rc == EDGECA_OK && PQntuples(r) > 0;
		PQclear(r);
		if (rc != EDGECA_OK)
			goto out;
		if (done)
			continue;
		if (sha256_hex(f->data, f->len, digest) != 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot hash %s", f->name);
			goto out;
		}
		rc = apply_one(c, f, migration_version(f->name), digest, msg);
		if (rc != EDGECA_OK)
			goto out;
		log_info("migrate_run: applied %s", f->name);
		(*applied)++;
	}
	rc = check_applied(c, files, &pending, msg);
grant:
	if (rc == EDGECA_OK && app_role != NULL && app_role[0] != '\0')
		rc = grant_app_role(c, app_role, msg);
out:
	if (locked)
		PQclear(PQexec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_ID ")"));
	return rc;
}
