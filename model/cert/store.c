#include "model/cert/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/timeutil.h"
#include "model/store/db.h"

/* A certificate's status, first match: its own revocation (revoked), the
 * revocation of the location that issued it, which takes every key the
 * location had and is how a whole CA is revoked (issuer_revoked), its
 * notAfter (expired), else valid. Its issuer's revocation comes from
 * CERT_FROM. */
#define CERT_COLUMNS                                                                           \
	"id, ca_id, location, serial, subject, common_name, subject_alt_names, key_algorithm, "  \
	"template, CASE WHEN status = 'revoked' THEN 'revoked' "                                 \
	"WHEN issuer_revoked_at IS NOT NULL THEN 'issuer_revoked' "                              \
	"WHEN not_after <= now() THEN 'expired' ELSE 'valid' END AS status, "                     \
	"extract(epoch FROM not_before)::bigint AS not_before, "                                 \
	"extract(epoch FROM not_after)::bigint AS not_after, requester, "                        \
	"extract(epoch FROM created_at)::bigint AS created_at, revocation_reason, "              \
	"extract(epoch FROM revoked_at)::bigint AS revoked_at, "                                 \
	"extract(epoch FROM invalidity_date)::bigint AS invalidity_date, revoked_by, "           \
	"issuer_reason, extract(epoch FROM issuer_revoked_at)::bigint AS issuer_revoked_at, "    \
	"issuer_revoked_by"

/* Certificates with the revocation of their issuing location, when it is
 * revoked: one primary-key lookup per certificate. */
#define CERT_FROM                                                                              \
	"certificates LEFT JOIN LATERAL (SELECT l.revocation_reason AS issuer_reason, "          \
	"l.revoked_at AS issuer_revoked_at, l.revoked_by AS issuer_revoked_by "                 \
	"FROM ca_locations l WHERE l.ca_id = certificates.ca_id "                               \
	"AND l.name = certificates.location AND l.status = 'revoked') ir ON true"

const char *
cert_status_condition(enum cert_status status)
{
	if (status == CERT_REVOKED)
		return " AND status = 'revoked'";
	if (status == CERT_ISSUER_REVOKED)
		return " AND status = 'valid' AND issuer_revoked_at IS NOT NULL";
	if (status == CERT_EXPIRED)
		return " AND status = 'valid' AND issuer_revoked_at IS NULL AND not_after <= now()";
	return " AND status = 'valid' AND issuer_revoked_at IS NULL AND not_after > now()";
}

static int
cert_from_row(const PGresult *r, int i, struct certificate *c, bool with_der)
{
	const char *cn = db_get(r, i, "common_name");

	c->id = db_get_ll(r, i, "id");
	snprintf(c->ca_id, sizeof(c->ca_id), "%s", db_get(r, i, "ca_id"));
	snprintf(c->location, sizeof(c->location), "%s", db_get(r, i, "location"));
	snprintf(c->serial, sizeof(c->serial), "%s", db_get(r, i, "serial"));
	c->subject = strdup(db_get(r, i, "subject"));
	c->common_name = cn ? strdup(cn) : NULL;
	snprintf(c->key_algorithm, sizeof(c->key_algorithm), "%s", db_get(r, i, "key_algorithm"));
	snprintf(c->template, sizeof(c->template), "%s", db_get(r, i, "template"));
	if (!cert_status_parse(db_get(r, i, "status"), &c->status))
		return -1;
	c->not_before = (time_t)db_get_time(r, i, "not_before");
	c->not_after = (time_t)db_get_time(r, i, "not_after");
	c->created_at = (time_t)db_get_time(r, i, "created_at");
	snprintf(c->requester, sizeof(c->requester), "%s", db_get(r, i, "requester"));
	if (db_get(r, i, "revocation_reason") != NULL) {
		const char *by = db_get(r, i, "revoked_by");
		snprintf(c->revocation.reason, sizeof(c->revocation.reason), "%s",
		         db_get(r, i, "revocation_reason"));
		snprintf(c->revocation.revoked_by, sizeof(c->revocation.revoked_by), "%s",
		         by ? by : "");
		c->revocation.revoked_at = (time_t)db_get_time(r, i, "revoked_at");
		c->revocation.invalidity_date = (time_t)db_get_time(r, i, "invalidity_date");
	}
	if (db_get(r, i, "issuer_reason") != NULL) {
		const char *by = db_get(r, i, "issuer_revoked_by");
		snprintf(c->issuer_revocation.reason, sizeof(c->issuer_revocation.reason), "%s",
		         db_get(r, i, "issuer_reason"));
		snprintf(c->issuer_revocation.revoked_by, sizeof(c->issuer_revocation.revoked_by),
		         "%s", by ? by : "");
		c->issuer_revocation.revoked_at = (time_t)db_get_time(r, i, "issuer_revoked_at");
	}
	if (c->subject == NULL || (cn && c->common_name == NULL) ||
	    db_get_text_array(r, i, "subject_alt_names", &c->sans) != 0)
		return -1;
	if (with_der && db_get_bytea(r, i, "certificate_der", &c->der, &c->der_len) != 0)
		return -1;
	return 0;
}

/* One statement, so the certificate and its audit row commit together in
 * a single round trip; prepared once per connection. It stores nothing
 * unless the CA and the location are still active, read under a key share
 * lock on the location's row: every revocation, of the location or of the
 * whole CA, first locks the CA's location rows FOR UPDATE, so it either
 * waits for this statement to commit (the certificate was issued before
 * it) or this statement waits for the revocation and then reads the row
 * as revoked (PostgreSQL re-reads a row it had to wait for). A key share
 * lock leaves the location's other updates (the CRL number, a renewal)
 * free to proceed. The CA's own status is read as the statement found
 * it. $15 is the audit action; $16 the path length of a CA certificate
 * (NULL for others), recorded in the audit row. */
static const struct db_stmt insert_stmt = {
	STMT_CERT_INSERT, "WITH loc AS MATERIALIZED (SELECT l.status, c.status AS ca_status "
	   "FROM ca_locations l JOIN cas c ON c.id = l.ca_id WHERE l.ca_id = $1 AND l.name = $2 "
	   "FOR KEY SHARE OF l), "
	   "cert AS (INSERT INTO certificates (ca_id, location, serial, subject, "
	   "common_name, subject_alt_names, key_algorithm, template, not_before, not_after, "
	   "requester, certificate_der, issuer_key_id) SELECT $1::uuid, $2::text, $3::text, "
	   "$4::text, $5::text, $6::text[], $7::text, $8::text, to_timestamp($9::bigint), "
	   "to_timestamp($10::bigint), $11::text, $12::bytea, $14::text FROM loc "
	   "WHERE loc.status = 'active' AND loc.ca_status = 'active' RETURNING id, created_at), "
	   "audit AS (INSERT INTO audit_events (actor, action, object_type, object_id, details) "
	   "SELECT $11, $15::text, 'certificate', $1 || '/' || $3, "
	   "jsonb_build_object('ca_id', $1::text, 'location', $2::text, 'serial', $3::text, "
	   "'subject', $4::text, 'template', $8::text, 'not_after', $13::text) || "
	   "CASE WHEN $16::int IS NULL THEN '{}'::jsonb "
	   "ELSE jsonb_build_object('path_length', $16::int) END FROM cert) "
	   "SELECT loc.status, loc.ca_status, cert.id, "
	   "extract(epoch FROM cert.created_at)::bigint AS created_at FROM loc LEFT JOIN cert ON true"};

/* Why the statement stored nothing: the location's and CA's state. A CA
 * revoked as a whole while this request waited shows as its location
 * revoked in the statement's view; its status, read again now, tells. */
static edgeca_err
refused(PGconn *c, const struct certificate *cert, const PGresult *r, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{cert->ca_id, 0, false}};
	const char *loc = PQntuples(r) == 1 ? db_get(r, 0, "status") : NULL;
	enum ca_location_status loc_status = LOCATION_ACTIVE;
	enum ca_status ca_status = CA_STATUS_ACTIVE;
	bool loc_revoked = ca_location_status_parse(loc, &loc_status) &&
	                   loc_status == LOCATION_REVOKED;
	bool ca_revoked = PQntuples(r) == 1 &&
	                  ca_status_parse(db_get(r, 0, "ca_status"), &ca_status) &&
	                  ca_status == CA_STATUS_REVOKED;
	PGresult *now = NULL;
	edgeca_err rc = EDGECA_OK;

	if (loc_revoked && !ca_revoked &&
	    (rc = db_exec(c, "SELECT status FROM cas WHERE id = $1", p, 1, &now, "read CA status",
	                  msg)) != EDGECA_OK)
		return rc;
	if (now != NULL && PQntuples(now) == 1)
		ca_revoked = ca_status_parse(db_get(now, 0, "status"), &ca_status) &&
		             ca_status == CA_STATUS_REVOKED;
	PQclear(now);
	if (!ca_revoked && !loc_revoked && ca_status == CA_STATUS_DISABLED)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-disabled",
		                   "CA %s was disabled while the certificate was being signed; it "
		                   "was not stored and is not handed out", cert->ca_id);
	if (ca_revoked)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-revoked",
		                   "CA %s was revoked while the certificate was being signed; it was "
		                   "not stored and is not handed out", cert->ca_id);
	if (loc_revoked)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "location-revoked",
		                   "location %s of CA %s was revoked while the certificate was being "
		                   "signed; it was not stored and is not handed out", cert->location,
		                   cert->ca_id);
	return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
	                   "location %s of CA %s is no longer active (%s); the certificate was "
	                   "not stored", cert->location, cert->ca_id, loc ? loc : "gone");
}

edgeca_err
cert_store_insert(PGconn *c, struct certificate *cert, const char *actor, const char *action,
                  long path_length, bool *serial_taken, struct edgeca_msg *msg)
{
	char nb[32], na[32], na_text[RFC3339_LEN], pathlen[32], *sans = NULL;
	struct db_param p[16];
	PGresult *r = NULL;
	size_t n_sans = 0;
	edgeca_err rc;

	*serial_taken = false;
	while (cert->sans && cert->sans[n_sans])
		n_sans++;
	sans = db_text_array_literal((const char *const *)cert->sans, n_sans);
	if (sans == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	snprintf(nb, sizeof(nb), "%lld", (long long)cert->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)cert->not_after);
	rfc3339_format(cert->not_after, na_text);
	p[0] = (struct db_param){cert->ca_id, 0, false};
	p[1] = (struct db_param){cert->location, 0, false};
	p[2] = (struct db_param){cert->serial, 0, false};
	p[3] = (struct db_param){cert->subject, 0, false};
	p[4] = (struct db_param){cert->common_name, 0, false};
	p[5] = (struct db_param){sans, 0, false};
	p[6] = (struct db_param){cert->key_algorithm, 0, false};
	p[7] = (struct db_param){cert->template, 0, false};
	p[8] = (struct db_param){nb, 0, false};
	p[9] = (struct db_param){na, 0, false};
	p[10] = (struct db_param){actor, 0, false};
	p[11] = (struct db_param){(const char *)cert->der, (int)cert->der_len, true};
	p[12] = (struct db_param){na_text, 0, false};
	p[13] = (struct db_param){cert->issuer_key_id, 0, false};
	p[14] = (struct db_param){action, 0, false};
	snprintf(pathlen, sizeof(pathlen), "%ld", path_length);
	p[15] = (struct db_param){path_length >= 0 ? pathlen : NULL, 0, false};
	rc = db_exec_prepared(c, &insert_stmt, p, 16, &r, "store certificate", msg);
	free(sans);
	if (rc == EDGECA_ERR_CONFLICT)
		*serial_taken = true; /* the only unique key a new row can hit */
	if (rc != EDGECA_OK)
		return rc;
	if (PQntuples(r) != 1 || db_get(r, 0, "id") == NULL) {
		rc = refused(c, cert, r, msg);
		PQclear(r);
		return rc;
	}
	cert->id = db_get_ll(r, 0, "id");
	cert->created_at = (time_t)db_get_time(r, 0, "created_at");
	PQclear(r);
	return EDGECA_OK;
}

edgeca_err
cert_store_get(PGconn *c, const char *ca_id, const char *serial, struct certificate **out,
               struct edgeca_msg *msg)
{
	struct db_param p[2] = {{ca_id, 0, false}, {serial, 0, false}};
	struct certificate *cert = NULL;
	PGresult *r = NULL;
	edgeca_err rc;

	*out = NULL;
	rc = db_exec(c, "SELECT " CERT_COLUMNS ", certificate_der FROM " CERT_FROM " "
	                "WHERE ca_id = $1 AND serial = $2", p, 2, &r, "load certificate", msg);
	if (rc != EDGECA_OK)
		return rc;
	if (PQntuples(r) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "certificate-not-found",
		                 "CA %s has no certificate with serial %s", ca_id, serial);
		goto out;
	}
	cert = calloc(1, sizeof(*cert));
	if (cert == NULL || cert_from_row(r, 0, cert, true) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the certificate");
		goto out;
	}
	*out = cert;
	cert = NULL;
out:
	cert_free(cert);
	PQclear(r);
	return rc;
}

edgeca_err
cert_store_list(PGconn *c, const char *ca_id, const struct cert_filter *f,
                const enum cert_status *status, long long after, long limit, struct certificate ***items, size_t *n, bool *more,
                struct edgeca_msg *msg)
{
	char after_s[32], limit_s[32], before_s[32];
	struct db_param p[5];
	struct buf sql = {0};
	int np = 0;
	edgeca_err rc;

	*items = NULL;
	*n = 0;
	*more = false;
	snprintf(after_s, sizeof(after_s), "%lld", after);
	snprintf(limit_s, sizeof(limit_s), "%ld", limit + 1);
	p[np++] = (struct db_param){ca_id, 0, false};
	p[np++] = (struct db_param){after_s, 0, false};
	if (buf_append_str(&sql, "WHERE ca_id = $1 AND id > $2") != 0)
		goto oom;
	if (status != NULL && buf_append_str(&sql, cert_status_condition(*status)) != 0)
		goto oom;
	if (f->common_name != NULL) {
		p[np++] = (struct db_param){f->common_name, 0, false};
		if (buf_printf(&sql, " AND common_name = $%d", np) != 0)
			goto oom;
	}
	if (f->has_expires_before) {
		snprintf(before_s, sizeof(before_s), "%lld", (long long)f->expires_before);
		p[np++] = (struct db_param){before_s, 0, false};
		if (buf_printf(&sql, " AND not_after < to_timestamp($%d)", np) != 0)
			goto oom;
	}
	p[np++] = (struct db_param){limit_s, 0, false};
	if (buf_printf(&sql, " ORDER BY id LIMIT $%d", np) != 0)
		goto oom;
	rc = cert_store_select(c, (const char *)sql.data, p, np, limit, items, n, more, msg);
	goto out;
oom:
	rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
out:
	buf_free(&sql);
	return rc;
}

edgeca_err
cert_store_select(PGconn *c, const char *tail, const struct db_param *p, int np, long limit,
                  struct certificate ***items, size_t *n, bool *more, struct edgeca_msg *msg)
{
	struct buf sql = {0};
	struct certificate **certs = NULL;
	PGresult *r = NULL;
	size_t count = 0;
	int rows;
	edgeca_err rc;

	*items = NULL;
	*n = 0;
	*more = false;
	if (buf_printf(&sql, "SELECT " CERT_COLUMNS " FROM " CERT_FROM " %s", tail) != 0)
		goto oom;
	rc = db_exec(c, (const char *)sql.data, p, np, &r, "list certificates", msg);
	if (rc != EDGECA_OK)
		goto out;
	rows = PQntuples(r);
	*more = rows > limit;
	count = (size_t)(rows > limit ? limit : rows);
	certs = calloc(count + 1, sizeof(*certs));
	if (certs == NULL)
		goto oom;
	for (size_t i = 0; i < count; i++) {
		certs[i] = calloc(1, sizeof(struct certificate));
		if (certs[i] == NULL || cert_from_row(r, (int)i, certs[i], false) != 0) {
			count = i + 1;
			goto oom;
		}
	}
	*items = certs;
	*n = count;
	certs = NULL;
	rc = EDGECA_OK;
	goto out;
oom:
	rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
out:
	if (certs != NULL) {
		for (size_t i = 0; i < count; i++)
			cert_free(certs[i]);
		free(certs);
	}
	buf_free(&sql);
	PQclear(r);
	return rc;
}

edgeca_err
cert_store_count(PGconn *c, const char *tail, const struct db_param *p, int np,
                 long long *out, struct edgeca_msg *msg)
{
	struct buf sql = {0};
	PGresult *r = NULL;
	edgeca_err rc;

	*out = 0;
	/* The issuer's revocation (the lateral join: at most one location row
	 * per certificate) changes no count unless tail reads it. PostgreSQL
	 * drops that join, but still plans for the location column it would
	 * read, so a count by CA could not be an index-only scan: 63,000
	 * certificates of one CA read 34,500 heap pages (0.7 s from disk)
	 * instead of the index (25 ms). */
	if (buf_printf(&sql, "SELECT count(*) AS n FROM %s %s",
	               strstr(tail, "issuer_") != NULL ? CERT_FROM : "certificates", tail) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	rc = db_exec(c, (const char *)sql.data, p, np, &r, "count certificates", msg);
	if (rc == EDGECA_OK)
		*out = db_get_ll(r, 0, "n");
	buf_free(&sql);
	PQclear(r);
	return rc;
}

edgeca_err
cert_store_has_valid_device(PGconn *c, const char *ca_id, const char *cn, bool *found,
                            struct edgeca_msg *msg)
{
	struct db_param p[2] = {{ca_id, 0, false}, {cn, 0, false}};
	char sql[1400];
	PGresult *r = NULL;
	edgeca_err rc;

	*found = false;
	/* device certificates: the end-entity templates users choose, but a
	 * DPS verification certificate, which names a code, not a device */
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE ca_id = $1 AND common_name = $2 "
	         "AND template IN ('client', 'ssl') AND not_before <= now()%s LIMIT 1",
	         CERT_FROM, cert_status_condition(CERT_VALID));
	rc = db_exec(c, sql, p, 2, &r, "find the device's certificate", msg);
	if (rc == EDGECA_OK)
		*found = PQntuples(r) == 1;
	PQclear(r);
	return rc;
}
