/* The public objects on the PKI listener: CRLs at their distribution
 * points and CA certificates at their caIssuers URLs, the same objects
 * and caching headers as the HTTPS API's public paths (api/rest/crl.c,
 * api/rest/ca_chain.c). */
#include <stdio.h>

#include "api/pki/pki.h"
#include "api/pki/public_file.h"
#include "model/ca/ca.h"
#include "model/crl/crl.h"

/* ETag, Last-Modified (thisUpdate), Expires (nextUpdate) and a public
 * max-age of at most PUBLIC_CRL_MAX_AGE_S. */
static void
crl_caching_headers(struct pki_response *resp, const struct crl *crl, const char *etag)
{
	char date[40];

	pki_answer_header(resp, "ETag", "%s", etag);
	public_http_date(crl->this_update, date);
	pki_answer_header(resp, "Last-Modified", "%s", date);
	pki_answer_header(resp, "Cache-Control", "public, max-age=%ld",
	                  public_crl_max_age(crl->next_update, time(NULL)));
	public_http_date(crl->next_update, date);
	pki_answer_header(resp, "Expires", "%s", date);
}

/* GET|HEAD /crl/{ca_id}/{location}.crl and .../{location}.{generation}.crl:
 * DER, or 304 for a cache that has it. */
void
pki_crl_get(const struct pki_request *req, struct pki_response *resp)
{
	const char *ca_id = pki_param(req, "ca_id");
	struct edgeca_msg msg = {0};
	struct crl crl = {0};
	char name[64], etag[80];
	int generation = public_file_generation(pki_param(req, "file"), ".crl", name);
	edgeca_err rc;

	if (generation == 0) {
		pki_answer_problem(resp, EDGECA_ERR_NOT_FOUND, "not-found",
		                   "no such CRL: /crl/{ca_id}/{location}.crl or "
		                   "/crl/{ca_id}/{location}.{generation}.crl", req->path);
		goto out;
	}
	/* first without the DER: a cache that has it is answered cheaply */
	rc = crl_get(req->ctx, ca_id, name, generation, false, &crl, &msg);
	if (rc == EDGECA_OK) {
		snprintf(etag, sizeof(etag), "\"%s\"", crl.sha256);
		if (public_not_modified(pki_header(req, "If-None-Match"),
		                        pki_header(req, "If-Modified-Since"), etag, crl.this_update)) {
			crl_caching_headers(resp, &crl, etag);
			resp->status = 304;
			goto out;
		}
		crl_clear(&crl);
		rc = crl_get(req->ctx, ca_id, name, generation, true, &crl, &msg);
	}
	if (rc != EDGECA_OK) {
		pki_answer_failure(resp, rc, &msg, req->path);
		goto out;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", crl.sha256); /* may be newer */
	crl_caching_headers(resp, &crl, etag);
	pki_answer_body(resp, 200, "application/pkix-crl", crl.der, crl.der_len);
out:
	crl_clear(&crl);
}

/* GET|HEAD /ca/{ca_id}/{location}.crt and .../{location}.{generation}.crt:
 * the issuer certificate, DER. */
void
pki_ca_certificate_get(const struct pki_request *req, struct pki_response *resp)
{
	const struct ca_location *loc = NULL;
	const unsigned char *der = NULL;
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	char name[64];
	size_t len = 0;
	int gen = public_file_generation(pki_param(req, "file"), ".crt", name);
	edgeca_err rc = EDGECA_ERR_NOT_FOUND;

	if (gen != 0)
		rc = ca_get(req->ctx, pki_param(req, "ca_id"), &ca, &msg);
	if (rc != EDGECA_OK && rc != EDGECA_ERR_NOT_FOUND) {
		pki_answer_failure(resp, rc, &msg, req->path);
		goto out;
	}
	if (rc == EDGECA_OK && (loc = ca_find_location(ca, name)) != NULL)
		der = public_file_location_der(loc, gen, &len);
	if (der == NULL) {
		pki_answer_problem(resp, EDGECA_ERR_NOT_FOUND, "not-found",
		                   "no such CA certificate: /ca/{ca_id}/{location}.crt or "
		                   "/ca/{ca_id}/{location}.{generation}.crt", req->path);
		goto out;
	}
	pki_answer_header(resp, "Cache-Control", "%s", PUBLIC_CERT_CACHE_CONTROL);
	pki_answer_body(resp, 200, "application/pkix-cert", der, len);
out:
	ca_free(ca);
}
