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
#include "model/store/audit.h"
#include "model/ca/internal/ca_internal.h"
#include "model/ca/store.h"
#include "model/crl/crl.h"
#include "model/cert/issue_policy.h"
#include "model/auth/token.h"
#include "model/auth/token_scope.h"
#include "signer/proto/templates.h"

#define DEFAULT_SUBORDINATE_DAYS 1825
#define MAX_UPLOADED_CERTS 10

char *
ca_chain_pem(const struct ca *ca, const struct ca_location *loc)
{
	struct buf b = {0};
	char *pem;

	(void)ca;
	if (loc->cert_der == NULL)
		return strdup("");
	pem = pem_encode("CERTIFICATE", loc->cert_der, loc->cert_len);
	if (pem == NULL || buf_append_str(&b, pem) != 0 ||
	    buf_append_str(&b, loc->chain_pem ? loc->chain_pem : "") != 0) {
		free(pem);
		buf_free(&b);
		return NULL;
	}
	free(pem);
	return (char *)buf_take(&b, NULL);
}

/* At most this many certificates above a location's own in its chain. */
#define MAX_CHAIN_CERTS 32

edgeca_err
ca_chain_pkcs7(const struct ca_location *loc, unsigned char **der, size_t *len,
               struct edgeca_msg *msg)
{
	static const char *const labels[] = {"CERTIFICATE", NULL};
	unsigned char *chain_der[MAX_CHAIN_CERTS] = {0};
	struct der_span certs[MAX_CHAIN_CERTS + 1];
	const char *text = loc->chain_pem ? loc->chain_pem : "", *end = text + strlen(text);
	size_t n = 0;
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	*der = NULL;
	*len = 0;
	if (loc->cert_der == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "location %s has no certificate yet", loc->name);
	certs[n++] = (struct der_span){loc->cert_der, loc->cert_len};
	/* The stored chain is PEM, checked when it was uploaded: its blocks'
	 * DER goes in as it is, without parsing a certificate. */
	while (text + strspn(text, " \t\r\n") < end) {
		const char *rest = NULL;
		if (n > MAX_CHAIN_CERTS ||
		    pem_decode(text, (size_t)(end - text), labels, NULL, &chain_der[n - 1],
		               &certs[n].len, &rest) != PEM_OK)
			goto out;
		certs[n].der = chain_der[n - 1];
		n++;
		text = rest ? rest : end;
	}
	if (pkcs7_certs_only_der(certs, n, der, len) == 0)
		rc = EDGECA_OK;
out:
	if (rc != EDGECA_OK)
		edgeca_fail(msg, rc, NULL, "cannot build the PKCS#7 chain of location %s", loc->name);
	for (size_t i = 0; i < MAX_CHAIN_CERTS; i++)
		free(chain_der[i]);
	return rc;
}

void
ca_issuer_urls(const struct edgeca_config *cfg, const struct ca *ca,
               const struct ca_location *loc, char crl_url[1100], char aia_url[1100])
{
	crl_url[0] = aia_url[0] = '\0';
	if (ca->crl_enabled && ca->crl_distribution_point != NULL)
		snprintf(crl_url, 1100, "%s", ca->crl_distribution_point);
	else if (ca->crl_enabled) /* the CRL of the key that issues */
		crl_public_url(cfg, ca->id, loc->name, loc->generation, crl_url);
	if (loc->generation > 1) /* the certificate of the key that issues */
		snprintf(aia_url, 1100, "%s/ca/%s/%s.%d.crt", cfg->public_url, ca->id, loc->name,
		         loc->generation);
	else
		snprintf(aia_url, 1100, "%s/ca/%s/%s.crt", cfg->public_url, ca->id, loc->name);
}

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

	if (same != NULL && strcmp(same->status, "active") == 0)
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

	if (strcmp(child->kind, "subordinate") != 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "only a subordinate CA has a parent");
	if (strcmp(parent->status, "active") != 0 || ca_find_location(parent, NULL) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "parent-not-active",
		                   "the parent CA %s has no active location to sign with", parent->id);
	/* each child location is signed by its own parent location: the
	 * limits are the tightest over those, not the parent's first one's */
	for (size_t i = 0; i < child->n_locations; i++) {
		const struct ca_location *loc = &child->locations[i], *s;
		long path;

		if (location != NULL ? strcmp(loc->name, location) != 0
		                     : strcmp(loc->status, "pending_chaining") != 0)
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
		char crl_url[1100], aia_url[1100], *chain = NULL;
		struct signer_issue_opts opts = {issue_child_path_length(child), crl_url, aia_url};
		unsigned char *der = NULL;
		size_t len = 0;

		if (strcmp(loc->status, "pending_chaining") != 0)
			continue;
		/* A chaining interrupted after the signer installed this location's
		 * certificate (the database write failed) resumes with it. */
		rc = signer_key_cert(ctx->signer, loc->key_id, &der, &len, msg);
		if (rc == EDGECA_OK && der == NULL) {
			struct signer_issued issued;
			ca_issuer_urls(ctx->cfg, parent, ploc, crl_url, aia_url);
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
		snprintf(loc->status, sizeof(loc->status), "active");
		signed_any = true;
	}
	/* only a location actually signed ties the CA to this parent */
	if (signed_any) {
		snprintf(child->parent_ca_id, sizeof(child->parent_ca_id), "%s", parent->id);
		snprintf(child->chaining, sizeof(child->chaining), "internal");
	}
	ca_update_status(child);
	return rc;
}

/* Stores the locations and state of ca after chaining, with an audit row. */
static edgeca_err
store_chaining(PGconn *c, const struct principal *who, const struct ca *ca, const char *action,
               const char *detail_key, const char *detail_value, struct edgeca_msg *msg)
{
	const char *details[4] = {"status", ca->status, detail_key, detail_value};
	edgeca_err rc;

	if ((rc = db_begin(c, msg)) != EDGECA_OK)
		return rc;
	rc = ca_store_update_chaining(c, ca, msg);
	for (size_t i = 0; i < ca->n_locations && rc == EDGECA_OK; i++)
		rc = ca_store_update_location(c, ca->id, &ca->locations[i], msg);
	if (rc == EDGECA_OK)
		rc = audit_write(c, who->actor, action, "ca", ca->id, details, 4, msg);
	if (rc == EDGECA_OK)
		rc = db_commit(c, msg);
	if (rc != EDGECA_OK)
		db_rollback(c);
	return rc;
}

static bool
has_pending(const struct ca *ca)
{
	for (size_t i = 0; i < ca->n_locations; i++)
		if (strcmp(ca->locations[i].status, "pending_chaining") == 0)
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
		return edgeca_fail(msg, EDGECA_ERR_FORBIDDEN, "ca-out-of-scope",
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
	if (!uuid_valid(ca_id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	if ((rc = ca_store_load(c, ca_id, &ca, msg)) != EDGECA_OK)
		goto out;
	if (strcmp(ca->kind, "subordinate") != 0 || !has_pending(ca) ||
	    strcmp(ca->chaining, "external") == 0 ||
	    (strcmp(ca->chaining, "internal") == 0 && strcmp(ca->parent_ca_id, parent_id) != 0)) {
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
	if (strcmp(ca->chaining, "internal") == 0) {
		stored = store_chaining(c, who, ca, "ca.chain", "parent_ca_id", parent->id,
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

/* The checks of an uploaded CA certificate against the request (csr) it
 * answers, each refusal with its own reason. */
static edgeca_err
check_uploaded(const unsigned char *csr_der, size_t csr_len, const char *location, X509 *cert,
               STACK_OF(X509) *chain, const struct ca *ca, time_t now, struct edgeca_msg *msg)
{
	const unsigned char *p = csr_der;
	X509_REQ *csr = d2i_X509_REQ(NULL, &p, (long)csr_len);
	time_t nb, na;
	long pathlen;
	edgeca_err rc = EDGECA_OK;

	if (csr == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "the location's CSR cannot be read");
		goto out;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), X509_REQ_get0_pubkey(csr)) != 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "certificate-key-mismatch",
		                 "the certificate's public key is not the key of location %s's CSR",
		                 location);
		goto out;
	}
	/* refused here, before the signer binds it for good: a certificate
	 * the signer could not issue under would break the location */
	if ((rc = x509_check_ca_extensions(cert, msg)) != EDGECA_OK)
		goto out;
	/* a CA with CRLs signs them with this key: without cRLSign every CRL
	 * of the location would fail, and relying parties refuse them */
	if (ca->crl_enabled && !(X509_get_key_usage(cert) & KU_CRL_SIGN)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "not-a-ca-certificate",
		                 "the certificate's keyUsage lacks cRLSign, which this CA needs to sign "
		                 "its CRLs (have it signed with keyUsage keyCertSign, cRLSign, or "
		                 "turn crl.enabled off first)");
		goto out;
	}
	if (X509_NAME_cmp(X509_get_subject_name(cert), X509_REQ_get_subject_name(csr)) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "subject-mismatch",
		                 "the certificate's subject differs from the requested %s", ca->subject);
		goto out;
	}
	if (asn1_time_to_time_t(X509_get0_notAfter(cert), &na) != 0 || na <= now) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "certificate-expired",
		                 "the certificate has expired");
		goto out;
	}
	if (asn1_time_to_time_t(X509_get0_notBefore(cert), &nb) != 0 || nb > now + 300) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "certificate-not-yet-valid",
		                 "the certificate is not valid yet");
		goto out;
	}
	pathlen = X509_get_pathlen(cert);
	if (pathlen == 0) {
		for (char **t = ca->allowed_templates; t && *t; t++) {
			if (tpl_by_name(*t) != NULL && tpl_by_name(*t)->is_ca) {
				rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "path-length-conflict",
				                 "the certificate's path length 0 forbids the %s template "
				                 "the CA's policy allows", *t);
				goto out;
			}
		}
	}
	if (sk_X509_num(chain) > 0) {
		X509_STORE *store = X509_STORE_new();
		X509_STORE_CTX *vctx = X509_STORE_CTX_new();
		STACK_OF(X509) *untrusted = sk_X509_dup(chain);
		X509 *anchor = sk_X509_pop(untrusted);
		int ok = store && vctx && untrusted && X509_STORE_add_cert(store, anchor) == 1 &&
		         X509_STORE_CTX_init(vctx, store, cert, untrusted) == 1;

		if (ok) {
			/* the last certificate given is the anchor, root or not */
			X509_STORE_CTX_set_flags(vctx, X509_V_FLAG_PARTIAL_CHAIN);
			if (X509_verify_cert(vctx) != 1)
				rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "chain-does-not-verify",
				                 "the given chain does not verify: %s",
				                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx)));
		} else {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot check the chain");
		}
		X509_STORE_CTX_free(vctx);
		X509_STORE_free(store);
		sk_X509_free(untrusted);
	}
out:
	ERR_clear_error();
	X509_REQ_free(csr);
	return rc;
}

/* Has the signer bind cert to key_id; the same certificate again
 * completes an upload whose database write failed after the signer had
 * bound it. */
static edgeca_err
install_uploaded(struct edgeca_ctx *ctx, const char *key_id, const unsigned char *der,
                 size_t len, struct edgeca_msg *msg)
{
	unsigned char *held = NULL;
	size_t held_len = 0;
	edgeca_err rc = signer_cert_install(ctx->signer, key_id, der, len, msg);

	if (rc == EDGECA_ERR_CONFLICT &&
	    signer_key_cert(ctx->signer, key_id, &held, &held_len, NULL) == EDGECA_OK &&
	    held != NULL && held_len == len && memcmp(held, der, len) == 0)
		rc = EDGECA_OK;
	free(held);
	return rc;
}

/* The certificates after the first, as the PEM chain a location keeps. */
static char *
chain_pem_of(STACK_OF(X509) *chain)
{
	struct buf b = {0};

	for (int i = 0; i < sk_X509_num(chain); i++) {
		char *p = x509_pem(sk_X509_value(chain, i));
		int r = p ? buf_append_str(&b, p) : -1;
		free(p);
		if (r != 0) {
			buf_free(&b);
			return NULL;
		}
	}
	if (buf_terminate(&b) != 0) {
		buf_free(&b);
		return NULL;
	}
	return (char *)buf_take(&b, NULL);
}

edgeca_err
ca_take_uploaded(struct edgeca_ctx *ctx, const struct ca *ca, struct ca_location *loc,
                 const char *key_id, const unsigned char *csr, size_t csr_len, X509 *cert,
                 STACK_OF(X509) *chain, struct edgeca_msg *msg)
{
	unsigned char *der = NULL, *copy = NULL;
	size_t der_len = 0;
	char *chain_pem = NULL;
	edgeca_err rc;

	if ((rc = check_uploaded(csr, csr_len, loc->name, cert, chain, ca, time(NULL), msg)) !=
	    EDGECA_OK)
		goto out;
	if (x509_der(cert, &der, &der_len) != 0 || (chain_pem = chain_pem_of(chain)) == NULL ||
	    (copy = malloc(der_len)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	memcpy(copy, der, der_len);
	if ((rc = install_uploaded(ctx, key_id, der, der_len, msg)) != EDGECA_OK ||
	    (rc = ca_location_take_cert(loc, copy, der_len, msg)) != EDGECA_OK)
		goto out;
	copy = NULL; /* taken */
	free(loc->chain_pem);
	loc->chain_pem = chain_pem;
	chain_pem = NULL;
out:
	OPENSSL_free(der);
	free(copy);
	free(chain_pem);
	return rc;
}

/* The first certificate of a location waiting in pending_chaining: the
 * location becomes active and the CA chained externally. */
static edgeca_err
chain_uploaded(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who, struct ca *ca,
               struct ca_location *loc, X509 *cert, STACK_OF(X509) *chain,
               struct edgeca_msg *msg)
{
	edgeca_err rc;

	if (strcmp(ca->kind, "subordinate") != 0 || strcmp(ca->chaining, "internal") == 0 ||
	    strcmp(loc->status, "pending_chaining") != 0 || loc->csr_der == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "already-chained",
		                   "location %s of CA %s is not waiting for a certificate",
		                   loc->name, ca->id);
	if ((rc = ca_take_uploaded(ctx, ca, loc, loc->key_id, loc->csr_der, loc->csr_len, cert,
	                           chain, msg)) != EDGECA_OK)
		return rc;
	snprintf(loc->status, sizeof(loc->status), "active");
	snprintf(ca->chaining, sizeof(ca->chaining), "external");
	ca_update_status(ca);
	if ((rc = store_chaining(c, who, ca, "ca.certificate.upload", "location", loc->name,
	                         msg)) == EDGECA_OK)
		log_info("ca_upload_certificate: ca=%s location=%s by %s", ca->id, loc->name,
		         who->actor);
	return rc;
}

edgeca_err
ca_upload_certificate(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                      const char *location, const unsigned char *pem, size_t len,
                      struct ca **out, struct edgeca_msg *msg)
{
	STACK_OF(X509) *certs = NULL;
	struct ca_location *loc = NULL;
	struct ca *ca = NULL;
	X509 *cert = NULL;
	PGconn *c = NULL;
	edgeca_err rc;

	*out = NULL;
	if (!uuid_valid(ca_id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	certs = x509_pem_certs((const char *)pem, len);
	if (certs == NULL || sk_X509_num(certs) == 0 || sk_X509_num(certs) > MAX_UPLOADED_CERTS ||
	    !looks_like_pem(pem, len)) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "certificate-malformed",
		                 "the body must be the PEM certificate, optionally followed by its "
		                 "issuer chain (at most %d certificates)", MAX_UPLOADED_CERTS);
		goto out;
	}
	cert = sk_X509_shift(certs); /* the rest is its chain */
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK ||
	    (rc = ca_store_load(c, ca_id, &ca, msg)) != EDGECA_OK)
		goto out;
	for (size_t i = 0; i < ca->n_locations; i++)
		if (strcmp(ca->locations[i].name, location) == 0)
			loc = &ca->locations[i];
	if (loc == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                 "CA %s has no location %s", ca_id, location);
		goto out;
	}
	/* an active location with a pending renewal takes the certificate of
	 * that renewal; otherwise only a waiting location takes one */
	if (strcmp(ca->chaining, "external") == 0 && strcmp(loc->status, "active") == 0 &&
	    loc->renewal.key_id[0] != '\0')
		rc = ca_renewal_complete(ctx, c, who, ca, loc, cert, certs, msg);
	else
		rc = chain_uploaded(ctx, c, who, ca, loc, cert, certs, msg);
	if (rc != EDGECA_OK)
		goto out;
	ca_free(ca);
	if ((rc = ca_store_load_full(c, ca_id, &ca, msg)) != EDGECA_OK)
		goto out;
	ca_first_crls(ctx, c, who->actor, ca);
	*out = ca;
	ca = NULL;
out:
	if (c != NULL)
		db_release(ctx->db, c);
	X509_free(cert);
	sk_X509_pop_free(certs, X509_free);
	ca_free(ca);
	return rc;
}
