#include "model/cert/issue_policy.h"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/x509util.h"
#include "model/cert/store.h"

edgeca_err
issue_template_rule(enum role role, const struct ca *ca, const char *requested,
                    const struct tpl_def **tpl, struct edgeca_msg *msg)
{
	const char *name = requested ? requested : ca->template;
	const struct tpl_def *t = tpl_by_name(name);

	*tpl = NULL;
	/* whoever holds a CA certificate's key issues certificates that chain
	 * to this CA, out of edgeca's sight: decided before the CA's policy */
	if (t != NULL && t->is_ca && role != ROLE_PKI_ADMIN)
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "ca-certificate-forbidden",
		                   "%s %s makes CA certificates (CA:TRUE), whose holder could "
		                   "issue certificates chaining to this CA; a %s token never gets "
		                   "one, only a pki_admin does%s",
		                   requested ? "the template" : "the CA's default template", name,
		                   role_name(role),
		                   requested ? "" : " (ask for a device template, e.g. client)");
	if (t == NULL || !t->user_selectable || !ca_allows_template(ca, name))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "template-not-allowed",
		                   "the CA's policy does not allow the template \"%s\"", name);
	if (t->id == TPL_SUBORDINATE_CA)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "subordinate-ca-not-issued-here",
		                   "a subordinate CA certificate is signed with POST "
		                   "/api/v1/cas/%s/subordinate-certificates (pki_admin, with a "
		                   "path_length), not issued here", ca->id);
	*tpl = t;
	return EDGECA_OK;
}

edgeca_err
issue_edge_ca_subject(const X509_NAME *subject, char device_id[ISSUE_DEVICE_ID_BYTES],
                      struct edgeca_msg *msg)
{
	const char *id;
	char *cn = NULL;
	int count = 0;
	edgeca_err rc = EDGECA_OK;

	device_id[0] = '\0';
	if (X509_NAME_entry_count(subject) != 1 ||
	    x509_name_common_name(subject, &cn, &count) != 0 || count != 1 ||
	    (id = tpl_edge_ca_device_id(cn)) == NULL || strlen(id) >= ISSUE_DEVICE_ID_BYTES)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "iot-edge-ca-subject",
		                 "an IoT Edge CA certificate's subject must be exactly one CN, \""
		                 TPL_EDGE_CA_CN_PREFIX "<device id>\"");
	else
		snprintf(device_id, ISSUE_DEVICE_ID_BYTES, "%s", id);
	ERR_clear_error();
	free(cn);
	return rc;
}

/* The device an IoT Edge CA request names must hold a certificate of this
 * CA that is valid now: REST's counterpart of EST, where it must be the
 * device that authenticates. */
static edgeca_err
edge_ca_device_known(PGconn *c, const struct ca *ca, const struct cert_issue_req *req,
                     struct edgeca_msg *msg)
{
	char device[ISSUE_DEVICE_ID_BYTES];
	X509_REQ *csr = NULL;
	bool found = false;
	edgeca_err rc;

	if ((rc = csr_decode(req->csr, req->csr_len, &csr, msg)) != EDGECA_OK ||
	    (rc = issue_edge_ca_subject(X509_REQ_get_subject_name(csr), device, msg)) !=
	        EDGECA_OK ||
	    (rc = cert_store_has_valid_device(c, ca->id, device, &found, msg)) != EDGECA_OK)
		goto out;
	if (!found)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "iot-edge-ca-unknown-device",
		                 "an IoT Edge CA certificate is issued only for a device this CA "
		                 "issued a certificate to that is valid now (not revoked, not "
		                 "expired, not a CA certificate); CA %s has none with CN \"%.80s\"",
		                 ca->id, device);
out:
	X509_REQ_free(csr);
	return rc;
}

edgeca_err
issue_authorize(PGconn *c, const struct principal *who, const struct ca *ca,
                const struct cert_issue_req *req, const struct tpl_def **tpl,
                struct edgeca_msg *msg)
{
	edgeca_err rc = issue_template_rule(who->role, ca, req->template, tpl, msg);

	if (rc == EDGECA_OK && (*tpl)->id == TPL_IOT_EDGE_CA &&
	    (rc = edge_ca_device_known(c, ca, req, msg)) != EDGECA_OK)
		*tpl = NULL;
	return rc;
}

edgeca_err
issue_location(const struct ca *ca, const char *name, const struct ca_location **loc,
               struct edgeca_msg *msg)
{
	const struct ca_location *l;

	*loc = NULL;
	if (ca->status == CA_STATUS_DISABLED)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-disabled",
		                   "CA %s is disabled and issues no certificates until it is "
		                   "enabled", ca->id);
	if (ca->status != CA_STATUS_ACTIVE)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT,
		                   ca->status == CA_STATUS_REVOKED ? "ca-revoked" : "ca-not-active",
		                   "CA %s is %s and issues no certificates", ca->id,
		                   ca_status_name(ca->status));
	l = ca_find_location(ca, name);
	if (l != NULL && l->status == LOCATION_REVOKED)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "location-revoked",
		                   "location %s of CA %s is revoked and issues no certificates",
		                   l->name, ca->id);
	if (l == NULL || l->status != LOCATION_ACTIVE)
		return name ? edgeca_fail(msg, EDGECA_ERR_INVALID, "location-not-active",
		                          "CA %s has no active location \"%s\"", ca->id, name)
		            : edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                          "CA %s has no active location", ca->id);
	*loc = l;
	return EDGECA_OK;
}

edgeca_err
issue_subordinate_rule(const struct ca *ca, long path_length, const struct tpl_def **tpl,
                       struct edgeca_msg *msg)
{
	*tpl = NULL;
	if (path_length == CA_FIELD_UNSET)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "missing-field",
		                   "path_length is required: how many CAs may follow the subordinate "
		                   "(0: it issues end-entity certificates only)");
	if (path_length < 0 || path_length > ISSUE_MAX_PATH_LENGTH)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "path_length must be between 0 and %d", ISSUE_MAX_PATH_LENGTH);
	if (!ca_allows_template(ca, "subordinate_ca"))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "template-not-allowed",
		                   "the CA's policy does not allow the subordinate_ca template");
	*tpl = tpl_get(TPL_SUBORDINATE_CA);
	return EDGECA_OK;
}
