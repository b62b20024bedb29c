/* The CA names in the EST listener's TLS certificate request: the
 * subjects of the CAs whose client certificates EST accepts
 * (model/est/client_cas.h), for clients that pick their certificate from
 * that list (Java, Windows schannel, browsers). A hint only: GnuTLS asks
 * for a certificate without requiring or verifying one, and edgeca
 * decides on every request whom it authenticates (model/est/auth.c).
 * Used by api/est/est_server.c alone. */
#ifndef EDGECA_API_EST_CA_NAMES_H
#define EDGECA_API_EST_CA_NAMES_H

#include <gnutls/gnutls.h>

#include "model/core/context.h"

/* Seconds between two reloads of the list: a new CA, a changed anchor
 * list or a renewal is named from the first handshake after the next
 * reload on. */
#define EST_CA_NAMES_REFRESH_S 5
/* At most this many bytes of names (each a DER subject after its two-byte
 * length, as TLS carries them; TLS allows 65,535): about 150 CAs. The
 * rest are left out (logged once), last ones first: CAs' current
 * certificates by creation, then bootstrap anchors, then certificates
 * renewals replaced. */
#define EST_CA_NAMES_MAX_BYTES 16384

struct est_ca_names;

/* Loads the list and starts the thread that reloads it. A list that
 * cannot be loaded (database unreachable) is empty until it can be; a
 * later failure keeps the last one.
 * Ownership: *out is the caller's (est_ca_names_stop). */
edgeca_err est_ca_names_start(struct edgeca_ctx *ctx, struct est_ca_names **out,
                              struct edgeca_msg *msg);
/* Stops the thread and frees the lists; once the listener has stopped,
 * so that no connection uses one any more. NULL is fine. */
void est_ca_names_stop(struct est_ca_names *n);

/* At a connection's start (MHD_CONNECTION_NOTIFY_STARTED), before its
 * handshake: session asks the client for a certificate (not requiring
 * one) and names the current list. con identifies the connection for
 * est_ca_names_detach. */
void est_ca_names_attach(struct est_ca_names *n, const void *con, gnutls_session_t session);
/* At its close (MHD_CONNECTION_NOTIFY_CLOSED, when libmicrohttpd has
 * freed the session): the list it used may be freed. */
void est_ca_names_detach(struct est_ca_names *n, const void *con);

#endif
