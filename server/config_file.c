#include "server/config_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

/* Names the file may hold that config_load does not read: the packaged
 * signer's extra options (packaging/edgeca-signer.service) and what
 * scripts/run gives the signer or uses itself. */
static const char *const other_vars[] = {
	"EDGECA_SIGNER_OPTIONS", "EDGECA_SIGNER_KEK_FILE",   "EDGECA_KEY_STORE",
	"EDGECA_PKCS11_MODULE",  "EDGECA_PKCS11_TOKEN_LABEL", "EDGECA_PKCS11_PIN_FILE",
	"EDGECA_PG_PEER_USERS",  "EDGECA_ADMIN_EMAIL",        "EDGECA_BUILD_DIR",
	"EDGECA_SKIP_BUILD",
};

static bool
name_known(const char *name)
{
	if (config_var_known(name))
		return true;
	for (size_t i = 0; i < sizeof(other_vars) / sizeof(other_vars[0]); i++)
		if (strcmp(other_vars[i], name) == 0)
			return true;
	return false;
}

/* A variable's name: upper-case letters, digits and '_', not a digit first. */
static bool
name_valid(const char *s)
{
	if (*s == '\0' || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* s without leading and trailing blanks (in place). */
static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

void
config_file_free(struct config_file *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n_entries; i++) {
		free(f->entries[i].name);
		free(f->entries[i].value);
	}
	free(f->entries);
	free(f->path);
	free(f);
}

static const struct config_entry *
entry_named(const struct config_file *f, const char *name)
{
	for (size_t i = 0; i < f->n_entries; i++)
		if (strcmp(f->entries[i].name, name) == 0)
			return &f->entries[i];
	return NULL;
}

static void
problem(struct config_file *f, FILE *out, unsigned line, const char *what, const char *name)
{
	f->n_problems++;
	if (out != NULL)
		fprintf(out, "%s:%u: %s%s\n", f->path, line, name ? name : "", what);
}

/* One line: kept as an entry, refused (counted, reported) or skipped
 * (blank, comment). Returns -1 when out of memory only. */
static int
parse_line(struct config_file *f, char *text, unsigned line, FILE *out)
{
	char *s = trim(text), *eq, *name, *value;
	size_t n;
	const struct config_entry *seen;
	struct config_entry *grown;

	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if ((eq = strchr(s, '=')) == NULL) {
		problem(f, out, line, "not NAME=VALUE", NULL);
		return 0;
	}
	*eq = '\0';
	name = trim(s);
	value = trim(eq + 1);
	n = strlen(value);
	if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0]) {
		value[n - 1] = '\0';
		value++;
	}
	if (!name_valid(name))
		problem(f, out, line, ": not a variable name (NAME=VALUE)", name);
	else if (!name_known(name))
		problem(f, out, line, ": unknown setting", name);
	else if (strpbrk(value, "\"'\\") != NULL)
		problem(f, out, line, ": quotes may only enclose the whole value, and no backslashes",
		        name);
	else if ((seen = entry_named(f, name)) != NULL) {
		char what[64];
		snprintf(what, sizeof(what), ": set already on line %u", seen->line);
		problem(f, out, line, what, name);
	} else {
		grown = realloc(f->entries, (f->n_entries + 1) * sizeof(*grown));
		if (grown == NULL)
			return -1;
		f->entries = grown;
		grown = &f->entries[f->n_entries];
		grown->name = strdup(name);
		grown->value = strdup(value);
		grown->line = line;
		f->n_entries++;
		if (grown->name == NULL || grown->value == NULL)
			return -1;
	}
	return 0;
}

edgeca_err
config_file_read(const char *path, FILE *problems, struct config_file **out,
                 struct edgeca_msg *msg)
{
	struct config_file *f = NULL;
	FILE *in = NULL;
	char *text = NULL;
	size_t cap = 0;
	unsigned line = 0;
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	*out = NULL;
	if ((in = fopen(path, "re")) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL, "cannot read %s: %s", path,
		                 strerror(errno));
		goto out;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->path = strdup(path)) == NULL)
		goto nomem;
	errno = 0;
	while (getline(&text, &cap, in) >= 0)
		if (parse_line(f, text, ++line, problems) != 0)
			goto nomem;
	if (ferror(in)) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL, "cannot read %s: %s", path,
		                 strerror(errno));
		goto out;
	}
	*out = f;
	f = NULL;
	rc = EDGECA_OK;
	goto out;
nomem:
	rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
out:
	free(text);
	if (in != NULL)
		fclose(in);
	config_file_free(f);
	return rc;
}

/* What config_load sees during config_file_check: the file's entries but
 * those already found wrong. A getenv function takes no context, hence
 * these; check-config runs once, on one thread. */
static const struct config_file *checked_file;
static const bool *checked_masked;

static const char *
file_getenv(const char *name)
{
	for (size_t i = 0; i < checked_file->n_entries; i++)
		if (!checked_masked[i] && strcmp(checked_file->entries[i].name, name) == 0)
			return checked_file->entries[i].value;
	return NULL;
}

/* The unmasked entry whose name comes first in a refusal's text, or -1. */
static long
entry_blamed(const struct config_file *f, const bool *masked, const char *detail)
{
	const char *first = NULL;
	long blamed = -1;

	for (size_t i = 0; i < f->n_entries; i++) {
		size_t n = strlen(f->entries[i].name);
		for (const char *p = detail; !masked[i] && (p = strstr(p, f->entries[i].name)) != NULL;
		     p += n) {
			char after = p[n];
			if (isupper((unsigned char)after) || isdigit((unsigned char)after) || after == '_')
				continue;
			if (first == NULL || p < first) {
				first = p;
				blamed = (long)i;
			}
			break;
		}
	}
	return blamed;
}

unsigned
config_file_check(const struct config_file *f, FILE *out)
{
	struct edgeca_config cfg;
	struct edgeca_msg msg = {0};
	unsigned problems = f->n_problems;
	bool *masked = calloc(f->n_entries + 1, sizeof(bool));

	if (masked == NULL) {
		fprintf(out, "%s: out of memory\n", f->path);
		return problems + 1;
	}
	checked_file = f;
	checked_masked = masked;
	/* config_load stops at the first refusal: the line it names is set
	 * aside and the rest loaded again, until all pass */
	for (;;) {
		long i;
		edgeca_msg_clear(&msg);
		if (config_load(&cfg, file_getenv, &msg) == EDGECA_OK) {
			config_free(&cfg);
			break;
		}
		problems++;
		if ((i = entry_blamed(f, masked, msg.detail)) < 0) {
			fprintf(out, "%s: %s\n", f->path, msg.detail);
			break;
		}
		fprintf(out, "%s:%u: %s\n", f->path, f->entries[i].line, msg.detail);
		masked[i] = true;
	}
	checked_file = NULL;
	checked_masked = NULL;
	free(masked);
	return problems;
}

edgeca_err
config_file_apply_env(struct edgeca_msg *msg)
{
	const char *path = getenv("EDGECA_CONFIG");
	struct config_file *f = NULL;
	edgeca_err rc;

	if (path == NULL || path[0] == '\0')
		return EDGECA_OK;
	if ((rc = config_file_read(path, stderr, &f, msg)) != EDGECA_OK)
		return rc;
	if (f->n_problems > 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-configuration",
		                 "%s: %u line(s) refused (edgeca-server check-config names them)", path,
		                 f->n_problems);
		goto out;
	}
	for (size_t i = 0; i < f->n_entries; i++) {
		const char *env = getenv(f->entries[i].name);
		/* an empty variable counts as unset, as config_load reads it */
		if ((env == NULL || env[0] == '\0') &&
		    setenv(f->entries[i].name, f->entries[i].value, 1) != 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot set %s",
			                 f->entries[i].name);
			goto out;
		}
	}
	rc = EDGECA_OK;
out:
	config_file_free(f);
	return rc;
}

int
config_check_command(int argc, char **argv)
{
	const char *path = argc > 2 ? argv[2] : getenv("EDGECA_CONFIG");
	struct edgeca_msg msg = {0};
	struct config_file *f = NULL;
	unsigned problems;

	if (argc > 3) {
		fprintf(stderr, "usage: edgeca-server check-config [FILE]\n");
		return 2;
	}
	if (path == NULL || path[0] == '\0')
		path = CONFIG_FILE_DEFAULT;
	if (config_file_read(path, stdout, &f, &msg) != EDGECA_OK) {
		fprintf(stderr, "edgeca-server: check-config: %s\n", msg.detail);
		return 2;
	}
	problems = config_file_check(f, stdout);
	if (problems == 0)
		printf("%s: no problem found (%zu setting(s))\n", path, f->n_entries);
	else
		printf("%s: %u problem(s)\n", path, problems);
	config_file_free(f);
	return problems == 0 ? 0 : 1;
}
