#include "model/est/dps.h"

#include <ctype.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/log.h"
#include "model/ca/store.h"
#include "model/cert/issuance.h"
#include "model/store/db.h"
#include "signer/proto/templates.h"

#define VERIFICATION_DAYS 1

/* The device configuration; printf arguments: CA name, CA id, location,
 * ID scope, registration ID (twice), EST URL. File names follow the
 * layout of the configuration users write (docs/est.md, device flow). */
static const char dps_config_template[] =
	"# /etc/aziot/config.toml of an IoT Edge device that gets its identity\n"
	"# certificate from edgeca over EST and provisions through Azure DPS.\n"
	"# CA: %s (%s), location %s.\n"
	"# Apply it with: sudo iotedge config apply -c /etc/aziot/config.toml\n"
	"#\n"
	"# Put these files on the device before its first start:\n"
	"#   /var/aziot/certs/ca.pem               edgeca's TLS CA (<data dir>/tls/ca.pem),\n"
	"#                                         which signed the EST server certificate\n"
	"#   /var/aziot/authcerts/certificate.pem  the bootstrap certificate, CN = the\n"
	"#   /var/aziot/authcerts/certificate.key  registration ID below, and its key\n"
	"\n"
	"[provisioning]\n"
	"source = \"dps\"\n"
	"global_endpoint = \"https://global.azure-devices-provisioning.net\"\n"
	"id_scope = \"%s\"\n"
	"\n"
	"[provisioning.attestation]\n"
	"method = \"x509\"\n"
	"registration_id = \"%s\"\n"
	"\n"
	"[provisioning.attestation.identity_cert]\n"
	"method = \"est\"\n"
	"common_name = \"%s\"\n"
	"\n"
	"[provisioning.attestation.identity_cert.auto_renew]\n"
	"rotate_key = true\n"
	"threshold = \"80%%\"\n"
	"retry = \"4%%\"\n"
	"\n"
	"[cert_issuance.est]\n"
	"trusted_certs = [\n"
	"  \"file:///var/aziot/certs/ca.pem\",\n"
	"]\n"
	"\n"
	"[cert_issuance.est.urls]\n"
	"default = \"%s\"\n"
	"\n"
	"[cert_issuance.est.auth]\n"
	"identity_cert = \"file:///var/aziot/authcerts/certificate.pem\"\n"
	"identity_pk = \"file:///var/aziot/authcerts/certificate.key\"\n"
	"bootstrap_identity_cert = \"file:///var/aziot/authcerts/certificate.pem\"\n"
	"bootstrap_identity_pk = \"file:///var/aziot/authcerts/certificate.key\"\n"
	"\n"
	"[cert_issuance.est.identity_auto_renew]\n"
	"rotate_key = true\n"
	"threshold = \"80%%\"\n"
	"retry = \"4%%\"\n";

/* s is 1 to max letters, digits or characters of extra. */
static bool
name_valid(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr(extra, *p) == NULL)
			return false;
	return true;
}

/* Verification codes DPS shows are hex strings; accept the characters a
 * CN needs for them and nothing that could surprise. */
static bool
code_valid(const char *s)
{
	return name_valid(s, 64, "-");
}

/* A CSR with CN = cn, as DER, signed by a throw-away key: the signer
 * takes only its subject (the certificate gets the CA's own public key). */
static int
ephemeral_csr(const char *cn, unsigned char **der, size_t *len)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	int n = -1;

	*der = NULL;
	if (key != NULL && req != NULL && name != NULL &&
	    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	                               (const unsigned char *)cn, -1, -1, 0) == 1 &&
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) == 1 &&
	    X509_REQ_set_subject_name(req, name) == 1 && X509_REQ_set_pubkey(req, key) == 1 &&
	    X509_REQ_sign(req, key, EVP_sha256()) > 0)
		n = i2d_X509_REQ(req, der);
	ERR_clear_error();
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	if (n <= 0) {
		OPENSSL_free(*der);
		*der = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

struct load_args {
	const char *ca_id;
	const char *location;
	struct ca **ca;
	const struct ca_location **loc;
};

/* The CA and its location (NULL: the first active), active; run by
 * db_with, so that the connection is back before the signer is asked
 * (storing takes one again). */
static edgeca_err
load_active(PGconn *c, void *arg, struct edgeca_msg *msg)
{
	struct load_args *a = arg;
	const char *ca_id = a->ca_id, *location = a->location;
	struct ca **ca = a->ca;
	const struct ca_location **loc = a->loc;
	edgeca_err rc;

	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
		return rc;
	if ((rc = ca_store_load(c, ca_id, ca, msg)) != EDGECA_OK)
		return rc;
	*loc = ca_find_location(*ca, location);
	if ((*ca)->status == CA_STATUS_DISABLED) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-disabled",
		                 "CA %s is disabled and signs nothing", ca_id);
		ca_free(*ca);
		*ca = NULL;
	} else if (*loc == NULL || (*loc)->status != LOCATION_ACTIVE) {
		rc = location ? edgeca_fail(msg, EDGECA_ERR_INVALID, "location-not-active",
		                            "CA %s has no active location \"%s\"", ca_id, location)
		              : edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                            "CA %s has no active location", ca_id);
		ca_free(*ca);
		*ca = NULL;
	}
	return rc;
}

edgeca_err
dps_verification_certificate(struct edgeca_ctx *ctx, const struct principal *who,
                             const char *ca_id, const char *code, const char *location,
                             struct certificate **out, struct edgeca_msg *msg)
{
	const struct ca_location *loc;
	struct ca *ca = NULL;
	unsigned char *csr = NULL;
	size_t csr_len = 0;
	time_t not_after;
	struct load_args la = {ca_id, location, &ca, &loc};
	edgeca_err rc;

	*out = NULL;
	if (code == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "missing-field",
		                   "verification_code is required");
	if (!code_valid(code))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "verification_code must be 1 to 64 letters, digits or dashes, as "
		                   "DPS shows it");
	if ((rc = db_with(ctx->db, load_active, &la, msg)) != EDGECA_OK)
		goto out;
	if (ephemeral_csr(code, &csr, &csr_len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make a key and request");
		goto out;
	}
	not_after = time(NULL) + VERIFICATION_DAYS * 86400;
	if (not_after > loc->not_after)
		not_after = loc->not_after;
	rc = cert_sign_and_store(ctx, who->actor, "rest", ca, loc, tpl_get(TPL_DPS_VERIFICATION),
	                         csr, csr_len, not_after, out, msg);
	if (rc == EDGECA_OK)
		log_info("dps_verification_certificate: ca=%s location=%s serial=%s by %s", ca->id,
		         loc->name, (*out)->serial, who->actor);
out:
	OPENSSL_free(csr);
	ca_free(ca);
	return rc;
}

/* DPS registration IDs: letters, digits and -._: up to 128 characters;
 * edgeca also uses it as the certificate CN, hence at most 64. */
static bool
registration_id_valid(const char *s)
{
	return name_valid(s, 64, "-._:");
}

static bool
id_scope_valid(const char *s)
{
	return name_valid(s, 32, "");
}

edgeca_err
dps_iotedge_config(struct edgeca_ctx *ctx, const struct dps_config_req *req, char **out,
                   struct edgeca_msg *msg)
{
	const struct ca_location *loc;
	struct ca *ca = NULL;
	struct buf b = {0};
	char url[EST_URL_MAX];
	struct load_args la = {req->ca_id, req->location, &ca, &loc};
	edgeca_err rc;

	*out = NULL;
	if (req->registration_id == NULL || !registration_id_valid(req->registration_id))
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "registration_id is required: 1 to 64 letters, digits or -._: "
		                   "(the device ID, also the certificates' CN)");
	if (req->id_scope == NULL || !id_scope_valid(req->id_scope))
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "id_scope is required: the DPS ID scope, letters and digits "
		                   "(e.g. 0ne00ABCDEF)");
	if ((rc = db_with(ctx->db, load_active, &la, msg)) != EDGECA_OK)
		goto out;
	if (!ca->est.enabled) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "est-disabled",
		                 "CA %s does not serve EST; enable it (PATCH est.enabled) first",
		                 ca->id);
		goto out;
	}
	ca_est_url(&ctx->settings, ca, loc, url);
	if (buf_printf(&b, dps_config_template, ca->common_name, ca->id, loc->name,
	               req->id_scope, req->registration_id, req->registration_id, url) != 0 ||
	    buf_terminate(&b) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	{
		size_t len;
		*out = (char *)buf_take(&b, &len);
	}
out:
	buf_free(&b);
	ca_free(ca);
	return rc;
}
