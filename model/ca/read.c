/* Reading CAs: one by id, and the pages of the CAs a caller may see. */
#include "model/ca/ca.h"

#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "model/auth/token_scope.h"
#include "model/ca/store.h"

edgeca_err
ca_get(struct edgeca_ctx *ctx, const char *id, struct ca **out, struct edgeca_msg *msg)
{
	PGconn *c = NULL;
	edgeca_err rc;

	*out = NULL;
	if (!uuid_valid(id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", id);
	rc = db_acquire(ctx->db, &c, msg);
	if (rc != EDGECA_OK)
		return rc;
	rc = ca_store_load_full(c, id, out, msg);
	db_release(ctx->db, c);
	return rc;
}

edgeca_err
ca_list(struct edgeca_ctx *ctx, const struct principal *who, long limit, const char *cursor,
        struct ca_list *out, struct edgeca_msg *msg)
{
	long long after;
	long page;
	bool more = false;
	char *only = NULL;
	PGconn *c = NULL;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = page_limit(limit, &page, msg)) != EDGECA_OK ||
	    (rc = cursor_decode(cursor, &after, msg)) != EDGECA_OK ||
	    (rc = token_scope_sql(&who->scope, &only, msg)) != EDGECA_OK)
		return rc;
	rc = db_acquire(ctx->db, &c, msg);
	if (rc != EDGECA_OK)
		goto out;
	rc = ca_store_list(c, only, after, page, &out->items, &out->n, &more, msg);
	db_release(ctx->db, c);
	if (rc == EDGECA_OK && more && out->n > 0)
		cursor_encode(out->items[out->n - 1]->seq, out->next_cursor);
out:
	free(only);
	return rc;
}
