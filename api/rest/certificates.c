/* /api/v1/cas/{ca_id}/certificates: submit CSRs, list and read certificates
 * (JSON, or by Accept the certificate as PEM, DER, PEM chain or PKCS#7). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/rest/etag.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "common/x509util.h"
#include "model/cert/certificate.h"
#include "model/cert/download.h"

static const char *const issue_fields[] = {"csr", "validity_days", "not_after", "template",
                                           "location", NULL};
/* Every option a CSR request may take, in the JSON body or, with a raw
 * CSR, in the query. */
static const char *const all_options[] = {"validity_days", "not_after", "template",
                                          "location", "path_length", NULL};

static bool
has_name(const char *const *names, const char *name)
{
	for (; *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

static edgeca_err
parse_json_csr(const json_t *j, const char *const *fields, struct cert_issue_req *r,
               struct edgeca_msg *msg)
{
	const char *csr = NULL;
	edgeca_err rc;

	/* json_only refuses what fields do not name before anything is read */
	if ((rc = json_only(j, fields, "", msg)) ||
	    (rc = json_opt_string(j, "csr", "", &csr, msg)) ||
	    (rc = json_opt_long(j, "validity_days", "", &r->validity_days, msg)) ||
	    (rc = json_opt_time(j, "not_after", "", &r->has_not_after, &r->not_after, msg)) ||
	    (rc = json_opt_string(j, "template", "", &r->template, msg)) ||
	    (rc = json_opt_string(j, "location", "", &r->location, msg)) ||
	    (rc = json_opt_long(j, "path_length", "", &r->path_length, msg)))
		return rc;
	if (csr == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "missing-field",
		                   "csr is required: the PEM text of a PKCS#10 request");
	r->csr = (const unsigned char *)csr;
	r->csr_len = strlen(csr);
	return EDGECA_OK;
}

/* A raw application/pkcs10 body takes its options from the query. */
static edgeca_err
parse_raw_csr(const struct _u_request *req, const char *const *fields, struct cert_issue_req *r,
              struct edgeca_msg *msg)
{
	edgeca_err rc;

	if ((rc = api_query_long(req, "validity_days", &r->validity_days, msg)) ||
	    (rc = api_query_time(req, "not_after", &r->has_not_after, &r->not_after, msg)) ||
	    (has_name(fields, "path_length") &&
	     (rc = api_query_long(req, "path_length", &r->path_length, msg))))
		return rc;
	r->template = has_name(fields, "template") ? api_query(req, "template") : NULL;
	r->location = api_query(req, "location");
	r->csr = req->binary_body;
	r->csr_len = req->binary_body_length;
	if (r->csr_len == 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed", "the body is empty");
	return EDGECA_OK;
}

/* With a JSON body the options belong in it, and a raw CSR takes only
 * its request's options: query options that would be ignored are
 * refused. */
static edgeca_err
query_options_known(const struct _u_request *req, const char *const *fields, bool json,
                    struct edgeca_msg *msg)
{
	for (int i = 0; all_options[i] != NULL; i++) {
		if (api_query(req, all_options[i]) == NULL)
			continue;
		if (json)
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
			                   "with a JSON body, give %s in the body, not in the query",
			                   all_options[i]);
		if (!has_name(fields, all_options[i]))
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
			                   "%s is not an option of this request", all_options[i]);
	}
	return EDGECA_OK;
}

edgeca_err
api_parse_csr_request(const struct _u_request *req, const char *const *fields,
                      struct cert_issue_req *r, json_t **j, struct edgeca_msg *msg)
{
	bool json = api_content_type_is(req, "application/json");

	*j = NULL;
	if (!json && !api_content_type_is(req, "application/pkcs10"))
		return edgeca_fail(msg, EDGECA_ERR_FORMAT_UNSUPPORTED, "unsupported-media-type",
		                   "send the CSR as application/json {\"csr\": ...} or as "
		                   "application/pkcs10 (PEM or DER)");
	if (!json)
		return query_options_known(req, fields, false, msg)
		       ?: parse_raw_csr(req, fields, r, msg);
	return query_options_known(req, fields, true, msg) ?: api_json_object(req, j, msg)
	       ?: parse_json_csr(*j, fields, r, msg);
}

void
api_answer_issued(struct api_call *call, const struct certificate *cert)
{
	char location[256];

	snprintf(location, sizeof(location), "/api/v1/cas/%s/certificates/%s", cert->ca_id,
	         cert->serial);
	u_map_put(call->resp->map_header, "Location", location);
	api_json(call->resp, 201, render_certificate(cert, 1));
}

/* Issues from the CSR request in the body: a leaf (fields issue_fields) or
 * a subordinate CA's certificate (subordinate_fields). */
static void
issue(struct api_call *call, const char *const *fields, bool subordinate)
{
	struct cert_issue_req r;
	struct edgeca_msg msg = {0};
	struct certificate *cert = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	cert_issue_req_init(&r);
	r.subordinate = subordinate;
	rc = api_parse_csr_request(call->req, fields, &r, &j, &msg);
	if (rc == EDGECA_OK)
		rc = cert_issue(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"), &r,
		                &cert, &msg);
	if (rc == EDGECA_OK)
		api_answer_issued(call, cert);
	else
		api_problem(call->resp, rc, &msg, call->path);
	json_decref(j);
	cert_free(cert);
}

void
api_certificates_issue(struct api_call *call)
{
	issue(call, issue_fields, false);
}

static const char *const subordinate_fields[] = {"csr", "path_length", "validity_days",
                                                 "not_after", "location", NULL};

void
api_cas_sign_subordinate(struct api_call *call)
{
	issue(call, subordinate_fields, true);
}

void
api_certificates_list(struct api_call *call)
{
	struct cert_filter f = {NULL, NULL, false, 0};
	struct edgeca_msg msg = {0};
	struct cert_list list;
	long limit = -1;
	json_t *items;
	edgeca_err rc;

	f.status = api_query(call->req, "status");
	f.common_name = api_query(call->req, "common_name");
	if ((rc = api_query_long(call->req, "limit", &limit, &msg)) != EDGECA_OK ||
	    (rc = api_query_time(call->req, "expires_before", &f.has_expires_before,
	                         &f.expires_before, &msg)) != EDGECA_OK ||
	    (rc = cert_list(call->ctx, u_map_get(call->req->map_url, "ca_id"), &f, limit,
	                    api_query(call->req, "cursor"), &list, &msg)) != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	items = json_array();
	for (size_t i = 0; items && i < list.n; i++)
		items = render_append(items, render_certificate(list.items[i], 0));
	api_json(call->resp, 200, render_page(items, list.next_cursor));
	cert_list_free(&list);
}

/* What GET .../certificates/{serial} offers by Accept, JSON first (the
 * answer without an Accept header), and the file extension of each. */
static const char *const cert_offers[] = {"application/json",
                                          "application/pem-certificate-chain",
                                          "application/x-pem-file", "application/pkix-cert",
                                          "application/pkcs7-mime", NULL};
static const struct {
	enum cert_format format;
	const char *ext;
} cert_files[] = {{CERT_FORMAT_PEM, ""},
                  {CERT_FORMAT_PEM_CHAIN, "chain.pem"},
                  {CERT_FORMAT_PEM, "pem"},
                  {CERT_FORMAT_DER, "cer"},
                  {CERT_FORMAT_PKCS7, "p7c"}};

/* The certificate as the file offer pick names, as an attachment named by
 * its canonical serial. */
static void
answer_file(struct api_call *call, const struct certificate *cert, int pick)
{
	struct edgeca_msg msg = {0};
	unsigned char *body = NULL;
	char disposition[128];
	size_t len = 0;

	if (cert_encode(cert, cert_files[pick].format, &body, &len, &msg) != EDGECA_OK) {
		api_problem(call->resp, EDGECA_ERR_INTERNAL, &msg, call->path);
		return;
	}
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s.%s\"", cert->serial,
	         cert_files[pick].ext);
	u_map_put(call->resp->map_header, "Content-Disposition", disposition);
	api_body(call->resp, 200, cert_offers[pick], body, len);
	free(body);
}

void
api_certificates_get(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct certificate *cert = NULL;
	edgeca_err rc;
	int pick;

	rc = cert_get(call->ctx, u_map_get(call->req->map_url, "ca_id"),
	              u_map_get(call->req->map_url, "serial"), &cert, &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	pick = api_negotiate(call->req, cert_offers);
	if (pick == 0)
		api_answer_tagged(call, render_certificate(cert, 1));
	else if (pick > 0)
		answer_file(call, cert, pick);
	else
		api_problem_text(call->resp, EDGECA_ERR_FORMAT_UNAVAILABLE, "not-acceptable",
		                 "the certificate is available as application/json, "
		                 "application/pem-certificate-chain, application/x-pem-file, "
		                 "application/pkix-cert or application/pkcs7-mime", call->path);
	cert_free(cert);
}
