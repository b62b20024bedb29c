/* Answering an OCSP request: the cache first (a nonce-less single
 * request costs its DER walk, a hash and a read lock), then the full
 * parse, the issuer, the CA's settings and the statuses (remembered in
 * the cache, else one statement), the ResponseData, one signer round
 * trip, the cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "model/ocsp/ocsp.h"

static const char *const reasons[] = {
	"unspecified",        "keyCompromise",          "cACompromise", "affiliationChanged",
	"superseded",         "cessationOfOperation",   "certificateHold", "",
	"removeFromCRL",      "privilegeWithdrawn",     "aACompromise",
};

/* The CA's settings and every status in one statement: its own
 * certificates of this key, and the certificates of its subordinate
 * CAs' locations (current or replaced), which it signed. */
static const struct db_stmt status_stmt = {
	STMT_OCSP_STATUS,
	"SELECT c.ocsp_enabled, c.ocsp_validity_seconds, c.ocsp_delegated_responder, s.serial, "
	"s.status, s.revoked_at, s.reason FROM cas c LEFT JOIN ("
	"SELECT serial, status, extract(epoch FROM revoked_at)::bigint AS revoked_at, "
	"revocation_reason AS reason FROM certificates "
	"WHERE ca_id = $1 AND issuer_key_id = $2 AND serial = ANY($3::text[]) "
	"UNION ALL SELECT l.serial, CASE WHEN l.status = 'revoked' THEN 'revoked' ELSE 'valid' END, "
	"extract(epoch FROM l.revoked_at)::bigint, l.revocation_reason FROM ca_locations l "
	"JOIN cas k ON k.id = l.ca_id WHERE k.parent_ca_id = $1 AND l.serial = ANY($3::text[]) "
	"UNION ALL SELECT h.serial, 'valid', NULL, NULL FROM ca_location_history h "
	"JOIN cas k ON k.id = h.ca_id WHERE k.parent_ca_id = $1 AND h.serial = ANY($3::text[])"
	") s ON true WHERE c.id = $1"};

struct status_args {
	const struct ocsp_issuer *issuer;
	const struct ocsp_request *req;
	struct ocsp_single *singles;
	struct ocsp_known ca; /* enabled, delegated, validity */
	bool found;           /* the CA's row was read */
};

static int
reason_code(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (name[0] != '\0' && strcmp(reasons[i], name) == 0)
			return (int)i;
	return 0;
}

/* Applies one row to the singles it names; a revocation wins over a
 * valid row of the same serial (a subordinate's revoked location is
 * both). */
static void
apply_row(struct status_args *a, const PGresult *r, int row)
{
	const char *serial = db_get(r, row, "serial");
	bool revoked = serial != NULL && strcmp(db_get(r, row, "status"), "revoked") == 0;

	for (size_t i = 0; serial != NULL && i < a->req->n; i++) {
		struct ocsp_single *s = &a->singles[i];
		if (strcmp(a->req->ids[i].serial, serial) != 0)
			continue;
		if (revoked) {
			s->status = OCSP_CERT_REVOKED;
			s->revoked_at = (time_t)db_get_ll(r, row, "revoked_at");
			s->reason = reason_code(db_get(r, row, "reason"));
		} else if (s->status == OCSP_CERT_UNKNOWN)
			s->status = OCSP_CERT_GOOD;
	}
}

static edgeca_err
status_on(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct status_args *a = arg;
	struct buf list = {0};
	struct db_param p[3];
	PGresult *r = NULL;
	edgeca_err rc;

	int bad = buf_append_str(&list, "{");

	for (size_t i = 0; i < a->req->n; i++)
		bad |= buf_printf(&list, "%s\"%s\"", i ? "," : "", a->req->ids[i].serial);
	if (bad != 0 || buf_append_str(&list, "}") != 0 || buf_terminate(&list) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	p[0] = (struct db_param){a->issuer->ca_id, 0, false};
	p[1] = (struct db_param){a->issuer->key_id, 0, false};
	p[2] = (struct db_param){(const char *)list.data, 0, false};
	rc = db_exec_prepared(c, &status_stmt, p, 3, &r, "read OCSP statuses", msg);
	if (rc != EDGECA_OK || PQntuples(r) == 0)
		goto out;
	a->found = true;
	a->ca.enabled = strcmp(db_get(r, 0, "ocsp_enabled"), "t") == 0;
	a->ca.delegated = strcmp(db_get(r, 0, "ocsp_delegated_responder"), "t") == 0;
	a->ca.validity = (int)db_get_ll(r, 0, "ocsp_validity_seconds");
	for (int i = 0; i < PQntuples(r); i++)
		apply_row(a, r, i);
out:
	PQclear(r);
	buf_free(&list);
	return rc;
}

static struct ocsp_answer *
failure(enum ocsp_status st)
{
	return ocsp_answer_new(st, NULL, 0);
}

/* The one issuer every entry names; unauthorized when an entry names
 * none of edgeca's keys, an unsupported hash, or another issuer. */
static enum ocsp_status
find_issuer(struct edgeca_ctx *ctx, const struct ocsp_request *req, struct ocsp_issuer *out)
{
	struct edgeca_msg msg = {0};

	for (size_t i = 0; i < req->n; i++) {
		struct ocsp_issuer is;
		bool found = false;
		if (ocsp_issuers_find(ctx->ocsp_issuers, ctx->db, &req->ids[i], &is, &found, &msg) !=
		    EDGECA_OK) {
			log_warn("ocsp_respond: issuer lookup: %s", msg.detail);
			return OCSP_TRY_LATER;
		}
		if (!found || (i > 0 && strcmp(is.key_id, out->key_id) != 0))
			return OCSP_UNAUTHORIZED;
		*out = is;
	}
	return OCSP_SUCCESSFUL;
}

/* Builds and signs the answer for a parsed request. */
static struct ocsp_answer *
answer_fresh(struct edgeca_ctx *ctx, const struct ocsp_request *req, time_t now)
{
	struct ocsp_single singles[OCSP_MAX_ENTRIES];
	struct ocsp_issuer is;
	struct ocsp_responder resp;
	const char *signer;
	struct status_args sa = {&is, req, singles, {0}, false};
	struct buf tbs = {0}, basic = {0};
	struct edgeca_msg msg = {0};
	struct ocsp_answer *a = NULL;
	unsigned long epoch = ocsp_cache_epoch(ctx->ocsp_cache);
	enum ocsp_status st;
	edgeca_err rc;

	if ((st = find_issuer(ctx, req, &is)) != OCSP_SUCCESSFUL) {
		a = failure(st);
		goto out;
	}
	for (size_t i = 0; i < req->n; i++)
		singles[i] = (struct ocsp_single){&req->ids[i], OCSP_CERT_UNKNOWN, 0, -1};
	/* known certificates skip PostgreSQL; what is read is remembered,
	 * unless a revocation was heard meanwhile (the epoch) */
	if (ocsp_cache_known(ctx->ocsp_cache, is.key_id, req, &sa.ca, singles)) {
		sa.found = true;
	} else if ((rc = db_with(ctx->db, status_on, &sa, &msg)) != EDGECA_OK) {
		log_warn("ocsp_respond: ca=%s: %s", is.ca_id, msg.detail);
		a = failure(rc == EDGECA_ERR_UNAVAILABLE ? OCSP_TRY_LATER : OCSP_INTERNAL_ERROR);
		goto out;
	} else if (sa.found) {
		ocsp_cache_put_known(ctx->ocsp_cache, epoch, is.key_id, &sa.ca, singles, req->n);
	}
	if (!sa.found || !sa.ca.enabled) {
		a = failure(OCSP_UNAUTHORIZED);
		goto out;
	}
	if (sa.ca.delegated && !ocsp_issuers_responder(ctx->ocsp_issuers, is.key_id, now, &resp)) {
		if ((rc = ocsp_responder_get(ctx, is.key_id, &resp, &msg)) != EDGECA_OK) {
			log_warn("ocsp_respond: ca=%s key=%s: no responder: %s", is.ca_id, is.key_id,
			         msg.detail);
			a = failure(rc == EDGECA_ERR_UNAVAILABLE ? OCSP_TRY_LATER : OCSP_INTERNAL_ERROR);
			goto out;
		}
		ocsp_issuers_set_responder(ctx->ocsp_issuers, is.key_id, &resp);
	}
	signer = sa.ca.delegated ? resp.key_id : is.key_id;
	if (ocsp_response_data(sa.ca.delegated ? resp.sha1_key : is.sha1_key, now,
	                       now + sa.ca.validity, singles, req->n, req, &tbs) != 0) {
		a = failure(OCSP_INTERNAL_ERROR);
		goto out;
	}
	if ((rc = signer_ocsp_sign(ctx->signer, signer, tbs.data, tbs.len, &basic, &msg)) !=
	    EDGECA_OK) {
		log_warn("ocsp_respond: ca=%s key=%s: %s", is.ca_id, signer, msg.detail);
		a = failure(rc == EDGECA_ERR_UNAVAILABLE ? OCSP_TRY_LATER : OCSP_INTERNAL_ERROR);
		goto out;
	}
	if ((a = ocsp_answer_new(OCSP_SUCCESSFUL, basic.data, basic.len)) == NULL)
		goto out;
	a->this_update = now;
	a->next_update = now + sa.ca.validity;
	if (!req->has_nonce && req->n == 1) {
		a->cacheable = true;
		ocsp_cache_put(ctx->ocsp_cache, epoch, req->ids[0].der, req->ids[0].der_len, is.key_id,
		               req->ids[0].serial, a);
	}
out:
	buf_free(&tbs);
	buf_free(&basic);
	return a;
}

struct ocsp_answer *
ocsp_respond_cached(struct edgeca_ctx *ctx, const unsigned char *der, size_t len)
{
	const unsigned char *cid;
	size_t cid_len;

	if (!ocsp_request_single_certid(der, len, &cid, &cid_len))
		return NULL;
	return ocsp_cache_get(ctx->ocsp_cache, cid, cid_len, time(NULL));
}

struct ocsp_answer *
ocsp_respond(struct edgeca_ctx *ctx, const unsigned char *der, size_t len)
{
	struct ocsp_request *req = NULL;
	struct ocsp_answer *a = NULL;
	time_t now = time(NULL);

	if ((a = ocsp_respond_cached(ctx, der, len)) != NULL)
		return a;
	if ((req = malloc(sizeof(*req))) == NULL)
		return NULL;
	if (ocsp_request_parse(der, len, req) != OCSP_SUCCESSFUL)
		a = failure(OCSP_MALFORMED);
	else if (req->has_nonce || req->n != 1 ||
	         (a = ocsp_cache_get(ctx->ocsp_cache, req->ids[0].der, req->ids[0].der_len, now)) ==
	             NULL)
		a = answer_fresh(ctx, req, now);
	free(req);
	return a;
}
