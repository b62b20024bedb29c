#include "signer/daemon/crl.h"

#include <inttypes.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/crl_der.h"
#include "common/der.h"
#include "common/digests.h"
#include "common/log.h"
#include "signer/daemon/issue.h"
#include "signer/daemon/policy.h"
#include "signer/proto/protocol.h"

/* Signature AlgorithmIdentifiers (RFC 5758, RFC 4055): ecdsa-with-SHA256,
 * ecdsa-with-SHA384 (no parameters) and sha256WithRSAEncryption (NULL). */
static const unsigned char alg_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                                 0xce, 0x3d, 0x04, 0x03, 0x02};
static const unsigned char alg_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                                 0xce, 0x3d, 0x04, 0x03, 0x03};
static const unsigned char alg_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                               0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
/* OIDs with their headers: authorityKeyIdentifier, cRLNumber */
static const unsigned char oid_aki[] = {DER_OID, 3, 0x55, 0x1d, 0x23};
static const unsigned char oid_crl_number[] = {DER_OID, 3, 0x55, 0x1d, 0x14};
/* freshestCRL (non-critical) and deltaCRLIndicator (critical: TRUE) */
static const unsigned char oid_freshest_crl[] = {DER_OID, 3, 0x55, 0x1d, 0x2e};
static const unsigned char oid_delta_indicator[] = {DER_OID, 3, 0x55, 0x1d, 0x1b, DER_BOOLEAN,
                                                    1, 0xff};
/* version v2 */
static const unsigned char crl_version[] = {DER_INTEGER, 1, 1};

struct crl_session {
	struct signer_key *key; /* borrowed from the keystore, which outlives sessions */
	uint64_t number;
	uint64_t delta_base;     /* a delta CRL's base CRL number; 0: a complete CRL */
	uint64_t entries_length; /* announced in CRL_BEGIN */
	uint64_t entries_seen;
	const unsigned char *alg; /* the signature AlgorithmIdentifier */
	size_t alg_len;
	const EVP_MD *sig_digest;
	EVP_MD_CTX *sha256;     /* of the TBSCertList: for the log, and signed by SHA-256 keys */
	EVP_MD_CTX *sha384;     /* of the TBSCertList for EC P-384 keys; NULL otherwise */
	struct buf extensions;  /* crlExtensions, fixed at CRL_BEGIN */
};

void
crl_session_free(struct crl_session *cs)
{
	if (cs == NULL)
		return;
	EVP_MD_CTX_free(cs->sha256);
	EVP_MD_CTX_free(cs->sha384);
	buf_free(&cs->extensions);
	free(cs);
}

static int
digest_update(struct crl_session *cs, const unsigned char *p, size_t len)
{
	if (EVP_DigestUpdate(cs->sha256, p, len) != 1)
		return -1;
	return cs->sha384 == NULL || EVP_DigestUpdate(cs->sha384, p, len) == 1 ? 0 : -1;
}

/* The signature algorithm of the key: the digests its certificates use. */
static edgeca_err
choose_algorithm(struct crl_session *cs, struct edgeca_msg *msg)
{
	const struct signer_key *k = cs->key;
	int base;

	if (strcmp(k->algorithm, "EC-P256") == 0) {
		cs->alg = alg_ecdsa_sha256;
		cs->alg_len = sizeof(alg_ecdsa_sha256);
		cs->sig_digest = digest_sha256();
		base = EVP_PKEY_EC;
	} else if (strcmp(k->algorithm, "EC-P384") == 0) {
		cs->alg = alg_ecdsa_sha384;
		cs->alg_len = sizeof(alg_ecdsa_sha384);
		cs->sig_digest = digest_sha384();
		base = EVP_PKEY_EC;
	} else if (strncmp(k->algorithm, "RSA-", 4) == 0) {
		cs->alg = alg_rsa_sha256;
		cs->alg_len = sizeof(alg_rsa_sha256);
		cs->sig_digest = digest_sha256();
		base = EVP_PKEY_RSA;
	} else {
		base = EVP_PKEY_NONE;
	}
	if (base == EVP_PKEY_NONE || EVP_PKEY_get_base_id(k->pkey) != base)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
		                   "the key's algorithm %s cannot sign CRLs", k->algorithm);
	return EDGECA_OK;
}

/* The third extension, if any, appended to b: a delta CRL's
 * deltaCRLIndicator { BaseCRLNumber } (critical), or a complete CRL's
 * freshestCRL { DistributionPoint { fullName { URI } } } (RFC 5280 5.2.4,
 * 5.2.6). */
static int
append_delta_extension(struct buf *b, const struct crl_session *cs, const char *freshest_url)
{
	unsigned char number[11];
	struct buf a = {0}, c = {0};
	int rc = -1;

	if (cs->delta_base > 0) {
		if (buf_append(&a, oid_delta_indicator, sizeof(oid_delta_indicator)) != 0 ||
		    der_append(&a, DER_OCTET_STRING, number, der_uint64_put(number, cs->delta_base)) !=
		        0)
			goto out;
	} else if (freshest_url != NULL) {
		/* c = [6] URI; a = [0] fullName; c = [0] distributionPoint;
		 * a = DistributionPoint; c = CRLDistributionPoints */
		if (der_append(&c, 0x86, (const unsigned char *)freshest_url, strlen(freshest_url)) !=
		        0 ||
		    der_append(&a, DER_CONTEXT_0, c.data, c.len) != 0)
			goto out;
		c.len = 0;
		if (der_append(&c, DER_CONTEXT_0, a.data, a.len) != 0)
			goto out;
		a.len = 0;
		if (der_append(&a, DER_SEQUENCE, c.data, c.len) != 0)
			goto out;
		c.len = 0;
		if (der_append(&c, DER_SEQUENCE, a.data, a.len) != 0)
			goto out;
		a.len = 0;
		if (buf_append(&a, oid_freshest_crl, sizeof(oid_freshest_crl)) != 0 ||
		    der_append(&a, DER_OCTET_STRING, c.data, c.len) != 0)
			goto out;
	} else {
		rc = 0;
		goto out;
	}
	rc = der_append(b, DER_SEQUENCE, a.data, a.len);
out:
	buf_free(&a);
	buf_free(&c);
	return rc;
}

/* crlExtensions [0] { authorityKeyIdentifier { keyIdentifier = the CA
 * certificate's SKI }, cRLNumber }, both non-critical (RFC 5280 5.2), and
 * the delta CRL extension append_delta_extension writes, if any. A
 * certificate without an SKI gets the RFC 5280 method 1 identifier of its
 * key, which is what edgeca writes as SKI. */
static edgeca_err
build_extensions(struct crl_session *cs, const X509 *cert, const char *freshest_url,
                 struct edgeca_msg *msg)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)cert);
	unsigned char md[EVP_MAX_MD_SIZE], number[11];
	const unsigned char *kid = md;
	unsigned int kid_len = 0;
	struct buf a = {0}, b = {0};
	size_t number_len = der_uint64_put(number, cs->number);
	edgeca_err rc = EDGECA_ERR_INTERNAL;

	if (ski != NULL) {
		kid = ASN1_STRING_get0_data(ski);
		kid_len = (unsigned)ASN1_STRING_length(ski);
	} else if (X509_pubkey_digest(cert, digest_sha1(), md, &kid_len) != 1) {
		edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot identify the CA's key");
		goto out;
	}
	/* a = [0] keyid; b = AuthorityKeyIdentifier; a = extnID, extnValue */
	if (der_append(&a, 0x80, kid, kid_len) != 0 ||
	    der_append(&b, DER_SEQUENCE, a.data, a.len) != 0)
		goto oom;
	a.len = 0;
	if (buf_append(&a, oid_aki, sizeof(oid_aki)) != 0 ||
	    der_append(&a, DER_OCTET_STRING, b.data, b.len) != 0)
		goto oom;
	/* b = both Extensions */
	b.len = 0;
	if (der_append(&b, DER_SEQUENCE, a.data, a.len) != 0)
		goto oom;
	a.len = 0;
	if (buf_append(&a, oid_crl_number, sizeof(oid_crl_number)) != 0 ||
	    der_append(&a, DER_OCTET_STRING, number, number_len) != 0 ||
	    der_append(&b, DER_SEQUENCE, a.data, a.len) != 0 ||
	    append_delta_extension(&b, cs, freshest_url) != 0)
		goto oom;
	a.len = 0;
	if (der_append(&a, DER_SEQUENCE, b.data, b.len) != 0 ||
	    der_append(&cs->extensions, DER_CONTEXT_0, a.data, a.len) != 0)
		goto oom;
	rc = EDGECA_OK;
	goto out;
oom:
	edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
out:
	buf_free(&a);
	buf_free(&b);
	return rc;
}

/* The CertificateList's bytes before the entries, without its own
 * header: TBSCertList header, version, signature algorithm, issuer,
 * thisUpdate, nextUpdate and, when entries follow, their SEQUENCE header.
 * The TBS length counts the entries and extensions still to come. */
static edgeca_err
build_head(const struct crl_session *cs, const X509 *cert, time_t this_update,
           time_t next_update, struct buf *head, struct edgeca_msg *msg)
{
	unsigned char h[DER_MAX_HEADER], t1[DER_MAX_TIME], t2[DER_MAX_TIME];
	const unsigned char *issuer = NULL;
	size_t issuer_len = 0, t1_len, t2_len, revoked = 0, tbs;

	if (X509_NAME_get0_der(X509_get_subject_name(cert), &issuer, &issuer_len) != 1)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode the CA's subject");
	t1_len = der_time_put(t1, this_update);
	t2_len = der_time_put(t2, next_update);
	if (t1_len == 0 || t2_len == 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "crl-time-invalid",
		                   "the CRL's times cannot be encoded");
	if (cs->entries_length > 0)
		revoked = der_header_size((size_t)cs->entries_length) + (size_t)cs->entries_length;
	tbs = sizeof(crl_version) + cs->alg_len + issuer_len + t1_len + t2_len + revoked +
	      cs->extensions.len;
	if (buf_append(head, h, der_header_put(h, DER_SEQUENCE, tbs)) != 0 ||
	    buf_append(head, crl_version, sizeof(crl_version)) != 0 ||
	    buf_append(head, cs->alg, cs->alg_len) != 0 ||
	    buf_append(head, issuer, issuer_len) != 0 || buf_append(head, t1, t1_len) != 0 ||
	    buf_append(head, t2, t2_len) != 0 ||
	    (cs->entries_length > 0 &&
	     buf_append(head, h, der_header_put(h, DER_SEQUENCE, (size_t)cs->entries_length)) != 0))
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	if (head->len > SIGNER_MAX_CRL_PART)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "crl-too-large",
		                   "the CA's subject is too large for a CRL");
	return EDGECA_OK;
}

static edgeca_err
check_times(uint64_t this_update, uint64_t next_update, time_t now, struct edgeca_msg *msg)
{
	if (this_update > (uint64_t)DER_TIME_MAX ||
	    (int64_t)this_update < (int64_t)now - CRL_CLOCK_SKEW_S ||
	    (int64_t)this_update > (int64_t)now + CRL_CLOCK_SKEW_S)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "crl-time-invalid",
		                   "thisUpdate must lie within %d minutes of the signer's clock",
		                   CRL_CLOCK_SKEW_S / 60);
	if (next_update <= this_update || next_update - this_update > CRL_MAX_PERIOD_S)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "crl-time-invalid",
		                   "nextUpdate must follow thisUpdate, by at most %d days",
		                   (int)(CRL_MAX_PERIOD_S / 86400));
	return EDGECA_OK;
}

/* A delta CRL (base > 0) refers to a complete CRL this key signed before:
 * below its own number and at most the last the key signed (the signer
 * keeps only that), and carries no freshestCRL of its own. A complete
 * CRL's freshestCRL URL is one a certificate could carry. */
static edgeca_err
check_delta(uint64_t number, uint64_t last, uint64_t base, const char *freshest_url,
            struct edgeca_msg *msg)
{
	if (base > 0 && freshest_url != NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "crl-delta-invalid",
		                   "a delta CRL carries no Freshest CRL URL");
	if (base > 0 && (base >= number || base > last))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "crl-delta-base-invalid",
		                   "the base CRL number %" PRIu64 " of a delta CRL must be below its "
		                   "own and at most %" PRIu64 ", the last this CA signed",
		                   base, last);
	if (freshest_url != NULL && !issue_url_acceptable(freshest_url))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-url",
		                   "the Freshest CRL URL must be a plain http or https URL");
	return EDGECA_OK;
}

static EVP_MD_CTX *
digest_new(const EVP_MD *md)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

edgeca_err
crl_begin(struct signer_service *s, const struct signer_msg *req, struct crl_session **out,
          struct signer_writer *w, struct edgeca_msg *msg)
{
	struct crl_session *cs = NULL;
	struct signer_key *key = NULL;
	struct buf head = {0};
	X509 *cert = NULL;
	uint64_t number = 0, this_update = 0, next_update = 0, length = 0, last = 0, base = 0;
	char id[SIGNER_KEY_ID_BYTES], freshest[1025];
	const char *freshest_url = NULL;
	edgeca_err rc;

	*out = NULL;
	if (signer_get_str(req, SIGNER_TAG_KEY_ID, id, sizeof(id)) != 0 ||
	    signer_get_u64(req, SIGNER_TAG_CRL_NUMBER, &number) != 0 ||
	    signer_get_u64(req, SIGNER_TAG_THIS_UPDATE, &this_update) != 0 ||
	    signer_get_u64(req, SIGNER_TAG_NEXT_UPDATE, &next_update) != 0 ||
	    signer_get_u64(req, SIGNER_TAG_ENTRIES_LENGTH, &length) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad CRL request");
		goto out;
	}
	if (signer_get_str(req, SIGNER_TAG_FRESHEST_CRL_URL, freshest, sizeof(freshest)) == 0)
		freshest_url = freshest;
	if (signer_msg_get(req, SIGNER_TAG_DELTA_BASE) != NULL &&
	    signer_get_u64(req, SIGNER_TAG_DELTA_BASE, &base) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL, "bad CRL request");
		goto out;
	}
	if ((rc = keystore_get(s->ks, id, &key, msg)) != EDGECA_OK)
		goto out;
	cert = keystore_key_cert(s->ks, key);
	if ((rc = policy_check_crl(&key->policy, cert, msg)) != EDGECA_OK ||
	    (rc = check_times(this_update, next_update, time(NULL), msg)) != EDGECA_OK ||
	    (rc = keystore_crl_last(s->ks, key, &last, msg)) != EDGECA_OK)
		goto out;
	if (number == 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "crl-number-invalid",
		                 "CRL numbers start at 1");
		goto out;
	}
	/* Checked again when the CRL is signed, under the keystore's lock. */
	if (number <= last) {
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-number-not-increasing",
		                 "CRL number %" PRIu64 " is not above %" PRIu64 ", the last this CA "
		                 "signed", number, last);
		goto out;
	}
	if ((rc = check_delta(number, last, base, freshest_url, msg)) != EDGECA_OK)
		goto out;
	if (length > SIGNER_MAX_CRL_ENTRIES_LENGTH) {
		rc = edgeca_fail(msg, EDGECA_ERR_OVERSIZED, "crl-too-large",
		                 "the CRL's entries would exceed %" PRIu64 " bytes",
		                 SIGNER_MAX_CRL_ENTRIES_LENGTH);
		goto out;
	}
	if ((cs = calloc(1, sizeof(*cs))) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	cs->key = key;
	cs->number = number;
	cs->delta_base = base;
	cs->entries_length = length;
	if ((rc = choose_algorithm(cs, msg)) != EDGECA_OK ||
	    (rc = build_extensions(cs, cert, freshest_url, msg)) != EDGECA_OK ||
	    (rc = build_head(cs, cert, (time_t)this_update, (time_t)next_update, &head, msg)) !=
	        EDGECA_OK)
		goto out;
	cs->sha256 = digest_new(digest_sha256());
	if (cs->sig_digest == digest_sha384())
		cs->sha384 = digest_new(digest_sha384());
	if (cs->sha256 == NULL || (cs->sig_digest == digest_sha384() && cs->sha384 == NULL) ||
	    digest_update(cs, head.data, head.len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot start the CRL's digest");
		goto out;
	}
	signer_writer_init(w, SIGNER_REPLY_OK);
	signer_put_bytes(w, SIGNER_TAG_CRL_PART, head.data, head.len);
	log_debug("crl_begin: key=%s number=%" PRIu64 " entries_bytes=%" PRIu64, key->id, number,
	          length);
	*out = cs;
	cs = NULL;
out:
	ERR_clear_error();
	crl_session_free(cs);
	X509_free(cert);
	buf_free(&head);
	return rc;
}

edgeca_err
crl_entries(struct crl_session *cs, const struct signer_msg *req, struct signer_writer *w,
            struct edgeca_msg *msg)
{
	const struct signer_field *f = signer_msg_get(req, SIGNER_TAG_ENTRIES);
	size_t off = 0, n;

	if (f->len > cs->entries_length - cs->entries_seen)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "crl-entries-length-mismatch",
		                   "the entries exceed the %" PRIu64 " bytes announced",
		                   cs->entries_length);
	if (f->len == 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "crl-entry-malformed",
		                   "CRL_ENTRIES carries no entry");
	while (off < f->len) {
		n = cs->delta_base > 0 ? crl_delta_entry_check(f->val + off, f->len - off)
		                       : crl_entry_check(f->val + off, f->len - off);
		if (n == 0)
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "crl-entry-malformed",
			                   "the entry at byte %" PRIu64 " of the CRL's entries is not "
			                   "a revoked certificate entry the signer accepts",
			                   cs->entries_seen + off);
		off += n;
	}
	if (digest_update(cs, f->val, f->len) != 0)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot hash the CRL's entries");
	cs->entries_seen += f->len;
	signer_writer_init(w, SIGNER_REPLY_OK);
	return EDGECA_OK;
}

/* Signs a digest made with md: an ECDSA-Sig-Value or a PKCS#1 v1.5
 * signature, as the signatureValue of X.509 wants them. */
static int
sign_digest(EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *dig, size_t dig_len,
            unsigned char **sig, size_t *sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int rc = -1;

	*sig = NULL;
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) != 1 ||
	    (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_sign(ctx, NULL, sig_len, dig, dig_len) != 1 ||
	    (*sig = malloc(*sig_len)) == NULL ||
	    EVP_PKEY_sign(ctx, *sig, sig_len, dig, dig_len) != 1)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		free(*sig);
		*sig = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

edgeca_err
crl_finish(struct signer_service *s, struct crl_session *cs, struct signer_writer *w,
           struct edgeca_msg *msg)
{
	unsigned char tbs_sha256[32], dig[EVP_MAX_MD_SIZE], *sig = NULL, zero = 0;
	unsigned int tbs_len = sizeof(tbs_sha256), dig_len = 0;
	unsigned char h[DER_MAX_HEADER];
	struct buf tail = {0};
	size_t sig_len = 0;
	edgeca_err rc;

	if (cs->key->pkey == NULL) {
		/* destroyed (KEY_DESTROY) since the session began */
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "key-destroyed", "key %s was destroyed",
		                 cs->key->id);
		goto out;
	}
	if (cs->entries_seen != cs->entries_length) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "crl-entries-length-mismatch",
		                 "%" PRIu64 " bytes of entries were announced, %" PRIu64 " came",
		                 cs->entries_length, cs->entries_seen);
		goto out;
	}
	if (digest_update(cs, cs->extensions.data, cs->extensions.len) != 0 ||
	    EVP_DigestFinal_ex(cs->sha256, tbs_sha256, &tbs_len) != 1 ||
	    (cs->sha384 != NULL && EVP_DigestFinal_ex(cs->sha384, dig, &dig_len) != 1)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot hash the CRL");
		goto out;
	}
	if (cs->sha384 == NULL) {
		memcpy(dig, tbs_sha256, sizeof(tbs_sha256));
		dig_len = sizeof(tbs_sha256);
	}
	if (sign_digest(cs->key->pkey, cs->sig_digest, dig, dig_len, &sig, &sig_len) != 0) {
		log_openssl_errors("crl_finish");
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "signing failed");
		goto out;
	}
	/* crlExtensions, signatureAlgorithm, signatureValue (no unused bits) */
	if (buf_append(&tail, cs->extensions.data, cs->extensions.len) != 0 ||
	    buf_append(&tail, cs->alg, cs->alg_len) != 0 ||
	    buf_append(&tail, h, der_header_put(h, DER_BIT_STRING, sig_len + 1)) != 0 ||
	    buf_append(&tail, &zero, 1) != 0 || buf_append(&tail, sig, sig_len) != 0 ||
	    tail.len > SIGNER_MAX_CRL_PART) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot encode the CRL's signature");
		goto out;
	}
	/* The number is spent before the CRL leaves the signer: whatever
	 * happens next, no second CRL can carry it. */
	if ((rc = keystore_crl_advance(s->ks, cs->key, cs->number, msg)) != EDGECA_OK)
		goto out;
	if (siglog_append_crl(s->log, cs->key->id, cs->number, cs->entries_length, tbs_sha256) !=
	    0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot write the signature log");
		goto out;
	}
	signer_writer_init(w, SIGNER_REPLY_OK);
	signer_put_bytes(w, SIGNER_TAG_CRL_PART, tail.data, tail.len);
	log_info("crl_finish: key=%s signed CRL number %" PRIu64 " (%" PRIu64 " bytes of entries)",
	         cs->key->id, cs->number, cs->entries_length);
	rc = EDGECA_OK;
out:
	ERR_clear_error();
	free(sig);
	buf_free(&tail);
	return rc;
}
