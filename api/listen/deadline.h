/* Request deadlines for both listeners. libmicrohttpd closes a connection
 * only when it has been idle for EDGECA_CONNECTION_TIMEOUT: a client that
 * sends a byte now and then (a request header, a body, a TLS handshake
 * record by record) would hold its connection, and with enough of them
 * every connection slot, for as long as it likes. The watch gives each
 * connection EDGECA_REQUEST_TIMEOUT seconds from its start, and again
 * from each answer, to complete its next request; past that its socket is
 * shut down and libmicrohttpd closes the connection. */
#ifndef EDGECA_API_DEADLINE_H
#define EDGECA_API_DEADLINE_H

#include <microhttpd.h>

#include "common/error.h"

struct deadline_watch;

/* Starts the thread that looks once a second. */
edgeca_err deadline_watch_start(unsigned seconds, struct deadline_watch **out,
                                struct edgeca_msg *msg);
/* Stops it; call after the listeners have stopped. NULL is fine. */
void deadline_watch_stop(struct deadline_watch *w);

/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the watch): tracks the
 * connection from its start to its close in *socket_context. */
void deadline_on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe);

/* A request's line arrived on con (from MHD_OPTION_URI_LOG_CALLBACK). */
void deadline_request_begun(struct MHD_Connection *con);

/* A request of con was answered: its next one gets the full time.
 * Returns the seconds since deadline_request_begun (0: not known). */
double deadline_request_done(struct MHD_Connection *con);

#endif
