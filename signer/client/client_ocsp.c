/* OCSP_SIGN with the signer: one round trip on a pooled connection, a
 * record asked for handled as for every call (see "OCSP" in
 * signer/PROTOCOL.md; responder keys are made in client.c). */
#include "signer/client/client.h"

#include <string.h>

#include "signer/client/client_pool.h"

static const struct signer_schema ok_basic = {SIGNER_REPLY_OK, {SIGNER_TAG_BASIC_RESPONSE, 0},
                                              {0}};

edgeca_err
signer_ocsp_sign(struct signer_pool *p, const char *key_id, const unsigned char *tbs,
                 size_t tbs_len, struct buf *basic, struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	const struct signer_field *f;
	edgeca_err rc;

	if (tbs_len > SIGNER_MAX_RESPONSE_DATA)
		return edgeca_fail(msg, EDGECA_ERR_OVERSIZED, "ocsp-response-too-large",
		                   "the OCSP response data exceeds %d bytes", SIGNER_MAX_RESPONSE_DATA);
	signer_writer_init(&w, SIGNER_OP_OCSP_SIGN);
	signer_put_str(&w, SIGNER_TAG_KEY_ID, key_id);
	signer_put_bytes(&w, SIGNER_TAG_RESPONSE_DATA, tbs, tbs_len);
	rc = pool_call(p, &w, key_id, &ok_basic, p->timeout_ms, true, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	f = signer_msg_get(&reply, SIGNER_TAG_BASIC_RESPONSE);
	basic->len = 0; /* what it held is replaced */
	if (buf_append(basic, f->val, f->len) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	signer_msg_free(&reply);
	return rc;
}
