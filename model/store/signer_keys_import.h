/* Records of keys an operator brings in (edgeca-signer import-key): the
 * first row of a key id in signer_keys, written only when no other record
 * holds that id, and taken back when the import fails. For the CA import
 * of model/ca only. */
#ifndef EDGECA_MODEL_SIGNER_KEYS_IMPORT_H
#define EDGECA_MODEL_SIGNER_KEYS_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct db_pool;

/* Stores rec as the first record of key_id. The very same record stored
 * already is no change (*inserted false: an import tried again); any
 * other record of key_id refuses: EDGECA_ERR_CONFLICT, key-id-in-use. */
edgeca_err signer_keys_claim(struct db_pool *db, const char *key_id, uint32_t version,
                             const unsigned char *rec, size_t len, bool *inserted,
                             struct edgeca_msg *msg);

/* Removes key_id's record if it is still rec (an import that failed
 * before its CA existed); a newer version stays. */
edgeca_err signer_keys_unclaim(struct db_pool *db, const char *key_id,
                               const unsigned char *rec, size_t len, struct edgeca_msg *msg);

#endif
