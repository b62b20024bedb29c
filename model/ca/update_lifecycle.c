/* A CA's lifecycle settings after creation: the audited change (inside
 * ca_update's transaction) and the webhook secret, made here, sealed into
 * the database (common/secretbox.h) and shown to the caller once. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/secretbox.h"
#include "model/store/audit.h"
#include "model/ca/internal/ca_internal.h"
#include "model/store/db.h"

edgeca_err
ca_store_webhook(const struct edgeca_ctx *ctx, PGconn *c, struct ca *ca, struct edgeca_msg *msg)
{
	char secret[CA_WEBHOOK_SECRET_LEN + 1];
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	struct db_param p[3];
	edgeca_err rc;

	p[0] = (struct db_param){ca->id, 0, false};
	if (ca->webhook_url == NULL)
		return db_exec(c, "UPDATE cas SET lifecycle_webhook_url = NULL, "
		                  "lifecycle_webhook_secret = NULL WHERE id = $1", p, 1, NULL,
		               "remove webhook", msg);
	if (!ctx->has_secrets_key)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "no secrets key is loaded");
	if (ca_webhook_secret_new(secret) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "no randomness for a secret");
	rc = secretbox_seal(ctx->secrets_key, ca->id, (const unsigned char *)secret, strlen(secret),
	                    &sealed, &sealed_len, msg);
	if (rc != EDGECA_OK)
		goto out;
	p[1] = (struct db_param){ca->webhook_url, 0, false};
	p[2] = (struct db_param){(const char *)sealed, (int)sealed_len, true};
	rc = db_exec(c, "UPDATE cas SET lifecycle_webhook_url = $2, lifecycle_webhook_secret = $3 "
	                "WHERE id = $1", p, 3, NULL, "store webhook", msg);
	if (rc != EDGECA_OK)
		goto out;
	free(ca->new_webhook_secret);
	if ((ca->new_webhook_secret = strdup(secret)) == NULL)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	free(sealed);
	return rc;
}

/* The names of the members req sets, for the audit row. */
int
ca_webhook_secret_new(char out[CA_WEBHOOK_SECRET_LEN + 1])
{
	unsigned char raw[CA_WEBHOOK_SECRET_LEN / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	hex_encode(raw, sizeof(raw), out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

static void
changed_fields(const struct ca_lifecycle_req *r, char *out, size_t len)
{
	const struct {
		bool set;
		const char *name;
	} f[] = {
		{r->n_emails >= 0 || r->emails_null, "notification_emails"},
		{r->webhook_url != NULL || r->webhook_url_null, "webhook_url"},
		{r->action != NULL || r->action_null, "action"},
		{r->threshold_percent != CA_FIELD_UNSET || r->threshold_null, "threshold_percent"},
	};

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].set)
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "," : "",
			         f[i].name);
}

static edgeca_err
store_settings(PGconn *c, const struct ca *ca, struct edgeca_msg *msg)
{
	size_t n = 0;
	char threshold[16], *emails;
	struct db_param p[4];
	edgeca_err rc;

	while (ca->notification_emails && ca->notification_emails[n])
		n++;
	if ((emails = db_text_array_literal((const char *const *)ca->notification_emails, n)) ==
	    NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	snprintf(threshold, sizeof(threshold), "%d", ca->threshold_percent);
	p[0] = (struct db_param){ca->id, 0, false};
	p[1] = (struct db_param){emails, 0, false};
	p[2] = (struct db_param){ca_lifecycle_action_name(ca->lifecycle_action), 0, false};
	p[3] = (struct db_param){threshold, 0, false};
	rc = db_exec(c, "UPDATE cas SET lifecycle_notification_emails = $2, lifecycle_action = $3, "
	                "lifecycle_threshold_percent = $4 WHERE id = $1", p, 4, NULL,
	             "update lifecycle", msg);
	free(emails);
	return rc;
}

edgeca_err
ca_lifecycle_update_locked(const struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
                           struct ca *ca, const struct ca_lifecycle_req *req,
                           struct edgeca_msg *msg)
{
	char fields[160], threshold[16];
	edgeca_err rc;

	if ((rc = ca_lifecycle_apply(req, ca, msg)) != EDGECA_OK ||
	    (rc = store_settings(c, ca, msg)) != EDGECA_OK)
		return rc;
	if ((req->webhook_url != NULL || req->webhook_url_null) &&
	    (rc = ca_store_webhook(ctx, c, ca, msg)) != EDGECA_OK)
		return rc;
	changed_fields(req, fields, sizeof(fields));
	snprintf(threshold, sizeof(threshold), "%d", ca->threshold_percent);
	{
		const char *details[] = {"fields", fields, "action",
		                         ca_lifecycle_action_name(ca->lifecycle_action),
		                         "threshold_percent", threshold, "webhook_url",
		                         ca->webhook_url ? ca->webhook_url : ""};
		return audit_write(c, who->actor, "ca.update_lifecycle", "ca", ca->id, details, 8,
		                   msg);
	}
}
