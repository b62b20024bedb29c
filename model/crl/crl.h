/* CRLs: each active location of a CA with CRLs enabled publishes one
 * current CRL per key (generation) it has had, signed by the signer with
 * that key and listing the certificates that key issued: the current key
 * always, a key a renewal replaced until its certificates have expired. A CRL is
 * built by streaming the location's revoked, unexpired certificates out of
 * PostgreSQL into DER entries (a few dozen bytes each, no per-entry
 * objects) that the signer checks and signs; it is stored with the
 * snapshot it was read in, which is how edgeca knows it is out of date. */
#ifndef EDGECA_MODEL_CRL_H
#define EDGECA_MODEL_CRL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/digests.h"
#include "common/encoding.h"
#include "model/core/context.h"

struct crl {
	char ca_id[UUID_TEXT_BYTES];
	char location[64];
	int generation;     /* of the location's key that signed it */
	long long number;
	long long base_number; /* a delta CRL's base CRL number; 0: a complete CRL */
	time_t this_update;
	time_t next_update;
	long long entries;
	char sha256[SHA256_HEX_BYTES];    /* hex of the DER's SHA-256: the ETag */
	unsigned char *der; /* NULL unless asked for */
	size_t der_len;
};

void crl_clear(struct crl *c);

/* Why a CRL is made: a caller's request (made whatever the state), the
 * scheduler's finding that it is due (made only if it still is once the
 * location's CRL lock is held), or a key's first, before the operation
 * that made the key publish answers (made only if the key still has none
 * once the lock is held). */
enum crl_why { CRL_FORCED, CRL_IF_DUE, CRL_FIRST };

/* Builds, signs and stores the CRL of the key of generation generation of
 * (ca_id, location) on connection c,
 * which must not be in a transaction. With CRL_IF_DUE, another instance
 * building the same CRL or the CRL having become current meanwhile makes
 * this a no-op (*made false). With CRL_FIRST, it waits for a builder of
 * the location, and a key that has a CRL by then, or publishes none, is a
 * no-op. out (may be NULL) receives the new CRL's
 * metadata. Audited as crl.generate by actor. */
edgeca_err crl_generate(struct edgeca_ctx *ctx, PGconn *c, const char *actor, const char *ca_id,
                        const char *location, int generation, enum crl_why why, bool *made,
                        struct crl *out, struct edgeca_msg *msg);

/* The current CRL of a location's key of generation generation (0: its
 * current key; location NULL: the CA's first active one); with_der reads
 * the body too. EDGECA_ERR_NOT_FOUND when the CA
 * publishes no CRL or none exists yet. */
edgeca_err crl_get(struct edgeca_ctx *ctx, const char *ca_id, const char *location,
                   int generation, bool with_der, struct crl *out, struct edgeca_msg *msg);

/* A forced CRL of a CA location's current key for an API caller
 * (location NULL: the first active one); previous keys' CRLs are the
 * scheduler's. */
edgeca_err crl_force(struct edgeca_ctx *ctx, const char *actor, const char *ca_id,
                     const char *location, struct crl *out, struct edgeca_msg *msg);

/* The locations whose CRL is due at the time of the query: none yet, past
 * nextUpdate minus the CA's overlap, or a revocation change it does not
 * hold that is at least delay_ms old (the rest of a burst arrives
 * meanwhile and goes into the same CRL). Up to max pairs; *n receives the
 * count. */
struct crl_due {
	char ca_id[UUID_TEXT_BYTES];
	char location[64];
	int generation;
};
/* exclude: n_exclude locations left out (e.g. failing ones backing off),
 * so that they cannot take every place of the batch. */
edgeca_err crl_find_due(PGconn *c, long delay_ms, const struct crl_due *exclude,
                        size_t n_exclude, struct crl_due *due, size_t max, size_t *n,
                        struct edgeca_msg *msg);

/* The public URL of the CRL of a location's key of generation generation:
 * <public PKI URL>/crl/<ca id>/<location>.crl for the first key,
 * .../<location>.<generation>.crl for the keys renewals made. */
void crl_public_url(const struct model_settings *settings, const char *ca_id, const char *location,
                    int generation, char url[PUBLIC_URL_BYTES]);

/* Delta CRLs (model/crl/delta.c). A key's delta CRL refers to its current
 * complete CRL and lists what changed since: crl_generate_delta builds it
 * as crl_generate does a complete one (CRL_FORCED or CRL_IF_DUE; under the
 * same location lock, from the same number sequence); it is due when the
 * CA has crl.delta on and the key has a complete CRL, and its delta is
 * missing, refers to an older CRL, has a fifth of its interval left, or
 * lacks a revocation change at least delay_ms old. */
edgeca_err crl_generate_delta(struct edgeca_ctx *ctx, PGconn *c, const char *actor,
                              const char *ca_id, const char *location, int generation,
                              enum crl_why why, bool *made, struct crl *out,
                              struct edgeca_msg *msg);
edgeca_err crl_find_due_deltas(PGconn *c, long delay_ms, struct crl_due *due, size_t max,
                               size_t *n, struct edgeca_msg *msg);

/* crl_get and crl_force for the delta CRL; EDGECA_ERR_NOT_FOUND
 * (crl-delta-disabled) when the CA publishes none. */
edgeca_err crl_get_delta(struct edgeca_ctx *ctx, const char *ca_id, const char *location,
                         int generation, bool with_der, struct crl *out,
                         struct edgeca_msg *msg);
edgeca_err crl_force_delta(struct edgeca_ctx *ctx, const char *actor, const char *ca_id,
                           const char *location, struct crl *out, struct edgeca_msg *msg);

/* The public URL of the delta CRL of a location's key:
 * <public PKI URL>/crl/<ca id>/<location>.delta.crl for the first key,
 * .../<location>.<generation>.delta.crl for the others. */
void crl_delta_url(const struct model_settings *settings, const char *ca_id,
                   const char *location, int generation, char url[PUBLIC_URL_BYTES]);

/* RFC 5280 CRLReason code of a reason name, or -1. */
int crl_reason_code(const char *name);

#endif
