/* Where a request of either listener ends, once its answer is sent: the
 * one place that restarts its connection's deadline and counts it in the
 * metrics (common/metrics.h). */
#ifndef EDGECA_API_REQUEST_END_H
#define EDGECA_API_REQUEST_END_H

#include <microhttpd.h>

/* The request on con ended (from MHD_OPTION_NOTIFY_COMPLETED). listener
 * is "api" or "est"; route the pattern it was served under (NULL or ""
 * when none: "other"), never the raw path. */
void listen_request_done(struct MHD_Connection *con, const char *listener, const char *route);

#endif
