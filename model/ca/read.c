/* Reading CAs: one by id, and the pages of the CAs a caller may see. */
#include "model/ca/ca.h"

#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "model/auth/token_scope.h"
#include "model/ca/store.h"

struct get_args {
	const char *id;
	struct ca **out;
};

/* A CA with everything the API shows of it. */
static edgeca_err
get_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct get_args *a = arg;

	return ca_store_load_full(c, a->id, a->out, msg);
}

edgeca_err
ca_get(struct edgeca_ctx *ctx, const char *id, struct ca **out, struct edgeca_msg *msg)
{
	struct get_args a = {id, out};
	edgeca_err rc;

	*out = NULL;
	if ((rc = db_check_id(id, "ca-not-found", "CA", msg)) == EDGECA_OK)
		rc = db_with(ctx->db, get_on, &a, msg);
	return rc;
}

struct list_args {
	const char *only;
	long long after;
	long page;
	bool more;
	struct ca_list *out;
};

/* A page of the CAs a->only allows (NULL: all). */
static edgeca_err
list_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct list_args *a = arg;

	return ca_store_list(c, a->only, a->after, a->page, &a->out->items, &a->out->n, &a->more,
	                     msg);
}

edgeca_err
ca_list(struct edgeca_ctx *ctx, const struct principal *who, long limit, const char *cursor,
        struct ca_list *out, struct edgeca_msg *msg)
{
	struct list_args a = {NULL, 0, 0, false, out};
	char *only = NULL;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = page_limit(limit, &a.page, msg)) != EDGECA_OK ||
	    (rc = cursor_decode(cursor, &a.after, msg)) != EDGECA_OK ||
	    (rc = token_scope_sql(&who->scope, &only, msg)) != EDGECA_OK)
		return rc;
	a.only = only;
	rc = db_with(ctx->db, list_on, &a, msg);
	if (rc == EDGECA_OK && a.more && out->n > 0)
		cursor_encode(out->items[out->n - 1]->seq, out->next_cursor);
	free(only);
	return rc;
}
