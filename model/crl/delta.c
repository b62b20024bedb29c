/* Delta CRLs (RFC 5280 5.2.4): for a CA with crl.delta on, each key that
 * publishes a CRL also publishes a delta CRL on the CA's delta interval,
 * listing the changes of its certificates' revocation state since its
 * current complete CRL (the base): revocations with their reason, and
 * released holds as removeFromCRL. The changes are the certificates whose
 * crl_change_xid the base's snapshot does not see, found through the
 * index on (key, change transaction): a delta reads only what changed,
 * whatever the size of the base. */
#include "model/crl/crl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "model/crl/due_sql.h"
#include "model/crl/internal/crl_internal.h"
#include "model/store/audit.h"
#include "model/store/db.h"
#include "signer/proto/protocol.h"

/* What the first statement of a delta's build transaction reads. */
struct delta_state {
	bool enabled, due, active, has_base;
	int validity_days, interval_minutes;
	long long base_number;
	char key_id[SIGNER_KEY_ID_BYTES];
	char *snapshot;      /* pg_snapshot text of this transaction */
	char *base_snapshot; /* the base CRL's */
	time_t now;
};

static void
delta_state_clear(struct delta_state *s)
{
	free(s->snapshot);
	free(s->base_snapshot);
	memset(s, 0, sizeof(*s));
}

static const char delta_state_sql[] =
	"SELECT c.crl_enabled AND c.crl_delta_enabled AS enabled, c.crl_validity_days,"
	" c.crl_delta_interval_minutes, " PUBLISHING_SQL " AS publishing, k.key_id,"
	" pg_current_snapshot()::text AS snap, floor(extract(epoch FROM now()))::bigint AS now,"
	" r.crl_number AS base_number, r.snapshot::text AS base_snap,"
	" COALESCE(" DELTA_DUE_SQL("$3") ", false) AS due"
	" FROM " KEYS_SQL " JOIN cas c ON c.id = k.ca_id"
	" LEFT JOIN crls r ON r.ca_id = k.ca_id AND r.location = k.location"
	" AND r.generation = k.generation"
	" LEFT JOIN delta_crls d ON d.ca_id = k.ca_id AND d.location = k.location"
	" AND d.generation = k.generation"
	" WHERE k.ca_id = $1::uuid AND k.location = $2 AND k.generation = $4::integer";

static edgeca_err
read_state(PGconn *c, const char *ca_id, const char *location, int generation,
           unsigned delay_ms, struct delta_state *s, struct edgeca_msg *msg)
{
	char delay[16], gen[16];
	struct db_param p[4] = {{ca_id, 0, false}, {location, 0, false}, {delay, 0, false},
	                        {gen, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	delta_state_clear(s);
	snprintf(delay, sizeof(delay), "%u", delay_ms);
	snprintf(gen, sizeof(gen), "%d", generation);
	rc = db_exec(c, delta_state_sql, p, 4, &r, "read the delta CRL state", msg);
	if (rc != EDGECA_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                   "CA %s has no location \"%s\" of generation %d", ca_id, location,
		                   generation);
	}
	s->enabled = strcmp(db_get(r, 0, "enabled"), "t") == 0;
	s->due = strcmp(db_get(r, 0, "due"), "t") == 0;
	s->active = strcmp(db_get(r, 0, "publishing"), "t") == 0;
	s->has_base = db_get(r, 0, "base_number") != NULL;
	s->validity_days = (int)db_get_ll(r, 0, "crl_validity_days");
	s->interval_minutes = (int)db_get_ll(r, 0, "crl_delta_interval_minutes");
	s->base_number = s->has_base ? db_get_ll(r, 0, "base_number") : 0;
	snprintf(s->key_id, sizeof(s->key_id), "%s", db_get(r, 0, "key_id"));
	s->snapshot = strdup(db_get(r, 0, "snap"));
	s->base_snapshot = strdup(s->has_base ? db_get(r, 0, "base_snap") : "");
	s->now = (time_t)db_get_ll(r, 0, "now");
	PQclear(r);
	if (s->snapshot == NULL || s->base_snapshot == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	return EDGECA_OK;
}

/* The key's certificates whose revocation state changed after the base
 * snapshot: revoked ones as on a complete CRL, released holds as
 * removeFromCRL (8) dated when they were released. */
static edgeca_err
read_changes(PGconn *c, const char *ca_id, const char *location, const struct delta_state *s,
             struct buf *entries, long long *count, struct edgeca_msg *msg)
{
	char *id_lit = PQescapeLiteral(c, ca_id, strlen(ca_id));
	char *loc_lit = PQescapeLiteral(c, location, strlen(location));
	char *key_lit = PQescapeLiteral(c, s->key_id, strlen(s->key_id));
	char *snap_lit = PQescapeLiteral(c, s->base_snapshot, strlen(s->base_snapshot));
	struct buf sql = {0};
	edgeca_err rc;

	*count = 0;
	if (id_lit == NULL || loc_lit == NULL || key_lit == NULL || snap_lit == NULL ||
	    buf_printf(&sql,
	               "COPY (SELECT serial, floor(extract(epoch FROM CASE WHEN status = 'revoked'"
	               " THEN revoked_at ELSE crl_change_at END))::bigint,"
	               " CASE WHEN status = 'revoked' THEN array_position(" CRL_REASON_ARRAY_SQL
	               ", revocation_reason) - 1 ELSE 8 END,"
	               " floor(extract(epoch FROM invalidity_date))::bigint FROM certificates"
	               " WHERE ca_id = %s AND location = %s AND issuer_key_id = %s"
	               " AND crl_change_xid IS NOT NULL"
	               " AND crl_change_xid >= pg_snapshot_xmin(%s::pg_snapshot)"
	               " AND NOT pg_visible_in_snapshot(crl_change_xid, %s::pg_snapshot)"
	               " AND not_after > now() - make_interval(days => %d)) TO STDOUT",
	               id_lit, loc_lit, key_lit, snap_lit, snap_lit, s->validity_days) != 0 ||
	    buf_terminate(&sql) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	rc = crl_copy_entries(c, (const char *)sql.data, true, entries, count, msg);
out:
	buf_free(&sql);
	PQfreemem(id_lit);
	PQfreemem(loc_lit);
	PQfreemem(key_lit);
	PQfreemem(snap_lit);
	return rc;
}

/* Stores the signed delta as the key's current one, in crl_history (with
 * its base) and the audit trail (crl.generate with delta_base). */
static edgeca_err
store_delta(PGconn *c, const char *actor, const struct crl *crl, const char *snapshot,
            struct edgeca_msg *msg)
{
	char number[32], base[32], this_update[32], next_update[32], entries[32], gen[16];
	struct db_param p[11];
	edgeca_err rc;

	snprintf(number, sizeof(number), "%lld", crl->number);
	snprintf(base, sizeof(base), "%lld", crl->base_number);
	snprintf(this_update, sizeof(this_update), "%lld", (long long)crl->this_update);
	snprintf(next_update, sizeof(next_update), "%lld", (long long)crl->next_update);
	snprintf(entries, sizeof(entries), "%lld", crl->entries);
	snprintf(gen, sizeof(gen), "%d", crl->generation);
	p[0] = (struct db_param){crl->ca_id, 0, false};
	p[1] = (struct db_param){crl->location, 0, false};
	p[2] = (struct db_param){gen, 0, false};
	p[3] = (struct db_param){number, 0, false};
	p[4] = (struct db_param){base, 0, false};
	p[5] = (struct db_param){this_update, 0, false};
	p[6] = (struct db_param){next_update, 0, false};
	p[7] = (struct db_param){entries, 0, false};
	p[8] = (struct db_param){snapshot, 0, false};
	p[9] = (struct db_param){(const char *)crl->der, (int)crl->der_len, true};
	p[10] = (struct db_param){crl->sha256, 0, false};
	rc = db_exec(c,
	             "INSERT INTO delta_crls (ca_id, location, generation, crl_number, base_number,"
	             " this_update, next_update, entries, snapshot, der, sha256) VALUES ($1, $2, $3,"
	             " $4, $5, to_timestamp($6), to_timestamp($7), $8, $9::pg_snapshot, $10,"
	             " decode($11, 'hex'))"
	             " ON CONFLICT (ca_id, location, generation) DO UPDATE SET"
	             " crl_number = EXCLUDED.crl_number, base_number = EXCLUDED.base_number,"
	             " this_update = EXCLUDED.this_update, next_update = EXCLUDED.next_update,"
	             " entries = EXCLUDED.entries, snapshot = EXCLUDED.snapshot, der = EXCLUDED.der,"
	             " sha256 = EXCLUDED.sha256, created_at = now()"
	             " WHERE delta_crls.crl_number < EXCLUDED.crl_number",
	             p, 11, NULL, "store the delta CRL", msg);
	if (rc != EDGECA_OK)
		return rc;
	p[8] = (struct db_param){actor, 0, false};
	rc = db_exec(c,
	             "INSERT INTO crl_history (ca_id, location, generation, crl_number, delta_base,"
	             " this_update, next_update, entries, created_by, sha256) VALUES ($1, $2, $3,"
	             " $4, $5, to_timestamp($6), to_timestamp($7), $8, $9, decode($10, 'hex'))",
	             (struct db_param[]){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8],
	                                 p[10]},
	             10, NULL, "record the delta CRL", msg);
	if (rc != EDGECA_OK)
		return rc;
	{
		const char *details[] = {"location", crl->location, "crl_number", number,
		                         "delta_base", base, "entries", entries,
		                         "sha256", crl->sha256, "generation", gen};
		return audit_write(c, actor, "crl.generate", "ca", crl->ca_id, details, 12, msg);
	}
}

/* Whether to build at all, decided before the transaction. */
static edgeca_err
wanted(const struct delta_state *s, const char *ca_id, const char *location, int generation,
       enum crl_why why, bool *build, struct edgeca_msg *msg)
{
	*build = false;
	if (why != CRL_FORCED) {
		*build = s->due && s->enabled && s->active && s->has_base;
		return EDGECA_OK;
	}
	if (!s->enabled)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-delta-disabled",
		                   "CA %s publishes no delta CRL (crl.delta.enabled is false)", ca_id);
	if (!s->active)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "location-not-active",
		                   "location \"%s\" of CA %s is not active, or its key of generation "
		                   "%d publishes no CRL any more", location, ca_id, generation);
	if (!s->has_base)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-not-found",
		                   "location \"%s\" of CA %s has no CRL of generation %d for a delta "
		                   "CRL to refer to", location, ca_id, generation);
	*build = true;
	return EDGECA_OK;
}

/* The build transaction, the location's CRL lock held. */
static edgeca_err
build(struct edgeca_ctx *ctx, PGconn *c, const char *actor, const char *ca_id,
      const char *location, int generation, enum crl_why why, bool *made, struct crl *out,
      struct edgeca_msg *msg)
{
	struct delta_state s = {0};
	struct signer_crl_opts opts = {NULL, 0};
	struct crl crl = {0};
	struct buf body = {0};
	PGresult *r = NULL;
	struct timespec t0;
	double read_ms, sign_ms;
	bool in_txn = false, go = false;
	edgeca_err rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = read_state(c, ca_id, location, generation, ctx->settings.crl_delay_ms, &s,
	                     msg)) != EDGECA_OK ||
	    (rc = wanted(&s, ca_id, location, generation, why, &go, msg)) != EDGECA_OK || !go)
		goto out;
	/* spent at once, as for complete CRLs (see build.c) */
	if ((rc = crl_reserve_number(c, ca_id, location, &crl.number, msg)) != EDGECA_OK)
		goto out;
	if ((rc = db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ", NULL, 0, &r, "begin", msg)) !=
	    EDGECA_OK)
		goto out;
	PQclear(r);
	in_txn = true;
	/* again in the transaction's snapshot: the base may have changed */
	if ((rc = read_state(c, ca_id, location, generation, ctx->settings.crl_delay_ms, &s,
	                     msg)) != EDGECA_OK ||
	    (rc = wanted(&s, ca_id, location, generation, CRL_FORCED, &go, msg)) != EDGECA_OK)
		goto out;
	snprintf(crl.ca_id, sizeof(crl.ca_id), "%s", ca_id);
	snprintf(crl.location, sizeof(crl.location), "%s", location);
	crl.generation = generation;
	crl.base_number = s.base_number;
	crl.this_update = s.now;
	crl.next_update = s.now + (time_t)s.interval_minutes * 60;
	if ((rc = read_changes(c, ca_id, location, &s, &body, &crl.entries, msg)) != EDGECA_OK)
		goto out;
	read_ms = crl_ms_since(&t0);
	opts.delta_base = (uint64_t)s.base_number;
	rc = signer_crl_sign_opts(ctx->signer, s.key_id, (uint64_t)crl.number, crl.this_update,
	                          crl.next_update, &opts, &body, msg);
	if (rc != EDGECA_OK)
		goto out;
	sign_ms = crl_ms_since(&t0) - read_ms;
	crl.der = buf_take(&body, &crl.der_len);
	if ((rc = crl_digest_hex(crl.der, crl.der_len, crl.sha256, msg)) != EDGECA_OK ||
	    (rc = store_delta(c, actor, &crl, s.snapshot, msg)) != EDGECA_OK ||
	    (rc = db_commit(c, msg)) != EDGECA_OK)
		goto out;
	*made = true;
	log_info("crl_generate_delta: ca=%s location=%s generation=%d number=%lld base=%lld "
	         "entries=%lld bytes=%zu by %s read_ms=%.0f sign_ms=%.0f store_ms=%.0f",
	         ca_id, location, generation, crl.number, crl.base_number, crl.entries,
	         crl.der_len, actor, read_ms, sign_ms, crl_ms_since(&t0) - read_ms - sign_ms);
	if (out != NULL) {
		*out = crl;
		memset(&crl, 0, sizeof(crl));
	}
out:
	if (in_txn && !*made)
		db_rollback(c);
	crl_clear(&crl);
	buf_free(&body);
	delta_state_clear(&s);
	return rc;
}

edgeca_err
crl_generate_delta(struct edgeca_ctx *ctx, PGconn *c, const char *actor, const char *ca_id,
                   const char *location, int generation, enum crl_why why, bool *made,
                   struct crl *out, struct edgeca_msg *msg)
{
	bool locked = false;
	edgeca_err rc;

	*made = false;
	rc = crl_lock(c, ca_id, location, why == CRL_FORCED, &locked, msg);
	if (rc != EDGECA_OK || !locked)
		return rc; /* not locked: another instance is building one of the location's CRLs */
	rc = build(ctx, c, actor, ca_id, location, generation, why, made, out, msg);
	crl_unlock(c, ca_id, location);
	return rc;
}
