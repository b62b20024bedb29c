/* edgeca-server restore FILE: brings an archive of edgeca-server backup
 * back into an empty database and data directory. The KEK must be the one
 * the key records were sealed under: it is checked against the manifest
 * before anything is written, and against the restored records after. */
#include "server/admin.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/log.h"
#include "model/store/db.h"
#include "server/admin_files.h"

struct restore {
	char staging[ADMIN_PATH_MAX];
	char kek_id[KEK_ID_HEX];
	uid_t uid; /* the signer's user, (uid_t)-1: ours */
	gid_t gid;
	const char *from; /* admin_each_file's directory ... */
	const char *to;   /* ... and where its files go */
	mode_t mode;      /* 0: the archive's own */
	unsigned n_files;
};

static void
restore_usage(void)
{
	fprintf(stderr, "usage: edgeca-server restore FILE [--kek FILE | --kek-file FILE] "
	                "[--signer-state DIR] [--signer-user USER]\n"
	                "--kek copies the KEK into the signer's state directory; --kek-file "
	                "checks the one the signer is started with (--kek-file); neither: the "
	                "backup's own (made with --with-kek).\n");
}

/* The database must have no schema yet: a restore never merges. */
static int
database_empty(const char *url)
{
	struct edgeca_msg msg = {0};
	PGconn *c = NULL;
	PGresult *r = NULL;
	int rc = -1;

	if (db_connect(url, &c, &msg) != EDGECA_OK ||
	    db_exec(c, "SELECT to_regclass('schema_migrations') IS NULL AS empty", NULL, 0, &r,
	            "look for a schema", &msg) != EDGECA_OK) {
		log_error("restore: %s", msg.detail);
		goto out;
	}
	if (strcmp(db_get(r, 0, "empty"), "t") != 0) {
		log_error("restore: the database already holds an edgeca schema; restore into a new, "
		          "empty database");
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* Every KEK id the restored records carry must be ours. */
static int
records_match(const char *url, const char *kek_id)
{
	struct edgeca_msg msg = {0};
	PGconn *c = NULL;
	PGresult *r = NULL;
	int rc = -1;

	if (db_connect(url, &c, &msg) != EDGECA_OK ||
	    db_exec(c, "SELECT key_id, encode(substring(record FROM 6 FOR 8), 'hex') AS kek "
	               "FROM signer_keys", NULL, 0, &r, "read the key records", &msg) != EDGECA_OK) {
		log_error("restore: %s", msg.detail);
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		if (strcmp(db_get(r, i, "kek"), kek_id) != 0) {
			log_error("restore: the record of key %s was sealed under KEK %s, not under the "
			          "given KEK %s: its signer cannot open it", db_get(r, i, "key_id"),
			          db_get(r, i, "kek"), kek_id);
			goto out;
		}
	}
	rc = 0;
out:
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* Reads the manifest and checks the KEK against the ids it lists. */
static int
manifest_check(const struct restore *r)
{
	char path[ADMIN_PATH_MAX];
	json_error_t err;
	json_t *m = NULL, *id;
	const char *format;
	size_t i;
	int rc = -1;

	if (!admin_path(path, r->staging, BACKUP_MANIFEST) ||
	    (m = json_load_file(path, 0, &err)) == NULL) {
		log_error("restore: the archive has no readable %s: not an edgeca backup",
		          BACKUP_MANIFEST);
		goto out;
	}
	format = json_string_value(json_object_get(m, "format"));
	if (format == NULL || strcmp(format, BACKUP_FORMAT) != 0) {
		log_error("restore: the archive's format is \"%s\", not \"%s\"",
		          format ? format : "(none)", BACKUP_FORMAT);
		goto out;
	}
	json_array_foreach(json_object_get(m, "kek_ids"), i, id) {
		if (!json_is_string(id) || strcmp(json_string_value(id), r->kek_id) != 0) {
			log_error("restore: the KEK given has id %s, but the backup's key records were "
			          "sealed under KEK %s: give the KEK of the instance that was backed up "
			          "(its signer logs its KEK id at start); nothing was restored",
			          r->kek_id, json_is_string(id) ? json_string_value(id) : "?");
			goto out;
		}
	}
	log_info("restore: %s made %s, schema %lld", BACKUP_MANIFEST,
	         json_string_value(json_object_get(m, "created_at")),
	         (long long)json_integer_value(json_object_get(m, "schema_version")));
	rc = 0;
out:
	json_decref(m);
	return rc;
}

static int
put_listed(const char *name, void *arg)
{
	struct restore *r = arg;
	char from[ADMIN_PATH_MAX], to[ADMIN_PATH_MAX];
	struct stat st;

	if (!admin_path(from, r->from, name) || !admin_path(to, r->to, name) ||
	    stat(from, &st) != 0 ||
	    admin_copy_file(from, to, r->mode ? r->mode : (st.st_mode & 0644), r->uid, r->gid) != 0)
		return -1;
	r->n_files++;
	return 0;
}

/* The archive's files under `under` ending in suffix, into dir (made with
 * dir_mode). Files get mode (0: the archive's, never more than 0644). */
static int
put_dir(struct restore *r, const char *under, const char *suffix, const char *dir,
        mode_t dir_mode, mode_t mode)
{
	char from[ADMIN_PATH_MAX];

	if (!admin_path(from, r->staging, under) || admin_make_dir(dir, dir_mode, r->uid, r->gid))
		return -1;
	r->from = from;
	r->to = dir;
	r->mode = mode;
	return admin_each_file(from, suffix, put_listed, r);
}

/* The files: the signer's (its user's, 0600), the secrets key, the TLS
 * files; and the KEK when it is to be copied. */
static int
put_files(struct restore *r, const struct edgeca_config *cfg, const char *state,
          const char *kek_copy)
{
	char keys[ADMIN_PATH_MAX], tls[ADMIN_PATH_MAX], from[ADMIN_PATH_MAX], to[ADMIN_PATH_MAX];
	uid_t uid = r->uid;

	if (!admin_path(keys, state, "keys") || !admin_path(tls, cfg->data_dir, "tls") ||
	    put_dir(r, "signer", "signatures.log", state, 0700, 0600) != 0 ||
	    put_dir(r, "signer/keys", ".crl", keys, 0700, 0600) != 0)
		return -1;
	if (kek_copy != NULL &&
	    (!admin_path(to, state, "kek") || admin_copy_file(kek_copy, to, 0600, r->uid, r->gid)))
		return -1;
	/* the server's files stay ours: scripts/run and the packaged units give
	 * them to the server's user */
	r->uid = (uid_t)-1;
	if (put_dir(r, "tls", "", tls, 0755, 0) != 0 || !admin_path(from, r->staging, "secrets.key") ||
	    (access(from, F_OK) == 0 &&
	     admin_copy_file(from, cfg->secrets_key_file, 0600, (uid_t)-1, (gid_t)-1) != 0)) {
		r->uid = uid;
		return -1;
	}
	r->uid = uid;
	return 0;
}

static int
count_one(const char *name, void *arg)
{
	(void)name;
	(*(unsigned *)arg)++;
	return 0;
}

/* The target's signer state must hold no CRL number record (and no KEK
 * when one is copied in), and no secrets key may exist yet. */
static int
target_empty(const struct edgeca_config *cfg, const char *state, bool kek_copied)
{
	char keys[ADMIN_PATH_MAX], kek[ADMIN_PATH_MAX];
	unsigned n = 0;

	if (!admin_path(keys, state, "keys") || !admin_path(kek, state, "kek") ||
	    admin_each_file(keys, ".crl", count_one, &n) != 0)
		return -1;
	if (n > 0 || (kek_copied && access(kek, F_OK) == 0)) {
		log_error("restore: %s holds a signer's state already; restore into an empty data "
		          "directory", state);
		return -1;
	}
	if (access(cfg->secrets_key_file, F_OK) == 0) {
		log_error("restore: %s exists already; restore into an empty data directory",
		          cfg->secrets_key_file);
		return -1;
	}
	return 0;
}

int
admin_restore(const struct edgeca_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{"kek", required_argument, NULL, 'k'},
		{"kek-file", required_argument, NULL, 'f'},
		{"signer-state", required_argument, NULL, 's'},
		{"signer-user", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	struct restore r = {.uid = (uid_t)-1, .gid = (gid_t)-1};
	char state[ADMIN_PATH_MAX], dump[ADMIN_PATH_MAX], in_archive[ADMIN_PATH_MAX];
	const char *kek = NULL, *kek_file = NULL, *state_arg = NULL, *user = NULL, *file;
	const char *kek_copy;
	int opt, rc = 2;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': kek = optarg; break;
		case 'f': kek_file = optarg; break;
		case 's': state_arg = optarg; break;
		case 'u': user = optarg; break;
		default: restore_usage(); return 2;
		}
	}
	if (optind != argc - 1 || (kek != NULL && kek_file != NULL)) {
		restore_usage();
		return 2;
	}
	file = argv[optind];
	rc = 1;
	if (user != NULL) {
		struct passwd *pw = getpwnam(user);
		if (pw == NULL) {
			log_error("restore: no user %s", user);
			goto out;
		}
		r.uid = pw->pw_uid;
		r.gid = pw->pw_gid;
	}
	if (state_arg != NULL)
		snprintf(state, sizeof(state), "%s", state_arg);
	else if (!admin_path(state, cfg->data_dir, "signer"))
		goto out;
	if (access(file, R_OK) != 0) {
		log_error("restore: %s: %s", file, strerror(errno));
		goto out;
	}
	if (admin_staging_new(r.staging) != 0 || !admin_path(dump, r.staging, BACKUP_DUMP) ||
	    !admin_path(in_archive, r.staging, BACKUP_KEK))
		goto out;
	{
		const char *tar[] = {"tar", "--extract", "--gzip", "--file", file, "--directory",
		                     r.staging, "--no-same-owner", NULL};
		if (admin_spawn(tar, -1) != 0)
			goto out;
	}
	/* the KEK: the operator's copy, else the archive's (--with-kek) */
	if (kek == NULL && kek_file == NULL && access(in_archive, F_OK) == 0)
		kek = in_archive;
	if (kek == NULL && kek_file == NULL) {
		log_error("restore: the backup does not hold the KEK (as it should not): give the "
		          "instance's KEK with --kek FILE (copied into the signer's state) or "
		          "--kek-file FILE (where the signer reads it)");
		rc = 2;
		goto out;
	}
	kek_copy = kek;
	if (admin_kek_id(kek != NULL ? kek : kek_file, r.kek_id) != 0 || manifest_check(&r) != 0 ||
	    target_empty(cfg, state, kek_copy != NULL) != 0 || database_empty(cfg->database_url) != 0)
		goto out;
	{
		/* rights come from `edgeca-server migrate` with EDGECA_DB_APP_ROLE,
		 * whatever the server's role is called here */
		const char *pg_restore[] = {"pg_restore", "--no-owner", "--no-privileges",
		                            "--exit-on-error", "--single-transaction", "--dbname",
		                            cfg->database_url, dump, NULL};
		if (admin_spawn(pg_restore, -1) != 0) {
			log_error("restore: pg_restore failed; nothing of the database was restored");
			goto out;
		}
	}
	if (records_match(cfg->database_url, r.kek_id) != 0) {
		log_error("restore: the database was restored but its key records do not match the "
		          "KEK: drop it before trying again");
		goto out;
	}
	if (put_files(&r, cfg, state, kek_copy) != 0) {
		log_error("restore: the database was restored, the files were not all written");
		goto out;
	}
	fprintf(stderr, "restore: %s: the database and %u file(s) restored; KEK id %s%s\n", file,
	        r.n_files, r.kek_id, kek_copy != NULL ? " (copied into the signer's state)" : "");
	rc = 0;
out:
	if (rc == 1)
		log_error("restore: %s: not restored", file);
	admin_tree_remove(r.staging);
	return rc;
}
