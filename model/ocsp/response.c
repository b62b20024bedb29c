/* OCSP responses in DER, by hand: the ResponseData the signer signs
 * (it checks every field again) and the OCSPResponse around the
 * BasicOCSPResponse it returns. */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/der.h"
#include "model/ocsp/ocsp.h"

#define TAG_CTX0 0xa0
#define TAG_CTX1 0xa1
#define TAG_CTX2 0xa2

static const unsigned char nonce_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05,
                                          0x07, 0x30, 0x01, 0x02};
static const unsigned char basic_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05,
                                          0x07, 0x30, 0x01, 0x01};

/* Wraps the content built in inner as one element of tag appended to
 * out. */
static int
wrap(struct buf *out, unsigned char tag, struct buf *inner)
{
	int rc = der_append(out, tag, inner->data, inner->len);

	buf_free(inner);
	return rc;
}

static int
put_time(struct buf *b, time_t t)
{
	unsigned char tm[DER_MAX_TIME];
	size_t n = der_generalized_time_put(tm, t);

	return n == 0 ? -1 : buf_append(b, tm, n);
}

/* SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate,
 * nextUpdate [0] EXPLICIT } */
static int
single(struct buf *out, const struct ocsp_single *s, time_t now, time_t next_update)
{
	struct buf b = {0}, st = {0}, nu = {0};
	int rc = -1;

	if (buf_append(&b, s->id->der, s->id->der_len) != 0)
		goto out;
	if (s->status == OCSP_CERT_GOOD)
		rc = der_append(&b, 0x80, NULL, 0);
	else if (s->status == OCSP_CERT_UNKNOWN)
		rc = der_append(&b, 0x82, NULL, 0);
	else {
		unsigned char reason[5] = {DER_ENUMERATED, 1, (unsigned char)s->reason};
		struct buf r = {0};
		rc = put_time(&st, s->revoked_at);
		if (rc == 0 && s->reason >= 0 && (rc = buf_append(&r, reason, 3)) == 0)
			rc = wrap(&st, TAG_CTX0, &r);
		buf_free(&r);
		if (rc == 0)
			rc = wrap(&b, 0xa1, &st);
	}
	if (rc != 0 || (rc = put_time(&b, now)) != 0 || (rc = put_time(&nu, next_update)) != 0 ||
	    (rc = wrap(&b, TAG_CTX0, &nu)) != 0)
		goto out;
	rc = wrap(out, DER_SEQUENCE, &b);
out:
	buf_free(&b);
	buf_free(&st);
	buf_free(&nu);
	return rc;
}

int
ocsp_response_data(const unsigned char key_hash[20], time_t now, time_t next_update,
                   const struct ocsp_single *singles, size_t n, const struct ocsp_request *req,
                   struct buf *out)
{
	struct buf rd = {0}, rid = {0}, list = {0}, ext = {0}, exts = {0}, outer = {0};
	int rc = -1;

	if (der_append(&rid, DER_OCTET_STRING, key_hash, 20) != 0 ||
	    wrap(&rd, TAG_CTX2, &rid) != 0 || put_time(&rd, now) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (single(&list, &singles[i], now, next_update) != 0)
			goto out;
	if (wrap(&rd, DER_SEQUENCE, &list) != 0)
		goto out;
	if (req != NULL && req->has_nonce) {
		if (buf_append(&ext, nonce_oid, sizeof(nonce_oid)) != 0 ||
		    der_append(&ext, DER_OCTET_STRING, req->nonce_ext, req->nonce_ext_len) != 0 ||
		    wrap(&exts, DER_SEQUENCE, &ext) != 0 || wrap(&outer, DER_SEQUENCE, &exts) != 0 ||
		    wrap(&rd, TAG_CTX1, &outer) != 0)
			goto out;
	}
	rc = wrap(out, DER_SEQUENCE, &rd);
out:
	buf_free(&rd);
	buf_free(&rid);
	buf_free(&list);
	buf_free(&ext);
	buf_free(&exts);
	buf_free(&outer);
	return rc;
}

/* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED,
 *   responseBytes [0] EXPLICIT SEQUENCE { responseType, response } } */
struct ocsp_answer *
ocsp_answer_new(enum ocsp_status status, const unsigned char *basic, size_t basic_len)
{
	unsigned char st[3] = {DER_ENUMERATED, 1, (unsigned char)status};
	struct buf b = {0}, rb = {0}, ctx = {0};
	struct ocsp_answer *a = NULL;
	unsigned char md[32];

	if (buf_append(&b, st, 3) != 0)
		goto out;
	if (status == OCSP_SUCCESSFUL &&
	    (buf_append(&rb, basic_oid, sizeof(basic_oid)) != 0 ||
	     der_append(&rb, DER_OCTET_STRING, basic, basic_len) != 0 ||
	     wrap(&ctx, DER_SEQUENCE, &rb) != 0 || wrap(&b, TAG_CTX0, &ctx) != 0))
		goto out;
	if (wrap(&rb, DER_SEQUENCE, &b) != 0 || (a = calloc(1, sizeof(*a) + rb.len)) == NULL)
		goto out;
	atomic_init(&a->refs, 1);
	a->status = status;
	a->len = rb.len;
	memcpy(a->der, rb.data, rb.len);
	SHA256(a->der, a->len, md);
	a->etag[0] = '"';
	for (size_t i = 0; i < 32; i++)
		snprintf(a->etag + 1 + 2 * i, 3, "%02x", md[i]);
	a->etag[65] = '"';
	a->etag[66] = '\0';
out:
	buf_free(&b);
	buf_free(&rb);
	buf_free(&ctx);
	return a;
}

struct ocsp_answer *
ocsp_answer_ref(struct ocsp_answer *a)
{
	atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
	return a;
}

void
ocsp_answer_release(struct ocsp_answer *a)
{
	if (a != NULL && atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) == 1)
		free(a);
}
