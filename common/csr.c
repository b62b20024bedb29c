#include "common/csr.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "common/der.h"
#include "common/encoding.h"
#include "common/x509util.h"

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192

/* A DER CSR of len bytes is neither empty nor over CSR_MAX_BYTES. */
static edgeca_err
check_der_size(size_t len, struct edgeca_msg *msg)
{
	if (len == 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed", "the CSR is empty");
	if (len > CSR_MAX_BYTES)
		return edgeca_fail(msg, EDGECA_ERR_OVERSIZED, "csr-too-large",
		                   "the CSR is %zu bytes; at most %d are accepted", len,
		                   CSR_MAX_BYTES);
	return EDGECA_OK;
}

edgeca_err
csr_decode_der(const unsigned char *der, size_t len, X509_REQ **out, struct edgeca_msg *msg)
{
	const unsigned char *p = der;
	X509_REQ *req = NULL;
	edgeca_err rc;

	*out = NULL;
	if ((rc = check_der_size(len, msg)) != EDGECA_OK)
		return rc;
	req = d2i_X509_REQ(NULL, &p, (long)len);
	ERR_clear_error();
	if (req == NULL)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR is not a valid DER PKCS#10 request (truncated or not a CSR)");
	if (p != der + len) {
		X509_REQ_free(req);
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR has %zu bytes of trailing data after its DER encoding",
		                   (size_t)(der + len - p));
	}
	/* d2i takes BER; what is signed and copied must be DER (no OpenSSL
	 * re-encoding is relied on: the bytes themselves are checked) */
	if (!der_strict_structure(der, len)) {
		X509_REQ_free(req);
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR is not DER: it has an indefinite or non-minimal length, "
		                   "a constructed string or a multi-byte tag");
	}
	if (X509_REQ_get_version(req) != X509_REQ_VERSION_1) {
		long version = X509_REQ_get_version(req);
		X509_REQ_free(req);
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR has version %ld; only version 1 (0) exists", version + 1);
	}
	*out = req;
	return EDGECA_OK;
}

edgeca_err
csr_to_der(const unsigned char *data, size_t len, unsigned char **der, size_t *der_len,
           struct edgeca_msg *msg)
{
	static const char *const labels[] = {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", NULL};
	edgeca_err rc;

	*der = NULL;
	if (len > CSR_MAX_BYTES * 2)
		return edgeca_fail(msg, EDGECA_ERR_OVERSIZED, "csr-too-large",
		                   "the CSR is %zu bytes; at most %d are accepted", len,
		                   CSR_MAX_BYTES);
	if (!looks_like_pem(data, len)) {
		if ((rc = check_der_size(len, msg)) != EDGECA_OK)
			return rc;
		*der = malloc(len);
		if (*der == NULL)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		memcpy(*der, data, len);
		*der_len = len;
		return EDGECA_OK;
	}
	switch (pem_decode((const char *)data, len, labels, NULL, der, der_len, NULL)) {
	case PEM_OK:
		if ((rc = check_der_size(*der_len, msg)) != EDGECA_OK) {
			free(*der);
			*der = NULL;
		}
		return rc;
	case PEM_WRONG_LABEL:
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the PEM block is not a CERTIFICATE REQUEST");
	case PEM_TRAILING:
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR has trailing data after its PEM END line");
	case PEM_BAD_BASE64:
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR's PEM body is not valid base64");
	case PEM_NO_END:
	case PEM_NOT_PEM:
		break;
	}
	return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
	                   "the CSR's PEM armour is incomplete (no END line)");
}

edgeca_err
csr_decode(const unsigned char *data, size_t len, X509_REQ **out, struct edgeca_msg *msg)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	edgeca_err rc;

	*out = NULL;
	rc = csr_to_der(data, len, &der, &der_len, msg);
	if (rc == EDGECA_OK)
		rc = csr_decode_der(der, der_len, out, msg);
	free(der);
	return rc;
}

static edgeca_err
check_rsa_exponent(const EVP_PKEY *pk, struct edgeca_msg *msg)
{
	BIGNUM *e = NULL;
	edgeca_err rc;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR's RSA key has no readable public exponent");
	if (!BN_is_odd(e) || BN_cmp(e, BN_value_one()) <= 0 || BN_get_word(e) == 1)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-weak-key",
		                 "the CSR's RSA public exponent must be odd and at least 3");
	else
		rc = EDGECA_OK;
	BN_free(e);
	return rc;
}

/* RFC 5480: an EC key names its curve; explicit parameters (even those
 * of P-256) are refused, and would otherwise be copied into the
 * certificate. */
static bool
ec_named_curve(X509_REQ *req)
{
	X509_ALGOR *alg = NULL;
	const void *param = NULL;
	int ptype = V_ASN1_UNDEF;

	if (X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, X509_REQ_get_X509_PUBKEY(req)) != 1)
		return false;
	X509_ALGOR_get0(NULL, &ptype, &param, alg);
	return ptype == V_ASN1_OBJECT;
}

/* 1: a digest edgeca accepts in a CSR signature (SHA-256, -384, -512);
 * 0: a broken one (MD2, MD4, MD5, SHA-1); -1: any other. */
static int
digest_acceptable(int md_nid)
{
	if (md_nid == NID_sha256 || md_nid == NID_sha384 || md_nid == NID_sha512)
		return 1;
	if (md_nid == NID_md2 || md_nid == NID_md4 || md_nid == NID_md5 || md_nid == NID_sha1 ||
	    md_nid == NID_md5_sha1)
		return 0;
	return -1;
}

/* The digests of an RSASSA-PSS signature: its hash and MGF1's (both
 * SHA-1 when the parameters leave them out, RFC 4055). -1 when the
 * parameters cannot be read or use another mask generation. */
static int
pss_digests(const X509_ALGOR *alg, int *md_nid, int *mgf_nid)
{
	const ASN1_STRING *seq;
	const unsigned char *p;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	int rc = -1;

	*md_nid = *mgf_nid = NID_sha1;
	if (alg->parameter == NULL || alg->parameter->type != V_ASN1_SEQUENCE)
		goto out;
	seq = alg->parameter->value.sequence;
	p = ASN1_STRING_get0_data(seq);
	if ((pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(seq))) == NULL)
		goto out;
	if (pss->hashAlgorithm != NULL)
		*md_nid = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
	if (pss->maskGenAlgorithm != NULL) {
		const ASN1_TYPE *mp = pss->maskGenAlgorithm->parameter;
		if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 || mp == NULL ||
		    mp->type != V_ASN1_SEQUENCE)
			goto out;
		p = ASN1_STRING_get0_data(mp->value.sequence);
		if ((mgf_md = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(mp->value.sequence))) ==
		    NULL)
			goto out;
		*mgf_nid = OBJ_obj2nid(mgf_md->algorithm);
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	return rc;
}

/* The proof of possession must use a digest that resists forgery: RSA
 * PKCS#1 v1.5 or ECDSA with SHA-256/384/512, or RSASSA-PSS with one of
 * those as its hash and MGF1's. */
static edgeca_err
check_signature_algorithm(X509_REQ *req, struct edgeca_msg *msg)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *oid = NULL;
	int sig_nid, md_nid = NID_undef, pk_nid = NID_undef, mgf_nid = NID_undef, ok;

	X509_REQ_get0_signature(req, NULL, &alg);
	X509_ALGOR_get0(&oid, NULL, NULL, alg);
	sig_nid = OBJ_obj2nid(oid);
	if (sig_nid == NID_rsassaPss) {
		if (pss_digests(alg, &md_nid, &mgf_nid) != 0)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-unsupported-signature",
			                   "the CSR's RSASSA-PSS parameters cannot be read or use a mask "
			                   "generation other than MGF1");
	} else if (OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) != 1 ||
	           (pk_nid != NID_rsaEncryption && pk_nid != NID_X9_62_id_ecPublicKey)) {
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-unsupported-signature",
		                   "the CSR's signature algorithm is not accepted; sign it with RSA "
		                   "or ECDSA and SHA-256, SHA-384 or SHA-512");
	} else {
		mgf_nid = md_nid;
	}
	ok = digest_acceptable(md_nid);
	if (ok == 0 || digest_acceptable(mgf_nid) == 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-weak-signature",
		                   "the CSR is signed with %s, which no longer proves possession of "
		                   "its key; sign it with SHA-256, SHA-384 or SHA-512",
		                   OBJ_nid2sn(ok == 0 ? md_nid : mgf_nid));
	if (ok < 0 || md_nid != mgf_nid)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-unsupported-signature",
		                   "the CSR's signature digest is not accepted; sign it with SHA-256, "
		                   "SHA-384 or SHA-512");
	return EDGECA_OK;
}

edgeca_err
csr_check_signature_and_key(X509_REQ *req, struct edgeca_msg *msg)
{
	EVP_PKEY *pk = X509_REQ_get0_pubkey(req);
	struct key_desc kd;
	edgeca_err rc;
	int ok;

	ERR_clear_error();
	if (pk == NULL)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR's public key cannot be decoded");
	pkey_describe(pk, &kd);
	switch (kd.kind) {
	case KEY_KIND_EC_P256:
	case KEY_KIND_EC_P384:
		if (!ec_named_curve(req))
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-unsupported-key",
			                   "the CSR's EC key spells out its curve parameters; only a "
			                   "named curve (P-256 or P-384) is accepted (RFC 5480)");
		break;
	case KEY_KIND_RSA:
		if (kd.bits < RSA_MIN_BITS)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-weak-key",
			                   "the CSR's RSA key has %d bits; at least %d are required",
			                   kd.bits, RSA_MIN_BITS);
		if (kd.bits > RSA_MAX_BITS)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-unsupported-key",
			                   "the CSR's RSA key has %d bits; at most %d are accepted",
			                   kd.bits, RSA_MAX_BITS);
		rc = check_rsa_exponent(pk, msg);
		if (rc != EDGECA_OK)
			return rc;
		break;
	case KEY_KIND_UNSUPPORTED:
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-unsupported-key",
		                   "the CSR's key type %s is not supported; use RSA (2048-8192 bits), "
		                   "EC P-256 or EC P-384", kd.name);
	}
	if ((rc = check_signature_algorithm(req, msg)) != EDGECA_OK)
		return rc;
	ok = X509_REQ_verify(req, pk);
	ERR_clear_error();
	if (ok != 1)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-bad-signature",
		                   "the CSR's signature does not verify with its own public key");
	return EDGECA_OK;
}

/* The attribute types a subject may carry; the certificate copies them. */
static const int subject_nids[] = {
	NID_commonName, NID_countryName, NID_stateOrProvinceName, NID_localityName,
	NID_organizationName, NID_organizationalUnitName, NID_serialNumber, NID_domainComponent,
	NID_userId, NID_pkcs9_emailAddress, NID_title, NID_givenName, NID_surname, NID_pseudonym,
	NID_dnQualifier, NID_streetAddress, NID_postalCode, NID_organizationIdentifier,
};

bool
csr_subject_nid_known(int nid)
{
	for (size_t k = 0; k < sizeof(subject_nids) / sizeof(subject_nids[0]); k++)
		if (subject_nids[k] == nid)
			return true;
	return false;
}

/* Every attribute of the subject: a known type, a text value of 1 to 64
 * characters (C: two letters) without control or bidirectional
 * formatting characters; at most CSR_MAX_SUBJECT_ATTRIBUTES of them. */
static edgeca_err
check_subject_attributes(const X509_NAME *name, struct edgeca_msg *msg)
{
	int n = X509_NAME_entry_count(name);

	if (n > CSR_MAX_SUBJECT_ATTRIBUTES)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-invalid-subject",
		                   "the CSR's subject has %d attributes; at most %d are accepted", n,
		                   CSR_MAX_SUBJECT_ATTRIBUTES);
	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : "an unknown attribute";
		unsigned char *utf8 = NULL;
		bool ok;
		int len;

		if (!csr_subject_nid_known(nid))
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-invalid-subject",
			                   "the CSR's subject carries %s, which is not accepted", sn);
		len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
		ERR_clear_error();
		if (len < 0)
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
			                   "the CSR's subject attribute %s cannot be decoded as text", sn);
		ok = len > 0 && strlen((char *)utf8) == (size_t)len && utf8_valid((char *)utf8) &&
		     !utf8_has_control((char *)utf8) &&
		     utf8_length((char *)utf8) <= (nid == NID_countryName ? 2 : CSR_CN_MAX_CHARS);
		OPENSSL_free(utf8);
		if (!ok && nid != NID_commonName) /* CN problems get their own messages */
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-invalid-subject",
			                   "the CSR's subject attribute %s must be text of 1 to %d "
			                   "characters without control characters", sn,
			                   nid == NID_countryName ? 2 : CSR_CN_MAX_CHARS);
	}
	return EDGECA_OK;
}

edgeca_err
csr_check_subject(X509_REQ *req, bool require_cn, struct edgeca_msg *msg)
{
	const X509_NAME *name = X509_REQ_get_subject_name(req);
	char *cn = NULL;
	int count = 0;
	edgeca_err rc = EDGECA_OK;

	if (x509_name_common_name(name, &cn, &count) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR's common name cannot be decoded as text");
	if (count > 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-multiple-common-names",
		                 "the CSR's subject has %d common names; exactly one is allowed", count);
		goto out;
	}
	if (cn == NULL) {
		if (require_cn)
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-missing-common-name",
			                 "the CSR's subject has no common name (CN); this template "
			                 "requires one (for devices, the registration id)");
		goto out;
	}
	if (cn[0] == '\0') {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-missing-common-name",
		                 "the CSR's common name is empty");
		goto out;
	}
	if (utf8_length(cn) > CSR_CN_MAX_CHARS) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-common-name-too-long",
		                 "the CSR's common name has %zu characters; at most %d are allowed",
		                 utf8_length(cn), CSR_CN_MAX_CHARS);
		goto out;
	}
	if (!utf8_valid(cn) || utf8_has_control(cn)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "csr-invalid-common-name",
		                 "the CSR's common name contains control or bidirectional "
		                 "formatting characters");
		goto out;
	}
out:
	if (rc == EDGECA_OK)
		rc = check_subject_attributes(name, msg);
	free(cn);
	return rc;
}

edgeca_err
csr_extensions(X509_REQ *req, STACK_OF(X509_EXTENSION) **exts, struct edgeca_msg *msg)
{
	*exts = NULL;
	if (X509_REQ_get_attr_by_NID(req, NID_ext_req, -1) < 0 &&
	    X509_REQ_get_attr_by_NID(req, NID_ms_ext_req, -1) < 0)
		return EDGECA_OK;
	*exts = X509_REQ_get_extensions(req);
	ERR_clear_error();
	if (*exts == NULL)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "csr-malformed",
		                   "the CSR's extension request cannot be decoded");
	return EDGECA_OK;
}
