#include "model/auth/token_scope.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/encoding.h"
#include "model/store/db.h"

edgeca_err
token_scope_from_ids(const char *const *ids, size_t n, struct ca_scope *out,
                     struct edgeca_msg *msg)
{
	memset(out, 0, sizeof(*out));
	if (ids == NULL)
		return EDGECA_OK;
	if (n == 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "ca_ids must name at least one CA: a token limited to no CA "
		                   "could do nothing (null or no ca_ids: every CA)");
	if (n > TOKEN_CA_IDS_MAX)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "ca_ids names more than %d CAs", TOKEN_CA_IDS_MAX);
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == NULL || !uuid_valid(ids[i]))
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "ca_ids: \"%.64s\" is not a CA id (a UUID)",
			                   ids[i] ? ids[i] : "");
		for (size_t k = 0; k < 36; k++)
			out->ids[i][k] = (char)tolower((unsigned char)ids[i][k]);
		out->ids[i][36] = '\0';
		for (size_t k = 0; k < i; k++)
			if (strcmp(out->ids[k], out->ids[i]) == 0)
				return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
				                   "ca_ids lists CA %s twice", out->ids[i]);
	}
	out->limited = true;
	out->n = n;
	return EDGECA_OK;
}

bool
token_scope_allows(const struct ca_scope *s, const char *ca_id)
{
	if (!s->limited)
		return true;
	if (ca_id == NULL || !uuid_valid(ca_id))
		return false;
	for (size_t i = 0; i < s->n && i < TOKEN_CA_IDS_MAX; i++)
		if (strcasecmp(s->ids[i], ca_id) == 0)
			return true;
	return false;
}

edgeca_err
token_scope_sql(const struct ca_scope *s, char **out, struct edgeca_msg *msg)
{
	const char *items[TOKEN_CA_IDS_MAX];

	*out = NULL;
	if (!s->limited)
		return EDGECA_OK;
	for (size_t i = 0; i < s->n; i++)
		items[i] = s->ids[i];
	/* limited to none: "{}", which matches nothing */
	if ((*out = db_text_array_literal(items, s->n)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	return EDGECA_OK;
}

int
token_scope_from_row(const PGresult *r, int i, struct ca_scope *s)
{
	const char *scoped = db_get(r, i, "ca_scoped"), *p = db_get(r, i, "ca_ids");

	memset(s, 0, sizeof(*s));
	if (scoped == NULL)
		return -1;
	/* a flag that is not plainly false limits the token: fail closed */
	s->limited = strcmp(scoped, "f") != 0;
	if (!s->limited || p == NULL)
		return 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (s->n == TOKEN_CA_IDS_MAX || len != 36)
			return -1;
		memcpy(s->ids[s->n], p, 36);
		s->ids[s->n][36] = '\0';
		if (!uuid_valid(s->ids[s->n++]))
			return -1;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

edgeca_err
token_scope_write(PGconn *c, const char *token_id, const struct ca_scope *s,
                  struct edgeca_msg *msg)
{
	struct db_param p[2];
	PGresult *r = NULL;
	char *ids = NULL;
	edgeca_err rc;

	if ((rc = token_scope_sql(s, &ids, msg)) != EDGECA_OK)
		return rc;
	p[0] = (struct db_param){token_id, 0, false};
	p[1] = (struct db_param){ids, 0, false};
	if (ids != NULL) {
		rc = db_exec(c, "SELECT a.u::text AS missing FROM unnest($1::uuid[]) "
		                "WITH ORDINALITY AS a(u, i) WHERE NOT EXISTS "
		                "(SELECT 1 FROM cas WHERE cas.id = a.u) ORDER BY a.i LIMIT 1",
		             &p[1], 1, &r, "check the token's CAs", msg);
		if (rc == EDGECA_OK && PQntuples(r) == 1)
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                 "ca_ids: there is no CA %s", db_get(r, 0, "missing"));
		if (rc != EDGECA_OK)
			goto out;
	}
	if ((rc = db_exec(c, "DELETE FROM api_token_cas WHERE token_id = $1", p, 1, NULL,
	                  "clear the token's CAs", msg)) != EDGECA_OK)
		goto out;
	if (ids != NULL &&
	    (rc = db_exec(c, "INSERT INTO api_token_cas (token_id, ca_id) "
	                     "SELECT $1, unnest($2::uuid[])", p, 2, NULL, "limit the token to CAs",
	                  msg)) != EDGECA_OK)
		goto out;
	p[1] = (struct db_param){s->limited ? "true" : "false", 0, false};
	rc = db_exec(c, "UPDATE api_tokens SET ca_scoped = $2 WHERE id = $1", p, 2, NULL,
	             "mark the token's CAs", msg);
out:
	PQclear(r);
	free(ids);
	return rc;
}

char *
token_scope_text(const struct ca_scope *s)
{
	char *text;

	if (!s->limited)
		return strdup("all");
	/* 36 characters and a comma per id, or the NUL after the last */
	if ((text = calloc(s->n ? s->n : 1, 37)) == NULL)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (i > 0)
			strcat(text, ",");
		strcat(text, s->ids[i]);
	}
	return text;
}

edgeca_err
token_scope_forget_ca(PGconn *c, const char *ca_id, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{ca_id, 0, false}};

	return db_exec(c, "DELETE FROM api_token_cas WHERE ca_id = $1", p, 1, NULL,
	               "take the CA out of token scopes", msg);
}
