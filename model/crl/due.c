/* Which CRLs and delta CRLs are due (the scheduler's questions), by the
 * rules of due_sql.h. */
#include "model/crl/crl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/crl/due_sql.h"
#include "model/store/db.h"

/* The (ca_id, location, generation) rows of r into due, up to max; frees r. */
static void
take_rows(PGresult *r, struct crl_due *due, size_t max, size_t *n)
{
	for (int i = 0; i < PQntuples(r) && *n < max; i++, (*n)++) {
		snprintf(due[*n].ca_id, sizeof(due[*n].ca_id), "%s", db_get(r, i, "ca_id"));
		snprintf(due[*n].location, sizeof(due[*n].location), "%s", db_get(r, i, "location"));
		due[*n].generation = (int)db_get_ll(r, i, "generation");
	}
	PQclear(r);
}

edgeca_err
crl_find_due(PGconn *c, long delay_ms, const struct crl_due *exclude, size_t n_exclude,
             struct crl_due *due, size_t max, size_t *n, struct edgeca_msg *msg)
{
	char delay[32], limit[32], *skip = NULL;
	const char **keys = calloc(n_exclude + 1, sizeof(*keys));
	char (*key)[37 + 64 + 16] = calloc(n_exclude + 1, sizeof(*key));
	struct db_param p[3];
	PGresult *r = NULL;
	edgeca_err rc;

	*n = 0;
	for (size_t i = 0; keys != NULL && key != NULL && i < n_exclude; i++) {
		snprintf(key[i], sizeof(key[i]), "%s/%s/%d", exclude[i].ca_id, exclude[i].location,
		         exclude[i].generation);
		keys[i] = key[i];
	}
	if (keys == NULL || key == NULL ||
	    (skip = db_text_array_literal(keys, n_exclude)) == NULL) {
		free(keys);
		free(key);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	snprintf(delay, sizeof(delay), "%ld", delay_ms);
	snprintf(limit, sizeof(limit), "%zu", max);
	p[0] = (struct db_param){delay, 0, false};
	p[1] = (struct db_param){limit, 0, false};
	p[2] = (struct db_param){skip, 0, false};
	rc = db_exec(c,
	             "SELECT k.ca_id, k.location, k.generation FROM " KEYS_SQL
	             " JOIN cas c ON c.id = k.ca_id LEFT JOIN crls r ON r.ca_id = k.ca_id"
	             " AND r.location = k.location AND r.generation = k.generation"
	             " WHERE c.crl_enabled AND " PUBLISHING_SQL " AND " DUE_SQL("$1")
	             " AND NOT (k.ca_id::text || '/' || k.location || '/' || k.generation"
	             " = ANY ($3::text[]))"
	             " ORDER BY r.next_update NULLS FIRST LIMIT $2::integer",
	             p, 3, &r, "find due CRLs", msg);
	free(skip);
	free(keys);
	free(key);
	if (rc == EDGECA_OK)
		take_rows(r, due, max, n);
	return rc;
}

edgeca_err
crl_find_due_deltas(PGconn *c, long delay_ms, struct crl_due *due, size_t max, size_t *n,
                    struct edgeca_msg *msg)
{
	char delay[32], limit[32];
	struct db_param p[2] = {{delay, 0, false}, {limit, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	*n = 0;
	snprintf(delay, sizeof(delay), "%ld", delay_ms);
	snprintf(limit, sizeof(limit), "%zu", max);
	rc = db_exec(c,
	             "SELECT k.ca_id, k.location, k.generation FROM " KEYS_SQL
	             " JOIN cas c ON c.id = k.ca_id"
	             " LEFT JOIN crls r ON r.ca_id = k.ca_id AND r.location = k.location"
	             " AND r.generation = k.generation"
	             " LEFT JOIN delta_crls d ON d.ca_id = k.ca_id AND d.location = k.location"
	             " AND d.generation = k.generation"
	             " WHERE c.crl_enabled AND c.crl_delta_enabled AND " PUBLISHING_SQL
	             " AND " DELTA_DUE_SQL("$1")
	             " ORDER BY d.next_update NULLS FIRST LIMIT $2::integer",
	             p, 2, &r, "find due delta CRLs", msg);
	if (rc == EDGECA_OK)
		take_rows(r, due, max, n);
	return rc;
}
