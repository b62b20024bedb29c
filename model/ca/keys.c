/* The signer keys of a CA's locations: the first key of each location
 * at creation (a self-signed certificate for a root, a CSR for a
 * subordinate) and the new key of a renewal, each under the CA's
 * algorithm and policy. */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ca/internal/ca_internal.h"
#include "model/ca/keys.h"
#include "signer/proto/protocol.h"

/* A key for each location: roots sign their own certificate, subordinates
 * get a CSR each. */
edgeca_err
ca_keys_for_locations(struct edgeca_ctx *ctx, struct ca *ca, const unsigned char *subject_der,
                      size_t subject_len, time_t not_after, struct edgeca_msg *msg)
{
	bool root = ca->kind == CA_KIND_ROOT;
	char *templates = ca_join_templates(ca->allowed_templates);
	char *rules = name_rules_text(ca->name_rules);
	edgeca_err rc = EDGECA_OK;

	if (templates == NULL || (ca->name_rules != NULL && rules == NULL)) {
		free(templates);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < ca->n_locations && rc == EDGECA_OK; i++) {
		struct ca_location *loc = &ca->locations[i];
		unsigned char *der = NULL;
		size_t len = 0;

		rc = signer_key_create(ctx->signer, ca->key_algorithm, templates,
		                       (uint32_t)ca->max_validity_days, ca->path_length, rules,
		                       loc->key_id, msg);
		if (rc != EDGECA_OK)
			break;
		if (root) {
			rc = signer_self_sign(ctx->signer, loc->key_id, subject_der, subject_len,
			                      not_after, &der, &len, msg);
			if (rc == EDGECA_OK && (rc = ca_location_take_cert(loc, der, len, msg)) == EDGECA_OK)
				loc->status = LOCATION_ACTIVE;
			else
				free(der);
			if (rc == EDGECA_OK && (loc->chain_pem = strdup("")) == NULL)
				rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		} else {
			rc = signer_csr_create(ctx->signer, loc->key_id, subject_der, subject_len,
			                       &loc->csr_der, &loc->csr_len, msg);
			if (rc == EDGECA_OK && (loc->chain_pem = strdup("")) == NULL)
				rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		}
	}
	free(templates);
	free(rules);
	return rc;
}

edgeca_err
ca_renewal_key_and_csr(struct edgeca_ctx *ctx, const struct ca *ca, const struct ca_location *loc,
                       char key_id[SIGNER_KEY_ID_BYTES], unsigned char **csr, size_t *csr_len,
                       struct edgeca_msg *msg)
{
	X509 *cert = x509_from_der(loc->cert_der, loc->cert_len);
	char *templates = ca_join_templates(ca->allowed_templates);
	char *rules = name_rules_text(ca->name_rules);
	unsigned char *subject = NULL;
	int subject_len = 0;
	edgeca_err rc;

	if (cert == NULL || templates == NULL || (ca->name_rules != NULL && rules == NULL) ||
	    (subject_len = i2d_X509_NAME(X509_get_subject_name(cert), &subject)) <= 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read location %s's subject",
		                 loc->name);
		goto out;
	}
	/* the new key gets the CA's policy, its name rules included */
	rc = signer_key_create(ctx->signer, ca->key_algorithm, templates,
	                       (uint32_t)ca->max_validity_days, ca->path_length, rules, key_id,
	                       msg);
	if (rc == EDGECA_OK)
		rc = signer_csr_create(ctx->signer, key_id, subject, (size_t)subject_len, csr, csr_len,
		                       msg);
out:
	ERR_clear_error();
	OPENSSL_free(subject);
	free(templates);
	free(rules);
	X509_free(cert);
	return rc;
}
