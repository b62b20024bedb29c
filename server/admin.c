/* edgeca-server token list|delete and ca list: reads and changes through
 * the model, as the API would, with the command line's principal ("cli",
 * pki_admin, every CA). Text for people by default, --json for scripts. */
#include "server/admin.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/log.h"
#include "model/auth/token.h"
#include "model/ca/ca.h"
#include "server/context.h"

#define ADMIN_PAGE 500

static const struct principal admin_cli = {.role = ROLE_PKI_ADMIN, .actor = "cli"};

static void
admin_usage(void)
{
	fprintf(stderr, "usage: edgeca-server token list [--json]\n"
	                "       edgeca-server token delete ID\n"
	                "       edgeca-server ca list [--json]\n"
	                "       edgeca-server backup FILE [--with-kek] [--signer-state DIR]\n"
	                "       edgeca-server restore FILE [--kek FILE | --kek-file FILE] "
	                "[--signer-state DIR] [--signer-user USER]\n");
}

/* UTC, ISO 8601; "-" for 0 (never, none). */
static const char *
iso_time(time_t t, char out[32])
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "-");
	return out;
}

/* A time in a JSON object: null for 0. */
static json_t *
j_time(time_t t)
{
	char s[32];

	return t == 0 ? json_null() : json_string(iso_time(t, s));
}

/* Prints j (NULL: it could not be made) on stdout; steals j. */
static int
print_json(json_t *j)
{
	int rc = 1;

	if (j != NULL && json_dumpf(j, stdout, JSON_INDENT(2)) == 0 && putchar('\n') != EOF)
		rc = 0;
	else
		log_error("admin: cannot write the JSON answer");
	json_decref(j);
	return rc;
}

/* "--json" alone, or nothing. Returns -1 for anything else. */
static int
json_flag(int argc, char **argv)
{
	if (argc == 0)
		return 0;
	if (argc == 1 && strcmp(argv[0], "--json") == 0)
		return 1;
	return -1;
}

static json_t *
j_token(const struct token_info *t)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s?}", "id", t->id, "name", t->name,
	                      "role", role_name(t->role), "created_at", j_time(t->created_at),
	                      "expires_at", j_time(t->expires_at), "created_by", t->created_by,
	                      "email", t->email[0] != '\0' ? t->email : NULL);
	json_t *cas = t->scope.limited ? json_array() : json_null();

	for (size_t i = 0; t->scope.limited && cas != NULL && i < t->scope.n; i++)
		json_array_append_new(cas, json_string(t->scope.ids[i]));
	if (j == NULL || cas == NULL || json_object_set_new(j, "ca_ids", cas) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static void
print_token(const struct token_info *t)
{
	char created[32], expires[32], scope[16];

	if (t->scope.limited)
		snprintf(scope, sizeof(scope), "%zu CA(s)", t->scope.n);
	else
		snprintf(scope, sizeof(scope), "all");
	printf("%-36s  %-24s  %-10s  %-9s  %-20s  %-20s  %s\n", t->id, t->name, role_name(t->role),
	       scope, iso_time(t->created_at, created), iso_time(t->expires_at, expires),
	       t->created_by);
	for (size_t i = 0; t->scope.limited && i < t->scope.n; i++)
		printf("%-36s    ca %s\n", "", t->scope.ids[i]);
}

/* Every token, page by page; never a secret (the database has only its
 * digest). */
static int
token_list_cmd(struct edgeca_ctx *ctx, bool as_json)
{
	struct token_list page = {0};
	struct edgeca_msg msg = {0};
	char cursor[CURSOR_MAX] = "";
	json_t *all = as_json ? json_array() : NULL;
	int rc = 1;

	if (as_json && all == NULL)
		goto out;
	if (!as_json)
		printf("%-36s  %-24s  %-10s  %-9s  %-20s  %-20s  %s\n", "ID", "NAME", "ROLE", "CAS",
		       "CREATED", "EXPIRES", "CREATED BY");
	do {
		token_list_free(&page);
		if (token_list(ctx, ADMIN_PAGE, cursor[0] ? cursor : NULL, &page, &msg) != EDGECA_OK) {
			log_error("token list: %s", msg.detail);
			goto out;
		}
		for (size_t i = 0; i < page.n; i++) {
			if (!as_json)
				print_token(&page.items[i]);
			else if (json_array_append_new(all, j_token(&page.items[i])) != 0)
				goto out;
		}
		snprintf(cursor, sizeof(cursor), "%s", page.next_cursor);
	} while (cursor[0] != '\0');
	rc = as_json ? print_json(all) : 0;
	all = NULL;
out:
	json_decref(all);
	token_list_free(&page);
	return rc;
}

static int
token_delete_cmd(struct edgeca_ctx *ctx, const char *id)
{
	struct edgeca_msg msg = {0};
	struct token_info t;

	/* read first: the message names the token that is gone */
	if (token_get(ctx, id, &t, &msg) != EDGECA_OK ||
	    token_delete(ctx, &admin_cli, id, &msg) != EDGECA_OK) {
		log_error("token delete: token=%s: %s", id, msg.detail);
		return 1;
	}
	fprintf(stderr, "token %s (%s, %s) deleted\n", t.id, t.name, role_name(t.role));
	return 0;
}

static json_t *
j_ca(const struct ca *ca)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", ca->id, "common_name",
	                      ca->common_name, "friendly_name",
	                      ca->friendly_name ? ca->friendly_name : "", "kind",
	                      ca_kind_name(ca->kind), "status", ca_status_name(ca->status),
	                      "created_at", j_time(ca->created_at));
	json_t *locs = json_array();

	for (size_t i = 0; j != NULL && locs != NULL && i < ca->n_locations; i++) {
		const struct ca_location *l = &ca->locations[i];
		if (json_array_append_new(
		        locs, json_pack("{s:s, s:s, s:s, s:o}", "name", l->name, "status",
		                        ca_location_status_name(l->status), "serial", l->serial,
		                        "not_after", j_time(l->not_after))) != 0) {
			json_decref(locs);
			locs = NULL;
		}
	}
	if (j == NULL || locs == NULL || json_object_set_new(j, "locations", locs) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static void
print_ca(const struct ca *ca)
{
	char na[32];

	printf("%-36s  %-32s  %-11s  %s\n", ca->id, ca->common_name, ca_kind_name(ca->kind),
	       ca_status_name(ca->status));
	for (size_t i = 0; i < ca->n_locations; i++) {
		const struct ca_location *l = &ca->locations[i];
		printf("%-36s    location %-16s  %-17s  not after %s\n", "", l->name,
		       ca_location_status_name(l->status), iso_time(l->not_after, na));
	}
}

static int
ca_list_cmd(struct edgeca_ctx *ctx, bool as_json)
{
	struct ca_list page = {0};
	struct edgeca_msg msg = {0};
	char cursor[CURSOR_MAX] = "";
	json_t *all = as_json ? json_array() : NULL;
	int rc = 1;

	if (as_json && all == NULL)
		goto out;
	if (!as_json)
		printf("%-36s  %-32s  %-11s  %s\n", "ID", "COMMON NAME", "KIND", "STATUS");
	do {
		ca_list_free(&page);
		if (ca_list(ctx, &admin_cli, ADMIN_PAGE, cursor[0] ? cursor : NULL, &page, &msg) !=
		    EDGECA_OK) {
			log_error("ca list: %s", msg.detail);
			goto out;
		}
		for (size_t i = 0; i < page.n; i++) {
			if (!as_json)
				print_ca(page.items[i]);
			else if (json_array_append_new(all, j_ca(page.items[i])) != 0)
				goto out;
		}
		snprintf(cursor, sizeof(cursor), "%s", page.next_cursor);
	} while (cursor[0] != '\0');
	rc = as_json ? print_json(all) : 0;
	all = NULL;
out:
	json_decref(all);
	ca_list_free(&page);
	return rc;
}

bool
admin_handles(int argc, char **argv)
{
	if (argc < 2)
		return false;
	if (strcmp(argv[1], "backup") == 0 || strcmp(argv[1], "restore") == 0)
		return true;
	return argc > 2 && ((strcmp(argv[1], "token") == 0 && strcmp(argv[2], "create") != 0) ||
	                    strcmp(argv[1], "ca") == 0);
}

int
admin_run(const struct edgeca_config *cfg, int argc, char **argv)
{
	struct edgeca_msg msg = {0};
	struct edgeca_ctx ctx;
	const char *what = argv[1], *verb = argc > 2 ? argv[2] : "";
	int flag = json_flag(argc - 3, argv + 3), rc = 2;

	if (strcmp(what, "backup") == 0)
		return admin_backup(cfg, argc - 1, argv + 1);
	if (strcmp(what, "restore") == 0)
		return admin_restore(cfg, argc - 1, argv + 1);
	if (!(strcmp(verb, "list") == 0 && flag >= 0) &&
	    !(strcmp(what, "token") == 0 && strcmp(verb, "delete") == 0 && argc == 4)) {
		admin_usage();
		return 2;
	}
	if (ctx_open(&ctx, cfg, &msg) != EDGECA_OK) {
		log_error("%s %s: %s", what, verb, msg.detail);
		return 1;
	}
	if (strcmp(what, "ca") == 0)
		rc = ca_list_cmd(&ctx, flag == 1);
	else if (strcmp(verb, "list") == 0)
		rc = token_list_cmd(&ctx, flag == 1);
	else
		rc = token_delete_cmd(&ctx, argv[3]);
	ctx_close(&ctx);
	return rc;
}
