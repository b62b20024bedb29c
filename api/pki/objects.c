/* The public objects on the PKI listener: CRLs at their distribution
 * points and CA certificates at their caIssuers URLs, the same objects
 * and caching headers as the HTTPS API's public paths (api/rest/crl.c,
 * api/rest/ca_chain.c). */
#include <stdbool.h>
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

static edgeca_err
get_crl(const struct pki_request *req, const char *ca_id, const char *location, int generation,
        bool delta, bool with_der, struct crl *crl, struct edgeca_msg *msg)
{
	return delta ? crl_get_delta(req->ctx, ca_id, location, generation, with_der, crl, msg)
	             : crl_get(req->ctx, ca_id, location, generation, with_der, crl, msg);
}

/* GET|HEAD /crl/{ca_id}/{location}.crl and .../{location}.{generation}.crl,
 * and the same names ending .delta.crl for their delta CRLs (Freshest
 * CRL): DER, or 304 for a cache that has it. */
void
pki_crl_get(const struct pki_request *req, struct pki_response *resp)
{
	const char *ca_id = pki_param(req, "ca_id"), *file = pki_param(req, "file");
	struct edgeca_msg msg = {0};
	struct crl crl = {0};
	char name[64], etag[80];
	int generation = public_file_generation(file, ".delta.crl", name);
	bool delta = generation > 0;
	edgeca_err rc;

	if (!delta)
		generation = public_file_generation(file, ".crl", name);
	if (generation == 0) {
		pki_answer_problem(resp, EDGECA_ERR_NOT_FOUND, "not-found",
		                   "no such CRL: /crl/{ca_id}/{location}.crl, "
		                   "/crl/{ca_id}/{location}.{generation}.crl or the same ending "
		                   ".delta.crl", req->path);
		goto out;
	}
	/* first without the DER: a cache that has it is answered cheaply */
	rc = get_crl(req, ca_id, name, generation, delta, false, &crl, &msg);
	if (rc == EDGECA_OK) {
		snprintf(etag, sizeof(etag), "\"%s\"", crl.sha256);
		if (public_not_modified(pki_header(req, "If-None-Match"),
		                        pki_header(req, "If-Modified-Since"), etag, crl.this_update)) {
			crl_caching_headers(resp, &crl, etag);
			resp->status = 304;
			goto out;
		}
		crl_clear(&crl);
		rc = get_crl(req, ca_id, name, generation, delta, true, &crl, &msg);
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
	const unsigned char *der = NULL;
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	size_t len = 0;
	edgeca_err rc;

	rc = public_file_ca_certificate(req->ctx, pki_param(req, "ca_id"), pki_param(req, "file"),
	                                &ca, &der, &len, &msg);
	if (rc != EDGECA_OK) {
		pki_answer_failure(resp, rc, &msg, req->path);
	} else {
		pki_answer_header(resp, "Cache-Control", "%s", PUBLIC_CERT_CACHE_CONTROL);
		pki_answer_body(resp, 200, "application/pkix-cert", der, len);
	}
	ca_free(ca);
}
