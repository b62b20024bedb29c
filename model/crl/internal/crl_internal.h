/* What the CRL builders share (model/crl/build.c for complete CRLs,
 * model/crl/delta.c for delta CRLs): the location's CRL lock, its number
 * sequence, the COPY of entries and the digest that is the CRL's ETag.
 * For model/crl's own files. */
#ifndef EDGECA_MODEL_CRL_INTERNAL_H
#define EDGECA_MODEL_CRL_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

#include "common/buf.h"
#include "common/digests.h"
#include "common/error.h"

/* RFC 5280 CRLReason names by code (position + 1 in SQL arrays). */
#define CRL_REASON_ARRAY_SQL                                                                 \
	"ARRAY['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', "           \
	"'superseded', 'cessationOfOperation', 'certificateHold', '-', 'removeFromCRL', "         \
	"'privilegeWithdrawn', 'aACompromise']::text[]"

/* Takes (wait: blocking) or tries the location's CRL lock, a
 * session-level advisory lock: one builder per location, complete or
 * delta, across every server instance. *got says whether it is held. */
edgeca_err crl_lock(PGconn *c, const char *ca_id, const char *location, bool wait, bool *got,
                    struct edgeca_msg *msg);
void crl_unlock(PGconn *c, const char *ca_id, const char *location);

/* The location's next CRL number, committed at once: complete and delta
 * CRLs share the sequence (RFC 5280 5.2.4). */
edgeca_err crl_reserve_number(PGconn *c, const char *ca_id, const char *location,
                              long long *number, struct edgeca_msg *msg);

/* Runs sql, a COPY ... TO STDOUT of rows "serial \t revoked_at epoch \t
 * reason code \t invalidity epoch or \N", and appends one DER entry per
 * row to entries (delta: reason 8, removeFromCRL, allowed); *count
 * receives the rows. */
edgeca_err crl_copy_entries(PGconn *c, const char *sql, bool delta, struct buf *entries,
                            long long *count, struct edgeca_msg *msg);

/* Hex SHA-256 of a CRL. */
edgeca_err crl_digest_hex(const unsigned char *der, size_t len, char out[SHA256_HEX_BYTES],
                          struct edgeca_msg *msg);

/* Milliseconds since t0 (CLOCK_MONOTONIC), for the build's log line. */
double crl_ms_since(const struct timespec *t0);

#endif
