/* Reading issued certificates: one by serial, with its chain, and the
 * pages of a CA's certificates. */
#include "model/cert/certificate.h"

#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "model/ca/store.h"
#include "model/cert/store.h"
#include "model/store/db.h"

struct get_args {
	const char *ca_id;
	const char *serial;
	struct ca *ca;
	struct certificate **out;
};

/* A certificate and its CA, read on one connection. */
static edgeca_err
get_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct get_args *a = arg;
	edgeca_err rc = ca_store_load(c, a->ca_id, &a->ca, msg);

	return rc == EDGECA_OK ? cert_store_get(c, a->ca_id, a->serial, a->out, msg) : rc;
}

edgeca_err
cert_get(struct edgeca_ctx *ctx, const char *ca_id, const char *serial,
         struct certificate **out, struct edgeca_msg *msg)
{
	char canonical[SERIAL_HEX_MAX];
	struct get_args a = {ca_id, canonical, NULL, out};
	const struct ca_location *loc;
	edgeca_err rc;

	*out = NULL;
	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
		return rc;
	if (serial_hex_normalize(serial, canonical) != 0)
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "certificate-not-found",
		                   "\"%s\" is not a serial number (hex digits)", serial);
	if ((rc = db_with(ctx->db, get_on, &a, msg)) != EDGECA_OK)
		goto out;
	loc = ca_find_location(a.ca, (*out)->location);
	(*out)->chain_pem = loc ? ca_chain_pem(a.ca, loc) : strdup("");
	if ((*out)->chain_pem == NULL) {
		cert_free(*out);
		*out = NULL;
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
out:
	ca_free(a.ca);
	return rc;
}

struct list_args {
	const char *ca_id;
	const struct cert_filter *f;
	const enum cert_status *status;
	long long after;
	long page;
	bool more;
	struct cert_list *out;
};

/* A page of a CA's certificates; the CA is read first so that an unknown
 * CA is a 404, not an empty page. */
static edgeca_err
list_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct list_args *a = arg;
	struct ca *ca = NULL;
	edgeca_err rc = ca_store_load(c, a->ca_id, &ca, msg);

	ca_free(ca);
	if (rc == EDGECA_OK)
		rc = cert_store_list(c, a->ca_id, a->f, a->status, a->after, a->page,
		                     &a->out->items, &a->out->n, &a->more, msg);
	return rc;
}

edgeca_err
cert_list(struct edgeca_ctx *ctx, const char *ca_id, const struct cert_filter *f, long limit,
          const char *cursor, struct cert_list *out, struct edgeca_msg *msg)
{
	enum cert_status status = CERT_VALID;
	struct list_args a = {ca_id, f, f->status ? &status : NULL, 0, 0, false, out};
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
		return rc;
	if (f->status != NULL && !cert_status_parse(f->status, &status))
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "status must be valid, revoked, issuer_revoked or expired");
	if ((rc = page_limit(limit, &a.page, msg)) != EDGECA_OK ||
	    (rc = cursor_decode(cursor, &a.after, msg)) != EDGECA_OK)
		return rc;
	rc = db_with(ctx->db, list_on, &a, msg);
	if (rc == EDGECA_OK && a.more && out->n > 0)
		cursor_encode(out->items[out->n - 1]->id, out->next_cursor);
	return rc;
}
