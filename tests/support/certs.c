/* Keys, CSRs and CA certificates made with the OpenSSL API, and scratch
 * directories: what unit and integration tests build their inputs from. */
#include "tests/support/certs.h"

#include <ftw.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "EC-P256", "EC-P384", "EC-secp256k1", "ED25519" or "RSA-<bits>". */
EVP_PKEY *
t_key(const char *alg)
{
	if (strcmp(alg, "EC-P256") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (strcmp(alg, "EC-P384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (strcmp(alg, "EC-secp256k1") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	if (strcmp(alg, "ED25519") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (strncmp(alg, "RSA-", 4) == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(alg + 4));
	return NULL;
}

/* An RSA key with a chosen public exponent. */
EVP_PKEY *
t_rsa_key_exp(unsigned bits, unsigned long exponent)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	EVP_PKEY *k = NULL;

	if (ctx != NULL && e != NULL && BN_set_word(e, exponent) == 1 &&
	    EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) == 1 &&
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) == 1)
		EVP_PKEY_keygen(ctx, &k);
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* Adds a CN as a UTF8String without OpenSSL's length limits, so tests can
 * build subjects the product must refuse. len < 0: strlen(cn). */
int
t_name_add_cn(X509_NAME *name, const char *cn, int len)
{
	return X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
	                                  (const unsigned char *)cn, len, -1, 0);
}

const EVP_MD *
t_md_for(EVP_PKEY *k)
{
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

/* A signed CSR for k with CN cn (NULL: no subject) and optionally a
 * subjectAltName and basicConstraints request (openssl config values). */
X509_REQ *
t_csr(EVP_PKEY *k, const char *cn, const char *san, const char *bc)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509V3_CTX ctx;

	if (req == NULL || exts == NULL || X509_REQ_set_pubkey(req, k) != 1)
		goto fail;
	if (cn != NULL && t_name_add_cn(X509_REQ_get_subject_name(req), cn, -1) != 1)
		goto fail;
	X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, 0);
	for (int i = 0; i < 2; i++) {
		const char *val = i ? bc : san;
		X509_EXTENSION *ex;
		if (val == NULL)
			continue;
		ex = X509V3_EXT_conf_nid(NULL, &ctx, i ? NID_basic_constraints : NID_subject_alt_name,
		                         val);
		if (ex == NULL || !sk_X509_EXTENSION_push(exts, ex)) {
			X509_EXTENSION_free(ex);
			goto fail;
		}
	}
	if (sk_X509_EXTENSION_num(exts) > 0 && X509_REQ_add_extensions(req, exts) != 1)
		goto fail;
	if (X509_REQ_sign(req, k, t_md_for(k)) <= 0)
		goto fail;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return req;
fail:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return NULL;
}

unsigned char *
t_req_der(const X509_REQ *req, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);

	*len = n > 0 ? (size_t)n : 0;
	return n > 0 ? der : NULL;
}

/* A self-signed CA certificate for k: CN cn, basicConstraints CA:TRUE with
 * pathlen (-1: none), subject key identifier, validity nb..na. */
X509 *
t_ca_cert(EVP_PKEY *k, const char *cn, int pathlen, time_t nb, time_t na)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ex;
	char bc[64];
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	int ok;

	if (pathlen >= 0)
		snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", pathlen);
	else
		snprintf(bc, sizeof(bc), "critical,CA:TRUE");
	ok = x != NULL && serial != NULL && ASN1_INTEGER_set(serial, 1) == 1 &&
	     X509_set_version(x, X509_VERSION_3) == 1 && X509_set_serialNumber(x, serial) == 1 &&
	     t_name_add_cn(X509_get_subject_name(x), cn, -1) == 1 &&
	     X509_set_issuer_name(x, X509_get_subject_name(x)) == 1 && X509_set_pubkey(x, k) == 1 &&
	     ASN1_TIME_set(X509_getm_notBefore(x), nb) != NULL &&
	     ASN1_TIME_set(X509_getm_notAfter(x), na) != NULL;
	ASN1_INTEGER_free(serial);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	for (int i = 0; ok && i < 2; i++) {
		ex = X509V3_EXT_conf_nid(NULL, &ctx, i ? NID_subject_key_identifier
		                                       : NID_basic_constraints, i ? "hash" : bc);
		ok = ex != NULL && X509_add_ext(x, ex, -1) == 1;
		X509_EXTENSION_free(ex);
	}
	if (!ok || X509_sign(x, k, t_md_for(k)) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* A fresh directory /tmp/edgeca-unit-XXXXXX (malloc'ed path). */
char *
t_tmpdir(void)
{
	char tmpl[] = "/tmp/edgeca-unit-XXXXXX";

	return mkdtemp(tmpl) ? strdup(tmpl) : NULL;
}

static int
t_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything below it, and frees the path. */
void
t_rmtree(char *dir)
{
	if (dir != NULL)
		nftw(dir, t_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

