/* What edgeca-server backup and restore share: child processes (tar,
 * pg_dump, pg_restore), private file copies, a staging directory, the
 * archive's names and the KEK's id. For server/admin_*.c only. */
#ifndef EDGECA_SERVER_ADMIN_FILES_H
#define EDGECA_SERVER_ADMIN_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define BACKUP_FORMAT "edgeca-backup 1"
#define BACKUP_MANIFEST "manifest.json"
#define BACKUP_DUMP "database.dump"
#define BACKUP_KEK "signer/kek"
#define KEK_BYTES 32
#define KEK_ID_BYTES 8
#define KEK_ID_HEX (2 * KEK_ID_BYTES + 1)
#define ADMIN_PATH_MAX 1024

/* Runs argv[0] (searched in PATH) with stdout on out_fd (-1: ours) and
 * waits for it. Returns 0 when it exits 0, -1 otherwise (logged). */
int admin_spawn(const char *const argv[], int out_fd);

/* Copies from to a new file to (mode, created exclusively); owner uid/gid
 * unless uid is (uid_t)-1. Returns 0 or -1 (logged). */
int admin_copy_file(const char *from, const char *to, mode_t mode, uid_t uid, gid_t gid);

/* mkdir -p of one level more: dir made with mode when missing, given to
 * uid/gid unless uid is (uid_t)-1. Returns 0 or -1 (logged). */
int admin_make_dir(const char *dir, mode_t mode, uid_t uid, gid_t gid);

/* A new private (0700) directory for an archive's contents, in TMPDIR or
 * /tmp; path receives its name. Returns 0 or -1. */
int admin_staging_new(char path[ADMIN_PATH_MAX]);
/* Removes dir and everything below it (NULL or "": nothing). */
void admin_tree_remove(const char *dir);

/* The KEK file's id as the signer computes it (HMAC-SHA-256(KEK, "edgeca-
 * signer kek id v1"), first 8 bytes, hex). Returns 0 or -1 (logged: the
 * file is not 32 bytes). */
int admin_kek_id(const char *kek_file, char id[KEK_ID_HEX]);

/* Calls fn for each regular file of dir whose name ends in suffix ("":
 * any), with its name; stops at the first that fails. A missing dir has
 * no files. Returns 0 or -1. */
int admin_each_file(const char *dir, const char *suffix, int (*fn)(const char *name, void *arg),
                    void *arg);

/* path_join: "a/b" into out; false when it does not fit. */
bool admin_path(char out[ADMIN_PATH_MAX], const char *a, const char *b);

#endif
