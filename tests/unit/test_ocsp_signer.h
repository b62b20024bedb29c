/* Shared by the OCSP signing tests (test_ocsp_signer*.c) and
 * bench/ocsp_sign.c: a ResponseData built byte by byte, so that every
 * field a test breaks is exactly the one it means to, and the check of a
 * signed BasicOCSPResponse with OpenSSL's OCSP_basic_verify against the
 * CA as the only trust anchor. Header-only (static inline). */
#ifndef EDGECA_TEST_OCSP_SIGNER_H
#define EDGECA_TEST_OCSP_SIGNER_H

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <string.h>

#include "common/buf.h"
#include "common/der.h"

/* The most SingleResponses the signer signs in one response. */
#define OCSP_MAX_RESPONSES_TEST 64

/* What goes into a ResponseData; rd_default() gives a good one. */
struct rd_spec {
	X509 *issuer;          /* the CA the CertIDs name */
	const EVP_MD *md;      /* the CertIDs' hash */
	X509 *responder;       /* byKey: SHA-1 of this certificate's key */
	int entries;
	time_t produced, this_update, next_update;
	int status;            /* V_OCSP_CERTSTATUS_* */
	int reason;            /* revoked: -1 none, else the CRLReason */
	size_t nonce_len;      /* 0: no nonce */
	bool version;          /* an explicit v1 */
	bool by_name;          /* responderID byName */
	bool extra_extension;  /* a second response extension */
	bool single_extension; /* an extension in a SingleResponse */
};

static inline struct rd_spec
rd_default(X509 *issuer, X509 *responder, time_t now)
{
	struct rd_spec s = {issuer, EVP_sha1(), responder, 1, now, now, now + 3600,
	                    V_OCSP_CERTSTATUS_GOOD, -1, 0, false, false, false, false};
	return s;
}

static inline int
rd_put(struct buf *b, unsigned char tag, const struct buf *content)
{
	return der_append(b, tag, content->data, content->len);
}

static inline int
rd_gtime(struct buf *b, time_t t)
{
	unsigned char g[DER_MAX_TIME];
	size_t n = der_generalized_time_put(g, t);

	return n > 0 ? buf_append(b, g, n) : -1;
}

/* The DER ResponseData of s appended to out. Returns 0 or -1. */
static inline int
rd_build(const struct rd_spec *s, struct buf *out)
{
	struct buf body = {0}, rid = {0}, list = {0}, exts = {0}, one = {0};
	unsigned char kid[20];
	unsigned int kid_len = sizeof(kid);
	int rc = -1;

	if (s->version && buf_append(&body, "\xa0\x03\x02\x01\x00", 5) != 0)
		goto out;
	if (s->by_name) {
		unsigned char *name = NULL;
		int n = i2d_X509_NAME(X509_get_subject_name(s->responder), &name);
		if (n <= 0 || der_append(&body, 0xa1, name, (size_t)n) != 0) {
			OPENSSL_free(name);
			goto out;
		}
		OPENSSL_free(name);
	} else {
		if (X509_pubkey_digest(s->responder, EVP_sha1(), kid, &kid_len) != 1 ||
		    der_append(&rid, 0x04, kid, kid_len) != 0 || rd_put(&body, 0xa2, &rid) != 0)
			goto out;
	}
	if (rd_gtime(&body, s->produced) != 0)
		goto out;
	for (int i = 0; i < s->entries; i++) {
		struct buf single = {0}, status = {0}, t = {0};
		ASN1_INTEGER *serial = ASN1_INTEGER_new();
		OCSP_CERTID *cid = NULL;
		unsigned char *cid_der = NULL;
		int cid_len = -1, ok;

		if (serial != NULL && ASN1_INTEGER_set_uint64(serial, 0x1000u + (unsigned)i) == 1)
			cid = OCSP_cert_id_new(s->md, X509_get_subject_name(s->issuer),
			                       X509_get0_pubkey_bitstr(s->issuer), serial);
		if (cid != NULL)
			cid_len = i2d_OCSP_CERTID(cid, &cid_der);
		ok = cid_len > 0 && buf_append(&single, cid_der, (size_t)cid_len) == 0;
		if (s->status == V_OCSP_CERTSTATUS_REVOKED) {
			struct buf r = {0};
			ok = ok && rd_gtime(&status, s->this_update - 86400) == 0;
			if (s->reason >= 0) {
				unsigned char e[3] = {0x0a, 0x01, (unsigned char)s->reason};
				ok = ok && der_append(&r, 0xa0, e, 3) == 0 &&
				     buf_append(&status, r.data, r.len) == 0;
			}
			ok = ok && rd_put(&single, 0xa1, &status) == 0;
			buf_free(&r);
		} else {
			unsigned char tag = s->status == V_OCSP_CERTSTATUS_GOOD ? 0x80 : 0x82;
			ok = ok && der_append(&single, tag, NULL, 0) == 0;
		}
		ok = ok && rd_gtime(&single, s->this_update) == 0 && rd_gtime(&t, s->next_update) == 0 &&
		     rd_put(&single, 0xa0, &t) == 0;
		if (s->single_extension) /* [1] { SEQUENCE { extendedRevoke, NULL } } */
			ok = ok && buf_append(&single, "\xa1\x13\x30\x11\x30\x0f\x06\x09\x2b\x06\x01"
			                                "\x05\x05\x07\x30\x01\x09\x04\x02\x05\x00",
			                      21) == 0;
		ok = ok && rd_put(&list, DER_SEQUENCE, &single) == 0;
		buf_free(&single);
		buf_free(&status);
		buf_free(&t);
		OPENSSL_free(cid_der);
		OCSP_CERTID_free(cid);
		ASN1_INTEGER_free(serial);
		if (!ok)
			goto out;
	}
	if (rd_put(&body, DER_SEQUENCE, &list) != 0)
		goto out;
	if (s->nonce_len > 0 || s->extra_extension) {
		struct buf ext = {0}, inner = {0}, octets = {0};
		unsigned char nonce[64];
		int ok = 1;
		memset(nonce, 0x5a, sizeof(nonce));
		if (s->nonce_len > 0) {
			ok = buf_append(&ext, "\x06\x09\x2b\x06\x01\x05\x05\x07\x30\x01\x02", 11) == 0 &&
			     der_append(&inner, 0x04, nonce, s->nonce_len) == 0 &&
			     rd_put(&octets, 0x04, &inner) == 0 &&
			     buf_append(&ext, octets.data, octets.len) == 0 &&
			     rd_put(&one, DER_SEQUENCE, &ext) == 0;
		}
		/* an extendedRevoke (1.3.6.1.5.5.7.48.1.9), NULL */
		if (ok && s->extra_extension)
			ok = buf_append(&one, "\x30\x0f\x06\x09\x2b\x06\x01\x05\x05\x07\x30\x01\x09\x04"
			                      "\x02\x05\x00", 17) == 0;
		ok = ok && rd_put(&exts, DER_SEQUENCE, &one) == 0 && rd_put(&body, 0xa1, &exts) == 0;
		buf_free(&ext);
		buf_free(&inner);
		buf_free(&octets);
		if (!ok)
			goto out;
	}
	rc = rd_put(out, DER_SEQUENCE, &body);
out:
	buf_free(&body);
	buf_free(&rid);
	buf_free(&list);
	buf_free(&exts);
	buf_free(&one);
	return rc;
}

/* Whether basic (DER) is a BasicOCSPResponse over tbs that OpenSSL
 * verifies with ca as the only trust anchor (ca itself given as a
 * possible signer for responses it signs), whose first entry answers
 * want_status; responder_in_certs: it carries one certificate. */
static inline bool
basic_verifies(const unsigned char *basic, size_t len, const unsigned char *tbs, size_t tbs_len,
               X509 *ca, int want_status, bool responder_in_certs)
{
	const unsigned char *p = basic;
	OCSP_BASICRESP *bs = d2i_OCSP_BASICRESP(NULL, &p, (long)len);
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	unsigned char *re = NULL;
	int re_len, reason = 0, status;
	bool ok = false;

	if (bs == NULL || p != basic + len || store == NULL || certs == NULL ||
	    X509_STORE_add_cert(store, ca) != 1 || sk_X509_push(certs, ca) <= 0)
		goto out;
	re_len = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(bs), &re);
	if (re_len <= 0 || (size_t)re_len != tbs_len || memcmp(re, tbs, tbs_len) != 0)
		goto out;
	if ((OCSP_resp_get0_certs(bs) ? sk_X509_num(OCSP_resp_get0_certs(bs)) : 0) !=
	    (responder_in_certs ? 1 : 0))
		goto out;
	if (OCSP_basic_verify(bs, certs, store, 0) != 1) {
		ERR_print_errors_fp(stderr);
		goto out;
	}
	status = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), &reason, NULL, NULL, NULL);
	ok = status == want_status;
out:
	OPENSSL_free(re);
	sk_X509_free(certs);
	X509_STORE_free(store);
	OCSP_BASICRESP_free(bs);
	return ok;
}

#endif
