/* edgeca-server's Prometheus metrics (docs/metrics.md): the /metrics
 * listener at EDGECA_METRICS_LISTEN (plain HTTP, off unless set) and the
 * page it serves: the counters and histograms of common/metrics.h, the
 * pools' use, and gauges read from the database at most every
 * METRICS_DB_CACHE_S seconds however often it is scraped. */
#ifndef EDGECA_SERVER_METRICS_H
#define EDGECA_SERVER_METRICS_H

#include "common/buf.h"
#include "model/core/context.h"
#include "server/config.h"

#define METRICS_DB_CACHE_S 10

struct metrics_server;

/* Starts the listener when cfg->metrics_host is set (else *out = NULL)
 * and turns counting on.
 * Returns: EDGECA_OK; EDGECA_ERR_UNAVAILABLE when it cannot listen.
 * Ownership: *out is the caller's (metrics_server_stop, NULL is fine). */
edgeca_err metrics_server_start(struct edgeca_ctx *ctx, const struct edgeca_config *cfg,
                                struct metrics_server **out, struct edgeca_msg *msg);
void metrics_server_stop(struct metrics_server *s);

/* The page a scrape gets, appended to out. Returns 0, or -1 when out of
 * memory. */
struct metrics_page;
struct metrics_page *metrics_page_new(struct edgeca_ctx *ctx);
void metrics_page_free(struct metrics_page *p);
int metrics_page_render(struct metrics_page *p, struct buf *out);

#endif
