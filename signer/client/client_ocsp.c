/* OCSP with the signer: responder keys (KEY_CREATE with ISSUER_KEY_ID)
 * and OCSP_SIGN, each one round trip on a pooled connection, records
 * handled as for every call (see "OCSP" in signer/PROTOCOL.md). */
#include "signer/client/client.h"

#include <string.h>

#include "signer/client/client_pool.h"

static const struct signer_schema ok_key = {
	SIGNER_REPLY_OK,
	{SIGNER_TAG_KEY_ID, SIGNER_TAG_PUBLIC_KEY, SIGNER_TAG_KEY_RECORD, SIGNER_TAG_RECORD_VERSION, 0},
	{0}};
static const struct signer_schema ok_basic = {SIGNER_REPLY_OK, {SIGNER_TAG_BASIC_RESPONSE, 0},
                                              {0}};

edgeca_err
signer_ocsp_key_create(struct signer_pool *p, const char *ca_key_id, const char *algorithm,
                       char key_id[SIGNER_KEY_ID_BYTES], struct edgeca_msg *msg)
{
	struct signer_writer w;
	struct signer_msg reply;
	edgeca_err rc;

	signer_writer_init(&w, SIGNER_OP_KEY_CREATE);
	signer_put_str(&w, SIGNER_TAG_ALGORITHM, algorithm);
	signer_put_str(&w, SIGNER_TAG_ISSUER_KEY_ID, ca_key_id);
	/* the record the signer may ask for is the CA key's: it copies the
	 * CA's certificate into the new key's policy */
	rc = pool_call(p, &w, ca_key_id, &ok_key, p->keygen_timeout_ms, false, &reply, msg);
	signer_writer_free(&w);
	if (rc != EDGECA_OK)
		return rc;
	if (signer_get_str(&reply, SIGNER_TAG_KEY_ID, key_id, SIGNER_KEY_ID_BYTES) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, "signer-unavailable",
		                 "the signer sent a bad key id");
	signer_msg_free(&reply);
	return rc;
}

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
