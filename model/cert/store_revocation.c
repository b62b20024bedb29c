/* The revocation state of stored certificates: the row locked for a
 * change, and the change written with its audit row in one statement
 * (model/revoke/ decides; this file writes). */
#include "model/cert/store.h"

#include <stdio.h>
#include <string.h>

#include "common/timeutil.h"
#include "model/store/db.h"

/* The certificate's row, locked until the transaction ends: found through
 * the UNIQUE (ca_id, serial) index, whatever the number of certificates. */
static const struct db_stmt lock_stmt = {
	STMT_CERT_REVOCATION_LOCK,
	"SELECT id, status, revocation_reason, requester, revoked_by, issuer_key_id, "
	"extract(epoch FROM not_before)::bigint AS not_before FROM certificates "
	"WHERE ca_id = $1 AND serial = $2 FOR UPDATE"};

/* The change and its audit row in one statement. Only the certificate's
 * own row is written: crl_change_xid tells the CRL scheduler. */
static const struct db_stmt revoke_stmt = {
	STMT_CERT_REVOKE,
	"WITH c AS (UPDATE certificates SET status = 'revoked', revoked_at = now(), "
	"revocation_reason = $2, invalidity_date = to_timestamp($3), revoked_by = $4, "
	"crl_change_xid = pg_current_xact_id(), crl_change_at = now() "
	"WHERE id = $1 RETURNING ca_id, location, serial) "
	"INSERT INTO audit_events (actor, action, object_type, object_id, details) "
	"SELECT $4, 'certificate.revoke', 'certificate', c.ca_id::text || '/' || c.serial, "
	"jsonb_build_object('ca_id', c.ca_id::text, 'location', c.location, 'serial', c.serial, "
	"'reason', $2::text, 'previous_reason', $5::text, 'invalidity_date', $6::text) FROM c"};

static const struct db_stmt release_stmt = {
	STMT_CERT_RELEASE,
	"WITH c AS (UPDATE certificates SET status = 'valid', revoked_at = NULL, "
	"revocation_reason = NULL, invalidity_date = NULL, revoked_by = NULL, "
	"crl_change_xid = pg_current_xact_id(), crl_change_at = now() "
	"WHERE id = $1 RETURNING ca_id, location, serial) "
	"INSERT INTO audit_events (actor, action, object_type, object_id, details) "
	"SELECT $2, 'certificate.unrevoke', 'certificate', c.ca_id::text || '/' || c.serial, "
	"jsonb_build_object('ca_id', c.ca_id::text, 'location', c.location, 'serial', c.serial, "
	"'released_reason', $3::text) FROM c"};

/* Runs a change statement that must write exactly one audit row. */
static edgeca_err
exec_change(PGconn *c, const struct db_stmt *stmt, const struct db_param *p, int n,
            const char *what, struct edgeca_msg *msg)
{
	PGresult *r = NULL;
	edgeca_err rc = db_exec_prepared(c, stmt, p, n, &r, what, msg);

	if (rc == EDGECA_OK && strcmp(PQcmdTuples(r), "1") != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "%s: no row changed", what);
	PQclear(r);
	return rc;
}

edgeca_err
cert_store_revoked_ca(PGconn *c, const struct cert_revoked_ca *rec, struct edgeca_msg *msg)
{
	char nb[32], na[32];
	struct db_param p[13];

	snprintf(nb, sizeof(nb), "%lld", (long long)rec->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)rec->not_after);
	p[0] = (struct db_param){rec->ca_id, 0, false};
	p[1] = (struct db_param){rec->location, 0, false};
	p[2] = (struct db_param){rec->serial, 0, false};
	p[3] = (struct db_param){rec->subject, 0, false};
	p[4] = (struct db_param){rec->common_name, 0, false};
	p[5] = (struct db_param){rec->key_algorithm, 0, false};
	p[6] = (struct db_param){nb, 0, false};
	p[7] = (struct db_param){na, 0, false};
	p[8] = (struct db_param){rec->requester, 0, false};
	p[9] = (struct db_param){(const char *)rec->der, (int)rec->der_len, true};
	p[10] = (struct db_param){rec->reason, 0, false};
	p[11] = (struct db_param){rec->revoked_by, 0, false};
	p[12] = (struct db_param){rec->issuer_key_id, 0, false};
	return db_exec(c, "INSERT INTO certificates (ca_id, location, serial, subject, common_name, "
	                  "key_algorithm, template, not_before, not_after, requester, "
	                  "certificate_der, status, revoked_at, revocation_reason, revoked_by, "
	                  "crl_change_xid, crl_change_at, issuer_key_id) VALUES ($1, $2, $3, $4, $5, "
	                  "$6, 'subordinate_ca', to_timestamp($7), to_timestamp($8), $9, $10, "
	                  "'revoked', now(), $11, $12, pg_current_xact_id(), now(), $13) "
	                  "ON CONFLICT (ca_id, serial) DO UPDATE SET "
	                  "status = 'revoked', revoked_at = now(), "
	                  "revocation_reason = EXCLUDED.revocation_reason, invalidity_date = NULL, "
	                  "revoked_by = EXCLUDED.revoked_by, crl_change_xid = pg_current_xact_id(), "
	                  "crl_change_at = now() "
	                  "WHERE certificates.status = 'valid' "
	                  "OR certificates.revocation_reason = 'certificateHold'",
	               p, 13, NULL, "revoke the location's certificate at its parent", msg);
}

edgeca_err
cert_store_lock_revocation(PGconn *c, const char *ca_id, const char *serial, PGresult **row,
                           struct edgeca_msg *msg)
{
	struct db_param p[2] = {{ca_id, 0, false}, {serial, 0, false}};

	return db_exec_prepared(c, &lock_stmt, p, 2, row, "lock certificate", msg);
}

edgeca_err
cert_store_revoke(PGconn *c, const char *id, const char *reason, const time_t *invalidity_date,
                  const char *actor, const char *previous_reason, struct edgeca_msg *msg)
{
	char inv[32], inv_text[RFC3339_LEN];
	struct db_param p[6];

	if (invalidity_date != NULL) {
		snprintf(inv, sizeof(inv), "%lld", (long long)*invalidity_date);
		rfc3339_format(*invalidity_date, inv_text);
	}
	p[0] = (struct db_param){id, 0, false};
	p[1] = (struct db_param){reason, 0, false};
	p[2] = (struct db_param){invalidity_date ? inv : NULL, 0, false};
	p[3] = (struct db_param){actor, 0, false};
	p[4] = (struct db_param){previous_reason, 0, false};
	p[5] = (struct db_param){invalidity_date ? inv_text : NULL, 0, false};
	return exec_change(c, &revoke_stmt, p, 6, "revoke certificate", msg);
}

edgeca_err
cert_store_release(PGconn *c, const char *id, const char *actor, const char *released_reason,
                   struct edgeca_msg *msg)
{
	struct db_param p[3] = {{id, 0, false}, {actor, 0, false}, {released_reason, 0, false}};

	return exec_change(c, &release_stmt, p, 3, "release certificate", msg);
}
