#include "model/lifecycle/gauges.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/store/db.h"

/* Active locations with a certificate, and the CRL of each one's current
 * key (none yet: NULLs). */
static const char locations_sql[] =
	"SELECT l.ca_id::text AS ca_id, l.name AS location, "
	"       extract(epoch FROM l.not_after)::bigint AS not_after, "
	"       extract(epoch FROM r.this_update)::bigint AS this_update, "
	"       extract(epoch FROM r.next_update)::bigint AS next_update "
	"  FROM ca_locations l JOIN cas c ON c.id = l.ca_id "
	"  LEFT JOIN crls r ON r.ca_id = l.ca_id AND r.location = l.name "
	"                  AND r.generation = l.generation "
	" WHERE l.status = 'active' AND c.status <> 'revoked' AND l.not_after IS NOT NULL "
	" ORDER BY l.ca_id, l.name";

static const char deliveries_sql[] =
	"SELECT count(*) FILTER (WHERE state IN ('pending', 'sending')) AS pending, "
	"       count(*) FILTER (WHERE state = 'failed') AS failed "
	"  FROM notification_deliveries";

static edgeca_err
read_locations(PGconn *c, struct lifecycle_gauges *g, struct edgeca_msg *msg)
{
	PGresult *r = NULL;
	edgeca_err rc;
	int n;

	if ((rc = db_exec(c, locations_sql, NULL, 0, &r, "read the CA locations", msg)) !=
	    EDGECA_OK)
		return rc;
	n = PQntuples(r);
	g->locations = n > 0 ? calloc((size_t)n, sizeof(*g->locations)) : NULL;
	if (n > 0 && g->locations == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct location_gauge *l = &g->locations[i];
		snprintf(l->ca_id, sizeof(l->ca_id), "%s", db_get(r, i, "ca_id"));
		snprintf(l->location, sizeof(l->location), "%s", db_get(r, i, "location"));
		l->not_after = (time_t)db_get_ll(r, i, "not_after");
		l->has_crl = db_get(r, i, "this_update") != NULL;
		if (l->has_crl) {
			l->crl_this_update = (time_t)db_get_ll(r, i, "this_update");
			l->crl_next_update = (time_t)db_get_ll(r, i, "next_update");
		}
	}
	g->n_locations = (size_t)n;
out:
	PQclear(r);
	return rc;
}

static edgeca_err
read_deliveries(PGconn *c, struct lifecycle_gauges *g, struct edgeca_msg *msg)
{
	PGresult *r = NULL;
	edgeca_err rc;

	if ((rc = db_exec(c, deliveries_sql, NULL, 0, &r, "count the deliveries", msg)) !=
	    EDGECA_OK)
		return rc;
	g->deliveries_pending = db_get_ll(r, 0, "pending");
	g->deliveries_failed = db_get_ll(r, 0, "failed");
	PQclear(r);
	return EDGECA_OK;
}

edgeca_err
lifecycle_gauges_read(struct edgeca_ctx *ctx, struct lifecycle_gauges *g, struct edgeca_msg *msg)
{
	PGconn *c = NULL;
	edgeca_err rc;

	memset(g, 0, sizeof(*g));
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	if ((rc = read_locations(c, g, msg)) == EDGECA_OK)
		rc = read_deliveries(c, g, msg);
	db_release(ctx->db, c);
	if (rc != EDGECA_OK)
		lifecycle_gauges_clear(g);
	return rc;
}

void
lifecycle_gauges_clear(struct lifecycle_gauges *g)
{
	if (g == NULL)
		return;
	free(g->locations);
	memset(g, 0, sizeof(*g));
}
