/* Building a CRL: the location's CRL lock, its number reserved, its
 * revoked certificates streamed out of PostgreSQL into DER entries, the
 * signer's signature, and the CRL stored with its history and audit row. */
#include "model/crl/crl.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crl_der.h"
#include "common/digests.h"
#include "common/encoding.h"
#include "common/log.h"
#include "model/crl/due_sql.h"
#include "model/crl/internal/crl_internal.h"
#include "model/store/audit.h"
#include "model/store/db.h"
#include "signer/proto/protocol.h"

/* RFC 5280 CRLReason codes by position (7 is unused, 8 removeFromCRL is
 * never stored). The same list is spelled out in SQL: CRL_REASON_ARRAY_SQL. */
static const char *const reason_names[] = {
	"unspecified",    "keyCompromise",        "cACompromise",    "affiliationChanged",
	"superseded",     "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL",  "privilegeWithdrawn",   "aACompromise",
};

int
crl_reason_code(const char *name)
{
	for (int i = 0; name != NULL && i < (int)(sizeof(reason_names) / sizeof(reason_names[0]));
	     i++)
		if (reason_names[i] != NULL && strcmp(reason_names[i], name) == 0)
			return i;
	return -1;
}

/* Takes (blocking) or tries the location's CRL lock, a session-level
 * advisory lock: one builder per location across every server instance. */
edgeca_err
crl_lock(PGconn *c, const char *ca_id, const char *location, bool wait, bool *got,
         struct edgeca_msg *msg)
{
	struct db_param p[2] = {{ca_id, 0, false}, {location, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c,
	             wait ? "SELECT pg_advisory_lock(hashtextextended('edgeca-crl:' || $1 || '/' || $2,"
	                    " 0)) IS NOT NULL AS got"
	                  : "SELECT pg_try_advisory_lock(hashtextextended('edgeca-crl:' || $1 || '/' "
	                    "|| $2, 0)) AS got",
	             p, 2, &r, "lock the CRL", msg);
	if (rc != EDGECA_OK)
		return rc;
	*got = strcmp(db_get(r, 0, "got"), "t") == 0;
	PQclear(r);
	return EDGECA_OK;
}

void
crl_unlock(PGconn *c, const char *ca_id, const char *location)
{
	struct db_param p[2] = {{ca_id, 0, false}, {location, 0, false}};
	PGresult *r = NULL;

	if (db_exec(c, "SELECT pg_advisory_unlock(hashtextextended('edgeca-crl:' || $1 || '/' || $2,"
	               " 0))",
	            p, 2, &r, "unlock the CRL", NULL) == EDGECA_OK)
		PQclear(r);
}

/* What the first statement of the build transaction reads; it also fixes
 * the snapshot every later statement sees. */
struct build_state {
	bool enabled, due, active, missing, delta;
	int validity_days;
	char key_id[SIGNER_KEY_ID_BYTES];
	char *snapshot; /* pg_snapshot text */
	time_t now;
};

/* The state of a location's key for its CRL: whether CRLs are on and the
 * key publishes one, whether one is due after delay $3 ms, missing, and the
 * snapshot the CRL will record. */
static const char state_sql[] =
	"SELECT c.crl_enabled, c.crl_validity_days, c.crl_delta_enabled, " PUBLISHING_SQL
	" AS publishing,"
	" k.key_id, pg_current_snapshot()::text AS snap,"
	" floor(extract(epoch FROM now()))::bigint AS now, " DUE_SQL("$3") " AS due,"
	" r.ca_id IS NULL AS missing"
	" FROM " KEYS_SQL " JOIN cas c ON c.id = k.ca_id"
	" LEFT JOIN crls r ON r.ca_id = k.ca_id AND r.location = k.location"
	" AND r.generation = k.generation"
	" WHERE k.ca_id = $1::uuid AND k.location = $2 AND k.generation = $4::integer";

/* The location's next CRL number: one more than the larger of the last
 * reserved and the highest in crl_history (numbers only grow); no row
 * when the location does not exist. */
static const char reserve_sql[] =
	"INSERT INTO crl_numbers AS n (ca_id, location, last_number)"
	" SELECT l.ca_id, l.name, COALESCE((SELECT max(h.crl_number) FROM crl_history h"
	" WHERE h.ca_id = l.ca_id AND h.location = l.name), 0) + 1"
	" FROM ca_locations l WHERE l.ca_id = $1::uuid AND l.name = $2"
	" ON CONFLICT (ca_id, location) DO UPDATE SET last_number ="
	" GREATEST(n.last_number, COALESCE((SELECT max(h.crl_number) FROM crl_history h"
	" WHERE h.ca_id = n.ca_id AND h.location = n.location), 0)) + 1"
	" RETURNING n.last_number AS crl_last_number";

static edgeca_err
read_state(PGconn *c, const char *ca_id, const char *location, int generation,
           unsigned delay_ms, struct build_state *s, struct edgeca_msg *msg)
{
	char delay[16], gen[16];
	struct db_param p[4] = {{ca_id, 0, false}, {location, 0, false}, {delay, 0, false},
	                        {gen, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	snprintf(delay, sizeof(delay), "%u", delay_ms);
	snprintf(gen, sizeof(gen), "%d", generation);

	rc = db_exec(c, state_sql, p, 4, &r, "read the CRL state", msg);
	if (rc != EDGECA_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                   "CA %s has no location \"%s\" of generation %d", ca_id, location,
		                   generation);
	}
	s->enabled = strcmp(db_get(r, 0, "crl_enabled"), "t") == 0;
	s->due = strcmp(db_get(r, 0, "due"), "t") == 0;
	s->active = strcmp(db_get(r, 0, "publishing"), "t") == 0;
	s->missing = strcmp(db_get(r, 0, "missing"), "t") == 0;
	s->delta = strcmp(db_get(r, 0, "crl_delta_enabled"), "t") == 0;
	s->validity_days = (int)db_get_ll(r, 0, "crl_validity_days");
	snprintf(s->key_id, sizeof(s->key_id), "%s", db_get(r, 0, "key_id"));
	s->snapshot = strdup(db_get(r, 0, "snap"));
	s->now = (time_t)db_get_ll(r, 0, "now");
	PQclear(r);
	if (s->snapshot == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	return EDGECA_OK;
}

/* One COPY row: serial \t revoked_at \t reason code \t invalidity date
 * (\N when none), epochs as integers. */
static int
append_row(struct buf *entries, char *row, int len, bool delta)
{
	char *field[4], *p = row, *end = row + len, *tab;
	long long revoked, invalidity = 0;
	int reason;

	if (len > 0 && row[len - 1] == '\n')
		row[--len] = '\0';
	else
		return -1;
	for (int i = 0; i < 4; i++) {
		field[i] = p;
		tab = i < 3 ? memchr(p, '\t', (size_t)(end - p)) : NULL;
		if (i < 3 && tab == NULL)
			return -1;
		if (tab != NULL) {
			*tab = '\0';
			p = tab + 1;
		}
	}
	revoked = strtoll(field[1], NULL, 10);
	reason = atoi(field[2]);
	if (strcmp(field[3], "\\N") != 0)
		invalidity = strtoll(field[3], NULL, 10);
	return delta ? crl_delta_entry_append(entries, field[0], (time_t)revoked, reason,
	                                      (time_t)invalidity)
	             : crl_entry_append(entries, field[0], (time_t)revoked, reason, (time_t)invalidity);
}

edgeca_err
crl_copy_entries(PGconn *c, const char *sql, bool delta, struct buf *entries, long long *count,
                 struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_OK;
	PGresult *r = NULL;
	char *row = NULL;
	int len;

	*count = 0;
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		rc = db_exec(c, "SELECT 1 WHERE false", NULL, 0, NULL, "read CRL entries", msg);
		if (rc == EDGECA_OK) {
			log_error("crl_generate: cannot read CRL entries: %s", PQerrorMessage(c));
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read CRL entries");
		}
		goto out;
	}
	while ((len = PQgetCopyData(c, &row, 0)) > 0) {
		if (rc == EDGECA_OK && append_row(entries, row, len, delta) != 0)
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode CRL entry %lld",
			                 *count);
		PQfreemem(row);
		row = NULL;
		(*count)++;
	}
	PQclear(r);
	r = PQgetResult(c);
	if (len == -2 || PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (rc == EDGECA_OK) {
			log_error("crl_generate: reading CRL entries failed: %s", PQerrorMessage(c));
			rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "database-unavailable",
			                 "reading CRL entries failed");
		}
	}
	while (r != NULL) {
		PQclear(r);
		r = PQgetResult(c);
	}
out:
	PQclear(r);
	return rc;
}

/* Streams the location's revoked, unexpired certificates into DER entries
 * (the transaction's snapshot). */
static edgeca_err
read_entries(PGconn *c, const char *ca_id, const char *location, const char *key_id,
             int validity_days, struct buf *entries, long long *count, struct edgeca_msg *msg)
{
	char *id_lit = PQescapeLiteral(c, ca_id, strlen(ca_id));
	char *loc_lit = PQescapeLiteral(c, location, strlen(location));
	char *key_lit = PQescapeLiteral(c, key_id, strlen(key_id));
	struct buf sql = {0};
	edgeca_err rc;

	*count = 0;
	if (id_lit == NULL || loc_lit == NULL || key_lit == NULL ||
	    buf_printf(&sql,
	               "COPY (SELECT serial, floor(extract(epoch FROM revoked_at))::bigint,"
	               " array_position(" CRL_REASON_ARRAY_SQL ", revocation_reason) - 1,"
	               " floor(extract(epoch FROM invalidity_date))::bigint FROM certificates"
	               " WHERE ca_id = %s AND location = %s AND status = 'revoked'"
	               " AND issuer_key_id = %s"
	               " AND not_after > now() - make_interval(days => %d)) TO STDOUT",
	               id_lit, loc_lit, key_lit, validity_days) != 0 ||
	    buf_terminate(&sql) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	rc = crl_copy_entries(c, (const char *)sql.data, false, entries, count, msg);
out:
	buf_free(&sql);
	PQfreemem(id_lit);
	PQfreemem(loc_lit);
	PQfreemem(key_lit);
	return rc;
}

/* The location's next CRL number, committed at once (see build). */
edgeca_err
crl_reserve_number(PGconn *c, const char *ca_id, const char *location, long long *number,
               struct edgeca_msg *msg)
{
	struct db_param p[2] = {{ca_id, 0, false}, {location, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, reserve_sql, p, 2, &r, "reserve a CRL number", msg);
	if (rc != EDGECA_OK)
		return rc;
	if (PQntuples(r) != 1)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                 "CA %s has no location \"%s\"", ca_id, location);
	else
		*number = db_get_ll(r, 0, "crl_last_number");
	PQclear(r);
	return rc;
}

/* Stores the signed CRL as the location's current one (freshest: it names
 * the key's delta CRL), in its history and the audit trail (the build
 * transaction). */
static edgeca_err
store_crl(PGconn *c, const char *actor, const struct crl *crl, const char *snapshot,
          bool freshest, struct edgeca_msg *msg)
{
	char number[32], this_update[32], next_update[32], entries[32], gen[16];
	struct db_param p[11];
	edgeca_err rc;

	snprintf(number, sizeof(number), "%lld", crl->number);
	snprintf(this_update, sizeof(this_update), "%lld", (long long)crl->this_update);
	snprintf(next_update, sizeof(next_update), "%lld", (long long)crl->next_update);
	snprintf(entries, sizeof(entries), "%lld", crl->entries);
	snprintf(gen, sizeof(gen), "%d", crl->generation);
	p[0] = (struct db_param){crl->ca_id, 0, false};
	p[1] = (struct db_param){crl->location, 0, false};
	p[2] = (struct db_param){number, 0, false};
	p[3] = (struct db_param){this_update, 0, false};
	p[4] = (struct db_param){next_update, 0, false};
	p[5] = (struct db_param){entries, 0, false};
	p[6] = (struct db_param){snapshot, 0, false};
	p[7] = (struct db_param){(const char *)crl->der, (int)crl->der_len, true};
	p[8] = (struct db_param){crl->sha256, 0, false};
	p[9] = (struct db_param){gen, 0, false};
	p[10] = (struct db_param){freshest ? "true" : "false", 0, false};
	rc = db_exec(c,
	             "INSERT INTO crls (ca_id, location, crl_number, this_update, next_update,"
	             " entries, snapshot, der, sha256, generation, freshest) VALUES ($1, $2, $3,"
	             " to_timestamp($4), to_timestamp($5), $6, $7::pg_snapshot, $8,"
	             " decode($9, 'hex'), $10, $11)"
	             " ON CONFLICT (ca_id, location, generation) DO UPDATE SET crl_number = EXCLUDED.crl_number,"
	             " this_update = EXCLUDED.this_update, next_update = EXCLUDED.next_update,"
	             " entries = EXCLUDED.entries, snapshot = EXCLUDED.snapshot, der = EXCLUDED.der,"
	             " sha256 = EXCLUDED.sha256, freshest = EXCLUDED.freshest, created_at = now()"
	             " WHERE crls.crl_number < EXCLUDED.crl_number",
	             p, 11, NULL, "store the CRL", msg);
	if (rc != EDGECA_OK)
		return rc;
	p[6] = (struct db_param){actor, 0, false};
	rc = db_exec(c,
	             "INSERT INTO crl_history (ca_id, location, crl_number, this_update, next_update,"
	             " entries, sha256, created_by, generation) VALUES ($1, $2, $3, to_timestamp($4),"
	             " to_timestamp($5), $6, decode($8, 'hex'), $7, $9)",
	             (struct db_param[]){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[8], p[9]}, 9,
	             NULL, "record the CRL", msg);
	if (rc != EDGECA_OK)
		return rc;
	{
		const char *details[] = {"location", crl->location, "crl_number", number, "entries",
		                         entries, "sha256", crl->sha256, "generation", gen};
		return audit_write(c, actor, "crl.generate", "ca", crl->ca_id, details, 10, msg);
	}
}

double
crl_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

edgeca_err
crl_digest_hex(const unsigned char *der, size_t len, char out[SHA256_HEX_BYTES], struct edgeca_msg *msg)
{
	unsigned char md[32];
	unsigned int md_len = 0;

	if (EVP_Digest(der, len, md, &md_len, digest_sha256(), NULL) != 1 || md_len != 32)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot digest the CRL");
	hex_encode(md, 32, out);
	return EDGECA_OK;
}

/* The build transaction, the location's CRL lock held. */
static edgeca_err
build(struct edgeca_ctx *ctx, PGconn *c, const char *actor, const char *ca_id,
      const char *location, int generation, enum crl_why why, bool *made, struct crl *out,
      struct edgeca_msg *msg)
{
	struct build_state s = {0};
	struct signer_crl_opts opts = {NULL, 0};
	char delta_url[PUBLIC_URL_BYTES];
	struct crl crl = {0};
	struct buf body = {0};
	PGresult *r = NULL;
	struct timespec t0;
	double read_ms, sign_ms;
	bool in_txn = false;
	edgeca_err rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Decided before the transaction: whether to build at all. */
	if ((rc = read_state(c, ca_id, location, generation, ctx->settings.crl_delay_ms, &s, msg)) != EDGECA_OK)
		goto out;
	if (why == CRL_IF_DUE && (!s.due || !s.enabled || !s.active))
		goto out; /* made by another instance meanwhile, or no longer wanted */
	if (why == CRL_FIRST && (!s.missing || !s.enabled || !s.active))
		goto out; /* made by another builder meanwhile, or not published */
	if (!s.enabled) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-disabled",
		                 "CA %s publishes no CRL (crl.enabled is false)", ca_id);
		goto out;
	}
	if (!s.active) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "location-not-active",
		                 "location \"%s\" of CA %s is not active, or its key of generation "
		                 "%d publishes no CRL any more", location, ca_id, generation);
		goto out;
	}
	/* The number is spent in its own committed statement before the signer
	 * sees it: whatever fails later leaves a gap (RFC 5280 allows gaps),
	 * never a number the database would hand out again and the signer,
	 * which remembers the last it signed, would refuse forever. */
	if ((rc = crl_reserve_number(c, ca_id, location, &crl.number, msg)) != EDGECA_OK)
		goto out;
	/* Everything else is read in one snapshot, which the CRL records. */
	free(s.snapshot);
	s.snapshot = NULL;
	if ((rc = db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ", NULL, 0, &r, "begin", msg)) !=
	    EDGECA_OK)
		goto out;
	PQclear(r);
	in_txn = true;
	if ((rc = read_state(c, ca_id, location, generation, ctx->settings.crl_delay_ms, &s, msg)) != EDGECA_OK)
		goto out;
	snprintf(crl.ca_id, sizeof(crl.ca_id), "%s", ca_id);
	snprintf(crl.location, sizeof(crl.location), "%s", location);
	crl.generation = generation;
	crl.this_update = s.now;
	crl.next_update = s.now + (time_t)s.validity_days * 86400;
	if ((rc = read_entries(c, ca_id, location, s.key_id, s.validity_days, &body, &crl.entries,
	                       msg)) != EDGECA_OK)
		goto out;
	read_ms = crl_ms_since(&t0);
	if (s.delta) { /* relying parties find the delta CRL from here (RFC 5280 5.2.6) */
		crl_delta_url(&ctx->settings, ca_id, location, generation, delta_url);
		opts.freshest_crl_url = delta_url;
	}
	rc = signer_crl_sign_opts(ctx->signer, s.key_id, (uint64_t)crl.number, crl.this_update,
	                          crl.next_update, &opts, &body, msg);
	if (rc != EDGECA_OK)
		goto out;
	sign_ms = crl_ms_since(&t0) - read_ms;
	crl.der = buf_take(&body, &crl.der_len);
	if ((rc = crl_digest_hex(crl.der, crl.der_len, crl.sha256, msg)) != EDGECA_OK ||
	    (rc = store_crl(c, actor, &crl, s.snapshot, s.delta, msg)) != EDGECA_OK ||
	    (rc = db_commit(c, msg)) != EDGECA_OK)
		goto out;
	*made = true;
	log_info("crl_generate: ca=%s location=%s generation=%d number=%lld entries=%lld "
	         "bytes=%zu by %s read_ms=%.0f sign_ms=%.0f store_ms=%.0f",
	         ca_id, location, generation, crl.number, crl.entries, crl.der_len, actor, read_ms, sign_ms,
	         crl_ms_since(&t0) - read_ms - sign_ms);
	if (out != NULL) {
		*out = crl;
		memset(&crl, 0, sizeof(crl));
	}
out:
	if (in_txn && !*made)
		db_rollback(c);
	crl_clear(&crl);
	buf_free(&body);
	free(s.snapshot);
	return rc;
}

edgeca_err
crl_generate(struct edgeca_ctx *ctx, PGconn *c, const char *actor, const char *ca_id,
             const char *location, int generation, enum crl_why why, bool *made,
             struct crl *out, struct edgeca_msg *msg)
{
	bool locked = false;
	edgeca_err rc;

	*made = false;
	/* a first CRL waits for a builder at work: its caller answers only
	 * once the CRL exists */
	rc = crl_lock(c, ca_id, location, why != CRL_IF_DUE, &locked, msg);
	if (rc != EDGECA_OK || !locked)
		return rc; /* not locked: another instance is at it */
	rc = build(ctx, c, actor, ca_id, location, generation, why, made, out, msg);
	crl_unlock(c, ca_id, location);
	return rc;
}

void
crl_clear(struct crl *c)
{
	if (c == NULL)
		return;
	free(c->der);
	memset(c, 0, sizeof(*c));
}
