/* Reading CRLs for the API and relying parties: the current CRL (or
 * delta CRL) of a location's key, one made on demand, and the public URL
 * a CRL is published at. */
#include "model/crl/crl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "model/core/context.h"
#include "model/store/db.h"

/* The CA's location named, or its first active one; checks the CA
 * publishes CRLs (delta: delta CRLs too). id receives the CA's id as the database writes it, so
 * that every builder takes the same lock whatever form a caller used. */
static edgeca_err
resolve_location(PGconn *c, const char *ca_id, const char *location, bool delta,
                 char id[UUID_TEXT_BYTES], char name[64], int *generation, struct edgeca_msg *msg)
{
	struct db_param p[2] = {{ca_id, 0, false}, {location, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
		return rc;
	rc = db_exec(c,
	             "SELECT c.id::text AS id, c.crl_enabled, c.crl_delta_enabled, l.name, l.generation"
	             " FROM cas c LEFT JOIN ca_locations l"
	             " ON l.ca_id = c.id AND (l.name = $2 OR ($2::text IS NULL AND l.status = 'active'))"
	             " WHERE c.id = $1::uuid ORDER BY l.position LIMIT 1",
	             p, 2, &r, "find the CA", msg);
	if (rc != EDGECA_OK)
		return rc;
	if (PQntuples(r) == 0)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	else if (strcmp(db_get(r, 0, "crl_enabled"), "t") != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "crl-disabled",
		                 "CA %s publishes no CRL (crl.enabled is false)", ca_id);
	else if (delta && strcmp(db_get(r, 0, "crl_delta_enabled"), "t") != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "crl-delta-disabled",
		                 "CA %s publishes no delta CRL (crl.delta.enabled is false)", ca_id);
	else if (db_get(r, 0, "name") == NULL)
		rc = location ? edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                            "CA %s has no location \"%s\"", ca_id, location)
		              : edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                            "CA %s has no active location", ca_id);
	else {
		snprintf(id, 37, "%s", db_get(r, 0, "id"));
		snprintf(name, 64, "%s", db_get(r, 0, "name"));
		*generation = (int)db_get_ll(r, 0, "generation");
	}
	PQclear(r);
	return rc;
}

static edgeca_err
force(struct edgeca_ctx *ctx, const char *actor, const char *ca_id, const char *location,
      bool delta, struct crl *out, struct edgeca_msg *msg)
{
	char id[UUID_TEXT_BYTES], name[64];
	int generation = 0;
	PGconn *c = NULL;
	bool made = false;
	edgeca_err rc;

	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	rc = resolve_location(c, ca_id, location, delta, id, name, &generation, msg);
	if (rc == EDGECA_OK && delta)
		rc = crl_generate_delta(ctx, c, actor, id, name, generation, CRL_FORCED, &made, out,
		                        msg);
	else if (rc == EDGECA_OK)
		rc = crl_generate(ctx, c, actor, id, name, generation, CRL_FORCED, &made, out, msg);
	db_release(ctx->db, c);
	return rc;
}

edgeca_err
crl_force(struct edgeca_ctx *ctx, const char *actor, const char *ca_id, const char *location,
          struct crl *out, struct edgeca_msg *msg)
{
	return force(ctx, actor, ca_id, location, false, out, msg);
}

edgeca_err
crl_force_delta(struct edgeca_ctx *ctx, const char *actor, const char *ca_id,
                const char *location, struct crl *out, struct edgeca_msg *msg)
{
	return force(ctx, actor, ca_id, location, true, out, msg);
}

/* One query with a binary result (every column but der cast to text):
 * a CRL of a million entries is tens of megabytes, which a hex text
 * result would double. */
static edgeca_err
read_current(PGconn *c, const char *ca_id, const char *location, int generation, bool with_der,
             bool delta, struct crl *out, struct edgeca_msg *msg)
{
	char gen[16];
	const char *values[4] = {ca_id, location, with_der ? "t" : "f", gen};
	PGresult *r;
	edgeca_err rc = EDGECA_OK;

	snprintf(gen, sizeof(gen), "%d", generation);
	r = PQexecParams(c,
	                 delta ? "SELECT crl_number::text, extract(epoch FROM this_update)::bigint::text,"
	                         " extract(epoch FROM next_update)::bigint::text, entries::text,"
	                         " encode(sha256, 'hex'), CASE WHEN $3::boolean THEN der END,"
	                         " base_number::text FROM delta_crls WHERE ca_id = $1::uuid"
	                         " AND location = $2 AND generation = $4::integer"
	                       : "SELECT crl_number::text, extract(epoch FROM this_update)::bigint::text,"
	                         " extract(epoch FROM next_update)::bigint::text, entries::text,"
	                         " encode(sha256, 'hex'), CASE WHEN $3::boolean THEN der END,"
	                         " '0' FROM crls WHERE ca_id = $1::uuid AND location = $2"
	                         " AND generation = $4::integer",
	                 4, NULL, values, NULL, NULL, 1);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_error("crl_get: %s", PQerrorMessage(c));
		rc = PQstatus(c) != CONNECTION_OK
		         ? edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "database-unavailable",
		                       "the database is not available")
		         : edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "reading the CRL failed");
		goto out;
	}
	if (PQntuples(r) == 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "crl-not-found",
		                 "location \"%s\" of CA %s has no %sCRL of generation %d", location,
		                 ca_id, delta ? "delta " : "", generation);
		goto out;
	}
	snprintf(out->ca_id, sizeof(out->ca_id), "%s", ca_id);
	snprintf(out->location, sizeof(out->location), "%s", location);
	out->generation = generation;
	out->number = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	out->this_update = (time_t)strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	out->next_update = (time_t)strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	out->entries = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
	out->base_number = strtoll(PQgetvalue(r, 0, 6), NULL, 10);
	snprintf(out->sha256, sizeof(out->sha256), "%s", PQgetvalue(r, 0, 4));
	if (with_der) {
		out->der_len = (size_t)PQgetlength(r, 0, 5);
		out->der = malloc(out->der_len ? out->der_len : 1);
		if (out->der == NULL) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		memcpy(out->der, PQgetvalue(r, 0, 5), out->der_len);
	}
out:
	PQclear(r);
	return rc;
}

static edgeca_err
get(struct edgeca_ctx *ctx, const char *ca_id, const char *location, int generation,
    bool with_der, bool delta, struct crl *out, struct edgeca_msg *msg)
{
	char id[UUID_TEXT_BYTES], name[64];
	int current = 0;
	PGconn *c = NULL;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	if ((rc = resolve_location(c, ca_id, location, delta, id, name, &current, msg)) == EDGECA_OK)
		rc = read_current(c, id, name, generation > 0 ? generation : current, with_der, delta,
		                  out, msg);
	db_release(ctx->db, c);
	if (rc != EDGECA_OK)
		crl_clear(out);
	return rc;
}

edgeca_err
crl_get(struct edgeca_ctx *ctx, const char *ca_id, const char *location, int generation,
        bool with_der, struct crl *out, struct edgeca_msg *msg)
{
	return get(ctx, ca_id, location, generation, with_der, false, out, msg);
}

edgeca_err
crl_get_delta(struct edgeca_ctx *ctx, const char *ca_id, const char *location, int generation,
              bool with_der, struct crl *out, struct edgeca_msg *msg)
{
	return get(ctx, ca_id, location, generation, with_der, true, out, msg);
}
