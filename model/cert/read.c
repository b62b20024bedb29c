/* Reading issued certificates: one by serial, with its chain, and the
 * pages of a CA's certificates. */
#include "model/cert/certificate.h"

#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "model/ca/store.h"
#include "model/cert/store.h"
#include "model/store/db.h"

edgeca_err
cert_get(struct edgeca_ctx *ctx, const char *ca_id, const char *serial,
         struct certificate **out, struct edgeca_msg *msg)
{
	char canonical[SERIAL_HEX_MAX];
	const struct ca_location *loc;
	struct ca *ca = NULL;
	PGconn *c = NULL;
	edgeca_err rc;

	*out = NULL;
	if (!uuid_valid(ca_id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	if (serial_hex_normalize(serial, canonical) != 0)
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "certificate-not-found",
		                   "\"%s\" is not a serial number (hex digits)", serial);
	rc = db_acquire(ctx->db, &c, msg);
	if (rc != EDGECA_OK)
		return rc;
	if ((rc = ca_store_load(c, ca_id, &ca, msg)) != EDGECA_OK ||
	    (rc = cert_store_get(c, ca_id, canonical, out, msg)) != EDGECA_OK)
		goto out;
	loc = ca_find_location(ca, (*out)->location);
	(*out)->chain_pem = loc ? ca_chain_pem(ca, loc) : strdup("");
	if ((*out)->chain_pem == NULL) {
		cert_free(*out);
		*out = NULL;
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
out:
	db_release(ctx->db, c);
	ca_free(ca);
	return rc;
}

edgeca_err
cert_list(struct edgeca_ctx *ctx, const char *ca_id, const struct cert_filter *f, long limit,
          const char *cursor, struct cert_list *out, struct edgeca_msg *msg)
{
	struct ca *ca = NULL;
	long long after;
	long page;
	bool more = false;
	enum cert_status status = CERT_VALID;
	PGconn *c = NULL;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if (!uuid_valid(ca_id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	if (f->status != NULL && !cert_status_parse(f->status, &status))
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "status must be valid, revoked, issuer_revoked or expired");
	if ((rc = page_limit(limit, &page, msg)) != EDGECA_OK ||
	    (rc = cursor_decode(cursor, &after, msg)) != EDGECA_OK)
		return rc;
	rc = db_acquire(ctx->db, &c, msg);
	if (rc != EDGECA_OK)
		return rc;
	if ((rc = ca_store_load(c, ca_id, &ca, msg)) != EDGECA_OK)
		goto out;
	rc = cert_store_list(c, ca_id, f, f->status ? &status : NULL, after, page, &out->items,
	                     &out->n, &more, msg);
	if (rc == EDGECA_OK && more && out->n > 0)
		cursor_encode(out->items[out->n - 1]->id, out->next_cursor);
out:
	db_release(ctx->db, c);
	ca_free(ca);
	return rc;
}
