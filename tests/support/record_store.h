/* Where unit tests keep the signer's sealed key records: in memory, as
 * the server keeps them in PostgreSQL (the newest version of each key's
 * opaque record), so that a test can stop and start a signer process and
 * still use the keys it made. Thread-safe. */
#ifndef EDGECA_TEST_SUPPORT_RECORD_STORE_H
#define EDGECA_TEST_SUPPORT_RECORD_STORE_H

#include "signer/client/client.h"

/* The store's two functions for signer_pool_set_records. */
struct signer_records record_store(void);

/* The newest record of key_id appended to rec (0), or -1 when none. */
int record_store_get(const char *key_id, struct buf *rec);
/* Keeps rec as key_id's record at version (newer versions only). */
void record_store_put(const char *key_id, uint32_t version, const unsigned char *rec,
                      size_t len);

#endif
