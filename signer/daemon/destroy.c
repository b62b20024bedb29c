#include "signer/daemon/destroy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "signer/proto/templates.h"

/* What forbids destroying key, from the log's offset plan->log_read on. */
static edgeca_err
may_destroy(struct signer_service *s, struct signer_key *key, struct destroy_plan *plan,
            struct edgeca_msg *msg)
{
	uint64_t last = 0;
	edgeca_err rc;
	int signed_;

	if (key->policy.templates & (1u << TPL_TLS_SERVER))
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "key-protected",
		                   "key %s is the service CA's key (the TLS identity): it is never "
		                   "destroyed", key->id);
	if ((rc = keystore_crl_last(s->ks, key, &last, msg)) != EDGECA_OK)
		return rc;
	if (last > 0)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-has-signed",
		                   "key %s signed CRL number %" PRIu64 ": it is not destroyed", key->id,
		                   last);
	signed_ = siglog_key_signed(s->log, key->id, &plan->log_read);
	if (signed_ < 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the signature log");
	if (signed_ > 0)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-has-signed",
		                   "key %s signed more than its own certificate or request (see the "
		                   "signature log): it is not destroyed", key->id);
	return EDGECA_OK;
}

edgeca_err
destroy_check(struct signer_service *s, const struct signer_msg *req, struct destroy_plan *plan,
              struct edgeca_msg *msg)
{
	const struct signer_field *rec = signer_msg_get(req, SIGNER_TAG_KEY_RECORD);
	struct signer_key *key = NULL;
	edgeca_err rc;

	memset(plan, 0, sizeof(*plan));
	if (signer_get_str(req, SIGNER_TAG_KEY_ID, plan->id, sizeof(plan->id)) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad key id");
	rc = keystore_get(s->ks, plan->id, &key, msg);
	if (rc == EDGECA_ERR_NOT_FOUND && rec != NULL && strcmp(msg->type, KEY_RECORD_NEEDED) == 0) {
		*msg = (struct edgeca_msg){0};
		if ((rc = keystore_load(s->ks, plan->id, rec->val, rec->len, msg)) == EDGECA_OK)
			rc = keystore_get(s->ks, plan->id, &key, msg);
	}
	if (rc != EDGECA_OK)
		return rc;
	return may_destroy(s, key, plan, msg);
}

edgeca_err
destroy_finish(struct signer_service *s, struct destroy_plan *plan, struct signer_writer *w,
               struct edgeca_msg *msg)
{
	struct signer_key *key = NULL;
	edgeca_err rc;

	if ((rc = keystore_get(s->ks, plan->id, &key, msg)) != EDGECA_OK ||
	    (rc = may_destroy(s, key, plan, msg)) != EDGECA_OK ||
	    (rc = keystore_destroy(s->ks, key, msg)) != EDGECA_OK)
		return rc;
	if (siglog_append_destroy(s->log, plan->id) != 0)
		log_error("op_key_destroy: key=%s: destroyed, but the signature log cannot be written",
		          plan->id);
	log_info("op_key_destroy: key=%s op=destroy", plan->id);
	signer_writer_init(w, SIGNER_REPLY_OK);
	return EDGECA_OK;
}
