/* CRL signing sessions with the signer (CRL_BEGIN, CRL_ENTRIES,
 * CRL_FINISH) on one pooled connection: the entries go in chunks cut at
 * entry boundaries, and each exchange of the session has its own deadline
 * (EDGECA_SIGNER_TIMEOUT), so a CRL of any size is bounded per chunk, not
 * as a whole. */
#include "signer/client/client.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "common/der.h"
#include "common/timeutil.h"
#include "signer/client/client_pool.h"

static const struct signer_schema ok_empty = {SIGNER_REPLY_OK, {0}, {0}};
static const struct signer_schema ok_crl_part = {SIGNER_REPLY_OK, {SIGNER_TAG_CRL_PART, 0}, {0}};

/* The entries must be a run of DER SEQUENCEs that fit a CRL_ENTRIES each:
 * they are sent in chunks cut at their boundaries. (The signer checks
 * what is inside.) */
static edgeca_err
entries_walk(const struct buf *body, struct edgeca_msg *msg)
{
	const unsigned char *p, *end;

	if (body->len > SIGNER_MAX_CRL_ENTRIES_LENGTH)
		return edgeca_fail(msg, EDGECA_ERR_OVERSIZED, "crl-too-large",
		                   "the CRL's entries exceed %" PRIu64 " bytes",
		                   SIGNER_MAX_CRL_ENTRIES_LENGTH);
	if (body->len == 0)
		return EDGECA_OK;
	for (p = body->data, end = p + body->len; p < end;) {
		size_t n = der_element_size(p, end);
		if (n == 0 || *p != DER_SEQUENCE || n > SIGNER_MAX_CRL_ENTRIES)
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "crl-entry-malformed",
			                   "the CRL's entries are not a run of DER entries (at byte %zu)",
			                   (size_t)(p - body->data));
		p += n;
	}
	return EDGECA_OK;
}

/* The size of the next chunk at off: whole entries, at most what one
 * CRL_ENTRIES carries (entries_walk made sure each fits). */
static size_t
chunk_size(const struct buf *body, size_t off)
{
	const unsigned char *start = body->data + off, *p = start, *end = body->data + body->len;

	while (p < end) {
		size_t n = der_element_size(p, end);
		if ((size_t)(p - start) + n > SIGNER_MAX_CRL_ENTRIES)
			break;
		p += n;
	}
	return (size_t)(p - start);
}

/* body = SEQUENCE header, head, body (the entries), tail: grown once, one
 * memmove. On failure body keeps the entries alone. */
static edgeca_err
assemble(struct buf *body, const struct buf *head, const struct buf *tail,
         struct edgeca_msg *msg)
{
	unsigned char h[DER_MAX_HEADER];
	size_t entries = body->len;
	size_t hl = der_header_put(h, DER_SEQUENCE, head->len + entries + tail->len);

	if (buf_append(body, tail->data, tail->len) != 0 || buf_append(body, h, hl) != 0 ||
	    buf_append(body, head->data, head->len) != 0) {
		body->len = entries;
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	memmove(body->data + hl + head->len, body->data, entries + tail->len);
	memcpy(body->data, h, hl);
	memcpy(body->data + hl, head->data, head->len);
	return EDGECA_OK;
}

/* Copies the CRL_PART of an OK reply into out, and frees the reply. */
static edgeca_err
take_part(struct signer_msg *reply, struct buf *out, struct edgeca_msg *msg)
{
	const struct signer_field *f = signer_msg_get(reply, SIGNER_TAG_CRL_PART);
	int r = buf_append(out, f->val, f->len);

	signer_msg_free(reply);
	return r == 0 ? EDGECA_OK : edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
}

edgeca_err
signer_crl_sign(struct signer_pool *p, const char *key_id, uint64_t crl_number,
                time_t this_update, time_t next_update, struct buf *body,
                struct edgeca_msg *msg)
{
	return signer_crl_sign_opts(p, key_id, crl_number, this_update, next_update, NULL, body,
	                            msg);
}

edgeca_err
signer_crl_sign_opts(struct signer_pool *p, const char *key_id, uint64_t crl_number,
                     time_t this_update, time_t next_update, const struct signer_crl_opts *opts,
                     struct buf *body, struct edgeca_msg *msg)
{
	struct signer_writer w = {{0}, 0};
	struct signer_msg reply;
	struct buf head = {0}, tail = {0};
	bool healthy = true, ignored;
	size_t off = 0, n;
	int slot = -1;
	edgeca_err rc;

	if ((rc = entries_walk(body, msg)) != EDGECA_OK)
		return rc;
	slot = pool_acquire(p, mono_ms() + p->timeout_ms, true);
	if (slot < 0)
		return pool_busy(p, p->timeout_ms, msg);
	signer_writer_init(&w, SIGNER_OP_CRL_BEGIN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_u64(&w, SIGNER_TAG_CRL_NUMBER, crl_number);
	signer_put_u64(&w, SIGNER_TAG_THIS_UPDATE, (uint64_t)this_update);
	signer_put_u64(&w, SIGNER_TAG_NEXT_UPDATE, (uint64_t)next_update);
	signer_put_u64(&w, SIGNER_TAG_ENTRIES_LENGTH, (uint64_t)body->len);
	if (opts != NULL && opts->freshest_crl_url != NULL && opts->freshest_crl_url[0] != '\0')
		signer_put_str(&w, SIGNER_TAG_FRESHEST_CRL_URL, opts->freshest_crl_url);
	if (opts != NULL && opts->delta_base > 0)
		signer_put_u64(&w, SIGNER_TAG_DELTA_BASE, opts->delta_base);
	rc = records_slot_call(p, slot, &w, key_id, &ok_crl_part, mono_ms() + p->timeout_ms, true,
	                       &reply, &healthy, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		goto out; /* a refusal opens no session: the connection stays usable */
	/* The signer now holds a session on this connection: unless it ends
	 * with CRL_FINISH's answer, the connection is closed, not pooled. */
	healthy = false;
	if ((rc = take_part(&reply, &head, msg)) != EDGECA_OK)
		goto out;
	for (; off < body->len; off += n) {
		n = chunk_size(body, off);
		signer_writer_init(&w, SIGNER_OP_CRL_ENTRIES);
		signer_put_bytes(&w, SIGNER_TAG_ENTRIES, body->data + off, n);
		rc = pool_slot_call(p, slot, &w, &ok_empty, mono_ms() + p->timeout_ms, false,
		                    &reply, &ignored, msg);
		signer_writer_free(&w);
		if (rc != EDGECA_OK)
			goto out;
		signer_msg_free(&reply);
	}
	signer_writer_init(&w, SIGNER_OP_CRL_FINISH);
	rc = pool_slot_call(p, slot, &w, &ok_crl_part, mono_ms() + p->timeout_ms, false, &reply,
	                    &ignored, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		goto out;
	healthy = true; /* the session is over on both sides */
	if ((rc = take_part(&reply, &tail, msg)) != EDGECA_OK)
		goto out;
	rc = assemble(body, &head, &tail, msg);
out:
	pool_release(p, slot, healthy);
	buf_free(&head);
	buf_free(&tail);
	return rc;
}
