/* OCSP_SIGN and responder keys. The server builds the ResponseData (the
 * signer cannot know whether a certificate is revoked); the signer makes
 * sure a key signs nothing but an OCSP response of its own CA, in strict
 * DER, with sane times, and signs it in one round trip. */
#include "signer/daemon/ocsp.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/der.h"
#include "common/digests.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/x509util.h"

/* The CertID hash algorithms answered: SHA-1 (RFC 5019), SHA-256,
 * SHA-384, SHA-512. */
#define N_HASHES 4
static const int hash_nids[N_HASHES] = {NID_sha1, NID_sha256, NID_sha384, NID_sha512};

/* Signature AlgorithmIdentifiers, as for CRLs: ecdsa-with-SHA256,
 * ecdsa-with-SHA384, sha256WithRSAEncryption. */
static const unsigned char alg_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                                 0xce, 0x3d, 0x04, 0x03, 0x02};
static const unsigned char alg_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                                 0xce, 0x3d, 0x04, 0x03, 0x03};
static const unsigned char alg_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                               0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};

struct ocsp_key_cache {
	unsigned char responder_id[SHA_DIGEST_LENGTH]; /* SHA-1 of the key's BIT STRING */
	/* the CA's subject and key hashed with each of hash_nids */
	unsigned char name_hash[N_HASHES][EVP_MAX_MD_SIZE];
	unsigned char key_hash[N_HASHES][EVP_MAX_MD_SIZE];
	unsigned int hash_len[N_HASHES];
	const EVP_MD *md;
	const unsigned char *alg;
	size_t alg_len;
	/* responder keys: certs [0] with the key's certificate (one
	 * allocation, so that the key store frees it with free()) */
	size_t certs_len;
	unsigned char certs[];
};

static const EVP_MD *
hash_md(int i)
{
	return i == 0 ? digest_sha1() : i == 1 ? digest_sha256() : i == 2 ? digest_sha384()
	                                                                  : EVP_sha512();
}

/* The CA's name and key hashes, the responder id and, for a responder,
 * its certs [0] { SEQUENCE { certificate } }. */
static struct ocsp_key_cache *
cache_new(const struct signer_key *key, X509 *own, const X509 *ca)
{
	struct ocsp_key_cache *c = NULL;
	const unsigned char *pk = NULL, *ca_pk = NULL;
	unsigned char *name = NULL, *der = NULL;
	int pk_len = 0, ca_pk_len = 0, name_len;
	unsigned int n = 0;
	size_t der_len = 0;
	struct buf seq = {0}, certs = {0};

	if (key->policy.ocsp_ca_cert != NULL &&
	    (x509_der(own, &der, &der_len) != 0 || der_append(&seq, DER_SEQUENCE, der, der_len) != 0 ||
	     der_append(&certs, 0xa0, seq.data, seq.len) != 0))
		goto fail;
	if ((c = calloc(1, sizeof(*c) + certs.len)) == NULL)
		goto fail;
	c->certs_len = certs.len;
	if (certs.len > 0)
		memcpy(c->certs, certs.data, certs.len);
	if (X509_PUBKEY_get0_param(NULL, &pk, &pk_len, NULL, X509_get_X509_PUBKEY(own)) != 1 ||
	    X509_PUBKEY_get0_param(NULL, &ca_pk, &ca_pk_len, NULL,
	                           X509_get_X509_PUBKEY((X509 *)ca)) != 1 ||
	    (name_len = i2d_X509_NAME(X509_get_subject_name(ca), &name)) <= 0 ||
	    EVP_Digest(pk, (size_t)pk_len, c->responder_id, &n, digest_sha1(), NULL) != 1)
		goto fail;
	for (int i = 0; i < N_HASHES; i++)
		if (EVP_Digest(name, (size_t)name_len, c->name_hash[i], &c->hash_len[i], hash_md(i),
		               NULL) != 1 ||
		    EVP_Digest(ca_pk, (size_t)ca_pk_len, c->key_hash[i], &n, hash_md(i), NULL) != 1)
			goto fail;
	if (strcmp(key->algorithm, "EC-P384") == 0) {
		c->md = digest_sha384(), c->alg = alg_ecdsa_sha384, c->alg_len = sizeof(alg_ecdsa_sha384);
	} else if (strcmp(key->algorithm, "EC-P256") == 0) {
		c->md = digest_sha256(), c->alg = alg_ecdsa_sha256, c->alg_len = sizeof(alg_ecdsa_sha256);
	} else if (strncmp(key->algorithm, "RSA-", 4) == 0) {
		c->md = digest_sha256(), c->alg = alg_rsa_sha256, c->alg_len = sizeof(alg_rsa_sha256);
	} else {
		goto fail;
	}
	goto out;
fail:
	free(c);
	c = NULL;
out:
	OPENSSL_free(name);
	OPENSSL_free(der);
	buf_free(&seq);
	buf_free(&certs);
	return c;
}

/* The key's cache, made on first use from its certificate (which never
 * changes once set) and its CA's. */
static edgeca_err
cache_get(struct keystore *ks, struct signer_key *key, const struct ocsp_key_cache **out,
          struct edgeca_msg *msg)
{
	struct ocsp_key_cache *c = __atomic_load_n(&key->ocsp, __ATOMIC_ACQUIRE), *expected = NULL;
	X509 *own = NULL;
	edgeca_err rc = EDGECA_OK;

	if (c != NULL) {
		*out = c;
		return EDGECA_OK;
	}
	if (key->policy.ocsp_ca_key[0] == '\0' && !policy_is_api_ca(&key->policy))
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "ocsp-not-allowed",
		                   "this key signs no OCSP responses (it is neither the key of a CA "
		                   "made through the API nor an OCSP responder key)");
	if ((own = keystore_key_cert(ks, key)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "this key has no certificate yet and cannot sign OCSP responses");
	c = cache_new(key, own, key->policy.ocsp_ca_cert ? key->policy.ocsp_ca_cert : own);
	if (c == NULL) {
		log_openssl_errors("ocsp_sign");
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot prepare the key for OCSP");
		goto out;
	}
	if (!__atomic_compare_exchange_n(&key->ocsp, &expected, c, false, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		free(c); /* another thread made it first */
		c = expected;
	}
	*out = c;
out:
	X509_free(own);
	return rc;
}

static edgeca_err
invalid(struct edgeca_msg *msg, const char *what)
{
	return edgeca_fail(msg, EDGECA_ERR_INVALID, "ocsp-response-invalid",
	                   "the OCSP response cannot be signed: %s", what);
}

/* A GeneralizedTime as RFC 6960 wants it (YYYYMMDDHHMMSSZ, a real date). */
static int
gtime(const ASN1_GENERALIZEDTIME *t, time_t *out)
{
	return t != NULL && ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME &&
	               der_time_parse(0x18, ASN1_STRING_get0_data(t), (size_t)ASN1_STRING_length(t),
	                              false, out) == 0
	           ? 0
	           : -1;
}

static bool
near_now(time_t t, time_t now)
{
	return t >= now - OCSP_CLOCK_SKEW && t <= now + OCSP_CLOCK_SKEW;
}

/* The CertID's hashAlgorithm: one of hash_nids, with NULL or no
 * parameters. Returns its index or -1. */
static int
certid_hash(OCSP_CERTID *cid, const ASN1_OBJECT *alg)
{
	unsigned char *der = NULL;
	const unsigned char *p, *c, *a, *oid;
	size_t len, alen, oid_len;
	int nid = OBJ_obj2nid(alg), der_len = i2d_OCSP_CERTID(cid, &der), idx = -1;

	for (int i = 0; i < N_HASHES; i++)
		if (nid == hash_nids[i])
			idx = i;
	p = der;
	if (idx < 0 || der_len <= 0 ||
	    der_read(&p, der + der_len, DER_SEQUENCE, &c, &len) != 0 ||
	    der_read(&c, c + len, DER_SEQUENCE, &a, &alen) != 0)
		idx = -1;
	else if ((p = a, der_read(&p, a + alen, DER_OID, &oid, &oid_len)) != 0 ||
	         !(p == a + alen || (a + alen - p == 2 && p[0] == 0x05 && p[1] == 0x00)))
		idx = -1;
	OPENSSL_free(der);
	return idx;
}

/* One SingleResponse: a CertID of the key's CA, a known status, sane
 * times, no extensions. */
static edgeca_err
check_single(const struct ocsp_key_cache *c, OCSP_SINGLERESP *single, time_t now,
             struct edgeca_msg *msg)
{
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	ASN1_OBJECT *alg = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_GENERALIZEDTIME *rev = NULL, *this_upd = NULL, *next_upd = NULL;
	OCSP_CERTID *cid = (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single);
	time_t t_this, t_next, t_rev;
	int h, reason = -1, status;

	if (OCSP_id_get0_info(&nh, &alg, &kh, &serial, cid) != 1 || (h = certid_hash(cid, alg)) < 0)
		return invalid(msg, "a CertID's hash algorithm is not SHA-1, SHA-256, SHA-384 or "
		                    "SHA-512");
	if ((unsigned)ASN1_STRING_length(nh) != c->hash_len[h] ||
	    (unsigned)ASN1_STRING_length(kh) != c->hash_len[h] ||
	    memcmp(ASN1_STRING_get0_data(nh), c->name_hash[h], c->hash_len[h]) != 0 ||
	    memcmp(ASN1_STRING_get0_data(kh), c->key_hash[h], c->hash_len[h]) != 0)
		return invalid(msg, "a CertID names another issuer than this key's CA");
	if (ASN1_STRING_type(serial) != V_ASN1_INTEGER || ASN1_STRING_length(serial) < 1 ||
	    ASN1_STRING_length(serial) > 20)
		return invalid(msg, "a CertID's serial number is not a positive number of at most "
		                    "20 octets");
	status = OCSP_single_get0_status(single, &reason, &rev, &this_upd, &next_upd);
	if (status == V_OCSP_CERTSTATUS_REVOKED &&
	    (gtime(rev, &t_rev) != 0 || reason < -1 || reason > 10 || reason == 7))
		return invalid(msg, "a revocation's time or reason is not acceptable");
	if (status != V_OCSP_CERTSTATUS_GOOD && status != V_OCSP_CERTSTATUS_REVOKED &&
	    status != V_OCSP_CERTSTATUS_UNKNOWN)
		return invalid(msg, "a certStatus is not good, revoked or unknown");
	if (gtime(this_upd, &t_this) != 0 || !near_now(t_this, now))
		return invalid(msg, "a thisUpdate is not within 10 minutes of the signer's clock");
	if (gtime(next_upd, &t_next) != 0 || t_next <= t_this || t_next - t_this > OCSP_MAX_VALIDITY)
		return invalid(msg, "a nextUpdate is missing, or not after thisUpdate by at most 7 "
		                    "days");
	if (OCSP_SINGLERESP_get_ext_count(single) != 0)
		return invalid(msg, "a SingleResponse carries extensions");
	return EDGECA_OK;
}

/* responseExtensions: the nonce alone, at most once, non-critical, an
 * OCTET STRING of 1..32 octets inside. */
static edgeca_err
check_extensions(OCSP_BASICRESP *bs, struct edgeca_msg *msg)
{
	X509_EXTENSION *ext;
	const unsigned char *d;
	int n = OCSP_BASICRESP_get_ext_count(bs), len;

	if (n == 0)
		return EDGECA_OK;
	ext = OCSP_BASICRESP_get_ext(bs, 0);
	if (n > 1 || OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_id_pkix_OCSP_Nonce ||
	    X509_EXTENSION_get_critical(ext))
		return invalid(msg, "the only response extension allowed is one non-critical nonce");
	d = ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext));
	len = ASN1_STRING_length(X509_EXTENSION_get_data(ext));
	if (len < 3 || d[0] != 0x04 || d[1] != len - 2 || d[1] > 32)
		return invalid(msg, "the nonce is not an OCTET STRING of 1 to 32 octets");
	return EDGECA_OK;
}

/* The ResponseData's checks but its SingleResponses': strict DER, a
 * ResponseData (parsed inside a BasicOCSPResponse around it, *bs), v1,
 * byKey with the key's id, producedAt now. */
static edgeca_err
check_response_data(const struct ocsp_key_cache *c, const unsigned char *tbs, size_t tbs_len,
                    time_t now, OCSP_BASICRESP **bs, struct edgeca_msg *msg)
{
	static const unsigned char tail[] = {0x30, 0x03, 0x06, 0x01, 0x00, 0x03, 0x01, 0x00};
	const unsigned char *p, *body;
	unsigned char *re = NULL;
	const ASN1_OCTET_STRING *kid = NULL;
	const X509_NAME *byname = NULL;
	struct buf wrap = {0}, inner = {0};
	size_t body_len;
	time_t produced;
	int re_len, n;
	edgeca_err rc;

	*bs = NULL;
	p = tbs;
	if (!der_strict_structure(tbs, tbs_len) ||
	    der_read(&p, tbs + tbs_len, DER_SEQUENCE, &body, &body_len) != 0 ||
	    buf_append(&inner, tbs, tbs_len) != 0 || buf_append(&inner, tail, sizeof(tail)) != 0 ||
	    der_append(&wrap, DER_SEQUENCE, inner.data, inner.len) != 0 ||
	    (p = wrap.data, *bs = d2i_OCSP_BASICRESP(NULL, &p, (long)wrap.len)) == NULL ||
	    p != wrap.data + wrap.len ||
	    (re_len = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(*bs), &re)) <= 0 ||
	    (size_t)re_len != tbs_len || memcmp(re, tbs, tbs_len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, "ocsp-response-malformed",
		                 "the response data is not a DER ResponseData");
		goto out;
	}
	if (body_len == 0 || body[0] == 0xa0) {
		rc = invalid(msg, "the version must be v1, left out");
		goto out;
	}
	if (OCSP_resp_get0_id(*bs, &kid, &byname) != 1 || kid == NULL ||
	    ASN1_STRING_length(kid) != SHA_DIGEST_LENGTH ||
	    memcmp(ASN1_STRING_get0_data(kid), c->responder_id, SHA_DIGEST_LENGTH) != 0) {
		rc = invalid(msg, "the responderID must be byKey, the SHA-1 of the signing key");
		goto out;
	}
	if (gtime(OCSP_resp_get0_produced_at(*bs), &produced) != 0 || !near_now(produced, now)) {
		rc = invalid(msg, "producedAt is not within 10 minutes of the signer's clock");
		goto out;
	}
	n = OCSP_resp_count(*bs);
	if (n < 1 || n > OCSP_MAX_RESPONSES) {
		rc = invalid(msg, "a response holds 1 to 64 SingleResponses");
		goto out;
	}
	rc = check_extensions(*bs, msg);
	for (int i = 0; i < n && rc == EDGECA_OK; i++)
		rc = check_single(c, OCSP_resp_get0(*bs, i), now, msg);
out:
	ERR_clear_error();
	OPENSSL_free(re);
	buf_free(&wrap);
	buf_free(&inner);
	if (rc != EDGECA_OK) {
		OCSP_BASICRESP_free(*bs);
		*bs = NULL;
	}
	return rc;
}

/* SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature, certs } */
static edgeca_err
sign_tbs(const struct ocsp_key_cache *c, EVP_PKEY *pkey, const unsigned char *tbs,
         size_t tbs_len, struct buf *basic, struct edgeca_msg *msg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	struct buf body = {0};
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, c->md, NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, tbs, tbs_len) != 1 ||
	    (sig = malloc(sig_len + 1)) == NULL ||
	    EVP_DigestSign(ctx, sig + 1, &sig_len, tbs, tbs_len) != 1) {
		log_openssl_errors("ocsp_sign");
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "signing failed");
		goto out;
	}
	sig[0] = 0; /* no unused bits */
	if (buf_append(&body, tbs, tbs_len) != 0 || buf_append(&body, c->alg, c->alg_len) != 0 ||
	    der_append(&body, 0x03, sig, sig_len + 1) != 0 ||
	    buf_append(&body, c->certs, c->certs_len) != 0 ||
	    der_append(basic, DER_SEQUENCE, body.data, body.len) != 0) {
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	rc = EDGECA_OK;
out:
	EVP_MD_CTX_free(ctx);
	free(sig);
	buf_free(&body);
	return rc;
}

edgeca_err
ocsp_sign(struct keystore *ks, struct signer_key *key, const unsigned char *tbs, size_t tbs_len,
          time_t now, struct buf *basic, struct edgeca_msg *msg)
{
	const struct ocsp_key_cache *c = NULL;
	OCSP_BASICRESP *bs = NULL;
	edgeca_err rc;

	if ((rc = cache_get(ks, key, &c, msg)) != EDGECA_OK ||
	    (rc = check_response_data(c, tbs, tbs_len, now, &bs, msg)) != EDGECA_OK)
		goto out;
	rc = sign_tbs(c, key->pkey, tbs, tbs_len, basic, msg);
out:
	OCSP_BASICRESP_free(bs);
	return rc;
}

edgeca_err
ocsp_op_sign(struct signer_service *s, const struct signer_msg *req, struct signer_writer *w,
             struct edgeca_msg *msg)
{
	const struct signer_field *f = signer_msg_get(req, SIGNER_TAG_RESPONSE_DATA);
	char id[SIGNER_KEY_ID_BYTES];
	struct signer_key *key = NULL;
	struct buf basic = {0};
	edgeca_err rc;

	if (signer_get_str(req, SIGNER_TAG_KEY_ID, id, sizeof(id)) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad key id");
	if ((rc = keystore_get(s->ks, id, &key, msg)) != EDGECA_OK ||
	    (rc = ocsp_sign(s->ks, key, f->val, f->len, time(NULL), &basic, msg)) != EDGECA_OK)
		goto out;
	/* not in the signature log: a response says only what the server
	 * knows, and a key signs nothing else with this operation */
	signer_writer_init(w, SIGNER_REPLY_OK);
	signer_put_bytes(w, SIGNER_TAG_BASIC_RESPONSE, basic.data, basic.len);
out:
	buf_free(&basic);
	return rc;
}

edgeca_err
ocsp_responder_policy(struct keystore *ks, const char *ca_id, struct signer_policy *p,
                      struct edgeca_msg *msg)
{
	struct signer_key *ca = NULL;
	edgeca_err rc;

	if ((rc = keystore_get(ks, ca_id, &ca, msg)) != EDGECA_OK)
		return rc;
	if (ca->policy.ocsp_ca_key[0] != '\0' || !policy_is_api_ca(&ca->policy))
		return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "ocsp-not-allowed",
		                   "key %s is not the key of a CA made through the API: it has no "
		                   "OCSP responder", ca_id);
	if ((p->ocsp_ca_cert = keystore_key_cert(ks, ca)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "key %s has no CA certificate yet", ca_id);
	snprintf(p->ocsp_ca_key, sizeof(p->ocsp_ca_key), "%s", ca->id);
	p->templates = 0;
	p->max_validity_days = (uint32_t)tpl_get(TPL_OCSP_RESPONDER)->max_validity_days;
	p->path_length = -1;
	return EDGECA_OK;
}

edgeca_err
ocsp_key_create_policy(struct keystore *ks, const struct signer_msg *req, char *algorithm,
                       size_t algorithm_len, struct signer_policy *p, struct edgeca_msg *msg)
{
	char ca_id[SIGNER_KEY_ID_BYTES];

	if (signer_msg_get(req, SIGNER_TAG_TEMPLATES) != NULL ||
	    signer_msg_get(req, SIGNER_TAG_MAX_VALIDITY_DAYS) != NULL ||
	    signer_msg_get(req, SIGNER_TAG_PATH_LENGTH) != NULL ||
	    signer_msg_get(req, SIGNER_TAG_NAME_RULES) != NULL ||
	    signer_get_str(req, SIGNER_TAG_ALGORITHM, algorithm, algorithm_len) != 0 ||
	    signer_get_str(req, SIGNER_TAG_ISSUER_KEY_ID, ca_id, sizeof(ca_id)) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL,
		                   "bad key creation request: an OCSP responder key takes ALGORITHM "
		                   "and ISSUER_KEY_ID alone");
	return ocsp_responder_policy(ks, ca_id, p, msg);
}

edgeca_err
ocsp_role_check(struct keystore *ks, const struct signer_msg *req, struct edgeca_msg *msg)
{
	char id[SIGNER_KEY_ID_BYTES];
	struct signer_key *key = NULL;
	struct edgeca_msg ignored = {0};

	if ((req->type != SIGNER_OP_ISSUE && req->type != SIGNER_OP_SELF_SIGN &&
	     req->type != SIGNER_OP_CRL_BEGIN) ||
	    signer_get_str(req, SIGNER_TAG_KEY_ID, id, sizeof(id)) != 0 ||
	    keystore_get(ks, id, &key, &ignored) != EDGECA_OK || key->policy.ocsp_ca_key[0] == '\0')
		return EDGECA_OK;
	return edgeca_fail(msg, EDGECA_ERR_NOT_PERMITTED, "ocsp-key-only",
	                   "key %s is an OCSP responder key: it signs OCSP responses of its CA "
	                   "and its own certificate request, nothing else", id);
}

/* Does cert carry id-pkix-ocsp-nocheck (whose value is NULL)? */
static bool
has_nocheck(X509 *cert)
{
	int i = X509_get_ext_by_NID(cert, NID_id_pkix_OCSP_noCheck, -1);
	const ASN1_OCTET_STRING *v = i >= 0 ? X509_EXTENSION_get_data(X509_get_ext(cert, i)) : NULL;

	return v != NULL && ASN1_STRING_length(v) == 2 && ASN1_STRING_get0_data(v)[0] == 0x05 &&
	       ASN1_STRING_get0_data(v)[1] == 0x00;
}

edgeca_err
ocsp_install_certificate(struct keystore *ks, struct signer_key *key, X509 *cert, time_t now,
                         struct edgeca_msg *msg)
{
	EVP_PKEY *ca_key = X509_get0_pubkey(key->policy.ocsp_ca_cert);
	time_t nb, na;
	edgeca_err rc = EDGECA_OK;

	if (ca_key == NULL || X509_verify(cert, ca_key) != 1 ||
	    X509_NAME_cmp(X509_get_issuer_name(cert),
	                  X509_get_subject_name(key->policy.ocsp_ca_cert)) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "ocsp-certificate-invalid",
		                 "the certificate is not signed by the certificate of CA key %s",
		                 key->policy.ocsp_ca_key);
	else if (!(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) ||
	         !(X509_get_extended_key_usage(cert) & XKU_OCSP_SIGN) || !has_nocheck(cert) ||
	         X509_check_ca(cert) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "ocsp-certificate-invalid",
		                 "an OCSP responder certificate is no CA and has extendedKeyUsage "
		                 "id-kp-OCSPSigning and id-pkix-ocsp-nocheck");
	else if (asn1_time_to_time_t(X509_get0_notBefore(cert), &nb) != 0 ||
	         asn1_time_to_time_t(X509_get0_notAfter(cert), &na) != 0 || now < nb - 300 ||
	         now >= na)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "certificate-not-valid-now",
		                 "the certificate is not valid now");
	ERR_clear_error();
	/* keystore_set_cert checks that it carries the key's public key */
	return rc == EDGECA_OK ? keystore_set_cert(ks, key, cert, msg) : rc;
}
