/* HTTP handlers: each reads its parameters, calls the model and maps the
 * result to a response. Authentication already happened (api/rest/routes.c). */
#ifndef EDGECA_API_HANDLERS_H
#define EDGECA_API_HANDLERS_H

#include <jansson.h>

#include "api/rest/routes.h"
#include "model/ca/ca.h"
#include "model/cert/certificate.h"

void api_health_healthz(struct api_call *call);
void api_health_readyz(struct api_call *call);
void api_health_openapi(struct api_call *call);

void api_cas_create(struct api_call *call);
void api_cas_list(struct api_call *call);
void api_cas_get(struct api_call *call);
/* Reads the CA of the path and answers 200 with render's view of it. */
void api_answer_ca(struct api_call *call,
                   json_t *(*render)(const struct ca *ca, const struct model_settings *settings));
void api_cas_certificate(struct api_call *call);

void api_cas_chain(struct api_call *call);
void api_cas_renew(struct api_call *call);
void api_cas_chain_get(struct api_call *call);
void api_cas_location_csr(struct api_call *call);
void api_cas_location_upload(struct api_call *call);
void api_public_ca_certificate(struct api_call *call);

void api_cas_update(struct api_call *call);
void api_cas_est_urls(struct api_call *call);
/* GET /api/v1/notifications and /api/v1/cas/{ca_id}/notifications */
void api_notifications_list(struct api_call *call);
/* GET /api/v1/audit */
void api_audit_list(struct api_call *call);
void api_cas_verification_certificate(struct api_call *call);
void api_cas_iotedge_config(struct api_call *call);

/* The CSR and options of a request that submits a CSR (fields: "csr"
 * and the options it takes, NULL-terminated): a JSON object, whose strings r then borrows from *j
 * (json_decref it after use), or a raw application/pkcs10 body (PEM or
 * DER) with the options in the query. Options the request does not take,
 * or query options beside a JSON body, are refused. */
edgeca_err api_parse_csr_request(const struct _u_request *req, const char *const *fields,
                                 struct cert_issue_req *r, json_t **j, struct edgeca_msg *msg);
/* 201 with the certificate (IssuedCertificate) and its Location header. */
void api_answer_issued(struct api_call *call, const struct certificate *cert);

void api_certificates_issue(struct api_call *call);
/* POST /api/v1/cas/{ca_id}/subordinate-certificates: an external
 * subordinate CA's CSR signed, always with a path length */
void api_cas_sign_subordinate(struct api_call *call);
void api_certificates_list(struct api_call *call);
/* GET /api/v1/certificates: search across CAs */
void api_cert_search(struct api_call *call);
void api_certificates_get(struct api_call *call);

void api_certificates_revoke(struct api_call *call);
void api_certificates_unrevoke(struct api_call *call);
void api_cas_revoke(struct api_call *call);
void api_cas_revoke_location(struct api_call *call);
/* POST .../disable, .../enable, DELETE /api/v1/cas/{ca_id} (api/rest/cas_state.c) */
void api_cas_disable(struct api_call *call);
void api_cas_enable(struct api_call *call);
void api_cas_delete(struct api_call *call);

void api_cas_crl_get(struct api_call *call);
void api_cas_crl_generate(struct api_call *call);
void api_public_crl(struct api_call *call);

void api_tokens_create(struct api_call *call);
void api_tokens_list(struct api_call *call);
void api_tokens_get(struct api_call *call);
void api_tokens_update(struct api_call *call);
void api_tokens_delete(struct api_call *call);

/* /api/v1/sessions (api/rest/sessions.c) and the portal's files at /ui/
 * (api/rest/ui.c) */
void api_sessions_create(struct api_call *call);
void api_sessions_current(struct api_call *call);
void api_sessions_end(struct api_call *call);
void api_ui_file(struct api_call *call);

/* The "est" member of CA creation and update (api/rest/cas_est.c); *anchors is
 * an owned array of borrowed strings (free it). */
/* The "ocsp" member of a CA creation or PATCH request. */
edgeca_err api_parse_ocsp(const json_t *j, struct ca_ocsp_req *r, struct edgeca_msg *msg);
edgeca_err api_parse_est(const json_t *j, struct ca_est_req *r, const char ***anchors,
                         struct edgeca_msg *msg);

/* The "delta" member of "crl" (creation and update), if given: enabled
 * (-1 when absent) and interval_minutes (unchanged when absent). */
edgeca_err api_parse_crl_delta(const json_t *crl, int *enabled, long *interval_minutes,
                               struct edgeca_msg *msg);

#endif
