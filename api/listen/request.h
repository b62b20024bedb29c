/* What both listeners do for every request: its request id (the client's
 * X-Request-Id when sane, else a new one), the log context of the thread
 * serving it (common/log.h), and at its end one access-log line. Called
 * by api/rest and api/est only. */
#ifndef EDGECA_API_LISTEN_REQUEST_H
#define EDGECA_API_LISTEN_REQUEST_H

#include <stdbool.h>
#include <time.h>

#include "common/log.h"

#define LISTEN_REQUEST_ID_HEADER "X-Request-Id"

/* One request from its headers to its end. Strings are the request's;
 * listener and route are static text. */
struct listen_request {
	char id[LOG_REQUEST_ID_MAX + 1];
	char method[16];
	char principal[LOG_PRINCIPAL_BYTES]; /* "" until authenticated */
	const char *listener;                /* "api", "est" */
	struct timespec start;
};

/* True when s may serve as a request id: 1 to 128 characters of
 * [A-Za-z0-9._:-]. */
bool listen_request_id_sane(const char *s);

/* Starts r: the inbound id when sane (NULL: none), else 32 random hex
 * digits; then as listen_request_enter. */
void listen_request_begin(struct listen_request *r, const char *listener, const char *method,
                          const char *inbound_id);
/* Makes r the request the calling thread serves (log lines name it). */
void listen_request_enter(const struct listen_request *r);
/* The thread stops serving r for now: the principal it learnt is kept
 * in r, the thread's log context cleared. */
void listen_request_leave(struct listen_request *r);

/* Writes the access-log line of r, answered with status, matched by route
 * (the registered pattern; NULL: "other"). Off with
 * listen_request_access_log(false). */
void listen_request_end(const struct listen_request *r, const char *route, int status);
void listen_request_access_log(bool on);

#endif
