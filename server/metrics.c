#include "server/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/metrics.h"
#include "model/lifecycle/gauges.h"
#include "model/store/db.h"
#include "signer/client/client.h"

/* The version and commit of edgeca_build_info: the build's own constant
 * when it has one, else what CMake passed for this file. */
#if defined(EDGECA_VERSION)
#define BUILD_VERSION EDGECA_VERSION
#elif defined(EDGECA_BUILD_VERSION)
#define BUILD_VERSION EDGECA_BUILD_VERSION
#else
#define BUILD_VERSION "unknown"
#endif
#if defined(EDGECA_BUILD_COMMIT)
#define BUILD_COMMIT EDGECA_BUILD_COMMIT
#else
#define BUILD_COMMIT ""
#endif

/* The database's gauges as last read: scrapes within METRICS_DB_CACHE_S
 * of that reading get it again, so no scraper can load the database. */
struct metrics_page {
	struct edgeca_ctx *ctx;
	pthread_mutex_t lock; /* held by a scrape only, never by a request */
	struct lifecycle_gauges gauges;
	time_t read_at; /* CLOCK_MONOTONIC; 0: never */
	bool read_ok;
};

struct metrics_page *
metrics_page_new(struct edgeca_ctx *ctx)
{
	struct metrics_page *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return NULL;
	}
	p->ctx = ctx;
	return p;
}

void
metrics_page_free(struct metrics_page *p)
{
	if (p == NULL)
		return;
	lifecycle_gauges_clear(&p->gauges);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static time_t
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Reads the database's gauges again when the last reading is too old. */
static void
refresh(struct metrics_page *p)
{
	struct lifecycle_gauges fresh;
	struct edgeca_msg msg = {0};
	time_t now = mono_seconds();

	if (p->read_at != 0 && now - p->read_at < METRICS_DB_CACHE_S)
		return;
	p->read_at = now;
	if (lifecycle_gauges_read(p->ctx, &fresh, &msg) != EDGECA_OK) {
		/* the last values stay, marked stale by edgeca_metrics_database_up */
		log_warn("metrics: cannot read the database's gauges: %s", msg.detail);
		p->read_ok = false;
		return;
	}
	lifecycle_gauges_clear(&p->gauges);
	p->gauges = fresh;
	p->read_ok = true;
}

static int
gauge_head(struct buf *out, const char *name, const char *help)
{
	return buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{ca_id="...",location="..."} value */
static int
location_row(struct buf *out, const char *name, const struct location_gauge *l, long long v)
{
	if (buf_printf(out, "%s{", name) != 0 || metrics_label(out, "ca_id", l->ca_id) != 0 ||
	    buf_append_str(out, ",") != 0 || metrics_label(out, "location", l->location) != 0)
		return -1;
	return buf_printf(out, "} %lld\n", v);
}

static int
render_locations(struct buf *out, const struct lifecycle_gauges *g, time_t now)
{
	int rc = gauge_head(out, "edgeca_ca_not_after_timestamp_seconds",
	                    "notAfter of each active CA location's certificate (Unix time).");

	for (size_t i = 0; rc == 0 && i < g->n_locations; i++)
		rc = location_row(out, "edgeca_ca_not_after_timestamp_seconds", &g->locations[i],
		                  (long long)g->locations[i].not_after);
	if (rc == 0)
		rc = gauge_head(out, "edgeca_crl_age_seconds",
		                "Seconds since thisUpdate of each active CA location's current CRL.");
	for (size_t i = 0; rc == 0 && i < g->n_locations; i++)
		if (g->locations[i].has_crl)
			rc = location_row(out, "edgeca_crl_age_seconds", &g->locations[i],
			                  (long long)(now - g->locations[i].crl_this_update));
	if (rc == 0)
		rc = gauge_head(out, "edgeca_crl_next_update_timestamp_seconds",
		                "nextUpdate of each active CA location's current CRL (Unix time).");
	for (size_t i = 0; rc == 0 && i < g->n_locations; i++)
		if (g->locations[i].has_crl)
			rc = location_row(out, "edgeca_crl_next_update_timestamp_seconds",
			                  &g->locations[i], (long long)g->locations[i].crl_next_update);
	return rc;
}

static int
render_database(struct metrics_page *p, struct buf *out)
{
	const struct lifecycle_gauges *g = &p->gauges;
	int rc;

	pthread_mutex_lock(&p->lock);
	refresh(p);
	rc = gauge_head(out, "edgeca_metrics_database_up",
	                "1 when the last reading of the database's gauges succeeded.");
	if (rc == 0)
		rc = buf_printf(out, "edgeca_metrics_database_up %d\n", p->read_ok ? 1 : 0);
	if (rc == 0)
		rc = render_locations(out, g, time(NULL));
	if (rc == 0)
		rc = gauge_head(out, "edgeca_notification_deliveries",
		                "Notification deliveries waiting to be sent (pending) or given up "
		                "(failed).");
	if (rc == 0)
		rc = buf_printf(out, "edgeca_notification_deliveries{state=\"pending\"} %lld\n"
		                     "edgeca_notification_deliveries{state=\"failed\"} %lld\n",
		                g->deliveries_pending, g->deliveries_failed);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

static int
render_pools(struct metrics_page *p, struct buf *out)
{
	unsigned db_size = 0, db_used = 0, signer_size = 0, signer_used = 0;

	db_pool_usage(p->ctx->db, &db_size, &db_used);
	signer_pool_usage(p->ctx->signer, &signer_size, &signer_used);
	if (gauge_head(out, "edgeca_db_pool_connections",
	               "Database connections of the pool: its size and those lent now.") != 0 ||
	    buf_printf(out, "edgeca_db_pool_connections{state=\"size\"} %u\n"
	                    "edgeca_db_pool_connections{state=\"in_use\"} %u\n",
	               db_size, db_used) != 0 ||
	    gauge_head(out, "edgeca_signer_pool_connections",
	               "Signer connections of the pool: its size and those in a call now.") != 0)
		return -1;
	return buf_printf(out, "edgeca_signer_pool_connections{state=\"size\"} %u\n"
	                       "edgeca_signer_pool_connections{state=\"in_use\"} %u\n",
	                  signer_size, signer_used);
}

int
metrics_page_render(struct metrics_page *p, struct buf *out)
{
	if (gauge_head(out, "edgeca_build_info", "The running edgeca-server's version and "
	               "commit; always 1.") != 0 ||
	    buf_append_str(out, "edgeca_build_info{") != 0 ||
	    metrics_label(out, "version", BUILD_VERSION) != 0 || buf_append_str(out, ",") != 0 ||
	    metrics_label(out, "commit", BUILD_COMMIT) != 0 || buf_append_str(out, "} 1\n") != 0)
		return -1;
	if (metrics_render(out) != 0 || render_pools(p, out) != 0 || render_database(p, out) != 0)
		return -1;
	return 0;
}
