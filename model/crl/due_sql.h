/* The SQL that decides which CRLs exist and when they are due, shared by
 * the CRL builder (model/crl/build.c) and the record of its failures
 * (model/lifecycle/crl_failure.c), so that both judge a CRL by the same rules.
 * Internal to model/. */
#ifndef EDGECA_MODEL_CRL_SQL_H
#define EDGECA_MODEL_CRL_SQL_H

/* Every key each location has had, k: its current one and those renewals
 * replaced (retired_not_after: the replaced certificate's notAfter;
 * key_not_after: the notAfter of the key's certificate, either way). */
#define KEYS_SQL                                                                             \
	"(SELECT l.ca_id, l.name AS location, l.generation, l.signer_key_id AS key_id,"          \
	" l.status, NULL::timestamptz AS retired_not_after, l.not_after AS key_not_after"        \
	" FROM ca_locations l"                                                                   \
	" UNION ALL SELECT h.ca_id, h.location, h.generation, h.signer_key_id, l.status,"        \
	" h.not_after, h.not_after FROM ca_location_history h"                                   \
	" JOIN ca_locations l ON l.ca_id = h.ca_id AND l.name = h.location) k"

/* Whether key k (CA c) publishes a CRL: its location is active, and it is
 * the current key or a replaced one whose certificates can still be on a
 * CRL (they expire by its notAfter and stay listed one CRL validity). */
#define PUBLISHING_SQL                                                                       \
	"(k.status = 'active' AND (k.retired_not_after IS NULL"                                  \
	" OR k.retired_not_after > now() - make_interval(days => c.crl_validity_days)))"

/* Whether key k has a revocation change made in a transaction snapshot
 * S does not see that is at least delay_ms (parameter D) old: the
 * changes of a burst wait for each other, and CRLs follow each other at
 * least that far apart. Written as the newest such change, in the order
 * of the index certificates_crl_change, so that PostgreSQL walks that
 * index back from the newest change and stops at the first match: as an
 * EXISTS it may instead scan every certificate, since it cannot know how
 * few changes S lacks (800 ms at a million revoked). */
#define CHANGED_SINCE_SQL(S, D)                                                              \
	"(SELECT x.crl_change_xid FROM certificates x"                                           \
	"  WHERE x.ca_id = k.ca_id AND x.location = k.location"                                  \
	"    AND x.issuer_key_id = k.key_id"                                                     \
	"    AND x.crl_change_xid IS NOT NULL" /* the partial index's predicate */                \
	"    AND x.crl_change_xid >= pg_snapshot_xmin(" S ")"                                    \
	"    AND NOT pg_visible_in_snapshot(x.crl_change_xid, " S ")"                            \
	"    AND x.crl_change_at <= now() - make_interval(secs => " D                            \
	"                                         ::double precision / 1000)"                    \
	"  ORDER BY x.crl_change_xid DESC LIMIT 1) IS NOT NULL"

/* Whether the CRL r of key k (CA c) is due: none yet, past
 * nextUpdate minus the overlap, naming a delta CRL (Freshest CRL) or not
 * against the CA's delta setting, or a revocation change it does not hold
 * (CHANGED_SINCE_SQL) — unless the CA publishes delta CRLs, which carry
 * the changes until the next complete CRL on its own cycle. */
#define DUE_SQL(D)                                                                           \
	"(r.ca_id IS NULL"                                                                       \
	" OR r.next_update - make_interval(hours => c.crl_overlap_hours) <= now()"               \
	" OR r.freshest <> c.crl_delta_enabled"                                                  \
	" OR (NOT c.crl_delta_enabled AND " CHANGED_SINCE_SQL("r.snapshot", D) "))"

/* Whether the delta CRL d of key k (CA c), on the complete CRL r, is due:
 * the key has a complete CRL and deltas are on, and the delta is missing,
 * refers to an older complete CRL, has a fifth of its interval or less
 * left, or lacks a revocation change (CHANGED_SINCE_SQL). */
#define DELTA_DUE_SQL(D)                                                                     \
	"(c.crl_delta_enabled AND r.ca_id IS NOT NULL AND (d.ca_id IS NULL"                      \
	" OR d.base_number < r.crl_number"                                                       \
	" OR d.next_update - make_interval(secs => c.crl_delta_interval_minutes * 12) <= now()" \
	" OR " CHANGED_SINCE_SQL("d.snapshot", D) "))"

#endif
