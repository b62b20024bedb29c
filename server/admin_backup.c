/* edgeca-server backup FILE: one archive (tar, gzip, mode 0600) of what an
 * instance needs to come back: a pg_dump of the database (one snapshot,
 * with the sealed key records), the signer's CRL number records and
 * signature log, the secrets key, the service TLS files and a manifest.
 * The KEK only with --with-kek. docs/backup.md. */
#include "server/admin.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/log.h"
#include "model/store/db.h"
#include "server/admin_files.h"

struct backup {
	const struct edgeca_config *cfg;
	char staging[ADMIN_PATH_MAX];
	json_t *j_files;   /* the archive's files, for the manifest */
	const char *from;  /* admin_each_file's directory ... */
	const char *under; /* ... and where its files go in the archive */
	unsigned n_crl_records;
};

static void
backup_usage(void)
{
	fprintf(stderr, "usage: edgeca-server backup FILE [--with-kek] [--signer-state DIR] "
	                "[--kek-file FILE]\n");
}

/* Copies one file into the archive's directory under, as name. */
static int
add_file(struct backup *b, const char *from, const char *under, const char *name)
{
	char rel[ADMIN_PATH_MAX], to[ADMIN_PATH_MAX];
	struct stat st;

	/* the file's mode, never more than 0644 (ca.pem is for everyone) */
	if (!admin_path(rel, under, name) || !admin_path(to, b->staging, rel) ||
	    stat(from, &st) != 0 ||
	    admin_copy_file(from, to, st.st_mode & 0644, (uid_t)-1, (gid_t)-1) != 0 ||
	    json_array_append_new(b->j_files, json_string(rel)) != 0)
		return -1;
	return 0;
}

static int
add_listed(const char *name, void *arg)
{
	struct backup *b = arg;
	char from[ADMIN_PATH_MAX];

	if (!admin_path(from, b->from, name) || add_file(b, from, b->under, name) != 0)
		return -1;
	if (strcmp(b->under, "signer/keys") == 0)
		b->n_crl_records++;
	return 0;
}

/* Every file of dir ending in suffix, into the archive's under. */
static int
add_dir(struct backup *b, const char *dir, const char *suffix, const char *under)
{
	char to[ADMIN_PATH_MAX];

	if (!admin_path(to, b->staging, under) || admin_make_dir(to, 0700, (uid_t)-1, (gid_t)-1) != 0)
		return -1;
	b->from = dir;
	b->under = under;
	return admin_each_file(dir, suffix, add_listed, b);
}

/* The schema's level and the KEK ids of the sealed records, read after the
 * dump: a restore checks its KEK against them before it changes anything
 * (records are only added, all under the one KEK of a deployment). */
static int
describe_database(const char *url, json_t *manifest)
{
	struct edgeca_msg msg = {0};
	PGconn *c = NULL;
	PGresult *level = NULL, *keks = NULL;
	json_t *ids = json_array();
	int rc = -1;

	if (ids == NULL || db_connect(url, &c, &msg) != EDGECA_OK ||
	    db_exec(c, "SELECT coalesce(max(version), 0) AS v FROM schema_migrations", NULL, 0,
	            &level, "read the schema level", &msg) != EDGECA_OK ||
	    db_exec(c, "SELECT DISTINCT encode(substring(record FROM 6 FOR 8), 'hex') AS id "
	               "FROM signer_keys ORDER BY 1", NULL, 0, &keks, "read the KEK ids", &msg) !=
	        EDGECA_OK) {
		log_error("backup: %s", msg.detail[0] ? msg.detail : "out of memory");
		goto out;
	}
	for (int i = 0; i < PQntuples(keks); i++)
		if (json_array_append_new(ids, json_string(db_get(keks, i, "id"))) != 0)
			goto out;
	/* json_object_set_new takes ids even when it fails */
	rc = json_object_set_new(manifest, "kek_ids", ids) ||
	             json_object_set_new(manifest, "schema_version",
	                                 json_integer(db_get_ll(level, 0, "v")))
	         ? -1
	         : 0;
	ids = NULL;
out:
	json_decref(ids);
	PQclear(level);
	PQclear(keks);
	PQfinish(c);
	return rc;
}

/* The signer's state that is not in the database, and the server's files. */
static int
add_state(struct backup *b, const char *signer_state, const char *kek_file)
{
	char keys[ADMIN_PATH_MAX], tls[ADMIN_PATH_MAX];

	if (!admin_path(keys, signer_state, "keys") || !admin_path(tls, b->cfg->data_dir, "tls") ||
	    add_dir(b, signer_state, "signatures.log", "signer") != 0 ||
	    add_dir(b, keys, ".crl", "signer/keys") != 0 || add_dir(b, tls, "", "tls") != 0)
		return -1;
	if (access(b->cfg->secrets_key_file, F_OK) == 0 &&
	    add_file(b, b->cfg->secrets_key_file, ".", "secrets.key") != 0)
		return -1;
	if (kek_file != NULL) {
		if (add_file(b, kek_file, "signer", "kek") != 0)
			return -1;
		fprintf(stderr, "\n*** WARNING: this backup holds the signer's KEK. With it, the "
		                "archive opens every CA key:\n*** keep it as you would keep the keys "
		                "themselves, never beside database backups.\n\n");
	}
	return 0;
}

/* Archives the staging directory into file (0600), which must not exist. */
static int
write_archive(const char *staging, const char *file)
{
	char partial[ADMIN_PATH_MAX];
	const char *tar[] = {"tar", "--create", "--gzip", "--file", "-", "--directory", staging,
	                     "--owner=0", "--group=0", "--numeric-owner", ".", NULL};
	int fd = -1, rc = -1;

	if (snprintf(partial, sizeof(partial), "%s.partial", file) >= (int)sizeof(partial))
		goto out;
	fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("backup: cannot create %s: %s", partial, strerror(errno));
		goto out;
	}
	if (admin_spawn(tar, fd) != 0 || fsync(fd) != 0)
		goto out;
	/* link, not rename: a file made meanwhile is never replaced */
	if (link(partial, file) != 0) {
		log_error("backup: cannot create %s: %s", file, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(partial);
	}
	return rc;
}

int
admin_backup(const struct edgeca_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{"with-kek", no_argument, NULL, 'k'},
		{"signer-state", required_argument, NULL, 's'},
		{"kek-file", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	struct backup b = {.cfg = cfg};
	char signer_state[ADMIN_PATH_MAX], dump[ADMIN_PATH_MAX], kek[ADMIN_PATH_MAX], now[32];
	const char *state_arg = NULL, *kek_arg = NULL, *file;
	bool with_kek = false;
	json_t *manifest = NULL;
	time_t t = time(NULL);
	struct tm tm;
	int opt, rc = 2;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': with_kek = true; break;
		case 's': state_arg = optarg; break;
		case 'f': kek_arg = optarg; break;
		default: backup_usage(); return 2;
		}
	}
	if (optind != argc - 1) {
		backup_usage();
		return 2;
	}
	file = argv[optind];
	rc = 1;
	if (state_arg != NULL)
		snprintf(signer_state, sizeof(signer_state), "%s", state_arg);
	else if (!admin_path(signer_state, cfg->data_dir, "signer"))
		goto out;
	if (kek_arg != NULL)
		snprintf(kek, sizeof(kek), "%s", kek_arg);
	else if (!admin_path(kek, signer_state, "kek"))
		goto out;
	if (access(file, F_OK) == 0) {
		log_error("backup: %s exists; name a new file", file);
		goto out;
	}
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	manifest = json_pack("{s:s, s:s, s:s, s:b}", "format", BACKUP_FORMAT, "created_at", now,
	                     "database", BACKUP_DUMP, "contains_kek", with_kek);
	b.j_files = json_array();
	if (manifest == NULL || b.j_files == NULL || admin_staging_new(b.staging) != 0 ||
	    !admin_path(dump, b.staging, BACKUP_DUMP))
		goto out;
	/* The signer's files before the dump: a CRL signed in between leaves
	 * the database's CRL number allocator ahead of the record, never
	 * behind it, so the restored signer accepts the next number. */
	if (add_state(&b, signer_state, with_kek ? kek : NULL) != 0)
		goto out;
	{
		/* custom format: one snapshot, restored by pg_restore; owners are
		 * left out (the restoring role owns the schema) */
		const char *pg_dump[] = {"pg_dump", "--format=custom", "--no-owner", "--file", dump,
		                         "--dbname", cfg->database_url, NULL};
		if (admin_spawn(pg_dump, -1) != 0)
			goto out;
	}
	if (describe_database(cfg->database_url, manifest) != 0 ||
	    json_object_set(manifest, "files", b.j_files) != 0 ||
	    json_object_set_new(manifest, "crl_number_records", json_integer(b.n_crl_records)) != 0)
		goto out;
	{
		char path[ADMIN_PATH_MAX];
		if (!admin_path(path, b.staging, BACKUP_MANIFEST) ||
		    json_dump_file(manifest, path, JSON_INDENT(2)) != 0 || write_archive(b.staging, file))
			goto out;
	}
	fprintf(stderr, "backup: %s: the database (schema %lld), %u CRL number record(s), %s\n", file,
	        (long long)json_integer_value(json_object_get(manifest, "schema_version")),
	        b.n_crl_records,
	        with_kek ? "and the KEK" : "without the KEK (keep the KEK apart: a restore needs it)");
	rc = 0;
out:
	if (rc == 1)
		log_error("backup: %s: not made", file);
	admin_tree_remove(b.staging);
	json_decref(b.j_files);
	json_decref(manifest);
	return rc;
}
