/* The counters and histograms of edgeca-server's Prometheus metrics
 * (docs/metrics.md): bumped on the request paths by any module, rendered
 * by server/metrics.c when /metrics is scraped. Nothing is counted until
 * metrics_enable() (EDGECA_METRICS_LISTEN set): then each call is a few
 * atomic additions on a series found in a fixed lock-free table.
 * Label values are short names (route patterns, templates, CA ids,
 * operations, reasons): never serials, subjects or secrets. */
#ifndef EDGECA_COMMON_METRICS_H
#define EDGECA_COMMON_METRICS_H

#include <stdbool.h>
#include <time.h>

#include "common/buf.h"

/* Turns counting on, for the process's life. */
void metrics_enable(void);
bool metrics_enabled(void);

/* A certificate was signed and stored: channel is "rest" or "est". */
void metrics_cert_issued(const char *ca_id, const char *template_name, const char *channel);

/* A request ended: listener "api" or "est", route the registered pattern
 * ("other" when none), status the HTTP status sent (0: none). */
void metrics_http_done(const char *listener, const char *route, unsigned status,
                       double seconds);

/* A call to the signer took seconds; ok: it answered without an error. */
void metrics_signer_call(const char *operation, bool ok, double seconds);

/* An EST client failed authentication; reason is a problem slug. */
void metrics_est_auth_failure(const char *reason);

/* Appends every counter and histogram in the text exposition format.
 * Returns 0, or -1 when out of memory. */
int metrics_render(struct buf *out);

/* Appends label="value" with the format's escapes (\\, \", \n). */
int metrics_label(struct buf *out, const char *name, const char *value);

/* Seconds between two CLOCK_MONOTONIC readings. */
double metrics_seconds_since(const struct timespec *start);

#endif
