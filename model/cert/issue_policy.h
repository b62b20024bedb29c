/* Which certificates a caller may have issued over REST: a CA certificate
 * (CA:TRUE) is only ever the deliberate act of a pki_admin, never what a
 * requester token or a CA's default template yields. Pure rules, and the
 * one check that reads the database (the device an IoT Edge CA request
 * names). Called by cert_issue, subordinate signing and CA chaining. */
#ifndef EDGECA_MODEL_ISSUE_POLICY_H
#define EDGECA_MODEL_ISSUE_POLICY_H

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "common/csr.h"
#include "model/auth/principal.h"
#include "model/cert/certificate.h"
#include "signer/proto/templates.h"

/* Bytes of the longest device id an Edge CA common name can carry. */
#define ISSUE_DEVICE_ID_BYTES (CSR_CN_MAX_CHARS * 4 + 1)

/* The template a caller of role asks for through POST .../certificates
 * (requested, NULL: the CA's default), if it may have it. Pure.
 * Returns: EDGECA_OK with *tpl set; EDGECA_ERR_NOT_PERMITTED
 * (ca-certificate-forbidden) for a CA template asked by anyone but a
 * pki_admin, explicitly or by default; EDGECA_ERR_INVALID
 * (template-not-allowed) for a template the CA does not allow,
 * (subordinate-ca-not-issued-here) for subordinate_ca, which only
 * subordinate signing issues. */
edgeca_err issue_template_rule(enum role role, const struct ca *ca, const char *requested,
                               const struct tpl_def **tpl, struct edgeca_msg *msg);

/* The device id of an IoT Edge CA request's subject: exactly one
 * attribute, a CN "aziot-edge CA <device id>". Pure.
 * Returns: EDGECA_OK with device_id set; EDGECA_ERR_INVALID
 * (iot-edge-ca-subject) otherwise. */
edgeca_err issue_edge_ca_subject(const X509_NAME *subject, char device_id[ISSUE_DEVICE_ID_BYTES],
                                 struct edgeca_msg *msg);

/* Authorizes a request of POST .../certificates to ca by who: the
 * template rule, and for iot_edge_ca (as EST binds it to the device that
 * authenticates) a subject naming a device to which the CA issued a
 * certificate that is valid now.
 * Returns: EDGECA_OK with *tpl set; the errors of issue_template_rule and
 * issue_edge_ca_subject; EDGECA_ERR_INVALID (iot-edge-ca-unknown-device);
 * EDGECA_ERR_MALFORMED (csr-malformed) for an iot_edge_ca CSR that
 * cannot be decoded; database errors. */
edgeca_err issue_authorize(PGconn *c, const struct principal *who, const struct ca *ca,
                           const struct cert_issue_req *req, const struct tpl_def **tpl,
                           struct edgeca_msg *msg);

/* The most a subordinate CA's certificate may allow below it. */
#define ISSUE_MAX_PATH_LENGTH 16

/* The template of a request signing an external subordinate CA's CSR
 * (pki_admin only, checked by its route): subordinate_ca, which ca must
 * allow, with a path length always given. Pure.
 * Returns: EDGECA_OK with *tpl set; EDGECA_ERR_INVALID (missing-field,
 * invalid-field for the path length; template-not-allowed). */
edgeca_err issue_subordinate_rule(const struct ca *ca, long path_length,
                                  const struct tpl_def **tpl, struct edgeca_msg *msg);

/* The location of ca that signs a request naming name (NULL: the first
 * active one). Pure.
 * Returns: EDGECA_OK with *loc set; EDGECA_ERR_CONFLICT (ca-revoked,
 * ca-not-active, location-revoked); EDGECA_ERR_INVALID
 * (location-not-active) for a named location that does not exist or
 * waits for its certificate. */
edgeca_err issue_location(const struct ca *ca, const char *name, const struct ca_location **loc,
                          struct edgeca_msg *msg);

#endif
