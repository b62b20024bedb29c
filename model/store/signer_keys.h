/* The signer's sealed key records in PostgreSQL (table signer_keys):
 * what the server's signer client stores and fetches for every signer of
 * the deployment (server/context.c hands these to it). The server
 * cannot open a record; it keeps the newest version of each. */
#ifndef EDGECA_MODEL_SIGNER_KEYS_H
#define EDGECA_MODEL_SIGNER_KEYS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

struct db_pool;

/* Keeps the record of key_id at version unless the table holds that
 * version or a newer one already (the first stored of one version stays). */
edgeca_err signer_keys_store(struct db_pool *db, const char *key_id, uint32_t version,
                             const unsigned char *rec, size_t len, struct edgeca_msg *msg);

/* The newest record of key_id appended to rec; NOT_FOUND when none. */
edgeca_err signer_keys_fetch(struct db_pool *db, const char *key_id, struct buf *rec,
                             struct edgeca_msg *msg);

/* A key record a deletion took away: what a signer needs to find the key
 * to destroy it (signer_key_destroy) once the deletion is committed. */
struct signer_key_gone {
	char key_id[65];
	struct buf rec;
};

/* Frees the n records of v and v; accepts NULL. */
void signer_keys_gone_free(struct signer_key_gone *v, size_t n);

/* Drops the records of the keys whose ids are in key_ids (a PostgreSQL
 * text array literal, e.g. "{a,b}") inside the caller's transaction: a
 * deleted CA's keys can no longer be loaded by any signer. *gone receives
 * the records dropped, *n how many (the caller's: signer_keys_gone_free). */
edgeca_err signer_keys_delete(PGconn *c, const char *key_ids, struct signer_key_gone **gone,
                              size_t *n, struct edgeca_msg *msg);

#endif
