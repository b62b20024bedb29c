/* Sealed key records between the signer and the server's store: a record
 * in an OK reply is stored before the call returns, and a key the signer
 * asks for (key-record-needed) is loaded on the same connection and the
 * request sent again, once. See "Sealed key records" in
 * signer/PROTOCOL.md. */
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "signer/client/client_pool.h"

#define KEY_RECORD_NEEDED "key-record-needed"

void
signer_pool_set_records(struct signer_pool *p, const struct signer_records *r)
{
	p->records = *r;
}

/* Stores the record an OK reply carries, if any. */
static edgeca_err
store_reply_record(struct signer_pool *p, const struct signer_msg *reply, struct edgeca_msg *msg)
{
	const struct signer_field *rec = signer_msg_get(reply, SIGNER_TAG_KEY_RECORD);
	char id[SIGNER_KEY_ID_BYTES];
	uint32_t version = 0;

	if (rec == NULL)
		return EDGECA_OK;
	if (signer_get_str(reply, SIGNER_TAG_KEY_ID, id, sizeof(id)) != 0 ||
	    signer_get_u32(reply, SIGNER_TAG_RECORD_VERSION, &version) != 0)
		return edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                   "the signer sent a key record without its key id or version");
	if (p->records.store == NULL)
		return EDGECA_OK;
	return p->records.store(p->records.arg, id, version, rec->val, rec->len, msg);
}

/* Fetches key_id's record from the store and loads it on slot. */
static edgeca_err
load_record(struct signer_pool *p, int slot, const char *key_id, int64_t deadline_ms,
            bool *healthy, struct edgeca_msg *msg)
{
	static const struct signer_schema ok_empty = {SIGNER_REPLY_OK, {0}, {0}};
	struct signer_writer w = {{0}, 0};
	struct signer_msg reply;
	struct buf rec = {0};
	edgeca_err rc;

	if (p->records.fetch == NULL)
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-not-found",
		                   "no record of signer key %s", key_id);
	if ((rc = p->records.fetch(p->records.arg, key_id, &rec, msg)) != EDGECA_OK)
		goto out;
	signer_writer_init(&w, SIGNER_OP_KEY_LOAD);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_bytes(&w, SIGNER_TAG_KEY_RECORD, rec.data, rec.len);
	rc = pool_slot_call(p, slot, &w, &ok_empty, deadline_ms, false, &reply, healthy, msg);
	if (rc == EDGECA_OK)
		signer_msg_free(&reply);
	else
		log_error("signer_call: the signer refused the record of key %s: %s", key_id,
		          msg->detail);
out:
	signer_writer_free(&w);
	buf_free(&rec);
	return rc;
}

edgeca_err
records_slot_call(struct signer_pool *p, int slot, struct signer_writer *w, const char *key_id,
                  const struct signer_schema *ok_schema, int64_t deadline_ms,
                  bool may_reconnect, struct signer_msg *reply, bool *healthy,
                  struct edgeca_msg *msg)
{
	struct edgeca_msg m = {0};
	edgeca_err rc;

	rc = pool_slot_call(p, slot, w, ok_schema, deadline_ms, may_reconnect, reply, healthy, &m);
	if (rc == EDGECA_ERR_NOT_FOUND && key_id != NULL && strcmp(m.type, KEY_RECORD_NEEDED) == 0) {
		memset(&m, 0, sizeof(m));
		rc = load_record(p, slot, key_id, deadline_ms, healthy, &m);
		if (rc == EDGECA_OK)
			rc = pool_slot_call(p, slot, w, ok_schema, deadline_ms, false, reply, healthy,
			                    &m);
	}
	if (rc == EDGECA_OK && (rc = store_reply_record(p, reply, &m)) != EDGECA_OK)
		signer_msg_free(reply);
	if (rc != EDGECA_OK && msg != NULL)
		*msg = m;
	return rc;
}

/* What every pooled call does first: the frame finished and a connection
 * taken by deadline (*slot). */
static edgeca_err
call_begin(struct signer_pool *p, struct signer_writer *w, int64_t deadline,
           unsigned timeout_ms, bool counted, struct signer_msg *reply, int *slot,
           struct edgeca_msg *msg)
{
	memset(reply, 0, sizeof(*reply));
	if (signer_writer_finish(w) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		                   "the request is too large for the signer");
	*slot = pool_acquire(p, deadline, counted);
	return *slot < 0 ? pool_busy(p, timeout_ms, msg) : EDGECA_OK;
}

edgeca_err
pool_call(struct signer_pool *p, struct signer_writer *w, const char *key_id,
          const struct signer_schema *ok_schema, unsigned timeout_ms, bool counted,
          struct signer_msg *reply, struct edgeca_msg *msg)
{
	int64_t deadline = mono_ms() + timeout_ms;
	bool healthy = false;
	int slot;
	edgeca_err rc;

	if ((rc = call_begin(p, w, deadline, timeout_ms, counted, reply, &slot, msg)) != EDGECA_OK)
		return rc;
	rc = records_slot_call(p, slot, w, key_id, ok_schema, deadline, true, reply, &healthy, msg);
	pool_release(p, slot, healthy);
	return rc;
}

edgeca_err
pool_call_newest(struct signer_pool *p, struct signer_writer *w, const char *key_id,
                 const struct signer_schema *ok_schema, struct signer_msg *reply,
                 struct edgeca_msg *msg)
{
	int64_t deadline = mono_ms() + p->timeout_ms;
	struct edgeca_msg m = {0};
	bool healthy = false;
	int slot;
	edgeca_err rc;

	if ((rc = call_begin(p, w, deadline, p->timeout_ms, true, reply, &slot, msg)) != EDGECA_OK)
		return rc;
	/* a key without a record in the store is one this signer made just
	 * now: what it holds is the newest */
	rc = p->records.fetch != NULL ? load_record(p, slot, key_id, deadline, &healthy, &m)
	                              : EDGECA_ERR_NOT_FOUND;
	if (rc == EDGECA_OK || (rc == EDGECA_ERR_NOT_FOUND && strcmp(m.type, "key-not-found") == 0))
		rc = records_slot_call(p, slot, w, key_id, ok_schema, deadline, rc != EDGECA_OK,
		                       reply, &healthy, msg);
	else if (msg != NULL)
		*msg = m;
	pool_release(p, slot, healthy);
	return rc;
}

edgeca_err
signer_migrate_keys(struct signer_pool *p, unsigned *moved, struct edgeca_msg *msg)
{
	static const struct signer_schema ok_next = {
		SIGNER_REPLY_OK, {0},
		{SIGNER_TAG_KEY_ID, SIGNER_TAG_KEY_RECORD, SIGNER_TAG_RECORD_VERSION, 0}};
	char after[SIGNER_KEY_ID_BYTES] = "";
	edgeca_err rc = EDGECA_OK;

	*moved = 0;
	for (;;) {
		struct signer_writer w;
		struct signer_msg reply;
		bool more;

		signer_writer_init(&w, SIGNER_OP_KEY_MIGRATE);
		if (after[0] != '\0')
			signer_put_str(&w, SIGNER_TAG_KEY_ID, after);
		rc = pool_call(p, &w, NULL, &ok_next, p->timeout_ms, true, &reply, msg);
		signer_writer_free(&w);
		if (rc != EDGECA_OK)
			break;
		more = signer_msg_get(&reply, SIGNER_TAG_KEY_RECORD) != NULL;
		if (more) {
			signer_get_str(&reply, SIGNER_TAG_KEY_ID, after, sizeof(after));
			log_info("signer_migrate_keys: key=%s moved from the signer's files to a sealed "
			         "record in the database", after);
			(*moved)++;
		}
		signer_msg_free(&reply);
		if (!more)
			break;
	}
	return rc;
}
