/* Chains of CAs: subordinates signed by an internal parent's key or by an
 * external root, the chains edgeca serves, and the URLs issued
 * certificates carry to find their issuer and its CRL. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/pkcs7_der.h"
#include "common/timeutil.h"
#include "model/auth/token_scope.h"
#include "model/ca/chain.h"
#include "model/ca/first_crls.h"
#include "model/ca/internal/ca_internal.h"
#include "model/ca/store.h"
#include "model/core/context.h"
#include "model/crl/crl.h"
#include "model/store/audit.h"
#include "signer/proto/templates.h"

#define DEFAULT_SUBORDINATE_DAYS 1825
/* The tightest path length constraint over the parent location: the
 * smaller of its certificate's and the parent's policy's, -1 for none. */
static long
parent_path_length(const struct ca *parent, const struct ca_location *ploc)
{
	X509 *x = x509_from_der(ploc->cert_der, ploc->cert_len);
	long from_cert = x ? X509_get_pathlen(x) : -1, tight = from_cert;

	X509_free(x);
	if (parent->path_length >= 0 && (tight < 0 || parent->path_length < tight))
		tight = parent->path_length;
	return tight;
}

/* The parent location that signs a child location: the one of the same
 * name when it is active (regions sign regions), else the first active;
 * NULL when the parent has none active. */
static const struct ca_location *
signing_location(const struct ca *parent, const char *name)
{
	const struct ca_location *same = ca_find_location(parent, name);

	if (same != NULL && same->status == LOCATION_ACTIVE)
		return same;
	return ca_find_location(parent, NULL);
}

time_t
ca_signing_not_after(const struct ca *parent, const char *location)
{
	const struct ca_location *s = signing_location(parent, location);

	return s != NULL ? s->not_after : 0;
}

edgeca_err
ca_check_parent(const struct ca *child, const struct ca *parent, const char *location,
                time_t now, time_t *not_after, struct edgeca_msg *msg)
{
	/* of the parent locations that will sign, the first to expire, and
	 * the child location it signs */
	const struct ca_location *ploc = NULL;
	const char *signed_name = NULL;
	time_t policy_end, limit;
	char when[RFC3339_LEN];
	long max_path = -1;

	if (child->kind != CA_KIND_SUBORDINATE)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "only a subordinate CA has a parent");
	if (parent->status == CA_STATUS_DISABLED)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-disabled",
		                   "the parent CA %s is disabled and signs nothing", parent->id);
	if (parent->status != CA_STATUS_ACTIVE || ca_find_location(parent, NULL) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "parent-not-active",
		                   "the parent CA %s has no active location to sign with", parent->id);
	/* each child location is signed by its own parent location: the
	 * limits are the tightest over those, not the parent's first one's */
	for (size_t i = 0; i < child->n_locations; i++) {
		const struct ca_location *loc = &child->locations[i], *s;
		long path;

		if (location != NULL ? strcmp(loc->name, location) != 0
		                     : loc->status != LOCATION_PENDING_CHAINING)
			continue;
		s = signing_location(parent, loc->name);
		path = parent_path_length(parent, s);
		if (path >= 0 && (max_path < 0 || path < max_path))
			max_path = path;
		if (ploc == NULL || s->not_after < ploc->not_after) {
			ploc = s;
			signed_name = loc->name;
		}
	}
	if (ploc == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "CA %s has no location for its parent to sign", child->id);
	if (max_path == 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "path-length-exceeded",
		                   "the parent CA's path length constraint is 0: it cannot have a "
		                   "subordinate CA");
	if (!ca_allows_template(parent, "subordinate_ca"))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "template-not-allowed",
		                   "the parent CA's policy does not allow the subordinate_ca template");
	if (child->path_length >= 0 && max_path > 0 && child->path_length > max_path - 1)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "path-length-exceeded",
		                   "path_length %d is more than the parent CA allows below it (%ld)",
		                   child->path_length, max_path - 1);
	/* the child's certificate gets pathlen 0 here: a CA template in its
	 * policy could never be used, so it is refused now, as on upload */
	if (max_path == 1 || child->path_length == 0) {
		for (char **t = child->allowed_templates; t && *t; t++)
			if (tpl_by_name(*t) != NULL && tpl_by_name(*t)->is_ca)
				return edgeca_fail(msg, EDGECA_ERR_INVALID, "path-length-conflict",
				                   "below this parent the CA's certificate has path length 0, "
				                   "which forbids the %s template its policy allows", *t);
	}
	rfc3339_format(ploc->not_after, when);
	if (ploc->not_after <= now)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-expired",
		                   "the certificate of the parent CA's location %s, which would sign "
		                   "location %s, expired at %s", ploc->name, signed_name, when);
	policy_end = now + (time_t)parent->max_validity_days * 86400;
	limit = policy_end < ploc->not_after ? policy_end : ploc->not_after;
	if (*not_after == 0) {
		*not_after = now + (time_t)DEFAULT_SUBORDINATE_DAYS * 86400;
		if (*not_after > limit)
			*not_after = limit; /* not given: the longest the parent allows */
		return EDGECA_OK;
	}
	if (*not_after > ploc->not_after)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "validity-exceeds-issuer",
		                   "location %s of the CA would outlive the certificate of the parent "
		                   "CA's location %s, which signs it and expires at %s", signed_name,
		                   ploc->name, when);
	if (*not_after > policy_end)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "validity-exceeds-policy",
		                   "the validity exceeds the parent CA's maximum of %d days",
		                   parent->max_validity_days);
	return EDGECA_OK;
}

edgeca_err
ca_sign_by_parent(struct edgeca_ctx *ctx, struct ca *child, const struct ca *parent,
                  time_t not_after, struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_OK;
	bool signed_any = false;

	for (size_t i = 0; i < child->n_locations && rc == EDGECA_OK; i++) {
		struct ca_location *loc = &child->locations[i];
		const struct ca_location *ploc = signing_location(parent, loc->name);
		char crl_url[PUBLIC_URL_BYTES], aia_url[PUBLIC_URL_BYTES], *chain = NULL;
		char ocsp_url[PUBLIC_URL_BYTES], delta_url[PUBLIC_URL_BYTES];
		struct signer_issue_opts opts = {.path_length = ca_child_path_length(child),
		                                 .crl_url = crl_url,
		                                 .aia_url = aia_url,
		                                 .ocsp_url = ocsp_url,
		                                 .freshest_crl_url = delta_url};
		unsigned char *der = NULL;
		size_t len = 0;

		if (loc->status != LOCATION_PENDING_CHAINING)
			continue;
		/* A chaining interrupted after the signer installed this location's
		 * certificate (the database write failed) resumes with it. */
		rc = signer_key_cert(ctx->signer, loc->key_id, &der, &len, msg);
		if (rc == EDGECA_OK && der == NULL) {
			struct signer_issued issued;
			ca_issuer_urls(&ctx->settings, parent, ploc, crl_url, aia_url);
			ca_ocsp_url(&ctx->settings, parent, ocsp_url);
			crl_delta_public_url(&ctx->settings, parent, ploc, delta_url);
			rc = signer_issue(ctx->signer, ploc->key_id, "subordinate_ca", loc->csr_der,
			                  loc->csr_len, not_after, &opts, &issued, msg);
			if (rc == EDGECA_OK) {
				der = issued.der; /* taken */
				len = issued.der_len;
				issued.der = NULL;
				signer_issued_free(&issued);
				rc = signer_cert_install(ctx->signer, loc->key_id, der, len, msg);
			}
		}
		if (rc == EDGECA_OK && (chain = ca_chain_pem(parent, ploc)) == NULL)
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		if (rc == EDGECA_OK)
			rc = ca_location_take_cert(loc, der, len, msg);
		if (rc != EDGECA_OK) {
			free(der);
			free(chain);
			break;
		}
		free(loc->chain_pem);
		loc->chain_pem = chain;
		snprintf(loc->parent_location, sizeof(loc->parent_location), "%s", ploc->name);
		loc->status = LOCATION_ACTIVE;
		signed_any = true;
	}
	/* only a location actually signed ties the CA to this parent */
	if (signed_any) {
		snprintf(child->parent_ca_id, sizeof(child->parent_ca_id), "%s", parent->id);
		child->chaining = CA_CHAINING_INTERNAL;
	}
	ca_update_status(child);
	return rc;
}

static bool
has_pending(const struct ca *ca)
{
	for (size_t i = 0; i < ca->n_locations; i++)
		if (ca->locations[i].status == LOCATION_PENDING_CHAINING)
			return true;
	return false;
}

edgeca_err
ca_chain_to_parent(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                   const char *parent_id, long validity_days, bool has_not_after,
                   time_t not_after, struct ca **out, struct edgeca_msg *msg)
{
	struct ca *ca = NULL, *parent = NULL;
	time_t now = time(NULL), end = 0;
	PGconn *c = NULL;
	edgeca_err rc, stored;

	*out = NULL;
	/* the parent's key signs: a token limited to CAs must hold both */
	if (!token_scope_allows(&who->scope, parent_id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "ca-out-of-scope",
		                   "this token is limited to certain CAs, and the parent CA %.64s "
		                   "is not one of them", parent_id);
	if (validity_days != CA_FIELD_UNSET && has_not_after)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "give validity_days or not_after, not both");
	if (validity_days != CA_FIELD_UNSET && (validity_days < 1 || validity_days > 36500))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "validity_days must be between 1 and 36500");
	if (has_not_after &&
	    (not_after <= now + 3600 || not_after > now + (time_t)36500 * 86400))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "not_after must be more than an hour and at most 36500 days ahead");
	end = has_not_after ? not_after
	      : validity_days != CA_FIELD_UNSET ? now + (time_t)validity_days * 86400 : 0;
	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
		return rc;
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	if ((rc = ca_store_load(c, ca_id, &ca, msg)) != EDGECA_OK)
		goto out;
	if (ca->kind != CA_KIND_SUBORDINATE || !has_pending(ca) ||
	    ca->chaining == CA_CHAINING_EXTERNAL ||
	    (ca->chaining == CA_CHAINING_INTERNAL && strcmp(ca->parent_ca_id, parent_id) != 0)) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "already-chained",
		                 "CA %s has no location waiting to be chained to this parent", ca_id);
		goto out;
	}
	if (strcmp(parent_id, ca_id) == 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field", "a CA cannot be its own "
		                 "parent");
		goto out;
	}
	if ((rc = ca_load_parent(c, parent_id, &parent, msg)) != EDGECA_OK ||
	    (rc = ca_check_parent(ca, parent, NULL, now, &end, msg)) != EDGECA_OK)
		goto out;
	rc = ca_sign_by_parent(ctx, ca, parent, end, msg);
	/* whatever was signed is stored, also when a later location failed */
	if (ca->chaining == CA_CHAINING_INTERNAL) {
		stored = ca_store_chaining(c, who, ca, "ca.chain", "parent_ca_id", parent->id,
		                           rc == EDGECA_OK ? msg : NULL);
		if (rc == EDGECA_OK)
			rc = stored;
	}
	if (rc == EDGECA_OK)
		rc = ca_store_load_history(c, &ca, 1, msg);
	if (rc != EDGECA_OK)
		goto out;
	log_info("ca_chain_to_parent: ca=%s parent=%s by %s", ca->id, parent->id, who->actor);
	ca_first_crls(ctx, c, who->actor, ca);
	*out = ca;
	ca = NULL;
out:
	db_release(ctx->db, c);
	ca_free(parent);
	ca_free(ca);
	return rc;
}

edgeca_err
ca_load_parent(PGconn *c, const char *parent_id, struct ca **parent, struct edgeca_msg *msg)
{
	edgeca_err rc;

	*parent = NULL;
	if (!uuid_valid(parent_id))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "parent-not-found",
		                   "parent_ca_id %s names no CA", parent_id);
	rc = ca_store_load(c, parent_id, parent, msg);
	if (rc == EDGECA_ERR_NOT_FOUND)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "parent-not-found",
		                 "parent_ca_id %s names no CA", parent_id);
	return rc;
}
