/* The one entry point of a certificate uploaded for a CA location: the
 * first certificate of a location waiting to be chained to an external
 * root (chain_external.c), or the certificate of a pending renewal
 * (renew_external.c), then the first CRLs the new key publishes. */
#include "model/lifecycle/upload.h"

#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/x509util.h"
#include "model/ca/chain.h"
#include "model/ca/first_crls.h"
#include "model/ca/store.h"
#include "model/lifecycle/internal/renew_internal.h"

#define MAX_UPLOADED_CERTS 10

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
	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
		return rc;
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
	if (ca->chaining == CA_CHAINING_EXTERNAL && loc->status == LOCATION_ACTIVE &&
	    loc->renewal.key_id[0] != '\0')
		rc = ca_renewal_complete(ctx, c, who, ca, loc, cert, certs, msg);
	else
		rc = ca_chain_uploaded(ctx, c, who, ca, loc, cert, certs, msg);
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
