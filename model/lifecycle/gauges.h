/* What the metrics read of the database when /metrics is scraped: each
 * active CA location's notAfter, the current CRL of each, and how many
 * notification deliveries wait or failed. Reads ca_locations, crls and
 * notification_deliveries, one query each; writes nothing. Called by
 * server/metrics.c. */
#ifndef EDGECA_MODEL_LIFECYCLE_GAUGES_H
#define EDGECA_MODEL_LIFECYCLE_GAUGES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/core/context.h"

struct location_gauge {
	char ca_id[40];
	char location[64];
	time_t not_after;
	bool has_crl;          /* the location's current key has a CRL */
	time_t crl_this_update;
	time_t crl_next_update;
};

struct lifecycle_gauges {
	struct location_gauge *locations;
	size_t n_locations;
	long long deliveries_pending; /* pending or being sent */
	long long deliveries_failed;
};

/* Fills g from the database.
 * Returns: EDGECA_OK; EDGECA_ERR_UNAVAILABLE (database-unavailable).
 * Ownership: g's array is the caller's (lifecycle_gauges_clear). */
edgeca_err lifecycle_gauges_read(struct edgeca_ctx *ctx, struct lifecycle_gauges *g,
                                 struct edgeca_msg *msg);
void lifecycle_gauges_clear(struct lifecycle_gauges *g);

#endif
