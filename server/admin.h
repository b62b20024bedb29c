/* edgeca-server's administration commands, which work on the database
 * directly (EDGECA_DATABASE_URL), without the API or its tokens: for the
 * day the admin token is lost, and for backups. Called by main() only.
 *   token list [--json] | token delete ID | ca list [--json]
 *   backup FILE [--with-kek] | restore FILE [--kek FILE | --kek-file FILE] */
#ifndef EDGECA_SERVER_ADMIN_H
#define EDGECA_SERVER_ADMIN_H

#include <stdbool.h>

#include "server/config.h"

/* Whether argv (as main() got it) names one of these commands. */
bool admin_handles(int argc, char **argv);
/* Runs it; returns the process's exit status (0, 1 failed, 2 usage). */
int admin_run(const struct edgeca_config *cfg, int argc, char **argv);

/* The backup and restore commands (server/admin_backup.c); argv starts at
 * the command's name. */
int admin_backup(const struct edgeca_config *cfg, int argc, char **argv);
int admin_restore(const struct edgeca_config *cfg, int argc, char **argv);

#endif
