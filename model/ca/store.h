/* PostgreSQL persistence of CAs and their locations (model-internal). */
#ifndef EDGECA_MODEL_CA_STORE_H
#define EDGECA_MODEL_CA_STORE_H

#include <libpq-fe.h>

#include "model/auth/principal.h"
#include "model/ca/ca.h"

/* Inserts ca and its locations inside the caller's transaction; fills
 * ca->id, ca->seq and ca->created_at. */
edgeca_err ca_store_insert(PGconn *c, struct ca *ca, struct edgeca_msg *msg);
/* Writes ca's OCSP settings (update_ocsp.c). */
edgeca_err ca_store_ocsp(PGconn *c, const struct ca *ca, struct edgeca_msg *msg);

/* Writes a location's state and certificate (inside the caller's
 * transaction). */
edgeca_err ca_store_update_location(PGconn *c, const char *ca_id, const struct ca_location *loc,
                                    struct edgeca_msg *msg);
/* Stores the state and locations of ca after a chaining (to a parent, or
 * an external root's certificate uploaded) with its audit row (action,
 * and detail_key: detail_value beside the status), in one transaction
 * on c. */
edgeca_err ca_store_chaining(PGconn *c, const struct principal *who, const struct ca *ca,
                             const char *action, const char *detail_key,
                             const char *detail_value, struct edgeca_msg *msg);

/* SET clause for a status $2 that a location's change brings: a disabled
 * CA stays disabled, whether its locations make it active or waiting for a
 * certificate (only ca_enable ends an operator's disabling), and keeps its
 * disabled_*; a disabled CA that is revoked drops them (revoked wins). */
#define CA_STATUS_SET_SQL                                                                      \
	"status = CASE WHEN status = 'disabled' AND $2 IN ('active', 'pending_chaining') "        \
	"THEN status ELSE $2 END, "                                                               \
	"disabled_at = CASE WHEN status = 'disabled' AND $2 <> 'revoked' THEN disabled_at END, " \
	"disabled_by = CASE WHEN status = 'disabled' AND $2 <> 'revoked' THEN disabled_by END, " \
	"disabled_reason = CASE WHEN status = 'disabled' AND $2 <> 'revoked' "                   \
	"THEN disabled_reason END"

/* Writes the CA's status, chaining and parent. */
edgeca_err ca_store_update_chaining(PGconn *c, const struct ca *ca, struct edgeca_msg *msg);

/* Fills each location's previous certificates (ca_location_history),
 * newest first. ca_store_load leaves them out: issuance has no use for
 * them; the reads that answer the API add them. */
edgeca_err ca_store_load_history(PGconn *c, struct ca *const *cas, size_t n,
                                 struct edgeca_msg *msg);

edgeca_err ca_store_load(PGconn *c, const char *id, struct ca **out, struct edgeca_msg *msg);
/* ca_store_load with the locations' previous certificates: for answers. */
edgeca_err ca_store_load_full(PGconn *c, const char *id, struct ca **out,
                              struct edgeca_msg *msg);

/* CAs with seq > after, in seq order, at most limit of them, only those
 * in the uuid[] literal only when it is not NULL; *more tells whether
 * another page follows. */
edgeca_err ca_store_list(PGconn *c, const char *only, long long after, long limit,
                         struct ca ***items, size_t *n, bool *more, struct edgeca_msg *msg);

/* Keeps the location's current generation (still holding old_key) in
 * ca_location_history and switches it to loc's new key, certificate,
 * CSR and chain (generation + 1, no pending renewal), audited ca.renew,
 * in one transaction. A location renewed or revoked meanwhile is a
 * CONFLICT (renewal-conflict). */
edgeca_err ca_renewal_store(PGconn *c, const struct principal *who, const struct ca *ca,
                            const struct ca_location *loc, const char *old_key,
                            const char *old_serial, struct edgeca_msg *msg);

/* The pending renewal of location (still on key_id): the new signer key
 * renewal_key_id and its CSR, requested by actor; inside the caller's
 * transaction, the location's row locked. */
edgeca_err ca_store_renewal_request(PGconn *c, const char *ca_id, const char *location,
                                    const char *key_id, const char *renewal_key_id,
                                    const unsigned char *csr, size_t csr_len, const char *actor,
                                    struct edgeca_msg *msg);

/* The location revoked (reason, by actor), its pending renewal dropped;
 * inside the caller's transaction. */
edgeca_err ca_store_location_revoked(PGconn *c, const char *ca_id, const char *location,
                                     const char *reason, const char *actor,
                                     struct edgeca_msg *msg);

/* The CA's status (active, revoked, ...); inside the caller's transaction. */
edgeca_err ca_store_status(PGconn *c, const char *ca_id, enum ca_status status,
                           struct edgeca_msg *msg);

/* Is key_id the signer key of a CA location, now, in its history or as
 * a pending renewal's? */
edgeca_err ca_store_key_in_use(PGconn *c, const char *key_id, bool *in_use,
                               struct edgeca_msg *msg);

#endif
