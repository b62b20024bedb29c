/* Reading the audit trail back: pages of audit_events, newest first, with
 * the filters of GET /api/v1/audit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/store/audit.h"
#include "model/store/db.h"

/* $1 the cursor's id (0: the newest), $8 the page size plus one, so that
 * a next page shows; $9 the CAs of a limited caller (NULL: all). Times
 * are floored to the second (a plain ::bigint would round up), so that an
 * event's rendered time, given as since or until, still finds it. */
static const char list_sql[] =
	"SELECT id, floor(extract(epoch FROM at))::bigint AS at, actor, action, object_type, "
	"object_id, details::text AS details FROM audit_events "
	"WHERE ($1::bigint = 0 OR id < $1::bigint) "
	"AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR action = $3) "
	"AND ($4::text IS NULL OR object_type = $4) AND ($5::text IS NULL OR object_id = $5) "
	"AND ($6::bigint IS NULL OR at >= to_timestamp($6::bigint)) "
	"AND ($7::bigint IS NULL OR at < to_timestamp($7::bigint + 1)) "
	"AND ($9::text[] IS NULL OR (object_type = 'ca' AND object_id = ANY ($9::text[])) "
	"OR details->>'ca_id' = ANY ($9::text[])) "
	"ORDER BY id DESC LIMIT $8::bigint";

static char *
dup_col(const PGresult *r, int i, const char *col)
{
	const char *v = db_get(r, i, col);

	return strdup(v != NULL ? v : "");
}

static edgeca_err
fill_list(const PGresult *r, size_t max, struct audit_list *l, struct edgeca_msg *msg)
{
	size_t rows = (size_t)PQntuples(r);

	if (rows > max)
		rows = max;
	if (rows == 0)
		return EDGECA_OK;
	if ((l->items = calloc(rows, sizeof(*l->items))) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	for (size_t k = 0; k < rows; k++) {
		struct audit_event *e = &l->items[l->n++];
		int i = (int)k;

		e->id = db_get_ll(r, i, "id");
		e->at = (time_t)db_get_ll(r, i, "at");
		e->actor = dup_col(r, i, "actor");
		e->action = dup_col(r, i, "action");
		e->object_type = dup_col(r, i, "object_type");
		e->object_id = dup_col(r, i, "object_id");
		e->details = dup_col(r, i, "details");
		if (!e->actor || !e->action || !e->object_type || !e->object_id || !e->details)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	return EDGECA_OK;
}

edgeca_err
audit_list(struct db_pool *db, const struct audit_filter *f, long limit, const char *cursor,
           struct audit_list *out, struct edgeca_msg *msg)
{
	char since_s[24], until_s[24], *only = NULL;
	struct page_sql pg;
	struct db_param p[9] = {
		{pg.after, 0, false},  {f->actor, 0, false},       {f->action, 0, false},
		{f->object_type, 0, false}, {f->object_id, 0, false}, {NULL, 0, false},
		{NULL, 0, false},      {pg.rows, 0, false},        {NULL, 0, false},
	};
	PGconn *c = NULL;
	PGresult *r = NULL;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = page_sql_read(limit, cursor, &pg, msg)) != EDGECA_OK)
		return rc;
	if (f->has_since) {
		snprintf(since_s, sizeof(since_s), "%lld", (long long)f->since);
		p[5].value = since_s;
	}
	if (f->has_until) {
		snprintf(until_s, sizeof(until_s), "%lld", (long long)f->until);
		p[6].value = until_s;
	}
	if (f->limited) {
		if ((only = db_text_array_literal(f->ca_ids, f->n_ca_ids)) == NULL)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		p[8].value = only;
	}
	if ((rc = db_acquire(db, &c, msg)) != EDGECA_OK)
		goto out;
	if ((rc = db_exec(c, list_sql, p, 9, &r, "list audit events", msg)) != EDGECA_OK ||
	    (rc = fill_list(r, (size_t)pg.page, out, msg)) != EDGECA_OK)
		goto out;
	if (PQntuples(r) > pg.page)
		cursor_encode(out->items[out->n - 1].id, out->next_cursor);
out:
	PQclear(r);
	db_release(db, c);
	free(only);
	if (rc != EDGECA_OK)
		audit_list_free(out);
	return rc;
}

void
audit_list_free(struct audit_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; l->items != NULL && i < l->n; i++) {
		free(l->items[i].actor);
		free(l->items[i].action);
		free(l->items[i].object_type);
		free(l->items[i].object_id);
		free(l->items[i].details);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}
