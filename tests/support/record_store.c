#include "tests/support/record_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORDS 1024

static struct {
	char key_id[SIGNER_KEY_ID_BYTES];
	uint32_t version;
	struct buf rec;
} records[MAX_RECORDS];
static size_t n_records;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void
record_store_put(const char *key_id, uint32_t version, const unsigned char *rec, size_t len)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < n_records && strcmp(records[i].key_id, key_id) != 0; i++)
		;
	if (i == n_records && n_records < MAX_RECORDS) {
		snprintf(records[i].key_id, sizeof(records[i].key_id), "%s", key_id);
		n_records++;
	}
	if (i < n_records && (records[i].rec.len == 0 || version > records[i].version)) {
		records[i].rec.len = 0;
		records[i].version = version;
		if (buf_append(&records[i].rec, rec, len) != 0)
			records[i].rec.len = 0;
	}
	pthread_mutex_unlock(&lock);
}

int
record_store_get(const char *key_id, struct buf *rec)
{
	int rc = -1;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_records; i++)
		if (strcmp(records[i].key_id, key_id) == 0 && records[i].rec.len > 0)
			rc = buf_append(rec, records[i].rec.data, records[i].rec.len);
	pthread_mutex_unlock(&lock);
	return rc;
}

static edgeca_err
store(void *arg, const char *key_id, uint32_t version, const unsigned char *rec, size_t len,
      struct edgeca_msg *msg)
{
	(void)arg;
	(void)msg;
	record_store_put(key_id, version, rec, len);
	return EDGECA_OK;
}

static edgeca_err
fetch(void *arg, const char *key_id, struct buf *rec, struct edgeca_msg *msg)
{
	(void)arg;
	if (record_store_get(key_id, rec) != 0)
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-not-found",
		                   "no record of signer key %s", key_id);
	return EDGECA_OK;
}

struct signer_records
record_store(void)
{
	return (struct signer_records){store, fetch, NULL};
}
