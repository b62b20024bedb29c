/* The configuration file, /etc/edgeca/edgeca.conf: KEY=VALUE lines with the
 * names of the EDGECA_* environment variables, read by the systemd units
 * (EnvironmentFile=) and by edgeca-server itself when EDGECA_CONFIG names
 * it. The environment wins over the file. Used by server/main.c only. */
#ifndef EDGECA_SERVER_CONFIG_FILE_H
#define EDGECA_SERVER_CONFIG_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "common/error.h"

#define CONFIG_FILE_DEFAULT "/etc/edgeca/edgeca.conf"

/* One KEY=VALUE line of the file. */
struct config_entry {
	char *name;
	char *value; /* without the quotes that may enclose it */
	unsigned line;
};

struct config_file {
	char *path;
	struct config_entry *entries; /* the lines that are well formed, in file order */
	size_t n_entries;
	unsigned n_problems; /* lines refused (reported to the read's output) */
};

/* Reads path. Each refused line (not NAME=VALUE, an unknown name, a name
 * given twice) is written to problems, when not NULL, as
 * "PATH:LINE: what is wrong", and counted in n_problems; the others are
 * kept. Returns: EDGECA_OK; EDGECA_ERR_UNAVAILABLE (cannot read the file)
 * with msg set. Ownership: *out is the caller's (config_file_free). */
edgeca_err config_file_read(const char *path, FILE *problems, struct config_file **out,
                            struct edgeca_msg *msg);
void config_file_free(struct config_file *f);

/* Checks the file's values as config_load would read them, the file alone
 * (not the environment): every value refused is written to out as
 * "PATH:LINE: what is wrong" and counted, with the lines config_file_read
 * refused. Returns the number of problems. */
unsigned config_file_check(const struct config_file *f, FILE *out);

/* When EDGECA_CONFIG names a file, puts its settings into the environment,
 * each unless the environment sets that name already. Returns: EDGECA_OK
 * (also without EDGECA_CONFIG); EDGECA_ERR_UNAVAILABLE (unreadable),
 * EDGECA_ERR_INVALID (a refused line, its problems written to stderr),
 * with msg set. Call before any thread starts (setenv). */
edgeca_err config_file_apply_env(struct edgeca_msg *msg);

/* edgeca-server check-config [FILE]: FILE, else EDGECA_CONFIG, else
 * CONFIG_FILE_DEFAULT. Returns the exit status: 0 (no problem), 1 (some,
 * on stdout), 2 (usage, or the file cannot be read). */
int config_check_command(int argc, char **argv);

#endif
