/* The first CRL of each key that starts to publish one, made before the
 * operation that started it (creation, chaining, an upload, a renewal, CRLs
 * turned on) answers; a failure leaves the operation standing, noted in
 * the answer's warnings, and the CRL to the scheduler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "model/ca/first_crls.h"
#include "model/ca/internal/ca_internal.h"
#include "model/crl/crl.h"
#include "model/crl/due_sql.h"
#include "model/store/db.h"

/* Appends a copy of line to the NULL-terminated *v; -1 when out of memory
 * (*v unchanged). */
static int
note(char ***v, const char *line)
{
	size_t n = 0;
	char **grown, *copy = strdup(line);

	while (*v != NULL && (*v)[n] != NULL)
		n++;
	if (copy == NULL || (grown = realloc(*v, (n + 2) * sizeof(*grown))) == NULL) {
		free(copy);
		return -1;
	}
	grown[n] = copy;
	grown[n + 1] = NULL;
	*v = grown;
	return 0;
}

/* The CA's keys that publish CRLs and have none yet (crl_sql.h), oldest
 * first: the scheduler would find each of them due. */
static const char first_missing_sql[] =
	"SELECT k.location, k.generation FROM " KEYS_SQL " JOIN cas c ON c.id = k.ca_id"
	" LEFT JOIN crls r ON r.ca_id = k.ca_id AND r.location = k.location"
	" AND r.generation = k.generation"
	" WHERE k.ca_id = $1::uuid AND c.crl_enabled AND " PUBLISHING_SQL " AND r.ca_id IS NULL"
	" ORDER BY k.location, k.generation";

void
ca_first_crls(struct edgeca_ctx *ctx, PGconn *c, const char *actor, struct ca *ca)
{
	struct db_param p[1] = {{ca->id, 0, false}};
	struct edgeca_msg msg = {0};
	PGresult *r = NULL;
	char line[1024];

	if (ca->warnings == NULL && (ca->warnings = calloc(1, sizeof(char *))) == NULL)
		log_error("ca_first_crls: ca=%s: out of memory", ca->id);
	if (!ca->crl_enabled)
		goto out;
	if (db_exec(c, first_missing_sql, p, 1, &r, "find keys without a CRL", &msg) != EDGECA_OK) {
		log_warn("ca_first_crls: ca=%s: %s", ca->id, msg.detail);
		snprintf(line, sizeof(line), "the CA's first CRLs could not be made (%s); the "
		         "scheduler makes them", msg.detail);
		if (note(&ca->warnings, line) != 0)
			log_error("ca_first_crls: ca=%s: out of memory", ca->id);
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		const char *location = db_get(r, i, "location");
		const int generation = (int)db_get_ll(r, i, "generation");
		bool made = false;

		if (crl_generate(ctx, c, actor, ca->id, location, generation, CRL_FIRST, &made, NULL,
		                 &msg) == EDGECA_OK)
			continue;
		/* the operation stands: the CRL is due, so the scheduler retries
		 * it and notifies crl_generation_failed */
		log_warn("ca_first_crls: ca=%s location=%s generation=%d: %s", ca->id, location,
		         generation, msg.detail);
		snprintf(line, sizeof(line), "the first CRL of location %s (key generation %d) could "
		         "not be made: %s; the scheduler keeps trying and notifies "
		         "crl_generation_failed", location, generation, msg.detail);
		if (note(&ca->warnings, line) != 0)
			log_error("ca_first_crls: ca=%s: out of memory", ca->id);
	}
out:
	PQclear(r);
}
