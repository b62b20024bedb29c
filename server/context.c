#include "server/context.h"

#include <string.h>

#include "model/ocsp/ocsp.h"
#include "model/store/signer_keys.h"

static edgeca_err
store_record(void *db, const char *key_id, uint32_t version, const unsigned char *rec,
             size_t len, struct edgeca_msg *msg)
{
	return signer_keys_store(db, key_id, version, rec, len, msg);
}

static edgeca_err
fetch_record(void *db, const char *key_id, struct buf *rec, struct edgeca_msg *msg)
{
	return signer_keys_fetch(db, key_id, rec, msg);
}

edgeca_err
ctx_open(struct edgeca_ctx *ctx, const struct edgeca_config *cfg, struct edgeca_msg *msg)
{
	edgeca_err rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->settings = (struct model_settings){
		.public_url = cfg->public_url,
		.public_pki_url = cfg->public_pki_url,
		.public_est_url = cfg->public_est_url,
		.default_location = cfg->default_location,
		.crl_delay_ms = cfg->crl_delay_ms,
		.session_ttl_s = cfg->session_ttl_s,
		.email_configured = cfg->smtp_host != NULL,
	};
	if ((ctx->ocsp_cache = ocsp_cache_new(cfg->ocsp_cache_entries)) == NULL ||
	    (ctx->ocsp_issuers = ocsp_issuers_new()) == NULL) {
		ctx_close(ctx);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	rc = db_pool_new(cfg->database_url, cfg->db_pool_size, false, &ctx->db, msg);
	if (rc != EDGECA_OK) {
		ctx_close(ctx);
		return rc;
	}
	rc = signer_pool_new(cfg->signer_socket, cfg->signer_pool_size, cfg->signer_timeout_s * 1000,
	                     &ctx->signer, msg);
	if (rc != EDGECA_OK) {
		ctx_close(ctx);
		return rc;
	}
	/* the signer's key records live in the database, beside the rest */
	signer_pool_set_records(ctx->signer,
	                        &(struct signer_records){store_record, fetch_record, ctx->db});
	return EDGECA_OK;
}

void
ctx_close(struct edgeca_ctx *ctx)
{
	signer_pool_free(ctx->signer);
	db_pool_free(ctx->db);
	ocsp_cache_free(ctx->ocsp_cache);
	ocsp_issuers_free(ctx->ocsp_issuers);
	memset(ctx, 0, sizeof(*ctx));
}
