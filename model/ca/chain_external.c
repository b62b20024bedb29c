/* Chaining to an external root: the certificate it signed for a
 * location's CSR is checked, bound to the location's key in the signer
 * and stored; also the path of a renewal's certificate (renew_external.c). */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "model/ca/chain.h"
#include "model/ca/internal/ca_internal.h"
#include "model/ca/store.h"
#include "signer/proto/templates.h"

/* The checks of an uploaded CA certificate against the request (csr) it
 * answers, each refusal with its own reason. */
static edgeca_err
check_uploaded(const unsigned char *csr_der, size_t csr_len, const char *location, X509 *cert,
               STACK_OF(X509) *chain, const struct ca *ca, time_t now, struct edgeca_msg *msg)
{
	const unsigned char *p = csr_der;
	X509_REQ *csr = d2i_X509_REQ(NULL, &p, (long)csr_len);
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
	rc = ca_check_external_cert(cert, chain, ca, X509_REQ_get_subject_name(csr), now, msg);
out:
	ERR_clear_error();
	X509_REQ_free(csr);
	return rc;
}

edgeca_err
ca_check_external_cert(X509 *cert, STACK_OF(X509) *chain, const struct ca *ca,
                       const X509_NAME *subject, time_t now, struct edgeca_msg *msg)
{
	time_t nb, na;
	long pathlen;
	edgeca_err rc = EDGECA_OK;

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
	if (subject != NULL && X509_NAME_cmp(X509_get_subject_name(cert), subject) != 0) {
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
	return rc;
}

edgeca_err
ca_install_external_cert(struct edgeca_ctx *ctx, const char *key_id, const unsigned char *der,
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

char *
ca_chain_pem_of(STACK_OF(X509) *chain)
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
	if (x509_der(cert, &der, &der_len) != 0 || (chain_pem = ca_chain_pem_of(chain)) == NULL ||
	    (copy = malloc(der_len)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	memcpy(copy, der, der_len);
	if ((rc = ca_install_external_cert(ctx, key_id, der, der_len, msg)) != EDGECA_OK ||
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

edgeca_err
ca_chain_uploaded(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who, struct ca *ca,
                  struct ca_location *loc, X509 *cert, STACK_OF(X509) *chain,
                  struct edgeca_msg *msg)
{
	edgeca_err rc;

	if (ca->kind != CA_KIND_SUBORDINATE || ca->chaining == CA_CHAINING_INTERNAL ||
	    loc->status != LOCATION_PENDING_CHAINING || loc->csr_der == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "already-chained",
		                   "location %s of CA %s is not waiting for a certificate",
		                   loc->name, ca->id);
	if ((rc = ca_take_uploaded(ctx, ca, loc, loc->key_id, loc->csr_der, loc->csr_len, cert,
	                           chain, msg)) != EDGECA_OK)
		return rc;
	loc->status = LOCATION_ACTIVE;
	ca->chaining = CA_CHAINING_EXTERNAL;
	ca_update_status(ca);
	if ((rc = ca_store_chaining(c, who, ca, "ca.certificate.upload", "location", loc->name,
	                            msg)) == EDGECA_OK)
		log_info("ca_upload_certificate: ca=%s location=%s by %s", ca->id, loc->name,
		         who->actor);
	return rc;
}
