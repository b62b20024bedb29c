/* The table of what PostgreSQL said about certificates of CA keys (their
 * OCSP status) and about the CAs (their OCSP settings), under the answer
 * cache (cache.c), which alone calls it: the cache decides when entries
 * may be stored and drops them exactly when it drops answers. */
#ifndef EDGECA_MODEL_OCSP_KNOWN_H
#define EDGECA_MODEL_OCSP_KNOWN_H

#include <stdatomic.h>

#include "model/ocsp/ocsp.h"

struct ocsp_known_table;

/* A table of at most about entries statuses (clock eviction). NULL when
 * out of memory. */
struct ocsp_known_table *known_new(size_t entries);
void known_free(struct ocsp_known_table *t);
/* The status of serial under key_id (serial "": the settings of key_id's
 * CA) into *out; false when not known. */
bool known_get(struct ocsp_known_table *t, const char *key_id, const char *serial,
               struct ocsp_known *out);
/* Stores v for (key_id, serial) unless *epoch is no longer expect, read
 * under the shard's lock: a forget that moved the epoch first either
 * finds the entry or makes this a no-op. */
void known_put(struct ocsp_known_table *t, const atomic_ulong *epoch, unsigned long expect,
               const char *key_id, const char *serial, const struct ocsp_known *v);
/* Drops (key_id, serial), every entry of key_id (serial NULL), or all
 * (key_id NULL). */
void known_forget(struct ocsp_known_table *t, const char *key_id, const char *serial);
size_t known_count(struct ocsp_known_table *t);

#endif
