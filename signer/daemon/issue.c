#include "signer/daemon/issue.h"
#include "signer/daemon/internal/issue_sans.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/csr.h"
#include "common/digests.h"
#include "common/timeutil.h"
#include "common/log.h"
#include "common/x509util.h"
#include "signer/proto/protocol.h"

/* 0x01 followed by 16 random bytes: 128 bits from the CSPRNG in a
 * positive serial that is always 17 bytes long (RFC 5280 allows 20). */
static int
set_random_serial(X509 *cert)
{
	unsigned char b[17];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	int rc = -1;

	b[0] = 0x01;
	if (RAND_bytes(b + 1, sizeof(b) - 1) != 1)
		goto out;
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (bn == NULL || (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		goto out;
	if (X509_set_serialNumber(cert, ai) != 1)
		goto out;
	rc = 0;
out:
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

static int
add_conf_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;
	int ok;

	X509V3_set_ctx(&ctx, NULL, cert, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ex == NULL)
		return -1;
	ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok == 1 ? 0 : -1;
}

/* SKI by RFC 5280 method 1 (SHA-1 of the subjectPublicKey bits), in a
 * new string; NULL on failure. */
static ASN1_OCTET_STRING *
key_identifier(const X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	ASN1_OCTET_STRING *id = NULL;

	if (X509_pubkey_digest(x, digest_sha1(), md, &md_len) != 1 ||
	    (id = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(id, md, (int)md_len) != 1) {
		ASN1_OCTET_STRING_free(id);
		return NULL;
	}
	return id;
}

/* The certificate's SKI, and its AKI: the issuer's SKI, or for an issuer
 * certificate without one (uploads now refuse those; older ones exist)
 * the method 1 identifier of its key, as its CRLs carry. */
static int
add_key_identifiers(X509 *cert, const X509 *issuer)
{
	ASN1_OCTET_STRING *ski = NULL, *derived = NULL;
	AUTHORITY_KEYID *aki = NULL;
	const ASN1_OCTET_STRING *issuer_ski;
	int rc = -1;

	ski = key_identifier(cert);
	if (ski == NULL ||
	    X509_add1_ext_i2d(cert, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	issuer_ski = issuer ? X509_get0_subject_key_id((X509 *)issuer) : ski;
	if (issuer_ski == NULL && (issuer_ski = derived = key_identifier(issuer)) == NULL)
		goto out;
	aki = AUTHORITY_KEYID_new();
	if (aki == NULL || (aki->keyid = ASN1_OCTET_STRING_dup(issuer_ski)) == NULL)
		goto out;
	if (X509_add1_ext_i2d(cert, NID_authority_key_identifier, aki, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	rc = 0;
out:
	AUTHORITY_KEYID_free(aki);
	ASN1_OCTET_STRING_free(ski);
	ASN1_OCTET_STRING_free(derived);
	return rc;
}

/* Copies a SubjectPublicKeyInfo into cert as it is encoded:
 * X509_set_pubkey would decode and re-encode the key through OpenSSL 3's
 * encoders, a quarter of the signer's time per certificate. */
static int
copy_public_key(X509 *cert, X509_PUBKEY *src)
{
	const ASN1_OBJECT *key_oid = NULL, *alg_oid = NULL;
	const unsigned char *bits = NULL;
	const X509_ALGOR *alg = NULL;
	const void *param = NULL;
	unsigned char *bits_copy = NULL;
	ASN1_OBJECT *oid_copy = NULL;
	void *param_copy = NULL;
	int bits_len = 0, ptype = V_ASN1_UNDEF;

	if (src == NULL || X509_PUBKEY_get0_param((ASN1_OBJECT **)&key_oid, &bits, &bits_len,
	                                          (X509_ALGOR **)&alg, src) != 1 || bits_len <= 0)
		return -1;
	X509_ALGOR_get0(&alg_oid, &ptype, &param, alg);
	if (ptype == V_ASN1_OBJECT)
		param_copy = OBJ_dup(param);
	else if (ptype == V_ASN1_SEQUENCE || ptype == V_ASN1_OCTET_STRING)
		param_copy = ASN1_STRING_dup(param);
	else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF)
		return -1;
	oid_copy = OBJ_dup(key_oid);
	bits_copy = OPENSSL_memdup(bits, (size_t)bits_len);
	if (oid_copy == NULL || bits_copy == NULL ||
	    (param_copy == NULL && ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF) ||
	    X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), oid_copy, ptype, param_copy,
	                           bits_copy, bits_len) != 1) {
		ASN1_OBJECT_free(oid_copy);
		OPENSSL_free(bits_copy);
		if (ptype == V_ASN1_OBJECT)
			ASN1_OBJECT_free(param_copy);
		else
			ASN1_STRING_free(param_copy);
		return -1;
	}
	return 0;
}

static const EVP_MD *
digest_for(const struct signer_key *key)
{
	return strcmp(key->algorithm, "EC-P384") == 0 ? digest_sha384() : digest_sha256();
}

static int
set_validity(X509 *cert, time_t not_before, time_t not_after)
{
	return ASN1_TIME_set(X509_getm_notBefore(cert), not_before) != NULL &&
	       ASN1_TIME_set(X509_getm_notAfter(cert), not_after) != NULL ? 0 : -1;
}

/* The path length a CA certificate issued by issuer under policy p may
 * carry at most: one less than the tighter of the two constraints, or -1
 * (none) when neither constrains. policy_check_issue already refused 0. */
static long
child_path_length(const X509 *issuer, const struct signer_policy *p)
{
	long from_issuer = X509_get_pathlen((X509 *)issuer), child = -1;

	if (from_issuer >= 0)
		child = from_issuer - 1;
	if (p->path_length >= 0 && (child < 0 || p->path_length - 1 < child))
		child = p->path_length - 1;
	return child;
}

/* The pathLenConstraint to write: the template's fixed one, the one asked
 * for (never above what the issuer allows), or the most allowed. */
static edgeca_err
resolve_path_length(const X509 *issuer, const struct signer_policy *p, const struct tpl_def *t,
                    long requested, long *out, struct edgeca_msg *msg)
{
	long max = child_path_length(issuer, p);

	*out = -1;
	if (!t->is_ca)
		return EDGECA_OK;
	if (t->fixed_path_length >= 0) {
		*out = t->fixed_path_length;
		return EDGECA_OK;
	}
	if (requested >= 0 && max >= 0 && requested > max)
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "path-length-exceeded",
		                   "a path length of %ld is asked, but the issuing CA allows at most "
		                   "%ld below it", requested, max);
	*out = requested >= 0 ? requested : max;
	return EDGECA_OK;
}

/* URLs go into extensions built from OpenSSL's text form: only plain
 * http(s) URLs without separators or spaces are accepted. */
bool
issue_url_acceptable(const char *u)
{
	size_t n = strlen(u);

	if ((strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) || n > 1024 || n < 9)
		return false;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ',' || *p == '"' || *p == '\\')
			return false;
	return true;
}

/* Two "...;URI:" and URLs issue_url_acceptable() lets through, with room to spare. */
#define URL_VALUE_BYTES 2200

/* CDP, AIA caIssuers and OCSP, Freshest CRL when given (ocsp_responder:
 * caIssuers alone). */
static edgeca_err
add_url_extensions(X509 *cert, const struct issue_params *ip, struct edgeca_msg *msg)
{
	char value[URL_VALUE_BYTES];
	bool responder = ip->tpl->id == TPL_OCSP_RESPONDER;
	const char *crl = responder ? NULL : ip->crl_url, *ocsp = responder ? NULL : ip->ocsp_url;
	const char *freshest = responder ? NULL : ip->freshest_crl_url;

	if ((ip->crl_url != NULL && !issue_url_acceptable(ip->crl_url)) ||
	    (ip->aia_url != NULL && !issue_url_acceptable(ip->aia_url)) ||
	    (ip->ocsp_url != NULL && !issue_url_acceptable(ip->ocsp_url)) ||
	    (ip->freshest_crl_url != NULL && !issue_url_acceptable(ip->freshest_crl_url)))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-url",
		                   "CRL, issuer and OCSP URLs must be plain http or https URLs");
	if (crl != NULL) {
		snprintf(value, sizeof(value), "URI:%s", crl);
		if (add_conf_ext(cert, NID_crl_distribution_points, value) != 0)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot add the CRL URL");
	}
	if (ip->aia_url != NULL || ocsp != NULL) {
		snprintf(value, sizeof(value), "%s%s%s%s%s", ip->aia_url ? "caIssuers;URI:" : "",
		         ip->aia_url ? ip->aia_url : "", ip->aia_url && ocsp ? "," : "",
		         ocsp ? "OCSP;URI:" : "", ocsp ? ocsp : "");
		if (add_conf_ext(cert, NID_info_access, value) != 0)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot add the issuer URL");
	}
	if (freshest != NULL) {
		snprintf(value, sizeof(value), "URI:%s", freshest);
		if (add_conf_ext(cert, NID_freshest_crl, value) != 0)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                   "cannot add the delta CRL URL");
	}
	return EDGECA_OK;
}

/* The subject of a DPS verification certificate: one CN, the code as DPS
 * shows it (1 to 64 letters, digits and dashes), nothing else. */
static edgeca_err
check_verification_code(X509_REQ *req, const char *cn, int cn_count, struct edgeca_msg *msg)
{
	size_t n = cn ? strlen(cn) : 0;

	if (cn_count != 1 || X509_NAME_entry_count(X509_REQ_get_subject_name(req)) != 1 || n == 0 ||
	    n > 64 || strspn(cn, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-subject",
		                   "a DPS verification certificate's subject is one CN: the "
		                   "verification code, 1 to 64 letters, digits or dashes");
	return EDGECA_OK;
}

/* The subject of an IoT Edge CA certificate, a CA certificate: one CN,
 * "aziot-edge CA " and the device's id, nothing else; the id itself is
 * the server's to check against the devices the CA knows. */
static edgeca_err
check_edge_ca_subject(X509_REQ *req, const char *cn, int cn_count, struct edgeca_msg *msg)
{
	if (cn_count != 1 || X509_NAME_entry_count(X509_REQ_get_subject_name(req)) != 1 ||
	    tpl_edge_ca_device_id(cn) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-subject",
		                   "an IoT Edge CA certificate's subject is one CN: \""
		                   TPL_EDGE_CA_CN_PREFIX "\" followed by the device's id");
	return EDGECA_OK;
}

static edgeca_err
add_template_extensions(X509 *cert, const struct tpl_def *t, EVP_PKEY *subject_key,
                        X509_REQ *req, const char *cn, long ca_path_length,
                        struct edgeca_msg *msg)
{
	GENERAL_NAMES *sans = NULL;
	char ku[64], bc[64];
	edgeca_err rc;

	if (t->is_ca) {
		if (ca_path_length >= 0)
			snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%ld", ca_path_length);
		else
			snprintf(bc, sizeof(bc), "critical,CA:TRUE");
		if (add_conf_ext(cert, NID_basic_constraints, bc) != 0 ||
		    add_conf_ext(cert, NID_key_usage, t->ca_key_usage) != 0)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot add CA extensions");
		return EDGECA_OK;
	}
	snprintf(ku, sizeof(ku), "critical,digitalSignature%s",
	         EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA && t->id != TPL_OCSP_RESPONDER
	             ? ",keyEncipherment" : "");
	if (add_conf_ext(cert, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    add_conf_ext(cert, NID_key_usage, ku) != 0 ||
	    (t->eku != NULL && add_conf_ext(cert, NID_ext_key_usage, t->eku) != 0) ||
	    (t->id == TPL_OCSP_RESPONDER && add_conf_ext(cert, NID_id_pkix_OCSP_noCheck, "") != 0))
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot add leaf extensions");
	rc = issue_build_sans(t, req, cn, &sans, msg);
	if (rc != EDGECA_OK)
		return rc;
	if (t->requires_san && sk_GENERAL_NAME_num(sans) == 0) {
		GENERAL_NAMES_free(sans);
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-no-host-name",
		                   "the %s template makes server certificates, which need a host "
		                   "name: the CN is no DNS name or IP address and the CSR has no DNS "
		                   "or IP subjectAltName (device identities use the client template)",
		                   t->name);
	}
	if (sk_GENERAL_NAME_num(sans) > 0) {
		/* RFC 5280: with an empty subject the SAN extension is critical. */
		int crit = X509_NAME_entry_count(X509_get_subject_name(cert)) == 0;
		if (X509_add1_ext_i2d(cert, NID_subject_alt_name, sans, crit, X509V3_ADD_DEFAULT) != 1)
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot add subjectAltName");
	}
	GENERAL_NAMES_free(sans);
	return rc;
}

edgeca_err
issue_certificate(struct keystore *ks, struct signer_key *key, const struct issue_params *ip,
                  X509_REQ *req, time_t now, X509 **out, struct edgeca_msg *msg)
{
	const struct tpl_def *t = ip->tpl;
	time_t not_after = ip->not_after;
	long path_length = -1;
	X509 *issuer = NULL, *cert = NULL;
	X509_PUBKEY *spki;
	EVP_PKEY *subject_key;
	char *cn = NULL;
	int cn_count = 0;
	time_t not_before, issuer_nb;
	edgeca_err rc;

	*out = NULL;
	issuer = keystore_key_cert(ks, key);
	rc = policy_check_issue(&key->policy, issuer, t, not_after, now, msg);
	if (rc != EDGECA_OK)
		goto out;
	rc = resolve_path_length(issuer, &key->policy, t, ip->path_length, &path_length, msg);
	if (rc != EDGECA_OK)
		goto out;
	rc = csr_check_signature_and_key(req, msg);
	if (rc != EDGECA_OK)
		goto out;
	rc = csr_check_subject(req, t->requires_cn, msg);
	if (rc != EDGECA_OK)
		goto out;
	if (x509_name_common_name(X509_REQ_get_subject_name(req), &cn, &cn_count) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                 "the CSR's common name cannot be decoded");
		goto out;
	}
	subject_key = X509_REQ_get0_pubkey(req);
	/* A DPS verification certificate only proves to DPS that the CA key
	 * signs: it carries the CA's own public key, whose private key is here
	 * and signs no TLS handshake, so nobody can authenticate with it, even
	 * one who chose the CSR. Its CN is a verification code. */
	if (t->id == TPL_IOT_EDGE_CA &&
	    (rc = check_edge_ca_subject(req, cn, cn_count, msg)) != EDGECA_OK)
		goto out;
	if (t->id == TPL_DPS_VERIFICATION) {
		if ((rc = check_verification_code(req, cn, cn_count, msg)) != EDGECA_OK)
			goto out;
		subject_key = X509_get0_pubkey(issuer);
		spki = X509_get_X509_PUBKEY(issuer);
	} else {
		spki = X509_REQ_get_X509_PUBKEY(req);
	}
	not_before = now - ISSUE_BACKDATE_SECONDS;
	if (asn1_time_to_time_t(X509_get0_notBefore(issuer), &issuer_nb) == 0 &&
	    not_before < issuer_nb)
		not_before = issuer_nb;
	cert = X509_new();
	if (cert == NULL || X509_set_version(cert, X509_VERSION_3) != 1 ||
	    set_random_serial(cert) != 0 ||
	    X509_set_issuer_name(cert, X509_get_subject_name(issuer)) != 1 ||
	    X509_set_subject_name(cert, X509_REQ_get_subject_name(req)) != 1 ||
	    copy_public_key(cert, spki) != 0 || set_validity(cert, not_before, not_after) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot build the certificate");
		goto out;
	}
	rc = add_template_extensions(cert, t, subject_key, req, cn, path_length, msg);
	if (rc == EDGECA_OK)
		rc = add_url_extensions(cert, ip, msg);
	/* the names as built, the CN the ssl template writes as a SAN too */
	if (rc == EDGECA_OK)
		rc = policy_check_names(&key->policy, t, cert, msg);
	if (rc != EDGECA_OK)
		goto out;
	if (add_key_identifiers(cert, issuer) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot add key identifiers");
		goto out;
	}
	/* Never sign what could not be returned: every signature leaves the
	 * signer in a reply (its size is bounded by the protocol). */
	if (i2d_re_X509_tbs(cert, NULL) + EVP_PKEY_get_size(key->pkey) + 64 >
	    SIGNER_MAX_CERTIFICATE) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-too-large",
		                 "the certificate would exceed %d bytes", SIGNER_MAX_CERTIFICATE);
		goto out;
	}
	if (X509_sign(cert, key->pkey, digest_for(key)) <= 0) {
		log_openssl_errors("issue_certificate");
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "signing failed");
		goto out;
	}
	*out = cert;
	cert = NULL;
	rc = EDGECA_OK;
out:
	ERR_clear_error();
	free(cn);
	X509_free(cert);
	X509_free(issuer);
	return rc;
}

edgeca_err
issue_self_signed(struct keystore *ks, struct signer_key *key, X509_NAME *subject,
                  time_t not_after, time_t now, X509 **out, struct edgeca_msg *msg)
{
	X509 *existing = NULL, *cert = NULL;
	char bc[64], *cn = NULL;
	int cn_count = 0, pathlen;
	edgeca_err rc;

	*out = NULL;
	existing = keystore_key_cert(ks, key);
	if (existing != NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-already-certified",
		                 "this key already has a CA certificate");
		goto out;
	}
	if (x509_name_common_name(subject, &cn, &cn_count) != 0 || cn == NULL || cn_count != 1 ||
	    utf8_length(cn) > 64) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-subject",
		                 "a CA subject needs exactly one common name of 1 to 64 characters");
		goto out;
	}
	if (not_after <= now + 3600 ||
	    not_after > now + (time_t)POLICY_MAX_VALIDITY_DAYS * 86400) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "validity-invalid",
		                 "a root CA must be valid for more than an hour and at most %d days",
		                 POLICY_MAX_VALIDITY_DAYS);
		goto out;
	}
	/* A key that may not issue CA certificates gets pathlen 0 in its own
	 * certificate too, so relying parties enforce what the signer does. */
	pathlen = tpl_mask_has_ca(key->policy.templates) ? key->policy.path_length : 0;
	if (pathlen >= 0)
		snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", pathlen);
	else
		snprintf(bc, sizeof(bc), "critical,CA:TRUE");
	cert = X509_new();
	if (cert == NULL || X509_set_version(cert, X509_VERSION_3) != 1 ||
	    set_random_serial(cert) != 0 || X509_set_issuer_name(cert, subject) != 1 ||
	    X509_set_subject_name(cert, subject) != 1 || X509_set_pubkey(cert, key->pkey) != 1 ||
	    set_validity(cert, now - ISSUE_BACKDATE_SECONDS, not_after) != 0 ||
	    add_conf_ext(cert, NID_basic_constraints, bc) != 0 ||
	    add_conf_ext(cert, NID_key_usage, "critical,keyCertSign,cRLSign") != 0 ||
	    add_key_identifiers(cert, NULL) != 0 || X509_sign(cert, key->pkey, digest_for(key)) <= 0) {
		log_openssl_errors("issue_self_signed");
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot build the root certificate");
		goto out;
	}
	rc = keystore_set_cert(ks, key, cert, msg);
	if (rc != EDGECA_OK)
		goto out;
	*out = cert;
	cert = NULL;
out:
	ERR_clear_error();
	free(cn);
	X509_free(cert);
	X509_free(existing);
	return rc;
}

edgeca_err
issue_csr(struct keystore *ks, struct signer_key *key, X509_NAME *subject, X509_REQ **out,
          struct edgeca_msg *msg)
{
	X509 *existing = keystore_key_cert(ks, key);
	X509_REQ *req = NULL;
	char *cn = NULL;
	int cn_count = 0;
	edgeca_err rc;

	*out = NULL;
	if (existing != NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "key-already-certified",
		                 "this key already has a CA certificate");
		goto out;
	}
	if (x509_name_common_name(subject, &cn, &cn_count) != 0 || cn == NULL || cn_count != 1 ||
	    utf8_length(cn) > 64) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-subject",
		                 "a CA subject needs exactly one common name of 1 to 64 characters");
		goto out;
	}
	req = X509_REQ_new();
	if (req == NULL || X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, subject) != 1 || X509_REQ_set_pubkey(req, key->pkey) != 1 ||
	    X509_REQ_sign(req, key->pkey, digest_for(key)) <= 0) {
		log_openssl_errors("issue_csr");
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot make the request");
		goto out;
	}
	*out = req;
	req = NULL;
	rc = EDGECA_OK;
out:
	ERR_clear_error();
	free(cn);
	X509_REQ_free(req);
	X509_free(existing);
	return rc;
}

edgeca_err
issue_install_certificate(struct keystore *ks, struct signer_key *key, X509 *cert, time_t now,
                          struct edgeca_msg *msg)
{
	time_t nb, na;
	edgeca_err rc;

	/* the same checks as the server's, whatever it checked: a certificate
	 * without an SKI would make every later issuance fail */
	if ((rc = x509_check_ca_extensions(cert, msg)) != EDGECA_OK)
		return rc;
	if (asn1_time_to_time_t(X509_get0_notBefore(cert), &nb) != 0 ||
	    asn1_time_to_time_t(X509_get0_notAfter(cert), &na) != 0 || now < nb - 300 || now >= na)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "certificate-not-valid-now",
		                   "the certificate is not valid now");
	return keystore_set_cert(ks, key, cert, msg);
}
