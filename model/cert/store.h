/* PostgreSQL persistence of issued certificates (model-internal). */
#ifndef EDGECA_MODEL_CERT_STORE_H
#define EDGECA_MODEL_CERT_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

#include "model/cert/certificate.h"
#include "model/store/db.h"

/* Inserts cert and its audit row (action: certificate.issue, or
 * ca.sign_subordinate with the path_length asked for; -1: none) in one
 * statement (atomic), provided its CA and location are still active;
 * fills id and created_at.
 * Returns: EDGECA_OK; EDGECA_ERR_CONFLICT with *serial_taken when the
 * serial is taken; EDGECA_ERR_CONFLICT ca-revoked, location-revoked or
 * ca-not-active when the CA or location is no longer active (nothing is
 * stored); database errors.
 * Locks: the location's row FOR KEY SHARE, which every revocation
 * conflicts with (ca_revoke locks the rows FOR UPDATE), in the insert's
 * own transaction. */
edgeca_err cert_store_insert(PGconn *c, struct certificate *cert, const char *actor,
                             const char *action, long path_length, bool *serial_taken,
                             struct edgeca_msg *msg);

edgeca_err cert_store_get(PGconn *c, const char *ca_id, const char *serial,
                          struct certificate **out, struct edgeca_msg *msg);

/* status NULL: any; f->status is not read. */
edgeca_err cert_store_list(PGconn *c, const char *ca_id, const struct cert_filter *f,
                           const enum cert_status *status, long long after, long limit, struct certificate ***items, size_t *n,
                           bool *more, struct edgeca_msg *msg);

/* The rows of "SELECT <certificate columns> FROM <certificates with
 * their issuer's revocation> " followed by tail (WHERE, ORDER BY, LIMIT
 * limit + 1 over the params p), at most limit of them; *more tells
 * whether the query found more. Ownership: *items (n of them, each
 * cert_free, then the array free) is the caller's. */
edgeca_err cert_store_select(PGconn *c, const char *tail, const struct db_param *p, int np,
                             long limit, struct certificate ***items, size_t *n, bool *more,
                             struct edgeca_msg *msg);
/* count(*) over the same FROM (without the issuer's revocation when tail
 * does not read it), followed by tail (a WHERE). */
edgeca_err cert_store_count(PGconn *c, const char *tail, const struct db_param *p, int np,
                            long long *out, struct edgeca_msg *msg);
/* The SQL condition (" AND ...") of a status, as the listed status column
 * decides it, for the same FROM. */
const char *cert_status_condition(enum cert_status status);

/* Whether the CA issued a device certificate (template client or ssl)
 * whose common name is cn and whose status is valid now (see
 * certificate.h): how an IoT Edge CA request names a known device. */
edgeca_err cert_store_has_valid_device(PGconn *c, const char *ca_id, const char *cn, bool *found,
                                       struct edgeca_msg *msg);

/* A subordinate CA location's certificate, revoked as a certificate of
 * its parent ca_id (signed by location's key issuer_key_id), so that the
 * parent's CRL lists it: inserted when the parent's table does not hold
 * it yet; a permanent revocation already there stays. */
struct cert_revoked_ca {
	const char *ca_id, *location, *serial, *subject, *common_name, *key_algorithm;
	time_t not_before, not_after;
	const char *requester;
	const unsigned char *der;
	size_t der_len;
	const char *reason, *revoked_by, *issuer_key_id;
};
edgeca_err cert_store_revoked_ca(PGconn *c, const struct cert_revoked_ca *rec,
                                 struct edgeca_msg *msg);

/* Revocation (model/cert/store_revocation.c). The certificate (ca_id,
 * serial canonical) locked FOR UPDATE until the transaction ends; *row
 * has no row when it does not exist, else the columns id, status,
 * revocation_reason, requester, revoked_by and not_before (epoch). */
edgeca_err cert_store_lock_revocation(PGconn *c, const char *ca_id, const char *serial,
                                      PGresult **row, struct edgeca_msg *msg);
/* Revokes the locked certificate id (reason; invalidity_date NULL: none;
 * previous_reason: the one replaced, NULL if it was valid) and writes the
 * certificate.revoke audit row; crl_change_xid tells the CRL scheduler. */
edgeca_err cert_store_revoke(PGconn *c, const char *id, const char *reason,
                             const time_t *invalidity_date, const char *actor,
                             const char *previous_reason, struct edgeca_msg *msg);
/* Makes the locked certificate id valid again (the hold released_reason
 * ended), audited certificate.unrevoke. */
edgeca_err cert_store_release(PGconn *c, const char *id, const char *actor,
                              const char *released_reason, struct edgeca_msg *msg);

#endif
